//! `ik_runtime`: making and freeing runtimes, and setting them up (executor, natives, host finders,
//! policy, virtual files).

use std::ffi::c_char;

use super::args::{guarded, in_opt_str, in_ref, in_str, out_ptr, write_out};
use super::boundary::boundary;
use super::callbacks::{self, ik_executor, ik_finder, ik_native, IK_NATIVE_PACKAGE, IK_NATIVE_POWERFUL};
use super::error::ik_error;
use super::status::ik_status;
use crate::error::Result;
use crate::finders::native::NativeFlags;
use crate::limits::{MAX_NAME_LEN, MAX_PATH_LEN};
use crate::profile::Profile;
use crate::runtime::Runtime;

/// # Safety
/// `rt` is NULL or a runtime importkit handed out that the caller has not freed.
pub(crate) unsafe fn runtime<'a>(rt: *const Runtime) -> Result<&'a Runtime> {
    // SAFETY: forwarded from the caller.
    unsafe { in_ref(rt, "runtime") }
}

/// Runs `f` on the runtime and a NUL-terminated name (a module name, a policy name, a mount point), inside
/// the panic boundary: the shape of every call that takes just those.
///
/// # Safety
/// `rt` is NULL or a live runtime; `name` is NULL or a NUL-terminated string.
pub(crate) unsafe fn on_name(
    rt: *const Runtime,
    name: *const c_char,
    out_error: *mut *mut ik_error,
    f: impl FnOnce(&Runtime, &str) -> Result<()>,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        let rt = unsafe { runtime(rt) }?;
        // SAFETY: forwarded from the caller.
        let name = unsafe { in_str(name, "name", MAX_NAME_LEN) }?;
        f(rt, name)
    })
}

/// Makes a runtime with a copy of `profile` (NULL: CPython's conventions), no finders, no executor and the
/// default policy. Free it with `ik_runtime_free`.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_new(
    profile: *const Profile,
    out_runtime: *mut *mut Runtime,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_runtime, "out_runtime")?;
        // SAFETY: `profile` is NULL or a live profile.
        let profile = unsafe { profile.as_ref() }.cloned().unwrap_or_default();
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_runtime, Box::into_raw(Box::new(Runtime::new(profile)))) };
        Ok(())
    })
}

/// Frees a runtime: every module in its table is released through the executor, then the executor's,
/// natives' and finders' userdata. No call on the runtime may be running or start. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_free(rt: *mut Runtime) {
    guarded((), || {
        if !rt.is_null() {
            // SAFETY: the runtime came from Box::into_raw in ik_runtime_new and is freed once.
            drop(unsafe { Box::from_raw(rt) });
        }
    })
}

/// Sets the host's executor (the vtable is copied). Set it before the first import: modules already in the
/// table are released through whichever executor is set when they are released, and without an executor
/// they are not released at all (natives and inserted modules included). The previous executor's
/// userdata is released once no import uses it. On failure `executor->release_userdata` is called before
/// returning, unless `executor->size` is no released layout (then nothing of the struct is read or used).
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_set_executor(
    rt: *const Runtime,
    executor: *const ik_executor,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: a non-NULL vtable points at an ik_executor of the size its first field gives.
        let vt = &unsafe { super::vtable::read_vtable(executor, "executor") }?;
        let wrapped = callbacks::executor(vt)?;
        // SAFETY: forwarded from the caller.
        unsafe { runtime(rt) }?.set_executor(wrapped);
        Ok(())
    })
}

/// Gives modules of mounted trees a virtual file path under `root` (e.g. the executable's path), as
/// `root/game/core.py`; NULL (the default) gives them no file.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_set_virtual_root(
    rt: *const Runtime,
    root: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        let rt = unsafe { runtime(rt) }?;
        // SAFETY: `root` is NULL or a NUL-terminated string.
        let root = unsafe { in_opt_str(root, "root", MAX_PATH_LEN) }?;
        rt.set_virtual_root(root)
    })
}

/// Registers a native module under `name` (`pkg.sub` too; `pkg` then is a package). The vtable is
/// copied. `IK_ERR_EXISTS` if the name is registered already. On failure `native->release_userdata` is
/// called before returning, unless `native->size` is no released layout (then nothing of it is used).
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_register_native(
    rt: *const Runtime,
    name: *const c_char,
    native: *const ik_native,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: a non-NULL vtable points at an ik_native of the size its first field gives.
        let vt = &unsafe { super::vtable::read_vtable(native, "native") }?;
        let factory = callbacks::native(vt)?;
        // SAFETY: forwarded from the caller.
        let rt = unsafe { runtime(rt) }?;
        // SAFETY: `name` is a NUL-terminated string.
        let name = unsafe { in_str(name, "name", MAX_NAME_LEN) }?;
        let flags =
            NativeFlags { powerful: vt.flags & IK_NATIVE_POWERFUL != 0, package: vt.flags & IK_NATIVE_PACKAGE != 0 };
        rt.register_native(name, factory, flags)
    })
}

/// Unregisters a native (`IK_ERR_UNAVAILABLE` if it is not registered). A module already made by it stays
/// in the table.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_unregister_native(
    rt: *const Runtime,
    name: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    // SAFETY: the header's contract for these arguments.
    unsafe { on_name(rt, name, out_error, |rt, name| rt.unregister_native(name)) }
}

/// Puts a host finder at `position` of the meta path (0 first; `SIZE_MAX` or anything past the end:
/// last). The vtable is copied; `*out_id` (may be NULL) receives an id for `ik_runtime_remove_finder`.
/// On failure `finder->release_userdata` is called before returning, unless `finder->size` is no released
/// layout (then nothing of the struct is read or used).
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_add_finder(
    rt: *const Runtime,
    finder: *const ik_finder,
    position: usize,
    out_id: *mut u64,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: a non-NULL vtable points at an ik_finder of the size its first field gives.
        let vt = &unsafe { super::vtable::read_vtable(finder, "finder") }?;
        let wrapped = callbacks::finder(vt)?;
        // SAFETY: forwarded from the caller.
        let id = unsafe { runtime(rt) }?.add_finder(wrapped, position)?;
        if !out_id.is_null() {
            // SAFETY: a non-NULL out_id points at a writable uint64_t.
            unsafe { write_out(out_id, id) };
        }
        Ok(())
    })
}

/// Removes a host finder or a mount from the meta path by its id (`IK_ERR_UNAVAILABLE` if there is none).
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_remove_finder(
    rt: *const Runtime,
    id: u64,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        unsafe { runtime(rt) }?.remove_finder(id)
    })
}

/// Allows a top-level name (`"*"`: every name but powerful natives, which must be allowed by name). Once
/// anything is allowed, names not allowed are denied.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_allow(
    rt: *const Runtime,
    name: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    // SAFETY: the header's contract for these arguments.
    unsafe { on_name(rt, name, out_error, |rt, name| rt.allow(name)) }
}

/// Denies a top-level name (`"*"`: every name); deny wins over allow. A denied import returns
/// `IK_ERR_DENIED` and leaves no trace (no table entry, no callback).
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_deny(
    rt: *const Runtime,
    name: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    // SAFETY: the header's contract for these arguments.
    unsafe { on_name(rt, name, out_error, |rt, name| rt.deny(name)) }
}

/// Back to the default policy: every name allowed but powerful natives.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_clear_policy(rt: *const Runtime, out_error: *mut *mut ik_error) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        unsafe { runtime(rt) }?.clear_policy();
        Ok(())
    })
}

/// Drops what finders cache and tells host finders to drop theirs (`importlib.invalidate_caches()`).
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_invalidate(rt: *const Runtime, out_error: *mut *mut ik_error) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        unsafe { runtime(rt) }?.invalidate();
        Ok(())
    })
}
