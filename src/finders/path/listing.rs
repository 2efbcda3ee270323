//! `pkgutil.iter_modules` of one path entry, by CPython's rules for each kind of entry: a directory as
//! `pkgutil` lists a `FileFinder`, an archive as it lists a `zipimporter`. A name is listed once, by the first
//! child that gives it in sorted order; names with a dot are not listed, names that are not identifiers are
//! (as CPython lists them, though no import can reach them).

use crate::finders::protocol::ModuleInfo;
use crate::profile::Profile;

/// The modules of a listing, each name once (the first one given wins).
#[derive(Default)]
struct Listed {
    out: Vec<ModuleInfo>,
    seen: rustc_hash::FxHashSet<String>,
}

impl Listed {
    /// Adds `name` unless it is listed already; `dotted` names are listed or not as `keep_dotted` says.
    fn push(&mut self, name: &str, is_package: bool, keep_dotted: bool) {
        if !name.is_empty() && (keep_dotted || !name.contains('.')) && self.seen.insert(name.to_owned()) {
            self.out.push(ModuleInfo { name: name.to_owned(), is_package });
        }
    }

    fn sorted(mut self) -> Vec<ModuleInfo> {
        self.out.sort();
        self.out
    }
}

/// A directory's modules from its `(name, is_directory)` children: a file by its stem (the longest suffix
/// of the profile that matches, extensions included, as `inspect.getmodulename`), a directory without a
/// suffix as a package when `has_init` says it holds an init file (else not at all).
pub fn directory_modules(
    mut children: Vec<(String, bool)>,
    profile: &Profile,
    has_init: impl Fn(&str) -> bool,
) -> Vec<ModuleInfo> {
    children.sort();
    let mut out = Listed::default();
    for (name, is_dir) in &children {
        match profile.classify(name) {
            Some((_, stem)) if stem == profile.init_stem() => {}
            Some((_, stem)) => out.push(stem, false, false),
            None if *is_dir && !name.contains('.') && has_init(name) => out.push(name, true, false),
            None => {}
        }
    }
    out.sorted()
}

/// An archive directory's modules from its `(name, is_directory)` children: a file member by its stem, a
/// directory as a package when `init_member` names the init member it holds (`zipimport` takes a member
/// starting with the init stem and a source suffix). Members are taken in the order of their paths, so of a
/// module `a.py` and a package `a/` the module comes first, as with `zipimporter`.
pub fn archive_modules(
    children: Vec<(String, bool)>,
    profile: &Profile,
    init_member: impl Fn(&str) -> Option<String>,
) -> Vec<ModuleInfo> {
    let mut members: Vec<(String, &str, bool)> = Vec::new();
    for (name, is_dir) in &children {
        if *is_dir {
            if let Some(init) = init_member(name) {
                members.push((format!("{name}/{init}"), name, true));
            }
        } else if let Some((_, stem)) = profile.classify(name).filter(|(_, s)| *s != profile.init_stem()) {
            members.push((name.clone(), stem, false));
        }
    }
    members.sort();
    let mut out = Listed::default();
    for (_, name, is_package) in members {
        // zipimport does not look for a dot in a package's name.
        out.push(name, is_package, is_package);
    }
    out.sorted()
}
