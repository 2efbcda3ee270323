//! Host vtables as importkit reads them (the size rule of docs/ABI.md) and the userdata they carry.

use std::ffi::{c_char, c_void};

use super::args::in_opt_str;
use crate::error::{Error, Result};
use crate::limits::MAX_FINDER_NAME_LEN;

/// Releases a host's userdata once importkit no longer needs it.
pub type ik_release_fn = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// A vtable a host hands in (or a struct it hands in to be filled): a `#[repr(C)]` struct whose first field is
/// a `uint32_t size`.
///
/// The rule (docs/ABI.md): importkit reads `size` first and nothing past it. `size` must be the size of one
/// of the struct's released layouts (`LAYOUTS`, oldest first); fields a smaller (older) layout does not have
/// count as absent (NULL). Any other size is refused before another field is read, and then nothing in the
/// struct is used, its `release_userdata` included.
pub(crate) trait Vtable: Copy {
    /// The struct's name in the header.
    const NAME: &'static str;
    /// `sizeof` of every released layout of the struct, oldest first; the last is this version's.
    const LAYOUTS: &'static [usize];
}

pub(crate) fn check_layout<V: Vtable>(size: u32) -> Result<usize> {
    let size = size as usize;
    if V::LAYOUTS.contains(&size) {
        return Ok(size);
    }
    let known: Vec<String> = V::LAYOUTS.iter().map(usize::to_string).collect();
    let newest = V::LAYOUTS[V::LAYOUTS.len() - 1];
    let why = if size > newest {
        "it is larger than any layout this importkit knows (a header newer than the library?)"
    } else {
        "it is the size of no released layout (set it to sizeof the struct)"
    };
    Err(Error::invalid_argument(format!(
        "{}.size is {size}, but this importkit accepts {} bytes: {why}",
        V::NAME,
        known.join(" or ")
    )))
}

/// Reads a host vtable by the rule of [`Vtable`]: its `size` first, then exactly that many bytes into a
/// zeroed struct.
///
/// # Safety
/// `p` is NULL or points at a `uint32_t` size followed by at least `size - 4` readable bytes.
pub(crate) unsafe fn read_vtable<V: Vtable>(p: *const V, what: &str) -> Result<V> {
    if p.is_null() {
        return Err(Error::invalid_argument(format!("{what} is NULL")));
    }
    // SAFETY: every vtable starts with its `uint32_t size`, and `p` points at one (the caller's promise).
    let size = unsafe { p.cast::<u32>().read_unaligned() };
    let size = check_layout::<V>(size)?;
    let mut vt = std::mem::MaybeUninit::<V>::zeroed();
    // SAFETY: `size` is one of V's layouts, so at most `size_of::<V>()`; the host promised `size` readable
    // bytes at `p`; the destination is our own struct.
    unsafe { std::ptr::copy_nonoverlapping(p.cast::<u8>(), vt.as_mut_ptr().cast::<u8>(), size) };
    // SAFETY: every vtable field is an integer, a bool, a raw pointer or an optional function pointer: all
    // zero is a valid value for each (0, false, NULL, None), and the host's bytes are its values.
    Ok(unsafe { vt.assume_init() })
}

/// Fills a size-first struct the host hands in to be written (`ik_code_cache_stats`) by the rule of
/// [`Vtable`]: its `size` is read first and must be a released layout's; then exactly the bytes after `size`
/// up to it are written from `value` (`size` itself stays the host's), so a host built against an older,
/// smaller struct gets the fields it knows and nothing past them. A bad size writes nothing.
///
/// # Safety
/// `p` is NULL or points at a writable struct that starts with a `uint32_t size` and has `size` bytes.
pub(crate) unsafe fn write_sized<V: Vtable>(p: *mut V, value: &V, what: &str) -> Result<()> {
    if p.is_null() {
        return Err(Error::invalid_argument(format!("{what} is NULL")));
    }
    // SAFETY: the struct starts with its `uint32_t size`, and `p` points at one (the caller's promise).
    let size = unsafe { p.cast::<u32>().read_unaligned() };
    let size = check_layout::<V>(size)?;
    let skip = std::mem::size_of::<u32>();
    // SAFETY: `size` is one of V's layouts, so at most `size_of::<V>()` and at least the size field; the host
    // promised `size` writable bytes at `p`; `value` is our own struct of V's full size.
    unsafe {
        std::ptr::copy_nonoverlapping(
            (value as *const V).cast::<u8>().add(skip),
            p.cast::<u8>().add(skip),
            size.saturating_sub(skip),
        )
    };
    Ok(())
}

/// Wraps a host vtable read by [`read_vtable`]: checks its required callback and takes its name (NULL:
/// `default`), keeping `userdata` to release once; if anything is wrong, the userdata is released before
/// the error returns.
pub(crate) fn hosted<V: Vtable>(
    vt: &V,
    missing: Option<&str>,
    name: Option<(*const c_char, &str)>,
    userdata: Userdata,
) -> Result<Hosted<V>> {
    let what = V::NAME;
    if let Some(field) = missing {
        return Err(Error::invalid_argument(format!("{what}.{field} is required")));
    }
    let name = match name {
        Some((p, default)) => {
            // SAFETY: the header documents vtable names as NULL or NUL-terminated strings.
            let given = unsafe { in_opt_str(p, &format!("{what}.name"), MAX_FINDER_NAME_LEN) }?;
            given.unwrap_or(default).to_owned()
        }
        None => String::new(),
    };
    Ok(Hosted { vt: *vt, name, _userdata: userdata })
}

/// Calls `release(userdata)` once, when dropped.
pub(crate) struct Userdata {
    ptr: *mut c_void,
    release: ik_release_fn,
}

// SAFETY: the host promises (header) that userdata and callbacks may be used from any thread.
unsafe impl Send for Userdata {}
// SAFETY: as above.
unsafe impl Sync for Userdata {}

impl Userdata {
    pub(crate) fn new(ptr: *mut c_void, release: ik_release_fn) -> Self {
        Userdata { ptr, release }
    }

    pub(crate) fn ptr(&self) -> *mut c_void {
        self.ptr
    }
}

/// A host pointer carried by a spec or an error (`ik_found_set_host_data`, `ik_report_host_data`), released
/// once, when the last spec or error holding it goes.
pub(crate) struct HostPointer(pub(crate) Userdata);

/// The host pointer of some host data, if it is one the C layer attached (NULL otherwise).
pub(crate) fn host_pointer(data: Option<&crate::spec::HostData>) -> *mut c_void {
    data.and_then(|d| d.0.downcast_ref::<HostPointer>()).map_or(std::ptr::null_mut(), |p| p.0.ptr())
}

impl Drop for Userdata {
    fn drop(&mut self) {
        if let Some(release) = self.release {
            // The host's code may import: not as part of whatever operation dropped this userdata.
            // SAFETY: the host gave this function to be called once with this userdata.
            crate::finders::path::scope::outside(|| unsafe { release(self.ptr) })
        }
    }
}

/// A host vtable with its userdata (released once, when the wrapper is dropped).
pub(crate) struct Hosted<V> {
    pub(crate) vt: V,
    pub(crate) name: String,
    pub(crate) _userdata: Userdata,
}

// SAFETY: the host promises (header) that its callbacks and userdata may be used from any thread.
unsafe impl<V> Send for Hosted<V> {}
// SAFETY: as above.
unsafe impl<V> Sync for Hosted<V> {}
