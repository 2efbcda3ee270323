//! The panic boundary every `extern "C"` function runs in: an error or a caught panic becomes a status and
//! an error object, never an unwind into the host.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::error::{self, ik_error};
use super::status::ik_status;
use crate::error::{Error, Result};

/// Runs `body` inside the panic boundary: its error, or a caught panic as `IK_ERR_INTERNAL`, is reported
/// through `out_error` and returned as a status.
pub(crate) fn boundary(out_error: *mut *mut ik_error, body: impl FnOnce() -> Result<()>) -> ik_status {
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Err(Error::internal(format!("internal error in importkit (please report it): {what}")))
    });
    match outcome {
        Ok(()) => ik_status::IK_OK,
        Err(e) => {
            let status = ik_status::from(e.code());
            error::store(out_error, e);
            status
        }
    }
}
