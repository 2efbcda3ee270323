//! `ik_runtime_get_code` (importlib's `InspectLoader.get_code`): what executing a module would get, for a
//! host that runs modules its own way (Lua's `require`).

use std::ffi::c_char;
use std::sync::Arc;

use super::args::{in_counted, out_ptr, write_out};
use super::boundary::boundary;
use super::error::ik_error;
use super::resources::ik_resource;
use super::runtime::runtime;
use super::status::ik_status;
use crate::error::Error;
use crate::limits::MAX_NAME_LEN;
use crate::runtime::{CodeQuery, Runtime};
use crate::spec::ModuleSpec;

/// `ik_runtime_get_code`: find a dotted name whole, as Lua's `require` does, without its parent: natives,
/// mounts, bundles and host finders by the full name, then each search path entry joined with the parent's
/// path (`a.b.c` as `<entry>/a/b/c.lua`).
pub const IK_CODE_WHOLE_NAME: u32 = 1;

/// `ik_runtime_get_code`: read the file of a module found on the search path (which `exec` would get as
/// NULL, the host reading it) to look up compiled code for it, as an import does for an executor with
/// `exec_code`.
pub const IK_CODE_FILES: u32 = 2;

/// What executing module `name` (`name_len` bytes, absolute) would get, without executing it or importing
/// anything (importlib's `InspectLoader.get_code`), for a host that runs modules its own way (Lua's
/// `require`, which runs no parent first). The module is found as `ik_runtime_find_spec` finds it (parents
/// found, not imported; a module in the table is found afresh), or with `IK_CODE_WHOLE_NAME` as a whole
/// name, as Lua's `require` finds one: by the sources that index full names (natives, mounts, bundles, host
/// finders), then on the search path with each entry joined with the parent's path (`a.b.c` as
/// `<entry>/a/b/c.lua` or `<entry>/a/b/c/init.lua`), so `a/b.lua` is found without `a` being a package. The
/// policy applies as to an import.
///
/// `*out_spec` receives the spec (free it with `ik_spec_free`). `*out_bytes` receives what `exec_code` or
/// `exec` would get, as an `ik_resource` (free it with `ik_resource_free`): compiled code for the runtime's
/// cache tag (`*out_is_code` true), where the executor has `exec_code` and there is code for the module's
/// source (its source's, as a bundle's code entry; the code cache's, in memory or in the directory; the
/// executor's `compile`, whose code is then kept: docs/CODE_CACHE.md, counted as an import counts it); else
/// the module's source bytes (`*out_is_code` false); or NULL for a module without bytes: a native, a
/// namespace package, or a file on the search path, which the host reads itself (unless `IK_CODE_FILES` and
/// the executor has `exec_code`: then importkit reads it). `flags`: `IK_CODE_WHOLE_NAME`, `IK_CODE_FILES`.
/// A runtime without an executor gives no code (a host that runs modules itself may set none): the source
/// bytes, or NULL for a file. `IK_ERR_NOT_FOUND` as for a find; a failing `compile`, or a source that cannot
/// be read, as for an import.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ik_runtime_get_code(
    rt: *const Runtime,
    name: *const c_char,
    name_len: usize,
    flags: u32,
    out_spec: *mut *const ModuleSpec,
    out_bytes: *mut *mut ik_resource,
    out_is_code: *mut bool,
    out_error: *mut *mut ik_error,
) -> ik_status {
    boundary(out_error, || {
        out_ptr(out_spec, "out_spec")?;
        out_ptr(out_bytes, "out_bytes")?;
        out_ptr(out_is_code, "out_is_code")?;
        if flags & !(IK_CODE_WHOLE_NAME | IK_CODE_FILES) != 0 {
            return Err(Error::invalid_argument(format!(
                "unknown flags {flags:#x} (IK_CODE_WHOLE_NAME, IK_CODE_FILES)"
            )));
        }
        // SAFETY: forwarded from the caller.
        let rt = unsafe { runtime(rt) }?;
        // SAFETY: `name` points at `name_len` readable bytes.
        let name = unsafe { in_counted(name, name_len, "name", MAX_NAME_LEN) }?;
        // A caller that takes no error object gets a miss without the pass that explains it.
        let query = CodeQuery {
            whole_name: flags & IK_CODE_WHOLE_NAME != 0,
            files: flags & IK_CODE_FILES != 0,
            quiet: out_error.is_null(),
        };
        let code = rt.get_code(name, query)?;
        let bytes = code.bytes.map_or(std::ptr::null_mut(), |b| Box::into_raw(Box::new(ik_resource::owned(b))));
        // SAFETY: checked by out_ptr.
        unsafe {
            write_out(out_spec, Arc::into_raw(code.spec));
            write_out(out_bytes, bytes);
            write_out(out_is_code, code.is_code);
        }
        Ok(())
    })
}
