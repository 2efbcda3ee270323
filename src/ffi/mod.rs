//! The `extern "C"` surface: argument checks, conversions and the panic boundary, nothing else.
//!
//! Conventions (see docs/ABI.md): every fallible function returns an `ik_status` and takes a last argument
//! `ik_error **out_error`, written only on failure (may be NULL); outputs go through out-parameters written
//! only on success; strings are UTF-8, NUL-terminated unless a `_n` variant takes pointer and length.

#![allow(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

pub mod args;
pub mod boundary;
pub mod bundle;
pub mod bundle_builder;
pub mod callbacks;
pub mod code_cache;
pub mod error;
pub mod get_code;
pub mod import;
pub mod list;
pub mod mount;
pub mod profile;
pub mod report;
pub mod resources;
pub mod runtime;
pub mod search_path;
pub mod spec;
pub mod status;
pub mod vtable;

use std::ffi::{c_char, CStr};

/// Major version of importkit.
pub const IK_VERSION_MAJOR: u32 = 0;
/// Minor version of importkit.
pub const IK_VERSION_MINOR: u32 = 1;
/// Patch version of importkit.
pub const IK_VERSION_PATCH: u32 = 0;

/// The version of importkit as a NUL-terminated string `"major.minor.patch"`, static.
#[no_mangle]
pub extern "C" fn ik_version() -> *const c_char {
    static VERSION: &CStr = c"0.1.0";
    VERSION.as_ptr()
}

/// The version as one number: `major * 10000 + minor * 100 + patch`.
#[no_mangle]
pub extern "C" fn ik_version_number() -> u32 {
    IK_VERSION_MAJOR * 10000 + IK_VERSION_MINOR * 100 + IK_VERSION_PATCH
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_macros_match_the_package() {
        assert_eq!(env!("CARGO_PKG_VERSION_MAJOR").parse::<u32>().unwrap(), IK_VERSION_MAJOR);
        assert_eq!(env!("CARGO_PKG_VERSION_MINOR").parse::<u32>().unwrap(), IK_VERSION_MINOR);
        assert_eq!(env!("CARGO_PKG_VERSION_PATCH").parse::<u32>().unwrap(), IK_VERSION_PATCH);
        // SAFETY: ik_version returns a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(ik_version()) };
        assert_eq!(v.to_str().unwrap(), crate::VERSION);
    }
}
