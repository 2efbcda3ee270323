//! The work one operation may make the path finder do: an import (all its levels, the namespace packages
//! recomputed on the way, the explaining pass after a miss), a find_spec, a path find. Every search of the
//! operation draws on one budget of `.ref` targets and `.ref` bytes, and a namespace package's current
//! locations are computed once per operation, so a hostile tree (ref files that fan out, deep chains of
//! namespace packages whose ref files name many targets) cannot make one import's work grow without bound.
//!
//! The operation is per thread. A host callback (exec, create, a host finder...) may import: those imports
//! are operations of their own, so the callback runs with the caller's operation put aside
//! ([`outside`]), and the caller's resumes after it.

use std::cell::RefCell;

use rustc_hash::FxHashMap;

use crate::limits::{MAX_REF_BYTES, MAX_REF_TARGETS};

struct Operation {
    ref_targets: usize,
    ref_bytes: u64,
    /// Made when the first namespace package is recomputed (most operations never need it); keyed by the
    /// runtime too, since one thread's operation may reach two runtimes.
    namespaces: Option<FxHashMap<(u64, String), Vec<String>>>,
}

thread_local! {
    static CURRENT: RefCell<Option<Operation>> = const { RefCell::new(None) };
}

/// Holds an operation open: the outermost scope on a thread starts one and ends it when dropped; scopes
/// entered inside it share it.
pub struct Scope {
    outer: bool,
}

/// Enters an operation (a new one, unless this thread is in one already).
pub fn enter() -> Scope {
    let outer = CURRENT
        .try_with(|c| {
            let mut c = c.borrow_mut();
            if c.is_some() {
                return false;
            }
            *c = Some(Operation { ref_targets: MAX_REF_TARGETS, ref_bytes: MAX_REF_BYTES, namespaces: None });
            true
        })
        .unwrap_or(false);
    Scope { outer }
}

impl Drop for Scope {
    fn drop(&mut self) {
        if self.outer {
            let ended = CURRENT.try_with(|c| c.borrow_mut().take()).ok().flatten();
            drop(ended);
        }
    }
}

/// A fresh `.ref` budget for the pass that explains a miss (it walks the same places again, and an
/// explanation cut short by the first pass's spending would explain nothing). So one import does at most
/// twice the budget's work.
pub fn refill_for_explaining() {
    with((), |op| {
        op.ref_targets = MAX_REF_TARGETS;
        op.ref_bytes = MAX_REF_BYTES;
    });
}

/// Runs a host callback outside this thread's operation: what it imports is an operation of its own.
pub fn outside<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Operation>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let saved = self.0.take();
            let _ = CURRENT.try_with(|c| *c.borrow_mut() = saved);
        }
    }
    let saved = CURRENT.try_with(|c| c.borrow_mut().take()).ok().flatten();
    let _restore = Restore(saved);
    f()
}

fn with<T>(default: T, f: impl FnOnce(&mut Operation) -> T) -> T {
    CURRENT.try_with(|c| c.borrow_mut().as_mut().map(f)).ok().flatten().unwrap_or(default)
}

/// Takes one `.ref` target (or one `.ref` file read) from the budget; false once it is spent. Outside any
/// operation nothing is budgeted (every search enters one, so that does not happen).
pub fn take_ref_target() -> bool {
    with(true, |op| {
        if op.ref_targets == 0 {
            return false;
        }
        op.ref_targets -= 1;
        true
    })
}

/// Whether the budget of `.ref` targets is spent.
pub fn ref_targets_spent() -> bool {
    with(false, |op| op.ref_targets == 0)
}

/// How many `.ref` bytes this operation may still read.
pub fn ref_bytes_left() -> u64 {
    with(u64::MAX, |op| op.ref_bytes)
}

/// Counts `n` bytes of `.ref` files read.
pub fn spend_ref_bytes(n: u64) {
    with((), |op| op.ref_bytes = op.ref_bytes.saturating_sub(n));
}

/// The current locations of namespace package `name` of runtime `runtime`, computed earlier in this
/// operation.
pub fn namespace(runtime: u64, name: &str) -> Option<Vec<String>> {
    with(None, |op| op.namespaces.as_ref().and_then(|n| n.get(&(runtime, name.to_owned())).cloned()))
}

/// Remembers the current locations of namespace package `name` of runtime `runtime` for the rest of this
/// operation.
pub fn remember_namespace(runtime: u64, name: &str, locations: &[String]) {
    with((), |op| {
        op.namespaces.get_or_insert_with(FxHashMap::default).insert((runtime, name.to_owned()), locations.to_vec());
    });
}
