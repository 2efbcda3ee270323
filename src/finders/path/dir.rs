//! The directory entry finder: CPython's `FileFinder`, with its listing cached.
//!
//! A directory is listed once; the listing is trusted for the runtime's recheck window, after which the
//! directory is stat'ed and listed again if its mtime changed (window 0: every lookup, as CPython does).
//! In one directory: a package (`x/__init__` + suffix, suffixes in profile order) > a module file (`x` +
//! suffix: extension > source > bytecode) > a namespace portion (a directory `x`). Finding never opens a
//! module's file; a `.ref` file is read (see `refs.rs`).

use std::fs;
use std::time::{Instant, SystemTime};

use parking_lot::Mutex;
use rustc_hash::FxHashMap;

use super::{join, Ctx, Step};
use crate::error::Attempt;
use crate::spec::{ModuleKind, ModuleSpec};

/// What a listing says a directory entry is (from `readdir`, without a stat where it can).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
    /// A symbolic link or an unknown type: resolved with a stat when it matters.
    Other,
}

#[derive(Default)]
struct Listing {
    entries: FxHashMap<Box<str>, Kind>,
    /// Answers to stat questions about paths in this directory (package init files, links), dropped
    /// whenever the directory is checked again.
    probes: FxHashMap<Box<str>, Option<Kind>>,
}

struct State {
    listing: Listing,
    mtime: Option<SystemTime>,
    checked: Option<Instant>,
    /// Why the directory could not be listed, if it could not.
    unreadable: Option<String>,
}

/// A finder for one directory (a path entry, a package's search location, or a `.ref` target).
pub struct DirFinder {
    path: String,
    state: Mutex<State>,
}

fn stat_kind(path: &str) -> Option<Kind> {
    match fs::metadata(path) {
        Ok(m) if m.is_file() => Some(Kind::File),
        Ok(m) if m.is_dir() => Some(Kind::Dir),
        Ok(_) => Some(Kind::Other),
        Err(_) => None,
    }
}

pub(crate) fn describe(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "does not exist".into(),
        _ if e.raw_os_error() == Some(libc::ENOTDIR) => "not a directory".into(),
        _ => e.to_string(),
    }
}

/// What a directory holds under one name.
pub enum DirResult {
    Module(ModuleSpec),
    Portion(String),
    Nothing,
}

impl DirFinder {
    /// A finder for `path`, which is used as given (CPython's `FileFinder.path`).
    pub fn new(path: String) -> DirFinder {
        DirFinder {
            path,
            state: Mutex::new(State { listing: Listing::default(), mtime: None, checked: None, unreadable: None }),
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Forgets the listing: the next lookup stats and lists the directory again.
    pub fn invalidate(&self) {
        let mut st = self.state.lock();
        st.checked = None;
        st.mtime = None;
    }

    fn refresh(&self, st: &mut State, ctx: &Ctx) {
        let now = Instant::now();
        if let Some(checked) = st.checked {
            if now.duration_since(checked) < ctx.recheck {
                return;
            }
        }
        st.checked = Some(now);
        st.listing.probes.clear();
        let mtime = fs::metadata(&self.path).and_then(|m| m.modified()).ok();
        if mtime.is_some() && mtime == st.mtime {
            return;
        }
        st.mtime = mtime;
        st.listing.entries.clear();
        st.unreadable = None;
        match fs::read_dir(&self.path) {
            Ok(dir) => {
                for entry in dir.flatten() {
                    let Ok(name) = entry.file_name().into_string() else { continue };
                    let kind = match entry.file_type() {
                        Ok(t) if t.is_file() => Kind::File,
                        Ok(t) if t.is_dir() => Kind::Dir,
                        _ => Kind::Other,
                    };
                    st.listing.entries.insert(name.into_boxed_str(), kind);
                }
            }
            Err(e) => st.unreadable = Some(describe(&e)),
        }
    }

    /// The kind of `name` in this directory, following links (a stat only for links and unknown types).
    fn kind(st: &mut State, dir: &str, name: &str) -> Option<Kind> {
        match st.listing.entries.get(name)? {
            Kind::Other => {
                if let Some(k) = st.listing.probes.get(name) {
                    return *k;
                }
                let k = stat_kind(&join(dir, name));
                st.listing.probes.insert(name.into(), k);
                k
            }
            k => Some(*k),
        }
    }

    /// Whether `path` (inside a subdirectory) is a regular file, remembered until the next check.
    fn probe_file(st: &mut State, path: &str) -> bool {
        if let Some(k) = st.listing.probes.get(path) {
            return *k == Some(Kind::File);
        }
        let k = stat_kind(path);
        st.listing.probes.insert(path.into(), k);
        k == Some(Kind::File)
    }

    /// Whether the listing has a regular file `name` (for `.ref` files).
    pub fn has_file(&self, name: &str, ctx: &Ctx) -> bool {
        let mut st = self.state.lock();
        self.refresh(&mut st, ctx);
        Self::kind(&mut st, &self.path, name) == Some(Kind::File)
    }

    /// Looks up `fullname` (whose last segment is `tail`) as `FileFinder.find_spec` does, without `.ref`
    /// files (the path finder consults those first).
    pub fn find(&self, fullname: &str, tail: &str, ctx: &Ctx, step: &mut Step) -> DirResult {
        let mut st = self.state.lock();
        self.refresh(&mut st, ctx);
        if let Some(why) = &st.unreadable {
            step.note(Attempt::new(&self.path, format!("cannot list the directory: {why}")));
            return DirResult::Nothing;
        }
        let profile = ctx.profile;
        let mut is_namespace = false;
        let mut base = None;
        if let Some(kind) = Self::kind(&mut st, &self.path, tail) {
            let base_path = join(&self.path, tail);
            for (suffix, kind) in profile.suffixes() {
                let init = join(&base_path, &format!("{}{suffix}", profile.init_stem()));
                if Self::probe_file(&mut st, &init) {
                    if !ctx.allowed(&init, step) {
                        continue;
                    }
                    let spec = module_spec(ctx, fullname, &init, *kind, Some(&base_path));
                    return DirResult::Module(spec);
                }
            }
            is_namespace = kind == Kind::Dir && profile.namespace_dirs();
            base = Some(base_path);
        }
        for (suffix, kind) in profile.suffixes() {
            let file_name = format!("{tail}{suffix}");
            if Self::kind(&mut st, &self.path, &file_name) == Some(Kind::File) {
                let file = join(&self.path, &file_name);
                if !ctx.allowed(&file, step) {
                    continue;
                }
                return DirResult::Module(module_spec(ctx, fullname, &file, *kind, None));
            }
        }
        if let (true, Some(base)) = (is_namespace, base) {
            if ctx.allowed(&base, step) {
                return DirResult::Portion(base);
            }
        }
        if step.tracing() {
            let (src, init) = first_source(ctx);
            step.note(Attempt::new(
                &self.path,
                format!(
                    "no {tail}{src}, no {tail}/{init}{src}{}",
                    if profile.namespace_dirs() { ", no directory" } else { "" }
                ),
            ));
        }
        DirResult::Nothing
    }
}

fn first_source<'a>(ctx: &Ctx<'a>) -> (&'a str, &'a str) {
    let src = ctx.profile.suffixes().iter().find(|(_, k)| *k == ModuleKind::Source).map_or("", |(s, _)| s.as_str());
    (src, ctx.profile.init_stem())
}

/// The spec of a module file, as `spec_from_file_location` makes it.
fn module_spec(ctx: &Ctx, fullname: &str, file: &str, kind: ModuleKind, package_dir: Option<&str>) -> ModuleSpec {
    let spec = ModuleSpec::new(fullname, &format!("fs:{file}"), kind, package_dir.is_some())
        .with_file(Some(file))
        .with_cached(ctx.profile.cached_for(file, kind).as_deref());
    match package_dir {
        Some(dir) => spec.with_locations([dir.to_owned()]),
        None => spec,
    }
}
