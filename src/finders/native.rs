//! The native registry: module names the host serves with factories, looked up by full name.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::executor::NativeFactory;
use crate::name;
use crate::spec::{Content, Found, ModuleKind, ModuleSpec};

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
        let is_package = native.flags.package || self.children.contains_key(name);
        let spec = ModuleSpec::new(name, &format!("builtin:{name}"), ModuleKind::Native, is_package);
        Some(Found { spec: Arc::new(spec), content: Content::Native(native.factory.clone()) })
    }
}
