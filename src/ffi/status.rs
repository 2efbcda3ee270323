//! `ik_status`: the result of every fallible C function, one value per [`ErrorCode`] plus `IK_OK`.

use crate::error::ErrorCode;

/// The result of a fallible importkit call. `IK_OK` is 0; every error is a distinct positive value that
/// stays the same across versions. Callbacks return these values as `int32_t`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ik_status {
    /// Success.
    IK_OK = 0,
    /// An argument is unusable: NULL where a value is needed, invalid UTF-8, an embedded NUL, over a limit,
    /// a vtable whose size field does not match.
    IK_ERR_INVALID_ARGUMENT = 1,
    /// A module name is not valid: empty, an empty segment, a character or segment the profile refuses, too
    /// many segments. (A string over its byte limit, or not UTF-8, is IK_ERR_INVALID_ARGUMENT.)
    IK_ERR_INVALID_NAME = 2,
    /// No finder found the module (CPython's ModuleNotFoundError); the error lists every place tried.
    IK_ERR_NOT_FOUND = 3,
    /// The import failed for another reason (CPython's ImportError), e.g. a relative import beyond the
    /// top-level package.
    IK_ERR_IMPORT = 4,
    /// The runtime's policy refuses the name; nothing was created or called.
    IK_ERR_DENIED = 5,
    /// The host's executor failed creating or executing the module; the error carries its message.
    IK_ERR_EXEC = 6,
    /// A host finder or native factory reported a failure.
    IK_ERR_HOST = 7,
    /// Importing would deadlock and no partial module exists to return.
    IK_ERR_DEADLOCK = 8,
    /// The mount point, native or entry exists already.
    IK_ERR_EXISTS = 9,
    /// A mounted tree is malformed (`..`, absolute paths, backslashes, empty segments, duplicates).
    IK_ERR_INVALID_MOUNT = 10,
    /// Something the call needs is missing: no executor, nothing mounted there, no such finder.
    IK_ERR_UNAVAILABLE = 11,
    /// A bug in importkit (a caught panic); the runtime stays usable.
    IK_ERR_INTERNAL = 12,
}

impl From<ErrorCode> for ik_status {
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::InvalidArgument => ik_status::IK_ERR_INVALID_ARGUMENT,
            ErrorCode::InvalidName => ik_status::IK_ERR_INVALID_NAME,
            ErrorCode::NotFound => ik_status::IK_ERR_NOT_FOUND,
            ErrorCode::Import => ik_status::IK_ERR_IMPORT,
            ErrorCode::Denied => ik_status::IK_ERR_DENIED,
            ErrorCode::Exec => ik_status::IK_ERR_EXEC,
            ErrorCode::Host => ik_status::IK_ERR_HOST,
            ErrorCode::Deadlock => ik_status::IK_ERR_DEADLOCK,
            ErrorCode::Exists => ik_status::IK_ERR_EXISTS,
            ErrorCode::InvalidMount => ik_status::IK_ERR_INVALID_MOUNT,
            ErrorCode::Unavailable => ik_status::IK_ERR_UNAVAILABLE,
            ErrorCode::Internal => ik_status::IK_ERR_INTERNAL,
        }
    }
}

const ALL: [ErrorCode; 12] = [
    ErrorCode::InvalidArgument,
    ErrorCode::InvalidName,
    ErrorCode::NotFound,
    ErrorCode::Import,
    ErrorCode::Denied,
    ErrorCode::Exec,
    ErrorCode::Host,
    ErrorCode::Deadlock,
    ErrorCode::Exists,
    ErrorCode::InvalidMount,
    ErrorCode::Unavailable,
    ErrorCode::Internal,
];

/// The error code of a status value a host returned, `None` for `IK_OK` or a value that is no status.
pub(crate) fn code_of(status: i32) -> Option<ErrorCode> {
    ALL.iter().copied().find(|c| ik_status::from(*c) as i32 == status)
}

/// The name of a status value (`"IK_ERR_NOT_FOUND"`), static; `"IK_UNKNOWN_STATUS"` for other values.
#[no_mangle]
pub extern "C" fn ik_status_name(status: i32) -> *const std::ffi::c_char {
    let name: &'static std::ffi::CStr = match code_of(status) {
        _ if status == 0 => c"IK_OK",
        Some(ErrorCode::InvalidArgument) => c"IK_ERR_INVALID_ARGUMENT",
        Some(ErrorCode::InvalidName) => c"IK_ERR_INVALID_NAME",
        Some(ErrorCode::NotFound) => c"IK_ERR_NOT_FOUND",
        Some(ErrorCode::Import) => c"IK_ERR_IMPORT",
        Some(ErrorCode::Denied) => c"IK_ERR_DENIED",
        Some(ErrorCode::Exec) => c"IK_ERR_EXEC",
        Some(ErrorCode::Host) => c"IK_ERR_HOST",
        Some(ErrorCode::Deadlock) => c"IK_ERR_DEADLOCK",
        Some(ErrorCode::Exists) => c"IK_ERR_EXISTS",
        Some(ErrorCode::InvalidMount) => c"IK_ERR_INVALID_MOUNT",
        Some(ErrorCode::Unavailable) => c"IK_ERR_UNAVAILABLE",
        Some(ErrorCode::Internal) => c"IK_ERR_INTERNAL",
        None => c"IK_UNKNOWN_STATUS",
    };
    name.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_one_to_one() {
        let mut seen = std::collections::HashSet::new();
        for c in ALL {
            let s = ik_status::from(c) as i32;
            assert!(s > 0 && seen.insert(s));
            assert_eq!(code_of(s), Some(c));
            // SAFETY: ik_status_name returns a static C string.
            let n = unsafe { std::ffi::CStr::from_ptr(ik_status_name(s)) }.to_str().unwrap();
            assert_eq!(n, format!("IK_ERR_{}", c.name()));
        }
        assert_eq!(code_of(0), None);
        assert_eq!(code_of(99), None);
    }
}
