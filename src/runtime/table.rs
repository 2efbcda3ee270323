//! The module table (`sys.modules`): full name -> record. A generation counter moves whenever a record that
//! readers may have cached stops being valid (removed, replaced) or the policy changes, so the per-thread
//! cache of ready modules can trust its entries with one atomic load.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;
use rustc_hash::FxHashMap;

use crate::executor::{Executor, ModuleHandle};
use crate::spec::ModuleSpec;

/// Whether a module in the table has finished executing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleState {
    /// In the table, executing (a cycle sees it like this).
    Initializing,
    /// Executed, or put in the table by the host.
    Ready,
}

/// The host's executor as a runtime holds it: shared with every module object, which releases itself
/// through whichever executor is set when its last reference goes.
pub(crate) type ExecutorSlot = RwLock<Option<Arc<dyn Executor>>>;

/// One reference-counted hold on a host module object. The table holds one, and so does every import that
/// hands the object to a callback (`exec`, `bind`, `has_attr`, `all_names`) for as long as the callback
/// runs, so no other thread's removal or replacement can release an object a callback is using. The host's
/// `release` runs once, when the last hold goes, and never under one of importkit's locks (a record is
/// always dropped after the lock that guarded it).
pub(crate) struct ModuleObject {
    handle: ModuleHandle,
    executor: Arc<ExecutorSlot>,
}

impl ModuleObject {
    pub(crate) fn new(handle: ModuleHandle, executor: &Arc<ExecutorSlot>) -> Arc<ModuleObject> {
        Arc::new(ModuleObject { handle, executor: Arc::clone(executor) })
    }
}

impl Drop for ModuleObject {
    fn drop(&mut self) {
        let executor = self.executor.read().clone();
        if let Some(e) = executor {
            // The host's code may import (even from another runtime): not as part of whatever operation
            // dropped this object.
            crate::finders::path::scope::outside(|| e.release(self.handle));
        }
    }
}

impl fmt::Debug for ModuleObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ModuleObject({:#x})", self.handle)
    }
}

/// One module of the table.
#[derive(Debug, Clone)]
pub struct Record {
    /// `None` for a module the host put in the table itself.
    pub spec: Option<Arc<ModuleSpec>>,
    pub state: ModuleState,
    object: Arc<ModuleObject>,
}

impl Record {
    pub(crate) fn new(spec: Option<Arc<ModuleSpec>>, object: Arc<ModuleObject>, state: ModuleState) -> Self {
        Record { spec, state, object }
    }

    /// The host's module object. It stays alive while this record (or another hold) exists.
    pub fn handle(&self) -> ModuleHandle {
        self.object.handle
    }

    pub fn is_package(&self) -> bool {
        self.spec.as_ref().is_some_and(|s| s.is_package())
    }
}

#[derive(Default)]
pub struct ModuleTable {
    map: RwLock<FxHashMap<Box<str>, Record>>,
    generation: AtomicU64,
}

impl ModuleTable {
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Invalidates every cached lookup (before the handles concerned are released).
    pub fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub fn get(&self, name: &str) -> Option<Record> {
        self.map.read().get(name).cloned()
    }

    /// The specs of `name` and of `other` (outer `None`: not in the table; inner: a module the host put
    /// there without one), under one lock, without taking a hold on their objects.
    #[allow(clippy::type_complexity)]
    pub fn spec_pair(
        &self,
        name: &str,
        other: Option<&str>,
    ) -> (Option<Option<Arc<ModuleSpec>>>, Option<Option<Arc<ModuleSpec>>>) {
        let map = self.map.read();
        let own = map.get(name).map(|r| r.spec.clone());
        match other {
            None => (own, None),
            Some(o) => (own, map.get(o).map(|r| r.spec.clone())),
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.map.read().contains_key(name)
    }

    /// Puts a record in; gives back the one it replaced, for the caller to drop outside the lock.
    pub fn insert(&self, name: &str, record: Record) -> Option<Record> {
        let old = self.map.write().insert(name.into(), record);
        if old.is_some() {
            self.bump();
        }
        old
    }

    /// Puts a ready record of the host's `handle` in. A record of the same object keeps its hold (one
    /// object, one release); otherwise `hold` makes a new one. Gives back the record it replaced.
    pub fn insert_handle(
        &self,
        name: &str,
        spec: Option<Arc<ModuleSpec>>,
        handle: ModuleHandle,
        hold: impl FnOnce() -> Arc<ModuleObject>,
    ) -> Option<Record> {
        let mut map = self.map.write();
        let object = match map.get(name) {
            Some(r) if r.handle() == handle => Arc::clone(&r.object),
            _ => hold(),
        };
        let old = map.insert(name.into(), Record::new(spec, object, ModuleState::Ready));
        drop(map);
        if old.is_some() {
            self.bump();
        }
        old
    }

    /// Marks the module ready if `handle` is still its record; returns the record now in the table (the
    /// module may have replaced itself while executing).
    pub fn finish(&self, name: &str, handle: ModuleHandle) -> Option<Record> {
        let mut map = self.map.write();
        let record = map.get_mut(name)?;
        if record.handle() == handle {
            record.state = ModuleState::Ready;
        }
        Some(record.clone())
    }

    /// After a reload of `handle` under `name`: gives its record the new spec if it is still the record there,
    /// and returns the record now in the table (the module may have replaced itself while executing).
    pub fn reloaded(&self, name: &str, handle: ModuleHandle, spec: Arc<ModuleSpec>) -> Option<Record> {
        let mut map = self.map.write();
        let record = map.get_mut(name)?;
        if record.handle() == handle {
            record.spec = Some(spec);
        }
        Some(record.clone())
    }

    pub fn remove(&self, name: &str) -> Option<Record> {
        let old = self.map.write().remove(name);
        if old.is_some() {
            self.bump();
        }
        old
    }

    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.map.read().keys().map(|k| k.to_string()).collect();
        names.sort_unstable();
        names
    }

    pub fn len(&self) -> usize {
        self.map.read().len()
    }

    /// Empties the table; the caller drops the records (releasing what only they held).
    pub fn drain(&self) -> Vec<Record> {
        let records: Vec<Record> = self.map.write().drain().map(|(_, r)| r).collect();
        self.bump();
        records
    }
}
