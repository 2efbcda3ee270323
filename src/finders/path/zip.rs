//! The zip archive entry finder: CPython's `zipimporter` behind the entry protocol.
//!
//! A path entry that is a regular file is an archive (`/a/app.zip`); one that does not exist is walked up
//! until something does, and if that is a regular file it is the archive and the rest a directory inside it
//! (`/a/app.zip/lib` serves the members under `lib/`), as zipimport does. An archive's central directory is
//! indexed once ([`ZipIndex`]) and shared by every entry into it; the index is trusted for the runtime's
//! recheck window, after which the archive is stat'ed and indexed again if its size, mtime, ctime or inode
//! changed (and always after `invalidate`). In one directory of an archive, with zipimport's precedence: a package
//! (`x/<init stem><suffix>`) > a module (`x<suffix>`), bytecode suffixes before source suffixes (extensions
//! are never loaded from an archive) > a namespace portion, only where the archive has an explicit
//! directory entry `x/` (zipimport of CPython 3.11 and later). Specs: origin `zip:<archive>/<member>`,
//! `file` = `<archive>/<member>` as zipimport's `__file__`, no `cached`. Finding never reads a member: the
//! source is `Source::Bytes(archive index, member)`, read, inflated and checked when the module executes.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use super::archive::{Archive, Opened, Stamp};
use super::ctx::{join, Ctx};
use super::entry::{Entry, EntryAnswer, Portion, Wanted};
use super::open::{open_checked, open_within};
use super::zip_index::ZipIndex;
use crate::error::{quote, Attempt, Error, ErrorCode, HostError, Result};
use crate::finders::protocol::{Found, ModuleInfo};
use crate::finders::source::{ModuleBytes, Resource, Source};
use crate::finders::trace::Trace;
use crate::limits::MAX_ZIP_MEMBER_SIZE;
use crate::profile::Profile;
use crate::spec::{ModuleKind, ModuleSpec};

/// An archive's index as it was read once, and what reading its members later needs: it holds the bytes of
/// the modules found in it ([`ModuleBytes`], item = member).
pub struct Indexed {
    path: String,
    index: ZipIndex,
    stamp: Stamp,
    roots: Arc<Vec<PathBuf>>,
}

impl Indexed {
    /// The archive's index.
    pub fn index(&self) -> &ZipIndex {
        &self.index
    }

    /// The bytes of member `i`, read from the archive now: the file opened by its checked path (inside the
    /// confinement roots it was indexed under), still the file that was indexed, the member checked.
    pub fn read_member(&self, i: u32) -> std::result::Result<Vec<u8>, String> {
        let not_read = |why: String| {
            format!("zip archive {}: member {} not read: {why}", quote(&self.path), quote(self.index.name(i)))
        };
        let file = open_within(&self.roots, &self.path, "cannot open").map_err(not_read)?;
        let meta = file.metadata().map_err(|e| format!("cannot open zip archive {}: {e}", quote(&self.path)))?;
        if !meta.is_file() || Stamp::of(&meta) != self.stamp {
            return Err(format!(
                "zip archive {} changed since it was indexed: member {} not read (it is indexed again after the \
                 recheck window, or on invalidate)",
                quote(&self.path),
                quote(self.index.name(i))
            ));
        }
        self.index.read_member(&file, i, MAX_ZIP_MEMBER_SIZE).map_err(|e| e.in_archive(&self.path))
    }
}

impl ModuleBytes for Indexed {
    fn read(&self, index: u32) -> std::result::Result<Cow<'_, [u8]>, HostError> {
        self.read_member(index).map(Cow::Owned).map_err(|why| HostError::with_code(ErrorCode::Import, why))
    }
}

impl Opened for Indexed {
    fn open(path: &str, ctx: &Ctx) -> std::result::Result<Indexed, String> {
        let file = open_checked(ctx, path, "cannot open zip archive")?;
        let meta = file.metadata().map_err(|e| format!("cannot open zip archive {}: {e}", quote(path)))?;
        if !meta.is_file() {
            return Err(format!("zip archive {} is not a regular file", quote(path)));
        }
        let index = ZipIndex::read(&file, meta.len()).map_err(|e| e.in_archive(path))?;
        Ok(Indexed { path: path.to_owned(), index, stamp: Stamp::of(&meta), roots: Arc::clone(&ctx.roots) })
    }
}

/// One zip archive of a path finder (every entry into it shares it), with its index cached.
pub type ZipArchive = Archive<Indexed>;

/// zipimport's rule for an entry that is not there as a file or directory: walk up the path until something
/// exists; if that is a regular file, it is the archive, and the rest of the entry a directory inside it.
/// Gives the archive's path and the prefix of the members under that directory (`sub/dir/`, or empty).
/// Under confinement a step is stat'ed only once it resolves inside the roots (an entry into an archive
/// never does as a whole: the archive is a file); a step outside is passed over like one that is missing.
pub fn archive_of(entry: &str, ctx: &Ctx) -> Option<(String, String)> {
    let mut path = entry;
    loop {
        let cut = path.rfind('/')?;
        path = &path[..cut];
        if path.is_empty() {
            return None;
        }
        if ctx.check_allowed(path).is_err() {
            continue;
        }
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => return Some((path.to_owned(), prefix_of(&entry[path.len()..]))),
            Ok(_) => return None,
            Err(_) => {}
        }
    }
}

/// The members' prefix for the rest of an entry after its archive: its non-empty segments joined with `/`
/// and ended with one (as zipimport joins them).
fn prefix_of(rest: &str) -> String {
    let mut prefix = String::new();
    for segment in rest.split('/').filter(|s| !s.is_empty()) {
        prefix.push_str(segment);
        prefix.push('/');
    }
    prefix
}

/// The suffixes a module in an archive may have, in zipimport's order: bytecode first, then source (an
/// extension module is never loaded from an archive).
pub(crate) fn zip_suffixes(profile: &Profile) -> impl Iterator<Item = &(String, ModuleKind)> {
    let all = profile.suffixes();
    let of = move |kind: ModuleKind| all.iter().filter(move |(_, k)| *k == kind);
    of(ModuleKind::Bytecode).chain(of(ModuleKind::Source))
}

/// An archive, or a directory inside one, on the path (CPython's `zipimporter`).
pub struct ZipEntry {
    archive: Arc<ZipArchive>,
    /// The directory inside the archive: empty, or `sub/dir/`.
    prefix: String,
}

impl ZipEntry {
    pub fn new(archive: Arc<ZipArchive>, prefix: String) -> ZipEntry {
        ZipEntry { archive, prefix }
    }

    /// The module `name` (a package if `is_package`) in member `i`, which is `<dir>/<stem><suffix>`. A member
    /// the central directory shows cannot be read (encrypted, a method importkit does not read, too large)
    /// is an error naming the archive and the member, as zipimport's would be when it read it.
    #[allow(clippy::too_many_arguments)]
    fn found(
        &self,
        name: &str,
        indexed: &Arc<Indexed>,
        i: u32,
        kind: ModuleKind,
        stem: &str,
        suffix: &str,
        is_package: bool,
    ) -> Result<EntryAnswer> {
        if let Some(e) = indexed.index.unreadable(i, MAX_ZIP_MEMBER_SIZE) {
            return Err(Error::new(ErrorCode::Import, e.in_archive(self.archive.path())).for_module(name));
        }
        let member = indexed.index.name(i);
        let dir = join(self.archive.path(), &member[..member.len() - stem.len() - suffix.len()]);
        let spec = ModuleSpec::for_file_with(name, kind, "zip:", &dir, stem, suffix, is_package, |_| false);
        let bytes: Arc<dyn ModuleBytes> = Arc::clone(indexed) as Arc<dyn ModuleBytes>;
        Ok(EntryAnswer::Module(Found::new(spec, Source::Bytes(bytes, i))))
    }
}

impl Entry for ZipEntry {
    fn find(&self, name: &Wanted, entry: &str, ctx: &Ctx, _: bool, trace: &mut Trace) -> Result<EntryAnswer> {
        let indexed = match self.archive.opened(ctx) {
            Ok(i) => i,
            Err(why) => {
                trace.note_with(|| Some(Attempt::new(entry, why)));
                return Ok(EntryAnswer::Nothing);
            }
        };
        let index = &indexed.index;
        let profile = ctx.profile;
        let mut key = String::with_capacity(self.prefix.len() + name.tail.len() + 32);
        key.push_str(&self.prefix);
        key.push_str(name.tail);
        let base = key.len();
        for (suffix, kind) in zip_suffixes(profile) {
            key.truncate(base);
            key.push('/');
            key.push_str(profile.init_stem());
            key.push_str(suffix);
            if let Some(i) = index.get(&key) {
                return self.found(name.fullname, &indexed, i, *kind, profile.init_stem(), suffix, true);
            }
        }
        for (suffix, kind) in zip_suffixes(profile) {
            key.truncate(base);
            key.push_str(suffix);
            if let Some(i) = index.get(&key) {
                return self.found(name.fullname, &indexed, i, *kind, name.tail, suffix, false);
            }
        }
        key.truncate(base);
        key.push('/');
        if profile.namespace_dirs() && index.get(&key).is_some() {
            return Ok(EntryAnswer::Portions(vec![Portion::plain(join(self.archive.path(), &key[..base]))]));
        }
        if trace.tracing() {
            let src = profile.suffixes().iter().find(|(_, k)| *k == ModuleKind::Source).map_or("", |(s, _)| s.as_str());
            let stem = &key[..base];
            trace.note_with(|| {
                Some(Attempt::new(
                    entry,
                    format!("no {stem}{src}, no {stem}/{}{src} in the archive", profile.init_stem()),
                ))
            });
        }
        Ok(EntryAnswer::Nothing)
    }

    fn invalidate(&self) {
        self.archive.invalidate();
    }

    /// A file member in this directory of the archive (or below it), read, inflated and checked now.
    fn read_resource(&self, resource: &str, ctx: &Ctx) -> Result<Option<Resource>> {
        let Ok(indexed) = self.archive.opened(ctx) else { return Ok(None) };
        let Some(i) = indexed.index.get(&format!("{}{resource}", self.prefix)) else { return Ok(None) };
        indexed.read_member(i).map(|b| Some(Resource::Owned(b))).map_err(|why| Error::new(ErrorCode::Import, why))
    }

    /// The names directly in this directory of the archive: members, and directories named or implied.
    fn resources(&self, ctx: &Ctx) -> Result<Option<Vec<String>>> {
        let Ok(indexed) = self.archive.opened(ctx) else { return Ok(None) };
        Ok(Some(indexed.index.children(&self.prefix).into_iter().map(|(n, _)| n).collect()))
    }

    /// As `pkgutil` lists a `zipimporter`: module members by stem, directories (named or implied) holding an
    /// init member as packages; names that are not identifiers skipped.
    fn iter_modules(&self, ctx: &Ctx) -> Result<Vec<ModuleInfo>> {
        let Ok(indexed) = self.archive.opened(ctx) else { return Ok(Vec::new()) };
        let profile = ctx.profile;
        let index = &indexed.index;
        // zipimport takes a member whose name starts with `__init__.py` (`__init__.pyc`, `__init__.pyx`...):
        // one pass over the members finds the first such member of each directory directly in this one (a
        // scan of the directory for each one would make listing a large archive quadratic).
        let init: Vec<String> = zip_suffixes(profile).map(|(s, _)| format!("{}{s}", profile.init_stem())).collect();
        let mut inits: rustc_hash::FxHashMap<&str, &str> = rustc_hash::FxHashMap::default();
        for (_, name) in index.names() {
            let Some((dir, file)) = name.strip_prefix(self.prefix.as_str()).and_then(|r| r.split_once('/')) else {
                continue;
            };
            if dir.is_empty() || file.contains('/') || !init.iter().any(|i| file.starts_with(i.as_str())) {
                continue;
            }
            let first = inits.entry(dir).or_insert(file);
            *first = (*first).min(file);
        }
        let init_member = |dir: &str| inits.get(dir).map(|f| (*f).to_owned());
        Ok(super::listing::archive_modules(index.children(&self.prefix), profile, init_member))
    }
}
