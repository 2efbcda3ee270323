//! Resources and listing across the C ABI: a package's files (`importlib.resources`) and the modules a
//! package or the top level holds (`pkgutil.iter_modules`), for every source.

use std::borrow::Cow;
use std::ffi::c_char;

use super::args::{guarded, in_opt_str, in_str, out_ptr, write_out};
use super::boundary::boundary;
use super::error::ik_error;
use super::list::{ik_name_list, module_list, name_list};
use super::runtime::runtime;
use super::status::ik_status;
use crate::error::{quote, Error, Result};
use crate::finders::Resource;
use crate::limits::{MAX_NAME_LEN, MAX_PATH_LEN};
use crate::runtime::Runtime;

/// The bytes of one resource, owned by the caller: free it with `ik_resource_free`. The bytes are valid
/// until then, whatever happens to their source meanwhile (an unmount, a runtime freed).
pub struct ik_resource {
    /// What keeps the bytes: the source's holder (a mounted tree) or a copy.
    _keep: Resource,
    /// A copy, when the holder gave one (bytes inflated from an archive).
    _copy: Vec<u8>,
    /// The bytes: lent by `_keep`'s holder, which it holds for as long as this lives (a holder's bytes do
    /// not change while it is alive), by the vector inside `_keep`, or by `_copy` (a vector's buffer does not
    /// move when the vector does).
    data: *const u8,
    len: usize,
}

impl ik_resource {
    /// Bytes importkit made for the caller (a built bundle), handed over whole.
    pub(crate) fn owned(bytes: Vec<u8>) -> ik_resource {
        let (data, len) = (bytes.as_ptr(), bytes.len());
        ik_resource { _keep: Resource::Owned(Vec::new()), _copy: bytes, data, len }
    }

    fn new(resource: Resource, package: &str, name: &str) -> Result<ik_resource> {
        let (lent, copy) = match resource.bytes() {
            Ok(Cow::Borrowed(b)) => (Some((b.as_ptr(), b.len())), Vec::new()),
            Ok(Cow::Owned(v)) => (None, v),
            Err(e) if package.is_empty() => {
                return Err(Error::from_host_unnamed(&format!("reading {}", quote(name)), e))
            }
            Err(e) => return Err(Error::from_host(package, &format!("reading resource {}", quote(name)), e)),
        };
        let (data, len) = lent.unwrap_or((copy.as_ptr(), copy.len()));
        Ok(ik_resource { _keep: resource, _copy: copy, data, len })
    }
}

/// Hands a resource to the caller (`*out`, checked by `out_ptr`), who frees it with `ik_resource_free`.
///
/// # Safety
/// `out` is a writable pointer.
unsafe fn hand_out(out: *mut *mut ik_resource, made: ik_resource) {
    // SAFETY: guaranteed by the caller.
    unsafe { write_out(out, Box::into_raw(Box::new(made))) };
}

/// `importlib.resources.files(package).joinpath(resource).read_bytes()`: the file `resource` of package
/// `package` (a relative `/`-separated path such as `data/level1.txt`; no empty, `.` or `..` segment), from
/// the source that serves the package now, into `*out_resource` (free it with `ik_resource_free`). Bytes a
/// source keeps in memory (a mounted file) are lent in place, not copied. `IK_ERR_NOT_FOUND` when the
/// package or the file is not there, `IK_ERR_IMPORT` when `package` is a module, not a package,
/// `IK_ERR_INVALID_ARGUMENT` for a bad path. Nothing is imported.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_read_resource(
    rt: *const Runtime,
    package: *const c_char,
    resource: *const c_char,
    out_resource: *mut *mut ik_resource,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_resource, "out_resource")?;
        // SAFETY: the header's contract for these arguments.
        let rt = unsafe { runtime(rt) }?;
        // SAFETY: as above.
        let package = unsafe { in_str(package, "package", MAX_NAME_LEN) }?;
        // SAFETY: as above.
        let name = unsafe { in_str(resource, "resource", MAX_PATH_LEN) }?;
        // SAFETY: checked by out_ptr.
        unsafe { hand_out(out_resource, ik_resource::new(rt.resource(package, name)?, package, name)?) };
        Ok(())
    })
}

/// The file at `path` in the logical tree of mounts (`foo-1.0.dist-info/METADATA`, `game/data/level.txt`: a
/// relative `/`-separated path, no empty, `.` or `..` segment), from the first memory mount or bundle in
/// meta-path order that holds it, into `*out_resource` (free it with `ik_resource_free`): how a distribution's
/// files are read (`importlib.metadata`). `IK_ERR_NOT_FOUND` when no source holds it,
/// `IK_ERR_INVALID_ARGUMENT` for a bad path. The filesystem is not asked.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_read_file(
    rt: *const Runtime,
    path: *const c_char,
    out_resource: *mut *mut ik_resource,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_resource, "out_resource")?;
        // SAFETY: the header's contract for these arguments.
        let rt = unsafe { runtime(rt) }?;
        // SAFETY: as above.
        let path = unsafe { in_str(path, "path", MAX_PATH_LEN) }?;
        // SAFETY: checked by out_ptr.
        unsafe { hand_out(out_resource, ik_resource::new(rt.read_file(path)?, "", path)?) };
        Ok(())
    })
}

/// The distribution metadata directories of the memory mounts and bundles (`importlib.metadata`), by their
/// path in the logical tree of mounts, in meta-path order, each once, into `*out_list` (free it with
/// `ik_name_list_free`): `*.dist-info` and `*.egg-info` directories at the top of root mounts
/// (`foo-1.0.dist-info`), a bundle's metadata directories under its mount point (`app/foo-1.0.dist-info`).
/// Read their files with `ik_runtime_read_file`. The filesystem is not asked.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_distributions(
    rt: *const Runtime,
    out_list: *mut *mut ik_name_list,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_list, "out_list")?;
        // SAFETY: the header's contract for these arguments.
        let rt = unsafe { runtime(rt) }?;
        let list = name_list(rt.distributions()?);
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_list, list) };
        Ok(())
    })
}

/// The bytes of a resource (owned by it, valid until `ik_resource_free`) and their count through
/// `out_len` (may be NULL). NULL (and 0) for a NULL resource; an empty file gives a non-NULL pointer and 0.
#[no_mangle]
pub unsafe extern "C" fn ik_resource_data(resource: *const ik_resource, out_len: *mut usize) -> *const u8 {
    guarded(std::ptr::null(), || {
        // SAFETY: a non-NULL resource is one importkit handed out and the caller has not freed.
        let (data, len) = unsafe { resource.as_ref() }.map_or((std::ptr::null(), 0), |r| (r.data, r.len));
        if !out_len.is_null() {
            // SAFETY: `out_len` is NULL or writable (the header's contract).
            unsafe { *out_len = len };
        }
        data
    })
}

/// Frees a resource. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn ik_resource_free(resource: *mut ik_resource) {
    guarded((), || {
        if !resource.is_null() {
            // SAFETY: the resource came from Box::into_raw and is freed once.
            drop(unsafe { Box::from_raw(resource) });
        }
    })
}

/// Hands the caller a list about `package` (NULL taken as "the top level" only when `top_level` allows it).
///
/// # Safety
/// The header's contract for the arguments of the functions below.
unsafe fn package_list(
    rt: *const Runtime,
    package: *const c_char,
    top_level: bool,
    out_list: *mut *mut ik_name_list,
    out_error: *mut *mut ik_error,
    make: impl FnOnce(&Runtime, Option<&str>) -> Result<*mut ik_name_list>,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_list, "out_list")?;
        // SAFETY: forwarded from the caller.
        let rt = unsafe { runtime(rt) }?;
        let package = if top_level {
            // SAFETY: as above.
            unsafe { in_opt_str(package, "package", MAX_NAME_LEN) }?
        } else {
            // SAFETY: as above.
            Some(unsafe { in_str(package, "package", MAX_NAME_LEN) }?)
        };
        let list = make(rt, package)?;
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_list, list) };
        Ok(())
    })
}

/// `importlib.resources.files(package).iterdir()` by name: the files and directories directly in package
/// `package` (modules included), sorted, into `*out_list` (free it with `ik_name_list_free`); a namespace
/// package's from every source with a portion of it. Errors as `ik_runtime_read_resource`.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_resources(
    rt: *const Runtime,
    package: *const c_char,
    out_list: *mut *mut ik_name_list,
    out_error: *mut *mut ik_error,
) -> ik_status {
    // SAFETY: the header's contract for these arguments.
    unsafe {
        package_list(rt, package, false, out_list, out_error, |rt, package| {
            Ok(name_list(rt.resources(package.unwrap_or_default())?))
        })
    }
}

/// `pkgutil.iter_modules`: the modules and packages directly in package `package`, or the top-level ones
/// for NULL (every source in meta-path order, names the policy denies left out), each name once (the
/// first source's answer), into `*out_list` (free it with `ik_name_list_free`; `ik_name_list_is_package`
/// tells packages). Nothing is imported.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_iter_modules(
    rt: *const Runtime,
    package: *const c_char,
    out_list: *mut *mut ik_name_list,
    out_error: *mut *mut ik_error,
) -> ik_status {
    // SAFETY: the header's contract for these arguments.
    unsafe {
        package_list(rt, package, true, out_list, out_error, |rt, package| Ok(module_list(rt.iter_modules(package)?)))
    }
}
