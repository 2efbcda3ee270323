//! Opening a file a search found, by its checked path: no link followed outside the confinement roots, no
//! FIFO blocking, no file swapped in between the check and the open.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::confine;
use super::ctx::{describe, Ctx, REFUSED};
use crate::error::{ErrorCode, HostError};
use crate::finders::source::FileReader;
use crate::limits::MAX_CODE_SIZE;

fn open_flags() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = std::fs::OpenOptions::new();
    // Non-blocking: a FIFO put in the place of a ref file never blocks an import.
    o.read(true).custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC);
    o
}

/// Opens a file a search found (a `.ref` file, a resource), never blocking (a FIFO in its place does not
/// hang an import). Under confinement: its resolved path must lie inside the roots; that path is opened without
/// following a link at its end, and the open file must still be that path (so a link swapped in between the
/// check and the open is never read). `doing` begins the message of a failure (`cannot read`).
pub fn open_checked(ctx: &Ctx, path: &str, doing: &str) -> Result<File, String> {
    open_within(&ctx.roots, path, doing)
}

/// [`open_checked`] with the confinement roots alone (no roots: no confinement), for a read after the search
/// that found the file (a zip member read when its module executes).
pub fn open_within(roots: &[PathBuf], path: &str, doing: &str) -> Result<File, String> {
    let cannot = |e: std::io::Error| format!("{doing} {path}: {}", describe(&e));
    if roots.is_empty() {
        return open_flags().open(path).map_err(cannot);
    }
    let real = confine::resolve_inside(Path::new(path), roots).ok_or_else(|| REFUSED.to_owned())?;
    use std::os::unix::fs::OpenOptionsExt;
    let file = open_flags().custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOFOLLOW).open(&real);
    let file = file.map_err(|_| REFUSED.to_owned())?;
    if !still_inside(roots, &file, &real) {
        return Err(REFUSED.to_owned());
    }
    Ok(file)
}

/// Whether an open file is the one at `real` (a path checked inside the roots), read from the descriptor:
/// `/proc/self/fd` names what was opened; without /proc, the device and inode must match `real` as it
/// resolves now.
fn still_inside(roots: &[PathBuf], file: &File, real: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::io::AsRawFd;
    if let Ok(opened) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
        return roots.iter().any(|r| opened.starts_with(r));
    }
    match (file.metadata(), std::fs::metadata(real)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// The confinement roots a file was found under (none: not confined) read it as the search would have: by
/// its checked path, never blocking, a regular file of at most `MAX_CODE_SIZE` bytes. This is how the code
/// cache reads a directory's module file when the module executes (`Source::File`).
impl FileReader for Vec<PathBuf> {
    fn read_file(&self, path: &str) -> Result<Vec<u8>, HostError> {
        use std::io::Read;
        let failed = |why: String| HostError::with_code(ErrorCode::Import, why);
        let file = open_within(self, path, "cannot read").map_err(failed)?;
        let meta = file.metadata().map_err(|e| failed(format!("cannot read {path}: {}", describe(&e))))?;
        if !meta.is_file() {
            return Err(failed(format!("cannot read {path}: not a regular file")));
        }
        if meta.len() > MAX_CODE_SIZE {
            return Err(failed(format!("cannot read {path}: {} bytes, over the limit of {MAX_CODE_SIZE}", meta.len())));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        (&file)
            .take(MAX_CODE_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| failed(format!("cannot read {path}: {}", describe(&e))))?;
        if bytes.len() as u64 > MAX_CODE_SIZE {
            return Err(failed(format!("cannot read {path}: it grew past the limit of {MAX_CODE_SIZE} bytes")));
        }
        Ok(bytes)
    }
}
