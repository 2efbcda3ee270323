//! Lists across the C ABI: lists of names handed out (`ik_name_list`) and lists of strings taken in.

use std::ffi::c_char;

use super::args::{guarded, in_str, out_ptr, out_text, write_out};
use super::boundary::boundary;
use super::error::ik_error;
use super::runtime::runtime;
use super::status::ik_status;
use crate::error::{Error, Result};
use crate::limits::{MAX_PATH_ENTRIES, MAX_PATH_LEN};
use crate::runtime::Runtime;
use crate::text::Text;

/// A list of names, owned by the caller: free it with `ik_name_list_free`.
pub struct ik_name_list {
    names: Vec<Text>,
    /// For a list of modules (`ik_runtime_iter_modules`): whether each is a package; empty otherwise.
    packages: Vec<bool>,
}

/// A new list for the caller to free.
pub(crate) fn name_list(names: Vec<String>) -> *mut ik_name_list {
    Box::into_raw(Box::new(ik_name_list { names: names.into_iter().map(Text::from).collect(), packages: Vec::new() }))
}

/// A new list of modules, each with its package flag, for the caller to free.
pub(crate) fn module_list(modules: Vec<crate::finders::ModuleInfo>) -> *mut ik_name_list {
    let packages = modules.iter().map(|m| m.is_package).collect();
    let names = modules.into_iter().map(|m| Text::from(m.name)).collect();
    Box::into_raw(Box::new(ik_name_list { names, packages }))
}

/// Hands the caller a list of names the runtime gives.
///
/// # Safety
/// `rt` is NULL or a live runtime; `out_list` is NULL or writable.
pub(crate) unsafe fn list_out(
    rt: *const Runtime,
    out_list: *mut *mut ik_name_list,
    out_error: *mut *mut ik_error,
    names: impl FnOnce(&Runtime) -> Vec<String>,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_list, "out_list")?;
        // SAFETY: forwarded from the caller.
        let rt = unsafe { runtime(rt) }?;
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_list, name_list(names(rt))) };
        Ok(())
    })
}

/// Reads `count` entries.
///
/// # Safety
/// `entries` is non-NULL and points at `count` pointers, each NULL or a NUL-terminated string.
pub(crate) unsafe fn entry_list<'a>(entries: *const *const c_char, count: usize) -> Result<Vec<&'a str>> {
    let mut list = Vec::with_capacity(count.min(MAX_PATH_ENTRIES));
    // SAFETY: forwarded from the caller.
    unsafe { read_entries(entries, count, |s| list.push(s)) }?;
    Ok(list)
}

/// Most entries read onto the stack by [`with_entries`]; a longer list is read into a vector.
const STACK_ENTRIES: usize = 32;

/// Runs `f` on `count` entries read from `entries`, without an allocation for a list of up to
/// [`STACK_ENTRIES`] (a host that passes a package's locations on every lookup).
///
/// # Safety
/// As [`entry_list`].
pub(crate) unsafe fn with_entries<T>(
    entries: *const *const c_char,
    count: usize,
    f: impl FnOnce(&[&str]) -> Result<T>,
) -> Result<T> {
    if count > STACK_ENTRIES {
        // SAFETY: forwarded from the caller.
        return f(&unsafe { entry_list(entries, count) }?);
    }
    let mut buf: [&str; STACK_ENTRIES] = [""; STACK_ENTRIES];
    let mut n = 0;
    // SAFETY: forwarded from the caller.
    unsafe {
        read_entries(entries, count, |s| {
            buf[n] = s;
            n += 1;
        })
    }?;
    f(&buf[..n])
}

/// Checks each of `count` entries and hands it to `push`.
///
/// # Safety
/// As [`entry_list`].
unsafe fn read_entries<'a>(entries: *const *const c_char, count: usize, mut push: impl FnMut(&'a str)) -> Result<()> {
    if count > MAX_PATH_ENTRIES {
        return Err(Error::invalid_argument(format!("{count} entries is over the limit of {MAX_PATH_ENTRIES}")));
    }
    for i in 0..count {
        // SAFETY: guaranteed by the caller.
        let p = unsafe { *entries.add(i) };
        // SAFETY: as above. The entry's index is formatted only for the error.
        match unsafe { in_str(p, "entry", MAX_PATH_LEN) } {
            Ok(s) => push(s),
            Err(_) => {
                // SAFETY: as above; read again only to name the entry in the error.
                let named = unsafe { in_str(p, &format!("entries[{i}]"), MAX_PATH_LEN) };
                return Err(named.err().unwrap_or_else(|| Error::internal("an entry refused once was accepted")));
            }
        }
    }
    Ok(())
}

/// How many names the list holds (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn ik_name_list_count(list: *const ik_name_list) -> usize {
    // SAFETY: a non-NULL list is one importkit handed out and the caller has not freed.
    guarded(0, || unsafe { list.as_ref() }.map_or(0, |l| l.names.len()))
}

/// Name `index` of the list (owned by the list), its length through `len_out` (may be NULL); NULL when out
/// of range.
#[no_mangle]
pub unsafe extern "C" fn ik_name_list_get(
    list: *const ik_name_list,
    index: usize,
    len_out: *mut usize,
) -> *const c_char {
    guarded(std::ptr::null(), || {
        // SAFETY: a non-NULL list is one importkit handed out and the caller has not freed.
        match unsafe { list.as_ref() }.and_then(|l| l.names.get(index)) {
            // SAFETY: `len_out` is NULL or writable.
            Some(t) => unsafe { out_text(t, len_out) },
            None => std::ptr::null(),
        }
    })
}

/// For a list of modules (`ik_runtime_iter_modules`): 1 if module `index` is a package, 0 if not; -1 when
/// `list` is NULL, `index` is out of range or the list is not one of modules.
#[no_mangle]
pub unsafe extern "C" fn ik_name_list_is_package(list: *const ik_name_list, index: usize) -> i32 {
    guarded(-1, || {
        // SAFETY: a non-NULL list is one importkit handed out and the caller has not freed.
        match unsafe { list.as_ref() }.and_then(|l| l.packages.get(index)) {
            Some(p) => i32::from(*p),
            None => -1,
        }
    })
}

/// Frees a list. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn ik_name_list_free(list: *mut ik_name_list) {
    guarded((), || {
        if !list.is_null() {
            // SAFETY: the list came from Box::into_raw and is freed once.
            drop(unsafe { Box::from_raw(list) });
        }
    })
}
