//! The zip format as importing needs it: an archive's central directory read once into an index (member
//! names -> where each member lies, hashed), and one member read and checked when a module executes.
//!
//! Reading the index never reads a member. It refuses, naming the member where there is one: an archive
//! that is truncated or not a zip; an end record that is ambiguous (another one hidden in the archive's
//! comment, or one that does not end the file); a central directory that disagrees with its end record, is
//! over [`MAX_ZIP_DIRECTORY`] or holds over [`MAX_ZIP_MEMBERS`] entries; members that span several disks,
//! whose names are not UTF-8 where they say so, are empty, absolute, hold a NUL or a `..` segment, appear
//! twice, or whose data would overlap another member or the central directory. Reading a member checks its
//! local header against the central directory, its sizes, its CRC and the cap [`MAX_ZIP_MEMBER_SIZE`];
//! encrypted members and methods other than stored and deflated are refused. Every offset is checked
//! against the file before it is read: nothing is read outside the archive.

use std::fmt;
use std::hash::{Hash, Hasher};

use hashbrown::HashTable;
use rustc_hash::FxHasher;

use crate::error::quote;
use crate::limits::{MAX_ZIP_DIRECTORY, MAX_ZIP_MEMBERS, MAX_ZIP_MEMBER_SIZE};

const END_SIG: &[u8; 4] = b"PK\x05\x06";
const END_LEN: usize = 22;
const LOCATOR_SIG: &[u8; 4] = b"PK\x06\x07";
const LOCATOR_LEN: u64 = 20;
const END64_SIG: &[u8; 4] = b"PK\x06\x06";
const END64_LEN: u64 = 56;
const CENTRAL_SIG: &[u8; 4] = b"PK\x01\x02";
const CENTRAL_LEN: usize = 46;
const LOCAL_SIG: &[u8; 4] = b"PK\x03\x04";
const LOCAL_LEN: u64 = 30;
const MAX_COMMENT: usize = 65_535;
/// General purpose flags: encrypted (traditional), sizes in a data descriptor, strong encryption, UTF-8 name.
const FLAG_ENCRYPTED: u16 = 0x0001;
const FLAG_DESCRIPTOR: u16 = 0x0008;
const FLAG_STRONG: u16 = 0x0040;
const FLAG_UTF8: u16 = 0x0800;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;

/// Code page 437, the historical encoding of names without the UTF-8 flag: bytes 0x80 to 0xFF.
const CP437_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";

/// Where bytes of an archive are read from: its file (`pread`), or bytes in memory (tests, the fuzz target).
pub trait ReadAt {
    /// Fills `buf` from `offset`, or fails (a short read is a failure).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()>;
}

impl ReadAt for std::fs::File {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
    }
}

impl ReadAt for [u8] {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let start = usize::try_from(offset).ok().filter(|s| *s <= self.len());
        match start.and_then(|s| self.get(s..s.checked_add(buf.len())?)) {
            Some(bytes) => {
                buf.copy_from_slice(bytes);
                Ok(())
            }
            None => Err(std::io::ErrorKind::UnexpectedEof.into()),
        }
    }
}

/// What is wrong with an archive, and with which member if one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipError {
    pub member: Option<String>,
    pub what: String,
}

impl ZipError {
    fn archive(what: impl Into<String>) -> ZipError {
        ZipError { member: None, what: what.into() }
    }

    fn member(name: &str, what: impl Into<String>) -> ZipError {
        ZipError { member: Some(name.to_owned()), what: what.into() }
    }
}

impl ZipError {
    /// The error as a message naming the archive at `path` (and the member, where there is one):
    /// `zip archive '/a/app.zip': member 'pkg/mod.py' fails its CRC check`.
    pub fn in_archive(&self, path: &str) -> String {
        match &self.member {
            Some(m) => format!("zip archive {}: member {} {}", quote(path), quote(m), self.what),
            None => format!("zip archive {} {}", quote(path), self.what),
        }
    }
}

impl fmt::Display for ZipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.member {
            Some(m) => write!(f, "member {} {}", quote(m), self.what),
            None => f.write_str(&self.what),
        }
    }
}

/// One member of the central directory.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    name_start: u32,
    name_len: u32,
    /// The name's length as stored (before decoding from code page 437).
    raw_len: u16,
    flags: u16,
    method: u16,
    /// The name ends with `/`.
    pub is_dir: bool,
    crc: u32,
    csize: u64,
    size: u64,
    /// Where its local header starts (any bytes before the archive accounted for).
    offset: u64,
    /// Where the next member's local header (or the central directory) starts: its data ends by then.
    limit: u64,
}

/// An archive's central directory, indexed by member name.
pub struct ZipIndex {
    /// Every name, one after the other.
    names: String,
    members: Vec<Member>,
    by_name: HashTable<u32>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn hash(name: &str) -> u64 {
    let mut h = FxHasher::default();
    name.hash(&mut h);
    h.finish()
}

fn cannot_read(e: std::io::Error) -> ZipError {
    ZipError::archive(format!("cannot be read: {}", super::ctx::describe(&e)))
}

/// A member's name as text: UTF-8 where its flag says so, else ASCII or code page 437 (as zipimport).
fn decode(raw: &[u8], flags: u16) -> Result<String, String> {
    if flags & FLAG_UTF8 != 0 {
        return String::from_utf8(raw.to_vec()).map_err(|_| String::from_utf8_lossy(raw).into_owned());
    }
    if raw.is_ascii() {
        return Ok(String::from_utf8(raw.to_vec()).expect("ASCII"));
    }
    let high: Vec<char> = CP437_HIGH.chars().collect();
    Ok(raw.iter().map(|&b| if b < 0x80 { b as char } else { high[(b - 0x80) as usize] }).collect())
}

/// Why a member name is refused, if it is.
fn bad_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("has an empty name")
    } else if name.starts_with('/') || name.starts_with('\\') {
        Some("has an absolute name")
    } else if name.contains('\0') {
        Some("has a NUL in its name")
    } else if name.split(['/', '\\']).any(|s| s == "..") {
        Some("has a '..' segment in its name")
    } else {
        None
    }
}

/// The end of central directory record: where it is, and what it says (zip64 values where there are some).
struct End {
    /// Where the central directory must end: the zip64 end record if there is one, else the end record.
    directory_end: u64,
    entries: u64,
    size: u64,
    offset: u64,
    zip64: bool,
}

/// Finds the one end record: it must end the file exactly (its comment reaching the end), and the comment
/// must hold no other (a second directory hidden in it would be read by some tools and not others).
fn find_end(src: &(impl ReadAt + ?Sized), len: u64) -> Result<End, ZipError> {
    if len < END_LEN as u64 {
        return Err(ZipError::archive(format!("is not a zip file: {len} bytes, too short for one")));
    }
    let tail_len = len.min((END_LEN + MAX_COMMENT) as u64) as usize;
    let tail_start = len - tail_len as u64;
    let mut tail = vec![0u8; tail_len];
    src.read_at(tail_start, &mut tail).map_err(cannot_read)?;
    let mut found: Option<usize> = None;
    let mut any = false;
    for p in (0..=tail_len - END_LEN).rev() {
        if &tail[p..p + 4] != END_SIG {
            continue;
        }
        any = true;
        if u16_at(&tail, p + 20) as usize == tail_len - p - END_LEN {
            if found.is_some() {
                return Err(ZipError::archive("has two end-of-directory records (one hidden in the comment)"));
            }
            found = Some(p);
        }
    }
    let Some(p) = found else {
        return Err(ZipError::archive(if any {
            "has bytes after its end-of-directory record, or a comment of a wrong length"
        } else {
            "is not a zip file: no end-of-central-directory record"
        }));
    };
    if tail[p + END_LEN..].windows(4).any(|w| w == END_SIG) {
        return Err(ZipError::archive("has an end-of-directory record hidden in its comment"));
    }
    let e = &tail[p..p + END_LEN];
    let end_pos = tail_start + p as u64;
    let (disk, directory_disk) = (u16_at(e, 4), u16_at(e, 6));
    let mut end = End {
        directory_end: end_pos,
        entries: u16_at(e, 10) as u64,
        size: u32_at(e, 12) as u64,
        offset: u32_at(e, 16) as u64,
        zip64: false,
    };
    if end_pos >= LOCATOR_LEN {
        let mut l = [0u8; LOCATOR_LEN as usize];
        src.read_at(end_pos - LOCATOR_LEN, &mut l).map_err(cannot_read)?;
        if &l[..4] == LOCATOR_SIG {
            if u32_at(&l, 16) > 1 || u32_at(&l, 4) != 0 {
                return Err(ZipError::archive("spans several disks, which importkit does not read"));
            }
            let stated = u64_at(&l, 8);
            let adjacent = (end_pos - LOCATOR_LEN).checked_sub(END64_LEN);
            let mut r = [0u8; END64_LEN as usize];
            let mut at = None;
            for pos in [Some(stated), adjacent].into_iter().flatten() {
                if pos.checked_add(END64_LEN).is_some_and(|e| e <= end_pos - LOCATOR_LEN)
                    && src.read_at(pos, &mut r).is_ok()
                    && &r[..4] == END64_SIG
                {
                    at = Some(pos);
                    break;
                }
            }
            let Some(pos) = at else {
                return Err(ZipError::archive("has a zip64 locator but no zip64 end record"));
            };
            if u32_at(&r, 16) != 0 || u32_at(&r, 20) != 0 {
                return Err(ZipError::archive("spans several disks, which importkit does not read"));
            }
            end = End {
                directory_end: pos,
                entries: u64_at(&r, 32),
                size: u64_at(&r, 40),
                offset: u64_at(&r, 48),
                zip64: true,
            };
        }
    }
    if !end.zip64 && (disk != 0 || directory_disk != 0) {
        return Err(ZipError::archive("spans several disks, which importkit does not read"));
    }
    Ok(end)
}

/// The zip64 values of a central directory entry, for each 32-bit field that says "see zip64" (in the
/// order size, compressed size, offset, disk).
fn zip64_fields(extra: &[u8], want: [bool; 4]) -> Option<[u64; 4]> {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let (tag, len) = (u16_at(extra, at), u16_at(extra, at + 2) as usize);
        let body = extra.get(at + 4..at + 4 + len)?;
        if tag == 0x0001 {
            let mut out = [0u64; 4];
            let mut p = 0;
            for (i, w) in want.iter().enumerate() {
                if !*w {
                    continue;
                }
                let n = if i == 3 { 4 } else { 8 };
                let v = body.get(p..p + n)?;
                out[i] = if n == 8 { u64_at(v, 0) } else { u32_at(v, 0) as u64 };
                p += n;
            }
            return Some(out);
        }
        at += 4 + len;
    }
    None
}

impl ZipIndex {
    /// Reads the central directory of an archive of `len` bytes.
    pub fn read(src: &(impl ReadAt + ?Sized), len: u64) -> Result<ZipIndex, ZipError> {
        let end = find_end(src, len)?;
        let start = end
            .directory_end
            .checked_sub(end.size)
            .ok_or_else(|| ZipError::archive("has a bad central directory size (larger than what precedes it)"))?;
        let before = start
            .checked_sub(end.offset)
            .ok_or_else(|| ZipError::archive("has a bad central directory offset (past where the directory is)"))?;
        if end.size > MAX_ZIP_DIRECTORY {
            return Err(ZipError::archive(format!(
                "has a central directory of {} bytes, over the limit of {MAX_ZIP_DIRECTORY}",
                end.size
            )));
        }
        if end.entries > MAX_ZIP_MEMBERS as u64 {
            return Err(ZipError::archive(format!("has {} members, over the limit of {MAX_ZIP_MEMBERS}", end.entries)));
        }
        if end.entries.saturating_mul(CENTRAL_LEN as u64) > end.size {
            return Err(ZipError::archive(format!(
                "says it has {} members, more than its central directory of {} bytes holds",
                end.entries, end.size
            )));
        }
        let mut cd = vec![0u8; end.size as usize];
        src.read_at(start, &mut cd).map_err(cannot_read)?;
        let mut index = ZipIndex {
            names: String::with_capacity(cd.len().saturating_sub(CENTRAL_LEN * end.entries as usize)),
            members: Vec::with_capacity(end.entries as usize),
            by_name: HashTable::with_capacity(end.entries as usize),
        };
        let mut pos = 0;
        while pos < cd.len() {
            let n = index.members.len();
            if n >= MAX_ZIP_MEMBERS {
                return Err(ZipError::archive(format!("has over {MAX_ZIP_MEMBERS} members, the limit")));
            }
            let truncated = || ZipError::archive(format!("has a central directory cut short in entry {n}"));
            let h = cd.get(pos..pos + CENTRAL_LEN).ok_or_else(truncated)?;
            if &h[..4] != CENTRAL_SIG {
                return Err(ZipError::archive(format!("has a bad signature in central directory entry {n}")));
            }
            let flags = u16_at(h, 8);
            let method = u16_at(h, 10);
            let crc = u32_at(h, 16);
            let (csize32, size32) = (u32_at(h, 20), u32_at(h, 24));
            let (name_len, extra_len, comment_len) = (u16_at(h, 28), u16_at(h, 30) as usize, u16_at(h, 32) as usize);
            let disk16 = u16_at(h, 34);
            let offset32 = u32_at(h, 42);
            let name_at = pos + CENTRAL_LEN;
            let extra_at = name_at + name_len as usize;
            let next = extra_at + extra_len + comment_len;
            let raw = cd.get(name_at..extra_at).ok_or_else(truncated)?;
            let extra = cd.get(extra_at..extra_at + extra_len).ok_or_else(truncated)?;
            if next > cd.len() {
                return Err(truncated());
            }
            let name = decode(raw, flags).map_err(|lossy| ZipError::member(&lossy, "has a name that is not UTF-8"))?;
            if let Some(why) = bad_name(&name) {
                return Err(ZipError::member(&name, why));
            }
            let want = [size32 == u32::MAX, csize32 == u32::MAX, offset32 == u32::MAX, disk16 == u16::MAX];
            let (mut size, mut csize, mut offset, mut disk) =
                (size32 as u64, csize32 as u64, offset32 as u64, disk16 as u64);
            if want.iter().any(|w| *w) {
                let wide = zip64_fields(extra, want)
                    .ok_or_else(|| ZipError::member(&name, "needs zip64 sizes or offset that it does not have"))?;
                if want[0] {
                    size = wide[0];
                }
                if want[1] {
                    csize = wide[1];
                }
                if want[2] {
                    offset = wide[2];
                }
                if want[3] {
                    disk = wide[3];
                }
            }
            if disk != 0 {
                return Err(ZipError::member(&name, "lies on another disk, which importkit does not read"));
            }
            if offset > end.offset {
                return Err(ZipError::member(&name, "has its local header past the central directory"));
            }
            let name_start = index.names.len() as u32;
            index.names.push_str(&name);
            let member = Member {
                name_start,
                name_len: name.len() as u32,
                raw_len: name_len,
                flags,
                method,
                is_dir: name.ends_with('/'),
                crc,
                csize,
                size,
                offset: offset + before,
                limit: start,
            };
            let key = hash(&name);
            let (names, members) = (&index.names, &index.members);
            let name_of = |i: u32| {
                let m = &members[i as usize];
                &names[m.name_start as usize..][..m.name_len as usize]
            };
            if index.by_name.find(key, |&i| name_of(i) == name).is_some() {
                return Err(ZipError::member(&name, "appears twice in the central directory"));
            }
            index.members.push(member);
            let (names, members) = (&index.names, &index.members);
            index.by_name.insert_unique(key, n as u32, |&i| {
                let m = &members[i as usize];
                hash(&names[m.name_start as usize..][..m.name_len as usize])
            });
            pos = next;
        }
        let count = index.members.len() as u64;
        if count != end.entries && (end.zip64 || count & 0xFFFF != end.entries) {
            return Err(ZipError::archive(format!(
                "has {count} members in its central directory, and its end record says {}",
                end.entries
            )));
        }
        index.check_overlaps(start)?;
        Ok(index)
    }

    /// Sorts the members by where they lie: each one's local header, name and data must end before the
    /// next one starts (the central directory after the last); each learns where its data must end.
    fn check_overlaps(&mut self, directory: u64) -> Result<(), ZipError> {
        let mut order: Vec<u32> = (0..self.members.len() as u32).collect();
        order.sort_unstable_by_key(|&i| self.members[i as usize].offset);
        for (k, &i) in order.iter().enumerate() {
            let next = order.get(k + 1).map(|&j| j as usize);
            let limit = next.map_or(directory, |j| self.members[j].offset);
            let m = self.members[i as usize];
            let least = m.offset.checked_add(LOCAL_LEN + m.raw_len as u64).and_then(|e| e.checked_add(m.csize));
            if least.is_none_or(|e| e > limit) {
                let what = match next {
                    Some(j) => format!("overlaps member {}", quote(self.name(j as u32))),
                    None => "runs into the central directory (its sizes lie, or the archive is cut short)".into(),
                };
                return Err(ZipError::member(self.name(i), what));
            }
            self.members[i as usize].limit = limit;
        }
        Ok(())
    }

    /// How many members the archive has.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The member named `name` exactly (a directory's name ends with `/`).
    pub fn get(&self, name: &str) -> Option<u32> {
        self.by_name.find(hash(name), |&i| self.name(i) == name).copied()
    }

    pub fn member(&self, i: u32) -> &Member {
        &self.members[i as usize]
    }

    /// The name of member `i`.
    pub fn name(&self, i: u32) -> &str {
        let m = &self.members[i as usize];
        &self.names[m.name_start as usize..][..m.name_len as usize]
    }

    /// Every member's index and name, in central directory order.
    pub fn names(&self) -> impl Iterator<Item = (u32, &str)> {
        (0..self.members.len() as u32).map(move |i| (i, self.name(i)))
    }

    /// Why member `i` cannot be read, if that shows in the central directory (a directory, encrypted, a
    /// method importkit does not read, over `cap` bytes or [`MAX_ZIP_MEMBER_SIZE`]): told when the member
    /// is found, before anything is read.
    pub fn unreadable(&self, i: u32, cap: u64) -> Option<ZipError> {
        let m = self.member(i);
        let cap = cap.min(MAX_ZIP_MEMBER_SIZE);
        let what = if m.is_dir {
            "is a directory".to_owned()
        } else if m.flags & (FLAG_ENCRYPTED | FLAG_STRONG) != 0 {
            "is encrypted, which importkit does not read".to_owned()
        } else if m.method != STORED && m.method != DEFLATED {
            format!("is compressed with method {}, which importkit does not read (stored and deflated only)", m.method)
        } else if m.size > cap || m.csize > cap {
            format!("declares {} bytes, over the limit of {cap}", m.size.max(m.csize))
        } else {
            return None;
        };
        Some(ZipError::member(self.name(i), what))
    }

    /// The bytes of member `i`, inflated and checked: at most `cap` bytes (and [`MAX_ZIP_MEMBER_SIZE`]).
    pub fn read_member(&self, src: &(impl ReadAt + ?Sized), i: u32, cap: u64) -> Result<Vec<u8>, ZipError> {
        if let Some(e) = self.unreadable(i, cap) {
            return Err(e);
        }
        let m = *self.member(i);
        let name = self.name(i);
        let fail = |what: String| ZipError::member(name, what);
        let mut h = [0u8; LOCAL_LEN as usize];
        if m.offset + LOCAL_LEN > m.limit {
            return Err(fail("has no room for its local header".into()));
        }
        src.read_at(m.offset, &mut h).map_err(|e| fail(cannot_read(e).what))?;
        if &h[..4] != LOCAL_SIG {
            return Err(fail("has a bad local header signature".into()));
        }
        let (flags, method) = (u16_at(&h, 6), u16_at(&h, 8));
        if method != m.method || (flags & FLAG_ENCRYPTED) != (m.flags & FLAG_ENCRYPTED) {
            return Err(fail(
                "has a local header that disagrees with the central directory (method, encryption)".into(),
            ));
        }
        if flags & FLAG_DESCRIPTOR == 0 {
            let (crc, csize, size) = (u32_at(&h, 14), u32_at(&h, 18), u32_at(&h, 22));
            let same = |local: u32, central: u64| local == u32::MAX || local as u64 == central;
            if crc != m.crc || !same(csize, m.csize) || !same(size, m.size) {
                return Err(fail("has a local header whose sizes or CRC disagree with the central directory".into()));
            }
        }
        let (name_len, extra_len) = (u16_at(&h, 26) as u64, u16_at(&h, 28) as u64);
        let data = m.offset + LOCAL_LEN + name_len + extra_len;
        if data.checked_add(m.csize).is_none_or(|e| e > m.limit) {
            return Err(fail("has data that runs past the next member or the central directory".into()));
        }
        if name_len != m.raw_len as u64 {
            return Err(fail("has a local header that names another member".into()));
        }
        let mut local_name = vec![0u8; name_len as usize];
        src.read_at(m.offset + LOCAL_LEN, &mut local_name).map_err(|e| fail(cannot_read(e).what))?;
        match decode(&local_name, m.flags) {
            Ok(local) if local == name => {}
            Ok(local) | Err(local) => {
                return Err(fail(format!("has a local header that names another member, {}", quote(&local))))
            }
        }
        let mut raw = vec![0u8; m.csize as usize];
        src.read_at(data, &mut raw).map_err(|e| fail(cannot_read(e).what))?;
        let bytes = if m.method == STORED {
            if m.csize != m.size {
                return Err(fail(format!("is stored with two sizes, {} and {} bytes", m.csize, m.size)));
            }
            raw
        } else {
            // One byte more than declared is allowed to be produced, so that a member that inflates past its
            // size is told from one that is cut short.
            let limit = (m.size + 1) as usize;
            match miniz_oxide::inflate::decompress_to_vec_with_limit(&raw, limit) {
                Ok(out) if out.len() as u64 == m.size => out,
                Ok(out) if out.len() as u64 > m.size => {
                    return Err(fail(format!("inflates past its declared size of {} bytes", m.size)))
                }
                Ok(out) => {
                    return Err(fail(format!("inflates to {} bytes, not the {} it declares", out.len(), m.size)))
                }
                Err(e) if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
                    return Err(fail(format!("inflates past its declared size of {} bytes", m.size)))
                }
                Err(e) => return Err(fail(format!("is not valid deflate data ({:?})", e.status))),
            }
        };
        if crc32fast::hash(&bytes) != m.crc {
            return Err(fail("fails its CRC check".into()));
        }
        Ok(bytes)
    }

    /// The entries directly under `dir` (a prefix ending with `/`, or empty for the top): each name once,
    /// and whether it is a directory (named so, or implied by a deeper member), sorted.
    pub fn children(&self, dir: &str) -> Vec<(String, bool)> {
        let mut out: std::collections::BTreeMap<&str, bool> = std::collections::BTreeMap::new();
        for (_, name) in self.names() {
            let Some(rest) = name.strip_prefix(dir) else { continue };
            let first = rest.split('/').next().unwrap_or_default();
            if first.is_empty() {
                continue;
            }
            let is_dir = rest.len() > first.len();
            *out.entry(first).or_default() |= is_dir;
        }
        out.into_iter().map(|(n, d)| (n.to_owned(), d)).collect()
    }
}
