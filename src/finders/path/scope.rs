//! The work one operation may make the path finder do: an import (all its levels, the namespace packages
//! recomputed on the way, the explaining pass after a miss), a find_spec, a path find. Every search of the
//! operation draws on one budget of `.ref` targets and `.ref` bytes, and a namespace package's current
//! locations are computed once per operation, so a hostile tree (ref files that fan out, deep chains of
//! namespace packages whose ref files name many targets) cannot make one import's work grow without bound.
//!
//! The operation is per thread and per runtime. A host callback (exec, create, a host finder, a release...)
//! may import: those imports are operations of their own, so the callback runs with the caller's operation
//! put aside ([`outside`]), and the caller's resumes after it; and an operation entered for another
//! runtime never joins the current one.

use std::cell::{Cell, RefCell};

use rustc_hash::FxHashMap;

use crate::limits::{MAX_REF_BYTES, MAX_REF_TARGETS};

/// What an operation has spent, made when it first spends (a lookup in a mount never does).
struct Operation {
    ref_targets: usize,
    ref_bytes: u64,
    /// Whether the explaining pass had its budget already (once per operation).
    refilled: bool,
    /// Made when the first namespace package is recomputed (most operations never need it); keyed by the
    /// runtime's generation of search locations too, so a callback that edits the search path meanwhile is
    /// seen.
    namespaces: Option<FxHashMap<(u64, String), Vec<String>>>,
}

impl Operation {
    fn fresh() -> Operation {
        Operation { ref_targets: MAX_REF_TARGETS, ref_bytes: MAX_REF_BYTES, refilled: false, namespaces: None }
    }
}

thread_local! {
    /// The runtime whose operation this thread is in (0 for none: runtime ids start at 1), with [`SPENDING`]
    /// set once the operation has spent something.
    static RUNTIME: Cell<u64> = const { Cell::new(0) };
    /// That operation's spending: `Some` exactly when `RUNTIME` has [`SPENDING`] set.
    static SPENT: RefCell<Option<Operation>> = const { RefCell::new(None) };
}

const SPENDING: u64 = 1 << 63;

/// Holds an operation open: a scope that starts one ends it when dropped (putting back an operation of
/// another runtime it set aside); scopes entered inside it for the same runtime share it.
pub struct Scope {
    outer: bool,
    previous: u64,
    aside: Option<Operation>,
}

/// Makes `runtime` (0: none) with `spent` the thread's operation; gives back the one that was (runtime, and
/// its spending if it had any). Nothing moves when neither has spent anything, the common case.
#[inline]
fn swap(runtime: u64, spent: Option<Operation>) -> (u64, Option<Operation>) {
    let mark = if spent.is_some() { runtime | SPENDING } else { runtime };
    let previous = RUNTIME.try_with(|r| r.replace(mark)).unwrap_or(0);
    let old = if previous & SPENDING == 0 && spent.is_none() { None } else { swap_spent(spent) };
    (previous & !SPENDING, old)
}

#[cold]
fn swap_spent(spent: Option<Operation>) -> Option<Operation> {
    SPENT.try_with(|s| s.replace(spent)).ok().flatten()
}

/// Enters an operation of runtime `runtime` (the current one, if this thread is in one of that runtime).
#[inline]
pub fn enter(runtime: u64) -> Scope {
    if RUNTIME.try_with(|r| r.get() & !SPENDING).unwrap_or(runtime) == runtime {
        return Scope { outer: false, previous: 0, aside: None };
    }
    let (previous, aside) = swap(runtime, None);
    Scope { outer: true, previous, aside }
}

impl Drop for Scope {
    #[inline]
    fn drop(&mut self) {
        if self.outer {
            let (_, ended) = swap(self.previous, self.aside.take());
            drop(ended);
        }
    }
}

/// A fresh `.ref` budget for the pass that explains a miss (it walks the same places again, and an
/// explanation cut short by the first pass's spending would explain nothing). So one import does at most
/// twice the budget's work.
pub fn refill_for_explaining() {
    with((), |op| {
        if !op.refilled {
            op.refilled = true;
            op.ref_targets = MAX_REF_TARGETS;
            op.ref_bytes = MAX_REF_BYTES;
        }
    });
}

/// Runs a host callback outside this thread's operation: what it imports is an operation of its own.
pub fn outside<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(u64, Option<Operation>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let (_, theirs) = swap(self.0, self.1.take());
            drop(theirs);
        }
    }
    let (runtime, spent) = swap(0, None);
    let _restore = Restore(runtime, spent);
    f()
}

/// Runs `f` on the current operation's spending (made fresh on first use); `default` outside any operation.
fn with<T>(default: T, f: impl FnOnce(&mut Operation) -> T) -> T {
    let Ok(mark) = RUNTIME.try_with(|r| r.get()) else { return default };
    if mark == 0 {
        return default;
    }
    let Ok(result) = SPENT.try_with(|s| f(s.borrow_mut().get_or_insert_with(Operation::fresh))) else {
        return default;
    };
    let _ = RUNTIME.try_with(|r| r.set(mark | SPENDING));
    result
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

/// How many `.ref` bytes this operation may still read.
pub fn ref_bytes_left() -> u64 {
    with(u64::MAX, |op| op.ref_bytes)
}

/// Counts `n` bytes of `.ref` files read.
pub fn spend_ref_bytes(n: u64) {
    with((), |op| op.ref_bytes = op.ref_bytes.saturating_sub(n));
}

/// The current locations of namespace package `name`, computed earlier in this operation while the
/// runtime's search locations were at `generation`.
pub fn namespace(generation: u64, name: &str) -> Option<Vec<String>> {
    with(None, |op| op.namespaces.as_ref().and_then(|n| n.get(&(generation, name.to_owned())).cloned()))
}

/// Remembers the current locations of namespace package `name` (at `generation`) for the rest of this
/// operation.
pub fn remember_namespace(generation: u64, name: &str, locations: &[String]) {
    with((), |op| {
        op.namespaces.get_or_insert_with(FxHashMap::default).insert((generation, name.to_owned()), locations.to_vec());
    });
}
