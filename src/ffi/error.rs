//! `ik_error`: the detailed error object a failed call hands back through its `out_error` argument.
//! It belongs to the caller (free it with `ik_error_free`); nothing about it is global or per thread.

use std::ffi::c_char;
use std::ptr;

use super::args::{guarded, out_text};
use super::status::ik_status;
use crate::error::Error;
use crate::text::Text;

/// A detailed error: status, message, module, attempted places, and what the host said.
pub struct ik_error {
    inner: Error,
    status: ik_status,
    message: Text,
    module: Option<Text>,
    attempts: Vec<(Text, Text)>,
    host_message: Option<Text>,
    line: u32,
    column: u32,
}

impl From<Error> for ik_error {
    fn from(e: Error) -> Self {
        ik_error {
            inner: e.clone(),
            status: e.code().into(),
            message: e.message().into(),
            module: e.module().map(Text::from),
            attempts: e.attempts().iter().map(|a| (a.place.as_str().into(), a.reason.as_str().into())).collect(),
            // The host's own text, as it gave it (newlines kept); only a NUL, which would cut it short for C,
            // is written as an escape.
            host_message: e.host().map(|h| h.message.replace('\0', "\\0").as_str().into()),
            line: e.host().map_or(0, |h| h.line),
            column: e.host().map_or(0, |h| h.column),
        }
    }
}

impl ik_error {
    pub(crate) fn inner(&self) -> &Error {
        &self.inner
    }
}

/// Hands `e` to the caller through `out_error`, if it asked for details.
pub(crate) fn store(out_error: *mut *mut ik_error, e: Error) {
    if !out_error.is_null() {
        // SAFETY: a non-NULL out_error points at a writable `ik_error *`.
        unsafe { out_error.write(Box::into_raw(Box::new(ik_error::from(e)))) };
    }
}

/// Runs an accessor on a live error; NULL gives `fallback`.
///
/// # Safety
/// `error` is NULL or an error importkit handed out that the caller has not freed.
unsafe fn with<T>(error: *const ik_error, fallback: T, f: impl FnOnce(&ik_error) -> T) -> T {
    // SAFETY: guaranteed by the caller.
    match unsafe { error.as_ref() } {
        Some(e) => guarded(fallback, || f(e)),
        None => fallback,
    }
}

/// Frees an error. `ik_error_free(NULL)` does nothing.
#[no_mangle]
pub unsafe extern "C" fn ik_error_free(error: *mut ik_error) {
    guarded((), || {
        if !error.is_null() {
            // SAFETY: the error came from Box::into_raw in `store` and is freed once, by its owner.
            drop(unsafe { Box::from_raw(error) });
        }
    })
}

/// The status of the error (`IK_ERR_INVALID_ARGUMENT` for NULL).
#[no_mangle]
pub unsafe extern "C" fn ik_error_status(error: *const ik_error) -> ik_status {
    // SAFETY: forwarded from the caller.
    unsafe { with(error, ik_status::IK_ERR_INVALID_ARGUMENT, |e| e.status) }
}

/// The message for a person: it names the module and every place tried, e.g.
/// `No module named 'game.x' (native: not registered; memory:/game: no game/x.py, no game/x/__init__.py)`.
/// Owned by the error; `len_out` (may be NULL) receives its length. NULL for a NULL error.
#[no_mangle]
pub unsafe extern "C" fn ik_error_message(error: *const ik_error, len_out: *mut usize) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { with(error, ptr::null(), |e| out_text(&e.message, len_out)) }
}

/// The full name of the module the error is about, or NULL when there is none.
#[no_mangle]
pub unsafe extern "C" fn ik_error_module(error: *const ik_error, len_out: *mut usize) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { with(error, ptr::null(), |e| e.module.as_ref().map_or(ptr::null(), |m| out_text(m, len_out))) }
}

/// How many places the finders tried (0 when the error is not a failed search).
#[no_mangle]
pub unsafe extern "C" fn ik_error_attempt_count(error: *const ik_error) -> usize {
    // SAFETY: forwarded from the caller.
    unsafe { with(error, 0, |e| e.attempts.len()) }
}

/// The place of attempt `index` (`memory:/game`, `native`, `host:NAME`), or NULL when out of range.
#[no_mangle]
pub unsafe extern "C" fn ik_error_attempt_place(
    error: *const ik_error,
    index: usize,
    len_out: *mut usize,
) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { with(error, ptr::null(), |e| e.attempts.get(index).map_or(ptr::null(), |a| out_text(&a.0, len_out))) }
}

/// Why attempt `index` did not find the module, or NULL when out of range.
#[no_mangle]
pub unsafe extern "C" fn ik_error_attempt_reason(
    error: *const ik_error,
    index: usize,
    len_out: *mut usize,
) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { with(error, ptr::null(), |e| e.attempts.get(index).map_or(ptr::null(), |a| out_text(&a.1, len_out))) }
}

/// The host's own message when a host callback failed (as the host gave it), else NULL.
#[no_mangle]
pub unsafe extern "C" fn ik_error_host_message(error: *const ik_error, len_out: *mut usize) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { with(error, ptr::null(), |e| e.host_message.as_ref().map_or(ptr::null(), |m| out_text(m, len_out))) }
}

/// The pointer the host attached to its failure with `ik_report_host_data` (its exception object, say), or
/// NULL. It stays valid as long as this error (and any error passing it on) is not freed.
#[no_mangle]
pub unsafe extern "C" fn ik_error_host_data(error: *const ik_error) -> *mut std::ffi::c_void {
    // SAFETY: forwarded from the caller.
    unsafe { with(error, ptr::null_mut(), |e| super::vtable::host_pointer(e.inner.host_data())) }
}

/// The line the host reported for its failure, 0 when unknown.
#[no_mangle]
pub unsafe extern "C" fn ik_error_line(error: *const ik_error) -> u32 {
    // SAFETY: forwarded from the caller.
    unsafe { with(error, 0, |e| e.line) }
}

/// The column the host reported for its failure, 0 when unknown.
#[no_mangle]
pub unsafe extern "C" fn ik_error_column(error: *const ik_error) -> u32 {
    // SAFETY: forwarded from the caller.
    unsafe { with(error, 0, |e| e.column) }
}
