//! The entry-finder protocol: what serves one path entry (CPython's path entry finders). The directory
//! finder and host entry finders implement it; archives and bundles on the search path will too.

use super::ctx::Ctx;
use crate::error::Result;
use crate::finders::protocol::{Found, ModuleInfo};
use crate::finders::source::Resource;
use crate::finders::trace::Trace;

/// The module a search of the path wants: its full name and its last segment (worked out once per search,
/// not once per entry).
pub struct Wanted<'a> {
    pub fullname: &'a str,
    pub tail: &'a str,
}

impl<'a> Wanted<'a> {
    pub fn new(fullname: &'a str) -> Self {
        Wanted { fullname, tail: crate::name::tail(fullname) }
    }
}

/// What an entry holds under one name.
pub enum EntryAnswer {
    /// A module or regular package: the search ends.
    Module(Found),
    /// Namespace portions: locations to add to a namespace package, if nothing later is a regular one.
    Portions(Vec<Portion>),
    Nothing,
}

/// A namespace portion: its location and the chain of `.ref` files that led to it, in order (empty: none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Portion {
    pub location: String,
    pub refs: Vec<String>,
}

impl Portion {
    /// A portion no `.ref` file led to.
    pub fn plain(location: String) -> Self {
        Portion { location, refs: Vec::new() }
    }
}

/// A finder for one path entry, made once per entry by a hook and cached (`path_importer_cache`).
pub trait Entry: Send + Sync {
    /// Finds `name` in this entry (`entry` is the entry as written on the path, for traces). In the
    /// explaining pass a finder that runs host code notes itself instead of asking again.
    fn find(&self, name: &Wanted, entry: &str, ctx: &Ctx, explaining: bool, trace: &mut Trace) -> Result<EntryAnswer>;

    /// Drops what the finder caches.
    fn invalidate(&self) {}

    /// The bytes of the file `resource` (a checked relative path) in this entry (a package's location), if it
    /// has one.
    fn read_resource(&self, resource: &str, ctx: &Ctx) -> Result<Option<Resource>> {
        let _ = (resource, ctx);
        Ok(None)
    }

    /// The names of the files and directories directly in this entry, if it can list them.
    fn resources(&self, ctx: &Ctx) -> Result<Option<Vec<String>>> {
        let _ = ctx;
        Ok(None)
    }

    /// The modules and packages directly in this entry (`pkgutil.iter_modules` of its finder).
    fn iter_modules(&self, ctx: &Ctx) -> Result<Vec<ModuleInfo>> {
        let _ = ctx;
        Ok(Vec::new())
    }
}
