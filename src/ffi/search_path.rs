//! The filesystem side of a runtime from C: the switch, the search path, path hooks, the recheck window,
//! confinement, and namespace package locations.

use std::ffi::c_char;

use super::args::{in_str, out_ptr, write_out};
use super::boundary::boundary;
use super::callbacks::{self, ik_path_hook};
use super::error::ik_error;
use super::list::{entry_list, ik_name_list, name_list, with_entries};
use super::runtime::{on_name, runtime};
use super::status::ik_status;
use crate::error::Error;
use crate::limits::MAX_PATH_LEN;
use crate::runtime::Runtime;

/// Turns the path finder on (`true`) or off. Off, the default, the runtime makes no filesystem call at all:
/// the search path and hooks are kept but not consulted.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_enable_filesystem(
    rt: *const Runtime,
    enabled: bool,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        unsafe { runtime(rt) }?.enable_filesystem(enabled);
        Ok(())
    })
}

/// Appends an entry to the search path (`sys.path`): a directory, `""` for the current directory, or an
/// entry a host path hook serves.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_path_append(
    rt: *const Runtime,
    entry: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    // SAFETY: the header's contract for these arguments.
    unsafe { on_path(rt, entry, out_error, |rt, entry| rt.path_append(entry)) }
}

/// Inserts an entry before position `index` of the search path (past the end: appended).
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_path_insert(
    rt: *const Runtime,
    index: usize,
    entry: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    // SAFETY: the header's contract for these arguments.
    unsafe { on_path(rt, entry, out_error, |rt, entry| rt.path_insert(index, entry)) }
}

/// Removes the first entry equal to `entry` (`IK_ERR_UNAVAILABLE` if there is none).
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_path_remove(
    rt: *const Runtime,
    entry: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    // SAFETY: the header's contract for these arguments.
    unsafe { on_path(rt, entry, out_error, |rt, entry| rt.path_remove(entry)) }
}

/// # Safety
/// `rt` is NULL or a live runtime; `entry` is NULL or a NUL-terminated string.
unsafe fn on_path(
    rt: *const Runtime,
    entry: *const c_char,
    out_error: *mut *mut ik_error,
    f: impl FnOnce(&Runtime, &str) -> crate::error::Result<()>,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        let rt = unsafe { runtime(rt) }?;
        // SAFETY: forwarded from the caller.
        let entry = unsafe { in_str(entry, "entry", MAX_PATH_LEN) }?;
        f(rt, entry)
    })
}

/// Replaces the whole search path with `count` entries (a host following its own list, like `sys.path`).
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_path_set(
    rt: *const Runtime,
    entries: *const *const c_char,
    count: usize,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        let rt = unsafe { runtime(rt) }?;
        if entries.is_null() && count > 0 {
            return Err(Error::invalid_argument("entries is NULL"));
        }
        // SAFETY: forwarded from the caller.
        let list = unsafe { entry_list(entries, count) }?;
        rt.set_search_path(&list)
    })
}

/// The search path, in order, into `*out_list` (free it with `ik_name_list_free`).
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_path_list(
    rt: *const Runtime,
    out_list: *mut *mut ik_name_list,
    out_error: *mut *mut ik_error,
) -> ik_status {
    // SAFETY: the header's contract for these arguments.
    unsafe { super::list::list_out(rt, out_list, out_error, Runtime::search_path) }
}

/// Adds a host path hook at `position` among the host's hooks (`SIZE_MAX`: last); the built-in directory
/// hook always comes after them. The vtable is copied; `*out_id` (may be NULL) receives an id for
/// `ik_runtime_remove_path_hook`. Entry finders made so far are dropped. On failure
/// `hook->release_userdata` is called before returning, unless `hook->size` is no released layout (then
/// nothing of the struct is read or used).
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_add_path_hook(
    rt: *const Runtime,
    hook: *const ik_path_hook,
    position: usize,
    out_id: *mut u64,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: a non-NULL vtable points at an ik_path_hook of the size its first field gives.
        let vt = &unsafe { super::vtable::read_vtable(hook, "hook") }?;
        let wrapped = callbacks::path_hook(vt)?;
        // SAFETY: forwarded from the caller.
        let id = unsafe { runtime(rt) }?.add_path_hook(wrapped, position);
        if !out_id.is_null() {
            // SAFETY: a non-NULL out_id points at a writable uint64_t.
            unsafe { write_out(out_id, id) };
        }
        Ok(())
    })
}

/// Removes a path hook by its id (`IK_ERR_UNAVAILABLE` if there is none).
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_remove_path_hook(
    rt: *const Runtime,
    id: u64,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        unsafe { runtime(rt) }?.remove_path_hook(id)
    })
}

/// How long (milliseconds) a directory's listing is trusted before the directory is checked again
/// (default 1000). 0: every lookup stats the directory, as CPython's FileFinder does.
/// `ik_runtime_invalidate` forgets every listing at once.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_set_recheck(
    rt: *const Runtime,
    milliseconds: u32,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        unsafe { runtime(rt) }?.set_recheck(std::time::Duration::from_millis(milliseconds.into()));
        Ok(())
    })
}

/// Confines the path finder to `root` (an existing directory; call again to allow several): no entry,
/// file, link or `.ref` target that resolves outside the roots is used, and the refusal is recorded in
/// the error's attempts. This call resolves `root` on the filesystem at once (even with the filesystem
/// off, since the host asked), so a missing root fails here.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_confine(
    rt: *const Runtime,
    root: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    // SAFETY: the header's contract for these arguments.
    unsafe { on_path(rt, root, out_error, |rt, root| rt.confine(root)) }
}

/// Lifts every confinement root.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_clear_confinement(rt: *const Runtime, out_error: *mut *mut ik_error) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        unsafe { runtime(rt) }?.clear_confinement();
        Ok(())
    })
}

/// Forgets every directory listing and entry finder, so the next search starts cold.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_drop_caches(rt: *const Runtime, out_error: *mut *mut ik_error) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        unsafe { runtime(rt) }?.drop_caches();
        Ok(())
    })
}

/// The current search locations of the namespace package `name` in the module table, recomputed from its
/// parent's locations (or the search path) as they are now, into `*out_list` (free it with
/// `ik_name_list_free`). `IK_ERR_NOT_FOUND` if `name` is not in the table, `IK_ERR_IMPORT` if it is not a
/// namespace package.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_namespace_locations(
    rt: *const Runtime,
    name: *const c_char,
    out_list: *mut *mut ik_name_list,
    out_error: *mut *mut ik_error,
) -> ik_status {
    if out_list.is_null() {
        return boundary(out_error, || out_ptr(out_list, "out_list"));
    }
    // SAFETY: the header's contract for these arguments.
    unsafe {
        on_name(rt, name, out_error, |rt, name| {
            let locations = rt.namespace_locations(name)?;
            // SAFETY: checked non-NULL above.
            write_out(out_list, name_list(locations));
            Ok(())
        })
    }
}

/// CPython's `PathFinder.find_spec(name, path)`: the path finder alone over `count` `entries` (NULL: the
/// search path), no parent resolved, nothing imported, no other finder asked. Writes an owned spec to
/// `*out_spec` (free it with `ik_spec_free`); `IK_ERR_NOT_FOUND` with the places tried when nothing is there,
/// `IK_ERR_UNAVAILABLE` when the filesystem is off. For hosts whose own import system gives the parent's
/// locations (a `sys.meta_path` finder). With `out_error` NULL a miss costs one search, not two (the second
/// only gathers the places tried for the error object).
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_path_find_spec(
    rt: *const Runtime,
    name: *const c_char,
    entries: *const *const c_char,
    count: usize,
    out_spec: *mut *const crate::spec::ModuleSpec,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_spec, "out_spec")?;
        // SAFETY: forwarded from the caller.
        let rt = unsafe { runtime(rt) }?;
        // SAFETY: `name` is a NUL-terminated string.
        let name = unsafe { in_str(name, "name", crate::limits::MAX_NAME_LEN) }?;
        // A caller that takes no error object gets a miss without the second pass that explains it.
        let explain = !out_error.is_null();
        let found = if entries.is_null() {
            rt.path_find(name, None, explain)?
        } else {
            // SAFETY: forwarded from the caller.
            unsafe { with_entries(entries, count, |list| rt.path_find(name, Some(list), explain)) }?
        };
        let Some(spec) = found else {
            return Err(Error::new(crate::ErrorCode::NotFound, format!("No module named '{name}'")));
        };
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_spec, std::sync::Arc::into_raw(spec)) };
        Ok(())
    })
}
