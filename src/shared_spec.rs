//! A counted reference to a spec: what finders hand out, the module table keeps and the C ABI gives a host.
//!
//! A spec made on its own (a file the path finder found, a bundle's record, a host's answer) has its own
//! count. The specs a source makes all at once (a memory mount indexes its whole tree when it is mounted)
//! live side by side in one [`SpecSlab`] and are counted by it: handing one out, and giving it back, writes
//! the slab's count and never the spec's own memory. In a large tree looked up at random, that is a cache
//! line (and, on this kind of machine, a trip to main memory) a `find_spec` no longer makes: the spec is read
//! only when someone reads it.

use std::ops::Deref;
use std::sync::Arc;

use crate::spec::ModuleSpec;

/// Specs made together and counted together: alive while any of them is handed out, or the source that made
/// them lives.
#[derive(Debug, Default)]
pub struct SpecSlab {
    specs: Vec<ModuleSpec>,
}

impl SpecSlab {
    pub fn new(specs: Vec<ModuleSpec>) -> SpecSlab {
        SpecSlab { specs }
    }

    pub fn len(&self) -> usize {
        self.specs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// Spec `i` (a slab's user keeps its indices in range: they come from the slab's own making).
    pub fn get(&self, i: u32) -> &ModuleSpec {
        &self.specs[i as usize]
    }

    pub fn iter(&self) -> impl Iterator<Item = &ModuleSpec> {
        self.specs.iter()
    }
}

/// A spec, shared: its own count, or a slab's and its place there.
#[derive(Clone)]
pub struct SharedSpec(Counted);

#[derive(Clone)]
enum Counted {
    Alone(Arc<ModuleSpec>),
    InSlab(Arc<SpecSlab>, u32),
}

impl SharedSpec {
    /// A spec with a count of its own.
    pub fn new(spec: ModuleSpec) -> SharedSpec {
        SharedSpec(Counted::Alone(Arc::new(spec)))
    }

    /// Spec `i` of `slab`, counted by the slab. Reads nothing of the spec.
    pub fn in_slab(slab: &Arc<SpecSlab>, i: u32) -> SharedSpec {
        debug_assert!((i as usize) < slab.len());
        SharedSpec(Counted::InSlab(Arc::clone(slab), i))
    }

    /// The spec with a count of its own (what a C host gets as a plain pointer), or this one back when it is
    /// counted by a slab.
    pub fn into_alone(self) -> Result<Arc<ModuleSpec>, SharedSpec> {
        match self.0 {
            Counted::Alone(spec) => Ok(spec),
            slab => Err(SharedSpec(slab)),
        }
    }

    /// Whether two shared specs are the same spec (not only equal ones), as `Arc::ptr_eq` says of one count.
    pub fn ptr_eq(a: &SharedSpec, b: &SharedSpec) -> bool {
        match (&a.0, &b.0) {
            (Counted::Alone(a), Counted::Alone(b)) => Arc::ptr_eq(a, b),
            (Counted::InSlab(a, i), Counted::InSlab(b, j)) => Arc::ptr_eq(a, b) && i == j,
            _ => false,
        }
    }

    /// The spec itself, copied only when it is shared.
    pub fn into_spec(self) -> ModuleSpec {
        match self.0 {
            Counted::Alone(spec) => Arc::unwrap_or_clone(spec),
            Counted::InSlab(slab, i) => slab.get(i).clone(),
        }
    }
}

impl Deref for SharedSpec {
    type Target = ModuleSpec;

    fn deref(&self) -> &ModuleSpec {
        match &self.0 {
            Counted::Alone(spec) => spec,
            Counted::InSlab(slab, i) => slab.get(*i),
        }
    }
}

impl From<ModuleSpec> for SharedSpec {
    fn from(spec: ModuleSpec) -> SharedSpec {
        SharedSpec::new(spec)
    }
}

impl From<Arc<ModuleSpec>> for SharedSpec {
    fn from(spec: Arc<ModuleSpec>) -> SharedSpec {
        SharedSpec(Counted::Alone(spec))
    }
}

/// Two shared specs are equal when the specs are (as `Arc`'s equality compares what it points to).
impl PartialEq for SharedSpec {
    fn eq(&self, other: &SharedSpec) -> bool {
        **self == **other
    }
}

impl Eq for SharedSpec {}

impl std::fmt::Debug for SharedSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::ModuleKind;

    fn spec(name: &str) -> ModuleSpec {
        ModuleSpec::new(name, &format!("memory:/{name}.py"), ModuleKind::Source, false)
    }

    #[test]
    fn a_slab_spec_is_counted_by_its_slab_and_outlives_the_source() {
        let slab = Arc::new(SpecSlab::new(vec![spec("a"), spec("b")]));
        let b = SharedSpec::in_slab(&slab, 1);
        assert_eq!(Arc::strong_count(&slab), 2);
        drop(slab);
        assert_eq!(b.name(), "b");
        let copy = b.clone();
        assert_eq!(copy, b);
        assert!(SharedSpec::ptr_eq(&copy, &b));
        assert!(!SharedSpec::ptr_eq(&copy, &SharedSpec::new(spec("b"))));
        assert_eq!(copy.into_spec(), spec("b"));
        assert!(b.into_alone().is_err());
    }

    #[test]
    fn a_spec_alone_keeps_its_own_count() {
        let a = SharedSpec::new(spec("a"));
        let same = a.clone();
        let arc = same.into_alone().unwrap();
        assert_eq!(Arc::strong_count(&arc), 2);
        assert_eq!(SharedSpec::from(arc), a);
        assert_ne!(a, SharedSpec::new(spec("b")));
    }
}
