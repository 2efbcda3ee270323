//! The bundle builder: modules, files (module files and resources), compiled code per cache tag and
//! distribution metadata in, the bytes of one bundle out (docs/BUNDLE.md).
//!
//! Deterministic: the same inputs give the same bytes, whatever order they were added in. Modules are
//! sorted by name, files by path, code entries by cache tag; strings and blobs are laid out in that order,
//! each distinct string and each distinct content once; padding is zero; there is no timestamp. (A deflated
//! blob is as the linked miniz_oxide writes it at level 6: the same importkit gives the same bytes.)

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;

use super::format::{
    align8, bad_name, bad_path, file_inside_file, fnv1a, header_crc, kind_code, path_fits, BLOB_LEN, DEFLATE,
    FLAG_PACKAGE, HEADER_LEN, MAGIC, MAX_PROBE, NO_BLOB, SECTIONS, SECTION_ENTRY_LEN, SLOT_LEN, STORED, TABLES_START,
    VERSION,
};
use super::sources::{check_excludes, Reading};
use crate::error::{quote, Error, ErrorCode, Result};
use crate::finders::memory::{MountFile, MountedTree};
use crate::limits::MAX_BUNDLE_BLOB_SIZE;
use crate::profile::Profile;
use crate::spec::ModuleKind;

/// One module for a bundle: its name relative to the bundle's root (`""` for the root package, which a
/// bundle mounted under a name serves as that name), the path of its file (for a namespace package, its
/// directory), its kind and package flag, its bytes and its compiled code per cache tag.
#[derive(Debug, Clone)]
pub struct BundleModule {
    name: String,
    path: String,
    kind: ModuleKind,
    is_package: bool,
    source: Option<Vec<u8>>,
    code: BTreeMap<String, Vec<u8>>,
}

impl BundleModule {
    /// A module whose file is `path` (its bytes given with [`BundleModule::source`], or added as a file).
    pub fn new(name: &str, path: &str, kind: ModuleKind, is_package: bool) -> BundleModule {
        BundleModule {
            name: name.to_owned(),
            path: path.to_owned(),
            kind,
            is_package,
            source: None,
            code: BTreeMap::new(),
        }
    }

    /// The module's bytes (its file's: source text, or a compiled file for a bytecode module).
    pub fn source(mut self, bytes: impl Into<Vec<u8>>) -> BundleModule {
        self.source = Some(bytes.into());
        self
    }

    /// Compiled code for `cache_tag` (`cpython-311`, `luajit-2.1`): the host's bytes, kept as given.
    pub fn code(mut self, cache_tag: &str, bytes: impl Into<Vec<u8>>) -> BundleModule {
        self.code.insert(cache_tag.to_owned(), bytes.into());
        self
    }
}

/// Collects what a bundle holds and writes it ([`BundleBuilder::build`]).
#[derive(Debug, Clone, Default)]
pub struct BundleBuilder {
    modules: BTreeMap<String, BundleModule>,
    files: BTreeMap<String, Vec<u8>>,
    metadata: BTreeSet<String>,
    compress: bool,
}

fn refused(what: String) -> Error {
    Error::invalid_argument(format!("bundle builder: {what}"))
}

fn check_blob(what: &str, len: usize) -> Result<()> {
    if len as u64 > MAX_BUNDLE_BLOB_SIZE {
        return Err(refused(format!("{what} is {len} bytes, over the limit of {MAX_BUNDLE_BLOB_SIZE}")));
    }
    Ok(())
}

/// Checks compiled code for `tag` of the module `shown` (quoted).
fn check_code(shown: &str, tag: &str, code: &[u8]) -> Result<()> {
    if tag.is_empty() || tag.contains('\0') {
        return Err(refused(format!("module {shown} has an empty cache tag, or one with a NUL")));
    }
    check_blob(&format!("the code of module {shown} for {}", quote(tag)), code.len())
}

/// The mount point a tree is classified under (any valid top-level name would do: a mount's rules do not
/// depend on it); its modules' names are then taken relative to it.
const TREE_POINT: &str = "_";

impl BundleBuilder {
    pub fn new() -> BundleBuilder {
        BundleBuilder::default()
    }

    /// Whether blobs are deflated where that makes them smaller (off by default: stored blobs are lent in
    /// place, deflated ones are inflated at each read).
    pub fn compress(&mut self, on: bool) -> &mut Self {
        self.compress = on;
        self
    }

    /// A bundle of a tree of files, modules told apart as a mount under `profile` tells them (the same
    /// suffixes, init files, namespace directories and precedence), every file kept (module files and
    /// resources alike), and top-level `*.dist-info` / `*.egg-info` directories kept as metadata.
    pub fn from_tree(files: Vec<MountFile>, profile: &Profile) -> Result<BundleBuilder> {
        let mut b = BundleBuilder::new();
        b.add_tree(files, profile)?;
        Ok(b)
    }

    /// Adds a tree of files as [`BundleBuilder::from_tree`] classifies one, beside what the builder holds (a
    /// module or file given twice is refused, as [`BundleBuilder::add_module`] and `add_file` refuse it).
    pub fn add_tree(&mut self, files: Vec<MountFile>, profile: &Profile) -> Result<&mut Self> {
        let tree = MountedTree::build(TREE_POINT, files, profile, None)
            .map_err(|e| Error::new(e.code(), e.message().replace(&format!("mount '{TREE_POINT}'"), "bundle tree")))?;
        let paths: Vec<&str> = tree.files().map(|(p, _)| p).collect();
        for (path, bytes) in tree.files() {
            self.add_file(path, bytes.to_vec())?;
            let top = path.split('/').next().unwrap_or(path);
            if top.len() < path.len() && (top.ends_with(".dist-info") || top.ends_with(".egg-info")) {
                self.metadata.insert(top.to_owned());
            }
        }
        let prefix = format!("{TREE_POINT}.");
        for (spec, file) in tree.modules() {
            let name =
                if spec.name() == TREE_POINT { "" } else { spec.name().strip_prefix(&prefix).unwrap_or(spec.name()) };
            let path = match file {
                Some(i) => paths[i].to_owned(),
                None => {
                    let logical = spec.origin().strip_prefix("memory:/").unwrap_or_default();
                    logical.strip_prefix(TREE_POINT).unwrap_or_default().trim_start_matches('/').to_owned()
                }
            };
            self.add_module(BundleModule::new(name, &path, spec.kind(), spec.is_package()))?;
        }
        Ok(self)
    }

    /// Adds the files of the directory `dir` as one tree ([`BundleBuilder::add_tree`]), read as a build reads a
    /// directory source (`sources.rs`: links inside it followed, names matching `excludes` left out).
    pub fn add_dir(&mut self, dir: &str, excludes: &[String], profile: &Profile) -> Result<&mut Self> {
        check_excludes(excludes)?;
        let files = Reading { excludes, skip: Vec::new() }.directory(dir)?;
        self.add_tree(files, profile)
    }

    /// Adds compiled code for `cache_tag` to the module `name` (added already; not a namespace package),
    /// replacing code it had for that tag.
    pub fn add_code(&mut self, name: &str, cache_tag: &str, code: impl Into<Vec<u8>>) -> Result<&mut Self> {
        let shown = quote(name);
        let Some(m) = self.modules.get_mut(name) else {
            return Err(refused(format!("module {shown} is not in the bundle (add it before its code)")));
        };
        if m.kind == ModuleKind::Namespace {
            return Err(refused(format!("namespace package {shown} has no code")));
        }
        let code = code.into();
        check_code(&shown, cache_tag, &code)?;
        m.code.insert(cache_tag.to_owned(), code);
        Ok(self)
    }

    /// Adds a module (its bytes, if given, become the file at its path).
    pub fn add_module(&mut self, module: BundleModule) -> Result<&mut Self> {
        let shown = quote(&module.name);
        if let Some(why) = bad_name(&module.name) {
            return Err(refused(format!("module name {shown} {why}")));
        }
        if let Some(why) = bad_path(&module.path) {
            return Err(refused(format!("module {shown} has a path {} that {why}", quote(&module.path))));
        }
        if kind_code(module.kind).is_none() {
            return Err(refused(format!("module {shown} is native: natives are registered, not bundled")));
        }
        if !path_fits(&module.name, &module.path, module.kind, module.is_package) {
            return Err(refused(format!(
                "module {shown} has a path {} that is not where its name puts it (a module `a.b` is `a/b.<suffix>`, \
                 a package `a/b/<init file>`, a namespace package `a/b`)",
                quote(&module.path)
            )));
        }
        if module.kind == ModuleKind::Namespace {
            if !module.is_package || module.source.is_some() || !module.code.is_empty() {
                return Err(refused(format!("namespace package {shown} must be a package without bytes or code")));
            }
        } else if module.path.is_empty() {
            return Err(refused(format!("module {shown} has an empty path")));
        }
        if self.modules.contains_key(&module.name) {
            return Err(refused(format!("module {shown} is given twice")));
        }
        for (tag, code) in &module.code {
            check_code(&shown, tag, code)?;
        }
        let mut module = module;
        if let Some(source) = module.source.take() {
            self.add_file(&module.path.clone(), source)?;
        }
        self.modules.insert(module.name.clone(), module);
        Ok(self)
    }

    /// Adds a file at `path` (relative to the bundle's root): a resource of the package whose directory
    /// holds it, or a module's file. The same path twice is refused unless with the same bytes.
    pub fn add_file(&mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Result<&mut Self> {
        if let Some(why) = bad_path(path).or(path.is_empty().then_some("is empty")) {
            return Err(refused(format!("file path {} {why}", quote(path))));
        }
        let bytes = bytes.into();
        check_blob(&format!("file {}", quote(path)), bytes.len())?;
        match self.files.entry(path.to_owned()) {
            std::collections::btree_map::Entry::Occupied(old) if *old.get() != bytes => {
                Err(refused(format!("file {} is given twice", quote(path))))
            }
            std::collections::btree_map::Entry::Occupied(_) => Ok(self),
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(bytes);
                Ok(self)
            }
        }
    }

    /// Adds resource `relative` of `package` (a package added already): the file at the package's
    /// directory joined with `relative`.
    pub fn add_resource(&mut self, package: &str, relative: &str, bytes: impl Into<Vec<u8>>) -> Result<&mut Self> {
        let m = self.modules.get(package).filter(|m| m.is_package);
        let Some(m) = m else { return Err(refused(format!("{} is not a package of the bundle", quote(package)))) };
        let dir = if m.kind == ModuleKind::Namespace {
            m.path.as_str()
        } else {
            m.path.rsplit_once('/').map_or("", |(d, _)| d)
        };
        let path = if dir.is_empty() { relative.to_owned() } else { format!("{dir}/{relative}") };
        self.add_file(&path, bytes)
    }

    /// Adds a distribution metadata directory (`name-1.0.dist-info`, `name.egg-info`) at the bundle's root
    /// with its files (relative paths inside it: `METADATA`, `RECORD`).
    pub fn add_metadata(&mut self, dir: &str, files: Vec<(String, Vec<u8>)>) -> Result<&mut Self> {
        if dir.contains('/') || bad_path(dir).is_some() || !(dir.ends_with(".dist-info") || dir.ends_with(".egg-info"))
        {
            return Err(refused(format!(
                "metadata directory {} is not one name ending in .dist-info or .egg-info",
                quote(dir)
            )));
        }
        for (rel, bytes) in files {
            self.add_file(&format!("{dir}/{rel}"), bytes)?;
        }
        self.metadata.insert(dir.to_owned());
        Ok(self)
    }

    /// The modules added so far, sorted by name: each name (relative to the bundle's root, `""` for the root
    /// package), kind and package flag. What a host that compiles walks to add each source module's code.
    pub fn modules(&self) -> impl Iterator<Item = (&str, ModuleKind, bool)> {
        self.modules.values().map(|m| (m.name.as_str(), m.kind, m.is_package))
    }

    /// The bundle's bytes.
    pub fn build(&self) -> Result<Vec<u8>> {
        for m in self.modules.values() {
            let has_file = self.files.contains_key(&m.path);
            if m.kind == ModuleKind::Namespace && has_file {
                return Err(refused(format!(
                    "namespace package {} has a file at its directory {}",
                    quote(&m.name),
                    quote(&m.path)
                )));
            }
            if m.kind != ModuleKind::Namespace && !has_file {
                return Err(refused(format!("module {} has no bytes (no file at {})", quote(&m.name), quote(&m.path))));
            }
        }
        if let Some((inner, outer)) = file_inside_file(self.files.keys().map(String::as_str)) {
            return Err(refused(format!("file {} lies inside file {}", quote(inner), quote(outer))));
        }
        let mut strings = Strings::default();
        let mut blobs = Blobs { compress: self.compress, ..Blobs::default() };
        let mut file_blob: FxHashMap<&str, u32> = FxHashMap::default();
        // Each module's name and path side by side (a lookup reads both: one cache line, as a rule), then
        // the other files' paths.
        for m in self.modules.values() {
            strings.add(&m.name)?;
            strings.add(&m.path)?;
        }
        let mut files = Vec::with_capacity(self.files.len() * 16);
        for (path, bytes) in &self.files {
            let (at, len) = strings.add(path)?;
            let blob = blobs.add(bytes)?;
            file_blob.insert(path, blob);
            for v in [at, len, blob, 0] {
                files.extend_from_slice(&v.to_le_bytes());
            }
        }
        let mut modules = Vec::with_capacity(self.modules.len() * 32);
        let mut code = Vec::new();
        let mut code_count = 0u32;
        for m in self.modules.values() {
            let (name_at, name_len) = strings.add(&m.name)?;
            let (path_at, path_len) = strings.add(&m.path)?;
            let blob = if m.kind == ModuleKind::Namespace { NO_BLOB } else { file_blob[m.path.as_str()] };
            let first = code_count;
            for (tag, bytes) in &m.code {
                let (tag_at, tag_len) = strings.add(tag)?;
                let b = blobs.add(bytes)?;
                for v in [tag_at, tag_len, b, 0] {
                    code.extend_from_slice(&v.to_le_bytes());
                }
                code_count = code_count.checked_add(1).ok_or_else(|| refused("too many code entries".into()))?;
            }
            for v in [name_at, name_len, path_at, path_len] {
                modules.extend_from_slice(&v.to_le_bytes());
            }
            let flags = if m.is_package { FLAG_PACKAGE } else { 0 };
            modules.extend_from_slice(&[kind_code(m.kind).unwrap_or(0), flags, 0, 0]);
            for v in [blob, first, code_count - first] {
                modules.extend_from_slice(&v.to_le_bytes());
            }
        }
        let mut metadata = Vec::new();
        let paths: Vec<&str> = self.files.keys().map(String::as_str).collect();
        for dir in &self.metadata {
            let (at, len) = strings.add(dir)?;
            let prefix = format!("{dir}/");
            let first = paths.partition_point(|p| *p < prefix.as_str());
            let count = paths[first..].iter().take_while(|p| p.starts_with(prefix.as_str())).count();
            for v in [at, len, first as u32, count as u32] {
                metadata.extend_from_slice(&v.to_le_bytes());
            }
        }
        let index = index(self.modules.keys().map(String::as_str))?;
        let counts_fit = self.modules.len() < u32::MAX as usize && self.files.len() < u32::MAX as usize;
        if !counts_fit || blobs.records.len() / BLOB_LEN >= u32::MAX as usize {
            return Err(refused("too many modules, files or blobs for one bundle".into()));
        }
        let sections: [&[u8]; 8] = [&strings.bytes, &modules, &index, &code, &files, &metadata, &blobs.records, &[]];
        // The blobs' records hold their offsets: the data section starts after the others, aligned.
        let mut spans = [(0u64, 0u64); 8];
        let mut at = TABLES_START as u64;
        for (k, s) in sections.iter().enumerate().take(7) {
            spans[k] = (at, s.len() as u64);
            at = align8(at + s.len() as u64);
        }
        spans[7] = (at, blobs.data.len() as u64);
        let data_start = at;
        let total = data_start + blobs.data.len() as u64;
        let mut out = vec![0u8; total as usize];
        out[..8].copy_from_slice(MAGIC);
        out[8..10].copy_from_slice(&VERSION.to_le_bytes());
        out[12..16].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
        out[16..20].copy_from_slice(&(SECTIONS.len() as u32).to_le_bytes());
        out[32..40].copy_from_slice(&total.to_le_bytes());
        for (k, (offset, len)) in spans.iter().enumerate() {
            let e = HEADER_LEN + k * SECTION_ENTRY_LEN;
            out[e..e + 4].copy_from_slice(&(k as u32 + 1).to_le_bytes());
            out[e + 8..e + 16].copy_from_slice(&offset.to_le_bytes());
            out[e + 16..e + 24].copy_from_slice(&len.to_le_bytes());
            if k < 7 {
                out[*offset as usize..(*offset + *len) as usize].copy_from_slice(sections[k]);
            }
        }
        // Blob offsets are from the start of the bundle: fill them in now that the data section is placed.
        let records = spans[6].0 as usize;
        for i in 0..blobs.records.len() / BLOB_LEN {
            let r = records + i * BLOB_LEN;
            let offset = u64::from_le_bytes(out[r..r + 8].try_into().expect("8 bytes")) + data_start;
            out[r..r + 8].copy_from_slice(&offset.to_le_bytes());
        }
        out[data_start as usize..].copy_from_slice(&blobs.data);
        let tables_crc = crc32fast::hash(&out[TABLES_START..data_start as usize]);
        out[24..28].copy_from_slice(&tables_crc.to_le_bytes());
        let crc = header_crc(&out[..TABLES_START]);
        out[20..24].copy_from_slice(&crc.to_le_bytes());
        Ok(out)
    }
}

/// The strings section: each distinct string once, followed by a NUL, in the order first added.
#[derive(Default)]
struct Strings {
    bytes: Vec<u8>,
    at: FxHashMap<String, u32>,
}

impl Strings {
    fn add(&mut self, s: &str) -> Result<(u32, u32)> {
        let len = s.len() as u32;
        if let Some(&at) = self.at.get(s) {
            return Ok((at, len));
        }
        let at = u32::try_from(self.bytes.len())
            .ok()
            .filter(|at| (*at as u64) + (s.len() as u64) < u32::MAX as u64)
            .ok_or_else(|| refused("the names and paths of a bundle hold at most 4 GiB".into()))?;
        self.bytes.extend_from_slice(s.as_bytes());
        self.bytes.push(0);
        self.at.insert(s.to_owned(), at);
        Ok((at, len))
    }
}

/// The blobs section (records with offsets relative to the data section until it is placed) and the data.
#[derive(Default)]
struct Blobs {
    records: Vec<u8>,
    data: Vec<u8>,
    /// The blobs by the length and CRC-32 of their raw bytes (equal bytes are stored once; a match is
    /// compared in full).
    by_content: FxHashMap<(usize, u32), Vec<u32>>,
    compress: bool,
}

impl Blobs {
    /// The raw bytes of blob `i` (its stored bytes, inflated if they are deflated).
    fn raw(&self, i: u32) -> std::borrow::Cow<'_, [u8]> {
        let r = &self.records[i as usize * BLOB_LEN..][..BLOB_LEN];
        let offset = u64::from_le_bytes(r[..8].try_into().expect("8 bytes")) as usize;
        let stored = u32::from_le_bytes(r[8..12].try_into().expect("4 bytes")) as usize;
        let bytes = &self.data[offset..offset + stored];
        if r[20] == DEFLATE {
            miniz_oxide::inflate::decompress_to_vec(bytes).map_or(std::borrow::Cow::Borrowed(&[][..]), Into::into)
        } else {
            bytes.into()
        }
    }

    fn add(&mut self, raw: &[u8]) -> Result<u32> {
        let key = (raw.len(), crc32fast::hash(raw));
        if let Some(same) = self.by_content.get(&key).and_then(|c| c.iter().find(|&&i| *self.raw(i) == *raw)) {
            return Ok(*same);
        }
        let i = (self.records.len() / BLOB_LEN) as u32;
        let deflated =
            self.compress.then(|| miniz_oxide::deflate::compress_to_vec(raw, 6)).filter(|d| d.len() < raw.len());
        let (stored, compression) = match &deflated {
            Some(d) => (&d[..], DEFLATE),
            None => (raw, STORED),
        };
        let offset = self.data.len() as u64;
        self.records.extend_from_slice(&offset.to_le_bytes());
        self.records.extend_from_slice(&(stored.len() as u32).to_le_bytes());
        self.records.extend_from_slice(&(raw.len() as u32).to_le_bytes());
        self.records.extend_from_slice(&crc32fast::hash(stored).to_le_bytes());
        self.records.extend_from_slice(&[compression, 0, 0, 0]);
        self.data.extend_from_slice(stored);
        self.by_content.entry(key).or_default().push(i);
        Ok(i)
    }
}

/// The index section over the module names (in record order): a power-of-two slot count above the module
/// count and at least 4/3 of it, then slots of (record + 1, the hash's high 32 bits), linear probing from
/// the hash's low bits. Every module must lie within `MAX_PROBE` slots of its home slot (a lookup probes no
/// further): where one would not, the slot count doubles and the index is laid out again; names that crowd
/// even an index of 64 slots per module are refused.
fn index<'a>(names: impl ExactSizeIterator<Item = &'a str> + Clone) -> Result<Vec<u8>> {
    let n = names.len();
    let mut slots = 4usize;
    while slots <= n || slots * 3 < n * 4 {
        slots *= 2;
    }
    loop {
        if let Some(out) = lay_out_index(names.clone(), slots) {
            return Ok(out);
        }
        slots *= 2;
        if slots > n.max(1) * 64 || slots > (u32::MAX as usize) / 2 {
            return Err(refused(format!(
                "the {n} module names crowd the index: some name lies more than {MAX_PROBE} slots from its \
                 home even with {slots} slots (names chosen to collide under FNV-1a?)"
            )));
        }
    }
}

/// The index over `names` in `slots` slots, or `None` if a name would lie `MAX_PROBE` slots or more from
/// its home slot.
fn lay_out_index<'a>(names: impl Iterator<Item = &'a str>, slots: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; 8 + slots * SLOT_LEN];
    out[..4].copy_from_slice(&(slots as u32).to_le_bytes());
    let mask = slots - 1;
    for (i, name) in names.enumerate() {
        let h = fnv1a(name.as_bytes());
        let mut at = h as usize & mask;
        let mut distance = 0;
        while out[8 + at * SLOT_LEN..][..4] != [0; 4] {
            at = (at + 1) & mask;
            distance += 1;
            if distance >= MAX_PROBE {
                return None;
            }
        }
        let slot = &mut out[8 + at * SLOT_LEN..][..SLOT_LEN];
        slot[..4].copy_from_slice(&(i as u32 + 1).to_le_bytes());
        slot[4..].copy_from_slice(&((h >> 32) as u32).to_le_bytes());
    }
    Some(out)
}

/// Writes `bytes` to the file at `path` atomically: to a new temporary file in the same directory, flushed
/// to disk, then renamed over `path` (a reader opens the old file or the new one, never a part of one). The
/// temporary file is removed if anything fails. Errors name the file.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let shown = quote(&path.display().to_string());
    let fail =
        |what: &str, e: std::io::Error| Error::new(ErrorCode::Io, format!("cannot write bundle {shown}: {what}: {e}"));
    let name = path.file_name().ok_or_else(|| fail("it names no file", std::io::Error::other("no file name")))?;
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut tmp_name = name.to_os_string();
    tmp_name.push(format!(".tmp-{}-{n}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| fail("creating a temporary file", e))?;
        file.write_all(bytes).map_err(|e| fail("writing", e))?;
        file.sync_all().map_err(|e| fail("flushing", e))?;
        std::fs::rename(&tmp, path).map_err(|e| fail("renaming the temporary file over it", e))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
