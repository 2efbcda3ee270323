//! `pkgutil.iter_modules` of one path entry, by CPython's rules for each kind of entry: a directory as
//! `pkgutil` lists a `FileFinder`, an archive as it lists a `zipimporter`. A name is listed once, by the first
//! child that gives it in sorted order; names with a dot are not listed, names that are not identifiers are
//! (as CPython lists them, though no import can reach them).

use crate::finders::protocol::ModuleInfo;
use crate::profile::Profile;

fn push_once(out: &mut Vec<ModuleInfo>, name: &str, is_package: bool) {
    if !name.is_empty() && !name.contains('.') && !out.iter().any(|m| m.name == name) {
        out.push(ModuleInfo { name: name.to_owned(), is_package });
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
    let mut out = Vec::new();
    for (name, is_dir) in &children {
        match profile.classify(name) {
            Some((_, stem)) if stem == profile.init_stem() => {}
            Some((_, stem)) => push_once(&mut out, stem, false),
            None if *is_dir && !name.contains('.') && has_init(name) => push_once(&mut out, name, true),
            None => {}
        }
    }
    out.sort();
    out
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
    let mut out = Vec::new();
    for (_, name, is_package) in members {
        if is_package {
            // zipimport does not look for a dot in a package's name.
            if !out.iter().any(|m: &ModuleInfo| m.name == name) {
                out.push(ModuleInfo { name: name.to_owned(), is_package });
            }
        } else {
            push_once(&mut out, name, false);
        }
    }
    out.sort();
    out
}
