//! The import algorithm, after `importlib._bootstrap`: `_gcd_import`, `_find_and_load`,
//! `_find_and_load_unlocked`, `_load_unlocked`, `_handle_fromlist`, with the decisions of DESIGN.md:
//! the parent is imported before the child's lock is taken, waiters of a failed attempt see its error, and a
//! cross-thread cycle hands the partial module to the thread that would close it.

use std::borrow::Cow;
use std::cell::Cell;
use std::sync::Arc;

use super::code_cache::CodeCache;
use super::locks::Acquired;
use super::table::{ModuleState, Record};
use super::{thread_cache, Runtime};
use crate::error::{Attempt, Error, ErrorCode, Result};
use crate::executor::{Executor, ModuleHandle};
use crate::finders::path::scope;
use crate::finders::{Found, Source, Trace};
use crate::limits::{MAX_FROMLIST, MAX_IMPORT_DEPTH};
use crate::name;
use crate::spec::{ModuleKind, ModuleSpec};

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Counts nested imports on this thread, so a host that imports without end gets an error, not a crash.
pub(super) struct Depth;

impl Depth {
    pub(super) fn enter(name: &str) -> Result<Depth> {
        let depth = DEPTH.with(|d| d.get());
        if depth >= MAX_IMPORT_DEPTH {
            return Err(Error::new(
                ErrorCode::Import,
                format!("importing '{name}' nests imports more than {MAX_IMPORT_DEPTH} deep on one thread"),
            )
            .for_module(name));
        }
        DEPTH.with(|d| d.set(depth + 1));
        Ok(Depth)
    }
}

impl Drop for Depth {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// What a found module's execution gets (docs/CODE_CACHE.md): compiled code for the runtime's cache tag,
/// for an executor that accepts it, where there is some, else the module's bytes.
pub(crate) enum Body<'a> {
    /// Code the module's source holds for the tag (a bundle's code entry), lent by the source.
    Supplied(Cow<'a, [u8]>),
    /// Code the runtime's cache kept, or the executor's `compile` gave.
    Cached(Arc<[u8]>),
    /// The module's bytes: held by its source, or read from its file; `None` for a file the host reads
    /// itself.
    Source(Option<Cow<'a, [u8]>>),
}

/// What executing a found module (not a namespace package) gets, read now (never when it was found): for an
/// executor that accepts compiled code and a module of kind source, code its source holds for the
/// runtime's cache tag, else code the runtime's cache or `compile` has for its bytes; else its bytes. A file
/// the host reads itself is read for that (through the finder's reader) when `files` is set.
pub(crate) fn body<'a>(
    executor: Option<&dyn Executor>,
    cache: &CodeCache,
    spec: &ModuleSpec,
    source: &'a Source,
    files: bool,
) -> Result<Body<'a>> {
    let name = spec.name();
    // Without an executor (what `get_code` tells a host that runs modules itself) there is no code to give.
    let coded = executor.is_some_and(|e| e.accepts_code()) && spec.kind() == ModuleKind::Source;
    // Reading runs no import: whatever its status, the failure is this module's.
    let reading = |e| Error::from_host(name, "reading the source of module", e).for_module(name);
    let bytes = match source {
        Source::Bytes(bytes, index) => {
            if coded {
                if let Some(code) = cache.supplied(bytes.as_ref(), *index) {
                    return Ok(Body::Supplied(code));
                }
            }
            Some(scope::outside(|| bytes.read(*index)).map_err(reading)?)
        }
        Source::File(reader) if coded && files => match spec.file() {
            Some(file) => Some(Cow::Owned(scope::outside(|| reader.read_file(file)).map_err(reading)?)),
            None => None,
        },
        _ => None,
    };
    if let (true, Some(executor), Some(source)) = (coded, executor, &bytes) {
        if let Some(code) = cache.code_for(executor, spec, source)? {
            return Ok(Body::Cached(code));
        }
    }
    Ok(Body::Source(bytes))
}

/// Executes a found module in `handle`: what [`body`] gives, through the executor's `exec_code` for code and
/// `exec` for bytes. Namespace packages have nothing to execute.
pub(super) fn execute(
    executor: &dyn Executor,
    cache: &CodeCache,
    spec: &ModuleSpec,
    source: &Source,
    handle: ModuleHandle,
) -> Result<()> {
    if spec.kind() == ModuleKind::Namespace {
        return Ok(());
    }
    let executing = |e| Error::from_host(spec.name(), "executing module", e);
    let run_code = |code: &[u8]| scope::outside(|| executor.exec_code(spec, handle, code)).map_err(executing);
    match body(Some(executor), cache, spec, source, true)? {
        Body::Supplied(code) => run_code(&code),
        Body::Cached(code) => run_code(&code),
        Body::Source(bytes) => scope::outside(|| executor.exec(spec, handle, bytes.as_deref())).map_err(executing),
    }
}

impl Runtime {
    /// `importlib.import_module(name, package)`: imports `name` (relative when it starts with dots, against
    /// `package`) and its parents, and returns the named module.
    pub fn import(&self, name: &str, package: Option<&str>) -> Result<ModuleHandle> {
        if let Some(h) = self.cached(name.as_bytes()) {
            return Ok(h);
        }
        let (rest, level) = name::split_level(name);
        let absolute = name::resolve(rest, package, level)?;
        Ok(self.gcd_import(&absolute)?.handle())
    }

    /// The fast path: a ready module under exactly this absolute name, cached by this thread.
    pub fn cached(&self, name: &[u8]) -> Option<ModuleHandle> {
        thread_cache::lookup(&self.inner, name)
    }

    /// `__import__(name, package=..., fromlist, level)`: what an import statement asks for. Without a
    /// fromlist it returns the top-level package of `name` (for `import a.b`), else the module itself after
    /// importing the fromlist names that are submodules.
    pub fn import_from(
        &self,
        name: &str,
        package: Option<&str>,
        level: usize,
        fromlist: &[&str],
    ) -> Result<ModuleHandle> {
        if fromlist.len() > MAX_FROMLIST {
            return Err(Error::invalid_argument(format!("a fromlist holds at most {MAX_FROMLIST} names")));
        }
        let absolute = name::resolve(name, package, level)?;
        let module = self.gcd_import(&absolute)?;
        if fromlist.is_empty() {
            if level == 0 {
                return Ok(self.gcd_import(name::top_level(name))?.handle());
            }
            if name.is_empty() {
                return Ok(module.handle());
            }
            // `import .a.b` binds the module `a` resolves to: drop as many trailing segments from the module's
            // name as `name` has after its first (counted on the normalised name, as the module's is).
            let module_name = module.spec.as_ref().map(|s| s.name().to_owned()).unwrap_or_else(|| absolute.to_string());
            let extra = name::normalize_init(name, &self.inner.profile).matches('.').count();
            let mut target = module_name.as_str();
            for _ in 0..extra {
                target = name::parent(target).unwrap_or(target);
            }
            return self.inner.table.get(target).map(|r| r.handle()).ok_or_else(|| {
                Error::new(ErrorCode::Import, format!("module '{target}' is not in the module table"))
                    .for_module(target)
            });
        }
        if module.is_package() {
            let module_name =
                module.spec.as_ref().map(|s| s.name().to_owned()).unwrap_or_else(|| absolute.into_owned());
            self.handle_fromlist(&module_name, &module, fromlist, false)?;
        }
        Ok(module.handle())
    }

    /// `_handle_fromlist`; `module`'s record holds its object through every `has_attr` and `all_names`.
    fn handle_fromlist(&self, module_name: &str, module: &Record, list: &[&str], recursive: bool) -> Result<()> {
        let executor = self.executor();
        for &x in list {
            if x == "*" {
                if recursive {
                    continue;
                }
                let Some(ex) = &executor else { continue };
                let all = scope::outside(|| ex.all_names(module.handle()))
                    .map_err(|e| Error::from_host(module_name, "reading __all__ of", e))?;
                let refs: Vec<&str> = all.iter().map(String::as_str).take(MAX_FROMLIST).collect();
                self.handle_fromlist(module_name, module, &refs, true)?;
                continue;
            }
            if executor.as_ref().is_some_and(|ex| scope::outside(|| ex.has_attr(module.handle(), x))) {
                continue;
            }
            let from_name = format!("{module_name}.{x}");
            match self.gcd_import(&from_name) {
                Ok(_) => {}
                Err(e) if e.code() == ErrorCode::NotFound && e.module() == Some(from_name.as_str()) => {}
                Err(e) if e.code() == ErrorCode::InvalidName => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// `_gcd_import` for an absolute name: validate, normalise, check the policy, then find and load.
    fn gcd_import(&self, absolute: &str) -> Result<Record> {
        let _depth = Depth::enter(absolute)?;
        let _operation = scope::enter(self.inner.id);
        name::validate(absolute, &self.inner.profile)?;
        let absolute = name::normalize_init(absolute, &self.inner.profile);
        // Read before the policy check: a policy change after it moves the generation, and then nothing found
        // now is cached.
        let generation = self.inner.table.generation();
        self.check_policy(absolute)?;
        let record = self.find_and_load(absolute)?;
        if record.state == ModuleState::Ready {
            thread_cache::store(&self.inner, absolute, record.handle(), generation);
        }
        Ok(record)
    }

    fn find_and_load(&self, name: &str) -> Result<Record> {
        if let Some(record) = self.inner.table.get(name) {
            if record.state == ModuleState::Ready {
                return Ok(record);
            }
            // Being initialised: wait for it, or take the partial module if we would close a cycle.
            match self.inner.locks.acquire(name) {
                Acquired::WouldDeadlock(_) => {
                    if let Some(record) = self.inner.table.get(name) {
                        return Ok(record);
                    }
                }
                Acquired::Owned(guard) => {
                    if let Some(e) = guard.failure_seen() {
                        return Err(e.clone());
                    }
                    drop(guard);
                    if let Some(record) = self.inner.table.get(name) {
                        return Ok(record);
                    }
                }
            }
        }
        if let Some(parent) = name::parent(name) {
            self.parent_record(parent)?;
        }
        let guard = match self.inner.locks.acquire(name) {
            Acquired::Owned(guard) => guard,
            Acquired::WouldDeadlock(chain) => {
                return self.inner.table.get(name).ok_or_else(|| {
                    Error::new(
                        ErrorCode::Deadlock,
                        format!("importing '{name}' would deadlock: its import lock is held by a thread that waits on {chain}, and no partial module exists yet"),
                    )
                    .for_module(name)
                })
            }
        };
        if let Some(e) = guard.failure_seen() {
            return Err(e.clone());
        }
        if let Some(record) = self.inner.table.get(name) {
            return Ok(record);
        }
        if guard.reentrant() {
            return Err(Error::new(
                ErrorCode::Import,
                format!("circular import of '{name}' while it was still being found or created (before it existed)"),
            )
            .for_module(name));
        }
        let result = self.find_and_load_unlocked(name);
        guard.finish(result.as_ref().err().cloned());
        result
    }

    /// The parent's record: a ready one at once; one still initialising is waited for (or, in a cycle, its
    /// partial module), as CPython's `_find_and_load` of the parent does, so no child runs against a parent
    /// that may yet fail.
    fn parent_record(&self, parent: &str) -> Result<Record> {
        match self.inner.table.get(parent) {
            Some(r) if r.state == ModuleState::Ready => Ok(r),
            _ => self.find_and_load(parent),
        }
    }

    fn find_and_load_unlocked(&self, name: &str) -> Result<Record> {
        let mut parent_spec: Option<Arc<ModuleSpec>> = None;
        if let Some(parent) = name::parent(name) {
            let parent_record = self.parent_record(parent)?;
            if let Some(record) = self.inner.table.get(name) {
                return Ok(record);
            }
            match parent_record.spec {
                Some(spec) if spec.is_package() => parent_spec = Some(spec),
                _ => return Err(Error::not_a_package(name, parent)),
            }
        }
        let found = self.find(name, parent_spec.as_deref())?;
        let record = self.load(found)?;
        if let Some(parent) = name::parent(name) {
            if let (Some(parent_record), Some(executor)) = (self.inner.table.get(parent), self.executor()) {
                // CPython only warns when the attribute cannot be set; the import stands.
                // Both records hold their objects for the call, whatever other threads do to the table.
                let _ = scope::outside(|| executor.bind(parent_record.handle(), name::tail(name), record.handle()));
            }
        }
        Ok(record)
    }

    /// Asks the native registry, then each meta-path finder in order, then the path finder (when the
    /// filesystem is on); the first spec wins. `parent` is the parent package's spec: its locations are the
    /// `path` of host finders and the entries of the path finder. A miss is explained by a second pass that
    /// notes why each place passed (host meta-path finders are not asked again).
    pub(super) fn find(&self, name: &str, parent: Option<&ModuleSpec>) -> Result<Found> {
        self.find_in(name, parent, Reach::All)
    }

    /// [`Runtime::find`], asking the finders `reach` says.
    pub(super) fn find_in(&self, name: &str, parent: Option<&ModuleSpec>, reach: Reach) -> Result<Found> {
        if let Some(found) = self.search_in(name, parent, None, false, reach)? {
            return Ok(found);
        }
        let mut attempts = Vec::new();
        scope::refill_for_explaining();
        // Found meanwhile (a file that just appeared): take it rather than an error that contradicts itself.
        if let Some(found) = self.search_in(name, parent, Some(&mut attempts), true, reach)? {
            return Ok(found);
        }
        Err(Error::not_found(name, attempts))
    }

    /// One pass of [`Runtime::find`]: `_find_spec`'s loop over the meta path, collecting namespace portions
    /// until a module or regular package is found later on. With `notes`, every place that passes says why
    /// (and a found module says where it was found). In the `explaining` pass, finders that run host code
    /// note themselves instead of asking again.
    pub(crate) fn search(
        &self,
        name: &str,
        parent: Option<&ModuleSpec>,
        notes: Option<&mut Vec<Attempt>>,
        explaining: bool,
    ) -> Result<Option<Found>> {
        self.search_in(name, parent, notes, explaining, Reach::All)
    }

    /// [`Runtime::search`], asking the finders `reach` says.
    pub(super) fn search_in(
        &self,
        name: &str,
        parent: Option<&ModuleSpec>,
        notes: Option<&mut Vec<Attempt>>,
        explaining: bool,
        reach: Reach,
    ) -> Result<Option<Found>> {
        let mut trace = Trace::new(notes);
        let mut portions = Portions::default();
        self.with_query(name, parent, explaining, |meta_path, query| {
            // The path finder is the meta path's last entry.
            let asked = match reach {
                Reach::All => meta_path,
                Reach::MetaOnly => &meta_path[..meta_path.len().saturating_sub(1)],
            };
            for entry in asked {
                let Some(found) = entry.finder.find(query, &mut trace)? else { continue };
                let place = || entry.finder.place();
                if found.portion {
                    let origin = found.spec.origin();
                    trace.note_with(|| Some(Attempt::new(place(), format!("namespace portion {origin}"))));
                    portions.add(found);
                } else {
                    trace.note_with(|| Some(Attempt::new(place(), format!("found {}", found.spec.origin()))));
                    return Ok(Some(found));
                }
            }
            Ok(portions.finish())
        })
    }

    /// `_load_unlocked`: create, put in the table, execute, mark ready; on failure take it out again.
    /// This import holds the new object until it returns, so `exec` and the caller's `bind` use an object
    /// no other thread can release meanwhile (a removal while it executes only drops the table's hold).
    fn load(&self, found: Found) -> Result<Record> {
        let Found { spec, source, .. } = found;
        let name = spec.name();
        if let Source::Native(factory) = &source {
            let handle = scope::outside(|| factory.create(&spec))
                .map_err(|e| Error::from_host(name, "creating native module", e))?;
            let record = Record::new(Some(Arc::clone(&spec)), self.hold(handle), ModuleState::Ready);
            self.put(name, record.clone());
            return Ok(record);
        }
        let executor = self.executor().ok_or_else(|| {
            Error::new(
                ErrorCode::Unavailable,
                format!("cannot load '{name}' ({}): the runtime has no executor", spec.origin()),
            )
            .for_module(name)
        })?;
        let handle =
            scope::outside(|| executor.create(&spec)).map_err(|e| Error::from_host(name, "creating module", e))?;
        let object = self.hold(handle);
        self.put(name, Record::new(Some(Arc::clone(&spec)), Arc::clone(&object), ModuleState::Initializing));
        if let Err(e) = execute(executor.as_ref(), &self.inner.code_cache, &spec, &source, handle) {
            // Out of the table (whatever is under the name now: the module may have replaced itself);
            // the objects go when their last holds do.
            drop(self.inner.table.remove(name));
            return Err(e);
        }
        // The record now in the table: this module's, or the one it replaced itself with while executing
        // (its first object then goes with `object`, unless something else still holds it).
        match self.inner.table.finish(name, handle) {
            Some(record) => Ok(record),
            None => Err(Error::new(
                ErrorCode::Import,
                format!("module '{name}' was removed from the module table while it executed"),
            )
            .for_module(name)),
        }
    }

    /// Puts a record in the table; the one it replaces is dropped after the table's lock (released if
    /// nothing else holds it).
    pub(crate) fn put(&self, name: &str, record: Record) {
        let old = self.inner.table.insert(name, record);
        drop(old);
    }

    /// `importlib.util.find_spec` without executing anything: a module in the table gives its spec; else the
    /// parents are resolved (from the table or by finding them, never by importing) and the name is found
    /// through the parent's search locations.
    pub fn find_spec(&self, name: &str, package: Option<&str>) -> Result<Arc<ModuleSpec>> {
        let (rest, level) = name::split_level(name);
        let absolute = name::resolve(rest, package, level)?;
        name::validate(&absolute, &self.inner.profile)?;
        let absolute = name::normalize_init(&absolute, &self.inner.profile);
        self.check_policy(absolute)?;
        let _depth = Depth::enter(absolute)?;
        let _operation = scope::enter(self.inner.id);
        self.find_spec_absolute(absolute, None)
    }

    /// [`Runtime::find_spec`] for an absolute name, with every place tried and why it passed, level by level
    /// (`importkit resolve --trace`).
    pub fn find_spec_traced(&self, name: &str) -> (Result<Arc<ModuleSpec>>, Vec<Attempt>) {
        let mut notes = Vec::new();
        let result = (|| {
            let _depth = Depth::enter(name)?;
            let _operation = scope::enter(self.inner.id);
            name::validate(name, &self.inner.profile)?;
            let name = name::normalize_init(name, &self.inner.profile);
            self.check_policy(name)?;
            self.find_spec_absolute(name, Some(&mut notes))
        })();
        (result, notes)
    }

    pub(super) fn find_spec_absolute(
        &self,
        name: &str,
        mut notes: Option<&mut Vec<Attempt>>,
    ) -> Result<Arc<ModuleSpec>> {
        let (own, parent_entry) = self.inner.table.spec_pair(name, name::parent(name));
        if let Some(spec) = own.flatten() {
            if let Some(n) = notes {
                n.push(Attempt::new("looking for", name));
                n.push(Attempt::new("module table", format!("'{name}' is there: {}", spec.origin())));
            }
            return Ok(spec);
        }
        let path = match name::parent(name) {
            Some(parent) => {
                let parent_spec = match parent_entry {
                    Some(Some(s)) => s,
                    Some(None) => return Err(Error::not_a_package(name, parent)),
                    None => self.find_spec_absolute(parent, notes.as_deref_mut())?,
                };
                if !parent_spec.is_package() {
                    return Err(Error::not_a_package(name, parent));
                }
                Some(parent_spec)
            }
            None => None,
        };
        match notes {
            None => Ok(self.find(name, path.as_deref())?.spec),
            Some(n) => {
                n.push(Attempt::new("looking for", name));
                let start = n.len();
                match self.search(name, path.as_deref(), Some(n), false)? {
                    Some(found) => Ok(found.spec),
                    None => Err(Error::not_found(name, n[start..].to_vec())),
                }
            }
        }
    }
}

/// Which finders a search asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reach {
    /// The whole meta path: natives, the host's finders and mounts, the path finder.
    All,
    /// All but the path finder: a dotted name is found whole by the sources that index full names (natives,
    /// mounts, bundles, host finders), without its parent's locations.
    MetaOnly,
}

/// Namespace packages found on the way: the first one's spec, with the later ones' locations (and the `.ref`
/// chains that led to them) added.
#[derive(Default)]
struct Portions {
    first: Option<Found>,
    more: Vec<(String, Vec<String>)>,
}

impl Portions {
    fn add(&mut self, found: Found) {
        match &self.first {
            None => self.first = Some(found),
            Some(first) => {
                for (i, l) in found.spec.locations().enumerate() {
                    if !first.spec.locations().any(|f| f == l) && !self.more.iter().any(|(m, _)| m == l) {
                        self.more.push((l.to_owned(), found.spec.location_refs(i).map(str::to_owned).collect()));
                    }
                }
            }
        }
    }

    fn finish(self) -> Option<Found> {
        let first = self.first?;
        if self.more.is_empty() {
            return Some(first);
        }
        let spec = &first.spec;
        let mut merged = ModuleSpec::new(spec.name(), spec.origin(), ModuleKind::Namespace, true);
        for (i, l) in spec.locations().enumerate() {
            merged.push_location_with_refs(l, spec.location_refs(i));
        }
        for (l, refs) in &self.more {
            merged.push_location_with_refs(l, refs.iter().map(String::as_str));
        }
        Some(Found { spec: Arc::new(merged), source: first.source, portion: true })
    }
}
