//! A runtime's filesystem side: the switch, the search path, path hooks, the recheck window, confinement,
//! and the current locations of namespace packages.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::{Record, Runtime};
use crate::error::{Error, ErrorCode, Result};
use crate::executor::PathHook;
use crate::finders::path::{scope, Ctx, Step};
use crate::finders::FinderId;
use crate::limits::MAX_PATH_LEN;
use crate::name;
use crate::spec::{ModuleKind, ModuleSpec};

/// How long a directory listing is trusted before the directory is stat'ed again, by default.
pub const DEFAULT_RECHECK: Duration = Duration::from_millis(1000);

fn check_entry(entry: &str) -> Result<()> {
    if entry.len() > MAX_PATH_LEN || entry.contains('\0') {
        return Err(Error::invalid_argument(format!(
            "a search path entry must have at most {MAX_PATH_LEN} bytes and no NUL"
        )));
    }
    Ok(())
}

impl Runtime {
    /// Turns the path finder on or off. Off (the default), the runtime makes no filesystem call at all.
    pub fn enable_filesystem(&self, on: bool) {
        self.inner.fs_enabled.store(on, Ordering::Release);
        self.locations_changed();
    }

    /// The search locations may answer differently now (path edited, hooks, roots, caches): what an
    /// operation remembered of namespace packages no longer holds.
    pub(crate) fn locations_changed(&self) {
        self.inner.locations_generation.fetch_add(1, Ordering::AcqRel);
    }

    pub fn filesystem_enabled(&self) -> bool {
        self.inner.fs_enabled.load(Ordering::Acquire)
    }

    /// The search path (CPython's `sys.path`), in order.
    pub fn search_path(&self) -> Vec<String> {
        self.inner.search_path.read().as_ref().clone()
    }

    fn edit_search_path(&self, edit: impl FnOnce(&mut Vec<String>) -> Result<()>) -> Result<()> {
        let mut guard = self.inner.search_path.write();
        let mut list = guard.as_ref().clone();
        edit(&mut list)?;
        *guard = Arc::new(list);
        drop(guard);
        self.locations_changed();
        Ok(())
    }

    pub fn path_append(&self, entry: &str) -> Result<()> {
        check_entry(entry)?;
        self.edit_search_path(|l| {
            l.push(entry.to_owned());
            Ok(())
        })
    }

    /// Inserts `entry` before position `index` (clamped to the length).
    pub fn path_insert(&self, index: usize, entry: &str) -> Result<()> {
        check_entry(entry)?;
        self.edit_search_path(|l| {
            l.insert(index.min(l.len()), entry.to_owned());
            Ok(())
        })
    }

    /// Removes the first entry equal to `entry`.
    pub fn path_remove(&self, entry: &str) -> Result<()> {
        self.edit_search_path(|l| match l.iter().position(|e| e == entry) {
            Some(at) => {
                l.remove(at);
                Ok(())
            }
            None => Err(Error::new(ErrorCode::Unavailable, format!("'{entry}' is not on the search path"))),
        })
    }

    /// Replaces the whole search path.
    pub fn set_search_path(&self, entries: &[&str]) -> Result<()> {
        for e in entries {
            check_entry(e)?;
        }
        self.edit_search_path(|l| {
            *l = entries.iter().map(|e| e.to_string()).collect();
            Ok(())
        })
    }

    /// Puts a host path hook at `position` of the hooks (before the built-in directory hook, which is
    /// always last).
    pub fn add_path_hook(&self, hook: Arc<dyn PathHook>, position: usize) -> FinderId {
        let id = self.next_finder_id();
        self.inner.paths.add_hook(id, hook, position);
        self.inner.paths.drop_caches();
        self.locations_changed();
        id
    }

    pub fn remove_path_hook(&self, id: FinderId) -> Result<()> {
        if !self.inner.paths.remove_hook(id) {
            return Err(Error::new(ErrorCode::Unavailable, format!("no path hook with id {id}")));
        }
        self.inner.paths.drop_caches();
        self.locations_changed();
        Ok(())
    }

    /// How long a directory's listing is trusted before it is checked again (0: every lookup, as CPython).
    pub fn set_recheck(&self, window: Duration) {
        self.inner.recheck_ms.store(window.as_millis().min(u64::MAX as u128) as u64, Ordering::Relaxed);
    }

    pub fn recheck(&self) -> Duration {
        Duration::from_millis(self.inner.recheck_ms.load(Ordering::Relaxed))
    }

    /// Confines the path finder to `root` (and the other roots given): no entry, file, link or `.ref` target
    /// may resolve outside them.
    pub fn confine(&self, root: &str) -> Result<()> {
        check_entry(root)?;
        self.inner.paths.confine(root)?;
        self.locations_changed();
        Ok(())
    }

    pub fn clear_confinement(&self) {
        self.inner.paths.clear_confinement();
        self.locations_changed();
    }

    /// Forgets every directory listing and entry finder (a cold start for the next search).
    pub fn drop_caches(&self) {
        self.inner.paths.drop_caches();
        self.locations_changed();
    }

    pub(crate) fn path_ctx(&self) -> Ctx<'_> {
        Ctx::new(self.inner.id, &self.inner.profile, self.recheck(), self.inner.paths.roots(), &self.inner.paths)
    }

    /// The search locations the path finder uses for the children of `parent` (the search path for a
    /// top-level name): a namespace package's are recomputed from its own parent's current locations.
    pub(crate) fn child_locations<'a>(&self, parent: Option<&'a ModuleSpec>) -> Result<Locations<'a>> {
        Ok(match parent {
            None => Locations::SearchPath(self.inner.search_path.read().clone()),
            Some(spec) if is_path_namespace(spec) => Locations::Owned(self.current_namespace_locations(spec)?),
            Some(spec) => Locations::Spec(spec),
        })
    }

    fn current_namespace_locations(&self, spec: &ModuleSpec) -> Result<Vec<String>> {
        let name = spec.name();
        // Once per operation: an import of `a.b.c.d` through namespace packages recomputes each level once,
        // not once per level below it.
        let generation = self.inner.locations_generation.load(Ordering::Acquire);
        if let Some(known) = scope::namespace(generation, name) {
            return Ok(known);
        }
        let locations = self.recompute_namespace_locations(spec)?;
        scope::remember_namespace(generation, name, &locations);
        Ok(locations)
    }

    fn recompute_namespace_locations(&self, spec: &ModuleSpec) -> Result<Vec<String>> {
        let name = spec.name();
        let parent_spec = match name::parent(name) {
            Some(p) => match self.inner.table.get(p) {
                Some(Record { spec: Some(s), .. }) => Some(s),
                _ => return Ok(spec.locations().map(str::to_owned).collect()),
            },
            None => None,
        };
        let entries = self.child_locations(parent_spec.as_deref())?;
        let refs = entries.entries();
        let ctx = self.path_ctx();
        let found = self.inner.paths.find(name, &refs, &ctx, &mut Step::new(None), true)?;
        // As CPython's _NamespacePath: only a namespace result replaces the locations.
        match found {
            Some(f) if f.spec.kind() == ModuleKind::Namespace => Ok(f.spec.locations().map(str::to_owned).collect()),
            _ => Ok(spec.locations().map(str::to_owned).collect()),
        }
    }

    /// CPython's `PathFinder.find_spec(name, path)`: the path finder alone, over `entries` (the search path
    /// when `None`), with no parent resolved, nothing imported and no other finder asked. For a host whose
    /// own import system hands it the parent's locations (a `sys.meta_path` finder).
    pub fn path_find_spec(&self, name: &str, entries: Option<&[&str]>) -> Result<Arc<ModuleSpec>> {
        self.path_find(name, entries, true)?.ok_or_else(|| Error::internal("a traced miss gives an error"))
    }

    /// [`Runtime::path_find_spec`], with a miss as `Ok(None)` (no second pass to explain it) unless `explain`.
    pub fn path_find(&self, name: &str, entries: Option<&[&str]>, explain: bool) -> Result<Option<Arc<ModuleSpec>>> {
        name::validate(name, &self.inner.profile)?;
        self.check_policy(name)?;
        if !self.filesystem_enabled() {
            return Err(Error::new(
                ErrorCode::Unavailable,
                format!("cannot search the path for '{name}': the runtime's filesystem is off"),
            )
            .for_module(name));
        }
        let owned;
        let entries = match entries {
            Some(e) => e,
            None => {
                owned = self.search_path();
                &owned.iter().map(String::as_str).collect::<Vec<_>>()[..]
            }
        };
        let ctx = self.path_ctx();
        if let Some(found) = self.inner.paths.find(name, entries, &ctx, &mut Step::new(None), true)? {
            return Ok(Some(found.spec));
        }
        if !explain {
            return Ok(None);
        }
        let mut attempts = Vec::new();
        scope::refill_for_explaining();
        if let Some(found) = self.inner.paths.find(name, entries, &ctx, &mut Step::new(Some(&mut attempts)), false)? {
            return Ok(Some(found.spec));
        }
        Err(Error::not_found(name, attempts))
    }

    /// The current search locations of the namespace package `name` in the module table, recomputed from its
    /// parent's locations (or the search path) as they are now.
    /// The policy is checked first: a denied name runs no finder.
    pub fn namespace_locations(&self, name: &str) -> Result<Vec<String>> {
        name::validate(name, &self.inner.profile)?;
        self.check_policy(name)?;
        let _operation = scope::enter(self.inner.id);
        let spec = self.module_spec(name).ok_or_else(|| {
            Error::new(ErrorCode::NotFound, format!("module '{name}' is not in the module table")).for_module(name)
        })?;
        if spec.kind() != ModuleKind::Namespace {
            return Err(
                Error::new(ErrorCode::Import, format!("module '{name}' is not a namespace package")).for_module(name)
            );
        }
        Ok(self.child_locations(Some(&spec))?.entries().into_iter().map(str::to_owned).collect())
    }
}

/// The entries a search goes through, borrowed from where they are kept.
pub(crate) enum Locations<'a> {
    SearchPath(Arc<Vec<String>>),
    Spec(&'a ModuleSpec),
    Owned(Vec<String>),
}

impl Locations<'_> {
    pub(crate) fn entries(&self) -> Vec<&str> {
        match self {
            Locations::SearchPath(p) => p.iter().map(String::as_str).collect(),
            Locations::Owned(p) => p.iter().map(String::as_str).collect(),
            Locations::Spec(s) => s.locations().collect(),
        }
    }
}

/// A namespace package made by the path finder (its locations follow the search path).
fn is_path_namespace(spec: &ModuleSpec) -> bool {
    spec.kind() == ModuleKind::Namespace && spec.origin().starts_with("namespace:")
}
