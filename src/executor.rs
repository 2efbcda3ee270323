//! The host's executor: module objects and running code. importkit never runs code itself; it calls this.
//! (What a host plugs in to find modules, its finders and native factories, is in `finders/`.)
//!
//! Every method may re-enter the runtime (import another module), from the same thread or another.
//! No lock of importkit's is held while they run, except the import lock of the one module concerned.

use std::num::NonZeroUsize;

use crate::error::HostError;
use crate::spec::ModuleSpec;

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
