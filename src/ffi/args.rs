//! Arguments in and out of the C ABI: strings and pointers checked, out-parameters written.

use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, Result};

/// Runs an accessor inside the panic boundary; a panic gives `fallback`.
pub(crate) fn guarded<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

fn too_long(what: &str, limit: usize) -> Error {
    Error::invalid_argument(format!("{what} is longer than the limit of {limit} bytes"))
}

fn not_utf8(what: &str, bytes: &[u8]) -> Error {
    let at = std::str::from_utf8(bytes).err().map_or(0, |e| e.valid_up_to());
    Error::invalid_argument(format!("{what} is not valid UTF-8 (bad byte at offset {at})"))
}

/// A required NUL-terminated UTF-8 string of at most `limit` bytes.
///
/// # Safety
/// `p` is NULL or points at a NUL-terminated string, or at least at `limit + 1` readable bytes.
pub(crate) unsafe fn in_str<'a>(p: *const c_char, what: &str, limit: usize) -> Result<&'a str> {
    if p.is_null() {
        return Err(Error::invalid_argument(format!("{what} is NULL")));
    }
    // SAFETY: the caller guarantees a terminator within reach or `limit + 1` readable bytes; strnlen reads
    // no further than that.
    let len = unsafe { libc::strnlen(p, limit + 1) };
    if len > limit {
        return Err(too_long(what, limit));
    }
    // SAFETY: `len` bytes were just measured as readable and non-NUL.
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
    if bytes.is_ascii() {
        // SAFETY: ASCII is UTF-8 (the common case, checked a word at a time).
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).map_err(|_| not_utf8(what, bytes))
}

/// An optional NUL-terminated string: NULL gives `None`.
///
/// # Safety
/// As [`in_str`].
pub(crate) unsafe fn in_opt_str<'a>(p: *const c_char, what: &str, limit: usize) -> Result<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded from the caller.
    unsafe { in_str(p, what, limit) }.map(Some)
}

/// A counted UTF-8 string; NULL is accepted only with length 0. An embedded NUL is refused.
///
/// # Safety
/// `p` is NULL or points at `len` readable bytes.
pub(crate) unsafe fn in_counted<'a>(p: *const c_char, len: usize, what: &str, limit: usize) -> Result<&'a str> {
    if len > limit {
        return Err(too_long(what, limit));
    }
    if p.is_null() {
        return if len == 0 { Ok("") } else { Err(Error::invalid_argument(format!("{what} is NULL"))) };
    }
    // SAFETY: the caller guarantees `len` readable bytes at `p`.
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        return Err(Error::invalid_argument(format!("{what} contains a NUL byte at offset {at}")));
    }
    std::str::from_utf8(bytes).map_err(|_| not_utf8(what, bytes))
}

/// Bytes a caller hands in, copied: `len` bytes at `p`, NULL accepted only with length 0.
///
/// # Safety
/// `p` is NULL or points at `len` readable bytes.
pub(crate) unsafe fn in_bytes(p: *const u8, len: usize, what: &str) -> Result<Vec<u8>> {
    match (p.is_null(), len) {
        (true, 0) => Ok(Vec::new()),
        (true, _) => Err(Error::invalid_argument(format!("{what} is NULL with a length of {len}"))),
        // SAFETY: the caller guarantees `len` readable bytes at `p`.
        (false, _) => Ok(unsafe { std::slice::from_raw_parts(p, len) }.to_vec()),
    }
}

/// A required non-NULL pointer to a handle.
///
/// # Safety
/// `p` is NULL or points at a live object of type `T` that importkit handed out.
pub(crate) unsafe fn in_ref<'a, T>(p: *const T, what: &str) -> Result<&'a T> {
    // SAFETY: a non-NULL handle pointer given by the host points at a live object it got from importkit.
    unsafe { p.as_ref() }.ok_or_else(|| Error::invalid_argument(format!("{what} is NULL")))
}

/// Checks an out-parameter before any work is done, so a NULL one fails cleanly.
pub(crate) fn out_ptr<T>(p: *mut T, what: &str) -> Result<()> {
    if p.is_null() {
        return Err(Error::invalid_argument(format!("out-parameter {what} is NULL")));
    }
    Ok(())
}

/// Writes an out-parameter checked by [`out_ptr`].
///
/// # Safety
/// `p` is non-NULL and points at writable storage for a `T`.
pub(crate) unsafe fn write_out<T>(p: *mut T, value: T) {
    // SAFETY: `p` was checked non-NULL by `out_ptr` and points at writable storage for a `T`.
    unsafe { p.write(value) }
}

/// Writes the length of a returned string when the caller asked for it.
///
/// # Safety
/// `len_out` is NULL or points at a writable `size_t`.
pub(crate) unsafe fn write_len(len_out: *mut usize, len: usize) {
    if !len_out.is_null() {
        // SAFETY: a non-NULL `len_out` points at a writable size_t.
        unsafe { len_out.write(len) }
    }
}

/// An `ik_*` text as a C string, its length through `len_out`.
///
/// # Safety
/// As [`write_len`].
pub(crate) unsafe fn out_text(text: &crate::text::Text, len_out: *mut usize) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { write_len(len_out, text.len()) };
    text.as_bytes_with_nul().as_ptr().cast()
}

/// A string importkit keeps with a NUL right after it (every string a spec or error returns), as a C
/// string, its length through `len_out`.
///
/// # Safety
/// `s` must be followed in memory by a NUL byte of the same allocation (spec fields are, by construction);
/// `len_out` is NULL or writable.
pub(crate) unsafe fn out_str(s: &str, len_out: *mut usize) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { write_len(len_out, s.len()) };
    s.as_ptr().cast()
}
