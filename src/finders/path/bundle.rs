//! The bundle entry finder: a bundle file on the search path, served as a zip archive is (`/a/app.ikb`,
//! and `/a/app.ikb/sub/dir` for a directory inside it), behind the entry protocol.
//!
//! A path entry that is a regular file starting with the bundle magic is a bundle (any other file is a zip
//! archive's business); an entry into a directory of one is found as zipimport finds one into an archive
//! (`zip::archive_of`). The bundle is mapped and opened once (O(1) in its modules), shared by every entry
//! into it, and opened again when the file changes (`archive.rs`). A find is one probe of the bundle's index
//! for the entry's directory as a dotted prefix and the module's last segment (`sub.dir.x` for `x` in
//! `/a/app.ikb/sub/dir`), its record checked to lie in that directory. A directory that is no package of
//! the bundle (`lib/python3.11`, `site-packages`: names no module can have) is served by its files instead,
//! as a zip archive's directory is: zipimport's precedence over the profile's suffixes, a namespace portion
//! where a directory is. Specs are as for a zip member:
//! origin `bundle:<bundle>/<path>`, `file` = `<bundle>/<path>`, a package's location `<bundle>/<dir>`, no
//! `cached`; a namespace package of the bundle is a namespace portion `<bundle>/<dir>`. The module's bytes
//! are read from the mapping and checked against their CRC-32 when the module executes.

use std::io::Read;
use std::sync::Arc;

use super::archive::{Archive, Opened};
use super::ctx::{join, Ctx};
use super::entry::{Entry, EntryAnswer, Portion, Wanted};
use super::open::open_checked;
use super::zip::zip_suffixes;
use crate::bundle::format::{Bundle, ModuleEntry, MAGIC};
use crate::bundle::map::{FileBytes, Load};
use crate::error::{quote, Attempt, Result};
use crate::finders::bundle::Served;
use crate::finders::protocol::{Found, ModuleInfo};
use crate::finders::source::Resource;
use crate::finders::trace::Trace;
use crate::spec::{ModuleKind, ModuleSpec};

/// Whether the file at `path` (allowed by confinement, or refused by `open_checked`) starts with the bundle
/// magic. A file that cannot be read is not taken for a bundle (the zip finder then says why it fails).
pub fn is_bundle(path: &str, ctx: &Ctx) -> bool {
    let Ok(file) = open_checked(ctx, path, "cannot open") else { return false };
    let mut head = [0u8; 8];
    file.take(8).read_exact(&mut head).is_ok() && &head == MAGIC
}

impl Opened for Served {
    /// Maps the bundle; under confinement (the host does not trust the tree) reads it whole instead, so that
    /// no file a tree's owner can cut short in place is mapped (docs/SECURITY.md, *Bundles*).
    fn open(path: &str, ctx: &Ctx) -> std::result::Result<Served, String> {
        let file = open_checked(ctx, path, "cannot open bundle")?;
        let load = if ctx.roots.is_empty() { Load::Map } else { Load::Read };
        let bytes = FileBytes::of_file(&file, path, load).map_err(|e| e.message().to_owned())?;
        Ok(Served::new(Bundle::open(path, bytes).map_err(|e| e.message().to_owned())?))
    }
}

/// One bundle file of a path finder (every entry into it shares it), opened once.
pub type BundleArchive = Archive<Served>;

/// A bundle, or a directory inside one, on the path.
pub struct BundleEntry {
    archive: Arc<BundleArchive>,
    /// The directory inside the bundle: empty, or `sub/dir/`.
    prefix: String,
    /// The same as a prefix of module names: empty, or `sub.dir.`.
    names: String,
}

impl BundleEntry {
    /// An entry into the directory `prefix` (empty, or `sub/dir/`) of the bundle `archive`.
    pub fn new(archive: Arc<BundleArchive>, prefix: String) -> BundleEntry {
        let names = prefix.replace('/', ".");
        BundleEntry { archive, prefix, names }
    }

    /// The directory's path in the bundle, without its trailing `/`.
    fn dir(&self) -> &str {
        self.prefix.strip_suffix('/').unwrap_or(&self.prefix)
    }

    /// The spec of the module `fullname` served by record `m` (a file directly in this directory, or a
    /// package's init file in a directory directly in it).
    fn spec(&self, fullname: &str, m: &ModuleEntry) -> ModuleSpec {
        let (dir, file) = m.path.rsplit_once('/').unwrap_or(("", m.path));
        let dir = join(self.archive.path(), dir);
        ModuleSpec::for_file_with(fullname, m.kind, "bundle:", &dir, file, "", m.is_package, |_| false)
    }
}

impl BundleEntry {
    /// Whether this entry's directory is one the bundle's module records cover: the root, or a directory a
    /// package or namespace package of the bundle has. Else its modules are found by their files.
    fn by_name(&self, served: &Served) -> Result<bool> {
        if self.prefix.is_empty() {
            return Ok(true);
        }
        let dir = self.dir();
        let record = served.bundle().find(&self.names[..self.names.len() - 1])?;
        Ok(record.is_some_and(|m| m.is_package && m.dir() == dir))
    }

    /// The module `name` in this entry's directory, found by its files as zipimport finds a member: a package
    /// (`<tail>/<init stem><suffix>`), then a module (`<tail><suffix>`), bytecode suffixes before source
    /// (no extension), then a namespace portion where `<tail>/` holds files.
    fn find_file(&self, served: &Served, name: &Wanted, ctx: &Ctx) -> Result<Option<EntryAnswer>> {
        let bundle = served.bundle();
        let profile = ctx.profile;
        let suffixes = || zip_suffixes(profile);
        let base = format!("{}{}", self.prefix, name.tail);
        for (package, (suffix, kind)) in suffixes().map(|s| (true, s)).chain(suffixes().map(|s| (false, s))) {
            let path =
                if package { format!("{base}/{}{suffix}", profile.init_stem()) } else { format!("{base}{suffix}") };
            let Some(record) = bundle.file_record(&path)? else { continue };
            let (dir, file) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
            let spec = ModuleSpec::for_file_with(
                name.fullname,
                *kind,
                "bundle:",
                &join(self.archive.path(), dir),
                file,
                "",
                package,
                |_| false,
            );
            return Ok(Some(EntryAnswer::Module(Found::new(spec, served.file_source(record)))));
        }
        if profile.namespace_dirs() && !bundle.files_under(&base)?.is_empty() {
            return Ok(Some(EntryAnswer::Portions(vec![Portion::plain(join(self.archive.path(), &base))])));
        }
        Ok(None)
    }
}

impl Entry for BundleEntry {
    fn find(&self, name: &Wanted, entry: &str, ctx: &Ctx, _: bool, trace: &mut Trace) -> Result<EntryAnswer> {
        let served = match self.archive.opened(ctx) {
            Ok(s) => s,
            Err(why) => {
                trace.note_with(|| Some(Attempt::new(entry, why)));
                return Ok(EntryAnswer::Nothing);
            }
        };
        let miss = |what: String, trace: &mut Trace| {
            trace.note_with(|| Some(Attempt::new(entry, what)));
            Ok(EntryAnswer::Nothing)
        };
        // The index first: a hit is the common case and costs one lookup. Only on a miss does it matter
        // whether this directory is one the records cover (else its files are searched, as a zip's).
        let key = format!("{}{}", self.names, name.tail);
        let found = served.bundle().find(&key).map_err(|e| e.for_module(name.fullname))?;
        // The record must lie in this directory (its name says so; its path must agree: a bundle whose
        // names and paths disagree serves nothing through a directory entry).
        let Some(m) = found.filter(|m| in_dir(m, &self.prefix, name.tail)) else {
            if !self.by_name(&served).map_err(|e| e.for_module(name.fullname))? {
                return match self.find_file(&served, name, ctx).map_err(|e| e.for_module(name.fullname))? {
                    Some(answer) => Ok(answer),
                    None => {
                        miss(format!("no {}{} module or package file in the bundle", self.prefix, name.tail), trace)
                    }
                };
            }
            return miss(format!("no module {} in the bundle", quote(&key)), trace);
        };
        if m.kind == ModuleKind::Namespace {
            return Ok(EntryAnswer::Portions(vec![Portion::plain(join(self.archive.path(), m.path))]));
        }
        let spec = self.spec(name.fullname, &m);
        Ok(EntryAnswer::Module(Found::new(spec, served.source(&m))))
    }

    fn invalidate(&self) {
        self.archive.invalidate();
    }

    /// A file in this directory of the bundle (or below it), lent in place from the mapping.
    fn read_resource(&self, resource: &str, ctx: &Ctx) -> Result<Option<Resource>> {
        let Ok(served) = self.archive.opened(ctx) else { return Ok(None) };
        served.resource(&format!("{}{resource}", self.prefix))
    }

    /// The names of the files and directories directly in this directory of the bundle.
    fn resources(&self, ctx: &Ctx) -> Result<Option<Vec<String>>> {
        let Ok(served) = self.archive.opened(ctx) else { return Ok(None) };
        Ok(Some(served.bundle().list_dir(self.dir())?.into_iter().map(str::to_owned).collect()))
    }

    /// The modules and packages directly in this directory (namespace packages left out, as pkgutil leaves
    /// out a directory without an init file); in a directory no package covers, by its files, as pkgutil
    /// lists a zip archive's.
    fn iter_modules(&self, ctx: &Ctx) -> Result<Vec<ModuleInfo>> {
        let Ok(served) = self.archive.opened(ctx) else { return Ok(Vec::new()) };
        let bundle = served.bundle();
        if !self.by_name(&served)? {
            let profile = ctx.profile;
            let children: Vec<(String, bool)> =
                bundle.dir_children(self.dir())?.into_iter().map(|(n, d)| (n.to_owned(), d)).collect();
            let init_member = |dir: &str| {
                let inside = bundle.dir_children(&format!("{}{dir}", self.prefix)).ok()?;
                let stem = profile.init_stem();
                inside.into_iter().filter(|(n, d)| !d && n.starts_with(stem)).map(|(n, _)| n.to_owned()).find(|n| {
                    profile.suffixes().iter().any(|(s, k)| *k != ModuleKind::Extension && n[stem.len()..] == **s)
                })
            };
            return Ok(super::listing::archive_modules(children, profile, init_member));
        }
        let parent = self.names.strip_suffix('.').unwrap_or("");
        let mut out: Vec<ModuleInfo> = Vec::new();
        for m in bundle.children(parent)? {
            let tail = crate::name::tail(m.name);
            if m.kind != ModuleKind::Namespace && in_dir(&m, &self.prefix, tail) {
                out.push(ModuleInfo { name: tail.to_owned(), is_package: m.is_package });
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Whether record `m` is the module `tail` directly in the directory `prefix` (`sub/dir/` or empty): its
/// path is `<prefix><tail>.<suffix>`, `<prefix><tail>/<init file>`, or (a namespace package) `<prefix><tail>`.
fn in_dir(m: &ModuleEntry, prefix: &str, tail: &str) -> bool {
    let Some(rest) = m.path.strip_prefix(prefix).and_then(|r| r.strip_prefix(tail)) else { return false };
    match m.kind {
        ModuleKind::Namespace => rest.is_empty(),
        _ if m.is_package => rest.starts_with('/') && !rest[1..].contains('/'),
        _ => rest.starts_with('.') && !rest.contains('/'),
    }
}
