//! The bundle format (`.ikb`, docs/BUNDLE.md) as importing reads it: a checked view over the bundle's bytes.
//!
//! Opening reads the header and the section table only (O(1) in the number of modules: nothing is parsed,
//! allocated or hashed per module). Every later question reads the few records it needs and checks each
//! offset, length and count it follows before it follows it: a lookup is a probe of the hash index and one
//! name compared, a package's files are a binary search in the sorted file table, a blob is checked against
//! its CRC-32 (and, deflated, against the length it records) each time it is read. Whatever the bytes, no
//! question panics or reads outside them; a bad record or blob is an error naming the bundle and the entry.
//! [`Bundle::verify`] checks everything at once (O(size)): the tables' CRC, every record, the order of the
//! tables, the index against the modules, every blob.

use std::borrow::Cow;
use std::ops::Range;

use crate::error::{quote, Error, ErrorCode, Result};
use crate::limits::{MAX_BUNDLE_BLOB_SIZE, MAX_NAME_LEN, MAX_PATH_LEN};
use crate::spec::ModuleKind;

/// The first 8 bytes of every bundle.
pub const MAGIC: &[u8; 8] = b"IKBUNDL\0";
/// The format version this reader reads and the builder writes.
pub(crate) const VERSION: u16 = 1;
/// The header's length, before the section table.
pub(crate) const HEADER_LEN: usize = 40;
/// One entry of the section table: kind (u32), reserved (u32), offset (u64), length (u64).
pub(crate) const SECTION_ENTRY_LEN: usize = 24;
/// Version 1 has exactly these sections, in this order, each once.
pub(crate) const SECTIONS: [&str; 8] = ["strings", "modules", "index", "code", "files", "metadata", "blobs", "data"];
/// Where the section table ends and the first section (strings) starts.
pub(crate) const TABLES_START: usize = HEADER_LEN + SECTION_ENTRY_LEN * SECTIONS.len();
/// The length of a module record.
pub(crate) const MODULE_LEN: usize = 32;
/// The length of a code entry.
pub(crate) const CODE_LEN: usize = 16;
/// The length of a file record.
pub(crate) const FILE_LEN: usize = 16;
/// The length of a metadata directory record.
pub(crate) const METADATA_LEN: usize = 16;
/// The length of a blob record.
pub(crate) const BLOB_LEN: usize = 24;
/// The length of the index's head (slot count, reserved) and of one slot (record + 1, hash tag).
pub(crate) const INDEX_HEAD_LEN: usize = 8;
pub(crate) const SLOT_LEN: usize = 8;
/// A module record's blob when it has none (a namespace package).
pub(crate) const NO_BLOB: u32 = u32::MAX;
/// How many slots a lookup probes at most: every module lies within this many slots of its home slot (the
/// builder makes the index larger until it does), so a lookup, found or missed, reads at most this many.
pub(crate) const MAX_PROBE: usize = 64;
/// A module record's flag: the module is a package.
pub(crate) const FLAG_PACKAGE: u8 = 1;
/// A blob's compression: stored as is, or raw deflate (RFC 1951).
pub(crate) const STORED: u8 = 0;
pub(crate) const DEFLATE: u8 = 1;

const STRINGS: usize = 0;
const MODULES: usize = 1;
const INDEX: usize = 2;
const CODE: usize = 3;
const FILES: usize = 4;
const METADATA: usize = 5;
const BLOBS: usize = 6;
const DATA: usize = 7;

/// The record length of each section (0: not made of records).
const RECORD_LEN: [usize; 8] = [0, MODULE_LEN, 0, CODE_LEN, FILE_LEN, METADATA_LEN, BLOB_LEN, 0];

/// FNV-1a, 64 bits: the index's hash of a module name (specified, so that any writer builds the same index).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Bytes as lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` rounded up to a multiple of 8.
pub fn align8(n: u64) -> u64 {
    n.div_ceil(8) * 8
}

/// A module kind's code in a module record.
pub fn kind_code(kind: ModuleKind) -> Option<u8> {
    match kind {
        ModuleKind::Source => Some(0),
        ModuleKind::Bytecode => Some(1),
        ModuleKind::Extension => Some(2),
        ModuleKind::Namespace => Some(3),
        ModuleKind::Native => None,
    }
}

fn kind_of(code: u8) -> Option<ModuleKind> {
    [ModuleKind::Source, ModuleKind::Bytecode, ModuleKind::Extension, ModuleKind::Namespace].get(code as usize).copied()
}

/// Why a module name (relative to the bundle's root: `""` is the root package) is not one a bundle holds.
pub fn bad_name(name: &str) -> Option<&'static str> {
    if name.len() > MAX_NAME_LEN {
        return Some("is over the name length limit");
    }
    // One pass over the bytes (this runs for every record a lookup reads): '.' never starts or ends a
    // segment; no NUL, '/' or '\\' anywhere.
    let mut last = b'.';
    for &c in name.as_bytes() {
        match c {
            0 | b'/' | b'\\' => return Some("holds a NUL, '/' or '\\'"),
            b'.' if last == b'.' => return Some("has an empty segment"),
            _ => {}
        }
        last = c;
    }
    (!name.is_empty() && last == b'.').then_some("has an empty segment")
}

/// The first path of `paths` that lies inside another of them taken as a file (`a/b` inside `a`), and that
/// file: in O(total length), whatever the paths' depth (each path's prefixes are hashed as it is read, once,
/// and only a prefix whose hash is a path's is compared).
pub fn file_inside_file<'a>(paths: impl IntoIterator<Item = &'a str> + Clone) -> Option<(&'a str, &'a str)> {
    const P: u64 = 0x0000_0100_0000_01b3;
    let hash =
        |bytes: &[u8]| bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| h.wrapping_mul(P).wrapping_add(*b as u64));
    let mut files: rustc_hash::FxHashMap<u64, Vec<&'a str>> = rustc_hash::FxHashMap::default();
    for p in paths.clone() {
        files.entry(hash(p.as_bytes())).or_default().push(p);
    }
    for p in paths {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for (at, b) in p.bytes().enumerate() {
            if b == b'/' {
                if let Some(outer) = files.get(&h).and_then(|c| c.iter().find(|f| **f == &p[..at])) {
                    return Some((p, outer));
                }
            }
            h = h.wrapping_mul(P).wrapping_add(b as u64);
        }
    }
    None
}

/// Whether `path` is where the module `name` (relative to the root, checked by [`bad_name`]) of this kind
/// lives, as a tree gives it: a namespace package is its directory (`a/b` for `a.b`, `""` for the root), a
/// package its directory's init file (`a/b/__init__.py`), a module a file of its parent's directory named
/// by its last segment and a suffix (`a/b.py`: suffixes start with '.'). A record whose name and path
/// disagree would serve one module's name from another place (and its resources from another directory).
pub fn path_fits(name: &str, path: &str, kind: ModuleKind, is_package: bool) -> bool {
    let (n, p) = (name.as_bytes(), path.as_bytes());
    // The path starts with the name as a directory path: its segments joined with '/' (a name holds no '/').
    if p.len() < n.len() || !n.iter().zip(p).all(|(b, a)| if *b == b'.' { *a == b'/' } else { a == b }) {
        return false;
    }
    let rest = &p[n.len()..];
    let one_segment = |r: &[u8]| !r.is_empty() && !r.contains(&b'/');
    match kind {
        ModuleKind::Namespace => rest.is_empty(),
        _ if is_package && n.is_empty() => one_segment(rest),
        _ if is_package => rest.first() == Some(&b'/') && one_segment(&rest[1..]),
        _ => !n.is_empty() && rest.first() == Some(&b'.') && one_segment(&rest[1..]),
    }
}

/// Why `path` cannot be a path in a bundle (a file's, or a namespace package's directory), if it cannot:
/// over the length limit, a NUL or a backslash, an empty, `.` or `..` segment. `""` is the root's.
pub fn bad_path(path: &str) -> Option<&'static str> {
    if path.len() > MAX_PATH_LEN {
        return Some("is over the path length limit");
    }
    const SEGMENT: &str = "has an empty, '.' or '..' segment (or is absolute)";
    // One pass: the length of the current segment and whether it is all dots so far.
    let (mut len, mut dots) = (0usize, true);
    for &c in path.as_bytes() {
        match c {
            0 | b'\\' => return Some("holds a NUL or '\\'"),
            b'/' => {
                if len == 0 || (dots && len <= 2) {
                    return Some(SEGMENT);
                }
                (len, dots) = (0, true);
            }
            _ => {
                len += 1;
                dots &= c == b'.';
            }
        }
    }
    (!path.is_empty() && (len == 0 || (dots && len <= 2))).then_some(SEGMENT)
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3], b[at + 4], b[at + 5], b[at + 6], b[at + 7]])
}

/// The CRC of the header and section table, taken with the CRC field (bytes 20..24) as zero.
pub fn header_crc(head: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&head[..20]);
    h.update(&[0; 4]);
    h.update(&head[24..]);
    h.finalize()
}

/// One section: where it lies in the bundle.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: usize,
    len: usize,
}

impl Span {
    fn end(self) -> usize {
        self.start + self.len
    }
}

/// What the bytes of a bundle are held by: a vector, bytes shared with the host, static bytes linked into
/// the executable (later, a mapping of the file).
pub type Owner = Box<dyn AsRef<[u8]> + Send + Sync>;

/// An opened bundle: its bytes, where its sections lie, and how many records each holds.
pub struct Bundle {
    label: String,
    owner: Owner,
    sections: [Span; 8],
    slots: usize,
}

/// A module record, checked: its name (relative to the bundle's root, `""` for the root package), the path
/// of its file (or, for a namespace package, its directory), and where its bytes and compiled code are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleEntry<'a> {
    pub number: u32,
    pub name: &'a str,
    pub path: &'a str,
    pub kind: ModuleKind,
    pub is_package: bool,
    /// The module's bytes (its file as the tree held it: source text, or a compiled file for bytecode);
    /// `None` for a namespace package.
    pub blob: Option<u32>,
    /// Its code entries: a run of the code table.
    pub code: Range<u32>,
}

impl ModuleEntry<'_> {
    /// The directory of a package's files (its file's directory; a namespace package's own path).
    pub fn dir(&self) -> &str {
        if self.kind == ModuleKind::Namespace {
            self.path
        } else {
            self.path.rsplit_once('/').map_or("", |(d, _)| d)
        }
    }
}

/// A blob record, checked against the data section (not yet against its CRC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobInfo {
    pub offset: u64,
    pub stored: u32,
    pub len: u32,
    pub crc: u32,
    pub compression: u8,
}

impl Bundle {
    /// Opens the bundle in `owner`'s bytes, named `label` in errors (a path, `bundle:/game`): checks the header,
    /// the section table and the index's head. Refused with `InvalidMount`, naming the bundle and what is wrong.
    pub fn open(label: impl Into<String>, owner: impl AsRef<[u8]> + Send + Sync + 'static) -> Result<Bundle> {
        let label = label.into();
        let owner: Owner = Box::new(owner);
        let (sections, slots) = check_head(owner.as_ref().as_ref())
            .map_err(|what| Error::new(ErrorCode::InvalidMount, format!("bundle {} {what}", quote(&label))))?;
        Ok(Bundle { label, owner, sections, slots })
    }

    /// How the bundle is named in errors.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The bundle's bytes.
    pub fn bytes(&self) -> &[u8] {
        (*self.owner).as_ref()
    }

    /// An error about an entry of the bundle (`Import`, as a bad member of an archive is).
    fn broken(&self, what: impl std::fmt::Display) -> Error {
        Error::new(ErrorCode::Import, format!("bundle {}: {what}", quote(&self.label)))
    }

    fn section(&self, s: usize) -> &[u8] {
        let span = self.sections[s];
        self.bytes().get(span.start..span.end()).unwrap_or_default()
    }

    fn count(&self, s: usize) -> usize {
        self.sections[s].len / RECORD_LEN[s]
    }

    /// Record `i` of section `s` (checked against the section's length).
    fn record(&self, s: usize, i: u32) -> Option<&[u8]> {
        let n = RECORD_LEN[s];
        let at = (i as usize).checked_mul(n)?;
        self.section(s).get(at..at.checked_add(n)?)
    }

    /// The string at `offset` of `len` bytes: inside the strings section, followed by its NUL, UTF-8.
    fn string(&self, offset: u32, len: u32) -> std::result::Result<&str, &'static str> {
        let strings = self.section(STRINGS);
        let (start, len) = (offset as usize, len as usize);
        let end = start.checked_add(len).ok_or("lies outside the strings section")?;
        let bytes = strings.get(start..end).ok_or("lies outside the strings section")?;
        if strings.get(end) != Some(&0) {
            return Err("is not followed by its NUL");
        }
        std::str::from_utf8(bytes).map_err(|_| "is not UTF-8")
    }

    // ----- modules -----

    /// How many modules the bundle holds.
    pub fn module_count(&self) -> u32 {
        self.count(MODULES) as u32
    }

    /// The name of module record `i`, checked.
    fn module_name(&self, i: u32) -> Result<&str> {
        let r = self.record(MODULES, i).ok_or_else(|| self.broken(format!("module record {i} does not exist")))?;
        self.string(le32(r, 0), le32(r, 4))
            .map_err(|why| self.broken(format!("module record {i} has a name that {why}")))
    }

    /// Module record `i`, every field checked.
    pub fn module(&self, i: u32) -> Result<ModuleEntry<'_>> {
        let name = self.module_name(i)?;
        self.module_named(i, name)
    }

    /// Module record `i`, whose name (read and checked) is `name`: every other field checked.
    fn module_named<'a>(&'a self, i: u32, name: &'a str) -> Result<ModuleEntry<'a>> {
        let r = self.record(MODULES, i).ok_or_else(|| self.broken(format!("module record {i} does not exist")))?;
        let bad = |what: String| self.broken(format!("module {} (record {i}) {what}", quote(name)));
        if let Some(why) = bad_name(name) {
            return Err(bad(format!("has a name that {why}")));
        }
        let path = self.string(le32(r, 8), le32(r, 12)).map_err(|why| bad(format!("has a path that {why}")))?;
        if let Some(why) = bad_path(path) {
            return Err(bad(format!("has a path that {why}")));
        }
        let kind = kind_of(r[16]).ok_or_else(|| bad(format!("has an unknown kind {}", r[16])))?;
        let flags = r[17];
        if flags & !FLAG_PACKAGE != 0 || le16(r, 18) != 0 {
            return Err(bad(format!("has unknown flags 0x{flags:02x} or a reserved field set")));
        }
        let is_package = flags & FLAG_PACKAGE != 0;
        if !path_fits(name, path, kind, is_package) {
            return Err(bad(format!("has a path {} that is not where its name puts it", quote(path))));
        }
        let blob = match le32(r, 20) {
            NO_BLOB => None,
            b if (b as usize) < self.count(BLOBS) => Some(b),
            b => return Err(bad(format!("names blob {b}, past the {} blobs", self.count(BLOBS)))),
        };
        match (kind, blob) {
            (ModuleKind::Namespace, Some(_)) => return Err(bad("is a namespace package with bytes".into())),
            (ModuleKind::Namespace, None) if !is_package => {
                return Err(bad("is a namespace package without the package flag".into()))
            }
            (ModuleKind::Namespace, None) => {}
            (_, None) => return Err(bad("has no bytes".into())),
            (_, Some(_)) => {}
        }
        let (first, count) = (le32(r, 24), le32(r, 28));
        let end = first.checked_add(count).filter(|e| *e as usize <= self.count(CODE));
        let Some(end) = end else {
            return Err(bad(format!("has code entries {first}..+{count}, past the {} entries", self.count(CODE))));
        };
        Ok(ModuleEntry { number: i, name, path, kind, is_package, blob, code: first..end })
    }

    /// The module named `name` (relative to the bundle's root), through the index: the name's FNV-1a hash
    /// picks a slot, slots are probed in turn (at most the slot count) until an empty one; a slot whose tag
    /// matches has its record's name compared.
    pub fn find(&self, name: &str) -> Result<Option<ModuleEntry<'_>>> {
        let h = fnv1a(name.as_bytes());
        let tag = (h >> 32) as u32;
        let slots = self.section(INDEX).get(INDEX_HEAD_LEN..).unwrap_or_default();
        let mask = self.slots - 1;
        let mut at = h as usize & mask;
        for _ in 0..self.slots.min(MAX_PROBE) {
            let Some(slot) = slots.get(at * SLOT_LEN..at * SLOT_LEN + SLOT_LEN) else { break };
            let record = le32(slot, 0);
            if record == 0 {
                return Ok(None);
            }
            if le32(slot, 4) == tag {
                let i = record - 1;
                if i >= self.module_count() {
                    return Err(self.broken(format!(
                        "index slot {at} names module record {i}, past the {} records",
                        self.module_count()
                    )));
                }
                let found = self.module_name(i)?;
                if found == name {
                    return self.module_named(i, found).map(Some);
                }
            }
            at = (at + 1) & mask;
        }
        if self.slots > MAX_PROBE {
            // No module lies further from its home slot (a bundle where one does is corrupt: verify says so).
            return Ok(None);
        }
        Err(self.broken(format!("the index has no empty slot on the way to module {} (it is corrupt)", quote(name))))
    }

    /// The first module record whose name is not below `key` (a binary search over the sorted records; a
    /// bundle whose records are not sorted gives a wrong place, never a read outside them).
    fn lower_bound(&self, key: &str) -> Result<u32> {
        let (mut lo, mut hi) = (0u32, self.module_count());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.module_name(mid)? < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    /// The modules directly inside package `parent` (relative to the bundle's root; `""`: the top-level
    /// modules), in name order.
    pub fn children(&self, parent: &str) -> Result<Vec<ModuleEntry<'_>>> {
        let mut out = Vec::new();
        if parent.is_empty() {
            for i in 0..self.module_count() {
                let name = self.module_name(i)?;
                if !name.is_empty() && !name.contains('.') {
                    out.push(self.module(i)?);
                }
            }
            return Ok(out);
        }
        let prefix = format!("{parent}.");
        for i in self.lower_bound(&prefix)?..self.module_count() {
            let name = self.module_name(i)?;
            let Some(rest) = name.strip_prefix(prefix.as_str()) else { break };
            if !rest.contains('.') {
                out.push(self.module(i)?);
            }
        }
        Ok(out)
    }

    /// Code entry `i`: its cache tag and blob.
    fn code_entry(&self, i: u32) -> Result<(&str, u32)> {
        let r = self.record(CODE, i).ok_or_else(|| self.broken(format!("code entry {i} does not exist")))?;
        let tag = self
            .string(le32(r, 0), le32(r, 4))
            .map_err(|why| self.broken(format!("code entry {i} has a cache tag that {why}")))?;
        let blob = le32(r, 8);
        if blob as usize >= self.count(BLOBS) || le32(r, 12) != 0 {
            return Err(self.broken(format!(
                "code entry {i} ({}) names blob {blob}, past the {} blobs, or has a reserved field set",
                quote(tag),
                self.count(BLOBS)
            )));
        }
        Ok((tag, blob))
    }

    /// A module's compiled code entries: (cache tag, blob), in tag order.
    pub fn code_entries(&self, module: &ModuleEntry) -> Result<Vec<(&str, u32)>> {
        module.code.clone().map(|i| self.code_entry(i)).collect()
    }

    /// The blob of a module's compiled code for `cache_tag`, if it has some.
    pub fn code(&self, module: &ModuleEntry, cache_tag: &str) -> Result<Option<u32>> {
        let (mut lo, mut hi) = (module.code.start, module.code.end);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let (tag, blob) = self.code_entry(mid)?;
            match tag.cmp(cache_tag) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(Some(blob)),
            }
        }
        Ok(None)
    }

    // ----- files -----

    /// How many files (module files and resources) the bundle holds.
    pub fn file_count(&self) -> u32 {
        self.count(FILES) as u32
    }

    /// File record `i`: its path and blob.
    pub fn file_at(&self, i: u32) -> Result<(&str, u32)> {
        let r = self.record(FILES, i).ok_or_else(|| self.broken(format!("file record {i} does not exist")))?;
        let path = self
            .string(le32(r, 0), le32(r, 4))
            .map_err(|why| self.broken(format!("file record {i} has a path that {why}")))?;
        let bad = |what: String| self.broken(format!("file {} (record {i}) {what}", quote(path)));
        if let Some(why) = bad_path(path) {
            return Err(bad(format!("has a path that {why}")));
        }
        let blob = le32(r, 8);
        if blob as usize >= self.count(BLOBS) {
            return Err(bad(format!("names blob {blob}, past the {} blobs", self.count(BLOBS))));
        }
        if le32(r, 12) != 0 {
            return Err(bad("has a reserved field set".into()));
        }
        Ok((path, blob))
    }

    /// The first file record whose path is not below `key`.
    fn file_bound(&self, key: &str) -> Result<u32> {
        let (mut lo, mut hi) = (0u32, self.file_count());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.file_at(mid)?.0 < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    /// The record of the file at `path` (relative to the bundle's root), if there is one.
    pub fn file_record(&self, path: &str) -> Result<Option<u32>> {
        let i = self.file_bound(path)?;
        if i < self.file_count() && self.file_at(i)?.0 == path {
            return Ok(Some(i));
        }
        Ok(None)
    }

    /// The blob of the file at `path` (relative to the bundle's root), if there is one.
    pub fn file(&self, path: &str) -> Result<Option<u32>> {
        match self.file_record(path)? {
            Some(i) => self.file_at(i).map(|(_, blob)| Some(blob)),
            None => Ok(None),
        }
    }

    /// The file records under directory `dir` (`""`: every file), as a range of the sorted file table.
    pub fn files_under(&self, dir: &str) -> Result<Range<u32>> {
        if dir.is_empty() {
            return Ok(0..self.file_count());
        }
        let prefix = format!("{dir}/");
        let start = self.file_bound(&prefix)?;
        let mut end = start;
        while end < self.file_count() && self.file_at(end)?.0.starts_with(prefix.as_str()) {
            end += 1;
        }
        Ok(start..end)
    }

    /// The names directly in directory `dir` (`""`: the root): files and subdirectories, each once, sorted,
    /// as `importlib.resources` lists a package's contents.
    pub fn list_dir(&self, dir: &str) -> Result<Vec<&str>> {
        Ok(self.dir_children(dir)?.into_iter().map(|(name, _)| name).collect())
    }

    /// The names directly in the directory `dir` of the bundle's files, sorted, each once, and whether it is a
    /// directory (it holds files) rather than a file.
    pub fn dir_children(&self, dir: &str) -> Result<Vec<(&str, bool)>> {
        let skip = if dir.is_empty() { 0 } else { dir.len() + 1 };
        let mut names: Vec<(&str, bool)> = Vec::new();
        for i in self.files_under(dir)? {
            let rest = self.file_at(i)?.0.get(skip..).unwrap_or_default();
            let (first, is_dir) = match rest.split_once('/') {
                Some((first, _)) => (first, true),
                None => (rest, false),
            };
            if names.last().map(|(n, _)| *n) != Some(first) {
                names.push((first, is_dir));
            }
        }
        names.sort_unstable();
        names.dedup_by(|a, b| a.0 == b.0);
        Ok(names)
    }

    // ----- metadata -----

    /// The distribution metadata directories (`*.dist-info`, `*.egg-info`) and their files' records.
    pub fn metadata(&self) -> Result<Vec<(&str, Range<u32>)>> {
        (0..self.count(METADATA) as u32).map(|i| self.metadata_at(i)).collect()
    }

    fn metadata_at(&self, i: u32) -> Result<(&str, Range<u32>)> {
        let r = self.record(METADATA, i).ok_or_else(|| self.broken(format!("metadata record {i} does not exist")))?;
        let name = self
            .string(le32(r, 0), le32(r, 4))
            .map_err(|why| self.broken(format!("metadata record {i} has a name that {why}")))?;
        let (first, count) = (le32(r, 8), le32(r, 12));
        match first.checked_add(count).filter(|e| *e <= self.file_count()) {
            Some(end) if !name.is_empty() && !name.contains('/') && bad_path(name).is_none() => Ok((name, first..end)),
            _ => Err(self.broken(format!(
                "metadata directory {} (record {i}) is not one directory name, or names files {first}..+{count} past the {} files",
                quote(name),
                self.file_count()
            ))),
        }
    }

    // ----- blobs -----

    /// How many blobs the bundle holds.
    pub fn blob_count(&self) -> u32 {
        self.count(BLOBS) as u32
    }

    /// Blob record `i`, checked against the data section and the limits.
    pub fn blob_info(&self, i: u32) -> Result<BlobInfo> {
        let r = self.record(BLOBS, i).ok_or_else(|| self.broken(format!("blob {i} does not exist")))?;
        let b =
            BlobInfo { offset: le64(r, 0), stored: le32(r, 8), len: le32(r, 12), crc: le32(r, 16), compression: r[20] };
        let bad = |what: String| self.broken(format!("blob {i} {what}"));
        if r[21..24] != [0, 0, 0] {
            return Err(bad("has a reserved field set".into()));
        }
        if b.compression != STORED && b.compression != DEFLATE {
            return Err(bad(format!("has an unknown compression {}", b.compression)));
        }
        if b.stored as u64 > MAX_BUNDLE_BLOB_SIZE || b.len as u64 > MAX_BUNDLE_BLOB_SIZE {
            return Err(bad(format!(
                "records {} bytes, over the limit of {MAX_BUNDLE_BLOB_SIZE}",
                b.stored.max(b.len)
            )));
        }
        if b.compression == STORED && b.stored != b.len {
            return Err(bad(format!("is stored with two lengths, {} and {} bytes", b.stored, b.len)));
        }
        let data = self.sections[DATA];
        let inside = b.offset >= data.start as u64 && b.offset.saturating_add(b.stored as u64) <= data.end() as u64;
        if !inside {
            return Err(bad(format!(
                "lies at {}..+{}, outside the data section ({}..{})",
                b.offset,
                b.stored,
                data.start,
                data.end()
            )));
        }
        Ok(b)
    }

    /// The bytes of blob `i`: its stored bytes checked against their CRC-32, then inflated (to exactly the
    /// length it records, never more) if deflated. Stored bytes are lent in place.
    pub fn read_blob(&self, i: u32) -> Result<Cow<'_, [u8]>> {
        let b = self.blob_info(i)?;
        let start = b.offset as usize;
        let stored = self
            .bytes()
            .get(start..start + b.stored as usize)
            .ok_or_else(|| self.broken(format!("blob {i} lies outside the bundle")))?;
        let crc = crc32fast::hash(stored);
        if crc != b.crc {
            return Err(self.broken(format!(
                "blob {i} fails its CRC-32 check (recorded {:08x}, computed {crc:08x}): the bundle is corrupt",
                b.crc
            )));
        }
        if b.compression == STORED {
            return Ok(Cow::Borrowed(stored));
        }
        let bad = |what: String| self.broken(format!("blob {i} {what}"));
        match miniz_oxide::inflate::decompress_to_vec_with_limit(stored, b.len as usize) {
            Ok(out) if out.len() == b.len as usize => Ok(Cow::Owned(out)),
            Ok(out) => Err(bad(format!("inflates to {} bytes, not the {} it records", out.len(), b.len))),
            Err(e) if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
                Err(bad(format!("inflates past the {} bytes it records", b.len)))
            }
            Err(e) => Err(bad(format!("is not valid deflate data ({:?})", e.status))),
        }
    }

    /// The bytes of a module (its blob, read as [`Bundle::read_blob`] reads it), an error naming it.
    pub fn module_bytes(&self, m: &ModuleEntry) -> Result<Cow<'_, [u8]>> {
        let entry = format!("module {}", quote(m.name));
        let blob = m.blob.ok_or_else(|| self.broken(format!("{entry} has no bytes (a namespace package)")))?;
        self.read_blob(blob).map_err(|e| self.naming(e, &entry))
    }

    /// The bytes of a module's compiled code for `cache_tag` (blob `blob`, its code entry's), read as
    /// [`Bundle::read_blob`] reads it, an error naming the module and the tag.
    pub fn module_code(&self, m: &ModuleEntry, cache_tag: &str, blob: u32) -> Result<Cow<'_, [u8]>> {
        let entry = format!("module {}: code for {}", quote(m.name), quote(cache_tag));
        self.read_blob(blob).map_err(|e| self.naming(e, &entry))
    }

    /// The bytes of file record `i`, an error naming the file.
    pub fn file_bytes(&self, i: u32) -> Result<Cow<'_, [u8]>> {
        let (path, blob) = self.file_at(i)?;
        self.read_blob(blob).map_err(|e| self.naming(e, &format!("file {}", quote(path))))
    }

    /// An error about a blob, said of the entry it belongs to.
    fn naming(&self, e: Error, entry: &str) -> Error {
        let prefix = format!("bundle {}: ", quote(&self.label));
        let what = e.message().strip_prefix(prefix.as_str()).unwrap_or(e.message());
        Error::new(e.code(), format!("{prefix}{entry}: {what}"))
    }

    // ----- the whole -----

    /// The SHA-256 digest of the bundle's bytes (O(size)).
    pub fn digest(&self) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(self.bytes()).into()
    }

    /// The bundle, if its SHA-256 digest is `pinned`; else refused with `InvalidMount`, naming both digests.
    /// A host that pins a digest trusts the bundle's origin, not only its integrity (a CRC finds corruption,
    /// not tampering).
    pub fn pinned(self, pinned: &[u8; 32]) -> Result<Bundle> {
        let digest = self.digest();
        if digest != *pinned {
            return Err(Error::new(
                ErrorCode::InvalidMount,
                format!(
                    "bundle {}: its SHA-256 digest is {}, not the pinned {}: refused",
                    quote(&self.label),
                    hex(&digest),
                    hex(pinned)
                ),
            ));
        }
        Ok(self)
    }

    /// Checks that the modules' runs of code entries follow one another and cover the code table (O(modules),
    /// reading the records only): before anything walks every module's code (a listing), so that bundles
    /// whose records each claim the whole table cannot make that walk quadratic.
    pub fn check_code_runs(&self) -> Result<()> {
        let mut next = 0u32;
        for i in 0..self.module_count() {
            let r = self.record(MODULES, i).ok_or_else(|| self.broken(format!("module record {i} does not exist")))?;
            let (first, count) = (le32(r, 24), le32(r, 28));
            if first != next {
                return Err(self.broken(format!(
                    "module record {i} has code entries {first}..+{count}, which do not follow the previous module's (at {next})"
                )));
            }
            next = first.checked_add(count).filter(|e| *e as usize <= self.count(CODE)).ok_or_else(|| {
                self.broken(format!(
                    "module record {i} has code entries {first}..+{count}, past the {} entries",
                    self.count(CODE)
                ))
            })?;
        }
        if next as usize != self.count(CODE) {
            return Err(self.broken("has code entries that belong to no module"));
        }
        Ok(())
    }

    /// Checks the whole bundle (O(size)): the CRC of its tables, every record, that modules, files, code
    /// runs and metadata are sorted and consistent, that the index finds every module and nothing else,
    /// that the blobs tile the data section and each is used and reads back (CRC, inflation). A bundle that
    /// passes has every byte accounted for: any change to it is found here or at open.
    pub fn verify(&self) -> Result<()> {
        let data = self.sections[DATA];
        let tables = self.bytes().get(TABLES_START..data.start).unwrap_or_default();
        let recorded = self.bytes().get(24..28).map_or(0, |r| le32(r, 0));
        let crc = crc32fast::hash(tables);
        if crc != recorded {
            return Err(self.broken(format!(
                "its tables fail their CRC-32 check (recorded {recorded:08x}, computed {crc:08x}): the bundle is corrupt"
            )));
        }
        // The runs of code entries follow one another and cover the table (checked once, here).
        self.check_code_runs()?;
        let mut used = vec![false; self.count(BLOBS)];
        let mut previous: Option<&str> = None;
        for i in 0..self.module_count() {
            let m = self.module(i)?;
            if previous.is_some_and(|p| p >= m.name) {
                return Err(self.broken(format!("module {} (record {i}) is out of name order", quote(m.name))));
            }
            previous = Some(m.name);
            let mut tag_before: Option<&str> = None;
            for (tag, blob) in self.code_entries(&m)? {
                if tag.is_empty() || tag_before.is_some_and(|t| t >= tag) {
                    return Err(self.broken(format!(
                        "module {} has an empty or unsorted cache tag {}",
                        quote(m.name),
                        quote(tag)
                    )));
                }
                tag_before = Some(tag);
                used[blob as usize] = true;
            }
            if let Some(blob) = m.blob {
                used[blob as usize] = true;
                if self.file(m.path)? != Some(blob) {
                    return Err(self.broken(format!(
                        "module {} has bytes that are not those of its file {}",
                        quote(m.name),
                        quote(m.path)
                    )));
                }
            }
            if self.find(m.name)?.map(|f| f.number) != Some(i) {
                return Err(self.broken(format!("module {} is not found through the index", quote(m.name))));
            }
        }
        let slots = self.section(INDEX).get(INDEX_HEAD_LEN..).unwrap_or_default();
        let filled = slots.chunks_exact(SLOT_LEN).filter(|s| le32(s, 0) != 0).count();
        if filled != self.count(MODULES) {
            return Err(self.broken(format!("has {filled} filled index slots for {} modules", self.count(MODULES))));
        }
        let mut previous: Option<&str> = None;
        for i in 0..self.file_count() {
            let (path, blob) = self.file_at(i)?;
            if previous.is_some_and(|p| p >= path) {
                return Err(self.broken(format!("file {} (record {i}) is out of path order", quote(path))));
            }
            previous = Some(path);
            used[blob as usize] = true;
        }
        let paths: Vec<&str> =
            (0..self.file_count()).map(|i| self.file_at(i).map(|(p, _)| p)).collect::<Result<_>>()?;
        if let Some((inner, outer)) = file_inside_file(paths.iter().copied()) {
            return Err(self.broken(format!("file {} lies inside another file, {}", quote(inner), quote(outer))));
        }
        let mut previous: Option<&str> = None;
        for (name, files) in self.metadata()? {
            if previous.is_some_and(|p| p >= name) {
                return Err(self.broken(format!("metadata directory {} is out of order", quote(name))));
            }
            previous = Some(name);
            if self.files_under(name)? != files {
                return Err(self.broken(format!("metadata directory {} names files that are not its own", quote(name))));
            }
        }
        let mut next = data.start as u64;
        for i in 0..self.blob_count() {
            let b = self.blob_info(i)?;
            if b.offset != next {
                return Err(self.broken(format!("blob {i} does not start where the blob before it ends ({next})")));
            }
            next += b.stored as u64;
            if !used[i as usize] {
                return Err(self.broken(format!("blob {i} is used by no module, code entry or file")));
            }
            self.read_blob(i)?;
        }
        if next != data.end() as u64 {
            return Err(self.broken("has bytes in its data section that belong to no blob"));
        }
        Ok(())
    }
}

/// Checks the header, the section table and the index's head; gives where the sections lie and the slot
/// count. O(1): nothing per module.
fn check_head(b: &[u8]) -> std::result::Result<([Span; 8], usize), String> {
    if b.len() < MAGIC.len() || &b[..MAGIC.len()] != MAGIC {
        return Err("is not an importkit bundle (no IKBUNDL magic at its start)".into());
    }
    if b.len() < TABLES_START {
        return Err(format!(
            "is truncated: {} bytes, shorter than its header and section table ({TABLES_START})",
            b.len()
        ));
    }
    let version = le16(b, 8);
    if version != VERSION {
        return Err(format!("has format version {version}; this importkit reads version {VERSION}"));
    }
    let (flags, header_len, count) = (le16(b, 10), le32(b, 12), le32(b, 16));
    if flags != 0 {
        return Err(format!("has flags 0x{flags:04x}, which version 1 does not define"));
    }
    if header_len as usize != HEADER_LEN || count as usize != SECTIONS.len() {
        return Err(format!(
            "has a header of {header_len} bytes and {count} sections; version 1 has {HEADER_LEN} and {}",
            SECTIONS.len()
        ));
    }
    if le32(b, 28) != 0 {
        return Err("has a reserved header field set".into());
    }
    let total = le64(b, 32);
    if total != b.len() as u64 {
        return Err(format!(
            "says it is {total} bytes long but is {} bytes (truncated, or with bytes after it)",
            b.len()
        ));
    }
    let recorded = le32(b, 20);
    let crc = header_crc(&b[..TABLES_START]);
    if crc != recorded {
        return Err(format!("fails its header CRC-32 check (recorded {recorded:08x}, computed {crc:08x})"));
    }
    let mut sections = [Span::default(); 8];
    let mut expected = TABLES_START as u64;
    for (k, name) in SECTIONS.iter().enumerate() {
        let e = &b[HEADER_LEN + k * SECTION_ENTRY_LEN..][..SECTION_ENTRY_LEN];
        let (kind, reserved, offset, len) = (le32(e, 0), le32(e, 4), le64(e, 8), le64(e, 16));
        if kind as usize != k + 1 || reserved != 0 {
            return Err(format!(
                "has section {k} of kind {kind}, where version 1 has the {name} section (kind {})",
                k + 1
            ));
        }
        if offset != expected {
            return Err(format!("has its {name} section at {offset}, not at {expected} where it must start"));
        }
        let end = offset.checked_add(len).filter(|e| *e <= total);
        let Some(end) = end else {
            return Err(format!("has its {name} section ({offset}..+{len}) run past its end ({total})"));
        };
        if RECORD_LEN[k] != 0 && len % RECORD_LEN[k] as u64 != 0 {
            return Err(format!(
                "has a {name} section of {len} bytes, not a whole number of {}-byte records",
                RECORD_LEN[k]
            ));
        }
        if RECORD_LEN[k] != 0 && len / RECORD_LEN[k] as u64 >= u32::MAX as u64 {
            return Err(format!("has too many records in its {name} section"));
        }
        if len > u32::MAX as u64 && k != DATA {
            return Err(format!("has a {name} section over 4 GiB"));
        }
        sections[k] = Span { start: offset as usize, len: len as usize };
        expected = align8(end);
        if k == DATA && end != total {
            return Err(format!("has bytes after its data section ({end} of {total})"));
        }
    }
    let index = sections[INDEX];
    if index.len < INDEX_HEAD_LEN {
        return Err("has an index section too short for its head".into());
    }
    let head = &b[index.start..index.start + INDEX_HEAD_LEN];
    let slots = le32(head, 0) as usize;
    let modules = sections[MODULES].len / MODULE_LEN;
    if !slots.is_power_of_two() || le32(head, 4) != 0 {
        return Err(format!("has an index of {slots} slots, not a power of two (or a reserved field set)"));
    }
    if index.len != INDEX_HEAD_LEN + slots * SLOT_LEN {
        return Err(format!(
            "has an index section of {} bytes, not the {} its {slots} slots take",
            index.len,
            INDEX_HEAD_LEN + slots * SLOT_LEN
        ));
    }
    if slots <= modules {
        return Err(format!("has an index of {slots} slots for {modules} modules (it needs more slots than modules)"));
    }
    Ok((sections, slots))
}

#[cfg(test)]
mod tests {
    use super::{bad_name, bad_path};

    /// The rules as written in docs/BUNDLE.md, checked the plain way.
    fn name_is_bad(name: &str) -> bool {
        name.contains(['\0', '/', '\\']) || (!name.is_empty() && name.split('.').any(str::is_empty))
    }

    fn path_is_bad(path: &str) -> bool {
        path.contains(['\0', '\\'])
            || (!path.is_empty() && path.split('/').any(|s| s.is_empty() || s == "." || s == ".."))
    }

    /// Every string of up to 5 characters over an alphabet with each character that matters.
    #[test]
    fn the_one_pass_checks_agree_with_the_rules() {
        let alphabet = ['a', '.', '/', '\\', '\0', 'é'];
        let mut strings = vec![String::new()];
        let mut last = strings.clone();
        for _ in 0..5 {
            last = last.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
            strings.extend(last.iter().cloned());
        }
        assert!(strings.len() > 5000);
        for s in &strings {
            assert_eq!(bad_name(s).is_some(), name_is_bad(s), "name {s:?}");
            assert_eq!(bad_path(s).is_some(), path_is_bad(s), "path {s:?}");
        }
    }
}
