//! A runtime's filesystem side: the switch, the search path, path hooks, the recheck window, confinement,
//! and the current locations of namespace packages.

use std::sync::Arc;
use std::time::Duration;

use super::Runtime;
use crate::error::{Error, ErrorCode, Result};
use crate::finders::host::PathHook;
use crate::finders::path::scope;
use crate::finders::{FinderId, Found, Trace};
use crate::limits::MAX_PATH_LEN;
use crate::name;
use crate::spec::{ModuleKind, ModuleSpec};

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
        self.inner.paths.set_enabled(on);
    }

    pub fn filesystem_enabled(&self) -> bool {
        self.inner.paths.enabled()
    }

    /// The search path (CPython's `sys.path`), in order.
    pub fn search_path(&self) -> Vec<String> {
        self.inner.paths.search_path().as_ref().clone()
    }

    fn edit_search_path(&self, edit: impl FnOnce(&mut Vec<String>) -> Result<()>) -> Result<()> {
        self.inner.paths.edit_search_path(edit)
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
        id
    }

    pub fn remove_path_hook(&self, id: FinderId) -> Result<()> {
        if !self.inner.paths.remove_hook(id) {
            return Err(Error::new(ErrorCode::Unavailable, format!("no path hook with id {id}")));
        }
        Ok(())
    }

    /// How long a directory's listing is trusted before it is checked again (0: every lookup, as CPython).
    pub fn set_recheck(&self, window: Duration) {
        self.inner.paths.set_recheck(window);
    }

    pub fn recheck(&self) -> Duration {
        self.inner.paths.recheck()
    }

    /// Confines the path finder to `root` (and the other roots given): no entry, file, link or `.ref` target
    /// may resolve outside them.
    pub fn confine(&self, root: &str) -> Result<()> {
        check_entry(root)?;
        self.inner.paths.confine(root)
    }

    pub fn clear_confinement(&self) {
        self.inner.paths.clear_confinement();
    }

    /// Forgets every directory listing and entry finder (a cold start for the next search).
    pub fn drop_caches(&self) {
        self.inner.paths.drop_caches();
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
        Ok(self.path_search(name, entries, explain)?.map(|found| found.spec))
    }

    /// The path finder's search of `entries` for `name` (checked already): what it found, `None` for a miss
    /// unless `explain`, which makes a miss an error listing every place tried.
    pub(super) fn path_search(&self, name: &str, entries: &[&str], explain: bool) -> Result<Option<Found>> {
        let paths = &self.inner.paths;
        let ctx = paths.ctx();
        if let Some(found) = paths.find_in(name, entries, &ctx, &mut Trace::off(), false)? {
            return Ok(Some(found));
        }
        if !explain {
            return Ok(None);
        }
        let mut attempts = Vec::new();
        scope::refill_for_explaining();
        let mut trace = Trace::new(Some(&mut attempts));
        if let Some(found) = paths.find_in(name, entries, &ctx, &mut trace, true)? {
            return Ok(Some(found));
        }
        drop(trace);
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
        let table = |n: &str| self.module_spec(n);
        let locations = self.inner.paths.child_locations(Some(&spec), &table)?;
        Ok(locations.entries().into_iter().map(str::to_owned).collect())
    }
}
