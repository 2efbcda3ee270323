//! The host's callbacks: the vtables (`ik_executor`, `ik_native`, `ik_finder`, `ik_path_hook`,
//! `ik_entry_finder`) and the adapters that make them importkit's traits (the executor, native factories,
//! host finders and path hooks). The context objects a callback fills in are in `report.rs`; how a vtable
//! is read, in `vtable.rs`.
//!
//! Callbacks must return normally: they must not unwind (`longjmp`, `lua_error`, a C++ throw) through
//! importkit. They may be called from any thread that imports, several at once.

use std::ffi::{c_char, c_void};
use std::num::NonZeroUsize;

use super::report::{call, ik_bytes, ik_found, ik_modules, ik_report, ik_strings};
use super::vtable::{check_layout, hosted, ik_release_fn, Hosted, Userdata, Vtable};
use crate::error::{printable, Error, HostError, Result};
use crate::executor::{Executor, ModuleHandle};
use crate::finders::host::{EntryFinder, EntryFound, HostFinder, HostFound, PathHook};
use crate::finders::{ModuleInfo, NativeFactory};
use crate::limits::{MAX_FROMLIST, MAX_LISTED};
use crate::spec::{ModuleKind, ModuleSpec};

/// The host's executor: module objects and code execution. The first field is `sizeof(ik_executor)`.
/// `create` and `exec` are required; the others may be NULL. The layout before `compile` (up to
/// `release_userdata`) is the older one and stays accepted: its executor gets no compiled code.
/// Code-cache contract (docs/CODE_CACHE.md): an executor with `exec_code` gets a module of kind source
/// through `exec_code`, with code for the runtime's cache tag, wherever importkit has code for the module's
/// current source (the module's source, such as a bundle's code entry; the code cache in memory or in the
/// directory of `ik_runtime_set_code_cache_dir`; `compile`), and through `exec` with its source otherwise.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ik_executor {
    /// `sizeof(ik_executor)`, so importkit can tell which version of the struct the host was built with.
    pub size: u32,
    /// Passed as the first argument of every callback.
    pub userdata: *mut c_void,
    /// Makes an empty module object for `spec` and writes it to `*out_module` (non-NULL). The object goes
    /// into the module table before it executes, so a circular import sees it partly initialised.
    pub create: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            spec: *const ModuleSpec,
            out_module: *mut *mut c_void,
            report: *mut ik_report,
        ) -> i32,
    >,
    /// Executes the module's code in `module`. `source`/`source_len` are the bytes importkit holds for it
    /// (a mounted file, bytes from a host finder), or NULL/0 when the host reads `ik_spec_file` itself
    /// (an executor with `exec_code` gets a source file of a directory read too, when there is no code
    /// for it). Not called for namespace packages and natives. To pass on the failure of a nested import, return its
    /// status and report its message.
    pub exec: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            spec: *const ModuleSpec,
            module: *mut c_void,
            source: *const u8,
            source_len: usize,
            report: *mut ik_report,
        ) -> i32,
    >,
    /// Sets `child` as attribute `name` of `parent` once the child is loaded. A failure is ignored.
    pub bind: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            parent: *mut c_void,
            name: *const c_char,
            name_len: usize,
            child: *mut c_void,
        ) -> i32,
    >,
    /// Whether `module` has attribute `name` (fromlist names that exist are not imported). NULL: never.
    pub has_attr: Option<
        unsafe extern "C" fn(userdata: *mut c_void, module: *mut c_void, name: *const c_char, name_len: usize) -> bool,
    >,
    /// Pushes the names of the module's `__all__` into `out` with `ik_strings_push` (for `import *`).
    pub all_names: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            module: *mut c_void,
            out: *mut ik_strings,
            report: *mut ik_report,
        ) -> i32,
    >,
    /// importkit holds `module` no more: the module table dropped it (removed, replaced, failed, runtime
    /// freed) and no running import still passes it to a callback (`exec`, `bind`, `has_attr`,
    /// `all_names` always get a live object, whatever other threads remove). Called once per object.
    pub release: Option<unsafe extern "C" fn(userdata: *mut c_void, module: *mut c_void)>,
    /// Called once with `userdata` when the executor is replaced or its runtime freed. May be NULL.
    pub release_userdata: ik_release_fn,
    /// Compiles a module's source (`source`/`source_len`) to code for the code cache (the host's compiled
    /// form, never read by importkit: CPython's marshalled code object, LuaJIT's `string.dump`): give it
    /// with `ik_bytes_set(out, ...)` (at most `IK_MAX_CODE_SIZE` bytes) and return `IK_OK`; return `IK_OK`
    /// without setting it when there is no code for this module (it then runs from source, through `exec`).
    /// Called for a module of kind source whose bytes importkit holds or reads (a mounted file, a zip
    /// member, a bundle's, a host finder's, a file of a directory on the search path), when neither its
    /// source nor the code cache has code for them: once per module and version of its source while the
    /// cache keeps it.
    /// A failure fails the import (`compiling module 'x' failed: ...`). May be NULL (code then comes only
    /// from sources and the cache directory); set, it needs `exec_code`. (Fields from here on are new in
    /// this layout; a host built against the older header gives the older `size`.)
    pub compile: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            spec: *const ModuleSpec,
            source: *const u8,
            source_len: usize,
            out: *mut ik_bytes,
            report: *mut ik_report,
        ) -> i32,
    >,
    /// Executes compiled code (`code`/`code_len`, never NULL) in `module`, instead of `exec`: code for the
    /// runtime's cache tag that the module's current source compiles to, checked before it gets here (a
    /// cache file's source hash and checksum, a bundle entry's CRC-32). Being called here rather than
    /// `exec` is how the executor knows it got code. May be NULL: importkit then hands out no code and
    /// every module goes to `exec`, as with the older layout.
    pub exec_code: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            spec: *const ModuleSpec,
            module: *mut c_void,
            code: *const u8,
            code_len: usize,
            report: *mut ik_report,
        ) -> i32,
    >,
}

/// A native module: a factory that makes the complete module object. The first field is `sizeof(ik_native)`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ik_native {
    /// `sizeof(ik_native)`.
    pub size: u32,
    /// `IK_NATIVE_POWERFUL`, `IK_NATIVE_PACKAGE`, or 0.
    pub flags: u32,
    /// Passed as the first argument of `create`.
    pub userdata: *mut c_void,
    /// Makes the module object for `spec` and writes it to `*out_module` (non-NULL). It may import.
    pub create: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            spec: *const ModuleSpec,
            out_module: *mut *mut c_void,
            report: *mut ik_report,
        ) -> i32,
    >,
    /// Called once with `userdata` when the native is unregistered or its runtime freed. May be NULL.
    pub release_userdata: ik_release_fn,
}

/// A native registered as powerful is denied unless its top-level name is allowed by name.
pub const IK_NATIVE_POWERFUL: u32 = 1;
/// The native is a package even before native submodules are registered.
pub const IK_NATIVE_PACKAGE: u32 = 2;

/// A host meta-path finder. The first field is `sizeof(ik_finder)`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ik_finder {
    /// `sizeof(ik_finder)`.
    pub size: u32,
    /// A short name for errors (`host:NAME`), at most `IK_MAX_FINDER_NAME_LEN` bytes; copied. NULL gives `"finder"`.
    pub name: *const c_char,
    /// Passed as the first argument of every callback.
    pub userdata: *mut c_void,
    /// Looks for `name`; `path` holds the parent package's search locations (`path_count` of them), or is
    /// NULL for a top-level name. Found: describe it with `ik_found_set` (and friends) and return `IK_OK`.
    /// Not found: return `IK_OK` without touching `found`. Failure: report and return an error status.
    pub find: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            name: *const c_char,
            name_len: usize,
            path: *const *const c_char,
            path_count: usize,
            found: *mut ik_found,
            report: *mut ik_report,
        ) -> i32,
    >,
    /// Drops the finder's caches (`ik_runtime_invalidate`). May be NULL.
    pub invalidate: Option<unsafe extern "C" fn(userdata: *mut c_void)>,
    /// Called once with `userdata` when the finder is removed or its runtime freed. May be NULL.
    pub release_userdata: ik_release_fn,
    /// Reads resource `resource` (a checked relative `/`-separated path) of `package`, a package this finder
    /// found: give its bytes with `ik_bytes_set` and return `IK_OK`; return `IK_OK` without setting them when
    /// there is no such file. May be NULL: the finder serves no resources. (Fields from here on are new in
    /// this layout; a host built against the older header gives the older `size`.)
    pub read_resource: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            package: *const c_char,
            package_len: usize,
            resource: *const c_char,
            resource_len: usize,
            out: *mut ik_bytes,
            report: *mut ik_report,
        ) -> i32,
    >,
    /// Lists the files and directories directly in `package` (a package this finder found) with
    /// `ik_strings_push`. May be NULL: the finder lists none.
    pub resources: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            package: *const c_char,
            package_len: usize,
            out: *mut ik_strings,
            report: *mut ik_report,
        ) -> i32,
    >,
    /// Lists the modules this finder serves directly in `package` (NULL and 0: the top-level ones) with
    /// `ik_modules_push`. May be NULL: it lists none.
    pub iter_modules: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            package: *const c_char,
            package_len: usize,
            out: *mut ik_modules,
            report: *mut ik_report,
        ) -> i32,
    >,
}

/// A host's finder for one path entry, made by its path hook. The first field is `sizeof(ik_entry_finder)`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ik_entry_finder {
    /// `sizeof(ik_entry_finder)`.
    pub size: u32,
    /// Passed as the first argument of every callback.
    pub userdata: *mut c_void,
    /// Looks for `name` (the full dotted name) in this entry. Found: `ik_found_set` (and friends) and
    /// `IK_OK`. A namespace portion: `ik_found_set(found, "", IK_KIND_NAMESPACE, true, NULL)` and one
    /// `ik_found_add_location` per directory. Not found: `IK_OK` without touching `found`.
    pub find: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            name: *const c_char,
            name_len: usize,
            found: *mut ik_found,
            report: *mut ik_report,
        ) -> i32,
    >,
    /// Drops the finder's caches (`ik_runtime_invalidate`). May be NULL.
    pub invalidate: Option<unsafe extern "C" fn(userdata: *mut c_void)>,
    /// Called once with `userdata` when the finder is dropped: by `ik_runtime_invalidate` when its entry is
    /// not an absolute path (as CPython drops relative entries), when hooks are added or removed, when the
    /// caches are dropped, when the runtime is freed.
    pub release_userdata: ik_release_fn,
    /// Reads the file `resource` (a checked relative `/`-separated path) of this entry, a package's location:
    /// `ik_bytes_set` and `IK_OK`; `IK_OK` without setting them when there is none. May be NULL. (Fields from
    /// here on are new in this layout; a host built against the older header gives the older `size`.)
    pub read_resource: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            resource: *const c_char,
            resource_len: usize,
            out: *mut ik_bytes,
            report: *mut ik_report,
        ) -> i32,
    >,
    /// Lists the files and directories directly in this entry with `ik_strings_push`. May be NULL.
    pub resources:
        Option<unsafe extern "C" fn(userdata: *mut c_void, out: *mut ik_strings, report: *mut ik_report) -> i32>,
    /// Lists the modules and packages directly in this entry with `ik_modules_push`. May be NULL.
    pub iter_modules:
        Option<unsafe extern "C" fn(userdata: *mut c_void, out: *mut ik_modules, report: *mut ik_report) -> i32>,
}

/// A host path hook: offered each new path entry (before the built-in directory hook), it takes the entries
/// it serves (an archive, a URL...) by filling in an entry finder. The first field is `sizeof(ik_path_hook)`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ik_path_hook {
    /// `sizeof(ik_path_hook)`.
    pub size: u32,
    /// A short name for errors (`hook:NAME`), at most `IK_MAX_FINDER_NAME_LEN` bytes; copied. NULL gives `"hook"`.
    pub name: *const c_char,
    /// Passed as the first argument of `hook`.
    pub userdata: *mut c_void,
    /// Offered `entry`: to take it, fill `*out` (its `size` set) and set `*claimed` to true; else leave
    /// `*claimed` false ("not mine"). The answer is cached per entry until `ik_runtime_invalidate`.
    pub hook: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            entry: *const c_char,
            entry_len: usize,
            out: *mut ik_entry_finder,
            claimed: *mut bool,
            report: *mut ik_report,
        ) -> i32,
    >,
    /// Called once with `userdata` when the hook is removed or its runtime freed. May be NULL.
    pub release_userdata: ik_release_fn,
}

/// The released layouts of each vtable, oldest first; a new field at the end adds the new `sizeof` to the end of
/// its list (the older sizes stay accepted). The finders' resource and listing callbacks came in the second,
/// the executor's code-cache callbacks (`compile`, `exec_code`) too.
macro_rules! released_layouts {
    ($($t:ident: [$($older:expr),*]),*) => {$(
        impl Vtable for $t {
            const NAME: &'static str = stringify!($t);
            const LAYOUTS: &'static [usize] = &[$($older,)* std::mem::size_of::<$t>()];
        }
    )*};
}

released_layouts!(
    ik_executor: [std::mem::offset_of!(ik_executor, compile)],
    ik_native: [],
    ik_finder: [std::mem::offset_of!(ik_finder, read_resource)],
    ik_entry_finder: [std::mem::offset_of!(ik_entry_finder, read_resource)],
    ik_path_hook: []
);

fn handle_ptr(h: ModuleHandle) -> *mut c_void {
    h.get() as *mut c_void
}

fn to_handle(p: *mut c_void, what: &str) -> Result<ModuleHandle, HostError> {
    NonZeroUsize::new(p as usize).ok_or_else(|| HostError::new(format!("{what} returned IK_OK but no module (NULL)")))
}

type CExecutor = Hosted<ik_executor>;
type CNative = Hosted<ik_native>;
type CFinder = Hosted<ik_finder>;

/// Checks a host's executor vtable and wraps it.
pub(crate) fn executor(vt: &ik_executor) -> Result<std::sync::Arc<dyn Executor>> {
    let userdata = Userdata::new(vt.userdata, vt.release_userdata);
    let missing = if vt.create.is_none() { Some("create") } else { vt.exec.is_none().then_some("exec") };
    let wrapped = hosted(vt, missing, None, userdata)?;
    if vt.compile.is_some() && vt.exec_code.is_none() {
        // Dropping the wrapper releases the userdata, as for any refused vtable.
        drop(wrapped);
        return Err(Error::invalid_argument(
            "ik_executor.compile is set but exec_code is NULL: compiled code needs exec_code to run",
        ));
    }
    Ok(std::sync::Arc::new(wrapped))
}

/// Bytes as a callback gets them: an empty slice still gets a real (non-NULL) pointer, since NULL means
/// "no bytes" where a callback may get none (`exec` of a file the host reads).
fn c_bytes(bytes: Option<&[u8]>) -> (*const u8, usize) {
    static EMPTY: [u8; 1] = [0];
    match bytes {
        None => (std::ptr::null(), 0),
        Some([]) => (EMPTY.as_ptr(), 0),
        Some(b) => (b.as_ptr(), b.len()),
    }
}

impl Executor for CExecutor {
    fn create(&self, spec: &ModuleSpec) -> Result<ModuleHandle, HostError> {
        let Some(create) = self.vt.create else { return Err(HostError::new("no create callback")) };
        let mut out: *mut c_void = std::ptr::null_mut();
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        call("ik_executor.create", |report| unsafe { create(self.vt.userdata, spec, &mut out, report) })?;
        to_handle(out, "ik_executor.create")
    }

    fn exec(&self, spec: &ModuleSpec, module: ModuleHandle, source: Option<&[u8]>) -> Result<(), HostError> {
        let Some(exec) = self.vt.exec else { return Err(HostError::new("no exec callback")) };
        let (ptr, len) = c_bytes(source);
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        call("ik_executor.exec", |report| unsafe { exec(self.vt.userdata, spec, handle_ptr(module), ptr, len, report) })
    }

    fn accepts_code(&self) -> bool {
        self.vt.exec_code.is_some()
    }

    fn compile(&self, spec: &ModuleSpec, source: &[u8]) -> Result<Option<Vec<u8>>, HostError> {
        let Some(compile) = self.vt.compile else { return Ok(None) };
        let (ptr, len) = c_bytes(Some(source));
        let mut out = ik_bytes { bytes: None };
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        call("ik_executor.compile", |report| unsafe { compile(self.vt.userdata, spec, ptr, len, &mut out, report) })?;
        Ok(out.bytes)
    }

    fn exec_code(&self, spec: &ModuleSpec, module: ModuleHandle, code: &[u8]) -> Result<(), HostError> {
        let Some(exec_code) = self.vt.exec_code else { return Err(HostError::new("no exec_code callback")) };
        let (ptr, len) = c_bytes(Some(code));
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        call("ik_executor.exec_code", |report| unsafe {
            exec_code(self.vt.userdata, spec, handle_ptr(module), ptr, len, report)
        })
    }

    fn bind(&self, parent: ModuleHandle, name: &str, child: ModuleHandle) -> Result<(), HostError> {
        let Some(bind) = self.vt.bind else { return Ok(()) };
        let cname = std::ffi::CString::new(name).map_err(|_| HostError::new("name with NUL"))?;
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        let status =
            unsafe { bind(self.vt.userdata, handle_ptr(parent), cname.as_ptr(), name.len(), handle_ptr(child)) };
        if status == 0 {
            Ok(())
        } else {
            Err(HostError::new(format!("bind returned status {status}")))
        }
    }

    fn has_attr(&self, module: ModuleHandle, name: &str) -> bool {
        let Some(has_attr) = self.vt.has_attr else { return false };
        let Ok(cname) = std::ffi::CString::new(name) else { return false };
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        unsafe { has_attr(self.vt.userdata, handle_ptr(module), cname.as_ptr(), name.len()) }
    }

    fn all_names(&self, module: ModuleHandle) -> Result<Vec<String>, HostError> {
        let Some(all_names) = self.vt.all_names else { return Ok(Vec::new()) };
        let mut out = ik_strings::new(MAX_FROMLIST);
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        call("ik_executor.all_names", |report| unsafe {
            all_names(self.vt.userdata, handle_ptr(module), &mut out, report)
        })?;
        Ok(out.names)
    }

    fn release(&self, module: ModuleHandle) {
        if let Some(release) = self.vt.release {
            // SAFETY: a callback of the host's vtable.
            unsafe { release(self.vt.userdata, handle_ptr(module)) }
        }
    }
}

/// Checks a host's native vtable and wraps it.
pub(crate) fn native(vt: &ik_native) -> Result<std::sync::Arc<dyn NativeFactory>> {
    let userdata = Userdata::new(vt.userdata, vt.release_userdata);
    let wrapped = hosted(vt, vt.create.is_none().then_some("create"), None, userdata)?;
    if vt.flags & !(IK_NATIVE_POWERFUL | IK_NATIVE_PACKAGE) != 0 {
        return Err(Error::invalid_argument(format!("ik_native.flags has unknown bits: {:#x}", vt.flags)));
    }
    Ok(std::sync::Arc::new(wrapped))
}

impl NativeFactory for CNative {
    fn create(&self, spec: &ModuleSpec) -> Result<ModuleHandle, HostError> {
        let Some(create) = self.vt.create else { return Err(HostError::new("no create callback")) };
        let mut out: *mut c_void = std::ptr::null_mut();
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        call("ik_native.create", |report| unsafe { create(self.vt.userdata, spec, &mut out, report) })?;
        to_handle(out, "ik_native.create")
    }
}

/// Checks a host's finder vtable and wraps it.
pub(crate) fn finder(vt: &ik_finder) -> Result<std::sync::Arc<dyn HostFinder>> {
    let userdata = Userdata::new(vt.userdata, vt.release_userdata);
    let missing = vt.find.is_none().then_some("find");
    Ok(std::sync::Arc::new(hosted(vt, missing, Some((vt.name, "finder")), userdata)?))
}

impl HostFinder for CFinder {
    fn name(&self) -> &str {
        &self.name
    }

    fn find_spec(&self, name: &str, path: Option<&[&str]>) -> Result<Option<HostFound>, HostError> {
        let Some(find) = self.vt.find else { return Ok(None) };
        let cname = std::ffi::CString::new(name).map_err(|_| HostError::new("name with NUL"))?;
        let cpath: Vec<std::ffi::CString> =
            path.unwrap_or(&[]).iter().filter_map(|p| std::ffi::CString::new(*p).ok()).collect();
        let ptrs: Vec<*const c_char> = cpath.iter().map(|c| c.as_ptr()).collect();
        let (path_ptr, count) = match path {
            Some(_) => (ptrs.as_ptr(), ptrs.len()),
            None => (std::ptr::null(), 0),
        };
        let mut found = ik_found { found: None };
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        call("ik_finder.find", |report| unsafe {
            find(self.vt.userdata, cname.as_ptr(), name.len(), path_ptr, count, &mut found, report)
        })?;
        Ok(found.found)
    }

    fn invalidate(&self) {
        if let Some(invalidate) = self.vt.invalidate {
            // SAFETY: a callback of the host's vtable.
            unsafe { invalidate(self.vt.userdata) }
        }
    }

    fn read_resource(&self, package: &str, resource: &str) -> Result<Option<Vec<u8>>, HostError> {
        let Some(read) = self.vt.read_resource else { return Ok(None) };
        let (cpackage, cresource) = (c_text(package)?, c_text(resource)?);
        let mut out = ik_bytes { bytes: None };
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        call("ik_finder.read_resource", |report| unsafe {
            read(
                self.vt.userdata,
                cpackage.as_ptr(),
                package.len(),
                cresource.as_ptr(),
                resource.len(),
                &mut out,
                report,
            )
        })?;
        Ok(out.bytes)
    }

    fn resources(&self, package: &str) -> Result<Option<Vec<String>>, HostError> {
        let Some(list) = self.vt.resources else { return Ok(None) };
        let cpackage = c_text(package)?;
        let mut out = ik_strings::new(MAX_LISTED);
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        call("ik_finder.resources", |report| unsafe {
            list(self.vt.userdata, cpackage.as_ptr(), package.len(), &mut out, report)
        })?;
        Ok(Some(out.names))
    }

    fn iter_modules(&self, package: Option<&str>) -> Result<Vec<ModuleInfo>, HostError> {
        let Some(list) = self.vt.iter_modules else { return Ok(Vec::new()) };
        let cpackage = package.map(c_text).transpose()?;
        let (ptr, len) = match (&cpackage, package) {
            (Some(c), Some(p)) => (c.as_ptr(), p.len()),
            _ => (std::ptr::null(), 0),
        };
        let mut out = ik_modules { modules: Vec::new() };
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        call("ik_finder.iter_modules", |report| unsafe { list(self.vt.userdata, ptr, len, &mut out, report) })?;
        Ok(out.modules)
    }
}

/// A name or path as a callback gets it (NUL-terminated; importkit's own text never holds a NUL).
fn c_text(s: &str) -> Result<std::ffi::CString, HostError> {
    std::ffi::CString::new(s).map_err(|_| HostError::new("text with a NUL byte"))
}

type CPathHook = Hosted<ik_path_hook>;
type CEntryFinder = Hosted<ik_entry_finder>;

/// Checks a host's path hook vtable and wraps it.
pub(crate) fn path_hook(vt: &ik_path_hook) -> Result<std::sync::Arc<dyn PathHook>> {
    let userdata = Userdata::new(vt.userdata, vt.release_userdata);
    let missing = vt.hook.is_none().then_some("hook");
    Ok(std::sync::Arc::new(hosted(vt, missing, Some((vt.name, "hook")), userdata)?))
}

impl PathHook for CPathHook {
    fn name(&self) -> &str {
        &self.name
    }

    fn finder_for(&self, entry: &str) -> Result<Option<std::sync::Arc<dyn EntryFinder>>, HostError> {
        let Some(hook) = self.vt.hook else { return Ok(None) };
        let centry = std::ffi::CString::new(entry).map_err(|_| HostError::new("entry with NUL"))?;
        // SAFETY: an all-zero ik_entry_finder is a valid value (no callbacks, NULL userdata).
        let mut out: ik_entry_finder = unsafe { std::mem::zeroed() };
        let mut claimed = false;
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        let status = call("ik_path_hook.hook", |report| unsafe {
            hook(self.vt.userdata, centry.as_ptr(), entry.len(), &mut out, &mut claimed, report)
        });
        if !claimed {
            return status.map(|_| None);
        }
        // A size that is no layout makes every other field unreadable: nothing is used, nothing released.
        let size = check_layout::<ik_entry_finder>(out.size).map_err(|e| {
            HostError::new(printable(&format!(
                "path hook '{}' claimed '{entry}' with a bad ik_entry_finder: {}",
                self.name, e
            )))
        })?;
        // SAFETY: `size` is one of the struct's layouts (at most its size); bytes past the host's layout are
        // the fields it does not know, absent (zero), whatever it wrote there.
        unsafe {
            let base = (&mut out as *mut ik_entry_finder).cast::<u8>();
            std::ptr::write_bytes(base.add(size), 0, std::mem::size_of::<ik_entry_finder>() - size);
        }
        // Claimed: the entry finder's userdata is released once, whatever follows (an error included).
        let userdata = Userdata::new(out.userdata, out.release_userdata);
        status?;
        if out.find.is_none() {
            return Err(HostError::new(printable(&format!(
                "path hook '{}' claimed '{entry}' with an ik_entry_finder without find",
                self.name
            ))));
        }
        Ok(Some(std::sync::Arc::new(CEntryFinder { vt: out, name: self.name.clone(), _userdata: userdata })))
    }
}

impl EntryFinder for CEntryFinder {
    fn find_spec(&self, name: &str) -> Result<Option<EntryFound>, HostError> {
        let Some(find) = self.vt.find else { return Ok(None) };
        let cname = std::ffi::CString::new(name).map_err(|_| HostError::new("name with NUL"))?;
        let mut found = ik_found { found: None };
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        call("ik_entry_finder.find", |report| unsafe {
            find(self.vt.userdata, cname.as_ptr(), name.len(), &mut found, report)
        })?;
        Ok(found.found.map(|f| match f.kind {
            ModuleKind::Namespace => EntryFound::Portion(f.locations),
            _ => EntryFound::Module(f),
        }))
    }

    fn invalidate(&self) {
        if let Some(invalidate) = self.vt.invalidate {
            // SAFETY: a callback of the host's vtable.
            unsafe { invalidate(self.vt.userdata) }
        }
    }

    fn read_resource(&self, resource: &str) -> Result<Option<Vec<u8>>, HostError> {
        let Some(read) = self.vt.read_resource else { return Ok(None) };
        let cresource = c_text(resource)?;
        let mut out = ik_bytes { bytes: None };
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        call("ik_entry_finder.read_resource", |report| unsafe {
            read(self.vt.userdata, cresource.as_ptr(), resource.len(), &mut out, report)
        })?;
        Ok(out.bytes)
    }

    fn resources(&self) -> Result<Option<Vec<String>>, HostError> {
        let Some(list) = self.vt.resources else { return Ok(None) };
        let mut out = ik_strings::new(MAX_LISTED);
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        call("ik_entry_finder.resources", |report| unsafe { list(self.vt.userdata, &mut out, report) })?;
        Ok(Some(out.names))
    }

    fn iter_modules(&self) -> Result<Vec<ModuleInfo>, HostError> {
        let Some(list) = self.vt.iter_modules else { return Ok(Vec::new()) };
        let mut out = ik_modules { modules: Vec::new() };
        // SAFETY: a callback of the host's vtable, with pointers valid for the call.
        call("ik_entry_finder.iter_modules", |report| unsafe { list(self.vt.userdata, &mut out, report) })?;
        Ok(out.modules)
    }
}
