//! The one error type of importkit.
//!
//! Every failure carries an [`ErrorCode`] that maps 1:1 onto the C `ik_status`, a message a person can read
//! (it names the module and every place tried), and the structured details behind that message.

use std::borrow::Cow;
use std::fmt;

use crate::limits::{MAX_ATTEMPT_TEXT, MAX_LISTED_ATTEMPTS, MAX_MESSAGE_LEN, MAX_QUOTED};

/// Text from outside (file contents, names a caller gave, a host's message) made safe to show: each control
/// character (NUL, newline, ESC...) is written as its escape (`\0`, `\n`, `\u{1b}`), so a message never
/// carries a terminal sequence and C's `strlen` always agrees with the length importkit reports.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unprintable) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unprintable(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A control character, or a bidirectional formatting character (which can make a message read otherwise
/// than it is: U+202E turns the text after it around).
fn unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Outside text (a line of a file, a name) as a message quotes it: in quotes, control characters escaped,
/// at most [`MAX_QUOTED`](crate::limits::MAX_QUOTED) bytes of it.
pub fn quote(text: &str) -> String {
    let mut end = text.len().min(MAX_QUOTED);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let more = if end < text.len() { format!("... ({} bytes)", text.len()) } else { String::new() };
    format!("'{}'{more}", printable(&text[..end]))
}

/// [`printable`] for an owned string, without a copy when it is clean already.
fn cleaned(s: String) -> String {
    match printable(&s) {
        Cow::Borrowed(_) => s,
        Cow::Owned(clean) => clean,
    }
}

/// The table of error codes, each written once: the [`ErrorCode`] variant with its documentation, the name
/// of its C status and the status's value. Adding a code is one entry here, plus its variant (with the
/// header's text) in the C enum `ik_status` of `src/ffi/status.rs`, which is written out because cbindgen
/// reads no macro output; the compiler refuses an entry and an enum that disagree (`status.rs`).
///
/// `error_codes!(then)` calls `then!` with every entry, as `#[doc...] Variant => IK_ERR_NAME = value,`.
macro_rules! error_codes {
    ($then:ident) => {
        $then! {
            /// A caller's argument is unusable: a NULL pointer, invalid UTF-8, an embedded NUL, an input over its
            /// limit, a vtable of an unknown size.
            InvalidArgument => IK_ERR_INVALID_ARGUMENT = 1,
            /// A module name is not a valid name under the runtime's profile (`ValueError` in CPython).
            InvalidName => IK_ERR_INVALID_NAME = 2,
            /// No finder found the module (`ModuleNotFoundError`).
            NotFound => IK_ERR_NOT_FOUND = 3,
            /// The import could not be carried out for another reason (`ImportError`): a relative import beyond
            /// the top-level package, a relative import with no known parent, a module that vanished from the
            /// table.
            Import => IK_ERR_IMPORT = 4,
            /// The policy of the runtime refuses the name.
            Denied => IK_ERR_DENIED = 5,
            /// The host's code failed while creating or executing a module (the host's message is kept).
            Exec => IK_ERR_EXEC = 6,
            /// A host callback (finder, native factory, hook) reported a failure of its own.
            Host => IK_ERR_HOST = 7,
            /// Importing would deadlock and no partial module exists to hand out.
            Deadlock => IK_ERR_DEADLOCK = 8,
            /// Something with that name or position exists already (a mount point, a native).
            Exists => IK_ERR_EXISTS = 9,
            /// A mounted tree is malformed (bad paths, duplicates, a file where a directory is needed).
            InvalidMount => IK_ERR_INVALID_MOUNT = 10,
            /// The runtime is missing something the operation needs (no executor, nothing to unmount).
            Unavailable => IK_ERR_UNAVAILABLE = 11,
            /// A bug in importkit: a panic caught at the C boundary or a broken internal invariant.
            Internal => IK_ERR_INTERNAL = 12,
            /// Reading or writing a file the caller named failed (a bundle written, a cache directory).
            Io => IK_ERR_IO = 13,
        }
    };
}
pub(crate) use error_codes;

/// `name` without its `IK_ERR_` prefix, at compile time (a C name without the prefix does not compile).
const fn without_prefix(name: &'static str) -> &'static str {
    match name.as_bytes() {
        [b'I', b'K', b'_', b'E', b'R', b'R', b'_', _, ..] => name.split_at("IK_ERR_".len()).1,
        _ => panic!("a C status name starts with IK_ERR_"),
    }
}

macro_rules! define_error_code {
    ($($(#[$doc:meta])* $variant:ident => $c_name:ident = $value:literal,)*) => {
        /// What kind of failure this is. Each code is one `ik_status` value (see `src/ffi/status.rs`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order of their status values.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// A short stable name, the C status without its `IK_ERR_` prefix.
            pub fn name(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => const { without_prefix(stringify!($c_name)) },)*
                }
            }
        }
    };
}
error_codes!(define_error_code);

/// One place a finder looked, and why it did not serve the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The place: `memory:/game`, `native`, `host:NAME`, a path entry.
    pub place: String,
    /// Why it passed: `no game/x.py, no game/x/__init__.py`, `not registered`.
    pub reason: String,
}

impl Attempt {
    /// An attempt; control characters in either part are escaped (see [`printable`]) and each part is cut
    /// at [`MAX_ATTEMPT_TEXT`] bytes.
    pub fn new(place: impl Into<String>, reason: impl Into<String>) -> Self {
        Attempt { place: clipped(cleaned(place.into())), reason: clipped(cleaned(reason.into())) }
    }
}

/// `s` cut at [`MAX_ATTEMPT_TEXT`] bytes (a character boundary), its full length said.
fn clipped(mut s: String) -> String {
    if s.len() > MAX_ATTEMPT_TEXT {
        let full = s.len();
        let mut end = MAX_ATTEMPT_TEXT;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str(&format!("... ({full} bytes)"));
    }
    s
}

/// What a host said when one of its callbacks failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostError {
    /// The status the host returned; `None` means a plain execution failure.
    pub code: Option<ErrorCode>,
    /// The host's own message, as it gave it.
    pub message: String,
    /// Line of the failure in the module's source, 0 when unknown.
    pub line: u32,
    /// Column of the failure, 0 when unknown.
    pub column: u32,
    /// The importkit error the host's code met and passes on unchanged (a nested import that failed).
    pub cause: Option<Box<Error>>,
    /// The host's own payload (its exception object, say), given back on the error ([`Error::host_data`]).
    pub data: Option<crate::spec::HostData>,
}

impl HostError {
    pub fn new(message: impl Into<String>) -> Self {
        HostError { message: message.into(), ..Default::default() }
    }

    pub fn with_code(code: ErrorCode, message: impl Into<String>) -> Self {
        HostError { code: Some(code), message: message.into(), ..Default::default() }
    }

    pub fn at(mut self, line: u32, column: u32) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    /// A failure that is a nested import's error passed on as it is.
    pub fn passing(cause: Error) -> Self {
        HostError {
            code: Some(cause.code()),
            message: cause.message().to_owned(),
            cause: Some(Box::new(cause)),
            ..Default::default()
        }
    }

    fn position(&self) -> String {
        match (self.line, self.column) {
            (0, _) => String::new(),
            (l, 0) => format!(" (line {l})"),
            (l, c) => format!(" (line {l}, column {c})"),
        }
    }
}

/// The error of every fallible operation in importkit (one pointer wide; the details are boxed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Box<Details>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Details {
    code: ErrorCode,
    message: String,
    module: Option<String>,
    attempts: Vec<Attempt>,
    host: Option<HostError>,
    /// The payload a callback attached while passing on another error (it replaces that error's own).
    passed_data: Option<crate::spec::HostData>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with a code and a complete message (control characters escaped, see [`printable`]).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error(Box::new(Details {
            code,
            message: cleaned(message.into()),
            module: None,
            attempts: Vec::new(),
            host: None,
            passed_data: None,
        }))
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidArgument, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Internal, message)
    }

    /// `No module named 'a.b' (place: reason; place: reason)`: the message of CPython's
    /// `ModuleNotFoundError` followed by every place tried.
    pub fn not_found(name: &str, attempts: Vec<Attempt>) -> Self {
        let name = printable(name);
        let mut message = format!("No module named '{name}'");
        if !attempts.is_empty() {
            // At most MAX_LISTED_ATTEMPTS places and about MAX_MESSAGE_LEN bytes: the error keeps them all.
            let mut places: Vec<String> = Vec::new();
            let mut len = message.len();
            for a in attempts.iter().take(MAX_LISTED_ATTEMPTS) {
                let place = format!("{}: {}", a.place, a.reason);
                if len + place.len() > MAX_MESSAGE_LEN {
                    break;
                }
                len += place.len() + 2;
                places.push(place);
            }
            if places.len() < attempts.len() {
                places.push(format!("{} more places, in the attempts", attempts.len() - places.len()));
            }
            message.push_str(" (");
            message.push_str(&places.join("; "));
            message.push(')');
        }
        Error(Box::new(Details {
            code: ErrorCode::NotFound,
            message,
            module: Some(name.into_owned()),
            attempts,
            host: None,
            passed_data: None,
        }))
    }

    /// `No module named 'a.b'; 'a' is not a package`.
    pub fn not_a_package(name: &str, parent: &str) -> Self {
        Error::new(ErrorCode::NotFound, format!("No module named '{name}'; '{parent}' is not a package"))
            .for_module(name)
    }

    /// A host callback failed while importing `name`. A nested import's error that the host passes on
    /// (a module that imports a missing one) comes through unchanged, as CPython lets the inner exception
    /// through (one that names no module gets `name`, the importing module, and says so); a host that
    /// gives only a status and a message keeps them; anything else becomes an `Exec` error naming the
    /// module.
    pub fn from_host(name: &str, what: &str, host: HostError) -> Self {
        Error::from_host_about(Some(name), what, host)
    }

    /// [`Error::from_host`] for a callback that works on no module in particular (a host finder listing
    /// the top-level modules): the error names none (a passed-on error keeps its own), and the message is
    /// `WHAT failed: ...`.
    pub fn from_host_unnamed(what: &str, host: HostError) -> Self {
        Error::from_host_about(None, what, host)
    }

    fn from_host_about(name: Option<&str>, what: &str, host: HostError) -> Self {
        if let Some(cause) = host.cause {
            let mut e = *cause;
            // The payload of the callback that passed the error on comes back with it.
            if host.data.is_some() {
                e.0.passed_data = host.data;
            }
            // An error about no module in particular (a relative import beyond the top-level package, a bad
            // argument) is about the import statement of the module executing: name that one.
            if let (None, Some(name)) = (&e.0.module, name) {
                e.0.message = format!("{} (in module '{}')", e.0.message, printable(name));
                e.0.module = Some(printable(name).into_owned());
            }
            return e;
        }
        let (code, message, module) = match host.code {
            // A nested import's status passed on with its message: keep both. The module it is about is not
            // known (it is not `name`, which was executing), so none is named: a fromlist must not take this
            // for "the submodule does not exist".
            Some(code) if !matches!(code, ErrorCode::Exec | ErrorCode::Host) => {
                (code, printable(&host.message).into_owned(), None)
            }
            code => {
                let detail = if host.message.is_empty() { "no message given" } else { host.message.as_str() };
                // `what` may hold a finder's name or a path entry: the whole message is made printable.
                let message = match name {
                    Some(name) => format!("{what} '{name}' failed: {detail}{}", host.position()),
                    None => format!("{what} failed: {detail}{}", host.position()),
                };
                (code.unwrap_or(ErrorCode::Exec), cleaned(message), name.map(|n| printable(n).into_owned()))
            }
        };
        Error(Box::new(Details { code, message, module, attempts: Vec::new(), host: Some(host), passed_data: None }))
    }

    /// Names `name` as the module the error is about unless it names one already (an error passed on from a
    /// nested import keeps the module it is about).
    pub fn or_module(self, name: &str) -> Self {
        if self.0.module.is_some() {
            self
        } else {
            self.for_module(name)
        }
    }

    /// Sets the name of the module the error is about (control characters escaped: a name a caller gave
    /// need not be valid).
    pub fn for_module(mut self, name: &str) -> Self {
        self.0.module = Some(printable(name).into_owned());
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The module the error is about, where there is one.
    pub fn module(&self) -> Option<&str> {
        self.0.module.as_deref()
    }

    /// Every place a finder looked, in order.
    pub fn attempts(&self) -> &[Attempt] {
        &self.0.attempts
    }

    /// What the host said, when a host callback failed.
    /// The payload the host attached when its callback failed (`ik_report_host_data`), if any.
    pub fn host_data(&self) -> Option<&crate::spec::HostData> {
        self.0.passed_data.as_ref().or_else(|| self.0.host.as_ref().and_then(|h| h.data.as_ref()))
    }

    pub fn host(&self) -> Option<&HostError> {
        self.0.host.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_lists_every_place() {
        let e = Error::not_found(
            "game.x",
            vec![
                Attempt::new("memory:/game", "no game/x.py, no game/x/__init__.py"),
                Attempt::new("native", "not registered"),
            ],
        );
        assert_eq!(
            e.message(),
            "No module named 'game.x' (memory:/game: no game/x.py, no game/x/__init__.py; native: not registered)"
        );
        assert_eq!(e.code(), ErrorCode::NotFound);
        assert_eq!(e.module(), Some("game.x"));
        assert_eq!(e.attempts().len(), 2);
    }

    #[test]
    fn host_failure_keeps_position_and_passes_nested_status() {
        let e = Error::from_host("a", "executing module", HostError::new("boom").at(3, 7));
        assert_eq!(e.code(), ErrorCode::Exec);
        assert_eq!(e.message(), "executing module 'a' failed: boom (line 3, column 7)");
        assert_eq!(e.host().unwrap().line, 3);
        let nested = Error::from_host(
            "a",
            "executing module",
            HostError::with_code(ErrorCode::NotFound, "No module named 'zz'"),
        );
        assert_eq!(nested.code(), ErrorCode::NotFound);
        assert_eq!(nested.message(), "No module named 'zz'");
    }
}
