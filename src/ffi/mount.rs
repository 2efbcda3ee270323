//! Mounting trees of (path, bytes) from C, copied or borrowed.

use std::borrow::Cow;
use std::ffi::{c_char, c_void};

use super::args::{in_counted, in_str, write_out};
use super::boundary::boundary;
use super::error::ik_error;
use super::runtime::runtime;
use super::status::ik_status;
use super::vtable::{ik_release_fn, Userdata};
use crate::error::{Error, Result};
use crate::finders::memory::MountFile;
use crate::limits::{MAX_NAME_LEN, MAX_PATH_LEN};
use crate::runtime::MountMode;

/// One file of a tree to mount: a relative `/`-separated path (`path_len` bytes, no NUL) and its bytes.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ik_mount_file {
    /// Relative path inside the mount, e.g. `core/player.py`; no `..`, `.`, empty segments or backslashes.
    pub path: *const c_char,
    /// Length of `path` in bytes.
    pub path_len: usize,
    /// The file's bytes (may be NULL when `data_len` is 0).
    pub data: *const u8,
    /// Length of `data` in bytes.
    pub data_len: usize,
}

/// Keep the caller's bytes instead of copying them; they must stay valid and unchanged until `release`
/// is called.
pub const IK_MOUNT_BORROW: u32 = 1;
/// Replace a tree mounted at the same point (in its place on the meta path) instead of failing with
/// `IK_ERR_EXISTS`.
pub const IK_MOUNT_REPLACE: u32 = 2;

/// Mounts a tree of `count` files at `point`: a top-level name (`"game"`: `__init__.py` is the package
/// `game`, `core.py` is `game.core`) or `""` for the root (`game/__init__.py` is `game`). The mount goes last
/// on the meta path; `*out_id` (may be NULL) receives its finder id.
///
/// `flags`: `IK_MOUNT_BORROW`, `IK_MOUNT_REPLACE`. Without `IK_MOUNT_BORROW` every path and byte is copied
/// before the call returns. If `release` is not NULL it is called exactly once with `release_userdata`:
/// when the bytes are no longer needed (at once for a copy, when the unmounted tree is no longer used for a
/// borrow), or before returning if the call fails.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ik_runtime_mount(
    rt: *const crate::runtime::Runtime,
    point: *const c_char,
    files: *const ik_mount_file,
    count: usize,
    flags: u32,
    release: ik_release_fn,
    release_userdata: *mut c_void,
    out_id: *mut u64,
    out_error: *mut *mut ik_error,
) -> ik_status {
    let guard = Userdata::new(release_userdata, release);
    boundary(out_error, || {
        if flags & !(IK_MOUNT_BORROW | IK_MOUNT_REPLACE) != 0 {
            return Err(Error::invalid_argument(format!("unknown mount flags {flags:#x}")));
        }
        // SAFETY: forwarded from the caller.
        let rt = unsafe { runtime(rt) }?;
        // SAFETY: `point` is a NUL-terminated string.
        let point = unsafe { in_str(point, "point", MAX_NAME_LEN) }?;
        let borrow = flags & IK_MOUNT_BORROW != 0;
        // SAFETY: the header's contract for `files` and `count`.
        let tree = unsafe { files_of(files, count, borrow) }?;
        let mode = if flags & IK_MOUNT_REPLACE != 0 { MountMode::Replace } else { MountMode::New };
        let keep: Option<Box<dyn Send + Sync>> = borrow.then(|| Box::new(guard) as Box<dyn Send + Sync>);
        let id = rt.mount(point, tree, mode, keep)?;
        if !out_id.is_null() {
            // SAFETY: a non-NULL out_id points at a writable uint64_t.
            unsafe { write_out(out_id, id) };
        }
        Ok(())
    })
}

/// The `count` files at `files` as a tree: paths checked (a refused one named by its index), bytes copied
/// or (with `borrow`) lent.
///
/// # Safety
/// `files` is NULL or points at `count` ik_mount_file structs, each path at `path_len` readable bytes and
/// its data at `data_len` readable bytes (kept valid and unchanged, with `borrow`, as the caller promised).
pub(crate) unsafe fn files_of(files: *const ik_mount_file, count: usize, borrow: bool) -> Result<Vec<MountFile>> {
    if files.is_null() && count > 0 {
        return Err(Error::invalid_argument("files is NULL"));
    }
    let entries: &[ik_mount_file] =
        // SAFETY: `files` points at `count` readable ik_mount_file structs.
        if count == 0 { &[] } else { unsafe { std::slice::from_raw_parts(files, count) } };
    let mut tree = Vec::with_capacity(count);
    for (i, f) in entries.iter().enumerate() {
        // SAFETY: each path points at `path_len` readable bytes.
        // The label is formatted only when the path is refused.
        let path = match unsafe { in_counted(f.path, f.path_len, "path", MAX_PATH_LEN) } {
            Ok(path) => path,
            Err(_) => {
                // SAFETY: as above; read again only to name the file in the error.
                let named = unsafe { in_counted(f.path, f.path_len, &format!("files[{i}].path"), MAX_PATH_LEN) };
                return Err(named.err().unwrap_or_else(|| Error::internal("a path refused once was accepted")));
            }
        };
        tree.push(MountFile { path: path.to_owned(), data: file_bytes(f, i, borrow)? });
    }
    Ok(tree)
}

fn file_bytes(f: &ik_mount_file, i: usize, borrow: bool) -> Result<Cow<'static, [u8]>> {
    if f.data.is_null() {
        return if f.data_len == 0 {
            Ok(Cow::Borrowed(&[]))
        } else {
            Err(Error::invalid_argument(format!("files[{i}].data is NULL but data_len is {}", f.data_len)))
        };
    }
    // SAFETY: the host guarantees `data_len` readable bytes at `data`; with IK_MOUNT_BORROW it keeps them
    // valid and unchanged until the release callback runs, which happens only after the tree holding this
    // slice is dropped (the guard is the tree's last field).
    let bytes: &'static [u8] = unsafe { std::slice::from_raw_parts(f.data, f.data_len) };
    Ok(if borrow { Cow::Borrowed(bytes) } else { Cow::Owned(bytes.to_vec()) })
}

/// Unmounts the tree at `point` (`IK_ERR_UNAVAILABLE` if nothing is mounted there). Modules already
/// imported from it stay in the table; borrowed bytes are released once no running import uses them.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_unmount(
    rt: *const crate::runtime::Runtime,
    point: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    // SAFETY: the header's contract for these arguments.
    unsafe { super::runtime::on_name(rt, point, out_error, |rt, point| rt.unmount(point)) }
}
