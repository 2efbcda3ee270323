//! `get_code` (importlib's `InspectLoader.get_code`): what executing a module would get, without executing it
//! or importing anything, for a host that runs modules its own way (Lua's `require`, which has no parents to
//! run first): its spec, and its compiled code or its bytes, through the code cache as an import takes them.

use std::sync::Arc;

use super::import::{body, Body, Depth, Reach};
use super::Runtime;
use crate::error::{Error, ErrorCode, Result};
use crate::finders::path::scope;
use crate::finders::{Found, Source};
use crate::name;
use crate::spec::{ModuleKind, ModuleSpec};

/// How [`Runtime::get_code`] finds a module and what it reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CodeQuery {
    /// Find a dotted name whole, as Lua's `require` does, its parent neither found nor asked for its
    /// locations: the sources that index full names answer first (natives, mounts, bundles, host finders),
    /// then the search path with each entry joined with the parent's path (`a.b.c` as `<entry>/a/b/c.lua`
    /// or `<entry>/a/b/c/init.lua`), so `a/b.lua` is found without `a` being a package.
    pub whole_name: bool,
    /// Read the file of a module found on the search path (a file the host otherwise reads itself) to look
    /// compiled code up for it, as an import does for an executor that accepts code; without, such a module
    /// gives no bytes.
    pub files: bool,
    /// A miss is not explained: the error has no attempts, and no second, explaining pass is made (for a
    /// caller that asks for no error object).
    pub quiet: bool,
}

/// What [`Runtime::get_code`] gives: the module's spec, and its bytes.
#[derive(Debug, Clone)]
pub struct ModuleCode {
    pub spec: Arc<ModuleSpec>,
    /// Compiled code for the runtime's cache tag (`is_code`), the module's source bytes, or `None` for a file
    /// the host reads itself, a namespace package, a native.
    pub bytes: Option<Vec<u8>>,
    pub is_code: bool,
}

impl Runtime {
    /// What executing module `name` (absolute) would get, without executing it or importing anything: the
    /// module found again (as [`Runtime::find_spec`] finds it: parents found, not imported, unless
    /// `query.whole_name`; a module in the table is found afresh), then, for a module of kind source, code for
    /// the runtime's cache tag from its source, the code cache or the executor's `compile` where the executor
    /// accepts code (counted as an import counts it: docs/CODE_CACHE.md), else its bytes.
    pub fn get_code(&self, name: &str, query: CodeQuery) -> Result<ModuleCode> {
        name::validate(name, &self.inner.profile)?;
        let name = name::normalize_init(name, &self.inner.profile);
        self.check_policy(name)?;
        let _depth = Depth::enter(name)?;
        let _operation = scope::enter(self.inner.id);
        let found = match name::parent(name) {
            Some(parent) if !query.whole_name => {
                let parent_spec = self.find_spec_absolute(parent, None)?;
                if !parent_spec.is_package() {
                    return Err(Error::not_a_package(name, parent));
                }
                self.find_or_explain(name, Some(&parent_spec), Reach::All, query.quiet)?
            }
            Some(parent) => self.find_whole(name, parent, query.quiet)?,
            None => self.find_or_explain(name, None, Reach::All, query.quiet)?,
        };
        let spec = Arc::clone(&found.spec);
        if matches!(found.source, Source::Native(_)) || spec.kind() == ModuleKind::Namespace {
            return Ok(ModuleCode { spec, bytes: None, is_code: false });
        }
        let executor = self.executor();
        let (bytes, is_code) =
            match body(executor.as_deref(), &self.inner.code_cache, &spec, &found.source, query.files)? {
                Body::Supplied(code) => (Some(code.into_owned()), true),
                Body::Cached(code) => (Some(code.to_vec()), true),
                Body::Source(bytes) => (bytes.map(|b| b.into_owned()), false),
            };
        Ok(ModuleCode { spec, bytes, is_code })
    }

    /// A dotted name found whole, as Lua's `require` finds one: by the sources that index full names, then
    /// on the search path as `<entry>/<parent's path>/<tail>` (each entry joined with the parent's path:
    /// `a.b.c` is `a/b/c.lua` or `a/b/c/init.lua` under an entry), whether or not the parent is a package.
    fn find_whole(&self, name: &str, parent: &str, quiet: bool) -> Result<Found> {
        // The sources of full names without explaining a miss: the search path may well have the module.
        if let Some(found) = self.search_in(name, None, None, false, Reach::MetaOnly)? {
            return Ok(found);
        }
        if !self.filesystem_enabled() {
            return self.find_or_explain(name, None, Reach::MetaOnly, quiet);
        }
        let dir = parent.replace('.', "/");
        let entries: Vec<String> = self
            .search_path()
            .iter()
            // "" and "." are the current directory: the parent's path alone is the same directory, spelt as a
            // package's location is ("/cwd/a/b", not "/cwd/./a/b": a module's origin, and so its code's key in
            // the code cache, does not depend on how it was found).
            .map(|e| match e.as_str() {
                "" | "." => dir.clone(),
                e => {
                    // (Pushed, not format!ted: this runs for every entry of every dotted name Lua's require asks.)
                    let mut joined = String::with_capacity(e.len() + 1 + dir.len());
                    joined.push_str(e);
                    if !e.ends_with('/') {
                        joined.push('/');
                    }
                    joined.push_str(&dir);
                    joined
                }
            })
            .collect();
        let entries: Vec<&str> = entries.iter().map(String::as_str).collect();
        match self.path_search(name, &entries, !quiet) {
            Ok(Some(found)) => Ok(found),
            Ok(None) => Err(Error::not_found(name, Vec::new())),
            Err(e) if e.code() == ErrorCode::NotFound => {
                // Both missed: the sources of full names explain theirs (found meanwhile: taken).
                let meta = match self.find_in(name, None, Reach::MetaOnly) {
                    Err(meta) if meta.code() == ErrorCode::NotFound => meta,
                    other => return other,
                };
                let attempts = meta.attempts().iter().chain(e.attempts()).cloned().collect();
                Err(Error::not_found(name, attempts))
            }
            Err(e) => Err(e),
        }
    }

    /// [`Runtime::find_in`], or when `quiet` one search whose miss is an error without attempts.
    fn find_or_explain(&self, name: &str, parent: Option<&ModuleSpec>, reach: Reach, quiet: bool) -> Result<Found> {
        if !quiet {
            return self.find_in(name, parent, reach);
        }
        self.search_in(name, parent, None, false, reach)?.ok_or_else(|| Error::not_found(name, Vec::new()))
    }
}
