//! Finders: the native registry, memory mounts, host finders, and the path finder over the filesystem.

pub mod host;
pub mod memory;
pub mod native;
pub mod path;

use std::sync::Arc;

use crate::executor::HostFinder;
use memory::MountedTree;

/// Identifies a mount or host finder on a runtime's meta path, for removal.
pub type FinderId = u64;

/// One entry of a runtime's meta path.
#[derive(Clone)]
pub enum MetaFinder {
    Mount(FinderId, Arc<MountedTree>),
    Host(FinderId, Arc<dyn HostFinder>),
}

impl MetaFinder {
    pub fn id(&self) -> FinderId {
        match self {
            MetaFinder::Mount(id, _) | MetaFinder::Host(id, _) => *id,
        }
    }
}
