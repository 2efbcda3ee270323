//! What every source answers besides finding: a package's resources (`importlib.resources`) and the
//! modules a package or the top level holds (`pkgutil.iter_modules`), asked of each finder of the meta path.

use std::sync::Arc;

use super::{MetaEntry, Runtime};
use crate::error::{quote, Error, ErrorCode, Result};
use crate::finders::path::scope;
use crate::finders::{ModuleInfo, Query, Resource, Trace};
use crate::limits::MAX_PATH_LEN;
use crate::spec::{ModuleKind, ModuleSpec};

/// What is wrong with a relative path inside a package or the tree of mounts (`/`-separated segments, none
/// empty, `.` or `..`, no backslash or NUL, within the path limit), if anything; `absolute` says why a path
/// may not start with `/`.
fn path_problem(path: &str, absolute: &'static str) -> Option<&'static str> {
    if path.is_empty() {
        Some("is empty")
    } else if path.len() > MAX_PATH_LEN {
        Some("is over the path limit")
    } else if path.contains(['\\', '\0']) {
        Some("holds a backslash or a NUL")
    } else if path.starts_with('/') {
        Some(absolute)
    } else if path.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        Some("has an empty, '.' or '..' segment")
    } else {
        None
    }
}

/// A resource is a relative path inside its package, as `importlib.resources.files(p).joinpath(r)` takes it.
fn check_resource(package: &str, resource: &str) -> Result<()> {
    match path_problem(resource, "is absolute: resources are relative to their package") {
        None => Ok(()),
        Some(why) => Err(Error::invalid_argument(format!(
            "resource {} of package '{package}' {why} (a relative path of 1 to {MAX_PATH_LEN} bytes)",
            quote(resource)
        ))
        .for_module(package)),
    }
}

/// A path in the logical tree of mounts.
fn check_tree_path(path: &str) -> Result<()> {
    match path_problem(path, "is absolute: paths in the tree of mounts are relative") {
        None => Ok(()),
        Some(why) => Err(Error::invalid_argument(format!(
            "file {} {why} (a relative path of 1 to {MAX_PATH_LEN} bytes)",
            quote(path)
        ))),
    }
}

impl Runtime {
    /// The spec of package `package` (from the table, or found without importing anything).
    fn package_spec(&self, package: &str) -> Result<Arc<ModuleSpec>> {
        let spec = self.find_spec(package, None)?;
        if !spec.is_package() {
            return Err(Error::new(ErrorCode::Import, format!("'{package}' is not a package ({})", spec.origin()))
                .for_module(package));
        }
        Ok(spec)
    }

    /// The parent's spec of a package (as `find_spec` finds it), for a query about the package itself.
    fn parent_spec(&self, package: &str) -> Result<Option<Arc<ModuleSpec>>> {
        crate::name::parent(package).map(|p| self.find_spec(p, None)).transpose()
    }

    /// Runs `f` on the finders that serve `spec` now, as its loader would: for a namespace package every one
    /// that has a portion of it, for another package the first that finds it (with the same origin). A
    /// source that merely has a package of the same name further down the meta path (a shadowed mount) does
    /// not answer for it.
    fn with_serving<T>(&self, spec: &ModuleSpec, f: impl FnOnce(&[&MetaEntry], &Query) -> Result<T>) -> Result<T> {
        let parent = self.parent_spec(spec.name())?;
        let _operation = scope::enter(self.inner.id);
        self.with_query(spec.name(), parent.as_deref(), false, |meta_path, query| {
            let namespace = spec.kind() == ModuleKind::Namespace;
            let mut serving: Vec<&MetaEntry> = Vec::new();
            for entry in meta_path {
                let Some(found) = entry.finder.find(query, &mut Trace::off())? else { continue };
                if found.portion && namespace {
                    serving.push(entry);
                } else if !found.portion {
                    if !namespace && found.spec.origin() == spec.origin() {
                        serving.push(entry);
                    }
                    break;
                }
            }
            f(&serving, query)
        })
    }

    /// `importlib.resources.files(package).joinpath(resource).read_bytes()`: the bytes of the file
    /// `resource` (a relative path, `data/level1.txt`) in package `package`, from the source that serves
    /// the package.
    pub fn read_resource(&self, package: &str, resource: &str) -> Result<Vec<u8>> {
        let held = self.resource(package, resource)?;
        held.into_vec().map_err(|e| Error::from_host(package, &format!("reading resource {}", quote(resource)), e))
    }

    /// [`Runtime::read_resource`] without a copy where the source keeps the bytes (a mounted file, a bundle):
    /// the resource holds them, and whatever holds them, until it is dropped.
    pub fn resource(&self, package: &str, resource: &str) -> Result<Resource> {
        check_resource(package, resource)?;
        let spec = self.package_spec(package)?;
        self.with_serving(&spec, |serving, query| {
            for entry in serving {
                if let Some(found) =
                    entry.finder.read_resource(&spec, resource, query).map_err(|e| e.or_module(package))?
                {
                    return Ok(found);
                }
            }
            Err(Error::new(
                ErrorCode::NotFound,
                format!("package '{package}' ({}) has no resource {}", spec.origin(), quote(resource)),
            )
            .for_module(package))
        })
    }

    /// `importlib.resources.contents(package)`: the names of the files and directories directly in the
    /// package, sorted (a namespace package's from every source that has a portion of it).
    pub fn resources(&self, package: &str) -> Result<Vec<String>> {
        let spec = self.package_spec(package)?;
        self.with_serving(&spec, |serving, query| {
            let mut names: Option<Vec<String>> = None;
            for entry in serving {
                if let Some(found) = entry.finder.resources(&spec, query).map_err(|e| e.or_module(package))? {
                    names.get_or_insert_with(Vec::new).extend(found);
                }
            }
            let mut names = names.ok_or_else(|| {
                Error::new(
                    ErrorCode::Unavailable,
                    format!("no source lists the resources of package '{package}' ({})", spec.origin()),
                )
                .for_module(package)
            })?;
            names.sort();
            names.dedup();
            Ok(names)
        })
    }

    /// The distribution metadata directories of every source, in meta-path order, each path once (the first
    /// source's): `*.dist-info` / `*.egg-info` directories at the top of root mounts, a bundle's under its
    /// mount point. What `importlib.metadata` finds in mounts and bundles; the filesystem has its own.
    pub fn distributions(&self) -> Result<Vec<String>> {
        let _operation = scope::enter(self.inner.id);
        self.with_query("", None, false, |meta_path, _| {
            let mut out: Vec<String> = Vec::new();
            for entry in meta_path {
                for d in entry.finder.distributions()? {
                    if !out.contains(&d) {
                        out.push(d);
                    }
                }
            }
            Ok(out)
        })
    }

    /// The file at `path` in the logical tree of mounts (`foo-1.0.dist-info/METADATA`, `game/data.txt`),
    /// from the first source in meta-path order that holds it: how a distribution's files are read.
    pub fn read_file(&self, path: &str) -> Result<Resource> {
        check_tree_path(path)?;
        let _operation = scope::enter(self.inner.id);
        self.with_query("", None, false, |meta_path, _| {
            for entry in meta_path {
                if let Some(found) = entry.finder.read_file(path)? {
                    return Ok(found);
                }
            }
            Err(Error::new(ErrorCode::NotFound, format!("no mount or bundle holds a file {}", quote(path))))
        })
    }

    /// `pkgutil.iter_modules`: the modules and packages directly in `package` (from the sources that serve
    /// it), or the top-level ones for `None` (from every source, in meta-path order, denied names left out);
    /// each name once, the first source's answer.
    pub fn iter_modules(&self, package: Option<&str>) -> Result<Vec<ModuleInfo>> {
        let collect = |sources: &[&MetaEntry], spec: Option<&ModuleSpec>, query: &Query| -> Result<Vec<ModuleInfo>> {
            let policy = self.inner.policy.snapshot();
            let mut out: Vec<ModuleInfo> = Vec::new();
            let mut seen = rustc_hash::FxHashSet::default();
            for entry in sources {
                let listed = entry.finder.iter_modules(spec, query);
                for m in listed.map_err(|e| if let Some(p) = spec { e.or_module(p.name()) } else { e })? {
                    if spec.is_none() && policy.check(&m.name).is_err() {
                        continue;
                    }
                    if seen.insert(m.name.clone()) {
                        out.push(m);
                    }
                }
            }
            Ok(out)
        };
        match package {
            Some(p) => {
                let spec = self.package_spec(p)?;
                self.with_serving(&spec, |serving, query| collect(serving, Some(&spec), query))
            }
            None => {
                let _operation = scope::enter(self.inner.id);
                self.with_query("", None, false, |meta_path, query| {
                    let all: Vec<&MetaEntry> = meta_path.iter().collect();
                    collect(&all, None, query)
                })
            }
        }
    }
}
