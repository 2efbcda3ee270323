//! The sources of a bundle build: directories walked, zip archives read with importkit's own zip reader,
//! bundles read back; merged into one tree of files, a path that two sources give refused. What
//! `importkit bundle build` reads and `ik_bundle_builder_add_dir` walks.
//!
//! A directory's symbolic links are followed when they lead inside the directory (a file's bytes, or a
//! directory walked, under the link's own path); a link leading out of it, a dangling link, and a link to
//! a directory that holds it (a loop) are refused, as are special files (devices, FIFOs, sockets) and
//! names that are not UTF-8. Excluded names (whole path segments, `*` matching any run of characters)
//! are left out of directories, archives and bundles alike. The files of a directory are read in sorted
//! order of their names, so the same tree gives the same list whatever the filesystem's order.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use super::format::{bad_path, file_inside_file, Bundle};
use super::map::{open_nonblocking, FileBytes, Load};
use crate::error::{Error, ErrorCode, Result};
use crate::finders::memory::MountFile;
use crate::finders::path::zip_index::ZipIndex;
use crate::limits::MAX_BUNDLE_BLOB_SIZE;

/// A failure to read a source (the system's reason in it).
fn io(what: String) -> Error {
    Error::new(ErrorCode::Io, what)
}

/// A source holding what a bundle cannot take (a link out of it, a special file, a bad path).
fn refused(what: String) -> Error {
    Error::invalid_argument(what)
}

/// What a build reads: what it leaves out, and the files it never reads (the bundle being written).
#[derive(Debug, Clone, Default)]
pub struct Reading<'a> {
    /// Name patterns left out: one path segment each, `*` matching any run of characters.
    pub excludes: &'a [String],
    /// Files never taken from a source, as canonical paths: the output and its temporary file.
    pub skip: Vec<PathBuf>,
}

/// Whether `name` matches `pattern`: the whole name, `*` matching any run of characters.
pub fn matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if name.len() < first.len() + last.len() || !name.starts_with(first) || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Checks exclusion patterns: each one name (not empty, no `/`).
pub fn check_excludes(excludes: &[String]) -> Result<()> {
    if excludes.iter().any(|p| p.is_empty() || p.contains('/')) {
        return Err(Error::invalid_argument("an exclusion pattern is one name: not empty, no '/'"));
    }
    Ok(())
}

impl Reading<'_> {
    fn excluded(&self, path: &str) -> bool {
        path.split('/').any(|segment| self.excludes.iter().any(|p| matches(p, segment)))
    }

    /// Every file of every source, merged: sorted by path, each path from one source only (a path given by
    /// two sources, or a file in one where another has a directory, is refused naming both).
    pub fn read(&self, sources: &[String]) -> Result<Vec<MountFile>> {
        let mut merged: BTreeMap<String, (Vec<u8>, usize)> = BTreeMap::new();
        for (k, source) in sources.iter().enumerate() {
            for (path, bytes) in self.source(source)? {
                if let Some(why) = bad_path(&path).or(path.is_empty().then_some("is empty")) {
                    return Err(refused(format!("source '{source}': path '{path}' {why}")));
                }
                if let Some((_, other)) = merged.get(&path) {
                    return Err(refused(clash(&path, &sources[*other], source)));
                }
                merged.insert(path, (bytes, k));
            }
        }
        if let Some((path, file)) = file_inside_file(merged.keys().map(String::as_str)) {
            let (k, other) = (merged[path].1, merged[file].1);
            return Err(refused(format!(
                "'{file}' is a file in {} and a directory in {} (which holds '{path}')",
                sources[other], sources[k]
            )));
        }
        Ok(merged.into_iter().map(|(path, (bytes, _))| MountFile::new(path, bytes)).collect())
    }

    /// The files of the directory `dir` (as [`Reading::read`] reads a directory source), sorted by path;
    /// anything else than a directory is refused.
    pub fn directory(&self, dir: &str) -> Result<Vec<MountFile>> {
        let meta = fs::metadata(dir).map_err(|e| io(format!("cannot read directory '{dir}': {e}")))?;
        if !meta.is_dir() {
            return Err(refused(format!("'{dir}' is not a directory")));
        }
        self.read(&[dir.to_owned()])
    }

    /// The files of one source: a directory, a bundle, or a zip archive.
    fn source(&self, source: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let path = Path::new(source);
        let meta = fs::metadata(path).map_err(|e| io(format!("cannot read source '{source}': {e}")))?;
        let mut out = Vec::new();
        if meta.is_dir() {
            let root = fs::canonicalize(path).map_err(|e| io(format!("cannot read source '{source}': {e}")))?;
            let mut walk = Walk {
                reading: self,
                root: &root,
                source,
                stack: vec![root.clone()],
                linked: Default::default(),
                out: &mut out,
            };
            walk.dir(&root, "")?;
            return Ok(out);
        }
        if !meta.is_file() {
            return Err(refused(format!("source '{source}' is not a directory, a zip archive or a bundle")));
        }
        let file = open_nonblocking(path).map_err(|e| io(format!("cannot read source '{source}': {e}")))?;
        let mut head = [0u8; 8];
        let is_bundle = std::os::unix::fs::FileExt::read_exact_at(&file, &mut head, 0).is_ok() && &head == b"IKBUNDL\0";
        if is_bundle {
            self.bundle(source, &file, &mut out)?;
        } else {
            self.zip(source, &file, meta.len(), &mut out)?;
        }
        Ok(out)
    }

    /// The members of a zip archive (directories left out), each read and checked.
    fn zip(&self, source: &str, file: &File, len: u64, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
        let index = ZipIndex::read(file, len).map_err(|e| {
            refused(format!(
                "source '{source}' is not a directory, a bundle or a readable zip archive: {}",
                e.in_archive(source)
            ))
        })?;
        for (i, name) in index.names() {
            if index.member(i).is_dir || self.excluded(name) {
                continue;
            }
            let bytes = index.read_member(file, i, MAX_BUNDLE_BLOB_SIZE).map_err(|e| refused(e.in_archive(source)))?;
            out.push((name.to_owned(), bytes));
        }
        Ok(())
    }

    /// The files of a bundle (verified first).
    fn bundle(&self, source: &str, file: &File, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
        let bytes = FileBytes::of_file(file, source, Load::Map)?;
        let bundle = Bundle::open(source, bytes)?;
        bundle.verify()?;
        for i in 0..bundle.file_count() {
            let (path, _) = bundle.file_at(i)?;
            if !self.excluded(path) {
                out.push((path.to_owned(), bundle.file_bytes(i)?.into_owned()));
            }
        }
        Ok(())
    }
}

fn clash(path: &str, first: &str, second: &str) -> String {
    format!("'{path}' is in two sources, {first} and {second}: give each path once")
}

/// A walk of one directory source.
struct Walk<'a, 'b> {
    reading: &'a Reading<'b>,
    /// The source's canonical path: links must lead inside it.
    root: &'a Path,
    source: &'a str,
    /// The canonical directories being walked, from the root down (a link to one of them is a loop).
    stack: Vec<PathBuf>,
    /// The canonical directories walked through a link already: each is walked through one link at most,
    /// so that links to links cannot multiply a tree (36 links can name 2^18 paths).
    linked: HashMap<PathBuf, String>,
    out: &'a mut Vec<(String, Vec<u8>)>,
}

impl Walk<'_, '_> {
    fn fail(&self, rel: &str, what: impl std::fmt::Display) -> String {
        format!("source '{}': '{rel}' {what}", self.source)
    }

    /// Walks the directory `dir` (canonical), whose path in the tree is `rel` (`""`: the root).
    fn dir(&mut self, dir: &Path, rel: &str) -> Result<()> {
        let shown = if rel.is_empty() { "." } else { rel };
        let listing = fs::read_dir(dir).map_err(|e| io(self.fail(shown, format_args!("cannot be listed: {e}"))))?;
        let mut entries = Vec::new();
        for entry in listing {
            let entry = entry.map_err(|e| io(self.fail(shown, format_args!("cannot be listed: {e}"))))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                let lossy = name.to_string_lossy().into_owned();
                return Err(refused(self.fail(&join(rel, &lossy), "has a name that is not UTF-8")));
            };
            entries.push(name.to_owned());
        }
        entries.sort();
        for name in entries {
            let child = join(rel, &name);
            if self.reading.excluded(&name) {
                continue;
            }
            let at = dir.join(&name);
            let meta = fs::symlink_metadata(&at)
                .map_err(|e| io(self.fail(&child, format_args!("cannot be examined: {e}"))))?;
            if meta.file_type().is_symlink() {
                self.link(&at, &child)?;
            } else if meta.is_dir() {
                self.enter(at, &child)?;
            } else if meta.is_file() {
                if !self.reading.skip.contains(&at) {
                    self.file(&at, child)?;
                }
            } else {
                return Err(refused(self.fail(&child, "is not a regular file, a directory or a symbolic link")));
            }
        }
        Ok(())
    }

    /// Follows a symbolic link, if it leads inside the source.
    fn link(&mut self, at: &Path, rel: &str) -> Result<()> {
        let target = fs::canonicalize(at).map_err(|e| {
            refused(self.fail(rel, format_args!("is a symbolic link that leads nowhere ({e}): refused")))
        })?;
        if !target.starts_with(self.root) {
            return Err(refused(self.fail(
                rel,
                format_args!("is a symbolic link out of the source (to '{}'): refused", target.display()),
            )));
        }
        let meta = fs::metadata(&target).map_err(|e| io(self.fail(rel, format_args!("cannot be examined: {e}"))))?;
        if meta.is_dir() {
            if self.stack.contains(&target) {
                return Err(refused(
                    self.fail(rel, "is a symbolic link to a directory that holds it (a loop): refused"),
                ));
            }
            if let Some(first) = self.linked.get(&target) {
                return Err(refused(self.fail(
                    rel,
                    format_args!(
                        "is a second symbolic link to '{}' (included already through the link '{first}'): refused \
                         (a directory is walked through one link at most; exclude one of them)",
                        target.display()
                    ),
                )));
            }
            self.linked.insert(target.clone(), rel.to_owned());
            self.enter(target, rel)
        } else if meta.is_file() {
            if self.reading.skip.contains(&target) {
                return Ok(());
            }
            self.file(&target, rel.to_owned())
        } else {
            Err(refused(self.fail(rel, "is a symbolic link to something that is not a regular file or a directory")))
        }
    }

    fn enter(&mut self, dir: PathBuf, rel: &str) -> Result<()> {
        self.stack.push(dir.clone());
        let walked = self.dir(&dir, rel);
        self.stack.pop();
        walked
    }

    fn file(&mut self, at: &Path, rel: String) -> Result<()> {
        // Checked again on the open file: a FIFO put in the file's place since it was listed is refused, never
        // waited on.
        let mut file = open_nonblocking(at).map_err(|e| io(self.fail(&rel, format_args!("cannot be read: {e}"))))?;
        let meta = file.metadata().map_err(|e| io(self.fail(&rel, format_args!("cannot be read: {e}"))))?;
        if !meta.is_file() {
            return Err(refused(self.fail(&rel, "is not a regular file, a directory or a symbolic link")));
        }
        let mut bytes = Vec::with_capacity(meta.len().min(MAX_BUNDLE_BLOB_SIZE) as usize);
        std::io::Read::read_to_end(&mut file, &mut bytes)
            .map_err(|e| io(self.fail(&rel, format_args!("cannot be read: {e}"))))?;
        if bytes.len() as u64 > MAX_BUNDLE_BLOB_SIZE {
            return Err(refused(
                self.fail(&rel, format_args!("is {} bytes, over the limit of {MAX_BUNDLE_BLOB_SIZE}", bytes.len())),
            ));
        }
        self.out.push((rel, bytes));
        Ok(())
    }
}

fn join(rel: &str, name: &str) -> String {
    if rel.is_empty() {
        name.to_owned()
    } else {
        format!("{rel}/{name}")
    }
}
