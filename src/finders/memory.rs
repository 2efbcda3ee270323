//! Memory mounts: a tree of (relative path, bytes) mounted under a top-level name or at the root, served as
//! a meta-path finder. Mounted trees together form one logical tree: a mount answers for a dotted name by
//! its path in that tree (`a.b` is `a/b.py`, `a/b/__init__.py` or the directory `a/b/`).
//!
//! The tree is indexed once, when it is mounted, by module name; finding is one hash lookup and never
//! touches a file's bytes.

use std::borrow::Cow;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::error::{Attempt, Error, ErrorCode, Result};
use crate::limits::MAX_PATH_LEN;
use crate::name;
use crate::profile::Profile;
use crate::spec::{Content, Found, ModuleKind, ModuleSpec};

/// One file handed to a mount.
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

struct File {
    /// The path in the logical tree: the mount point, then the relative path (`game/core/player.py`).
    logical: Box<str>,
    data: Cow<'static, [u8]>,
}

#[derive(Clone, Copy)]
struct Entry {
    kind: ModuleKind,
    is_package: bool,
    /// The file behind the module; none for a namespace directory.
    file: Option<u32>,
    /// Rank within one name: packages, then modules in suffix order, then namespace directories.
    rank: u32,
}

/// A mounted tree and its index.
pub struct MountedTree {
    point: String,
    files: Vec<File>,
    index: FxHashMap<Box<str>, Entry>,
    init_stem: String,
    source_suffixes: Vec<String>,
    /// Dropped last: gives borrowed bytes back to their owner.
    _guard: Option<Box<dyn Send + Sync>>,
}

fn bad(point: &str, path: &str, entry: usize, why: &str) -> Error {
    let shown: String = path.chars().take(120).collect();
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
        if !point.is_empty() {
            name::validate(point, profile)?;
            if point.contains('.') {
                return Err(Error::new(
                    ErrorCode::InvalidMount,
                    format!("invalid mount point '{point}': mount under a top-level name (no '.') or at the root"),
                ));
            }
        }
        let prefix = if point.is_empty() { String::new() } else { format!("{point}/") };
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
            files: Vec::with_capacity(files.len()),
            index: FxHashMap::default(),
            init_stem: profile.init_stem().to_owned(),
            source_suffixes: profile
                .suffixes()
                .iter()
                .filter(|(_, k)| *k == ModuleKind::Source)
                .map(|(s, _)| s.clone())
                .collect(),
            _guard: None,
        };
        tree.index.reserve(files.len());
        if profile.namespace_dirs() {
            let namespace = Entry { kind: ModuleKind::Namespace, is_package: true, file: None, rank: u32::MAX };
            if !point.is_empty() {
                tree.index.insert(point.into(), namespace);
            }
            for dir in &dirs {
                if let Some(module) = module_name(point, dir, profile) {
                    tree.index.insert(module.into_boxed_str(), namespace);
                }
            }
        }
        drop(dirs);
        drop(paths);
        for (i, f) in files.into_iter().enumerate() {
            let index = u32::try_from(i).map_err(|_| Error::invalid_argument("a mount holds at most 2^32 files"))?;
            tree.add_file(point, &f.path, index, profile);
            tree.files.push(File { logical: format!("{prefix}{}", f.path).into_boxed_str(), data: f.data });
        }
        tree._guard = guard;
        Ok(tree)
    }

    fn add_file(&mut self, point: &str, path: &str, index: u32, profile: &Profile) {
        let (dir, file_name) = match path.rfind('/') {
            Some(cut) => (&path[..cut], &path[cut + 1..]),
            None => ("", path),
        };
        let Some((kind, stem)) = profile.classify(file_name) else { return };
        let rank_of_suffix = profile.suffixes().iter().position(|(s, _)| file_name.ends_with(s.as_str()));
        let suffix_rank = rank_of_suffix.unwrap_or(0) as u32;
        let (module, is_package, rank) = if stem == profile.init_stem() {
            match module_name(point, dir, profile) {
                Some(m) => (m, true, suffix_rank),
                None => return,
            }
        } else {
            let joined = if dir.is_empty() { stem.to_owned() } else { format!("{dir}/{stem}") };
            match module_name(point, &joined, profile) {
                Some(m) => (m, false, 1000 + suffix_rank),
                None => return,
            }
        };
        let entry = Entry { kind, is_package, file: Some(index), rank };
        match self.index.get_mut(module.as_str()) {
            Some(existing) if existing.rank <= rank => {}
            Some(existing) => *existing = entry,
            None => {
                self.index.insert(module.into_boxed_str(), entry);
            }
        }
    }

    /// The mount point: a top-level name, or `""` for the root.
    pub fn point(&self) -> &str {
        &self.point
    }

    /// `memory:/game` or `memory:/` for the root: how the mount is named in errors.
    pub fn place(&self) -> String {
        format!("memory:/{}", self.point)
    }

    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    pub(crate) fn data(&self, index: usize) -> &[u8] {
        &self.files[index].data
    }

    /// Whether a name lies in the part of the logical tree this mount covers.
    pub fn covers(&self, name: &str) -> bool {
        self.point.is_empty()
            || (name.starts_with(self.point.as_str())
                && (name.len() == self.point.len() || name.as_bytes()[self.point.len()] == b'.'))
    }

    /// Finds `name`; `virtual_root`, when set, gives modules a virtual `file` under it.
    pub fn find(self: &Arc<Self>, name: &str, virtual_root: Option<&str>) -> Option<Found> {
        let entry = *self.index.get(name)?;
        let dir = name.replace('.', "/");
        let (origin, file) = match entry.file {
            Some(i) => {
                let logical = &self.files[i as usize].logical;
                (format!("memory:/{logical}"), virtual_root.map(|root| format!("{root}/{logical}")))
            }
            None => (format!("memory:/{dir}"), None),
        };
        let mut spec = ModuleSpec::new(name, &origin, entry.kind, entry.is_package).with_file(file.as_deref());
        if entry.is_package {
            spec = spec.with_locations([format!("memory:/{dir}")]);
        }
        let content = match entry.file {
            Some(i) => Content::Memory(Arc::clone(self), i as usize),
            None => Content::None,
        };
        Some(Found { spec: Arc::new(spec), content })
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

/// The module name of a directory or extension-less path inside a mount, if every segment is a valid name
/// segment (other files are resources, not modules).
fn module_name(point: &str, rel: &str, profile: &Profile) -> Option<String> {
    let dotted = rel.replace('/', ".");
    let full = match (point.is_empty(), dotted.is_empty()) {
        (true, true) => return None,
        (true, false) => dotted,
        (false, true) => point.to_owned(),
        (false, false) => format!("{point}.{dotted}"),
    };
    name::validate(&full, profile).ok().map(|_| full)
}
