//! Importing, finding, and the module table, from C.

use std::ffi::{c_char, c_void};

use super::args::{in_counted, in_opt_str, in_str, out_ptr, write_out};
use super::boundary::boundary;
use super::error::ik_error;
use super::list::ik_name_list;
use super::runtime::runtime;
use super::status::ik_status;
use crate::error::{Error, Result};
use crate::executor::ModuleHandle;
use crate::limits::{MAX_FROMLIST, MAX_NAME_LEN};
use crate::runtime::{ModuleState, Runtime};
use crate::spec::ModuleSpec;

/// The module is in the table and executing (a circular import sees it so).
pub const IK_MODULE_INITIALIZING: u32 = 0;
/// The module is in the table and executed (or inserted by the host).
pub const IK_MODULE_READY: u32 = 1;

fn handle_out(h: ModuleHandle) -> *mut c_void {
    h.get() as *mut c_void
}

/// The runtime, name and optional package every name-taking call starts with.
///
/// # Safety
/// `rt` is NULL or a live runtime; `name` and `package` are NULL or NUL-terminated strings.
unsafe fn name_args<'a>(
    rt: *const Runtime,
    name: *const c_char,
    package: *const c_char,
) -> Result<(&'a Runtime, &'a str, Option<&'a str>)> {
    // SAFETY: forwarded from the caller.
    let rt = unsafe { runtime(rt) }?;
    // SAFETY: forwarded from the caller.
    let name = unsafe { in_str(name, "name", MAX_NAME_LEN) }?;
    // SAFETY: forwarded from the caller.
    let package = unsafe { in_opt_str(package, "package", MAX_NAME_LEN) }?;
    Ok((rt, name, package))
}

/// Imports `name` as `importlib.import_module(name, package)` does and writes the module to
/// `*out_module`: its parents first, relative when `name` starts with dots (resolved against `package`,
/// which may be NULL for an absolute name). The module is borrowed from the module table. A module that is
/// ready is returned without a lock or an allocation.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_import(
    rt: *const Runtime,
    name: *const c_char,
    package: *const c_char,
    out_module: *mut *mut c_void,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_module, "out_module")?;
        if package.is_null() && !name.is_null() {
            // SAFETY: forwarded from the caller.
            let rt = unsafe { runtime(rt) }?;
            // SAFETY: `name` is a NUL-terminated string; strnlen stays within it or the limit.
            let len = unsafe { libc::strnlen(name, MAX_NAME_LEN + 1) };
            // SAFETY: `len` bytes were just measured as readable.
            let bytes = unsafe { std::slice::from_raw_parts(name.cast::<u8>(), len) };
            if let Some(h) = rt.cached(bytes) {
                // SAFETY: checked by out_ptr.
                unsafe { write_out(out_module, handle_out(h)) };
                return Ok(());
            }
        }
        // SAFETY: the header's contract for these arguments.
        let (rt, name, package) = unsafe { name_args(rt, name, package) }?;
        let h = rt.import(name, package)?;
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_module, handle_out(h)) };
        Ok(())
    })
}

/// `ik_runtime_import` with counted strings (`package` may be NULL with `package_len` 0), for hosts that
/// hold strings with a length (Lua). An embedded NUL is refused.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_import_n(
    rt: *const Runtime,
    name: *const c_char,
    name_len: usize,
    package: *const c_char,
    package_len: usize,
    out_module: *mut *mut c_void,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_module, "out_module")?;
        // SAFETY: forwarded from the caller.
        let rt = unsafe { runtime(rt) }?;
        // Only a call whose every argument is well formed takes the fast path (a NULL package with a length
        // is refused below, hit or miss); the name's own checks are the cache's: only valid names are in it.
        if package.is_null() && package_len == 0 && !name.is_null() && name_len <= MAX_NAME_LEN {
            // SAFETY: `name` points at `name_len` readable bytes.
            let bytes = unsafe { std::slice::from_raw_parts(name.cast::<u8>(), name_len) };
            if let Some(h) = rt.cached(bytes) {
                // SAFETY: checked by out_ptr.
                unsafe { write_out(out_module, handle_out(h)) };
                return Ok(());
            }
        }
        // SAFETY: counted strings as documented.
        let name = unsafe { in_counted(name, name_len, "name", MAX_NAME_LEN) }?;
        let package = if package.is_null() && package_len == 0 {
            None
        } else {
            // SAFETY: as above.
            Some(unsafe { in_counted(package, package_len, "package", MAX_NAME_LEN) }?)
        };
        let h = rt.import(name, package)?;
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_module, handle_out(h)) };
        Ok(())
    })
}

/// What an import statement asks for, as `__import__(name, globals, locals, fromlist, level)`: `name` at
/// `level` (0 absolute; n: relative to `package`, n-1 levels up) with `fromlist` (`count` names, `"*"` for
/// the names of the module's `__all__`). Without a fromlist the top-level package of `name` is returned
/// (`import a.b` binds `a`); with one, the module itself, after importing the fromlist names that are
/// submodules and not attributes.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ik_runtime_import_from(
    rt: *const Runtime,
    name: *const c_char,
    package: *const c_char,
    level: u32,
    fromlist: *const *const c_char,
    count: usize,
    out_module: *mut *mut c_void,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_module, "out_module")?;
        // SAFETY: the header's contract for these arguments.
        let (rt, name, package) = unsafe { name_args(rt, name, package) }?;
        if count > MAX_FROMLIST {
            return Err(Error::invalid_argument(format!("fromlist has {count} names; the limit is {MAX_FROMLIST}")));
        }
        if fromlist.is_null() && count > 0 {
            return Err(Error::invalid_argument("fromlist is NULL"));
        }
        let mut names = Vec::with_capacity(count);
        for i in 0..count {
            // SAFETY: `fromlist` points at `count` string pointers.
            let p = unsafe { *fromlist.add(i) };
            // SAFETY: each entry is a NUL-terminated string.
            match unsafe { in_str(p, "fromlist name", MAX_NAME_LEN) } {
                Ok(name) => names.push(name),
                Err(_) => {
                    // SAFETY: as above; read again only to name the entry in the error.
                    let named = unsafe { in_str(p, &format!("fromlist[{i}]"), MAX_NAME_LEN) };
                    return Err(named.err().unwrap_or_else(|| Error::internal("a name refused once was accepted")));
                }
            }
        }
        let h = rt.import_from(name, package, level as usize, &names)?;
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_module, handle_out(h)) };
        Ok(())
    })
}

fn spec_out(spec: std::sync::Arc<ModuleSpec>) -> *const ModuleSpec {
    std::sync::Arc::into_raw(spec)
}

/// Finds the spec of `name` (relative with leading dots, against `package`) without executing anything:
/// a module in the table gives its own spec; otherwise parents are found (not imported) and the name is
/// searched through their search locations. `*out_spec` must be freed with `ik_spec_free`.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_find_spec(
    rt: *const Runtime,
    name: *const c_char,
    package: *const c_char,
    out_spec: *mut *const ModuleSpec,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_spec, "out_spec")?;
        // SAFETY: the header's contract for these arguments.
        let (rt, name, package) = unsafe { name_args(rt, name, package) }?;
        let spec = rt.find_spec(name, package)?;
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_spec, spec_out(spec)) };
        Ok(())
    })
}

/// `importlib.reload`: finds module `name` of the table again (its file may have changed, or moved to another
/// entry or source) and executes it again in the same module object, under the module's import lock; the
/// executor's `exec` gets that object a second time, with the new spec. Writes the module now under `name`
/// to `*out_module` (borrowed from the table, as for `ik_runtime_import`). A failure (not found again, an
/// exec error) leaves the module as it was, in the table. `IK_ERR_NOT_FOUND` when `name` is not in the
/// table, with a message that says so; `IK_ERR_IMPORT` when its parent is not, or when its `exec` took it
/// out of the table. A module that reloads itself while this thread executes it is given back as it is.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_reload(
    rt: *const Runtime,
    name: *const c_char,
    out_module: *mut *mut c_void,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_module, "out_module")?;
        // SAFETY: the header's contract for these arguments.
        let (rt, name) = unsafe { table_args(rt, name) }?;
        let h = rt.reload(name)?;
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_module, handle_out(h)) };
        Ok(())
    })
}

/// # Safety
/// `rt` and `name` as for the table functions below.
unsafe fn table_args<'a>(rt: *const Runtime, name: *const c_char) -> Result<(&'a Runtime, &'a str)> {
    // SAFETY: forwarded from the caller.
    unsafe { name_args(rt, name, std::ptr::null()) }.map(|(rt, name, _)| (rt, name))
}

fn not_in_table(name: &str) -> Error {
    Error::new(crate::ErrorCode::NotFound, format!("module '{name}' is not in the module table")).for_module(name)
}

/// The module under `name` in the table (`sys.modules.get`), partly initialised ones included;
/// `*out_state` (may be NULL) receives `IK_MODULE_INITIALIZING` or `IK_MODULE_READY`. `IK_ERR_NOT_FOUND`
/// when it is not there. Nothing is imported.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_get_module(
    rt: *const Runtime,
    name: *const c_char,
    out_module: *mut *mut c_void,
    out_state: *mut u32,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_module, "out_module")?;
        // SAFETY: forwarded from the caller.
        let (rt, name) = unsafe { table_args(rt, name) }?;
        let (h, state) = rt.module(name).ok_or_else(|| not_in_table(name))?;
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_module, handle_out(h)) };
        if !out_state.is_null() {
            let s = if state == ModuleState::Ready { IK_MODULE_READY } else { IK_MODULE_INITIALIZING };
            // SAFETY: a non-NULL out_state points at a writable uint32_t.
            unsafe { write_out(out_state, s) };
        }
        Ok(())
    })
}

/// The spec of the module under `name` in the table; `IK_ERR_NOT_FOUND` when it is not there or the host
/// inserted it without one. Free `*out_spec` with `ik_spec_free`.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_module_spec(
    rt: *const Runtime,
    name: *const c_char,
    out_spec: *mut *const ModuleSpec,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_spec, "out_spec")?;
        // SAFETY: forwarded from the caller.
        let (rt, name) = unsafe { table_args(rt, name) }?;
        let spec = rt.module_spec(name).ok_or_else(|| not_in_table(name))?;
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_spec, spec_out(spec)) };
        Ok(())
    })
}

/// Whether `name` is in the module table.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_contains(
    rt: *const Runtime,
    name: *const c_char,
    out_contains: *mut bool,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_contains, "out_contains")?;
        // SAFETY: forwarded from the caller.
        let (rt, name) = unsafe { table_args(rt, name) }?;
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_contains, rt.contains(name)) };
        Ok(())
    })
}

/// Removes `name` from the module table and releases it through the executor (`del sys.modules[name]`);
/// its children stay. `IK_ERR_NOT_FOUND` when it is not there.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_remove_module(
    rt: *const Runtime,
    name: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    // SAFETY: the header's contract for these arguments.
    unsafe { super::runtime::on_name(rt, name, out_error, |rt, name| rt.remove_module(name)) }
}

/// Puts a module object of the host's into the table under `name`, ready (`sys.modules[name] = module`);
/// the table now owns that reference and releases it through the executor. A module it replaces is
/// released.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_insert_module(
    rt: *const Runtime,
    name: *const c_char,
    module: *mut c_void,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        let (rt, name) = unsafe { table_args(rt, name) }?;
        let h = ModuleHandle::new(module as usize).ok_or_else(|| Error::invalid_argument("module is NULL"))?;
        rt.insert_module(name, h)
    })
}

/// Puts a package object of the host's into the table under `name`, ready, with `count` submodule search
/// `locations` (`sys.modules[name] = obj` where `obj.__path__` is those locations): its submodules are then
/// found through them. Its spec has origin `host:inserted` and kind `IK_KIND_NATIVE`. The table owns the
/// reference, as with `ik_runtime_insert_module`.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_insert_package(
    rt: *const Runtime,
    name: *const c_char,
    module: *mut c_void,
    locations: *const *const c_char,
    count: usize,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        let (rt, name) = unsafe { table_args(rt, name) }?;
        let h = ModuleHandle::new(module as usize).ok_or_else(|| Error::invalid_argument("module is NULL"))?;
        if locations.is_null() && count > 0 {
            return Err(Error::invalid_argument("locations is NULL"));
        }
        // SAFETY: `locations` points at `count` NUL-terminated strings.
        let list = if count == 0 { Vec::new() } else { unsafe { super::list::entry_list(locations, count) }? };
        rt.insert_package(name, h, &list)
    })
}

/// Lists the names in the module table, sorted, into `*out_list`.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_list_modules(
    rt: *const Runtime,
    out_list: *mut *mut ik_name_list,
    out_error: *mut *mut ik_error,
) -> ik_status {
    // SAFETY: the header's contract for these arguments.
    unsafe { super::list::list_out(rt, out_list, out_error, Runtime::module_names) }
}
