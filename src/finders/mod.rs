//! Finders: the native registry, memory mounts and host finders (the filesystem path finder comes later).

pub mod host;
pub mod memory;
pub mod native;

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
