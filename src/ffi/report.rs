//! The context objects a callback fills in: `ik_report` (why it failed, and the host's payload), `ik_found`
//! (what a host finder found) and `ik_strings` (a list of names), with the functions that fill them.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::args::{in_bytes, in_counted, in_opt_str, in_str};
use super::boundary::boundary;
use super::error::ik_error;
use super::spec::module_kind;
use super::status::{code_of, ik_status};
use super::vtable::{ik_release_fn, HostPointer, Userdata};
use crate::error::{Error, HostError, Result};
use crate::finders::host::HostFound;
use crate::finders::ModuleInfo;
use crate::limits::{clip_message, MAX_CODE_SIZE, MAX_LISTED, MAX_NAME_LEN, MAX_PATH_LEN, MAX_SUFFIX_LEN};
use crate::profile::check_cache_tag;
use crate::spec::{HostData, ModuleKind};

/// Where a callback reports why it failed: pass it to `ik_report_error` before returning a status other
/// than `IK_OK`. Valid only during the callback.
pub struct ik_report {
    pub(crate) error: Option<HostError>,
    /// The payload attached with `ik_report_host_data`, put on the error when the callback fails.
    pub(crate) data: Option<HostData>,
}

/// Where a host finder describes the module it found (`ik_found_set` and friends). Valid only during the
/// callback; leaving it unset means "not found".
pub struct ik_found {
    pub(crate) found: Option<HostFound>,
}

/// A list of names a callback fills with `ik_strings_push` (the names of a module's `__all__`, the
/// resources of a package).
pub struct ik_strings {
    pub(crate) names: Vec<String>,
    /// How many names it takes.
    pub(crate) limit: usize,
}

impl ik_strings {
    pub(crate) fn new(limit: usize) -> ik_strings {
        ik_strings { names: Vec::new(), limit }
    }
}

/// Where a host finder puts the bytes of a resource it read (`ik_bytes_set`). Valid only during the
/// callback; leaving it unset means "no such file".
pub struct ik_bytes {
    pub(crate) bytes: Option<Vec<u8>>,
}

/// A list of modules a host finder fills with `ik_modules_push` (`pkgutil.iter_modules`). Valid only during
/// the callback.
pub struct ik_modules {
    pub(crate) modules: Vec<ModuleInfo>,
}

/// Runs the callback `what` (`ik_executor.exec`), which returns a status and may report; turns a failure
/// into a `HostError`. A status returned without a report is a host bug, not a verdict: it keeps no code of
/// its own (so a bare `IK_ERR_DENIED` never reads as a policy denial) and the message says which callback
/// returned what; the caller names the module.
pub(crate) fn call(what: &str, f: impl FnOnce(*mut ik_report) -> i32) -> Result<(), HostError> {
    let mut report = ik_report { error: None, data: None };
    let status = f(&mut report);
    if status == ik_status::IK_OK as i32 {
        return Ok(());
    }
    match report.error {
        Some(mut error) => {
            error.code = code_of(status).or(error.code);
            error.data = report.data;
            Err(error)
        }
        None => {
            let shown = match code_of(status) {
                Some(code) => format!("status {status} (IK_ERR_{})", code.name()),
                None => format!("{status}, which is not an ik_status"),
            };
            let mut error = HostError::new(format!("{what} returned {shown} without reporting why (ik_report_error)"));
            error.data = report.data;
            Err(error)
        }
    }
}

/// Records why a callback failed: a status (an `ik_status` value; `IK_ERR_EXEC` for an error in the
/// module's code), the host's message (NULL allowed; cut at 64 KiB; bytes that are not UTF-8 are shown as
/// U+FFFD rather than refused, since the message only reports) and the line and column in the module's
/// source (0 when unknown). The callback then returns a status other than `IK_OK`.
#[no_mangle]
pub unsafe extern "C" fn ik_report_error(
    report: *mut ik_report,
    status: i32,
    message: *const c_char,
    line: u32,
    column: u32,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: a report is only valid during the callback it was passed to; the host promises that.
        let report = unsafe { report.as_mut() }.ok_or_else(|| Error::invalid_argument("report is NULL"))?;
        let text = if message.is_null() {
            String::new()
        } else {
            // SAFETY: a non-NULL message is a NUL-terminated string.
            let bytes = unsafe { std::ffi::CStr::from_ptr(message) }.to_bytes();
            String::from_utf8_lossy(bytes).into_owned()
        };
        report.error =
            Some(HostError { code: code_of(status), message: clip_message(text), line, column, ..Default::default() });
        Ok(())
    })
}

/// Passes on an error a nested importkit call gave the callback (a module that imports a missing one):
/// the failing import then fails with that very error (status, message, module, attempts), as CPython lets
/// the inner exception through. The callback returns `ik_error_status(error)`; `error` stays the caller's.
#[no_mangle]
pub unsafe extern "C" fn ik_report_pass(
    report: *mut ik_report,
    error: *const ik_error,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: a report is only valid during the callback it was passed to; the host promises that.
        let report = unsafe { report.as_mut() }.ok_or_else(|| Error::invalid_argument("report is NULL"))?;
        // SAFETY: a non-NULL error is one importkit handed out that the caller has not freed.
        let error = unsafe { error.as_ref() }.ok_or_else(|| Error::invalid_argument("error is NULL"))?;
        report.error = Some(HostError::passing(error.inner().clone()));
        Ok(())
    })
}

/// Describes the module a host finder found: its origin (a string with a scheme of the host's, e.g.
/// `host:assets/x.py`; empty gives `host:FINDER/NAME`), kind (an `ik_kind` value; not `IK_KIND_NATIVE`) and
/// whether it is a package.
#[no_mangle]
pub unsafe extern "C" fn ik_found_set(
    found: *mut ik_found,
    origin: *const c_char,
    kind: u32,
    is_package: bool,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: valid during the find callback, as the host promises.
        let found = unsafe { found.as_mut() }.ok_or_else(|| Error::invalid_argument("found is NULL"))?;
        // SAFETY: `origin` is a NUL-terminated string.
        let origin = unsafe { in_str(origin, "origin", MAX_PATH_LEN) }?;
        let kind = module_kind(kind)?;
        if kind == ModuleKind::Native {
            return Err(Error::invalid_argument(
                "a finder cannot give IK_KIND_NATIVE: register natives with ik_runtime_register_native",
            ));
        }
        found.found = Some(HostFound::new(origin, kind, is_package));
        Ok(())
    })
}

/// # Safety
/// `found` is NULL or the `ik_found` of a running find callback.
unsafe fn found_mut<'a>(found: *mut ik_found) -> Result<&'a mut HostFound> {
    // SAFETY: valid during the find callback, as the host promises.
    unsafe { found.as_mut() }
        .ok_or_else(|| Error::invalid_argument("found is NULL"))?
        .found
        .as_mut()
        .ok_or_else(|| Error::invalid_argument("call ik_found_set first"))
}

/// Adds a submodule search location to a found package (after `ik_found_set`).
#[no_mangle]
pub unsafe extern "C" fn ik_found_add_location(
    found: *mut ik_found,
    location: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: `location` is a NUL-terminated string.
        let location = unsafe { in_str(location, "location", MAX_PATH_LEN) }?;
        // SAFETY: `found` is the one of the running find callback, as the host promises.
        unsafe { found_mut(found) }?.locations.push(location.to_owned());
        Ok(())
    })
}

/// Sets the file of a found module (after `ik_found_set`); NULL clears it.
#[no_mangle]
pub unsafe extern "C" fn ik_found_set_file(
    found: *mut ik_found,
    file: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: `file` is NULL or a NUL-terminated string.
        let file = unsafe { in_opt_str(file, "file", MAX_PATH_LEN) }?;
        // SAFETY: `found` is the one of the running find callback, as the host promises.
        unsafe { found_mut(found) }?.file = file.map(str::to_owned);
        Ok(())
    })
}

/// Gives the bytes of a found module (copied), to be handed to the executor's `exec`.
#[no_mangle]
pub unsafe extern "C" fn ik_found_set_source(
    found: *mut ik_found,
    data: *const u8,
    len: usize,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: `data` points at `len` readable bytes.
        let bytes = unsafe { in_bytes(data, len, "data") }?;
        // SAFETY: `found` is the one of the running find callback, as the host promises.
        unsafe { found_mut(found) }?.source = Some(bytes);
        Ok(())
    })
}

/// Gives compiled code of a found module (after `ik_found_set_source`, which it goes with; `len` bytes at
/// `data`, copied; NULL only with 0; at most `IK_MAX_CODE_SIZE` bytes) for the cache tag `cache_tag` (1 to
/// `IK_MAX_SUFFIX_LEN` bytes, no `/`, `\\`): a runtime whose profile has that cache tag hands it to an
/// executor with `exec_code` instead of compiling the source, as it does a bundle's code entry; any other
/// runtime or executor gets the source. Setting it again replaces it. Code given without the source fails
/// the find (`IK_ERR_HOST`).
#[no_mangle]
pub unsafe extern "C" fn ik_found_set_code(
    found: *mut ik_found,
    cache_tag: *const c_char,
    data: *const u8,
    len: usize,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: `cache_tag` is a NUL-terminated string.
        let tag = unsafe { in_str(cache_tag, "cache_tag", MAX_SUFFIX_LEN) }?;
        check_cache_tag(tag)?;
        if len as u64 > MAX_CODE_SIZE {
            return Err(Error::invalid_argument(format!("code of {len} bytes is over the limit of {MAX_CODE_SIZE}")));
        }
        // SAFETY: `data` points at `len` readable bytes (the header's contract).
        let code = unsafe { in_bytes(data, len, "data") }?;
        // SAFETY: `found` is the one of the running find callback, as the host promises.
        unsafe { found_mut(found) }?.code = Some((tag.to_owned(), code));
        Ok(())
    })
}

/// Adds a name to a list being filled by a callback (`name_len` bytes of UTF-8, no NUL).
#[no_mangle]
pub unsafe extern "C" fn ik_strings_push(
    strings: *mut ik_strings,
    name: *const c_char,
    name_len: usize,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: valid during the callback, as the host promises.
        let strings = unsafe { strings.as_mut() }.ok_or_else(|| Error::invalid_argument("strings is NULL"))?;
        // SAFETY: `name` points at `name_len` readable bytes.
        let name = unsafe { in_counted(name, name_len, "name", MAX_NAME_LEN) }?;
        if strings.names.len() >= strings.limit {
            return Err(Error::invalid_argument(format!("this list holds at most {} names", strings.limit)));
        }
        strings.names.push(name.to_owned());
        Ok(())
    })
}

/// Gives the bytes a callback was asked for: the resource of a host finder's `read_resource`, the code of
/// the executor's `compile` (`len` bytes at `data`, copied; NULL only with 0). Setting them again replaces
/// them.
#[no_mangle]
pub unsafe extern "C" fn ik_bytes_set(
    out: *mut ik_bytes,
    data: *const u8,
    len: usize,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: valid during the callback, as the host promises.
        let out = unsafe { out.as_mut() }.ok_or_else(|| Error::invalid_argument("out is NULL"))?;
        // SAFETY: `data` points at `len` readable bytes (the header's contract).
        out.bytes = Some(unsafe { in_bytes(data, len, "data") }?);
        Ok(())
    })
}

/// Adds a module to the list a host finder's `iter_modules` fills: its name (`name_len` bytes of UTF-8, no
/// NUL, no dot: a name directly in the package) and whether it is a package.
#[no_mangle]
pub unsafe extern "C" fn ik_modules_push(
    out: *mut ik_modules,
    name: *const c_char,
    name_len: usize,
    is_package: bool,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: valid during the callback, as the host promises.
        let out = unsafe { out.as_mut() }.ok_or_else(|| Error::invalid_argument("out is NULL"))?;
        // SAFETY: `name` points at `name_len` readable bytes.
        let name = unsafe { in_counted(name, name_len, "name", MAX_NAME_LEN) }?;
        if name.is_empty() || name.contains('.') {
            return Err(Error::invalid_argument(format!(
                "module {} is not a name directly in a package (empty, or with a '.')",
                crate::error::quote(name)
            )));
        }
        if out.modules.len() >= MAX_LISTED {
            return Err(Error::invalid_argument(format!("a listing holds at most {MAX_LISTED} modules")));
        }
        out.modules.push(ModuleInfo { name: name.to_owned(), is_package });
        Ok(())
    })
}

/// Wraps a host pointer as data a spec or error carries; NULL gives none (and nothing to release).
fn host_data(data: *mut c_void, release: ik_release_fn) -> Option<HostData> {
    (!data.is_null()).then(|| HostData(Arc::new(HostPointer(Userdata::new(data, release)))))
}

/// Attaches a pointer of the host's to the module a finder found (after `ik_found_set`): it comes back on
/// the spec (`ik_spec_host_data`), so `exec` can read the module's bytes from wherever the finder said they
/// are, when it runs (finding reads nothing). `release` (may be NULL) is called once with `data` when the
/// last spec holding it goes, or at once if this call fails or the module is not found after all. Setting it
/// again releases the previous pointer.
#[no_mangle]
pub unsafe extern "C" fn ik_found_set_host_data(
    found: *mut ik_found,
    data: *mut c_void,
    release: ik_release_fn,
    out_error: *mut *mut ik_error,
) -> ik_status {
    // Owned from here on: released on every failure below, by its drop.
    let wrapped = host_data(data, release);
    boundary(out_error, || {
        // SAFETY: `found` is the one of the running find callback, as the host promises.
        unsafe { found_mut(found) }?.host_data = wrapped;
        Ok(())
    })
}

/// Attaches a pointer of the host's to the failure a callback reports (its exception object, say): it comes
/// back on the error object the failing call returns (`ik_error_host_data`), as long as that error lives.
/// Call it before returning a status other than `IK_OK`, with or without `ik_report_error`. `release` (may be
/// NULL) is called once with `data` when the last error holding it is freed, or at once if the callback
/// then succeeds or this call fails.
#[no_mangle]
pub unsafe extern "C" fn ik_report_host_data(
    report: *mut ik_report,
    data: *mut c_void,
    release: ik_release_fn,
    out_error: *mut *mut ik_error,
) -> ik_status {
    let wrapped = host_data(data, release);
    boundary(out_error, || {
        // SAFETY: a report is only valid during the callback it was passed to; the host promises that.
        let report = unsafe { report.as_mut() }.ok_or_else(|| Error::invalid_argument("report is NULL"))?;
        report.data = wrapped;
        Ok(())
    })
}
