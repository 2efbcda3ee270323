//! `ik_profile`: file conventions, built by the host and copied into a runtime by `ik_runtime_new`.

use std::ffi::c_char;

use super::args::{in_str, out_ptr, write_out};
use super::boundary::boundary;
use super::error::ik_error;
use super::spec::module_kind;
use super::status::ik_status;
use crate::error::{Error, Result};
use crate::limits::MAX_SUFFIX_LEN;
use crate::profile::{IdentifierRule, Profile};

/// Start from CPython 3.11's conventions (`ik_profile_new`): its extension suffixes on this platform, `.py`,
/// `.pyc`, `__init__` packages, namespace directories, cache tag `cpython-311`. For another interpreter, set
/// its cache tag (`ik_profile_set_cache_tag`) and extension suffixes (`ik_profile_clear_suffixes` with
/// `IK_KIND_EXTENSION`, then `ik_profile_add_suffix` for each of `importlib.machinery.EXTENSION_SUFFIXES`).
pub const IK_PROFILE_PYTHON: u32 = 0;
/// Start from Lua's conventions.
pub const IK_PROFILE_LUA: u32 = 1;
/// Start from nothing: no suffixes, `__init__` packages, namespace directories, Python identifiers.
pub const IK_PROFILE_EMPTY: u32 = 2;

/// Segments are Python identifiers (`ik_profile_set_identifiers`).
pub const IK_IDENT_PYTHON: u32 = 0;
/// Segments are ASCII letters, digits, `_` and `-`.
pub const IK_IDENT_LUA: u32 = 1;
/// Segments are whatever CPython's import accepts: any text but an empty segment, `/`, `\` or NUL
/// (`_sysconfigdata__linux_x86_64-linux-gnu`, `my-module`).
pub const IK_IDENT_ANY: u32 = 2;

unsafe fn profile_mut<'a>(p: *mut Profile) -> Result<&'a mut Profile> {
    // SAFETY: a non-NULL profile is one importkit handed out and the caller has not freed.
    unsafe { p.as_mut() }.ok_or_else(|| Error::invalid_argument("profile is NULL"))
}

/// Makes a profile from a base (`IK_PROFILE_PYTHON`, `IK_PROFILE_LUA`, `IK_PROFILE_EMPTY`) and a name of at
/// most 64 bytes (NULL keeps the base's name). Free it with `ik_profile_free`.
#[no_mangle]
pub unsafe extern "C" fn ik_profile_new(
    base: u32,
    name: *const c_char,
    out_profile: *mut *mut Profile,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_profile, "out_profile")?;
        // SAFETY: `name` is NULL or a NUL-terminated string.
        let name = unsafe { super::args::in_opt_str(name, "name", MAX_SUFFIX_LEN) }?;
        let mut profile = match base {
            IK_PROFILE_PYTHON => Profile::python(),
            IK_PROFILE_LUA => Profile::lua(),
            IK_PROFILE_EMPTY => Profile::custom(name.unwrap_or("custom"))?,
            other => return Err(Error::invalid_argument(format!("{other} is not an IK_PROFILE_* base"))),
        };
        if let Some(n) = name {
            profile = profile.renamed(n)?;
        }
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_profile, Box::into_raw(Box::new(profile))) };
        Ok(())
    })
}

/// Frees a profile. `ik_profile_free(NULL)` does nothing. Runtimes made from it keep their own copy.
#[no_mangle]
pub unsafe extern "C" fn ik_profile_free(profile: *mut Profile) {
    super::args::guarded((), || {
        if !profile.is_null() {
            // SAFETY: the profile came from Box::into_raw in ik_profile_new and is freed once.
            drop(unsafe { Box::from_raw(profile) });
        }
    })
}

/// Adds a file suffix of a kind (`IK_KIND_SOURCE`, `IK_KIND_BYTECODE`, `IK_KIND_EXTENSION`), e.g. `".tl"`.
/// Within a directory extension files are tried first, then sources, then bytecode.
#[no_mangle]
pub unsafe extern "C" fn ik_profile_add_suffix(
    profile: *mut Profile,
    kind: u32,
    suffix: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        let profile = unsafe { profile_mut(profile) }?;
        // SAFETY: `suffix` is a NUL-terminated string.
        let suffix = unsafe { in_str(suffix, "suffix", MAX_SUFFIX_LEN) }?;
        profile.add_suffix(module_kind(kind)?, suffix)
    })
}

/// Removes every suffix of a kind.
#[no_mangle]
pub unsafe extern "C" fn ik_profile_clear_suffixes(
    profile: *mut Profile,
    kind: u32,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        let profile = unsafe { profile_mut(profile) }?;
        profile.clear_suffixes(module_kind(kind)?);
        Ok(())
    })
}

/// Sets the stem of a package's init file (`"__init__"`, `"init"`).
#[no_mangle]
pub unsafe extern "C" fn ik_profile_set_init_stem(
    profile: *mut Profile,
    stem: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        let profile = unsafe { profile_mut(profile) }?;
        // SAFETY: `stem` is a NUL-terminated string.
        let stem = unsafe { in_str(stem, "stem", MAX_SUFFIX_LEN) }?;
        profile.set_init_stem(stem)
    })
}

/// Whether a directory without an init file is a namespace package (PEP 420).
#[no_mangle]
pub unsafe extern "C" fn ik_profile_set_namespace_dirs(
    profile: *mut Profile,
    enabled: bool,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        unsafe { profile_mut(profile) }?.set_namespace_dirs(enabled);
        Ok(())
    })
}

/// What a name segment may contain: `IK_IDENT_PYTHON`, `IK_IDENT_LUA` or `IK_IDENT_ANY`.
#[no_mangle]
pub unsafe extern "C" fn ik_profile_set_identifiers(
    profile: *mut Profile,
    rule: u32,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        let profile = unsafe { profile_mut(profile) }?;
        profile.set_identifiers(match rule {
            IK_IDENT_PYTHON => IdentifierRule::Python,
            IK_IDENT_LUA => IdentifierRule::Lua,
            IK_IDENT_ANY => IdentifierRule::Any,
            other => return Err(Error::invalid_argument(format!("{other} is not an IK_IDENT_* rule"))),
        });
        Ok(())
    })
}

/// Sets the tag of compiled code, as the interpreter's `sys.implementation.cache_tag` (`"cpython-313"`: a
/// source `x.py` is cached as `__pycache__/x.cpython-313.pyc`), used for `ik_spec_cached` (in a profile
/// with a bytecode suffix; Lua's has none, so its modules have no cached file) and by the code cache (which
/// code of a bundle, a host finder or the cache directory is this runtime's). NULL, as a cache tag of None in
/// CPython: modules have no cached file. An empty tag, one over 64 bytes or one holding `/`, `\` or NUL is
/// `IK_ERR_INVALID_ARGUMENT`. The Python profile starts with `"cpython-311"`, the Lua profile with none.
#[no_mangle]
pub unsafe extern "C" fn ik_profile_set_cache_tag(
    profile: *mut Profile,
    tag: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        let profile = unsafe { profile_mut(profile) }?;
        // SAFETY: `tag` is NULL or a NUL-terminated string.
        let tag = unsafe { super::args::in_opt_str(tag, "tag", MAX_SUFFIX_LEN) }?;
        profile.set_cache_tag(tag)
    })
}
