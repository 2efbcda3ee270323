//! The code cache from C (docs/CODE_CACHE.md): its directory, its bound in memory, and its counters.

use std::ffi::c_char;

use super::args::in_opt_str;
use super::boundary::boundary;
use super::error::ik_error;
use super::runtime::runtime;
use super::status::ik_status;
use super::vtable::{write_sized, Vtable};
use crate::limits::MAX_PATH_LEN;
use crate::runtime::{CodeCacheStats, Runtime};

/// What a runtime's code cache has done since the runtime was made, and what it holds now
/// (`ik_runtime_code_cache_stats`). The first field is `sizeof(ik_code_cache_stats)`, set by the caller:
/// importkit writes the fields that size reaches and nothing past it (a newer library keeps serving an
/// older, smaller struct).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ik_code_cache_stats {
    /// `sizeof(ik_code_cache_stats)`, set by the caller before the call; importkit does not change it.
    pub size: u32,
    /// Written as 0 (it keeps the counters at the same offsets on every platform, with no padding).
    pub reserved: u32,
    /// Calls of the executor's `compile` that gave code.
    pub compiles: u64,
    /// Code a module's source held for the runtime's cache tag (a bundle's code entry, a host finder's
    /// `ik_found_set_code`), used without compiling.
    pub hits_source: u64,
    /// Code found in memory, compiled from the source the module has now.
    pub hits_memory: u64,
    /// Code found in the cache directory, every check passed.
    pub hits_directory: u64,
    /// Lookups that found no usable code (then `compile` is called, if the executor has one).
    pub misses: u64,
    /// Entries found and not trusted, each ignored: cache files that were stale, truncated, corrupt, or
    /// another module's or cache tag's (replaced once the module compiled again), and code of a source that
    /// failed its check.
    pub rejected: u64,
    /// Cache files written.
    pub stores: u64,
    /// Cache files that could not be written (a read-only directory, a full disk); the import went on.
    pub store_failures: u64,
    /// Entries dropped from memory to stay within the bound.
    pub evictions: u64,
    /// Entries held in memory now.
    pub entries: u64,
    /// Bytes of code held in memory now.
    pub bytes: u64,
    /// The bound on `bytes` (`ik_runtime_set_code_cache_limit`; 32 MiB unless set).
    pub limit: u64,
}

impl Vtable for ik_code_cache_stats {
    const NAME: &'static str = "ik_code_cache_stats";
    const LAYOUTS: &'static [usize] = &[std::mem::size_of::<ik_code_cache_stats>()];
}

/// Keeps compiled code in directory `dir` across runs and processes, or only in memory with NULL (the
/// default): one file per module and cache tag, written atomically (a temporary file renamed), and used
/// only when its source hash, cache tag and checksum all match; any other file is ignored and replaced.
/// `dir` must be an existing directory (a relative path is resolved now; it is not created; it need not be
/// writable: failed writes are counted in `store_failures`), else `IK_ERR_INVALID_ARGUMENT`, saying why;
/// the runtime's profile must have a cache tag (`ik_profile_set_cache_tag`), else `IK_ERR_UNAVAILABLE`.
/// Only an executor with `exec_code` uses the cache.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_set_code_cache_dir(
    rt: *const Runtime,
    dir: *const c_char,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        let rt = unsafe { runtime(rt) }?;
        // SAFETY: `dir` is NULL or a NUL-terminated string.
        let dir = unsafe { in_opt_str(dir, "dir", MAX_PATH_LEN) }?;
        rt.set_code_cache_dir(dir)
    })
}

/// Bounds the compiled code a runtime keeps in memory to `bytes` (32 MiB unless set; 0 keeps none, so
/// every import looks in the directory or compiles), dropping the least recently used code now if it holds
/// more. Code larger than the bound is used but not kept.
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_set_code_cache_limit(
    rt: *const Runtime,
    bytes: u64,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        unsafe { runtime(rt) }?.set_code_cache_limit(bytes);
        Ok(())
    })
}

/// Writes the code cache's counters into `*out_stats`, whose `size` the caller sets to
/// `sizeof(ik_code_cache_stats)` first (a size that is no released layout: `IK_ERR_INVALID_ARGUMENT`,
/// nothing written).
#[no_mangle]
pub unsafe extern "C" fn ik_runtime_code_cache_stats(
    rt: *const Runtime,
    out_stats: *mut ik_code_cache_stats,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        // SAFETY: forwarded from the caller.
        let s: CodeCacheStats = unsafe { runtime(rt) }?.code_cache_stats();
        let stats = ik_code_cache_stats {
            size: std::mem::size_of::<ik_code_cache_stats>() as u32,
            reserved: 0,
            compiles: s.compiles,
            hits_source: s.hits_source,
            hits_memory: s.hits_memory,
            hits_directory: s.hits_directory,
            misses: s.misses,
            rejected: s.rejected,
            stores: s.stores,
            store_failures: s.store_failures,
            evictions: s.evictions,
            entries: s.entries,
            bytes: s.bytes,
            limit: s.limit,
        };
        // SAFETY: `out_stats` is NULL or a writable ik_code_cache_stats of the size its first field gives.
        unsafe { write_sized(out_stats, &stats, "out_stats") }
    })
}
