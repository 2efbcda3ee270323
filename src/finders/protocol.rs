//! The meta-path protocol: what every source of modules answers (CPython's `sys.meta_path` finders, with
//! the resource and listing questions `importlib.resources` and `pkgutil` ask of a loader).
//!
//! A runtime's meta path is one ordered list of [`Finder`]s: the native registry first, the path finder last,
//! mounts and host finders where the host put them. The first finder to find a module or regular package
//! wins; namespace portions keep collecting until then (see `runtime/import.rs`).

use std::sync::Arc;

use super::source::{Resource, Source};
use super::trace::Trace;
use crate::error::Result;
use crate::spec::ModuleSpec;

/// Identifies an entry of a runtime's meta path (a mount, a host finder, a source the host added), for
/// removal.
pub type FinderId = u64;

/// A spec and where its module's bytes are: what a finder returns.
#[derive(Debug, Clone)]
pub struct Found {
    pub spec: Arc<ModuleSpec>,
    pub source: Source,
    /// A namespace portion (the spec's kind is namespace), said apart so that the search loop need not read
    /// the spec (a cache line of its own, in a large tree) to know.
    pub portion: bool,
}

impl Found {
    pub fn new(spec: ModuleSpec, source: Source) -> Found {
        Found::shared(Arc::new(spec), source)
    }

    /// A spec the finder keeps too.
    pub fn shared(spec: Arc<ModuleSpec>, source: Source) -> Found {
        let portion = spec.kind() == crate::spec::ModuleKind::Namespace;
        Found { spec, source, portion }
    }
}

/// What a finder is asked for: one module, with what the runtime knows around it.
pub struct Query<'a> {
    /// The full dotted name.
    pub name: &'a str,
    /// The parent package's spec (`None` for a top-level name): its locations are where to look.
    pub parent: Option<&'a ModuleSpec>,
    /// The explaining pass after a miss: a finder that runs host code notes itself instead of asking again.
    pub explaining: bool,
    /// The runtime's virtual root: modules of sources without real files get a virtual `file` under it.
    pub virtual_root: Option<&'a str>,
    /// The spec of a module in the runtime's table (a namespace package's locations follow its parent's).
    pub table: &'a dyn Fn(&str) -> Option<Arc<ModuleSpec>>,
}

/// A module a source can list (`pkgutil.iter_modules`): its last name segment and whether it is a package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleInfo {
    pub name: String,
    pub is_package: bool,
}

/// A source of modules on the meta path. Every method may be called from several threads at once; none is
/// called with a lock of the runtime's held. `read_resource`, `resources` and `iter_modules` about a package
/// are asked only of the sources that serve it now (the first that finds it, as its loader would be; every one
/// with a portion of a namespace package); a source gives `Ok(None)` (or nothing) for what it does not hold.
pub trait Finder: Send + Sync {
    /// How the finder is named in errors, traces and the meta-path listing (`memory:/game`, `host:assets`).
    fn place(&self) -> String;

    /// Finds `query.name`: a module, a regular package, a namespace portion (a spec of kind namespace) or
    /// nothing. A miss notes why in `trace` where that helps a person (cheaply: only when tracing).
    fn find(&self, query: &Query, trace: &mut Trace) -> Result<Option<Found>>;

    /// Drops what the finder caches (`importlib.invalidate_caches`).
    fn invalidate(&self) {}

    /// The bytes of resource `resource` of `package` (a relative `/`-separated path, checked already: no
    /// empty, `.` or `..` segment), if `package` is this source's and has that file.
    fn read_resource(&self, package: &ModuleSpec, resource: &str, query: &Query) -> Result<Option<Resource>> {
        let _ = (package, resource, query);
        Ok(None)
    }

    /// The names of the entries of `package` (files and directories, modules included, as
    /// `importlib.resources.contents`), if `package` is this source's.
    fn resources(&self, package: &ModuleSpec, query: &Query) -> Result<Option<Vec<String>>> {
        let _ = (package, query);
        Ok(None)
    }

    /// The modules and packages this source serves directly inside `package` (top-level ones for `None`).
    fn iter_modules(&self, package: Option<&ModuleSpec>, query: &Query) -> Result<Vec<ModuleInfo>> {
        let _ = (package, query);
        Ok(Vec::new())
    }

    /// The distribution metadata directories this source holds (`importlib.metadata`), by their path in the
    /// logical tree of mounts: a `*.dist-info` or `*.egg-info` directory at the top of a root mount
    /// (`foo-1.0.dist-info`), a bundle's metadata directories under its mount point (`app/foo-1.0.dist-info`).
    fn distributions(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// The bytes of the file at `path` in the logical tree of mounts (`foo-1.0.dist-info/RECORD`,
    /// `game/data/level.txt`; checked already: relative, no empty, `.` or `..` segment), if this source
    /// holds it.
    fn read_file(&self, path: &str) -> Result<Option<Resource>> {
        let _ = path;
        Ok(None)
    }

    /// The mount point, for a memory mount (mounts are replaced and unmounted by it).
    fn mount_point(&self) -> Option<&str> {
        None
    }
}
