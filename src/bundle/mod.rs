//! The bundle (`.ikb`): importkit's own single-file container of modules, compiled code, resources and
//! distribution metadata (docs/BUNDLE.md). `format.rs` reads one (checked, O(1) to open); `build.rs` writes
//! one (deterministic); `map.rs` holds a bundle file's bytes; `sources.rs` reads the directories, archives
//! and bundles a build takes its files from; `trailer.rs` finds a bundle appended to an executable. Mounted
//! as a meta-path source by `finders/bundle.rs`.

pub mod build;
pub mod format;
pub mod map;
pub mod sources;
pub mod trailer;

pub use build::{BundleBuilder, BundleModule};
pub use format::{BlobInfo, Bundle, ModuleEntry};
pub use map::{FileBytes, Load};
pub use trailer::{append, appended, Trailer};
