//! `ik_spec` accessors. A spec passed to a callback is borrowed for the call; one returned by
//! `ik_runtime_find_spec` or `ik_runtime_module_spec` is owned and freed with `ik_spec_free`.

use std::ffi::{c_char, CStr};
use std::ptr;

use super::args::{guarded, out_str};
use super::boundary::boundary;
use super::error::ik_error;
use super::status::{c_str, ik_status};
use crate::error::{Error, Result};
use crate::spec::{ModuleKind, ModuleSpec};

/// What a module is made of. Functions take and return a kind as `uint32_t`, checked on entry (an unknown
/// value is `IK_ERR_INVALID_ARGUMENT`), so that a wrong value is never undefined behaviour; these are its
/// values, which never change. `ik_kind_name` gives their names.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ik_kind {
    /// Source text the host compiles and executes.
    IK_KIND_SOURCE = 0,
    /// Compiled code the host executes.
    IK_KIND_BYTECODE = 1,
    /// A native extension file (a shared library) the host loads.
    IK_KIND_EXTENSION = 2,
    /// A module made by a registered native factory.
    IK_KIND_NATIVE = 3,
    /// A namespace package: nothing to execute.
    IK_KIND_NAMESPACE = 4,
}

/// The one table of kinds: each [`ModuleKind`] with its `ik_kind`, whose C name is its name. The enum above is
/// written out because cbindgen reads no macro output; the matches made here are exhaustive both ways, so a
/// kind missing on either side does not compile.
macro_rules! kinds {
    ($($kind:ident <=> $c_name:ident,)*) => {
        impl From<ModuleKind> for ik_kind {
            fn from(kind: ModuleKind) -> Self {
                match kind {
                    $(ModuleKind::$kind => ik_kind::$c_name,)*
                }
            }
        }

        impl From<ik_kind> for ModuleKind {
            fn from(kind: ik_kind) -> Self {
                match kind {
                    $(ik_kind::$c_name => ModuleKind::$kind,)*
                }
            }
        }

        impl ik_kind {
            /// The kind a host's `uint32_t` stands for, `None` for a value that is no kind.
            pub(crate) fn of(value: u32) -> Option<ik_kind> {
                match value {
                    $(v if v == ik_kind::$c_name as u32 => Some(ik_kind::$c_name),)*
                    _ => None,
                }
            }

            /// The C name (`IK_KIND_SOURCE`).
            fn name(self) -> &'static CStr {
                match self {
                    $(ik_kind::$c_name => const { c_str(concat!(stringify!($c_name), "\0")) },)*
                }
            }
        }
    };
}

kinds! {
    Source <=> IK_KIND_SOURCE,
    Bytecode <=> IK_KIND_BYTECODE,
    Extension <=> IK_KIND_EXTENSION,
    Native <=> IK_KIND_NATIVE,
    Namespace <=> IK_KIND_NAMESPACE,
}

/// The kind a host gave as a number (an `ik_kind` value).
pub(crate) fn module_kind(value: u32) -> Result<ModuleKind> {
    ik_kind::of(value)
        .map(ModuleKind::from)
        .ok_or_else(|| Error::invalid_argument(format!("{value} is not an ik_kind")))
}

/// The name of a kind value (`"IK_KIND_SOURCE"`), static; `"IK_UNKNOWN_KIND"` for other values.
#[no_mangle]
pub extern "C" fn ik_kind_name(kind: u32) -> *const c_char {
    ik_kind::of(kind).map_or(c"IK_UNKNOWN_KIND", ik_kind::name).as_ptr()
}

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

/// The kind, an `ik_kind` value: `IK_KIND_SOURCE`, `IK_KIND_BYTECODE`, `IK_KIND_EXTENSION`, `IK_KIND_NATIVE`,
/// `IK_KIND_NAMESPACE` (`UINT32_MAX` for NULL).
#[no_mangle]
pub unsafe extern "C" fn ik_spec_kind(spec: *const ModuleSpec) -> u32 {
    // SAFETY: forwarded from the caller.
    unsafe { with(spec, u32::MAX, |s| ik_kind::from(s.kind()) as u32) }
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

/// How many `.ref` files led to search location `location` of a namespace package (a portion found through
/// `.ref` files); 0 for a location no ref file led to, for a location out of range and for every other kind of
/// module (whose chain is `ik_spec_ref`).
#[no_mangle]
pub unsafe extern "C" fn ik_spec_location_ref_count(spec: *const ModuleSpec, location: usize) -> usize {
    // SAFETY: forwarded from the caller.
    unsafe { with(spec, 0, |s| s.location_refs(location).count()) }
}

/// `.ref` file `index` of the chain that led to search location `location` of a namespace package, or NULL
/// when either is out of range.
#[no_mangle]
pub unsafe extern "C" fn ik_spec_location_ref(
    spec: *const ModuleSpec,
    location: usize,
    index: usize,
    len_out: *mut usize,
) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe {
        with(spec, ptr::null(), |s| s.location_refs(location).nth(index).map_or(ptr::null(), |t| out_str(t, len_out)))
    }
}

/// Every field of a spec at once, as `ik_spec_get_fields` fills it: what the accessors above give one call
/// each, for a binding that reads a spec whole (one call where there were ten). The strings are borrowed from
/// the spec (valid while it is), NUL-terminated, with their lengths; a field the spec lacks is NULL with
/// length 0. Locations and `.ref` files are read with `ik_spec_location` and `ik_spec_ref`.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct ik_spec_fields {
    /// Set by the caller before the call: `sizeof(ik_spec_fields)` as its header has it. A later version may
    /// add fields at the end; this one accepts its own size only.
    pub size: u32,
    /// `ik_spec_kind`.
    pub kind: u32,
    /// `ik_spec_is_package`.
    pub is_package: bool,
    /// `ik_spec_name`.
    pub name: *const c_char,
    pub name_len: usize,
    /// `ik_spec_origin`.
    pub origin: *const c_char,
    pub origin_len: usize,
    /// `ik_spec_file`: NULL when there is none.
    pub file: *const c_char,
    pub file_len: usize,
    /// `ik_spec_cached`: NULL when there is none.
    pub cached: *const c_char,
    pub cached_len: usize,
    /// `ik_spec_parent`.
    pub parent: *const c_char,
    pub parent_len: usize,
    /// `ik_spec_location_count`.
    pub location_count: usize,
    /// `ik_spec_ref_count`.
    pub ref_count: usize,
    /// `ik_spec_host_data`.
    pub host_data: *mut std::ffi::c_void,
}

/// Fills `*out` with every field of `spec` (see `ik_spec_fields`; set `out->size` first). NULL `spec` or
/// `out`, or a size this version does not know, is `IK_ERR_INVALID_ARGUMENT` and `*out` is left as it was
/// (its size read, nothing written).
#[no_mangle]
pub unsafe extern "C" fn ik_spec_get_fields(
    spec: *const ModuleSpec,
    out: *mut ik_spec_fields,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: `spec` is NULL or a live spec (the caller's contract).
        let s = unsafe { spec.as_ref() }.ok_or_else(|| Error::invalid_argument("spec is NULL"))?;
        if out.is_null() {
            return Err(Error::invalid_argument("out is NULL"));
        }
        // SAFETY: `out` points at a struct that starts with its u32 size (the caller's contract); only that
        // field is read before the size is known to be this version's.
        let size = unsafe { ptr::read_unaligned(out.cast::<u32>()) };
        if size as usize != std::mem::size_of::<ik_spec_fields>() {
            return Err(Error::invalid_argument(format!(
                "out->size is {size}, not sizeof(ik_spec_fields) ({}): set it before the call",
                std::mem::size_of::<ik_spec_fields>()
            )));
        }
        let text = |t: Option<&str>| t.map_or((ptr::null(), 0), |t| (t.as_ptr().cast::<c_char>(), t.len()));
        let (name, name_len) = text(Some(s.name()));
        let (origin, origin_len) = text(Some(s.origin()));
        let (file, file_len) = text(s.file());
        let (cached, cached_len) = text(s.cached());
        let (parent, parent_len) = text(Some(s.parent()));
        let fields = ik_spec_fields {
            size,
            kind: ik_kind::from(s.kind()) as u32,
            is_package: s.is_package(),
            name,
            name_len,
            origin,
            origin_len,
            file,
            file_len,
            cached,
            cached_len,
            parent,
            parent_len,
            location_count: s.locations().len(),
            ref_count: s.refs().len(),
            host_data: super::vtable::host_pointer(s.host_data()),
        };
        // SAFETY: `out` points at a writable ik_spec_fields of this version's size (checked above).
        unsafe { out.write_unaligned(fields) };
        Ok(())
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn name_of(kind: u32) -> &'static str {
        // SAFETY: ik_kind_name returns a static C string.
        unsafe { CStr::from_ptr(ik_kind_name(kind)) }.to_str().unwrap()
    }

    #[test]
    fn kinds_map_one_to_one_and_the_header_agrees() {
        let declared = super::super::status::header_enum("ik_kind");
        assert_eq!(declared.len(), 5);
        for (name, value) in declared {
            let value = u32::try_from(value).unwrap();
            assert_eq!(name_of(value), name);
            let kind = module_kind(value).unwrap();
            assert_eq!(ik_kind::from(kind) as u32, value);
            // ModuleKind's own names (src/spec.rs) are the C names in lower case.
            assert_eq!(format!("IK_KIND_{}", kind.name().to_uppercase()), name);
        }
        assert!(module_kind(5).is_err());
        assert!(module_kind(u32::MAX).is_err());
        assert_eq!(name_of(5), "IK_UNKNOWN_KIND");
        assert_eq!(name_of(u32::MAX), "IK_UNKNOWN_KIND");
    }
}
