//! importkit: a module-import engine with Python's semantics (PEP 302/420/451) for any host.
//!
//! The host brings the executor (module objects, running code); importkit brings names, specs, finders,
//! the module table with circular-import semantics, per-module locks, policy and errors.
//!
//! ```
//! use std::sync::Arc;
//! use importkit::{MountFile, MountMode, Runtime};
//!
//! let rt = Runtime::default();
//! rt.mount("game", vec![MountFile::new("__init__.py", ""), MountFile::new("core.py", "x = 1")], MountMode::New, None)
//!     .unwrap();
//! let spec = rt.find_spec("game.core", None).unwrap();
//! assert_eq!(spec.origin(), "memory:/game/core.py");
//! ```

// `unsafe` lives in `src/ffi/` and the file mapping `src/bundle/map.rs` only (which allow it, each block
// with a `// SAFETY:` line).
#![deny(unsafe_code)]

pub mod bundle;
pub mod error;
pub mod executor;
pub mod ffi;
pub mod finders;
pub mod limits;
pub mod name;
pub mod name_map;
pub mod policy;
pub mod profile;
pub mod runtime;
pub mod spec;
pub mod text;

pub use bundle::{Bundle, BundleBuilder, BundleModule};
pub use error::{Attempt, Error, ErrorCode, HostError, Result};
pub use executor::{Executor, ModuleHandle};
pub use finders::host::{EntryFinder, EntryFound, HostFinder, HostFound, PathHook};
pub use finders::memory::MountFile;
pub use finders::native::NativeFlags;
pub use finders::{
    FileReader, Finder, FinderId, Found, ModuleBytes, ModuleInfo, NativeFactory, Query, Resource, Source, Trace,
};
pub use profile::{IdentifierRule, Profile};
pub use runtime::{CodeCacheStats, CodeQuery, ModuleCode, ModuleState, MountMode, Runtime, DEFAULT_CODE_CACHE_LIMIT};
pub use spec::{HostData, ModuleKind, ModuleSpec};

/// The version of importkit, as `major.minor.patch`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
