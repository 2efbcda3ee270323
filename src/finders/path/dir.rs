//! The directory entry finder: CPython's `FileFinder`, with its listing cached and indexed.
//!
//! A directory is listed once and indexed by module stem (`x` -> which of the profile's suffixes exist as
//! `x<suffix>`, whether `x.ref` exists). The listing is trusted for the runtime's recheck window, after which
//! the directory is stat'ed and listed again if its mtime changed (window 0: every lookup, as CPython does).
//! In one directory: a package (`x/<init stem><suffix>`, suffixes in profile order) > a module file
//! (`x<suffix>`: extension > source > bytecode) > a namespace portion (a directory `x`). Finding never opens
//! a module's file; a `.ref` file is read (see `refs.rs`).

use std::fs;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use parking_lot::Mutex;
use rustc_hash::FxHashMap;

use super::ctx::{describe, join, Ctx, REFUSED};
use super::entry::{Entry, EntryAnswer, Portion, Wanted};
use super::refs::{self, Chain, RefResult};
use crate::error::{Attempt, Result};
use crate::finders::protocol::{Found, ModuleInfo};
use crate::finders::source::{FileReader, Resource, Source};
use crate::finders::trace::Trace;
use crate::profile::Profile;
use crate::spec::{ModuleKind, ModuleSpec};

/// What a listing says a directory entry is (from `readdir`, without a stat where it can).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
    /// A symbolic link or an unknown type: resolved with a stat when it matters.
    Other,
    /// Under confinement, a link that does not resolve inside the roots (whether its target exists or not):
    /// never stat'ed through, refused with the one wording that tells nothing about the outside.
    Refused,
}

/// What a directory holds under one stem.
#[derive(Debug, Clone, Copy, Default)]
struct Stem {
    /// Bit `i`: `stem + suffixes[i]` is a regular file.
    files: u64,
    /// Bit `i`: `stem + suffixes[i]` is a link or of unknown type (a stat decides).
    others: u64,
    /// `stem.ref`, if there is one.
    ref_file: Option<Kind>,
    /// The entry named exactly `stem`, if there is one.
    entry: Option<Kind>,
}

#[derive(Default)]
struct Listing {
    stems: FxHashMap<String, Stem>,
    /// Answers to stat questions (links), dropped whenever the directory is checked again.
    probes: FxHashMap<Box<str>, Option<Kind>>,
    /// Subdirectory -> the suffix index of its init file, if any (stat'ed, not listed), dropped likewise.
    inits: FxHashMap<Box<str>, Option<usize>>,
}

impl Listing {
    /// The stem `name[..len]` (all of it for `usize::MAX`), keyed by `name`'s own allocation.
    fn stem_owned(&mut self, mut name: String, len: usize) -> &mut Stem {
        if len < name.len() {
            name.truncate(len);
        }
        self.stems.entry(name).or_default()
    }

    fn stem(&mut self, stem: &str) -> &mut Stem {
        if !self.stems.contains_key(stem) {
            self.stems.insert(stem.to_owned(), Stem::default());
        }
        self.stems.get_mut(stem).expect("just inserted")
    }

    /// Indexes one entry of the directory. The common cases (a directory; a file with one suffix of the
    /// profile) reuse the name's own allocation as the key.
    fn add(&mut self, name: String, kind: Kind, profile: &Profile) {
        if kind == Kind::Dir {
            self.stem_owned(name, usize::MAX).entry = Some(kind);
            return;
        }
        let matches = |suffix: &str| name.len() > suffix.len() && name.ends_with(suffix);
        let mut found = profile.suffixes().iter().enumerate().filter(|(_, (s, _))| matches(s));
        let first = found.next().map(|(i, (s, _))| (i, s.len()));
        let more = found.next().is_some();
        let is_ref = name.len() > 4 && name.ends_with(".ref");
        match first {
            Some((i, len)) if kind == Kind::File && !more && !is_ref => {
                let stem_len = name.len() - len;
                self.stem_owned(name, stem_len).files |= 1 << i;
            }
            _ => self.add_borrowed(&name, kind, profile),
        }
    }

    /// [`Listing::add`] for any entry, each use with a key of its own.
    fn add_borrowed(&mut self, name: &str, kind: Kind, profile: &Profile) {
        // A regular file matters only through its suffixes (a package or namespace needs a directory).
        if kind != Kind::File {
            self.stem(name).entry = Some(kind);
        }
        for (i, (suffix, _)) in profile.suffixes().iter().enumerate() {
            if name.len() > suffix.len() && name.ends_with(suffix.as_str()) {
                let stem = self.stem(&name[..name.len() - suffix.len()]);
                match kind {
                    Kind::File => stem.files |= 1 << i,
                    _ => stem.others |= 1 << i,
                }
            }
        }
        if let Some(stem) = name.strip_suffix(".ref").filter(|s| !s.is_empty()) {
            self.stem(stem).ref_file = Some(kind);
        }
    }
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

/// What `path` is, as a lookup may learn it: under confinement a link is first checked inside the roots, and
/// one that is not is [`Kind::Refused`] without a stat through it.
fn probe(path: &str, ctx: &Ctx) -> Option<Kind> {
    if ctx.confined() {
        match fs::symlink_metadata(path) {
            Err(_) => return None,
            Ok(m) if m.file_type().is_symlink() && ctx.check_allowed(path).is_err() => return Some(Kind::Refused),
            Ok(_) => {}
        }
    }
    stat_kind(path)
}

/// Under confinement, a spec's `cached` (where a host reads and writes compiled code) is kept only if neither
/// the cache directory nor the cached file is a link leading outside the roots.
fn confine_cached(spec: Arc<ModuleSpec>, ctx: &Ctx) -> Arc<ModuleSpec> {
    let Some(cached) = spec.cached().filter(|_| ctx.confined()) else { return spec };
    let dir = cached.rfind('/').map_or(cached, |i| &cached[..i]);
    let outside = [dir, cached].into_iter().any(|p| matches!(probe(p, ctx), Some(Kind::Refused)));
    if outside {
        Arc::new(Arc::unwrap_or_clone(spec).with_cached(None))
    } else {
        spec
    }
}

fn stat_kind(path: &str) -> Option<Kind> {
    match fs::metadata(path) {
        Ok(m) if m.is_file() => Some(Kind::File),
        Ok(m) if m.is_dir() => Some(Kind::Dir),
        Ok(_) => Some(Kind::Other),
        Err(_) => None,
    }
}

/// The spec of the module file `<dir>/<stem><suffix>` (origin `fs:<file>`, `cached` per the profile).
pub fn file_spec(
    name: &str,
    kind: ModuleKind,
    dir: &str,
    stem: &str,
    suffix: &str,
    profile: &Profile,
    is_package: bool,
) -> ModuleSpec {
    let trimmed = crate::spec::trim_slashes(dir);
    ModuleSpec::for_file_with(name, kind, "fs:", trimmed, stem, suffix, is_package, |text| {
        profile.push_cached(text, trimmed, stem, kind, suffix)
    })
}

/// What a directory holds under one name.
pub enum DirResult {
    Module(Arc<ModuleSpec>),
    /// Namespace portions: the directory's own, and those its `.ref` file led to.
    Portions(Vec<Portion>),
    Nothing,
}

/// What a lookup learnt under the directory's lock, acted on after it is released.
#[derive(Default)]
struct Seen {
    /// The first suffix index whose file exists (links resolved).
    file: Option<usize>,
    /// `tail` is a directory (links resolved).
    dir: bool,
    /// `tail` is a link that does not resolve inside the confinement roots.
    refused_dir: bool,
    /// `tail.ref` is a regular file.
    has_ref: bool,
    /// The init file of `tail` as a package, if it was already looked for (suffix index).
    init: Option<Option<usize>>,
}

impl DirFinder {
    /// A finder for `path`, which is used as given (CPython's `FileFinder.path`).
    pub fn new(path: String) -> DirFinder {
        let state = State { listing: Listing::default(), mtime: None, checked: None, unreadable: None };
        DirFinder { path, state: Mutex::new(state) }
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
        let now = ctx.now;
        if let Some(checked) = st.checked {
            if now.duration_since(checked) < ctx.recheck {
                return;
            }
        }
        st.checked = Some(now);
        st.listing.probes.clear();
        st.listing.inits.clear();
        let mtime = fs::metadata(&self.path).and_then(|m| m.modified()).ok();
        if mtime.is_some() && mtime == st.mtime {
            return;
        }
        st.mtime = mtime;
        st.listing.stems.clear();
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
                    st.listing.add(name, kind, ctx.profile);
                }
            }
            Err(e) => st.unreadable = Some(describe(&e)),
        }
    }

    /// Resolves a link or unknown entry with a stat (see [`probe`]), remembered until the next check.
    fn resolve(&self, st: &mut State, name: &str, kind: Kind, ctx: &Ctx) -> Option<Kind> {
        if kind != Kind::Other {
            return Some(kind);
        }
        if let Some(k) = st.listing.probes.get(name) {
            return *k;
        }
        let k = probe(&join(&self.path, name), ctx);
        st.listing.probes.insert(name.into(), k);
        k
    }

    /// Which file `<stem><suffix>` exists first in suffix order, and whether `stem` is a directory. A refused
    /// link counts as present: the roots check that follows refuses it, as it refuses any path outside.
    fn seen(&self, st: &mut State, stem: &str, ctx: &Ctx) -> Seen {
        let Some(s) = st.listing.stems.get(stem).copied() else { return Seen::default() };
        let present = |k: Option<Kind>| matches!(k, Some(Kind::File) | Some(Kind::Refused));
        let mut file = None;
        for (i, (suffix, _)) in ctx.profile.suffixes().iter().enumerate() {
            if s.files & (1 << i) != 0 {
                file = Some(i);
                break;
            }
            if s.others & (1 << i) != 0 && present(self.resolve(st, &format!("{stem}{suffix}"), Kind::Other, ctx)) {
                file = Some(i);
                break;
            }
        }
        let entry = s.entry.and_then(|k| self.resolve(st, stem, k, ctx));
        let has_ref = s.ref_file.is_some_and(|k| present(self.resolve(st, &format!("{stem}.ref"), k, ctx)));
        Seen { file, dir: entry == Some(Kind::Dir), refused_dir: entry == Some(Kind::Refused), has_ref, init: None }
    }

    /// The init file of the subdirectory `tail` as a package (its suffix index): a stat of each candidate in
    /// suffix order, as CPython does (no need to list a directory, such as `__pycache__`, whose children
    /// nobody asked for), remembered until the next check.
    fn package_init(&self, tail: &str, ctx: &Ctx) -> Option<usize> {
        let stem = ctx.profile.init_stem();
        let found = ctx.profile.suffixes().iter().position(|(suffix, _)| {
            matches!(probe(&join(&self.path, &format!("{tail}/{stem}{suffix}")), ctx), Some(Kind::File | Kind::Refused))
        });
        self.state.lock().listing.inits.insert(tail.into(), found);
        found
    }

    /// Looks up `fullname` (whose last segment is `tail`) as `FileFinder.find_spec` does, after following
    /// `<tail>.ref` if there is one (a module found through it wins; its portions are kept).
    pub fn find(
        &self,
        fullname: &str,
        tail: &str,
        ctx: &Ctx,
        dirs: &DirCache,
        trace: &mut Trace,
        chain: &mut Chain,
    ) -> DirResult {
        let profile = ctx.profile;
        let seen = {
            let mut st = self.state.lock();
            self.refresh(&mut st, ctx);
            if let Some(why) = &st.unreadable {
                trace.note_with(|| Some(Attempt::new(&self.path, format!("cannot list the directory: {why}"))));
                return DirResult::Nothing;
            }
            let mut seen = self.seen(&mut st, tail, ctx);
            if seen.dir {
                seen.init = st.listing.inits.get(tail).copied();
            }
            seen
        };
        let mut portions = Vec::new();
        if seen.has_ref {
            let mut search = |path: &str, chain: &mut Chain, trace: &mut Trace| match dirs
                .get(path)
                .find(fullname, tail, ctx, dirs, trace, chain)
            {
                DirResult::Module(spec) => Some(RefResult::Module(spec)),
                DirResult::Portions(p) => Some(RefResult::Portions(p)),
                DirResult::Nothing => None,
            };
            match refs::follow(ctx, &self.path, tail, chain, trace, &mut search) {
                Some(RefResult::Module(spec)) => return DirResult::Module(spec),
                Some(RefResult::Portions(p)) => portions = p,
                None => {}
            }
        }
        if seen.dir {
            let init = match seen.init {
                Some(i) => i,
                None => self.package_init(tail, ctx),
            };
            if let Some(i) = init {
                let base = join(&self.path, tail);
                let (suffix, kind) = &profile.suffixes()[i];
                let spec = Arc::new(file_spec(fullname, *kind, &base, profile.init_stem(), suffix, profile, true));
                if ctx.allowed(spec.file().unwrap_or_default(), trace) {
                    return DirResult::Module(confine_cached(spec, ctx));
                }
            }
        }
        if let Some(i) = seen.file {
            let (suffix, kind) = &profile.suffixes()[i];
            let spec = Arc::new(file_spec(fullname, *kind, &self.path, tail, suffix, profile, false));
            if ctx.allowed(spec.file().unwrap_or_default(), trace) {
                return DirResult::Module(confine_cached(spec, ctx));
            }
        }
        if seen.refused_dir {
            trace.note_with(|| Some(Attempt::new(join(&self.path, tail), REFUSED)));
        }
        if seen.dir && profile.namespace_dirs() {
            let base = join(&self.path, tail);
            if ctx.allowed(&base, trace) {
                portions.push(Portion { location: base, refs: chain.files().to_vec() });
            }
        }
        if !portions.is_empty() {
            return DirResult::Portions(portions);
        }
        if trace.tracing() {
            let src = profile.suffixes().iter().find(|(_, k)| *k == ModuleKind::Source).map_or("", |(s, _)| s.as_str());
            let ns = if profile.namespace_dirs() { ", no directory" } else { "" };
            trace.note_with(|| {
                Some(Attempt::new(&self.path, format!("no {tail}{src}, no {tail}/{}{src}{ns}", profile.init_stem())))
            });
        }
        DirResult::Nothing
    }
}

/// The directory finders of one path finder, by path: shared by path entries and `.ref` targets.
#[derive(Default)]
pub struct DirCache(Mutex<FxHashMap<String, Arc<DirFinder>>>);

impl DirCache {
    /// The finder for `path` (made on first use).
    pub fn get(&self, path: &str) -> Arc<DirFinder> {
        let mut dirs = self.0.lock();
        if let Some(d) = dirs.get(path) {
            return Arc::clone(d);
        }
        let d = Arc::new(DirFinder::new(path.to_owned()));
        dirs.insert(path.to_owned(), Arc::clone(&d));
        d
    }

    /// Every finder forgets its listing.
    pub fn invalidate(&self) {
        for d in self.0.lock().values() {
            d.invalidate();
        }
    }

    /// Drops every finder (after the lock is released).
    pub fn clear(&self) {
        let dirs = std::mem::take(&mut *self.0.lock());
        drop(dirs);
    }
}

/// A directory on the path, behind the entry protocol (CPython's `FileFinder`).
pub struct DirEntry {
    pub dir: Arc<DirFinder>,
    pub dirs: Arc<DirCache>,
}

impl DirEntry {
    /// The entries of the directory, by name and whether each is a directory (links resolved), inside the
    /// confinement roots.
    fn listing(&self, ctx: &Ctx) -> Option<Vec<(String, bool)>> {
        ctx.check_allowed(self.dir.path()).ok()?;
        let rd = fs::read_dir(self.dir.path()).ok()?;
        let mut out = Vec::new();
        for entry in rd.flatten() {
            let Ok(name) = entry.file_name().into_string() else { continue };
            let path = join(self.dir.path(), &name);
            // As `os.listdir` lists them: what is no directory (a dangling link, a FIFO) is a file name too;
            // only a link that leads outside the confinement roots is left out.
            match probe(&path, ctx) {
                Some(Kind::Dir) => out.push((name, true)),
                Some(Kind::Refused) => {}
                Some(_) => out.push((name, false)),
                None if fs::symlink_metadata(&path).is_ok() => out.push((name, false)),
                None => {}
            }
        }
        out.sort();
        Some(out)
    }
}

impl Entry for DirEntry {
    fn find(&self, name: &Wanted, _: &str, ctx: &Ctx, _: bool, trace: &mut Trace) -> Result<EntryAnswer> {
        Ok(match self.dir.find(name.fullname, name.tail, ctx, &self.dirs, trace, &mut Chain::default()) {
            // The host reads the file; the code cache may too, through the roots it was found under.
            DirResult::Module(spec) => {
                EntryAnswer::Module(Found::shared(spec, Source::File(Arc::clone(&ctx.roots) as Arc<dyn FileReader>)))
            }
            DirResult::Portions(p) => EntryAnswer::Portions(p),
            DirResult::Nothing => EntryAnswer::Nothing,
        })
    }

    fn invalidate(&self) {
        self.dir.invalidate();
    }

    /// A regular file of the directory, inside the confinement roots (links resolved), read through the
    /// descriptor opened by its checked path (a link or FIFO swapped in after the check is never read).
    fn read_resource(&self, resource: &str, ctx: &Ctx) -> Result<Option<Resource>> {
        use std::io::Read;
        let path = join(self.dir.path(), resource);
        if ctx.check_allowed(&path).is_err() || probe(&path, ctx) != Some(Kind::File) {
            return Ok(None);
        }
        let unreadable = |why: String| crate::error::Error::new(crate::error::ErrorCode::Unavailable, why);
        let file = super::open::open_checked(ctx, &path, "cannot read resource").map_err(unreadable)?;
        if !file.metadata().map(|m| m.is_file()).unwrap_or(false) {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        (&file)
            .read_to_end(&mut bytes)
            .map_err(|e| unreadable(format!("cannot read resource {path}: {}", describe(&e))))?;
        Ok(Some(Resource::Owned(bytes)))
    }

    fn resources(&self, ctx: &Ctx) -> Result<Option<Vec<String>>> {
        Ok(self.listing(ctx).map(|l| l.into_iter().map(|(n, _)| n).collect()))
    }

    /// As `pkgutil` lists a `FileFinder`: module files by stem (the first suffix of the profile that
    /// matches), and directories holding an init file as packages; names that are not identifiers skipped.
    fn iter_modules(&self, ctx: &Ctx) -> Result<Vec<ModuleInfo>> {
        let profile = ctx.profile;
        let Some(listing) = self.listing(ctx) else { return Ok(Vec::new()) };
        // `pkgutil` goes by the names the directory lists: an init of any kind (a directory, a dangling link)
        // makes a package, unless it is a link leading outside the confinement roots.
        let has_init = |dir: &str| {
            let pkg = join(self.dir.path(), dir);
            profile.suffixes().iter().any(|(s, _)| {
                let f = join(&pkg, &format!("{}{s}", profile.init_stem()));
                match probe(&f, ctx) {
                    Some(Kind::Refused) => false,
                    Some(_) => ctx.check_allowed(&f).is_ok(),
                    None => !ctx.confined() && fs::symlink_metadata(&f).is_ok(),
                }
            })
        };
        Ok(super::listing::directory_modules(listing, profile, has_init))
    }
}
