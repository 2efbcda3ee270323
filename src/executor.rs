//! What the host plugs in: its executor (module objects and running code), native factories, and its own
//! meta-path finders. importkit never runs code itself; it calls these.
//!
//! Every method may re-enter the runtime (import another module), from the same thread or another.
//! No lock of importkit's is held while they run, except the import lock of the one module concerned.

use std::num::NonZeroUsize;

use crate::error::HostError;
use crate::spec::{ModuleKind, ModuleSpec};

/// The host's module object, as an opaque non-zero word (a pointer, an index, a reference id).
/// The module table owns one reference to it and gives it back through [`Executor::release`].
pub type ModuleHandle = NonZeroUsize;

/// The host's side of loading: make module objects, execute code into them, bind children to parents.
pub trait Executor: Send + Sync {
    /// Makes an empty module object for `spec` (setting `__name__`, `__spec__`, `__path__`... as the host
    /// likes). It goes into the module table before it executes, so a cycle sees it partly initialised.
    fn create(&self, spec: &ModuleSpec) -> Result<ModuleHandle, HostError>;

    /// Executes the module's code in `module`. `source` holds the bytes importkit has for it (a mounted file,
    /// bytes from a host finder); `None` when the host must read `spec.file()` itself. Never called for
    /// namespace packages or natives.
    fn exec(&self, spec: &ModuleSpec, module: ModuleHandle, source: Option<&[u8]>) -> Result<(), HostError>;

    /// Sets `child` as attribute `name` of `parent` once the child is loaded. A failure is ignored, as
    /// CPython ignores it (the import itself succeeded).
    fn bind(&self, parent: ModuleHandle, name: &str, child: ModuleHandle) -> Result<(), HostError> {
        let _ = (parent, name, child);
        Ok(())
    }

    /// Whether `module` has attribute `name` (for a fromlist: an existing attribute is not imported).
    fn has_attr(&self, module: ModuleHandle, name: &str) -> bool {
        let _ = (module, name);
        false
    }

    /// The names in the module's `__all__`, for `from package import *`; empty when it has none.
    fn all_names(&self, module: ModuleHandle) -> Result<Vec<String>, HostError> {
        let _ = module;
        Ok(Vec::new())
    }

    /// importkit holds `module` no more: the module table dropped it (removed, replaced, failed, runtime
    /// freed) and no import is still handing it to a callback. Called once per object importkit took.
    fn release(&self, module: ModuleHandle) {
        let _ = module;
    }
}

/// Makes the module object of a native module. The module is complete when it returns; it goes into the
/// table ready. A factory may import other modules.
pub trait NativeFactory: Send + Sync {
    fn create(&self, spec: &ModuleSpec) -> Result<ModuleHandle, HostError>;
}

impl<F> NativeFactory for F
where
    F: Fn(&ModuleSpec) -> Result<ModuleHandle, HostError> + Send + Sync,
{
    fn create(&self, spec: &ModuleSpec) -> Result<ModuleHandle, HostError> {
        self(spec)
    }
}

/// What a host finder says it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFound {
    pub origin: String,
    pub kind: ModuleKind,
    pub is_package: bool,
    pub locations: Vec<String>,
    pub file: Option<String>,
    /// The module's bytes, when the host wants importkit to hand them to `Executor::exec`.
    pub source: Option<Vec<u8>>,
}

impl HostFound {
    pub fn new(origin: impl Into<String>, kind: ModuleKind, is_package: bool) -> Self {
        HostFound { origin: origin.into(), kind, is_package, locations: Vec::new(), file: None, source: None }
    }
}

/// A meta-path finder of the host's.
pub trait HostFinder: Send + Sync {
    /// A short name shown in errors and traces (`host:NAME`).
    fn name(&self) -> &str;

    /// Finds `name`; `path` is the parent's search locations (`None` for a top-level name).
    fn find_spec(&self, name: &str, path: Option<&[&str]>) -> Result<Option<HostFound>, HostError>;

    /// Drops whatever the finder caches.
    fn invalidate(&self) {}
}

/// What an entry finder answers for one name in its path entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryFound {
    /// A module or regular package.
    Module(HostFound),
    /// A portion of a namespace package: directories to add to its search locations.
    Portion(Vec<String>),
}

/// A finder for one path entry (CPython's path entry finder), made by a [`PathHook`].
pub trait EntryFinder: Send + Sync {
    /// Finds `name` (full dotted name) in this entry.
    fn find_spec(&self, name: &str) -> Result<Option<EntryFound>, HostError>;

    /// Drops whatever the finder caches.
    fn invalidate(&self) {}
}

/// A path hook of the host's: turns a path entry it serves (an archive, a URL...) into an entry finder.
pub trait PathHook: Send + Sync {
    /// A short name shown in errors and traces (`hook:NAME`).
    fn name(&self) -> &str;

    /// An entry finder for `entry`, or `None` when the entry is not this hook's.
    fn finder_for(&self, entry: &str) -> Result<Option<std::sync::Arc<dyn EntryFinder>>, HostError>;
}
