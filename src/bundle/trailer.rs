//! The trailer of a bundle appended to another file (an executable): the last 32 bytes of the file say
//! where the bundle lies, so that the program finds its own bundle (docs/BUNDLE.md, *The trailer*).
//!
//! ```text
//! 0   8  magic "IKBTRAIL"
//! 8   8  u64 offset of the bundle from the start of the file
//! 16  8  u64 length of the bundle
//! 24  4  u32 trailer version: 1
//! 28  4  u32 CRC-32 of bytes 0..28 of the trailer
//! ```
//!
//! The bundle ends exactly where the trailer starts. Reading checks everything before anything is used: the
//! magic (a file without it carries no bundle), the CRC, the version, that the bundle lies inside the file
//! and ends where the trailer starts, and that it starts with a bundle's magic. Then the bundle is opened as
//! any bundle is, with all of its own checks.

use std::path::Path;

use super::format::{Bundle, MAGIC};
use super::map::{FileBytes, Load};
use crate::error::{quote, Error, ErrorCode, Result};

/// The first 8 bytes of a trailer.
pub(crate) const TRAILER_MAGIC: &[u8; 8] = b"IKBTRAIL";
/// The trailer's length: the last this many bytes of the file.
pub(crate) const TRAILER_LEN: usize = 32;
/// The trailer version this importkit reads and writes.
pub(crate) const TRAILER_VERSION: u32 = 1;
/// An appended bundle starts at a multiple of this (zero bytes pad the file before it), so that a bundle
/// mapped with its file keeps its sections 8-byte aligned.
pub(crate) const APPEND_ALIGN: u64 = 8;

/// Where the appended bundle lies in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trailer {
    /// The bundle's offset from the start of the file.
    pub offset: u64,
    /// The bundle's length: it ends where the trailer starts.
    pub len: u64,
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn le64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

impl Trailer {
    /// The trailer's 32 bytes.
    pub fn encode(&self) -> [u8; TRAILER_LEN] {
        let mut out = [0u8; TRAILER_LEN];
        out[..8].copy_from_slice(TRAILER_MAGIC);
        out[8..16].copy_from_slice(&self.offset.to_le_bytes());
        out[16..24].copy_from_slice(&self.len.to_le_bytes());
        out[24..28].copy_from_slice(&TRAILER_VERSION.to_le_bytes());
        let crc = crc32fast::hash(&out[..28]);
        out[28..32].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// The trailer at the end of `file` (the whole file's bytes): `None` when the file does not end with
    /// one (no trailer magic where it would start); an error saying what is wrong when it ends with a
    /// trailer that is damaged or lies (a CRC that fails, another version, a bundle outside the file or
    /// not ending where the trailer starts, bytes there that are not a bundle).
    pub fn find(file: &[u8]) -> std::result::Result<Option<Trailer>, String> {
        let Some(start) = file.len().checked_sub(TRAILER_LEN) else { return Ok(None) };
        let t = &file[start..];
        if &t[..8] != TRAILER_MAGIC {
            return Ok(None);
        }
        let (recorded, crc) = (le32(&t[28..]), crc32fast::hash(&t[..28]));
        if recorded != crc {
            return Err(format!(
                "has a bundle trailer that fails its CRC-32 check (recorded {recorded:08x}, computed {crc:08x})"
            ));
        }
        let version = le32(&t[24..]);
        if version != TRAILER_VERSION {
            return Err(format!(
                "has a bundle trailer of version {version}; this importkit reads version {}",
                TRAILER_VERSION
            ));
        }
        let trailer = Trailer { offset: le64(&t[8..]), len: le64(&t[16..]) };
        let end = trailer.offset.checked_add(trailer.len);
        if end != Some(start as u64) {
            return Err(format!(
                "has a bundle trailer that puts the bundle at {}..+{}, which does not end where the trailer starts ({start})",
                trailer.offset, trailer.len
            ));
        }
        let at = trailer.offset as usize;
        if file.get(at..at + MAGIC.len()) != Some(&MAGIC[..]) {
            return Err(format!(
                "has a bundle trailer that points at {}..+{}, where there is no bundle (no IKBUNDL magic)",
                trailer.offset, trailer.len
            ));
        }
        Ok(Some(trailer))
    }
}

/// The bytes of `file` with `bundle` appended: the file as it is (without the bundle it carries already, if
/// it ends with a trailer: appending again replaces the bundle), zero bytes up to a multiple of
/// 8 (`APPEND_ALIGN`), the bundle, and its trailer. Refused (`InvalidArgument`) when `bundle` does not start
/// with a bundle's magic, or when `file` ends with a damaged trailer (what it carries is then unknown).
pub fn append(file: &[u8], bundle: &[u8]) -> Result<Vec<u8>> {
    if !bundle.starts_with(MAGIC) {
        return Err(Error::invalid_argument("the bytes to append are not a bundle (no IKBUNDL magic at their start)"));
    }
    let keep = match Trailer::find(file) {
        Ok(Some(old)) => old.offset as usize,
        Ok(None) => file.len(),
        Err(what) => return Err(Error::invalid_argument(format!("the file {what}: refusing to append to it"))),
    };
    let offset = (keep as u64).div_ceil(APPEND_ALIGN) * APPEND_ALIGN;
    let mut out = Vec::with_capacity(offset as usize + bundle.len() + TRAILER_LEN);
    out.extend_from_slice(&file[..keep]);
    out.resize(offset as usize, 0);
    out.extend_from_slice(bundle);
    out.extend_from_slice(&Trailer { offset, len: bundle.len() as u64 }.encode());
    Ok(out)
}

/// The bundle appended to the file whose bytes are `bytes` (sharing them: a slice of the mapping or the
/// copy), or `None` when the file ends with no trailer. A trailer that is damaged or lies is refused with
/// `InvalidMount` saying what is wrong. The bundle itself is not opened: [`Bundle::open`] checks it.
pub fn appended(bytes: &FileBytes) -> Result<Option<FileBytes>> {
    appended_in(bytes, "a file")
}

fn appended_in(bytes: &FileBytes, label: &str) -> Result<Option<FileBytes>> {
    let found =
        Trailer::find(bytes.as_ref()).map_err(|what| Error::new(ErrorCode::InvalidMount, format!("{label} {what}")))?;
    Ok(found.map(|t| bytes.slice(t.offset as usize..(t.offset + t.len) as usize)))
}

impl Bundle {
    /// Opens the bundle appended to the file at `path` (an executable, with [`Trailer`] at its end), the
    /// file mapped or read as `load` says; the bundle is named by the file's path in errors. A file with
    /// no trailer is refused with `InvalidMount`: "no bundle is appended to '...'"; a damaged or lying
    /// trailer, or a bundle that does not open, likewise, saying what is wrong.
    pub fn open_appended(path: &Path, load: Load) -> Result<Bundle> {
        let label = path.display().to_string();
        let bytes = FileBytes::open(path, load)?;
        match appended_in(&bytes, &quote(&label))? {
            Some(bundle) => Bundle::open(label, bundle),
            None => Err(Error::new(ErrorCode::InvalidMount, format!("no bundle is appended to {}", quote(&label)))),
        }
    }

    /// Opens the bundle appended to the running program's own executable ([`std::env::current_exe`]), as
    /// [`Bundle::open_appended`].
    pub fn open_current_exe(load: Load) -> Result<Bundle> {
        let exe = std::env::current_exe().map_err(|e| {
            Error::new(ErrorCode::InvalidMount, format!("the running program's executable cannot be found: {e}"))
        })?;
        Bundle::open_appended(&exe, load)
    }
}
