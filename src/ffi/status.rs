//! `ik_status`: the result of every fallible C function, one value per [`ErrorCode`] plus `IK_OK`.

use std::ffi::{c_char, CStr};

use crate::error::{error_codes, ErrorCode};

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
    /// Reading or writing a file the caller named failed (a bundle being written, a cache directory); the
    /// message names the file and the system's reason.
    IK_ERR_IO = 13,
}

/// The conversions between [`ErrorCode`] and `ik_status`, made from the table of `src/error.rs`. The compiler
/// checks that the table and the enum agree exactly: a C name of the table that the enum lacks, or a value
/// that differs, does not compile (`From` and the assertions), and neither does an enum variant the table
/// lacks (`ik_status::name` matches every variant).
macro_rules! status_conversions {
    ($($(#[$doc:meta])* $variant:ident => $c_name:ident = $value:literal,)*) => {
        const _: () = {
            $(assert!(
                ik_status::$c_name as i32 == $value,
                concat!(stringify!($c_name), " has another value in ik_status than in src/error.rs")
            );)*
        };

        impl From<ErrorCode> for ik_status {
            fn from(code: ErrorCode) -> Self {
                match code {
                    $(ErrorCode::$variant => ik_status::$c_name,)*
                }
            }
        }

        impl ik_status {
            /// The C name (`IK_ERR_NOT_FOUND`).
            fn name(self) -> &'static CStr {
                match self {
                    ik_status::IK_OK => c"IK_OK",
                    $(ik_status::$c_name => const { c_str(concat!(stringify!($c_name), "\0")) },)*
                }
            }
        }

        /// The error code of a status value a host returned, `None` for `IK_OK` or a value that is no status.
        pub(crate) fn code_of(status: i32) -> Option<ErrorCode> {
            match status {
                $($value => Some(ErrorCode::$variant),)*
                _ => None,
            }
        }
    };
}
error_codes!(status_conversions);

/// A NUL-terminated literal as a C string, at compile time.
pub(super) const fn c_str(text: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(text.as_bytes()) {
        Ok(c) => c,
        Err(_) => panic!("a C name is one NUL-terminated word"),
    }
}

/// The name of a status value (`"IK_ERR_NOT_FOUND"`), static; `"IK_UNKNOWN_STATUS"` for other values.
#[no_mangle]
pub extern "C" fn ik_status_name(status: i32) -> *const c_char {
    let known = if status == 0 { Some(ik_status::IK_OK) } else { code_of(status).map(ik_status::from) };
    known.map_or(c"IK_UNKNOWN_STATUS", ik_status::name).as_ptr()
}

/// The names and values of an enum of the generated header (`include/importkit.h`), in their order.
#[cfg(test)]
pub(super) fn header_enum(name: &str) -> Vec<(String, i64)> {
    let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/importkit.h")).unwrap();
    let end = format!("}} {name};");
    let body = header.split("typedef enum {").find(|b| b.contains(&end)).unwrap();
    body[..body.find(&end).unwrap()]
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//") && !l.is_empty())
        .map(|l| {
            let (name, value) = l.trim_end_matches(',').split_once(" = ").unwrap();
            (name.to_owned(), value.parse().unwrap())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_of(status: i32) -> &'static str {
        // SAFETY: ik_status_name returns a static C string.
        unsafe { CStr::from_ptr(ik_status_name(status)) }.to_str().unwrap()
    }

    #[test]
    fn codes_map_one_to_one() {
        let mut last = 0;
        for &c in ErrorCode::ALL {
            let s = ik_status::from(c) as i32;
            assert!(s > last, "ErrorCode::ALL is in the order of the values, each once");
            last = s;
            assert_eq!(code_of(s), Some(c));
            assert_eq!(name_of(s), format!("IK_ERR_{}", c.name()));
        }
        assert_eq!(name_of(0), "IK_OK");
        assert_eq!(code_of(0), None);
        assert_eq!(code_of(99), None);
        assert_eq!(name_of(99), "IK_UNKNOWN_STATUS");
        assert_eq!(name_of(-1), "IK_UNKNOWN_STATUS");
    }

    /// The header's `ik_status` (what C, LuaJIT and the Python binding read) is the table: same names, same
    /// values, same order, nothing more.
    #[test]
    fn the_header_enum_is_the_table() {
        let mut table = vec![("IK_OK".to_owned(), 0)];
        table.extend(ErrorCode::ALL.iter().map(|&c| (format!("IK_ERR_{}", c.name()), ik_status::from(c) as i64)));
        assert_eq!(header_enum("ik_status"), table);
    }
}
