//! How a bundle command fails: a usage error (exit status 2) or a failure of the work (1), each told in one
//! line on standard error naming the file and what was wrong.

use std::process::ExitCode;

pub enum Failure {
    /// The command line is wrong: an unknown flag, a missing value, a missing or extra argument.
    Usage(String),
    /// The work failed: a file missing, unreadable, not a bundle, corrupt; an output that cannot be written.
    Failed(String),
}

pub type Outcome<T> = Result<T, Failure>;

pub fn usage(what: impl Into<String>) -> Failure {
    Failure::Usage(what.into())
}

pub fn failed(what: impl Into<String>) -> Failure {
    Failure::Failed(what.into())
}

impl Failure {
    /// Tells the failure on standard error (one line: newlines in it are escaped) and gives its exit status.
    pub fn exit(self) -> ExitCode {
        let (what, code) = match self {
            Failure::Usage(w) => (w, 2),
            Failure::Failed(w) => (w, 1),
        };
        eprintln!("importkit: {}", what.replace('\n', "\\n"));
        ExitCode::from(code)
    }
}
