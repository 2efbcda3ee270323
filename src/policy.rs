//! Which top-level names may be imported at all.
//!
//! Deny wins over allow. With no allow list every name is allowed; with one, only the names on it (or every
//! name, after `allow("*")`); `deny("*")` denies every name. A native registered as powerful (and every name
//! below it) is denied unless its top-level name is on the allow list by name: allow-all does not reach it.

use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::RwLock;
use rustc_hash::FxHashSet;

use crate::error::{Error, ErrorCode, Result};
use crate::name;

/// A runtime's policy, read by every import and changed rarely: while it denies nothing (the default, with
/// no powerful native registered) a check is one atomic load, not a lock.
#[derive(Debug)]
pub struct SharedPolicy {
    rules: RwLock<Policy>,
    /// Whether the rules let every name through; changed under the write lock, after the rules.
    open: AtomicBool,
}

impl Default for SharedPolicy {
    fn default() -> Self {
        SharedPolicy { rules: RwLock::new(Policy::default()), open: AtomicBool::new(true) }
    }
}

impl SharedPolicy {
    /// Checks the absolute name `full`.
    #[inline]
    pub fn check(&self, full: &str) -> Result<()> {
        if self.open.load(Ordering::Acquire) {
            return Ok(());
        }
        self.rules.read().check(full)
    }

    /// Changes the rules.
    pub fn edit<T>(&self, edit: impl FnOnce(&mut Policy) -> T) -> T {
        let mut rules = self.rules.write();
        let out = edit(&mut rules);
        self.open.store(rules.is_open(), Ordering::Release);
        out
    }

    /// A copy of the rules as they are.
    pub fn snapshot(&self) -> Policy {
        self.rules.read().clone()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Policy {
    allow: FxHashSet<String>,
    allow_all: bool,
    deny: FxHashSet<String>,
    deny_all: bool,
    /// Full names registered as powerful natives (kept by the runtime, not cleared with the rules).
    powerful: FxHashSet<String>,
}

impl Policy {
    /// Allows a top-level name, or every name with `*`.
    pub fn allow(&mut self, top: &str) {
        if top == "*" {
            self.allow_all = true;
        } else {
            self.allow.insert(top.to_owned());
        }
    }

    /// Denies a top-level name, or every name with `*`.
    pub fn deny(&mut self, top: &str) {
        if top == "*" {
            self.deny_all = true;
        } else {
            self.deny.insert(top.to_owned());
        }
    }

    /// Back to the default: everything allowed but powerful natives.
    pub fn clear(&mut self) {
        self.allow.clear();
        self.allow_all = false;
        self.deny.clear();
        self.deny_all = false;
    }

    /// Marks a native's full name as powerful, or no longer.
    pub fn set_powerful(&mut self, name: &str, powerful: bool) {
        if powerful {
            self.powerful.insert(name.to_owned());
        } else {
            self.powerful.remove(name);
        }
    }

    /// The powerful native that `full` is or lies below (the outermost one), if any.
    fn powerful_native<'a>(&self, full: &'a str) -> Option<&'a str> {
        if self.powerful.is_empty() {
            return None;
        }
        full.match_indices('.').map(|(i, _)| &full[..i]).chain([full]).find(|p| self.powerful.contains(*p))
    }

    fn restricted(&self) -> bool {
        self.allow_all || !self.allow.is_empty()
    }

    /// Whether every name passes.
    fn is_open(&self) -> bool {
        self.deny.is_empty() && !self.deny_all && self.powerful.is_empty() && !self.restricted()
    }

    /// Checks the absolute name `full`.
    pub fn check(&self, full: &str) -> Result<()> {
        if self.is_open() {
            return Ok(());
        }
        let top = name::top_level(full);
        let why = if self.deny_all {
            "every name is denied".to_owned()
        } else if self.deny.contains(top) {
            format!("'{top}' is on the deny list")
        } else if let Some(native) = self.powerful_native(full).filter(|_| !self.allow.contains(top)) {
            if native == top {
                format!("'{top}' is a powerful native and is not on the allow list")
            } else {
                format!("'{native}' is a powerful native and '{top}' is not on the allow list")
            }
        } else if self.restricted() && !self.allow_all && !self.allow.contains(top) {
            format!("'{top}' is not on the allow list")
        } else {
            return Ok(());
        };
        Err(Error::new(ErrorCode::Denied, format!("import of '{full}' denied by policy: {why}")).for_module(full))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_wins_and_powerful_needs_its_name() {
        let mut p = Policy::default();
        p.check("anything.at.all").unwrap();
        p.set_powerful("fs", true);
        assert!(p.check("fs").is_err());
        p.allow("*");
        assert!(p.check("fs.path").unwrap_err().message().contains("powerful native"));
        p.allow("fs");
        p.check("fs.path").unwrap();
        p.set_powerful("engine.io", true);
        p.check("engine").unwrap();
        assert!(p.check("engine.io.file").unwrap_err().message().contains("powerful native"));
        p.clear();
        assert!(p.check("fs").is_err(), "clearing the rules keeps natives powerful");
        p.allow("fs");
        p.deny("fs");
        let e = p.check("fs.path").unwrap_err();
        assert_eq!(e.code(), ErrorCode::Denied);
        assert_eq!(e.message(), "import of 'fs.path' denied by policy: 'fs' is on the deny list");
        assert_eq!(e.module(), Some("fs.path"));
    }

    #[test]
    fn a_denial_names_the_powerful_module() {
        let mut p = Policy::default();
        p.set_powerful("eng.io", true);
        p.check("eng").unwrap();
        let e = p.check("eng.io.file").unwrap_err();
        assert_eq!(
            e.message(),
            "import of 'eng.io.file' denied by policy: 'eng.io' is a powerful native and 'eng' is not on the allow list"
        );
    }

    #[test]
    fn allow_list_restricts() {
        let mut p = Policy::default();
        p.allow("game");
        p.check("game.core").unwrap();
        assert!(p.check("os").unwrap_err().message().contains("not on the allow list"));
        p.clear();
        p.check("os").unwrap();
        p.deny("*");
        assert_eq!(p.check("os").unwrap_err().message(), "import of 'os' denied by policy: every name is denied");
    }
}
