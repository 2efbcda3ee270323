//! Reload (`importlib.reload`): a module of the table found again and executed again in the same module
//! object, under its import lock.

use super::import::{execute, Depth};
use super::locks::Acquired;
use super::Runtime;
use crate::error::{Error, ErrorCode, Result};
use crate::executor::ModuleHandle;
use crate::finders::path::scope;
use crate::finders::Source;
use crate::name;

fn cannot(name: &str, code: ErrorCode, why: String) -> Error {
    Error::new(code, format!("cannot reload '{name}': {why}")).for_module(name)
}

impl Runtime {
    /// `importlib.reload`: finds `name` again (its file may have changed, or moved to another entry or
    /// source) and executes it in the module object the table holds, under the module's import lock; the
    /// table's record then has the new spec. The module stays in the table whatever happens: when the find
    /// or the execution fails, its record is as it was and the error comes back. A module being reloaded
    /// (or first imported) by this thread, that reloads itself, is given back as it is. Returns the module
    /// now under `name` (a module may replace itself while it executes).
    pub fn reload(&self, name: &str) -> Result<ModuleHandle> {
        name::validate(name, &self.inner.profile)?;
        let name = name::normalize_init(name, &self.inner.profile);
        let _depth = Depth::enter(name)?;
        let _operation = scope::enter(self.inner.id);
        let not_there = || cannot(name, ErrorCode::NotFound, "it is not in the module table (import it first)".into());
        if !self.inner.table.contains(name) {
            return Err(not_there());
        }
        self.check_policy(name)?;
        let guard = match self.inner.locks.acquire(name) {
            Acquired::Owned(guard) => guard,
            Acquired::WouldDeadlock(chain) => {
                let why = format!("its import lock is held by a thread that waits on {chain}");
                return Err(cannot(name, ErrorCode::Deadlock, why));
            }
        };
        // Read under the lock: an import that held it may have finished (or failed) meanwhile.
        let record = self.inner.table.get(name).ok_or_else(not_there)?;
        if guard.reentrant() {
            return Ok(record.handle());
        }
        let parent = match name::parent(name) {
            None => None,
            Some(parent) => match self.inner.table.get(parent) {
                Some(r) => match r.spec {
                    Some(spec) if spec.is_package() => Some(spec),
                    _ => return Err(Error::not_a_package(name, parent)),
                },
                None => {
                    let why = format!("its parent '{parent}' is not in the module table");
                    return Err(cannot(name, ErrorCode::Import, why));
                }
            },
        };
        let found = self.find(name, parent.as_deref())?;
        match &found.source {
            // A native's module object is complete when made: there is nothing to run again.
            Source::Native(_) => {}
            source => {
                let executor = self
                    .executor()
                    .ok_or_else(|| cannot(name, ErrorCode::Unavailable, "the runtime has no executor".into()))?;
                execute(executor.as_ref(), &self.inner.code_cache, &found.spec, source, record.handle())?;
            }
        }
        // Still under the lock, so reloads of one module land in the order they ran. The guard records no
        // attempt (an error above neither): a failed reload is not a failed import, and whoever waits for the
        // lock finds the module in the table.
        let removed = || {
            let why = "it was removed from the module table while it was reloaded".to_owned();
            cannot(name, ErrorCode::Import, why)
        };
        let now = self.inner.table.reloaded(name, record.handle(), found.spec).ok_or_else(removed);
        drop(guard);
        Ok(now?.handle())
    }
}
