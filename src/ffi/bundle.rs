//! Bundles across the C ABI: mounting one from a file (mapped or read) or from bytes the host holds
//! (copied or borrowed), with an optional pinned SHA-256 digest; verifying one.

use std::ffi::{c_char, c_void};
use std::path::Path;

use super::args::{in_opt_str, in_str, write_out};
use super::boundary::boundary;
use super::error::ik_error;
use super::mount::{IK_MOUNT_BORROW, IK_MOUNT_REPLACE};
use super::runtime::runtime;
use super::status::ik_status;
use super::vtable::{ik_release_fn, Userdata};
use crate::bundle::format::Bundle;
use crate::bundle::map::{FileBytes, Load};
use crate::error::{Error, Result};
use crate::finders::bundle::BundleMount;
use crate::limits::{MAX_NAME_LEN, MAX_PATH_LEN};
use crate::runtime::{MountMode, Runtime};

/// Read a bundle's file whole into memory at mount instead of mapping it (for a file that may be
/// truncated or rewritten in place while it is mounted: a mapped file cut short faults on access).
pub const IK_BUNDLE_READ: u32 = 4;

/// The length of a SHA-256 digest, in bytes.
pub const IK_SHA256_LEN: usize = 32;

/// A host's bytes lent to a bundle until the release callback runs (when the bundle is dropped).
struct Lent {
    data: *const u8,
    len: usize,
    _release: Userdata,
}

// SAFETY: the host promises (header) that borrowed bytes stay valid and unchanged until released and may
// be read from any thread; `Lent` only reads them.
unsafe impl Send for Lent {}
// SAFETY: as above: shared access is read-only.
unsafe impl Sync for Lent {}

impl AsRef<[u8]> for Lent {
    fn as_ref(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `data` points at `len` readable bytes the host keeps valid and unchanged until the release
        // callback, which runs when `_release` drops: after every borrow of `self`.
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
}

fn check_flags(flags: u32, allowed: u32) -> Result<()> {
    if flags & !allowed != 0 {
        return Err(Error::invalid_argument(format!("unknown bundle mount flags {:#x}", flags & !allowed)));
    }
    Ok(())
}

fn mode(flags: u32) -> MountMode {
    if flags & IK_MOUNT_REPLACE != 0 {
        MountMode::Replace
    } else {
        MountMode::New
    }
}

/// The pinned digest at `sha256`, if not NULL.
///
/// # Safety
/// `sha256` is NULL or points at 32 readable bytes.
unsafe fn pin(sha256: *const u8) -> Option<[u8; IK_SHA256_LEN]> {
    // SAFETY: forwarded from the caller: 32 readable bytes.
    (!sha256.is_null()).then(|| unsafe { sha256.cast::<[u8; IK_SHA256_LEN]>().read_unaligned() })
}

/// Mounts an opened bundle, pinned first if asked, and writes its finder id.
fn mount(
    rt: &Runtime,
    point: &str,
    bundle: Bundle,
    pinned: Option<[u8; 32]>,
    flags: u32,
    out_id: *mut u64,
) -> Result<()> {
    let bundle = match pinned {
        Some(d) => bundle.pinned(&d)?,
        None => bundle,
    };
    let id = rt.mount_opened_bundle(point, bundle, mode(flags))?;
    if !out_id.is_null() {
        // SAFETY: a non-NULL out_id points at a writable uint64_t (the header's contract).
        unsafe { write_out(out_id, id) };
    }
    Ok(())
}

/// What the two file mounts share: the flags, runtime, point and path checked, the point before the file is
/// opened (by `open`, mapped or read whole as the flags say), then the bundle pinned if asked and mounted.
///
/// # Safety
/// `rt` is NULL or a live runtime; `point` and `path` are NULL or NUL-terminated strings; `sha256` is NULL or
/// 32 readable bytes; `out_id` is NULL or a writable `uint64_t`.
#[allow(clippy::too_many_arguments)]
unsafe fn mount_file(
    rt: *const Runtime,
    point: *const c_char,
    path: *const c_char,
    path_required: bool,
    flags: u32,
    sha256: *const u8,
    out_id: *mut u64,
    out_error: *mut *mut ik_error,
    open: impl FnOnce(Option<&str>, Load) -> Result<Bundle>,
) -> ik_status {
    boundary(out_error, || {
        check_flags(flags, IK_BUNDLE_READ | IK_MOUNT_REPLACE)?;
        // SAFETY: forwarded from the caller.
        let rt = unsafe { runtime(rt) }?;
        // SAFETY: as above.
        let point = unsafe { in_str(point, "point", MAX_NAME_LEN) }?;
        // SAFETY: as above.
        let path = unsafe { in_opt_str(path, "path", MAX_PATH_LEN) }?;
        if path_required && path.is_none() {
            return Err(Error::invalid_argument("path is NULL"));
        }
        rt.check_mount_point(point)?;
        let load = if flags & IK_BUNDLE_READ != 0 { Load::Read } else { Load::Map };
        let bundle = open(path, load)?;
        // SAFETY: `sha256` is NULL or 32 readable bytes.
        mount(rt, point, bundle, unsafe { pin(sha256) }, flags, out_id)
    })
}

/// Mounts the bundle file at `path` (an `.ikb` file) at `point`: a top-level name, which the bundle's root
/// package becomes (`"game"`: the bundle's `core/util.py` is `game.core.util`), or `""` for the root. The
/// mount goes last on the meta path; `*out_id` (may be NULL) receives its finder id. Origins are
/// `bundle:/<point>/<path>`; modules have a `file` only under a virtual root. Bundles and trees share mount
/// points: `ik_runtime_unmount` unmounts either.
///
/// The file is mapped read-only (opening reads the header only: O(1) in the bundle's modules); with
/// `IK_BUNDLE_READ` it is read whole instead. `flags`: `IK_BUNDLE_READ`, `IK_MOUNT_REPLACE`. `sha256` is
/// NULL or the 32-byte SHA-256 digest the file must have (computed over the whole file at mount; any other
/// file is refused). A missing file, one that is not a bundle, a bad header or another digest:
/// `IK_ERR_INVALID_MOUNT`, naming the file. A mount point taken: `IK_ERR_EXISTS` (unless `IK_MOUNT_REPLACE`).
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_mount_bundle(
    rt: *const Runtime,
    point: *const c_char,
    path: *const c_char,
    flags: u32,
    sha256: *const u8,
    out_id: *mut u64,
    out_error: *mut *mut ik_error,
) -> ik_status {
    // SAFETY: forwarded from the caller (the header's contract for these arguments).
    unsafe {
        mount_file(rt, point, path, true, flags, sha256, out_id, out_error, |path, load| {
            let path = path.unwrap_or_default();
            Bundle::open(path, FileBytes::open(Path::new(path), load)?)
        })
    }
}

/// Mounts the bundle in `len` bytes at `data` at `point`, as `ik_runtime_mount_bundle` mounts a file
/// (errors name the bundle `bundle:/<point>`). `flags`: `IK_MOUNT_BORROW` (keep the caller's bytes, which
/// must stay valid and unchanged until `release` is called; else they are copied before the call returns)
/// and `IK_MOUNT_REPLACE`. `sha256` is NULL or the digest the bytes must have. If `release` is not NULL it
/// is called exactly once with `release_userdata`: at once for a copy, once the unmounted bundle is no
/// longer used (resources lent from it included) for a borrow, or before returning if the call fails.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ik_runtime_mount_bundle_bytes(
    rt: *const Runtime,
    point: *const c_char,
    data: *const u8,
    len: usize,
    flags: u32,
    sha256: *const u8,
    release: ik_release_fn,
    release_userdata: *mut c_void,
    out_id: *mut u64,
    out_error: *mut *mut ik_error,
) -> ik_status {
    let guard = Userdata::new(release_userdata, release);
    boundary(out_error, || {
        check_flags(flags, IK_MOUNT_BORROW | IK_MOUNT_REPLACE)?;
        // SAFETY: the header's contract for these arguments.
        let rt = unsafe { runtime(rt) }?;
        // SAFETY: as above.
        let point = unsafe { in_str(point, "point", MAX_NAME_LEN) }?;
        if data.is_null() {
            return Err(Error::invalid_argument(format!("data is NULL (len {len})")));
        }
        rt.check_mount_point(point)?;
        let label = BundleMount::place_of(point);
        let bundle = if flags & IK_MOUNT_BORROW != 0 {
            Bundle::open(label, Lent { data, len, _release: guard })?
        } else {
            // SAFETY: `data` points at `len` readable bytes (the header's contract), copied now.
            let copy = unsafe { std::slice::from_raw_parts(data, len) }.to_vec();
            drop(guard);
            Bundle::open(label, copy)?
        };
        // SAFETY: `sha256` is NULL or 32 readable bytes.
        mount(rt, point, bundle, unsafe { pin(sha256) }, flags, out_id)
    })
}

/// Mounts the bundle appended to the file at `path` (a program with `importkit bundle append`'s trailer at its
/// end; docs/BUNDLE.md, *The trailer*), or with `path` NULL to the running program's own executable, at
/// `point`, as `ik_runtime_mount_bundle` mounts a bundle file: so a program ships as one file and imports
/// from itself. `flags`: `IK_BUNDLE_READ`, `IK_MOUNT_REPLACE`. `sha256` is NULL or the digest the bundle (not
/// the whole file) must have. A file without a trailer: `IK_ERR_INVALID_MOUNT`, "no bundle is appended to
/// '...'"; a damaged trailer or bundle likewise, saying what is wrong.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_mount_bundle_appended(
    rt: *const Runtime,
    point: *const c_char,
    path: *const c_char,
    flags: u32,
    sha256: *const u8,
    out_id: *mut u64,
    out_error: *mut *mut ik_error,
) -> ik_status {
    // SAFETY: forwarded from the caller (the header's contract for these arguments; a NULL path is the
    // running executable).
    unsafe {
        mount_file(rt, point, path, false, flags, sha256, out_id, out_error, |path, load| match path {
            Some(p) => Bundle::open_appended(Path::new(p), load),
            None => Bundle::open_current_exe(load),
        })
    }
}

/// Checks the whole bundle file at `path` (O(size)): its header, the CRC-32 of its tables, every record
/// and table order, the index against the modules, and every blob against its CRC-32, as `importkit
/// bundle verify` does. `out_sha256` is NULL or receives the file's 32-byte SHA-256 digest (to pin it).
/// `IK_ERR_INVALID_MOUNT` when the file cannot be read or its header is bad, `IK_ERR_IMPORT` when an entry
/// is corrupt; the message names the bundle and the entry.
#[no_mangle]
pub unsafe extern "C" fn ik_bundle_verify(
    path: *const c_char,
    out_sha256: *mut u8,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: the header's contract for `path`.
        let path = unsafe { in_str(path, "path", MAX_PATH_LEN) }?;
        let bundle = Bundle::open(path, FileBytes::open(Path::new(path), Load::Map)?)?;
        bundle.verify()?;
        if !out_sha256.is_null() {
            // SAFETY: a non-NULL out_sha256 points at 32 writable bytes (the header's contract).
            unsafe { out_sha256.cast::<[u8; IK_SHA256_LEN]>().write_unaligned(bundle.digest()) };
        }
        Ok(())
    })
}
