//! Per-module import locks with deadlock detection by a waits-for graph (as CPython 3.12 does it).
//!
//! A lock is owned by one thread and re-entrant for it. A thread about to wait first follows the chain
//! "owner of the lock I want -> the lock that owner waits on -> its owner ..."; if the chain comes back to
//! itself, waiting would deadlock, and the caller resolves the cycle instead (with the partial module).
//!
//! A lock also remembers how its last import attempt ended, so that threads that were waiting for that
//! attempt all see its error, while a thread arriving later tries again.

use std::sync::Arc;
use std::thread::{self, ThreadId};

use parking_lot::{Condvar, Mutex};
use rustc_hash::FxHashMap;

use crate::error::Error;

struct Slot {
    owner: Option<ThreadId>,
    depth: u32,
    waiters: u32,
    /// Import attempts finished under this lock.
    attempts: u64,
    /// The attempt number and error of the last attempt, if it failed.
    failure: Option<(u64, Error)>,
    cond: Arc<Condvar>,
}

#[derive(Default)]
struct State {
    slots: FxHashMap<Box<str>, Slot>,
    /// Which module lock each waiting thread waits on.
    waiting: FxHashMap<ThreadId, Box<str>>,
}

#[derive(Default)]
pub struct ImportLocks {
    state: Mutex<State>,
}

/// The outcome of asking for a module's lock.
pub enum Acquired<'a> {
    Owned(LockGuard<'a>),
    /// Waiting would close a cycle of threads; the text names the chain.
    WouldDeadlock(String),
}

/// A held module lock; released on drop.
pub struct LockGuard<'a> {
    locks: &'a ImportLocks,
    name: Box<str>,
    reentrant: bool,
    failure: Option<Error>,
    outcome: Option<Option<Error>>,
}

impl LockGuard<'_> {
    /// This thread held the lock already (a cycle within one thread).
    pub fn reentrant(&self) -> bool {
        self.reentrant
    }

    /// The error of an attempt this thread waited for, if that attempt failed.
    pub fn failure_seen(&self) -> Option<&Error> {
        self.failure.as_ref()
    }

    /// Records how this thread's import attempt ended, for the threads waiting on it.
    pub fn finish(mut self, outcome: Option<Error>) {
        self.outcome = Some(outcome);
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        // What this drop replaces or removes goes after the mutex: an error may hold a host's payload, whose
        // release may import.
        let mut gone: (Option<(u64, Error)>, Option<Slot>) = (None, None);
        let mut st = self.locks.state.lock();
        let Some(slot) = st.slots.get_mut(&*self.name) else { return };
        if let Some(outcome) = self.outcome.take() {
            slot.attempts += 1;
            gone.0 = std::mem::replace(&mut slot.failure, outcome.map(|e| (slot.attempts, e)));
        }
        slot.depth -= 1;
        if slot.depth == 0 {
            slot.owner = None;
            if slot.waiters > 0 {
                slot.cond.notify_one();
            } else {
                gone.1 = st.slots.remove(&*self.name);
            }
        }
        drop(st);
        drop(gone);
    }
}

impl State {
    fn new_slot() -> Slot {
        Slot { owner: None, depth: 0, waiters: 0, attempts: 0, failure: None, cond: Arc::new(Condvar::new()) }
    }

    /// The chain of waits from `name`'s owner, if it leads back to `me`.
    fn cycle(&self, name: &str, me: ThreadId) -> Option<String> {
        let mut chain = vec![format!("'{name}'")];
        let mut owner = self.slots.get(name)?.owner;
        for _ in 0..=self.waiting.len() {
            let t = owner?;
            if t == me {
                return Some(chain.join(" -> "));
            }
            let next = self.waiting.get(&t)?;
            chain.push(format!("'{next}'"));
            owner = self.slots.get(next)?.owner;
        }
        None
    }
}

impl ImportLocks {
    /// Takes the lock of `name`, waiting for its owner unless that would deadlock.
    pub fn acquire(&self, name: &str) -> Acquired<'_> {
        let me = thread::current().id();
        let mut st = self.state.lock();
        let slot = st.slots.entry(name.into()).or_insert_with(State::new_slot);
        if slot.owner.is_none() || slot.owner == Some(me) {
            let reentrant = slot.owner.is_some();
            slot.owner = Some(me);
            slot.depth += 1;
            return Acquired::Owned(self.guard(name, reentrant, None));
        }
        let start = slot.attempts;
        loop {
            if let Some(chain) = st.cycle(name, me) {
                return Acquired::WouldDeadlock(chain);
            }
            let cond = {
                let slot = st.slots.get_mut(name).expect("a slot with waiters stays");
                slot.waiters += 1;
                Arc::clone(&slot.cond)
            };
            st.waiting.insert(me, name.into());
            cond.wait(&mut st);
            st.waiting.remove(&me);
            let slot = st.slots.get_mut(name).expect("a slot with waiters stays");
            slot.waiters -= 1;
            if slot.owner.is_none() {
                slot.owner = Some(me);
                slot.depth = 1;
                let failure = slot.failure.as_ref().filter(|(n, _)| *n > start).map(|(_, e)| e.clone());
                return Acquired::Owned(self.guard(name, false, failure));
            }
        }
    }

    fn guard(&self, name: &str, reentrant: bool, failure: Option<Error>) -> LockGuard<'_> {
        LockGuard { locks: self, name: name.into(), reentrant, failure, outcome: None }
    }

    /// How many module locks exist (held or waited on): zero when no import is under way.
    pub fn live(&self) -> usize {
        self.state.lock().slots.len()
    }
}
