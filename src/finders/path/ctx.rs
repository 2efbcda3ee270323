//! What one search of the path needs from its runtime (profile, recheck window, confinement roots, the
//! operation it belongs to), and the path helpers every entry finder shares.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{confine, scope};
use crate::error::Attempt;
use crate::finders::trace::Trace;
use crate::profile::Profile;

/// Joins paths as CPython's `_path_join` does on POSIX: parts stripped of trailing separators, joined with
/// `/`, no other normalisation.
pub fn join(a: &str, b: &str) -> String {
    let parts: Vec<&str> = [a, b].into_iter().filter(|p| !p.is_empty()).map(|p| p.trim_end_matches('/')).collect();
    parts.join("/")
}

/// An I/O error as a few words for a person.
pub(crate) fn describe(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "does not exist".into(),
        _ if e.raw_os_error() == Some(libc::ENOTDIR) => "not a directory".into(),
        _ => e.to_string(),
    }
}

/// What a search needs from its runtime.
pub struct Ctx<'a> {
    /// The runtime's id (its operations are its own).
    pub runtime: u64,
    pub profile: &'a Profile,
    pub recheck: Duration,
    /// When the search started: one clock read for every directory it checks.
    pub now: std::time::Instant,
    pub roots: Arc<Vec<PathBuf>>,
    /// The operation this search belongs to (its `.ref` budget), entered when the search first needs it
    /// (a `.ref` file) and held open for the rest of the search: a search without ref files pays nothing.
    scope: std::cell::RefCell<Option<scope::Scope>>,
}

/// The one answer to a path that is not inside the allowed roots, whether it exists or not: a refusal
/// must not tell what lies outside.
pub const REFUSED: &str = "refused: outside the allowed roots, or does not exist";

impl Ctx<'_> {
    /// A context for one search; `roots` empty means no confinement.
    pub fn new<'a>(runtime: u64, profile: &'a Profile, recheck: Duration, roots: Arc<Vec<PathBuf>>) -> Ctx<'a> {
        let scope = std::cell::RefCell::new(None);
        Ctx { runtime, profile, recheck, now: std::time::Instant::now(), roots, scope }
    }

    /// Makes sure this search is part of an operation (the caller's, or one of its own until it ends).
    pub fn in_operation(&self) {
        let mut s = self.scope.borrow_mut();
        if s.is_none() {
            *s = Some(scope::enter(self.runtime));
        }
    }

    pub fn confined(&self) -> bool {
        !self.roots.is_empty()
    }

    /// Whether `path` resolves (links followed) inside the allowed roots; always when none are set.
    pub fn check_allowed(&self, path: &str) -> std::result::Result<(), String> {
        self.resolve_allowed(path).map(|_| ())
    }

    /// `path` resolved (links followed), if it lies inside the allowed roots; `Ok(None)` when none are set.
    /// The walk never looks outside the roots ([`confine::resolve_inside`]).
    pub fn resolve_allowed(&self, path: &str) -> std::result::Result<Option<PathBuf>, String> {
        if self.roots.is_empty() {
            return Ok(None);
        }
        match confine::resolve_inside(std::path::Path::new(path), &self.roots) {
            Some(real) => Ok(Some(real)),
            None => Err(REFUSED.to_owned()),
        }
    }

    /// [`Ctx::check_allowed`], noting a refusal.
    pub fn allowed(&self, path: &str, trace: &mut Trace) -> bool {
        match self.check_allowed(path) {
            Ok(()) => true,
            Err(why) => {
                trace.note_with(|| Some(Attempt::new(path, why)));
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn join_is_cpythons() {
        assert_eq!(join("/a/b/", "x.py"), "/a/b/x.py");
        assert_eq!(join("/a//b", "x"), "/a//b/x");
        assert_eq!(join("", "x"), "x");
        assert_eq!(join("/", "x"), "/x");
        assert_eq!(join("rel/", "x"), "rel/x");
    }
}
