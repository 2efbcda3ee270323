//! Runtimes: isolated import worlds. Each has its own module table, natives, meta path, policy, profile and
//! executor; two runtimes share nothing. A runtime is `Send + Sync` and cheap to clone (a shared handle).

mod code_cache;
mod code_file;
mod get_code;
mod import;
mod locks;
mod reload;
mod resources;
mod search_path;
mod table;
mod thread_cache;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;

use crate::bundle::format::Bundle;
use crate::bundle::map::{FileBytes, Load};
use crate::error::{Error, ErrorCode, Result};
use crate::executor::{Executor, ModuleHandle};
use crate::finders::bundle::BundleMount;
use crate::finders::host::{HostFinder, HostMeta};
use crate::finders::memory::{Mount, MountFile, MountedTree};
use crate::finders::native::{NativeFlags, Natives};
use crate::finders::path::PathFinder;
use crate::finders::{Finder, FinderId, NativeFactory, Query};
use crate::limits::MAX_PATH_LEN;
use crate::name;
use crate::policy::SharedPolicy;
use crate::profile::Profile;
use crate::spec::ModuleSpec;

pub use crate::finders::path::DEFAULT_RECHECK;
pub use code_cache::{CodeCacheStats, DEFAULT_CODE_CACHE_LIMIT};
pub use get_code::{CodeQuery, ModuleCode};
pub use table::{ModuleState, Record};

static NEXT_RUNTIME_ID: AtomicU64 = AtomicU64::new(1);

/// How a mount treats a mount point that is taken already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MountMode {
    /// Refuse with `Exists`.
    #[default]
    New,
    /// Put the new tree in the old one's place on the meta path.
    Replace,
}

pub(crate) struct Inner {
    id: u64,
    profile: Profile,
    executor: Arc<table::ExecutorSlot>,
    natives: Arc<Natives>,
    /// The meta path: the natives first, the path finder last, the host's entries between, in its order;
    /// with the virtual root, so that a search reads both with one snapshot.
    meta_path: RwLock<Arc<MetaPath>>,
    next_finder: AtomicU64,
    policy: SharedPolicy,
    table: table::ModuleTable,
    locks: locks::ImportLocks,
    paths: Arc<PathFinder>,
    code_cache: code_cache::CodeCache,
}

/// What every search reads: the meta path and the virtual root, swapped in whole on any change.
#[derive(Clone)]
pub(crate) struct MetaPath {
    entries: Vec<MetaEntry>,
    virtual_root: Option<String>,
}

/// An entry of the meta path and the id it was given (0 for the natives and the path finder, which stay).
#[derive(Clone)]
pub(crate) struct MetaEntry {
    id: FinderId,
    finder: Arc<dyn Finder>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Each module object goes with its last hold, released through the executor still set.
        drop(self.table.drain());
    }
}

/// One isolated import world.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::new(Profile::python())
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("id", &self.inner.id).field("profile", &self.inner.profile.name()).finish()
    }
}

impl Runtime {
    /// A runtime with the given file conventions, no finders, no executor and the default policy.
    pub fn new(profile: Profile) -> Self {
        let id = NEXT_RUNTIME_ID.fetch_add(1, Ordering::Relaxed);
        let natives = Arc::new(Natives::default());
        let paths = Arc::new(PathFinder::new(id, profile.clone()));
        let meta_path = vec![
            MetaEntry { id: 0, finder: natives.clone() as Arc<dyn Finder> },
            MetaEntry { id: 0, finder: paths.clone() as Arc<dyn Finder> },
        ];
        let code_cache = code_cache::CodeCache::new(profile.cache_tag());
        Runtime {
            inner: Arc::new(Inner {
                id,
                profile,
                executor: Arc::new(RwLock::new(None)),
                natives,
                meta_path: RwLock::new(Arc::new(MetaPath { entries: meta_path, virtual_root: None })),
                next_finder: AtomicU64::new(1),
                policy: SharedPolicy::default(),
                table: table::ModuleTable::default(),
                locks: locks::ImportLocks::default(),
                paths,
                code_cache,
            }),
        }
    }

    pub fn profile(&self) -> &Profile {
        &self.inner.profile
    }

    /// Sets the host's executor; the previous one, if any, is dropped once no import uses it. The code kept
    /// in memory by the code cache is forgotten (the new executor may compile otherwise).
    pub fn set_executor(&self, executor: Arc<dyn Executor>) {
        let old = self.inner.executor.write().replace(executor);
        self.inner.code_cache.clear_memory();
        // Dropped outside the lock: its userdata release may call back into the runtime.
        drop(old);
    }

    pub(crate) fn executor(&self) -> Option<Arc<dyn Executor>> {
        self.inner.executor.read().clone()
    }

    /// Gives modules of mounted trees a virtual `file` under `root` (`None`: no `file`, the default).
    pub fn set_virtual_root(&self, root: Option<&str>) -> Result<()> {
        if let Some(r) = root {
            if r.is_empty() || r.len() > MAX_PATH_LEN || r.contains('\0') {
                return Err(Error::invalid_argument(format!(
                    "a virtual root must have 1 to {MAX_PATH_LEN} bytes and no NUL"
                )));
            }
        }
        let root = root.map(|r| r.trim_end_matches('/').to_owned());
        let mut guard = self.inner.meta_path.write();
        let mut next = guard.as_ref().clone();
        next.virtual_root = root;
        let old = std::mem::replace(&mut *guard, Arc::new(next));
        drop(guard);
        drop(old);
        Ok(())
    }

    // ----- the code cache (docs/CODE_CACHE.md) -----

    /// Keeps compiled code in `dir` across runs and processes (`None`: in memory only, the default): one
    /// file per module, written atomically, trusted only when its source hash and checksum match. `dir`
    /// must be an existing directory (resolved now if relative; it need not be writable) and the profile
    /// must have a cache tag (`Unavailable` otherwise).
    pub fn set_code_cache_dir(&self, dir: Option<&str>) -> Result<()> {
        self.inner.code_cache.set_dir(dir)
    }

    /// The code cache directory, resolved, if one is set.
    pub fn code_cache_dir(&self) -> Option<std::path::PathBuf> {
        self.inner.code_cache.dir().map(|d| d.as_ref().clone())
    }

    /// Bounds the compiled code kept in memory to `bytes` ([`DEFAULT_CODE_CACHE_LIMIT`] unless set; 0 keeps
    /// none), dropping the least recently used code now if it holds more.
    pub fn set_code_cache_limit(&self, bytes: u64) {
        self.inner.code_cache.set_limit(bytes);
    }

    /// What the code cache has done (compiles, hits, misses, rejected entries...) and holds.
    pub fn code_cache_stats(&self) -> CodeCacheStats {
        self.inner.code_cache.stats()
    }

    // ----- natives -----

    /// Registers a native module. `pkg.sub` may be registered beside `pkg`; `pkg` is then a package.
    pub fn register_native(&self, name: &str, factory: Arc<dyn NativeFactory>, flags: NativeFlags) -> Result<()> {
        name::validate(name, &self.inner.profile)?;
        let mut natives = self.inner.natives.write();
        if natives.contains(name) {
            return Err(Error::new(ErrorCode::Exists, format!("native '{name}' is registered already")));
        }
        natives.register(name, factory, flags);
        // Under the registry's lock, so no import sees the native before the policy knows it (lock order:
        // natives, then policy; nothing takes them the other way round).
        self.inner.policy.edit(|p| p.set_powerful(name, natives.is_powerful(name)));
        drop(natives);
        self.inner.table.bump();
        Ok(())
    }

    pub fn unregister_native(&self, name: &str) -> Result<()> {
        let mut natives = self.inner.natives.write();
        let Some(removed) = natives.unregister(name) else {
            return Err(Error::new(ErrorCode::Unavailable, format!("native '{name}' is not registered")));
        };
        // Under the registry's lock, so no import sees the native before the policy knows it (lock order:
        // natives, then policy; nothing takes them the other way round).
        self.inner.policy.edit(|p| p.set_powerful(name, natives.is_powerful(name)));
        drop(natives);
        // The factory (and its userdata release, which may call back in) goes outside the lock.
        drop(removed);
        self.inner.table.bump();
        Ok(())
    }

    // ----- meta path -----

    /// Edits the host's part of the meta path (between the natives and the path finder) on a copy swapped in
    /// whole, so a running search keeps the list it started with.
    fn edit_meta_path<T>(&self, edit: impl FnOnce(&mut Vec<MetaEntry>) -> Result<T>) -> Result<T> {
        let mut guard = self.inner.meta_path.write();
        let all = &guard.entries;
        let (first, last) = (all[0].clone(), all[all.len() - 1].clone());
        let mut list: Vec<MetaEntry> = all[1..all.len() - 1].to_vec();
        let out = edit(&mut list)?;
        list.insert(0, first);
        list.push(last);
        let virtual_root = guard.virtual_root.clone();
        let old = std::mem::replace(&mut *guard, Arc::new(MetaPath { entries: list, virtual_root }));
        // What the edit removed goes with `old`, outside the lock: a mount's release or a finder's userdata
        // release may call back into the runtime.
        drop(guard);
        drop(old);
        Ok(out)
    }

    fn next_finder_id(&self) -> FinderId {
        self.inner.next_finder.fetch_add(1, Ordering::Relaxed)
    }

    /// Mounts a tree at `point` (a top-level name, or `""` for the root), appended to the meta path.
    /// `guard` is dropped when the tree is no longer used (after unmount, once running imports are done).
    pub fn mount(
        &self,
        point: &str,
        files: Vec<MountFile>,
        mode: MountMode,
        guard: Option<Box<dyn Send + Sync>>,
    ) -> Result<FinderId> {
        let tree = Arc::new(MountedTree::build(point, files, &self.inner.profile, guard)?);
        self.put_mount(point, Arc::new(Mount(tree)), mode)
    }

    /// Mounts a bundle (its bytes, held by whatever `bytes` is: a vector, an `Arc<[u8]>`, static bytes) at
    /// `point` (a top-level name, which the bundle's root package becomes, or `""` for the root), appended
    /// to the meta path. The bundle is opened (its header checked, O(1) in its modules), not parsed; a bad
    /// header is refused with `InvalidMount`. Bundles and trees share the mount points: `unmount` and
    /// [`MountMode::Replace`] work on either.
    pub fn mount_bundle(
        &self,
        point: &str,
        bytes: impl AsRef<[u8]> + Send + Sync + 'static,
        mode: MountMode,
    ) -> Result<FinderId> {
        self.check_mount_point(point)?;
        self.mount_opened_bundle(point, Bundle::open(BundleMount::place_of(point), bytes)?, mode)
    }

    /// Whether `point` can be a mount point under this runtime's profile (a top-level name, or `""`),
    /// checked before anything is opened; else why not (`InvalidName`).
    pub fn check_mount_point(&self, point: &str) -> Result<()> {
        crate::finders::memory::check_point(point, &self.inner.profile)
    }

    /// Mounts the bundle file at `path` (mapped, or read whole, as `load` says) at `point`, as
    /// [`Runtime::mount_bundle`]; errors name the file.
    pub fn mount_bundle_file(&self, point: &str, path: &Path, load: Load, mode: MountMode) -> Result<FinderId> {
        self.check_mount_point(point)?;
        let bytes = FileBytes::open(path, load)?;
        self.mount_opened_bundle(point, Bundle::open(path.display().to_string(), bytes)?, mode)
    }

    /// Mounts a bundle the host opened (and perhaps checked: [`Bundle::pinned`]) at `point`.
    pub fn mount_opened_bundle(&self, point: &str, bundle: Bundle, mode: MountMode) -> Result<FinderId> {
        let mount = BundleMount::new(point, bundle, &self.inner.profile)?;
        self.put_mount(point, Arc::new(mount), mode)
    }

    /// Puts a mount (a tree, a bundle) at its point of the meta path.
    fn put_mount(&self, point: &str, finder: Arc<dyn Finder>, mode: MountMode) -> Result<FinderId> {
        let id = self.next_finder_id();
        // Taken by the edit only if the mount goes on the meta path; a refused one (and the release of its
        // borrowed bytes, which may call back in) goes after the lock.
        let mut pending = Some(MetaEntry { id, finder });
        let result = self.edit_meta_path(|list| {
            let taken = list.iter().position(|f| f.finder.mount_point() == Some(point));
            match (taken, mode) {
                (Some(_), MountMode::New) => {
                    let shown = if point.is_empty() { "the root".to_owned() } else { format!("'{point}'") };
                    return Err(Error::new(ErrorCode::Exists, format!("mount point {shown} is taken already")));
                }
                (Some(at), MountMode::Replace) => list[at] = pending.take().expect("taken once"),
                (None, _) => list.push(pending.take().expect("taken once")),
            }
            Ok(id)
        });
        drop(pending);
        result
    }

    /// Unmounts the tree or bundle at `point`. Modules already imported from it stay in the table.
    pub fn unmount(&self, point: &str) -> Result<()> {
        self.edit_meta_path(|list| {
            let at = list.iter().position(|f| f.finder.mount_point() == Some(point));
            match at {
                Some(at) => {
                    list.remove(at);
                    Ok(())
                }
                None => Err(Error::new(ErrorCode::Unavailable, format!("nothing is mounted at '{point}'"))),
            }
        })
    }

    /// Puts a host finder at `position` of the meta path (clamped to its length).
    pub fn add_finder(&self, finder: Arc<dyn HostFinder>, position: usize) -> Result<FinderId> {
        self.add_source(Arc::new(HostMeta(finder)), position)
    }

    /// Puts any source of modules (a [`Finder`]) at `position` of the host's part of the meta path (after
    /// the natives, before the path finder; clamped to its length).
    pub fn add_source(&self, finder: Arc<dyn Finder>, position: usize) -> Result<FinderId> {
        let id = self.next_finder_id();
        self.edit_meta_path(|list| {
            let at = position.min(list.len());
            list.insert(at, MetaEntry { id, finder });
            Ok(id)
        })
    }

    /// Removes a host finder, a source or a mount by the id it was given.
    pub fn remove_finder(&self, id: FinderId) -> Result<()> {
        self.edit_meta_path(|list| {
            let before = list.len();
            list.retain(|f| f.id != id);
            if list.len() == before {
                return Err(Error::new(ErrorCode::Unavailable, format!("no finder with id {id} on the meta path")));
            }
            Ok(())
        })
    }

    /// Runs `f` with the meta path as it is now and a query about `name` (and its parent's spec) as the
    /// finders see it.
    pub(crate) fn with_query<T>(
        &self,
        name: &str,
        parent: Option<&ModuleSpec>,
        explaining: bool,
        f: impl FnOnce(&[MetaEntry], &Query) -> T,
    ) -> T {
        let snapshot = self.inner.meta_path.read().clone();
        let table = |n: &str| self.inner.table.get(n).and_then(|r| r.spec);
        let query = Query { name, parent, explaining, virtual_root: snapshot.virtual_root.as_deref(), table: &table };
        f(&snapshot.entries, &query)
    }

    /// The host's part of the meta path, as (id, description) pairs: `memory:/game`, `host:NAME`.
    pub fn meta_path(&self) -> Vec<(FinderId, String)> {
        let snapshot = self.inner.meta_path.read().clone();
        let all = &snapshot.entries;
        all[1..all.len() - 1].iter().map(|f| (f.id, f.finder.place())).collect()
    }

    /// Drops what finders cache (host finders and entry finders are told too; directory listings are read
    /// again; namespace packages recompute their locations).
    pub fn invalidate(&self) {
        let snapshot = self.inner.meta_path.read().clone();
        for f in snapshot.entries.iter() {
            f.finder.invalidate();
        }
    }

    // ----- policy -----

    /// Allows a top-level name (`*`: every name but powerful natives).
    pub fn allow(&self, top: &str) -> Result<()> {
        self.edit_policy(top, |p, t| p.allow(t))
    }

    /// Denies a top-level name; deny wins over allow.
    pub fn deny(&self, top: &str) -> Result<()> {
        self.edit_policy(top, |p, t| p.deny(t))
    }

    /// Back to the default policy.
    pub fn clear_policy(&self) {
        self.inner.policy.edit(|p| p.clear());
        self.inner.table.bump();
    }

    fn edit_policy(&self, top: &str, edit: impl FnOnce(&mut crate::policy::Policy, &str)) -> Result<()> {
        if top != "*" {
            name::validate(top, &self.inner.profile)?;
            if top.contains('.') {
                return Err(Error::new(
                    ErrorCode::InvalidName,
                    format!("policy names are top-level names; '{top}' has a '.'"),
                ));
            }
        }
        self.inner.policy.edit(|p| edit(p, top));
        self.inner.table.bump();
        Ok(())
    }

    pub(crate) fn check_policy(&self, full: &str) -> Result<()> {
        self.inner.policy.check(full)
    }

    // ----- the module table -----

    /// The module under `name` and its state, if it is in the table (a partly initialised one too).
    pub fn module(&self, name: &str) -> Option<(ModuleHandle, ModuleState)> {
        self.inner.table.get(name).map(|r| (r.handle(), r.state))
    }

    /// The spec of a module in the table (none for modules the host put there itself).
    pub fn module_spec(&self, name: &str) -> Option<Arc<ModuleSpec>> {
        self.inner.table.get(name).and_then(|r| r.spec)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.inner.table.contains(name)
    }

    /// Removes a module from the table; its object is released through the executor once nothing holds it
    /// (at once, unless an import is still executing it or handing it to a callback). Its children stay.
    pub fn remove_module(&self, name: &str) -> Result<()> {
        match self.inner.table.remove(name) {
            Some(removed) => {
                drop(removed);
                Ok(())
            }
            None => {
                Err(Error::new(ErrorCode::NotFound, format!("module '{name}' is not in the module table"))
                    .for_module(name))
            }
        }
    }

    /// Puts a module the host made into the table, ready (`sys.modules[name] = module`). A module it
    /// replaces is released.
    pub fn insert_module(&self, name: &str, handle: ModuleHandle) -> Result<()> {
        self.insert(name, handle, None)
    }

    /// Puts a package object the host made into the table, ready, searching `locations` for its submodules
    /// (`sys.modules[name] = obj` with an `obj.__path__`). Its spec has origin `host:inserted`, kind native.
    pub fn insert_package(&self, name: &str, handle: ModuleHandle, locations: &[&str]) -> Result<()> {
        if let Some(bad) = locations.iter().find(|l| l.len() > MAX_PATH_LEN || l.contains('\0')) {
            return Err(Error::invalid_argument(format!(
                "location '{}' has a NUL or is over {MAX_PATH_LEN} bytes",
                bad.escape_debug()
            )));
        }
        let spec = ModuleSpec::new(name, "host:inserted", crate::spec::ModuleKind::Native, true)
            .with_locations(locations.iter().map(|l| l.to_string()));
        self.insert(name, handle, Some(Arc::new(spec)))
    }

    fn insert(&self, name: &str, handle: ModuleHandle, spec: Option<Arc<ModuleSpec>>) -> Result<()> {
        name::validate(name, &self.inner.profile)?;
        if spec.is_none() && self.inner.table.get(name).is_some_and(|r| r.handle() == handle) {
            // The module putting itself back (`sys.modules[__name__] = module`): it keeps its spec and state.
            return Ok(());
        }
        let old = self.inner.table.insert_handle(name, spec, handle, || self.hold(handle));
        // Dropped here, outside the table's lock: a replaced object may be released now.
        drop(old);
        Ok(())
    }

    /// A new hold on a host module object the table is about to own.
    pub(crate) fn hold(&self, handle: ModuleHandle) -> Arc<table::ModuleObject> {
        table::ModuleObject::new(handle, &self.inner.executor)
    }

    /// Every name in the table, sorted.
    pub fn module_names(&self) -> Vec<String> {
        self.inner.table.names()
    }

    /// How many modules the table holds.
    pub fn module_count(&self) -> usize {
        self.inner.table.len()
    }

    /// How many module import locks are held or waited on right now (zero when no import runs).
    pub fn live_locks(&self) -> usize {
        self.inner.locks.live()
    }
}
