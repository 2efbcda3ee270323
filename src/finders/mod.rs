//! Finders: every source of modules, behind the meta-path protocol (`protocol.rs`): the native registry,
//! memory mounts, host finders and the path finder, whose entries are served behind the entry protocol
//! (`path/entry.rs`). A new source is one new file here (or under `path/` for a path entry kind) and one
//! registration line. See docs/ARCHITECTURE.md.

pub mod bundle;
pub mod host;
pub mod memory;
pub mod native;
pub mod path;
pub mod protocol;
pub mod source;
pub mod trace;

pub use protocol::{Finder, FinderId, Found, ModuleInfo, Query};
pub use source::{FileReader, ModuleBytes, NativeFactory, Resource, Source};
pub use trace::Trace;
