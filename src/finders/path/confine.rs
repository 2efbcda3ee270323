//! Resolving a path under confinement without looking outside the roots.
//!
//! `canonicalize` walks a path through whatever it names, so `/outside/secret/../root/x` resolves inside
//! the roots only if `/outside/secret` exists, and the answer tells that. Here the path is walked one
//! component at a time, following links by hand, and the walk stops as soon as the part resolved so far is
//! neither inside a root nor on the way to one (an ancestor of a root): nothing outside is ever looked at, so
//! "outside" and "missing" give the same answer.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use crate::limits::MAX_LINKS;

/// Whether `p` is inside a root, or an ancestor of one (the walk from `/` passes there).
fn on_the_way(p: &Path, roots: &[PathBuf]) -> bool {
    roots.iter().any(|r| p.starts_with(r) || r.starts_with(p))
}

/// `path` with every link resolved, if it exists and every step of the walk stays inside the roots (or on
/// the way to them); `None` otherwise, whatever lies outside. `roots` are canonical.
pub fn resolve_inside(path: &Path, roots: &[PathBuf]) -> Option<PathBuf> {
    let absolute = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().ok()?.join(path) };
    let mut pending: VecDeque<OsString> = VecDeque::new();
    push_front(&mut pending, &absolute);
    let mut resolved = PathBuf::from("/");
    let mut links = 0;
    while let Some(part) = pending.pop_front() {
        if part == ".." {
            resolved.pop();
            if !on_the_way(&resolved, roots) {
                return None;
            }
            continue;
        }
        resolved.push(&part);
        if !on_the_way(&resolved, roots) {
            return None;
        }
        let meta = std::fs::symlink_metadata(&resolved).ok()?;
        if meta.file_type().is_symlink() {
            links += 1;
            if links > MAX_LINKS {
                return None;
            }
            let target = std::fs::read_link(&resolved).ok()?;
            resolved.pop();
            if target.is_absolute() {
                resolved = PathBuf::from("/");
            }
            push_front(&mut pending, &target);
        } else if !pending.is_empty() && !meta.is_dir() {
            return None;
        }
    }
    roots.iter().any(|r| resolved.starts_with(r)).then_some(resolved)
}

/// Puts the components of `path` (`.` dropped, `..` kept) before what is pending.
fn push_front(pending: &mut VecDeque<OsString>, path: &Path) {
    let parts: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect();
    for p in parts.into_iter().rev() {
        pending.push_front(p);
    }
}

#[cfg(test)]
mod tests {
    use super::resolve_inside;
    use std::os::unix::fs::symlink;
    use std::path::PathBuf;

    #[test]
    fn a_detour_outside_is_refused_whether_or_not_it_exists() {
        let top = std::env::temp_dir().join(format!("ik-confine-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&top);
        std::fs::create_dir_all(top.join("root/sub")).unwrap();
        std::fs::create_dir_all(top.join("outside/secret")).unwrap();
        std::fs::write(top.join("root/sub/x.py"), "").unwrap();
        let top = std::fs::canonicalize(&top).unwrap();
        let roots = vec![top.join("root")];
        symlink(top.join("outside/secret/../../root/sub/x.py"), top.join("root/yes")).unwrap();
        symlink(top.join("outside/nothing/../../root/sub/x.py"), top.join("root/no")).unwrap();
        symlink("sub/x.py", top.join("root/inside")).unwrap();
        symlink("../root/sub/../sub/x.py", top.join("root/back")).unwrap();
        assert_eq!(resolve_inside(&top.join("root/yes"), &roots), None);
        assert_eq!(resolve_inside(&top.join("root/no"), &roots), None);
        let real: Option<PathBuf> = Some(top.join("root/sub/x.py"));
        assert_eq!(resolve_inside(&top.join("root/inside"), &roots), real);
        assert_eq!(resolve_inside(&top.join("root/back"), &roots), real);
        assert_eq!(resolve_inside(&top.join("root/missing"), &roots), None);
        assert_eq!(resolve_inside(&top.join("outside/secret"), &roots), None);
        symlink("loop", top.join("root/loop")).unwrap();
        assert_eq!(resolve_inside(&top.join("root/loop"), &roots), None);
        let _ = std::fs::remove_dir_all(&top);
    }
}
