//! The path finder: CPython's `PathFinder` over a runtime's search path (or a package's search locations),
//! with path hooks, the per-entry finder cache (`path_importer_cache`, negative results included; `''` is the
//! current directory), namespace packages collected across entries (PEP 420), `.ref` files and confinement.

pub mod confine;
pub mod dir;
pub mod refs;
pub mod scope;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use rustc_hash::FxHashMap;

use crate::error::{Attempt, Error, ErrorCode, Result};
use crate::executor::{EntryFinder, EntryFound, PathHook};
use crate::limits::MAX_NOTES;
use crate::profile::Profile;
use crate::spec::{Content, Found, ModuleKind, ModuleSpec};
use dir::{DirFinder, DirResult};

/// Joins paths as CPython's `_path_join` does on POSIX: parts stripped of trailing separators, joined with
/// `/`, no other normalisation.
pub fn join(a: &str, b: &str) -> String {
    let parts: Vec<&str> = [a, b].into_iter().filter(|p| !p.is_empty()).map(|p| p.trim_end_matches('/')).collect();
    parts.join("/")
}

/// Collects what a search tried and why each place passed, when someone wants to know (an error's
/// attempts, `importkit resolve --trace`). At most [`MAX_NOTES`] places are noted; the rest are counted
/// in one last note, so a hostile tree cannot make an error of megabytes.
pub struct Step<'a> {
    notes: Option<&'a mut Vec<Attempt>>,
    noted: usize,
    omitted: usize,
    limits: Vec<String>,
}

impl<'a> Step<'a> {
    pub fn new(notes: Option<&'a mut Vec<Attempt>>) -> Self {
        Step { notes, noted: 0, omitted: 0, limits: Vec::new() }
    }

    /// Notes that a limit cut the search short: always noted (past the cap too), once per limit, since it
    /// explains what the other notes do not.
    pub fn note_limit(&mut self, place: &str, why: String) {
        if let Some(n) = self.notes.as_mut() {
            if !self.limits.contains(&why) {
                n.push(Attempt::new(place, why.clone()));
                self.limits.push(why);
            }
        }
    }

    pub fn tracing(&self) -> bool {
        self.notes.is_some()
    }

    pub fn note(&mut self, attempt: Attempt) {
        if let Some(n) = self.notes.as_mut() {
            if self.noted < MAX_NOTES {
                n.push(attempt);
                self.noted += 1;
            } else {
                self.omitted += 1;
            }
        }
    }
}

impl Drop for Step<'_> {
    fn drop(&mut self) {
        if let (Some(n), true) = (self.notes.as_mut(), self.omitted > 0) {
            n.push(Attempt::new("path", format!("{} more places not listed", self.omitted)));
        }
    }
}

/// What a search needs from its runtime.
pub struct Ctx<'a> {
    /// The runtime's id (its operations are its own).
    pub runtime: u64,
    pub profile: &'a Profile,
    pub recheck: Duration,
    /// When the search started: one clock read for every directory it checks.
    pub now: std::time::Instant,
    pub roots: Arc<Vec<PathBuf>>,
    pub paths: &'a PathFinder,
    /// The operation this search belongs to (its `.ref` budget), entered when the search first needs it
    /// (a `.ref` file) and held open for the rest of the search: a search without ref files pays nothing.
    scope: std::cell::RefCell<Option<scope::Scope>>,
}

/// The one answer to a path that is not inside the allowed roots, whether it exists or not: a refusal
/// must not tell what lies outside.
pub const REFUSED: &str = "refused: outside the allowed roots, or does not exist";

impl Ctx<'_> {
    /// A context for one search; `roots` empty means no confinement.
    pub fn new<'a>(
        runtime: u64,
        profile: &'a Profile,
        recheck: Duration,
        roots: Arc<Vec<PathBuf>>,
        paths: &'a PathFinder,
    ) -> Ctx<'a> {
        let scope = std::cell::RefCell::new(None);
        Ctx { runtime, profile, recheck, now: std::time::Instant::now(), roots, paths, scope }
    }

    /// Makes sure this search is part of an operation (the caller's, or one of its own until it ends).
    pub fn in_operation(&self) {
        let mut s = self.scope.borrow_mut();
        if s.is_none() {
            *s = Some(scope::enter(self.runtime));
        }
    }

    pub fn confined(&self) -> bool {
        !self.roots.is_empty()
    }

    /// Whether `path` resolves (links followed) inside the allowed roots; always when none are set.
    pub fn check_allowed(&self, path: &str) -> std::result::Result<(), String> {
        self.resolve_allowed(path).map(|_| ())
    }

    /// `path` resolved (links followed), if it lies inside the allowed roots; `Ok(None)` when none are set.
    /// The walk never looks outside the roots ([`confine::resolve_inside`]).
    pub fn resolve_allowed(&self, path: &str) -> std::result::Result<Option<PathBuf>, String> {
        if self.roots.is_empty() {
            return Ok(None);
        }
        match confine::resolve_inside(std::path::Path::new(path), &self.roots) {
            Some(real) => Ok(Some(real)),
            None => Err(REFUSED.to_owned()),
        }
    }

    /// [`Ctx::check_allowed`], noting a refusal.
    pub fn allowed(&self, path: &str, step: &mut Step) -> bool {
        match self.check_allowed(path) {
            Ok(()) => true,
            Err(why) => {
                step.note(Attempt::new(path, why));
                false
            }
        }
    }
}

#[derive(Clone)]
enum EntryRef {
    Dir(Arc<DirFinder>),
    Host(String, Arc<dyn EntryFinder>),
}

/// The schemes of importkit's own origins and locations: never filesystem paths.
const OWN_SCHEMES: [&str; 4] = ["memory:", "builtin:", "namespace:", "host:"];

/// A host path hook and its id.
type Hook = (u64, Arc<dyn PathHook>);

#[derive(Default)]
pub struct PathFinder {
    /// Entry -> its finder, or why no hook took it (a negative result, cached too).
    importer_cache: Mutex<FxHashMap<String, std::result::Result<EntryRef, String>>>,
    dirs: Mutex<FxHashMap<String, Arc<DirFinder>>>,
    hooks: RwLock<Arc<Vec<Hook>>>,
    roots: RwLock<Arc<Vec<PathBuf>>>,
}

fn cwd() -> Option<String> {
    std::env::current_dir().ok().and_then(|p| p.into_os_string().into_string().ok())
}

impl PathFinder {
    /// The directory finder for a `FileFinder` path, shared by path entries and `.ref` targets.
    pub fn dir_finder(&self, path: &str) -> Arc<DirFinder> {
        let mut dirs = self.dirs.lock();
        if let Some(d) = dirs.get(path) {
            return Arc::clone(d);
        }
        let d = Arc::new(DirFinder::new(path.to_owned()));
        dirs.insert(path.to_owned(), Arc::clone(&d));
        d
    }

    pub fn add_hook(&self, id: u64, hook: Arc<dyn PathHook>, position: usize) {
        let mut hooks = self.hooks.write();
        let mut list = hooks.as_ref().clone();
        list.insert(position.min(list.len()), (id, hook));
        let old = std::mem::replace(&mut *hooks, Arc::new(list));
        drop(hooks);
        drop(old);
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
        self.forget_entries();
        Ok(())
    }

    pub fn clear_confinement(&self) {
        *self.roots.write() = Arc::new(Vec::new());
        self.forget_entries();
    }

    pub fn roots(&self) -> Arc<Vec<PathBuf>> {
        self.roots.read().clone()
    }

    /// Drops every entry finder and directory finder, outside the locks (a host's release may call back in).
    fn forget_entries(&self) {
        let entries = std::mem::take(&mut *self.importer_cache.lock());
        let dirs = std::mem::take(&mut *self.dirs.lock());
        drop(entries);
        drop(dirs);
    }

    /// `PathFinder.invalidate_caches`: negative and relative entries are dropped, every finder forgets its
    /// listing.
    pub fn invalidate(&self) {
        let (entries, dropped): (Vec<EntryRef>, Vec<_>) = {
            let mut cache = self.importer_cache.lock();
            let dropped: Vec<_> = cache.extract_if(|k, v| v.is_err() || !k.starts_with('/')).collect();
            (cache.values().filter_map(|v| v.as_ref().ok()).cloned().collect(), dropped)
        };
        drop(dropped);
        for e in entries {
            if let EntryRef::Host(_, f) = e {
                f.invalidate();
            }
        }
        for d in self.dirs.lock().values() {
            d.invalidate();
        }
    }

    /// Drops every cache: the next search lists every directory again (`importkit resolve --cold`).
    pub fn drop_caches(&self) {
        self.forget_entries();
    }

    /// The entry finder for a path entry (`PathFinder._path_importer_cache`).
    fn entry_finder(&self, entry: &str, fullname: &str, ctx: &Ctx, step: &mut Step) -> Result<Option<EntryRef>> {
        let current;
        let key = if entry.is_empty() {
            match cwd() {
                Some(c) => {
                    current = c;
                    current.as_str()
                }
                None => {
                    step.note(Attempt::new("''", "skipped: the current directory cannot be read"));
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
                let made = self.run_hooks(key, fullname, ctx)?;
                self.importer_cache.lock().insert(key.to_owned(), made.clone());
                made
            }
        };
        match made {
            Ok(finder) => Ok(Some(finder)),
            Err(why) => {
                if !why.is_empty() {
                    step.note(Attempt::new(entry, why));
                }
                Ok(None)
            }
        }
    }

    /// The first hook that takes `entry` (host hooks in order, then the directory hook), or why none did.
    /// `fullname` is the module whose search offered the entry (for errors).
    fn run_hooks(&self, entry: &str, fullname: &str, ctx: &Ctx) -> Result<std::result::Result<EntryRef, String>> {
        let hooks = self.hooks.read().clone();
        for (_, hook) in hooks.iter() {
            let made = scope::outside(|| hook.finder_for(entry)).map_err(|e| {
                let what = format!("path hook '{}' offered entry '{entry}' while looking for", hook.name());
                Error::from_host(fullname, &what, host_failure(e))
            })?;
            if let Some(f) = made {
                return Ok(Ok(EntryRef::Host(hook.name().to_owned(), f)));
            }
        }
        if OWN_SCHEMES.iter().any(|s| entry.starts_with(s)) {
            // importkit's own locations (a mounted package's `memory:/...`) are its finders' business: no
            // filesystem call, nothing worth noting.
            return Ok(Err(String::new()));
        }
        // Confinement first: what an entry outside the roots is (or whether it exists) is not told.
        if let Err(why) = ctx.check_allowed(entry) {
            return Ok(Err(why));
        }
        match std::fs::metadata(entry) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Ok(Err("not a directory".into())),
            Err(e) => return Ok(Err(format!("not a directory: {}", dir::describe(&e)))),
        }
        // FileFinder.__init__: '' and '.' are the current directory; relative paths are joined to it.
        let path = if entry == "." {
            cwd().unwrap_or_else(|| entry.to_owned())
        } else if !entry.starts_with('/') {
            cwd().map_or_else(|| entry.to_owned(), |c| join(&c, entry))
        } else {
            entry.to_owned()
        };
        Ok(Ok(EntryRef::Dir(self.dir_finder(&path))))
    }

    /// `PathFinder.find_spec` for `fullname` over `entries`: the first module or regular package wins;
    /// namespace portions are collected until then, and make a namespace package if nothing else is found.
    /// Without `ask_hosts`, host entry finders are noted, not asked (the explaining pass after a miss).
    pub fn find(
        &self,
        fullname: &str,
        entries: &[&str],
        ctx: &Ctx,
        step: &mut Step,
        ask_hosts: bool,
    ) -> Result<Option<Found>> {
        let tail = crate::name::tail(fullname);
        let mut portions: Vec<String> = Vec::new();
        for entry in entries {
            let Some(finder) = self.entry_finder(entry, fullname, ctx, step)? else { continue };
            match finder {
                EntryRef::Dir(dir) => match dir.find(fullname, tail, ctx, step, &mut refs::Chain::default()) {
                    DirResult::Module(spec) => return Ok(Some(found(spec))),
                    DirResult::Portions(p) => portions.extend(p),
                    DirResult::Nothing => {}
                },
                EntryRef::Host(hook, _) if !ask_hosts => {
                    step.note(Attempt::new(entry.to_string(), format!("hook:{hook}: not found")))
                }
                EntryRef::Host(hook, f) => match scope::outside(|| f.find_spec(fullname)) {
                    Ok(Some(EntryFound::Module(h))) => {
                        return crate::finders::host::to_found(&format!("hook:{hook}"), fullname, h).map(Some)
                    }
                    Ok(Some(EntryFound::Portion(p))) => portions.extend(p),
                    Ok(None) => step.note(Attempt::new(entry.to_string(), format!("hook:{hook}: not found"))),
                    Err(e) => {
                        let what = format!("entry finder of hook '{hook}' in '{entry}' looking for");
                        return Err(Error::from_host(fullname, &what, host_failure(e)));
                    }
                },
            }
        }
        if portions.is_empty() {
            return Ok(None);
        }
        let spec = ModuleSpec::new(fullname, &format!("namespace:{fullname}"), ModuleKind::Namespace, true)
            .with_locations(portions);
        Ok(Some(found(spec)))
    }
}

/// A host hook's failure is `IK_ERR_HOST` unless it passes on another import's status.
pub(crate) fn host_failure(mut e: crate::error::HostError) -> crate::error::HostError {
    e.code = Some(e.code.filter(|c| *c != ErrorCode::Exec).unwrap_or(ErrorCode::Host));
    e
}

fn found(spec: ModuleSpec) -> Found {
    Found { spec: Arc::new(spec), content: Content::None }
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn join_is_cpythons() {
        assert_eq!(join("/a/b/", "x.py"), "/a/b/x.py");
        assert_eq!(join("/a//b", "x"), "/a//b/x");
        assert_eq!(join("", "x"), "x");
        assert_eq!(join("/", "x"), "/x");
        assert_eq!(join("rel/", "x"), "rel/x");
    }
}
