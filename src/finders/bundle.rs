//! A bundle mounted as a meta-path source: the bundle's modules served under a top-level name (its root
//! package is that name) or at the root, as a memory tree of the same files would be. Mounted bundles and
//! mounted trees share one set of mount points (replaced and unmounted alike).
//!
//! Mounting is O(1) in the number of modules (the bundle is opened, not parsed). A find is one probe of the
//! bundle's index and a spec made from the record: origin `bundle:/<point>/<path>`, `file` only under the
//! runtime's virtual root. The module's bytes are `Source::Bytes(the bundle's modules, record)`, read and checked against
//! their CRC-32 when the module executes, and so is its compiled code for the runtime's cache tag, which the
//! code cache takes instead of compiling; resources are lent in place (`Resource::Held`).

use std::borrow::Cow;
use std::sync::Arc;

use super::memory::check_point;
use super::protocol::{Finder, Found, ModuleInfo, Query};
use super::source::{ModuleBytes, Resource, Source};
use super::trace::Trace;
use crate::bundle::format::{Bundle, ModuleEntry};
use crate::error::{quote, Attempt, Error, HostError, Result};
use crate::name;
use crate::profile::Profile;
use crate::spec::{ModuleKind, ModuleSpec};

/// The bundle's modules as a holder of bytes (item: module record), read when a module executes, checked
/// each time.
struct Modules(Arc<Bundle>);

impl ModuleBytes for Modules {
    fn read(&self, record: u32) -> std::result::Result<Cow<'_, [u8]>, HostError> {
        let as_host = |e: Error| HostError::with_code(e.code(), e.message());
        let m = self.0.module(record).map_err(as_host)?;
        self.0.module_bytes(&m).map_err(as_host)
    }

    /// The module's code entry for `cache_tag`, its blob checked against its CRC-32 as it is read.
    fn code(&self, record: u32, cache_tag: &str) -> std::result::Result<Option<Cow<'_, [u8]>>, HostError> {
        let as_host = |e: Error| HostError::with_code(e.code(), e.message());
        let m = self.0.module(record).map_err(as_host)?;
        match self.0.code(&m, cache_tag).map_err(as_host)? {
            Some(blob) => self.0.module_code(&m, cache_tag, blob).map(Some).map_err(as_host),
            None => Ok(None),
        }
    }
}

/// The bundle's files as a holder of bytes (item: file record), for resources lent in place.
struct Files(Arc<Bundle>);

impl ModuleBytes for Files {
    fn read(&self, record: u32) -> std::result::Result<Cow<'_, [u8]>, HostError> {
        self.0.file_bytes(record).map_err(|e| HostError::with_code(e.code(), e.message()))
    }
}

/// A bundle opened to be served (by a mount, or by a path entry into its file): the bundle and the holders
/// that found modules and resources keep (made once: a find costs a reference count).
pub struct Served {
    bundle: Arc<Bundle>,
    modules: Arc<Modules>,
    files: Arc<Files>,
}

impl Served {
    pub fn new(bundle: Bundle) -> Served {
        let bundle = Arc::new(bundle);
        let (modules, files) = (Arc::new(Modules(Arc::clone(&bundle))), Arc::new(Files(Arc::clone(&bundle))));
        Served { bundle, modules, files }
    }

    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// Where the bytes of module `m` are: read (and checked) when it executes.
    pub fn source(&self, m: &ModuleEntry) -> Source {
        match m.blob {
            Some(_) => Source::Bytes(Arc::clone(&self.modules) as Arc<dyn ModuleBytes>, m.number),
            None => Source::None,
        }
    }

    /// Where the bytes of file record `record` are, as a module's source: read (and checked) when it executes.
    pub fn file_source(&self, record: u32) -> Source {
        Source::Bytes(Arc::clone(&self.files) as Arc<dyn ModuleBytes>, record)
    }

    /// The file at `path` (relative to the bundle's root) as a resource lent in place, if there is one.
    pub fn resource(&self, path: &str) -> Result<Option<Resource>> {
        let record = self.bundle().file_record(path)?;
        Ok(record.map(|r| Resource::Held(Arc::clone(&self.files) as Arc<dyn ModuleBytes>, r)))
    }
}

/// A mounted bundle.
pub struct BundleMount {
    point: String,
    served: Served,
}

impl BundleMount {
    /// Mounts `bundle` at `point` (a top-level name, or `""` for the root), checked as a memory mount's.
    pub fn new(point: &str, bundle: Bundle, profile: &Profile) -> Result<BundleMount> {
        check_point(point, profile)?;
        Ok(BundleMount { point: point.to_owned(), served: Served::new(bundle) })
    }

    /// The bundle this mount serves.
    pub fn bundle(&self) -> &Bundle {
        self.served.bundle()
    }

    /// Where `path` of the bundle (relative to its root) is in the logical tree of mounts.
    fn tree_path(&self, path: &str) -> String {
        if self.point.is_empty() {
            path.to_owned()
        } else {
            format!("{}/{path}", self.point)
        }
    }

    /// The place of a mount at `point`: `bundle:/game`, `bundle:/` for the root.
    pub fn place_of(point: &str) -> String {
        format!("bundle:/{point}")
    }

    /// `name` relative to the bundle's root (`""`: the point itself), if the mount covers it.
    fn relative<'a>(&self, name: &'a str) -> Option<&'a str> {
        if self.point.is_empty() {
            return Some(name);
        }
        match name.strip_prefix(self.point.as_str())? {
            "" => Some(""),
            rest => rest.strip_prefix('.'),
        }
    }

    /// The parts of `bundle:/<point>/<path>` (no empty segment: the root's path and the root mount's point
    /// are left out).
    fn origin_of<'a>(&'a self, path: &'a str) -> [&'a str; 4] {
        let sep = if self.point.is_empty() || path.is_empty() { "" } else { "/" };
        ["bundle:/", &self.point, sep, path]
    }

    fn spec(&self, full: &str, m: &ModuleEntry, virtual_root: Option<&str>) -> ModuleSpec {
        let parts = self.origin_of(m.path);
        let mut spec = ModuleSpec::with_origin_of(full, &parts, m.kind, m.is_package);
        let origin = spec.origin();
        // Where a package's submodules are: its own origin for a namespace package, its file's directory.
        let location_len = match m.kind {
            ModuleKind::Namespace => Some(origin.len()),
            _ if m.is_package => Some(origin.rfind('/').unwrap_or("bundle:".len())),
            _ => None,
        };
        let logical_len = origin.len() - "bundle:/".len();
        if let Some(len) = location_len {
            let location = spec.origin()[..len].to_owned();
            spec.push_location(&location);
        }
        if let (Some(root), true) = (virtual_root, m.kind != ModuleKind::Namespace) {
            let mut file = String::with_capacity(root.len() + 1 + logical_len);
            file.push_str(root);
            file.push('/');
            file.push_str(&spec.origin()["bundle:/".len()..]);
            spec = spec.with_file(Some(&file));
        }
        spec
    }

    /// The bundle's record of package `package`, if this mount holds a package of that name.
    fn package(&self, package: &ModuleSpec) -> Result<Option<ModuleEntry<'_>>> {
        let Some(rel) = self.relative(package.name()) else { return Ok(None) };
        Ok(self.bundle().find(rel).map_err(|e| e.for_module(package.name()))?.filter(|m| m.is_package))
    }
}

impl Finder for BundleMount {
    fn place(&self) -> String {
        Self::place_of(&self.point)
    }

    fn find(&self, query: &Query, trace: &mut Trace) -> Result<Option<Found>> {
        let Some(rel) = self.relative(query.name) else { return Ok(None) };
        let Some(m) = self.bundle().find(rel).map_err(|e| e.for_module(query.name))? else {
            trace.note_with(|| Some(Attempt::new(self.place(), format!("no module {} in the bundle", quote(rel)))));
            return Ok(None);
        };
        let spec = self.spec(query.name, &m, query.virtual_root);
        Ok(Some(Found::new(spec, self.served.source(&m))))
    }

    fn read_resource(&self, package: &ModuleSpec, resource: &str, _: &Query) -> Result<Option<Resource>> {
        let Some(m) = self.package(package)? else { return Ok(None) };
        let dir = m.dir();
        let path = if dir.is_empty() { resource.to_owned() } else { format!("{dir}/{resource}") };
        self.served.resource(&path).map_err(|e| e.for_module(package.name()))
    }

    /// The files and directories directly in the package's directory.
    fn resources(&self, package: &ModuleSpec, _: &Query) -> Result<Option<Vec<String>>> {
        let Some(m) = self.package(package)? else { return Ok(None) };
        let names = self.bundle().list_dir(m.dir()).map_err(|e| e.for_module(package.name()))?;
        Ok(Some(names.into_iter().map(str::to_owned).collect()))
    }

    /// The modules and packages the bundle holds directly under `package` (or at the top level), namespace
    /// directories left out as pkgutil leaves out a directory without an init file.
    fn iter_modules(&self, package: Option<&ModuleSpec>, _: &Query) -> Result<Vec<ModuleInfo>> {
        let info = |name: &str, m: &ModuleEntry| ModuleInfo { name: name.to_owned(), is_package: m.is_package };
        let Some(package) = package else {
            if self.point.is_empty() {
                let top = self.bundle().children("")?;
                return Ok(top.iter().filter(|m| m.kind != ModuleKind::Namespace).map(|m| info(m.name, m)).collect());
            }
            let root = self.bundle().find("")?.filter(|m| m.kind != ModuleKind::Namespace);
            return Ok(root.map(|m| info(&self.point, &m)).into_iter().collect());
        };
        let Some(rel) = self.relative(package.name()) else { return Ok(Vec::new()) };
        let children = self.bundle().children(rel).map_err(|e| e.for_module(package.name()))?;
        let mut out: Vec<ModuleInfo> =
            children.iter().filter(|m| m.kind != ModuleKind::Namespace).map(|m| info(name::tail(m.name), m)).collect();
        out.sort();
        Ok(out)
    }

    /// The bundle's metadata directories (docs/BUNDLE.md, *Metadata*), under the mount point.
    fn distributions(&self) -> Result<Vec<String>> {
        let dirs = self.bundle().metadata()?;
        Ok(dirs.iter().map(|(name, _)| self.tree_path(name)).collect())
    }

    fn read_file(&self, path: &str) -> Result<Option<Resource>> {
        let inner = match self.point.as_str() {
            "" => Some(path),
            point => path.strip_prefix(point).and_then(|p| p.strip_prefix('/')),
        };
        match inner {
            Some(inner) => self.served.resource(inner),
            None => Ok(None),
        }
    }

    fn mount_point(&self) -> Option<&str> {
        Some(&self.point)
    }
}
