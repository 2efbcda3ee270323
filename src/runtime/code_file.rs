//! The files of the code cache in a host's cache directory (docs/CODE_CACHE.md): one file per module and
//! cache tag, `<key>.<tag>.ikc`, holding the compiled code with what it was compiled from and for.
//!
//! A file is written whole to a temporary file of the directory (created exclusively, never through a
//! link) and renamed over the old one, so a reader sees the old file or the new one, never a mix; several
//! processes may share a directory. A file is read whole and trusted only when every field checks: magic,
//! version, flags, cache tag, module key, source hash, length and the code's CRC-32. Anything else (a
//! truncated, corrupt, stale or foreign file) is rejected: the code is compiled again and the file replaced.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::limits::{MAX_CODE_SIZE, MAX_SUFFIX_LEN};

/// The first 8 bytes of every cache file.
pub(crate) const MAGIC: &[u8; 8] = b"IKCACHE\0";
/// The format version written and read.
pub(crate) const VERSION: u16 = 1;
/// The length of the fixed header, before the cache tag.
pub(crate) const HEADER_LEN: usize = 96;
/// The suffix of a cache file's name.
pub(crate) const SUFFIX: &str = ".ikc";

/// A SHA-256 digest.
pub(crate) type Digest = [u8; 32];

/// What a cache file is for, and what it must say to be trusted.
pub(crate) struct Expect<'a> {
    /// The runtime's cache tag.
    pub tag: &'a str,
    /// The module: SHA-256 of its name, a NUL byte and its origin.
    pub key: &'a Digest,
    /// SHA-256 of the source bytes the module has now.
    pub source: &'a Digest,
}

/// What reading a cache file found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// No file.
    Missing,
    /// The code of a file that passed every check.
    Found(Vec<u8>),
    /// A file that is not to be trusted (why, for tests and people).
    Rejected(&'static str),
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// The file name for a module and tag: the first 128 bits of its key in hex, the tag, `.ikc`. Two modules
/// share a name only by a collision of their keys, which the key kept in the file then catches.
pub(crate) fn file_name(tag: &str, key: &Digest) -> String {
    format!("{}.{tag}{SUFFIX}", hex(&key[..16]))
}

/// The bytes of a cache file holding `code` (docs/CODE_CACHE.md).
pub(crate) fn encode(e: &Expect, code: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + e.tag.len() + code.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(e.tag.len() as u32).to_le_bytes());
    out.extend_from_slice(e.key);
    out.extend_from_slice(e.source);
    out.extend_from_slice(&(code.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(code).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    debug_assert_eq!(out.len(), HEADER_LEN);
    out.extend_from_slice(e.tag.as_bytes());
    out.extend_from_slice(code);
    out
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le64(b: &[u8], at: usize) -> u64 {
    let mut x = [0; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

/// The code of a cache file's bytes, if every field checks against `e`; else why not.
pub(crate) fn decode<'a>(b: &'a [u8], e: &Expect) -> Result<&'a [u8], &'static str> {
    if b.len() < HEADER_LEN {
        return Err("shorter than its header");
    }
    if &b[..8] != MAGIC {
        return Err("no IKCACHE magic");
    }
    if le16(b, 8) != VERSION {
        return Err("another format version");
    }
    if le16(b, 10) != 0 || le32(b, 92) != 0 {
        return Err("flags or a reserved field set");
    }
    let tag_len = le32(b, 12) as usize;
    if tag_len == 0 || tag_len > MAX_SUFFIX_LEN {
        return Err("a cache tag length out of range");
    }
    if &b[16..48] != e.key {
        return Err("the code of another module");
    }
    if &b[48..80] != e.source {
        return Err("stale: compiled from another version of the source");
    }
    let code_len = le64(b, 80);
    if code_len > MAX_CODE_SIZE {
        return Err("a code length over the limit");
    }
    let start = HEADER_LEN + tag_len;
    if b.len() as u64 != start as u64 + code_len {
        return Err("truncated, or with bytes after its code");
    }
    if &b[HEADER_LEN..start] != e.tag.as_bytes() {
        return Err("code for another cache tag");
    }
    let code = &b[start..];
    if crc32fast::hash(code) != le32(b, 88) {
        return Err("its code fails its CRC-32 check (corrupt)");
    }
    Ok(code)
}

fn open_flags() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = std::fs::OpenOptions::new();
    // Non-blocking: a FIFO in a cache file's place never hangs an import.
    o.read(true).custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC);
    o
}

/// Reads the cache file for `e` in `dir` and checks it.
pub(crate) fn read(dir: &Path, e: &Expect) -> Lookup {
    let path = dir.join(file_name(e.tag, e.key));
    let file = match open_flags().open(&path) {
        Ok(f) => f,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Lookup::Missing,
        Err(_) => return Lookup::Rejected("cannot be opened"),
    };
    let limit = (HEADER_LEN + MAX_SUFFIX_LEN) as u64 + MAX_CODE_SIZE;
    match file.metadata() {
        Ok(m) if !m.is_file() => return Lookup::Rejected("not a regular file"),
        Ok(m) if m.len() > limit => return Lookup::Rejected("larger than any cache file"),
        Ok(_) => {}
        Err(_) => return Lookup::Rejected("cannot be read"),
    }
    let mut bytes = Vec::new();
    if (&file).take(limit + 1).read_to_end(&mut bytes).is_err() {
        return Lookup::Rejected("cannot be read");
    }
    match decode(&bytes, e) {
        Ok(code) => {
            let start = bytes.len() - code.len();
            bytes.drain(..start);
            Lookup::Found(bytes)
        }
        Err(why) => Lookup::Rejected(why),
    }
}

/// Temporary files of this process are told apart by a counter.
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// Writes the cache file for `e` in `dir`, atomically: a new temporary file beside it (created exclusively,
/// not through a link), then renamed over the old one. On failure nothing is left behind.
pub(crate) fn write(dir: &Path, e: &Expect, code: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let name = file_name(e.tag, e.key);
    let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
    let temp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
    let mut file: File = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(&temp)?;
    let written = file.write_all(&encode(e, code)).and_then(|()| file.flush());
    drop(file);
    let renamed = written.and_then(|()| std::fs::rename(&temp, dir.join(&name)));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    renamed
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: Digest = [7; 32];
    const SOURCE: Digest = [9; 32];

    fn expect() -> Expect<'static> {
        Expect { tag: "cpython-311", key: &KEY, source: &SOURCE }
    }

    #[test]
    fn a_file_reads_back_and_names_itself_by_key_and_tag() {
        let bytes = encode(&expect(), b"CODE");
        assert_eq!(bytes.len(), HEADER_LEN + "cpython-311".len() + 4);
        assert_eq!(&bytes[..8], b"IKCACHE\0");
        assert_eq!(decode(&bytes, &expect()), Ok(&b"CODE"[..]));
        assert_eq!(decode(&encode(&expect(), b""), &expect()), Ok(&b""[..]));
        assert_eq!(file_name("cpython-311", &KEY), "07070707070707070707070707070707.cpython-311.ikc");
    }

    #[test]
    fn every_changed_byte_and_every_cut_is_rejected() {
        let bytes = encode(&expect(), b"some compiled code");
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(decode(&bad, &expect()).is_err(), "byte {i} changed and still accepted");
        }
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut], &expect()).is_err(), "cut at {cut} and still accepted");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer, &expect()).is_err());
    }

    #[test]
    fn another_source_module_or_tag_is_rejected_with_its_reason() {
        let bytes = encode(&expect(), b"x");
        let other = [1; 32];
        let stale = Expect { source: &other, ..expect() };
        assert_eq!(decode(&bytes, &stale), Err("stale: compiled from another version of the source"));
        let foreign = Expect { key: &other, ..expect() };
        assert_eq!(decode(&bytes, &foreign), Err("the code of another module"));
        let tagged = Expect { tag: "cpython-312", ..expect() };
        assert_eq!(decode(&bytes, &tagged), Err("code for another cache tag"));
    }
}
