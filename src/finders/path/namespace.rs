//! The locations a search of the path goes through: the search path, a package's locations, or those of a
//! namespace package the path finder made, recomputed as they are now (`PathFinder::child_locations`).

use std::sync::Arc;

use crate::spec::{ModuleKind, ModuleSpec};

/// The entries a search goes through, borrowed from where they are kept.
pub enum Locations<'a> {
    SearchPath(Arc<Vec<String>>),
    Spec(&'a ModuleSpec),
    Owned(Vec<String>),
}

impl Locations<'_> {
    pub fn entries(&self) -> Vec<&str> {
        match self {
            Locations::SearchPath(p) => p.iter().map(String::as_str).collect(),
            Locations::Owned(p) => p.iter().map(String::as_str).collect(),
            Locations::Spec(s) => s.locations().collect(),
        }
    }
}

/// A namespace package made by the path finder (its locations follow the search path).
pub fn is_path_namespace(spec: &ModuleSpec) -> bool {
    spec.kind() == ModuleKind::Namespace && spec.origin().starts_with("namespace:")
}
