//! Memory mounts: a tree of (relative path, bytes) mounted under a top-level name or at the root, served as
//! a meta-path finder. Mounted trees together form one logical tree: a mount answers for a dotted name by
//! its path in that tree (`a.b` is `a/b.py`, `a/b/__init__.py` or the directory `a/b/`).
//!
//! The tree is indexed once, when it is mounted, by module name; finding is one hash lookup and never
//! touches a file's bytes.

use std::borrow::Cow;
use std::sync::Arc;

use hashbrown::HashTable;
use rustc_hash::FxHashSet;

use super::protocol::{Finder, Found, ModuleInfo, Query};
use super::source::{ModuleBytes, Resource, Source};
use super::trace::Trace;
use crate::error::{Attempt, Error, ErrorCode, HostError, Result};
use crate::limits::{MAX_PATH_LEN, MAX_SHOWN_PATH};
use crate::name;
use crate::name_map::hash;
use crate::profile::Profile;
use crate::spec::{ModuleKind, ModuleSpec};

/// One file handed to a mount.
#[derive(Clone)]
pub struct MountFile {
    /// Relative path inside the mount, `/`-separated (`core/player.py`).
    pub path: String,
    /// The bytes: owned (copied), or borrowed for as long as the mount lives (the C layer's borrow mode,
    /// with a guard that gives them back).
    pub data: Cow<'static, [u8]>,
}

impl MountFile {
    pub fn new(path: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        MountFile { path: path.into(), data: Cow::Owned(data.into()) }
    }
}

/// A module of the index (16 bytes, one slot of the table): its spec, made once when the tree is mounted,
/// where its name is in the tree's names, and the file behind it.
#[derive(Clone)]
struct Entry {
    spec: Arc<ModuleSpec>,
    /// Where the name starts in [`MountedTree::names`].
    name_at: u32,
    /// The file behind the module; [`NO_FILE`] for a namespace directory.
    file: u32,
}

/// A module of the index before it has a place: its spec, the file and its rank within one name (packages,
/// then modules in suffix order, then namespace directories).
struct Candidate {
    spec: Arc<ModuleSpec>,
    file: u32,
    rank: u32,
}

const NO_FILE: u32 = u32::MAX;

/// An entry's hash, when the index grows.
fn rehash(e: &Entry) -> u64 {
    hash(e.spec.name().as_bytes())
}

/// A mounted tree and its index.
pub struct MountedTree {
    point: String,
    data: Vec<Cow<'static, [u8]>>,
    /// The paths of the files inside the mount, one after another (for resources); `path_ends[i]` is where
    /// file `i`'s path ends.
    paths: String,
    path_ends: Vec<u32>,
    /// Module name -> entry, laid out for the cache: a SwissTable whose slots are the entries (16 bytes), the
    /// names compared in [`MountedTree::names`], so a lookup reads the tags, one slot, the name (from a dense
    /// array, in tree order) and the line of the spec it hands out that holds its count.
    index: HashTable<Entry>,
    /// The names of the index, one after another, each followed by a NUL and its entry's rank (4 bytes, used
    /// while indexing).
    names: Vec<u8>,
    init_stem: String,
    source_suffixes: Vec<String>,
    /// Dropped last: gives borrowed bytes back to their owner.
    _guard: Option<Box<dyn Send + Sync>>,
}

/// Checks a mount point (of a tree or a bundle): a top-level name under `profile`, or `""` for the root.
pub(crate) fn check_point(point: &str, profile: &Profile) -> Result<()> {
    if !point.is_empty() {
        name::validate(point, profile)?;
        if point.contains('.') {
            return Err(Error::new(
                ErrorCode::InvalidMount,
                format!("invalid mount point '{point}': mount under a top-level name (no '.') or at the root"),
            ));
        }
    }
    Ok(())
}

fn bad(point: &str, path: &str, entry: usize, why: &str) -> Error {
    let shown: String = path.chars().take(MAX_SHOWN_PATH).collect();
    let place = if point.is_empty() { "the root mount".to_owned() } else { format!("mount '{point}'") };
    Error::new(ErrorCode::InvalidMount, format!("invalid {place}: file {entry} '{}' {why}", shown.escape_debug()))
}

fn check_path(point: &str, path: &str, entry: usize) -> Result<()> {
    if path.is_empty() {
        return Err(bad(point, path, entry, "has an empty path"));
    }
    if path.len() > MAX_PATH_LEN {
        return Err(bad(
            point,
            path,
            entry,
            &format!("is {} bytes long, over the limit of {MAX_PATH_LEN}", path.len()),
        ));
    }
    if path.starts_with('/') {
        return Err(bad(point, path, entry, "is absolute: paths are relative to the mount"));
    }
    if path.contains('\\') {
        return Err(bad(point, path, entry, "contains '\\': separate directories with '/'"));
    }
    if path.contains('\0') {
        return Err(bad(point, path, entry, "contains a NUL byte"));
    }
    for segment in path.split('/') {
        match segment {
            "" => return Err(bad(point, path, entry, "has an empty segment (a doubled or trailing '/')")),
            "." | ".." => {
                return Err(bad(point, path, entry, &format!("has a '{segment}' segment, which is not allowed")))
            }
            _ => {}
        }
    }
    Ok(())
}

impl MountedTree {
    /// Validates and indexes a tree for `point` (a top-level name, or `""` for the root) under `profile`.
    pub fn build(
        point: &str,
        files: Vec<MountFile>,
        profile: &Profile,
        guard: Option<Box<dyn Send + Sync>>,
    ) -> Result<MountedTree> {
        check_point(point, profile)?;
        let mut paths: FxHashSet<&str> = FxHashSet::default();
        let mut dirs: FxHashSet<&str> = FxHashSet::default();
        for (i, f) in files.iter().enumerate() {
            check_path(point, &f.path, i)?;
            if !paths.insert(f.path.as_str()) {
                return Err(bad(point, &f.path, i, "is given twice"));
            }
            let mut dir = f.path.as_str();
            while let Some(cut) = dir.rfind('/') {
                dir = &dir[..cut];
                if !dirs.insert(dir) {
                    break;
                }
            }
        }
        if let Some(p) = paths.iter().find(|p| dirs.contains(**p)) {
            let i = files.iter().position(|f| f.path == **p).unwrap_or(0);
            return Err(bad(point, p, i, "is both a file and a directory"));
        }

        let mut tree = MountedTree {
            point: point.to_owned(),
            data: Vec::with_capacity(files.len()),
            paths: String::new(),
            path_ends: Vec::with_capacity(files.len()),
            index: HashTable::new(),
            names: Vec::new(),
            init_stem: profile.init_stem().to_owned(),
            source_suffixes: profile
                .suffixes()
                .iter()
                .filter(|(_, k)| *k == ModuleKind::Source)
                .map(|(s, _)| s.clone())
                .collect(),
            _guard: None,
        };
        tree.index.reserve(files.len() + dirs.len(), rehash);
        let mut scratch = Scratch::default();
        if profile.namespace_dirs() {
            if !point.is_empty() {
                tree.insert(point, namespace_entry(point))?;
            }
            for dir in &dirs {
                if scratch.module_name(point, dir, profile) {
                    tree.insert(&scratch.name, namespace_entry(&scratch.name))?;
                }
            }
        }
        drop(dirs);
        drop(paths);
        for (i, f) in files.into_iter().enumerate() {
            let index = u32::try_from(i)
                .ok()
                .filter(|i| *i != NO_FILE)
                .ok_or_else(|| Error::invalid_argument("a mount holds fewer than 2^32 files"))?;
            if let Some(entry) = scratch.file_entry(point, &f.path, index, profile) {
                tree.insert(&scratch.name, entry)?;
            }
            tree.data.push(f.data);
            tree.paths.push_str(&f.path);
            let end = u32::try_from(tree.paths.len())
                .map_err(|_| Error::invalid_argument("the paths of a mount hold at most 4 GiB"))?;
            tree.path_ends.push(end);
        }
        tree.names.shrink_to_fit();
        tree._guard = guard;
        Ok(tree)
    }

    /// Keeps the better of two candidates for `name` (the candidate's module name).
    fn insert(&mut self, name: &str, new: Candidate) -> Result<()> {
        let h = hash(name.as_bytes());
        let names = &mut self.names;
        match self.index.find_mut(h, |e| name_at(names, e.name_at, name)) {
            Some(old) => {
                let rank_at = old.name_at as usize + name.len() + 1;
                let rank = u32::from_le_bytes(names[rank_at..rank_at + 4].try_into().unwrap_or([0xff; 4]));
                if new.rank < rank {
                    names[rank_at..rank_at + 4].copy_from_slice(&new.rank.to_le_bytes());
                    old.spec = new.spec;
                    old.file = new.file;
                }
            }
            None => {
                let at = u32::try_from(names.len())
                    .map_err(|_| Error::invalid_argument("the module names of a mount hold at most 4 GiB"))?;
                names.extend_from_slice(name.as_bytes());
                names.push(0);
                names.extend_from_slice(&new.rank.to_le_bytes());
                self.index.insert_unique(h, Entry { spec: new.spec, name_at: at, file: new.file }, rehash);
            }
        }
        Ok(())
    }

    /// The entry of module `name`.
    fn entry(&self, name: &str) -> Option<&Entry> {
        self.index.find(hash(name.as_bytes()), |e| name_at(&self.names, e.name_at, name))
    }

    /// The path of file `i` inside the mount.
    fn path(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.path_ends[i - 1] as usize };
        &self.paths[start..self.path_ends[i] as usize]
    }

    fn all_paths(&self) -> impl Iterator<Item = &str> {
        (0..self.path_ends.len()).map(|i| self.path(i))
    }

    /// Every module of the index, in no particular order: its spec and the file behind it (`None` for a
    /// namespace directory). What a bundle builder reads to classify a tree as a mount does.
    pub fn modules(&self) -> impl Iterator<Item = (&ModuleSpec, Option<usize>)> {
        self.index.iter().map(|e| (&*e.spec, (e.file != NO_FILE).then_some(e.file as usize)))
    }

    /// Every file of the tree, in the order it was given: its path inside the mount and its bytes.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.data.iter().enumerate().map(|(i, d)| (self.path(i), &d[..]))
    }

    /// The mount point: a top-level name, or `""` for the root.
    pub fn point(&self) -> &str {
        &self.point
    }

    /// `memory:/game` or `memory:/` for the root: how the mount is named in errors.
    pub fn place(&self) -> String {
        format!("memory:/{}", self.point)
    }

    /// Whether a name lies in the part of the logical tree this mount covers.
    pub fn covers(&self, name: &str) -> bool {
        self.point.is_empty()
            || (name.starts_with(self.point.as_str())
                && (name.len() == self.point.len() || name.as_bytes()[self.point.len()] == b'.'))
    }

    /// Finds `name`; `virtual_root`, when set, gives modules a virtual `file` under it.
    pub fn find(self: &Arc<Self>, name: &str, virtual_root: Option<&str>) -> Option<Found> {
        let entry = self.entry(name)?;
        let source = match entry.file {
            NO_FILE => Source::None,
            i => Source::Bytes(Arc::clone(self) as Arc<dyn ModuleBytes>, i),
        };
        let spec = match (virtual_root, entry.file) {
            (Some(root), file) if file != NO_FILE => {
                let logical = &entry.spec.origin()["memory:/".len()..];
                let file = format!("{root}/{logical}");
                Arc::new((*entry.spec).clone().with_file(Some(&file)))
            }
            _ => Arc::clone(&entry.spec),
        };
        // Only a directory has no file, and a directory is a namespace package: no need to read the spec.
        let portion = entry.file == NO_FILE;
        Some(Found { spec, source, portion })
    }

    /// The directory of package `name` inside the mount (`""` for the mount's own root), if it is one of
    /// this mount's packages.
    fn package_dir(&self, package: &ModuleSpec) -> Option<String> {
        // The runtime asks only the mounts that serve the package (the one that found it, or every one with
        // a portion of a namespace package); this one must hold a package of that name.
        let entry = self.entry(package.name())?;
        if !entry.spec.is_package() {
            return None;
        }
        let rel = package.name().strip_prefix(self.point.as_str()).unwrap_or(package.name());
        Some(rel.trim_start_matches('.').replace('.', "/"))
    }

    /// Why this mount did not serve `name` (for the error's attempts), or `None` if it does not cover it.
    pub fn explain(&self, name: &str) -> Option<Attempt> {
        if !self.covers(name) {
            return None;
        }
        let dir = name.replace('.', "/");
        let mut tried = Vec::new();
        for s in &self.source_suffixes {
            tried.push(format!("no {dir}{s}"));
        }
        for s in &self.source_suffixes {
            tried.push(format!("no {dir}/{}{s}", self.init_stem));
        }
        if tried.is_empty() {
            tried.push(format!("nothing at {dir}"));
        }
        Some(Attempt::new(self.place(), tried.join(", ")))
    }
}

/// A mounted file's bytes, read when its module executes (the tree stays alive while a found module of it
/// waits to execute).
impl ModuleBytes for MountedTree {
    fn read(&self, index: u32) -> std::result::Result<Cow<'_, [u8]>, HostError> {
        self.data.get(index as usize).map(|d| Cow::Borrowed(&d[..])).ok_or_else(|| HostError::new("no such file"))
    }
}

/// A mounted tree as an entry of the meta path.
pub struct Mount(pub Arc<MountedTree>);

impl Finder for Mount {
    fn place(&self) -> String {
        self.0.place()
    }

    fn find(&self, query: &Query, trace: &mut Trace) -> Result<Option<Found>> {
        let found = self.0.find(query.name, query.virtual_root);
        if found.is_none() {
            trace.note_with(|| self.0.explain(query.name));
        }
        Ok(found)
    }

    fn read_resource(&self, package: &ModuleSpec, resource: &str, _: &Query) -> Result<Option<Resource>> {
        let Some(dir) = self.0.package_dir(package) else { return Ok(None) };
        let path = if dir.is_empty() { resource.to_owned() } else { format!("{dir}/{resource}") };
        let held = |i: usize| Resource::Held(Arc::clone(&self.0) as Arc<dyn ModuleBytes>, i as u32);
        Ok(self.0.all_paths().position(|p| p == path).map(held))
    }

    /// The files and directories directly in the package's directory (a scan of the mount's paths).
    fn resources(&self, package: &ModuleSpec, _: &Query) -> Result<Option<Vec<String>>> {
        let Some(dir) = self.0.package_dir(package) else { return Ok(None) };
        let mut names: Vec<String> = self
            .0
            .all_paths()
            .filter_map(|p| if dir.is_empty() { Some(p) } else { p.strip_prefix(&dir)?.strip_prefix('/') })
            .map(|rest| rest.split('/').next().unwrap_or(rest).to_owned())
            .collect();
        names.sort();
        names.dedup();
        Ok(Some(names))
    }

    /// The modules and packages the index holds directly under `package` (or at the top level).
    fn iter_modules(&self, package: Option<&ModuleSpec>, _: &Query) -> Result<Vec<ModuleInfo>> {
        let parent = match package {
            Some(p) if !self.0.covers(p.name()) => return Ok(Vec::new()),
            Some(p) => Some(p.name()),
            None => None,
        };
        let mut out: Vec<ModuleInfo> = self
            .0
            .index
            .iter()
            // As pkgutil lists a directory: a directory without an init file is no module of it.
            .filter(|e| e.file != NO_FILE && name::parent(e.spec.name()) == parent)
            .map(|e| ModuleInfo { name: name::tail(e.spec.name()).to_owned(), is_package: e.spec.is_package() })
            .collect();
        out.sort();
        Ok(out)
    }

    /// The `*.dist-info` / `*.egg-info` directories at the top of a root mount (a mount under a name holds
    /// its files inside that package, where no distribution is looked for).
    fn distributions(&self) -> Result<Vec<String>> {
        if !self.0.point().is_empty() {
            return Ok(Vec::new());
        }
        let mut dirs: Vec<String> = self
            .0
            .all_paths()
            .filter_map(|p| p.split_once('/').map(|(top, _)| top))
            .filter(|top| is_metadata_dir(top))
            .map(str::to_owned)
            .collect();
        dirs.sort();
        dirs.dedup();
        Ok(dirs)
    }

    fn read_file(&self, path: &str) -> Result<Option<Resource>> {
        let inner = match self.0.point() {
            "" => Some(path),
            point => path.strip_prefix(point).and_then(|p| p.strip_prefix('/')),
        };
        let Some(inner) = inner else { return Ok(None) };
        let held = |i: usize| Resource::Held(Arc::clone(&self.0) as Arc<dyn ModuleBytes>, i as u32);
        Ok(self.0.all_paths().position(|p| p == inner).map(held))
    }

    fn mount_point(&self) -> Option<&str> {
        Some(self.0.point())
    }
}

/// Whether a directory name is one of distribution metadata (`foo-1.0.dist-info`, `foo.egg-info`).
pub(crate) fn is_metadata_dir(name: &str) -> bool {
    [".dist-info", ".egg-info"].iter().any(|s| name.len() > s.len() && name.ends_with(s))
}

/// Whether the name at `at` in `names` is `name` (names hold no NUL, so the NUL after it ends it).
#[inline]
fn name_at(names: &[u8], at: u32, name: &str) -> bool {
    let at = at as usize;
    names.get(at..at + name.len()) == Some(name.as_bytes()) && names.get(at + name.len()) == Some(&0)
}

fn namespace_entry(name: &str) -> Candidate {
    let location = format!("memory:/{}", name.replace('.', "/"));
    let spec = ModuleSpec::new(name, &location, ModuleKind::Namespace, true).with_locations([location.clone()]);
    Candidate { spec: Arc::new(spec), file: NO_FILE, rank: u32::MAX }
}

/// Reused buffers for indexing, so a file costs no temporary allocation.
#[derive(Default)]
struct Scratch {
    name: String,
    origin: String,
}

impl Scratch {
    /// Puts in `self.name` the module name of a directory or extension-less path inside a mount, if every
    /// segment is a valid name segment (other files are resources, not modules).
    fn module_name(&mut self, point: &str, rel: &str, profile: &Profile) -> bool {
        self.join(point, rel) && !self.name.is_empty() && name::validate(&self.name, profile).is_ok()
    }

    /// Puts `point` and the segments of `rel`, dotted, in `self.name`; false when a segment has a `.` (a
    /// directory `a.b` holds no modules: `a.b` names `b` inside `a`).
    fn join(&mut self, point: &str, rel: &str) -> bool {
        self.name.clear();
        self.name.push_str(point);
        for segment in rel.split('/').filter(|s| !s.is_empty()) {
            if segment.contains('.') {
                return false;
            }
            if !self.name.is_empty() {
                self.name.push('.');
            }
            self.name.push_str(segment);
        }
        true
    }

    /// The index entry a file makes, if it is a module under the profile.
    fn file_entry(&mut self, point: &str, path: &str, index: u32, profile: &Profile) -> Option<Candidate> {
        let (dir, file_name) = match path.rfind('/') {
            Some(cut) => (&path[..cut], &path[cut + 1..]),
            None => ("", path),
        };
        let (kind, stem) = profile.classify(file_name)?;
        let suffix_rank =
            profile.suffixes().iter().position(|(s, _)| file_name.ends_with(s.as_str())).unwrap_or(0) as u32;
        self.origin.clear();
        self.origin.push_str("memory:/");
        if !point.is_empty() {
            self.origin.push_str(point);
            self.origin.push('/');
        }
        self.origin.push_str(path);
        let is_package = stem == profile.init_stem();
        if is_package {
            if !self.module_name(point, dir, profile) {
                return None;
            }
        } else {
            if stem.contains('.') || !self.join(point, dir) {
                return None;
            }
            if !self.name.is_empty() {
                self.name.push('.');
            }
            self.name.push_str(stem);
            if name::validate(&self.name, profile).is_err() {
                return None;
            }
        }
        let mut spec = ModuleSpec::new(&self.name, &self.origin, kind, is_package);
        let rank = if is_package {
            let dir_origin = self.origin.rsplit_once('/').map_or("memory:", |(d, _)| d);
            spec.push_location(dir_origin);
            suffix_rank
        } else {
            1000 + suffix_rank
        };
        Some(Candidate { spec: Arc::new(spec), file: index, rank })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(paths: &[&str]) -> Arc<MountedTree> {
        let files = paths.iter().map(|p| MountFile::new(*p, *p)).collect();
        Arc::new(MountedTree::build("t", files, &Profile::python(), None).unwrap())
    }

    #[test]
    fn names_that_share_a_start_are_told_apart() {
        let t = tree(&["a.py", "ab.py", "a_b/__init__.py", "a_b/c.py"]);
        for (name, origin) in [
            ("t.a", "memory:/t/a.py"),
            ("t.ab", "memory:/t/ab.py"),
            ("t.a_b", "memory:/t/a_b/__init__.py"),
            ("t.a_b.c", "memory:/t/a_b/c.py"),
        ] {
            assert_eq!(t.find(name, None).map(|f| f.spec.origin().to_owned()).as_deref(), Some(origin), "{name}");
        }
        for missing in ["t.", "t.a_", "t.abc", "t.a_b.c.d", "t.b", "t.a\0"] {
            assert!(t.find(missing, None).is_none(), "{missing:?}");
        }
    }

    #[test]
    fn the_best_candidate_of_a_name_wins_whatever_the_order() {
        // A package beats a module of the same name, which beats a directory of it.
        for paths in [["p/__init__.py", "p.py", "p/x.txt"], ["p.py", "p/x.txt", "p/__init__.py"]] {
            let t = tree(&paths);
            let found = t.find("t.p", None).unwrap();
            assert_eq!(found.spec.origin(), "memory:/t/p/__init__.py");
            assert!(!found.portion);
        }
        let t = tree(&["q/x.txt", "q.py"]);
        assert_eq!(t.find("t.q", None).unwrap().spec.origin(), "memory:/t/q.py");
        let t = tree(&["r/x.txt"]);
        assert!(t.find("t.r", None).unwrap().portion);
    }
}
