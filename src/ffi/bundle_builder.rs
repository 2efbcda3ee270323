//! `ik_bundle_builder`: building a bundle from C, so a host that compiles can add its own code and
//! resources. The builder is deterministic: the same additions, in any order, give the same bytes.

use std::ffi::c_char;
use std::path::Path;

use super::args::{guarded, in_opt_str, in_str, out_ptr, write_out};
use super::boundary::boundary;
use super::error::ik_error;
use super::list::{entry_list, ik_name_list, module_list};
use super::mount::{files_of, ik_mount_file};
use super::resources::ik_resource;
use super::spec::ik_kind;
use super::status::ik_status;
use crate::bundle::build::{BundleBuilder, BundleModule};
use crate::error::{Error, Result};
use crate::finders::ModuleInfo;
use crate::limits::{MAX_NAME_LEN, MAX_PATH_LEN, MAX_SUFFIX_LEN};
use crate::profile::Profile;
use crate::spec::ModuleKind;

/// A bundle being built: what was added, and the profile trees are classified under. Not thread-safe: use
/// one builder from one thread at a time.
pub struct ik_bundle_builder {
    builder: BundleBuilder,
    profile: Profile,
}

/// # Safety
/// `b` is NULL or a builder importkit handed out that the caller has not freed.
unsafe fn builder<'a>(b: *mut ik_bundle_builder) -> Result<&'a mut ik_bundle_builder> {
    // SAFETY: forwarded from the caller.
    unsafe { b.as_mut() }.ok_or_else(|| Error::invalid_argument("builder is NULL"))
}

/// `len` bytes at `data` (NULL only with 0), named `what` in errors.
///
/// # Safety
/// `data` is NULL or points at `len` readable bytes.
unsafe fn in_bytes<'a>(data: *const u8, len: usize, what: &str) -> Result<&'a [u8]> {
    if data.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Error::invalid_argument(format!("{what} is NULL but its length is {len}")))
        };
    }
    // SAFETY: forwarded from the caller.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// Makes an empty bundle builder whose trees (`ik_bundle_builder_add_tree`) are classified under a copy of
/// `profile` (NULL: CPython's conventions). Free it with `ik_bundle_builder_free`.
#[no_mangle]
pub unsafe extern "C" fn ik_bundle_builder_new(
    profile: *const Profile,
    out_builder: *mut *mut ik_bundle_builder,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_builder, "out_builder")?;
        // SAFETY: `profile` is NULL or a live profile.
        let profile = unsafe { profile.as_ref() }.cloned().unwrap_or_default();
        let made = ik_bundle_builder { builder: BundleBuilder::new(), profile };
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_builder, Box::into_raw(Box::new(made))) };
        Ok(())
    })
}

/// Frees a builder. `ik_bundle_builder_free(NULL)` does nothing.
#[no_mangle]
pub unsafe extern "C" fn ik_bundle_builder_free(builder: *mut ik_bundle_builder) {
    guarded((), || {
        if !builder.is_null() {
            // SAFETY: the builder came from Box::into_raw in ik_bundle_builder_new and is freed once.
            drop(unsafe { Box::from_raw(builder) });
        }
    })
}

/// Whether blobs are deflated where that makes them smaller (off by default: stored blobs are lent in
/// place when read, deflated ones are inflated at each read).
#[no_mangle]
pub unsafe extern "C" fn ik_bundle_builder_set_compress(
    builder: *mut ik_bundle_builder,
    compress: bool,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: the header's contract for `builder`.
        unsafe { self::builder(builder) }?.builder.compress(compress);
        Ok(())
    })
}

/// Adds a tree of `count` files (paths relative to the bundle's root), its modules told apart as a memory
/// mount of the same files under the builder's profile tells them (suffixes, init files, namespace
/// directories, precedence); every file is kept, and top-level `*.dist-info` / `*.egg-info` directories
/// are kept as distribution metadata. The bytes are copied. A file or module given twice with other bytes
/// is refused (`IK_ERR_INVALID_ARGUMENT`, naming it); a path the tree refuses, as a mount refuses it.
#[no_mangle]
pub unsafe extern "C" fn ik_bundle_builder_add_tree(
    builder: *mut ik_bundle_builder,
    files: *const ik_mount_file,
    count: usize,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: the header's contract for `builder`.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: `files` points at `count` ik_mount_file structs with readable paths and bytes.
        let tree = unsafe { files_of(files, count, false) }?;
        b.builder.add_tree(tree, &b.profile)?;
        Ok(())
    })
}

/// Adds the files of the directory `dir` as one tree, as `ik_bundle_builder_add_tree` adds one, read as
/// `importkit bundle build` reads a directory: every file under it (names sorted, so the filesystem's order
/// does not matter), a symbolic link followed when it leads inside `dir` (a link out of it, a dangling
/// link, a link to a directory holding it, a special file and a name that is not UTF-8 are refused), a
/// file or directory whose name matches one of the `exclude_count` patterns at `excludes` left out (one
/// path segment each, `*` matching any run of characters; NULL with 0: none). Every file's bytes are read
/// now. A directory or file that cannot be read: `IK_ERR_IO`; something refused: `IK_ERR_INVALID_ARGUMENT`;
/// the message names the file.
#[no_mangle]
pub unsafe extern "C" fn ik_bundle_builder_add_dir(
    builder: *mut ik_bundle_builder,
    dir: *const c_char,
    excludes: *const *const c_char,
    exclude_count: usize,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: the header's contract for these arguments.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: as above.
        let dir = unsafe { in_str(dir, "dir", MAX_PATH_LEN) }?;
        let excludes: Vec<String> = match (excludes.is_null(), exclude_count) {
            (true, 0) => Vec::new(),
            (true, n) => return Err(Error::invalid_argument(format!("excludes is NULL but exclude_count is {n}"))),
            // SAFETY: `excludes` points at `exclude_count` pointers to NUL-terminated strings.
            (false, n) => unsafe { entry_list(excludes, n) }?.into_iter().map(str::to_owned).collect(),
        };
        b.builder.add_dir(dir, &excludes, &b.profile)?;
        Ok(())
    })
}

/// Adds one module: `name` relative to the bundle's root (`""` for the root package; `core.util`), the path
/// of its file (`core/util.py`; for a namespace package its directory), its kind (`IK_KIND_SOURCE`,
/// `IK_KIND_BYTECODE`, `IK_KIND_EXTENSION`, `IK_KIND_NAMESPACE`) and package flag, and its file's bytes
/// (`source`, copied; NULL with 0 when the file is added with `ik_bundle_builder_add_file`, and for a
/// namespace package). A bad name or path, a native kind, a module given twice: `IK_ERR_INVALID_ARGUMENT`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ik_bundle_builder_add_module(
    builder: *mut ik_bundle_builder,
    name: *const c_char,
    path: *const c_char,
    kind: u32,
    is_package: bool,
    source: *const u8,
    source_len: usize,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: the header's contract for these arguments.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: as above.
        let name = unsafe { in_str(name, "name", MAX_NAME_LEN) }?;
        // SAFETY: as above.
        let path = unsafe { in_str(path, "path", MAX_PATH_LEN) }?;
        let kind = ik_kind::of(kind).ok_or_else(|| Error::invalid_argument(format!("{kind} is not an IK_KIND_*")))?;
        let mut module = BundleModule::new(name, path, kind.into(), is_package);
        if !source.is_null() || source_len > 0 {
            // SAFETY: `source` is NULL or points at `source_len` readable bytes.
            module = module.source(unsafe { in_bytes(source, source_len, "source") }?.to_vec());
        }
        b.builder.add_module(module)?;
        Ok(())
    })
}

/// Adds compiled code for `cache_tag` (`cpython-311`, `luajit-2.1`; not empty) to the module `name`, added
/// already: the host's bytes (a marshalled code object, `string.dump`), copied, kept as given, and handed to
/// an executor whose runtime's profile has that cache tag. Code for a tag the module has is replaced.
#[no_mangle]
pub unsafe extern "C" fn ik_bundle_builder_add_code(
    builder: *mut ik_bundle_builder,
    name: *const c_char,
    cache_tag: *const c_char,
    code: *const u8,
    code_len: usize,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: the header's contract for these arguments.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: as above.
        let name = unsafe { in_str(name, "name", MAX_NAME_LEN) }?;
        // SAFETY: as above.
        let tag = unsafe { in_str(cache_tag, "cache_tag", MAX_SUFFIX_LEN) }?;
        // SAFETY: `code` is NULL or points at `code_len` readable bytes.
        let code = unsafe { in_bytes(code, code_len, "code") }?;
        b.builder.add_code(name, tag, code.to_vec())?;
        Ok(())
    })
}

/// The modules of kind `kind` (`IK_KIND_SOURCE`, `IK_KIND_BYTECODE`, `IK_KIND_EXTENSION`, `IK_KIND_NAMESPACE`)
/// added so far (by `ik_bundle_builder_add_tree`, `_add_dir`, `_add_module`), sorted, into `*out_list` (free
/// it with `ik_name_list_free`): names relative to the bundle's root (`""` for the root package), each with
/// its package flag (`ik_name_list_is_package`). What a host that compiles walks to give each source module
/// its code (`ik_bundle_builder_add_code`).
#[no_mangle]
pub unsafe extern "C" fn ik_bundle_builder_modules(
    builder: *mut ik_bundle_builder,
    kind: u32,
    out_list: *mut *mut ik_name_list,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_list, "out_list")?;
        // SAFETY: the header's contract for `builder`.
        let b = unsafe { self::builder(builder) }?;
        let kind = ik_kind::of(kind).ok_or_else(|| Error::invalid_argument(format!("{kind} is not an IK_KIND_*")))?;
        let want = ModuleKind::from(kind);
        let modules = b
            .builder
            .modules()
            .filter(|(_, k, _)| *k == want)
            .map(|(name, _, is_package)| ModuleInfo { name: name.to_owned(), is_package })
            .collect();
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_list, module_list(modules)) };
        Ok(())
    })
}

/// Adds a file at `path` (relative to the bundle's root: `pkg/data/level1.txt`): a resource of the package
/// whose directory holds it, or a module's file. With `package` not NULL, `path` is relative to that
/// package's directory instead (the package added already). The bytes are copied. The same path twice is
/// refused unless with the same bytes.
#[no_mangle]
pub unsafe extern "C" fn ik_bundle_builder_add_file(
    builder: *mut ik_bundle_builder,
    package: *const c_char,
    path: *const c_char,
    data: *const u8,
    data_len: usize,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: the header's contract for these arguments.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: as above.
        let package = unsafe { in_opt_str(package, "package", MAX_NAME_LEN) }?;
        // SAFETY: as above.
        let path = unsafe { in_str(path, "path", MAX_PATH_LEN) }?;
        // SAFETY: `data` is NULL or points at `data_len` readable bytes.
        let data = unsafe { in_bytes(data, data_len, "data") }?.to_vec();
        match package {
            Some(p) => b.builder.add_resource(p, path, data)?,
            None => b.builder.add_file(path, data)?,
        };
        Ok(())
    })
}

/// Builds the bundle: its bytes into `*out_bytes` (an `ik_resource`: read with `ik_resource_data`, free with
/// `ik_resource_free`). The builder is unchanged and may build again (the same bytes) or take more. A module
/// without its file, a namespace package with a file at its directory: `IK_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn ik_bundle_builder_build(
    builder: *mut ik_bundle_builder,
    out_bytes: *mut *mut ik_resource,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_bytes, "out_bytes")?;
        // SAFETY: the header's contract for `builder`.
        let bytes = unsafe { self::builder(builder) }?.builder.build()?;
        // SAFETY: checked by out_ptr.
        unsafe { write_out(out_bytes, Box::into_raw(Box::new(ik_resource::owned(bytes)))) };
        Ok(())
    })
}

/// Builds the bundle and writes it to the file at `path`, atomically: to a temporary file beside it, then
/// renamed over `path` (a reader sees the old file or the new one, never a part). Errors name the file.
#[no_mangle]
pub unsafe extern "C" fn ik_bundle_builder_write(
    builder: *mut ik_bundle_builder,
    path: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: the header's contract for these arguments.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: as above.
        let path = unsafe { in_str(path, "path", MAX_PATH_LEN) }?;
        crate::bundle::build::write_atomically(Path::new(path), &b.builder.build()?)
    })
}
