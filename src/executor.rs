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
    /// bytes from a host finder); `None` when the host must read `spec.file()` itself (an executor that
    /// accepts code gets a source file of a directory read too, when there is no code for it). Never called
    /// for namespace packages or natives.
    fn exec(&self, spec: &ModuleSpec, module: ModuleHandle, source: Option<&[u8]>) -> Result<(), HostError>;

    /// Whether this executor runs compiled code ([`Executor::exec_code`]). When it does, a module of kind
    /// source whose bytes importkit holds is executed from code where there is some for the runtime's cache
    /// tag: from the module's source (a bundle's code entry), the runtime's code cache, or
    /// [`Executor::compile`] (docs/CODE_CACHE.md). When it does not (the default), nothing of the code cache
    /// applies and every module reaches [`Executor::exec`].
    fn accepts_code(&self) -> bool {
        false
    }

    /// Compiles the source of a module (kind source) to code for the code cache: the host's own compiled
    /// form (CPython's `marshal.dumps(compile(...))`, LuaJIT's `string.dump`), never read by importkit.
    /// `Ok(None)`: no code for this module; it executes from source. Called only when
    /// [`Executor::accepts_code`], and only when neither the module's source nor the cache has code for this
    /// source (so once per module and version of its source while the cache keeps it). A failure fails the
    /// import (`compiling module 'x' failed: ...`).
    fn compile(&self, spec: &ModuleSpec, source: &[u8]) -> Result<Option<Vec<u8>>, HostError> {
        let _ = (spec, source);
        Ok(None)
    }

    /// Executes compiled code in `module`, instead of [`Executor::exec`]: code for the runtime's cache tag
    /// that this module's current source compiles to, checked (source hash, checksum) before it gets here.
    /// Called only when [`Executor::accepts_code`].
    fn exec_code(&self, spec: &ModuleSpec, module: ModuleHandle, code: &[u8]) -> Result<(), HostError> {
        let _ = (spec, module, code);
        Err(HostError::new("this executor runs no compiled code (accepts_code is false)"))
    }

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
