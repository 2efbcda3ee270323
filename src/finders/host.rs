//! The host's own finders: the traits a host implements (meta-path finders, path hooks and the entry
//! finders they make), and their adapters to importkit's two protocols. What a host says it found is checked
//! and translated here, once, for both.

use std::borrow::Cow;
use std::sync::Arc;

use super::path::ctx::Ctx;
use super::path::entry::{Entry, EntryAnswer, Portion, Wanted};
use super::path::scope;
use super::protocol::{Finder, Found, ModuleInfo, Query};
use super::source::{ModuleBytes, Resource, Source};
use super::trace::Trace;
use crate::error::{quote, Attempt, Error, ErrorCode, HostError, Result};
use crate::limits::MAX_PATH_LEN;
use crate::spec::{HostData, ModuleKind, ModuleSpec};

/// What a host finder says it found.
#[derive(Clone)]
pub struct HostFound {
    pub origin: String,
    pub kind: ModuleKind,
    pub is_package: bool,
    pub locations: Vec<String>,
    pub file: Option<String>,
    /// The module's bytes, copied now, when the host wants importkit to hand them to `Executor::exec`.
    pub source: Option<Vec<u8>>,
    /// Where the module's bytes are, read only when it executes (instead of `source`).
    pub reader: Option<Arc<dyn ModuleBytes>>,
    /// Compiled code of the module for one cache tag (tag, code), beside `source` (a `reader` gives its own
    /// through [`ModuleBytes::code`]): a runtime with that cache tag hands it to an executor that accepts
    /// code instead of compiling (docs/CODE_CACHE.md).
    pub code: Option<(String, Vec<u8>)>,
    /// Something of the host's that comes back on the spec ([`ModuleSpec::host_data`]).
    pub host_data: Option<HostData>,
}

impl HostFound {
    pub fn new(origin: impl Into<String>, kind: ModuleKind, is_package: bool) -> Self {
        HostFound {
            origin: origin.into(),
            kind,
            is_package,
            locations: Vec::new(),
            file: None,
            source: None,
            reader: None,
            code: None,
            host_data: None,
        }
    }
}

impl std::fmt::Debug for HostFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostFound")
            .field("origin", &self.origin)
            .field("kind", &self.kind)
            .field("is_package", &self.is_package)
            .field("locations", &self.locations)
            .field("file", &self.file)
            .field("source", &self.source.as_ref().map(Vec::len))
            .field("reader", &self.reader.is_some())
            .field("code", &self.code.as_ref().map(|(tag, code)| (tag, code.len())))
            .field("host_data", &self.host_data.is_some())
            .finish()
    }
}

/// A meta-path finder of the host's.
pub trait HostFinder: Send + Sync {
    /// A short name shown in errors and traces (`host:NAME`).
    fn name(&self) -> &str;

    /// Finds `name`; `path` is the parent's search locations (`None` for a top-level name).
    fn find_spec(&self, name: &str, path: Option<&[&str]>) -> Result<Option<HostFound>, HostError>;

    /// Drops whatever the finder caches.
    fn invalidate(&self) {}

    /// The bytes of resource `resource` (a checked relative path) of `package`, a package this finder found;
    /// `None` when it has no such file. By default a host finder serves no resources.
    fn read_resource(&self, package: &str, resource: &str) -> Result<Option<Vec<u8>>, HostError> {
        let _ = (package, resource);
        Ok(None)
    }

    /// The names of the files and directories directly in `package` (one this finder found); `None` when it
    /// does not list them (the default).
    fn resources(&self, package: &str) -> Result<Option<Vec<String>>, HostError> {
        let _ = package;
        Ok(None)
    }

    /// The modules this finder serves directly in `package` (the top-level ones for `None`); none by
    /// default.
    fn iter_modules(&self, package: Option<&str>) -> Result<Vec<ModuleInfo>, HostError> {
        let _ = package;
        Ok(Vec::new())
    }
}

/// What an entry finder answers for one name in its path entry.
#[derive(Debug, Clone)]
pub enum EntryFound {
    /// A module or regular package.
    Module(HostFound),
    /// A portion of a namespace package: directories to add to its search locations.
    Portion(Vec<String>),
}

/// A finder for one path entry (CPython's path entry finder), made by a [`PathHook`].
pub trait EntryFinder: Send + Sync {
    /// Finds `name` (full dotted name) in this entry.
    fn find_spec(&self, name: &str) -> Result<Option<EntryFound>, HostError>;

    /// Drops whatever the finder caches.
    fn invalidate(&self) {}

    /// The bytes of the file `resource` (a checked relative path) in this entry, a package's location;
    /// `None` when there is none (the default).
    fn read_resource(&self, resource: &str) -> Result<Option<Vec<u8>>, HostError> {
        let _ = resource;
        Ok(None)
    }

    /// The names of the files and directories directly in this entry; `None` when it does not list them (the
    /// default).
    fn resources(&self) -> Result<Option<Vec<String>>, HostError> {
        Ok(None)
    }

    /// The modules and packages directly in this entry; none by default.
    fn iter_modules(&self) -> Result<Vec<ModuleInfo>, HostError> {
        Ok(Vec::new())
    }
}

/// A path hook of the host's: turns a path entry it serves (an archive, a URL...) into an entry finder.
pub trait PathHook: Send + Sync {
    /// A short name shown in errors and traces (`hook:NAME`).
    fn name(&self) -> &str;

    /// An entry finder for `entry`, or `None` when the entry is not this hook's.
    fn finder_for(&self, entry: &str) -> Result<Option<Arc<dyn EntryFinder>>, HostError>;
}

/// A host hook's or finder's failure is `IK_ERR_HOST` unless it passes on another import's status.
pub(crate) fn host_failure(mut e: HostError) -> HostError {
    e.code = Some(e.code.filter(|c| *c != ErrorCode::Exec).unwrap_or(ErrorCode::Host));
    e
}

fn check_text(place: &str, name: &str, what: &str, value: &str) -> Result<()> {
    if value.len() > MAX_PATH_LEN || value.contains('\0') {
        return Err(Error::new(
            ErrorCode::Host,
            format!("finder '{place}' gave an invalid {what} for '{name}': over {MAX_PATH_LEN} bytes or with a NUL"),
        )
        .for_module(name));
    }
    Ok(())
}

/// Checks what a host said it found (`place` names the host's finder or hook) and makes the spec.
pub fn to_found(place: &str, name: &str, found: HostFound) -> Result<Found> {
    let HostFound { origin, kind, is_package, locations, file, source, reader, code, host_data } = found;
    check_text(place, name, "origin", &origin)?;
    for l in &locations {
        check_text(place, name, "location", l)?;
    }
    if let Some(f) = &file {
        check_text(place, name, "file", f)?;
    }
    if code.is_some() && source.is_none() {
        return Err(Error::new(
            ErrorCode::Host,
            format!(
                "finder '{place}' gave compiled code for '{name}' without its source (give the source with it; a \
                 reader gives its code through ModuleBytes::code)"
            ),
        )
        .for_module(name));
    }
    if kind == ModuleKind::Native {
        return Err(Error::new(
            ErrorCode::Host,
            format!("finder '{place}' gave kind native for '{name}': register natives with the runtime instead"),
        )
        .for_module(name));
    }
    let is_package = is_package || kind == ModuleKind::Namespace;
    let origin = if origin.is_empty() { format!("{place}/{name}") } else { origin };
    let spec = ModuleSpec::new(name, &origin, kind, is_package)
        .with_locations(locations)
        .with_file(file.as_deref())
        .with_host_data(host_data);
    let source = match (source, reader) {
        (Some(source), _) => match code {
            Some((tag, code)) => Source::Bytes(Arc::new(WithCode { source, tag, code }), 0),
            None => Source::held(source),
        },
        (None, Some(reader)) => Source::Bytes(reader, 0),
        (None, None) => Source::None,
    };
    Ok(Found::new(spec, source))
}

/// A host finder's copy of a module's bytes with its compiled code for one cache tag.
struct WithCode {
    source: Vec<u8>,
    tag: String,
    code: Vec<u8>,
}

impl ModuleBytes for WithCode {
    fn read(&self, _: u32) -> std::result::Result<Cow<'_, [u8]>, HostError> {
        Ok(Cow::Borrowed(&self.source))
    }

    fn code(&self, _: u32, cache_tag: &str) -> std::result::Result<Option<Cow<'_, [u8]>>, HostError> {
        Ok((cache_tag == self.tag).then_some(Cow::Borrowed(&self.code[..])))
    }
}

/// A host meta-path finder on the meta path.
pub struct HostMeta(pub Arc<dyn HostFinder>);

impl Finder for HostMeta {
    fn place(&self) -> String {
        format!("host:{}", self.0.name())
    }

    /// Host code runs once per search: the explaining pass after a miss notes the finder without asking.
    fn find(&self, query: &Query, trace: &mut Trace) -> Result<Option<Found>> {
        if query.explaining {
            trace.note_with(|| Some(Attempt::new(self.place(), "not found")));
            return Ok(None);
        }
        let name = query.name;
        let path: Option<Vec<&str>> = query.parent.map(|p| p.locations().collect());
        let found = scope::outside(|| self.0.find_spec(name, path.as_deref())).map_err(|e| {
            let what = format!("finder 'host:{}' looking for", self.0.name());
            Error::from_host(name, &what, host_failure(e))
        })?;
        found.map(|h| to_found(&self.place(), name, h)).transpose()
    }

    fn invalidate(&self) {
        scope::outside(|| self.0.invalidate());
    }

    fn read_resource(&self, package: &ModuleSpec, resource: &str, _: &Query) -> Result<Option<Resource>> {
        let read = scope::outside(|| self.0.read_resource(package.name(), resource));
        let what = || format!("finder 'host:{}' reading resource {} of", self.0.name(), quote(resource));
        Ok(read.map_err(|e| Error::from_host(package.name(), &what(), host_failure(e)))?.map(Resource::Owned))
    }

    fn resources(&self, package: &ModuleSpec, _: &Query) -> Result<Option<Vec<String>>> {
        let listed = scope::outside(|| self.0.resources(package.name()));
        let what = || format!("finder 'host:{}' listing the resources of", self.0.name());
        listed.map_err(|e| Error::from_host(package.name(), &what(), host_failure(e)))
    }

    fn iter_modules(&self, package: Option<&ModuleSpec>, _: &Query) -> Result<Vec<ModuleInfo>> {
        let name = package.map(ModuleSpec::name);
        let listed = scope::outside(|| self.0.iter_modules(name));
        listed.map_err(|e| match name {
            Some(p) => {
                Error::from_host(p, &format!("finder 'host:{}' listing the modules of", self.0.name()), host_failure(e))
            }
            None => Error::from_host_unnamed(
                &format!("finder 'host:{}' listing the top-level modules", self.0.name()),
                host_failure(e),
            ),
        })
    }
}

/// A host path hook's entry finder, behind the entry protocol.
pub struct HostEntry {
    pub hook: String,
    pub finder: Arc<dyn EntryFinder>,
}

impl Entry for HostEntry {
    fn find(&self, name: &Wanted, entry: &str, _: &Ctx, explaining: bool, trace: &mut Trace) -> Result<EntryAnswer> {
        let (fullname, hook) = (name.fullname, &self.hook);
        if explaining {
            trace.note_with(|| Some(Attempt::new(entry, format!("hook:{hook}: not found"))));
            return Ok(EntryAnswer::Nothing);
        }
        match scope::outside(|| self.finder.find_spec(fullname)) {
            Ok(Some(EntryFound::Module(h))) => Ok(EntryAnswer::Module(to_found(&format!("hook:{hook}"), fullname, h)?)),
            Ok(Some(EntryFound::Portion(p))) => Ok(EntryAnswer::Portions(p.into_iter().map(Portion::plain).collect())),
            Ok(None) => {
                trace.note_with(|| Some(Attempt::new(entry, format!("hook:{hook}: not found"))));
                Ok(EntryAnswer::Nothing)
            }
            Err(e) => {
                let what = format!("entry finder of hook '{hook}' in '{entry}' looking for");
                Err(Error::from_host(fullname, &what, host_failure(e)))
            }
        }
    }

    fn invalidate(&self) {
        scope::outside(|| self.finder.invalidate());
    }

    fn read_resource(&self, resource: &str, _: &Ctx) -> Result<Option<Resource>> {
        let read = scope::outside(|| self.finder.read_resource(resource));
        // About the package whose location this is (the runtime names it).
        let what = format!("entry finder of hook '{}' reading resource {}", self.hook, quote(resource));
        Ok(read.map_err(|e| Error::from_host_unnamed(&what, host_failure(e)))?.map(Resource::Owned))
    }

    fn resources(&self, _: &Ctx) -> Result<Option<Vec<String>>> {
        // About the package whose location this is (the runtime names it), not about the hook.
        let listed = scope::outside(|| self.finder.resources());
        let what = || format!("entry finder of hook '{}' listing the resources of its entry", self.hook);
        listed.map_err(|e| Error::from_host_unnamed(&what(), host_failure(e)))
    }

    fn iter_modules(&self, _: &Ctx) -> Result<Vec<ModuleInfo>> {
        // About the package whose location this is (the runtime names it), or about no module for the top level.
        let listed = scope::outside(|| self.finder.iter_modules());
        let what = || format!("entry finder of hook '{}' listing the modules of its entry", self.hook);
        listed.map_err(|e| Error::from_host_unnamed(&what(), host_failure(e)))
    }
}

/// Runs a host path hook on `entry`; `fullname` is the module whose search offered it (for errors).
pub(crate) fn run_hook(hook: &dyn PathHook, entry: &str, fullname: &str) -> Result<Option<HostEntry>> {
    let made = scope::outside(|| hook.finder_for(entry)).map_err(|e| {
        let what = format!("path hook '{}' offered entry '{entry}' while looking for", hook.name());
        Error::from_host(fullname, &what, host_failure(e))
    })?;
    Ok(made.map(|finder| HostEntry { hook: hook.name().to_owned(), finder }))
}
