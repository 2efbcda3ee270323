//! The bytes of a bundle file: a read-only mapping of the file (the default), or the file read into memory.
//!
//! This is the crate's one module outside `src/ffi/` with `unsafe`: the mapping itself (`mmap`/`munmap`)
//! and the slice over it. A mapping is private and read-only; importkit never writes through it.
//!
//! What a mapping cannot defend against (docs/SECURITY.md): a file truncated by another process while it is
//! mapped makes reads past the new end fault (`SIGBUS`), as for every program that maps files. A host that
//! cannot rule that out (a bundle in a directory others write to) reads the file instead ([`Load::Read`]):
//! then every byte is importkit's own copy.

#![allow(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::error::{quote, Error, ErrorCode, Result};

/// How a bundle's file becomes bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Load {
    /// Mapped read-only: opening costs no read of the file; pages come in as lookups touch them.
    #[default]
    Map,
    /// Read whole into memory at open (for files that may change while mounted).
    Read,
}

/// The bytes of a file (or of a range of it: a bundle appended to an executable), mapped or read.
#[derive(Clone)]
pub struct FileBytes {
    held: Arc<Held>,
    range: Range<usize>,
}

enum Held {
    Mapped(Mapping),
    Read(Vec<u8>),
}

/// Opens `path` for reading without blocking on what opening blocks on (a FIFO without a writer, some
/// devices): the caller checks, on the open file, that it is a regular file before reading it.
pub fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    options.open(path)
}

impl FileBytes {
    /// The whole of the file at `path`, as `load` says. A file that cannot be opened, read or mapped is
    /// refused with `InvalidMount` naming it and why.
    pub fn open(path: &Path, load: Load) -> Result<FileBytes> {
        let label = path.display().to_string();
        // Non-blocking: a FIFO (or a device) in the bundle's place is refused below, never waited on.
        let file = open_nonblocking(path).map_err(|e| refused(&label, "cannot be opened", &e))?;
        FileBytes::of_file(&file, &label, load)
    }

    /// The whole of the open `file` (named `label` in errors), as `load` says.
    pub fn of_file(file: &File, label: &str, load: Load) -> Result<FileBytes> {
        let meta = file.metadata().map_err(|e| refused(label, "cannot be examined", &e))?;
        if !meta.is_file() {
            return Err(Error::new(ErrorCode::InvalidMount, format!("bundle {}: is not a regular file", quote(label))));
        }
        let too_large = || refused(label, "cannot be held", &std::io::Error::other("larger than the address space"));
        let len = usize::try_from(meta.len()).map_err(|_| too_large())?;
        let held = match load {
            _ if len == 0 => Held::Read(Vec::new()),
            Load::Map => Held::Mapped(Mapping::new(file, len).map_err(|e| refused(label, "cannot be mapped", &e))?),
            Load::Read => {
                let mut bytes = Vec::new();
                bytes.try_reserve_exact(len).map_err(|_| too_large())?;
                let mut reader = file;
                reader.read_to_end(&mut bytes).map_err(|e| refused(label, "cannot be read", &e))?;
                Held::Read(bytes)
            }
        };
        let len = held.bytes().len();
        Ok(FileBytes { held: Arc::new(held), range: 0..len })
    }

    /// The part `range` of these bytes (clamped to them), sharing the mapping or the copy.
    pub fn slice(&self, range: Range<usize>) -> FileBytes {
        let len = self.range.len();
        let (start, end) = (range.start.min(len), range.end.min(len));
        let start = start.min(end);
        FileBytes { held: Arc::clone(&self.held), range: self.range.start + start..self.range.start + end }
    }

    /// Whether the bytes are a mapping of the file (not a copy).
    pub fn is_mapped(&self) -> bool {
        matches!(*self.held, Held::Mapped(_))
    }
}

impl AsRef<[u8]> for FileBytes {
    fn as_ref(&self) -> &[u8] {
        // `range` lies inside the held bytes: made so by `open` and `slice`.
        &self.held.bytes()[self.range.clone()]
    }
}

fn refused(label: &str, what: &str, e: &std::io::Error) -> Error {
    Error::new(ErrorCode::InvalidMount, format!("bundle {}: {what}: {e}", quote(label)))
}

impl Held {
    fn bytes(&self) -> &[u8] {
        match self {
            Held::Mapped(m) => m.bytes(),
            Held::Read(v) => v,
        }
    }
}

/// A private, read-only mapping of a whole file, unmapped when dropped.
struct Mapping {
    ptr: *const u8,
    len: usize,
}

// SAFETY: the mapping is read-only and never written through; reading it from any thread is as safe as
// reading any immutable bytes, and `munmap` runs once, in `drop`, when no reference remains.
unsafe impl Send for Mapping {}
// SAFETY: as above: shared access is read-only.
unsafe impl Sync for Mapping {}

impl Mapping {
    #[cfg(unix)]
    fn new(file: &File, len: usize) -> std::io::Result<Mapping> {
        use std::os::unix::io::AsRawFd;
        // SAFETY: mapping `len` (> 0) bytes of an open file descriptor read-only and private at an address
        // the kernel picks touches no memory of ours; the result is checked against MAP_FAILED. The mapping
        // stays valid after the descriptor is closed.
        let ptr =
            unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_PRIVATE, file.as_raw_fd(), 0) };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Mapping { ptr: ptr.cast::<u8>().cast_const(), len })
    }

    #[cfg(not(unix))]
    fn new(_file: &File, _len: usize) -> std::io::Result<Mapping> {
        Err(std::io::Error::other("mapping files is implemented on Unix only: read the file instead"))
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` is the start of a live mapping of `len` readable bytes (made in `new`, unmapped only
        // in `drop`, which cannot run while this borrow of `self` lives); nothing writes to it.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        #[cfg(unix)]
        // SAFETY: `ptr`/`len` are exactly what `mmap` returned and were given; no borrow of the bytes
        // outlives `self` (every `FileBytes` holds the `Arc` that owns it).
        unsafe {
            libc::munmap(self.ptr.cast_mut().cast::<libc::c_void>(), self.len);
        }
    }
}
