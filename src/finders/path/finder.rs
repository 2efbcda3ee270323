//! The path finder: CPython's `PathFinder` over a runtime's search path (or a package's search locations),
//! the last finder of every meta path. It owns the filesystem side of a runtime: the switch, the search path,
//! path hooks, the per-entry finder cache (`path_importer_cache`, negative results included; `''` is the
//! current directory), the recheck window and confinement. Namespace packages are collected across entries
//! (PEP 420); their locations follow the search path as it is now (`namespace.rs`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use rustc_hash::FxHashMap;

use super::archive::Archives;
use super::bundle::{self as bundle_entry, BundleEntry};
use super::ctx::{describe, join, Ctx};
use super::dir::{DirCache, DirEntry};
use super::entry::{Entry, EntryAnswer, Portion, Wanted};
use super::namespace::{is_path_namespace, Locations};
use super::scope;
use super::zip::{self as zip_entry, Indexed, ZipEntry};
use crate::error::{Attempt, Error, Result};
use crate::finders::host::{self, PathHook};
use crate::finders::protocol::{Finder, Found, ModuleInfo, Query};
use crate::finders::source::{Resource, Source};
use crate::finders::trace::Trace;
use crate::profile::Profile;
use crate::spec::{ModuleKind, ModuleSpec};

/// How long a directory listing is trusted before the directory is stat'ed again, by default.
pub const DEFAULT_RECHECK: Duration = Duration::from_millis(1000);

/// The schemes of importkit's own origins and locations: never filesystem paths.
const OWN_SCHEMES: [&str; 5] = ["memory:", "builtin:", "namespace:", "host:", "bundle:"];

/// A host path hook and its id.
type Hook = (u64, Arc<dyn PathHook>);

/// An entry's finder, or why no hook took it (a negative result, cached too; empty: nothing worth noting).
type Made = std::result::Result<Arc<dyn Entry>, String>;

pub struct PathFinder {
    runtime: u64,
    profile: Profile,
    enabled: AtomicBool,
    search_path: RwLock<Arc<Vec<String>>>,
    recheck_ms: AtomicU64,
    /// Moves whenever the search locations may answer differently (see `locations_changed`).
    generation: AtomicU64,
    importer_cache: Mutex<FxHashMap<String, Made>>,
    /// Moves when the importer cache is dropped or invalidated: an entry finder made meanwhile (its hooks
    /// ran while the cache was being dropped) is used for that one search but not cached.
    cache_epoch: AtomicU64,
    dirs: Arc<DirCache>,
    zips: Archives<Indexed>,
    bundles: Archives<crate::finders::bundle::Served>,
    hooks: RwLock<Arc<Vec<Hook>>>,
    roots: RwLock<Arc<Vec<PathBuf>>>,
}

fn cwd() -> Option<String> {
    std::env::current_dir().ok().and_then(|p| p.into_os_string().into_string().ok())
}

impl PathFinder {
    /// The path finder of runtime `runtime`, off, with an empty search path.
    pub fn new(runtime: u64, profile: Profile) -> PathFinder {
        PathFinder {
            runtime,
            profile,
            enabled: AtomicBool::new(false),
            search_path: RwLock::new(Arc::new(Vec::new())),
            recheck_ms: AtomicU64::new(DEFAULT_RECHECK.as_millis() as u64),
            generation: AtomicU64::new(0),
            importer_cache: Mutex::default(),
            cache_epoch: AtomicU64::new(0),
            dirs: Arc::default(),
            zips: Archives::default(),
            bundles: Archives::default(),
            hooks: RwLock::default(),
            roots: RwLock::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Release);
        self.locations_changed();
    }

    /// The search locations may answer differently now (path edited, hooks, roots, caches): what an
    /// operation remembered of namespace packages no longer holds.
    pub fn locations_changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn search_path(&self) -> Arc<Vec<String>> {
        self.search_path.read().clone()
    }

    /// Edits the search path (a copy, swapped in whole).
    pub fn edit_search_path(&self, edit: impl FnOnce(&mut Vec<String>) -> Result<()>) -> Result<()> {
        let mut guard = self.search_path.write();
        let mut list = guard.as_ref().clone();
        edit(&mut list)?;
        *guard = Arc::new(list);
        drop(guard);
        self.locations_changed();
        Ok(())
    }

    pub fn set_recheck(&self, window: Duration) {
        self.recheck_ms.store(window.as_millis().min(u64::MAX as u128) as u64, Ordering::Relaxed);
    }

    pub fn recheck(&self) -> Duration {
        Duration::from_millis(self.recheck_ms.load(Ordering::Relaxed))
    }

    /// A context for one search.
    pub fn ctx(&self) -> Ctx<'_> {
        Ctx::new(self.runtime, &self.profile, self.recheck(), self.roots())
    }

    pub fn add_hook(&self, id: u64, hook: Arc<dyn PathHook>, position: usize) {
        let mut hooks = self.hooks.write();
        let mut list = hooks.as_ref().clone();
        list.insert(position.min(list.len()), (id, hook));
        let old = std::mem::replace(&mut *hooks, Arc::new(list));
        drop(hooks);
        drop(old);
        self.drop_caches();
    }

    pub fn remove_hook(&self, id: u64) -> bool {
        let mut hooks = self.hooks.write();
        let mut list = hooks.as_ref().clone();
        let before = list.len();
        list.retain(|(i, _)| *i != id);
        let removed = list.len() != before;
        let old = std::mem::replace(&mut *hooks, Arc::new(list));
        // The hook (and its userdata release) goes outside the lock: a release may call back in.
        drop(hooks);
        drop(old);
        if removed {
            self.drop_caches();
        }
        removed
    }

    /// Allows paths under `root` only (added to the roots already allowed).
    pub fn confine(&self, root: &str) -> Result<()> {
        let real = std::fs::canonicalize(root)
            .map_err(|e| Error::invalid_argument(format!("cannot confine to '{root}': {e}")))?;
        let mut roots = self.roots.write();
        let mut list = roots.as_ref().clone();
        list.push(real);
        *roots = Arc::new(list);
        drop(roots);
        self.drop_caches();
        Ok(())
    }

    pub fn clear_confinement(&self) {
        *self.roots.write() = Arc::new(Vec::new());
        self.drop_caches();
    }

    pub fn roots(&self) -> Arc<Vec<PathBuf>> {
        self.roots.read().clone()
    }

    /// Drops every cache, outside the locks (a host's release may call back in): the next search lists
    /// every directory again (`importkit resolve --cold`).
    pub fn drop_caches(&self) {
        self.cache_epoch.fetch_add(1, Ordering::AcqRel);
        let entries = std::mem::take(&mut *self.importer_cache.lock());
        drop(entries);
        self.dirs.clear();
        self.zips.clear();
        self.bundles.clear();
        self.locations_changed();
    }

    /// `PathFinder.invalidate_caches`: negative and relative entries are dropped, every finder forgets its
    /// listing.
    pub fn invalidate(&self) {
        self.cache_epoch.fetch_add(1, Ordering::AcqRel);
        let (entries, dropped): (Vec<Arc<dyn Entry>>, Vec<_>) = {
            let mut cache = self.importer_cache.lock();
            let dropped: Vec<_> = cache.extract_if(|k, v| v.is_err() || !k.starts_with('/')).collect();
            (cache.values().filter_map(|v| v.as_ref().ok()).cloned().collect(), dropped)
        };
        drop(dropped);
        for e in entries {
            e.invalidate();
        }
        self.dirs.invalidate();
        self.zips.invalidate();
        self.bundles.invalidate();
        self.locations_changed();
    }

    /// The entry finder for a path entry (`PathFinder._path_importer_cache`).
    fn entry_finder(
        &self,
        entry: &str,
        fullname: &str,
        ctx: &Ctx,
        trace: &mut Trace,
    ) -> Result<Option<Arc<dyn Entry>>> {
        let current;
        let key = if entry.is_empty() {
            match cwd() {
                Some(c) => {
                    current = c;
                    current.as_str()
                }
                None => {
                    trace.note_with(|| Some(Attempt::new("''", "skipped: the current directory cannot be read")));
                    return Ok(None);
                }
            }
        } else {
            entry
        };
        let cached = self.importer_cache.lock().get(key).cloned();
        let made = match cached {
            Some(made) => made,
            None => {
                let epoch = self.cache_epoch.load(Ordering::Acquire);
                let made = self.run_hooks(key, fullname, ctx)?;
                let mut cache = self.importer_cache.lock();
                // Not cached if the cache was dropped or invalidated while the hooks ran (by another thread,
                // or by a hook): what the host forgot meanwhile is not put back.
                if self.cache_epoch.load(Ordering::Acquire) == epoch {
                    cache.insert(key.to_owned(), made.clone());
                }
                drop(cache);
                made
            }
        };
        match made {
            Ok(finder) => Ok(Some(finder)),
            Err(why) => {
                if !why.is_empty() {
                    trace.note_with(|| Some(Attempt::new(entry, why)));
                }
                Ok(None)
            }
        }
    }

    /// The first hook that takes `entry` (host hooks in order, then the zip hook and the directory hook, as
    /// CPython's `zipimporter` and `FileFinder`), or why none did.
    /// `fullname` is the module whose search offered the entry (for errors).
    fn run_hooks(&self, entry: &str, fullname: &str, ctx: &Ctx) -> Result<Made> {
        let hooks = self.hooks.read().clone();
        for (_, hook) in hooks.iter() {
            if let Some(made) = host::run_hook(hook.as_ref(), entry, fullname)? {
                return Ok(Ok(Arc::new(made)));
            }
        }
        if OWN_SCHEMES.iter().any(|s| entry.starts_with(s)) {
            // importkit's own locations (a mounted package's `memory:/...`) are its finders' business: no
            // filesystem call, nothing worth noting.
            return Ok(Err(String::new()));
        }
        // Confinement first: what an entry outside the roots is (or whether it exists) is not told. An entry
        // into a directory of an archive never resolves (its archive is a file): the archive must.
        if let Err(why) = ctx.check_allowed(entry) {
            return Ok(match zip_entry::archive_of(entry, ctx) {
                Some((archive, prefix)) => Ok(self.archive_entry(&archive, prefix, ctx)),
                None => Err(why),
            });
        }
        match std::fs::metadata(entry) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.is_file() => return Ok(Ok(self.archive_entry(entry, String::new(), ctx))),
            Ok(_) => return Ok(Err("not a directory".into())),
            Err(e) => {
                // zipimport's rule: a path inside an archive (`/a/app.zip/lib`).
                if let Some((archive, prefix)) = zip_entry::archive_of(entry, ctx) {
                    return Ok(Ok(self.archive_entry(&archive, prefix, ctx)));
                }
                return Ok(Err(format!("not a directory: {}", describe(&e))));
            }
        }
        // FileFinder.__init__: '' and '.' are the current directory; relative paths are joined to it.
        let path = if entry == "." {
            cwd().unwrap_or_else(|| entry.to_owned())
        } else if !entry.starts_with('/') {
            cwd().map_or_else(|| entry.to_owned(), |c| join(&c, entry))
        } else {
            entry.to_owned()
        };
        Ok(Ok(Arc::new(DirEntry { dir: self.dirs.get(&path), dirs: Arc::clone(&self.dirs) })))
    }

    /// The finder of an entry into the directory `prefix` of the archive file `path`: a bundle if the file
    /// starts with the bundle magic, else a zip archive (whose finder says why, if it is none).
    fn archive_entry(&self, path: &str, prefix: String, ctx: &Ctx) -> Arc<dyn Entry> {
        if bundle_entry::is_bundle(path, ctx) {
            Arc::new(BundleEntry::new(self.bundles.get(path), prefix))
        } else {
            Arc::new(ZipEntry::new(self.zips.get(path), prefix))
        }
    }

    /// `PathFinder.find_spec` for `fullname` over `entries`: the first module or regular package wins;
    /// namespace portions are collected until then, and make a namespace package if nothing else is found.
    /// In the explaining pass after a miss, host entry finders are noted, not asked.
    pub fn find_in(
        &self,
        fullname: &str,
        entries: &[&str],
        ctx: &Ctx,
        trace: &mut Trace,
        explaining: bool,
    ) -> Result<Option<Found>> {
        let mut portions: Vec<Portion> = Vec::new();
        let wanted = Wanted::new(fullname);
        for entry in entries {
            let Some(finder) = self.entry_finder(entry, fullname, ctx, trace)? else { continue };
            match finder.find(&wanted, entry, ctx, explaining, trace)? {
                EntryAnswer::Module(found) => return Ok(Some(found)),
                EntryAnswer::Portions(p) => portions.extend(p),
                EntryAnswer::Nothing => {}
            }
        }
        if portions.is_empty() {
            return Ok(None);
        }
        let mut spec = ModuleSpec::new(fullname, &format!("namespace:{fullname}"), ModuleKind::Namespace, true);
        for p in &portions {
            spec.push_location_with_refs(&p.location, p.refs.iter().map(String::as_str));
        }
        Ok(Some(Found::new(spec, Source::None)))
    }

    /// The search locations for the children of `parent` (the search path for a top-level name); `table`
    /// gives the specs of modules in the runtime's table. A namespace package's are recomputed, as CPython's
    /// `_NamespacePath` does, from its parent's locations as they are now, so a portion added to the path
    /// later is seen; once per operation (an import of `a.b.c.d` through namespace packages recomputes each
    /// level once, not once per level below it).
    pub fn child_locations<'a>(
        &self,
        parent: Option<&'a ModuleSpec>,
        table: &dyn Fn(&str) -> Option<Arc<ModuleSpec>>,
    ) -> Result<Locations<'a>> {
        Ok(match parent {
            None => Locations::SearchPath(self.search_path()),
            Some(spec) if is_path_namespace(spec) => Locations::Owned(self.namespace_locations(spec, table)?),
            Some(spec) => Locations::Spec(spec),
        })
    }

    fn namespace_locations(
        &self,
        spec: &ModuleSpec,
        table: &dyn Fn(&str) -> Option<Arc<ModuleSpec>>,
    ) -> Result<Vec<String>> {
        let name = spec.name();
        let generation = self.generation();
        if let Some(known) = scope::namespace(generation, name) {
            return Ok(known);
        }
        let parent_spec = match crate::name::parent(name) {
            Some(p) => match table(p) {
                Some(s) => Some(s),
                None => return Ok(spec.locations().map(str::to_owned).collect()),
            },
            None => None,
        };
        let locations = self.child_locations(parent_spec.as_deref(), table)?;
        let entries = locations.entries();
        let ctx = self.ctx();
        // As CPython's _NamespacePath: only a namespace result replaces the locations.
        let locations: Vec<String> = match self.find_in(name, &entries, &ctx, &mut Trace::off(), false)? {
            Some(f) if f.spec.kind() == ModuleKind::Namespace => f.spec.locations().map(str::to_owned).collect(),
            _ => spec.locations().map(str::to_owned).collect(),
        };
        scope::remember_namespace(generation, name, &locations);
        Ok(locations)
    }

    /// The entry finders of a package's locations (the search path for `None`), in order.
    fn entries_of(&self, package: Option<&ModuleSpec>, query: &Query, ctx: &Ctx) -> Result<Vec<Arc<dyn Entry>>> {
        let locations = self.child_locations(package, query.table)?;
        let mut out = Vec::new();
        for entry in locations.entries() {
            if let Some(f) = self.entry_finder(entry, package.map_or("", |p| p.name()), ctx, &mut Trace::off())? {
                out.push(f);
            }
        }
        Ok(out)
    }
}

impl Finder for PathFinder {
    fn place(&self) -> String {
        "path".to_owned()
    }

    fn find(&self, query: &Query, trace: &mut Trace) -> Result<Option<Found>> {
        if !self.enabled() {
            return Ok(None);
        }
        let locations = self.child_locations(query.parent, query.table)?;
        let entries = locations.entries();
        let ctx = self.ctx();
        self.find_in(query.name, &entries, &ctx, trace, query.explaining)
    }

    fn invalidate(&self) {
        PathFinder::invalidate(self);
    }

    fn read_resource(&self, package: &ModuleSpec, resource: &str, query: &Query) -> Result<Option<Resource>> {
        if !self.enabled() {
            return Ok(None);
        }
        let ctx = self.ctx();
        for entry in self.entries_of(Some(package), query, &ctx)? {
            if let Some(bytes) = entry.read_resource(resource, &ctx)? {
                return Ok(Some(bytes));
            }
        }
        Ok(None)
    }

    fn resources(&self, package: &ModuleSpec, query: &Query) -> Result<Option<Vec<String>>> {
        if !self.enabled() {
            return Ok(None);
        }
        let ctx = self.ctx();
        let mut names: Vec<String> = Vec::new();
        for entry in self.entries_of(Some(package), query, &ctx)? {
            names.extend(entry.resources(&ctx)?.unwrap_or_default());
        }
        names.sort();
        names.dedup();
        Ok(Some(names))
    }

    fn iter_modules(&self, package: Option<&ModuleSpec>, query: &Query) -> Result<Vec<ModuleInfo>> {
        if !self.enabled() {
            return Ok(Vec::new());
        }
        let ctx = self.ctx();
        let mut out: Vec<ModuleInfo> = Vec::new();
        let mut seen = rustc_hash::FxHashSet::default();
        for entry in self.entries_of(package, query, &ctx)? {
            for m in entry.iter_modules(&ctx)? {
                if seen.insert(m.name.clone()) {
                    out.push(m);
                }
            }
        }
        Ok(out)
    }
}
