//! `ik_spec` accessors. A spec passed to a callback is borrowed for the call; one returned by
//! `ik_runtime_find_spec` or `ik_runtime_module_spec` is owned and freed with `ik_spec_free`.

use std::ffi::c_char;
use std::ptr;

use super::args::{guarded, out_str};
use crate::error::{Error, Result};
use crate::spec::{ModuleKind, ModuleSpec};

/// Source text the host compiles and executes.
pub const IK_KIND_SOURCE: u32 = 0;
/// Compiled code the host executes.
pub const IK_KIND_BYTECODE: u32 = 1;
/// A native extension file (a shared library) the host loads.
pub const IK_KIND_EXTENSION: u32 = 2;
/// A module made by a registered native factory.
pub const IK_KIND_NATIVE: u32 = 3;
/// A namespace package: nothing to execute.
pub const IK_KIND_NAMESPACE: u32 = 4;

/// # Safety
/// `spec` is NULL or a live spec.
unsafe fn with<T>(spec: *const ModuleSpec, fallback: T, f: impl FnOnce(&ModuleSpec) -> T) -> T {
    // SAFETY: guaranteed by the caller.
    match unsafe { spec.as_ref() } {
        Some(s) => guarded(fallback, || f(s)),
        None => fallback,
    }
}

/// The full dotted name. Strings returned by `ik_spec_*` are owned by the spec; `len_out` (may be NULL)
/// receives the length. NULL for a NULL spec.
#[no_mangle]
pub unsafe extern "C" fn ik_spec_name(spec: *const ModuleSpec, len_out: *mut usize) -> *const c_char {
    // SAFETY: forwarded from the caller; spec fields are NUL-terminated in the spec's buffer.
    unsafe { with(spec, ptr::null(), |s| out_str(s.name(), len_out)) }
}

/// Where the module comes from, with a scheme: `memory:/game/x.py`, `builtin:time`, a host's own.
#[no_mangle]
pub unsafe extern "C" fn ik_spec_origin(spec: *const ModuleSpec, len_out: *mut usize) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { with(spec, ptr::null(), |s| out_str(s.origin(), len_out)) }
}

/// The module's file (`__file__`), or NULL when there is none (memory modules unless the runtime has a
/// virtual root, natives, namespace packages).
#[no_mangle]
pub unsafe extern "C" fn ik_spec_file(spec: *const ModuleSpec, len_out: *mut usize) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { with(spec, ptr::null(), |s| s.file().map_or(ptr::null(), |t| out_str(t, len_out))) }
}

/// The pointer the host's finder attached to this module with `ik_found_set_host_data`, or NULL. It stays
/// valid as long as this spec is (the table's, or one the caller holds).
#[no_mangle]
pub unsafe extern "C" fn ik_spec_host_data(spec: *const ModuleSpec) -> *mut std::ffi::c_void {
    // SAFETY: forwarded from the caller.
    unsafe { with(spec, ptr::null_mut(), |s| super::vtable::host_pointer(s.host_data())) }
}

/// Where compiled code for the file is cached (`__cached__`), or NULL.
#[no_mangle]
pub unsafe extern "C" fn ik_spec_cached(spec: *const ModuleSpec, len_out: *mut usize) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { with(spec, ptr::null(), |s| s.cached().map_or(ptr::null(), |t| out_str(t, len_out))) }
}

/// `__package__`: the name itself for a package, its parent's name for a module, `""` at the top level.
#[no_mangle]
pub unsafe extern "C" fn ik_spec_parent(spec: *const ModuleSpec, len_out: *mut usize) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { with(spec, ptr::null(), |s| out_str(s.parent(), len_out)) }
}

/// The kind: `IK_KIND_SOURCE`, `IK_KIND_BYTECODE`, `IK_KIND_EXTENSION`, `IK_KIND_NATIVE`,
/// `IK_KIND_NAMESPACE` (`UINT32_MAX` for NULL).
#[no_mangle]
pub unsafe extern "C" fn ik_spec_kind(spec: *const ModuleSpec) -> u32 {
    // SAFETY: forwarded from the caller.
    unsafe {
        with(spec, u32::MAX, |s| match s.kind() {
            ModuleKind::Source => IK_KIND_SOURCE,
            ModuleKind::Bytecode => IK_KIND_BYTECODE,
            ModuleKind::Extension => IK_KIND_EXTENSION,
            ModuleKind::Native => IK_KIND_NATIVE,
            ModuleKind::Namespace => IK_KIND_NAMESPACE,
        })
    }
}

/// Whether the module is a package (has submodule search locations, `__path__`).
#[no_mangle]
pub unsafe extern "C" fn ik_spec_is_package(spec: *const ModuleSpec) -> bool {
    // SAFETY: forwarded from the caller.
    unsafe { with(spec, false, |s| s.is_package()) }
}

/// How many submodule search locations a package has.
#[no_mangle]
pub unsafe extern "C" fn ik_spec_location_count(spec: *const ModuleSpec) -> usize {
    // SAFETY: forwarded from the caller.
    unsafe { with(spec, 0, |s| s.locations().len()) }
}

/// Search location `index` (`memory:/game/core`), or NULL when out of range.
#[no_mangle]
pub unsafe extern "C" fn ik_spec_location(spec: *const ModuleSpec, index: usize, len_out: *mut usize) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { with(spec, ptr::null(), |s| s.location(index).map_or(ptr::null(), |t| out_str(t, len_out))) }
}

/// How many `.ref` files led to the module.
#[no_mangle]
pub unsafe extern "C" fn ik_spec_ref_count(spec: *const ModuleSpec) -> usize {
    // SAFETY: forwarded from the caller.
    unsafe { with(spec, 0, |s| s.refs().len()) }
}

/// `.ref` file `index` of the chain, or NULL when out of range.
#[no_mangle]
pub unsafe extern "C" fn ik_spec_ref(spec: *const ModuleSpec, index: usize, len_out: *mut usize) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { with(spec, ptr::null(), |s| s.ref_file(index).map_or(ptr::null(), |t| out_str(t, len_out))) }
}

/// Frees a spec returned by `ik_runtime_find_spec` or `ik_runtime_module_spec`. Never free a spec passed to
/// a callback. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn ik_spec_free(spec: *const ModuleSpec) {
    guarded((), || {
        if !spec.is_null() {
            // SAFETY: an owned spec came from Arc::into_raw and is freed once, by its owner.
            drop(unsafe { std::sync::Arc::from_raw(spec) });
        }
    })
}

/// Converts a kind given as a number (`ik_kind`).
pub(crate) fn kind_of(kind: u32) -> Result<ModuleKind> {
    Ok(match kind {
        0 => ModuleKind::Source,
        1 => ModuleKind::Bytecode,
        2 => ModuleKind::Extension,
        3 => ModuleKind::Native,
        4 => ModuleKind::Namespace,
        _ => return Err(Error::invalid_argument(format!("{kind} is not an ik_kind"))),
    })
}
