//! The native registry: module names the host serves with factories, looked up by full name. The first
//! finder of every meta path.

use std::sync::Arc;

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use rustc_hash::FxHashMap;

use super::protocol::{Finder, Found, ModuleInfo, Query};
use super::source::{NativeFactory, Source};
use super::trace::Trace;
use crate::error::{Attempt, Result};
use crate::name;
use crate::spec::{ModuleKind, ModuleSpec};

/// Options of a registered native.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NativeFlags {
    /// Denied unless its top-level name is on the allow list by name.
    pub powerful: bool,
    /// A package even before any native submodule is registered.
    pub package: bool,
}

struct Native {
    factory: Arc<dyn NativeFactory>,
    flags: NativeFlags,
}

#[derive(Default)]
pub struct NativeRegistry {
    natives: FxHashMap<String, Native>,
    /// How many registered natives have each name as their parent: a native with children is a package.
    children: FxHashMap<String, usize>,
}

impl NativeRegistry {
    /// Registers `name`; whether it replaced a registration.
    pub fn register(&mut self, name: &str, factory: Arc<dyn NativeFactory>, flags: NativeFlags) -> bool {
        let replaced = self.natives.insert(name.to_owned(), Native { factory, flags }).is_some();
        if !replaced {
            if let Some(parent) = name::parent(name) {
                *self.children.entry(parent.to_owned()).or_default() += 1;
            }
        }
        replaced
    }

    /// Unregisters `name`; gives back its factory (for the caller to drop outside its lock).
    pub fn unregister(&mut self, name: &str) -> Option<Arc<dyn NativeFactory>> {
        let removed = self.natives.remove(name).map(|n| n.factory);
        if removed.is_some() {
            if let Some(parent) = name::parent(name) {
                if let Some(n) = self.children.get_mut(parent) {
                    *n -= 1;
                    if *n == 0 {
                        self.children.remove(parent);
                    }
                }
            }
        }
        removed
    }

    pub fn contains(&self, name: &str) -> bool {
        self.natives.contains_key(name)
    }

    /// Whether `name` is registered as a powerful native.
    pub fn is_powerful(&self, name: &str) -> bool {
        self.natives.get(name).is_some_and(|n| n.flags.powerful)
    }

    pub fn find(&self, name: &str) -> Option<Found> {
        let native = self.natives.get(name)?;
        let spec = ModuleSpec::new(name, &format!("builtin:{name}"), ModuleKind::Native, self.is_package(name));
        Some(Found::new(spec, Source::Native(native.factory.clone())))
    }

    fn is_package(&self, name: &str) -> bool {
        self.natives.get(name).is_some_and(|n| n.flags.package) || self.children.contains_key(name)
    }
}

/// The registry as the meta path's first finder. How many natives it holds is kept beside its lock, so a
/// runtime without natives answers a find with one atomic load.
#[derive(Default)]
pub struct Natives {
    registry: RwLock<NativeRegistry>,
    count: AtomicUsize,
}

/// The registry, locked for an edit; the count is brought up to date before the lock is released.
pub struct NativesWrite<'a> {
    guard: RwLockWriteGuard<'a, NativeRegistry>,
    count: &'a AtomicUsize,
}

impl Deref for NativesWrite<'_> {
    type Target = NativeRegistry;
    fn deref(&self) -> &NativeRegistry {
        &self.guard
    }
}

impl DerefMut for NativesWrite<'_> {
    fn deref_mut(&mut self) -> &mut NativeRegistry {
        &mut self.guard
    }
}

impl Drop for NativesWrite<'_> {
    fn drop(&mut self) {
        self.count.store(self.guard.natives.len(), Ordering::Release);
    }
}

impl Natives {
    pub fn read(&self) -> RwLockReadGuard<'_, NativeRegistry> {
        self.registry.read()
    }

    pub fn write(&self) -> NativesWrite<'_> {
        NativesWrite { guard: self.registry.write(), count: &self.count }
    }
}

impl Finder for Natives {
    fn place(&self) -> String {
        "native".to_owned()
    }

    fn find(&self, query: &Query, trace: &mut Trace) -> Result<Option<Found>> {
        let found = if self.count.load(Ordering::Acquire) == 0 { None } else { self.registry.read().find(query.name) };
        if found.is_none() {
            trace.note_with(|| Some(Attempt::new("native", "not registered")));
        }
        Ok(found)
    }

    /// The natives registered directly under `package` (a native package), or at the top level.
    fn iter_modules(&self, package: Option<&ModuleSpec>, _: &Query) -> Result<Vec<ModuleInfo>> {
        let registry = self.registry.read();
        let parent = match package {
            Some(p) if p.origin().starts_with("builtin:") => Some(p.name()),
            Some(_) => return Ok(Vec::new()),
            None => None,
        };
        let mut out: Vec<ModuleInfo> = registry
            .natives
            .keys()
            .filter(|n| name::parent(n) == parent)
            .map(|n| ModuleInfo { name: name::tail(n).to_owned(), is_package: registry.is_package(n) })
            .collect();
        out.sort();
        Ok(out)
    }
}
