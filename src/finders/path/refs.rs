//! `.ref` files: `<dir>/<name>.ref` names directories (one per line, relative to the ref file's directory,
//! `#` comments) searched for that name only, recursively, before the directory itself. See docs/REF_FILES.md.
//!
//! A ref file is outside input, so reading one is bounded and careful:
//! - only a regular text file of at most [`MAX_REF_SIZE`] bytes is read;
//! - under confinement the ref file must itself resolve inside the roots, and it is opened by that resolved
//!   path without following a link, then checked again through the open descriptor (a link swapped in
//!   meanwhile is not read); a target is normalised as text first (`a/../b` is `b`, so a `..` never tells
//!   whether something outside exists) and then resolved, and the directory searched is the resolved one;
//! - a chain is at most [`MAX_REF_HOPS`] files deep; one operation reads at most [`MAX_REF_BYTES`] and examines
//!   at most [`MAX_REF_TARGETS`] targets and files in all (see `scope.rs`), each directory once per chain;
//! - a message quotes at most one unusable target of a file, bounded and escaped, and counts the others.

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

use rustc_hash::FxHashSet;

use super::ctx::{describe, join, Ctx, REFUSED};
use super::entry::Portion;
use super::open::open_checked;
use super::scope;
use crate::error::{quote, Attempt};
use crate::finders::trace::Trace;
use crate::limits::{MAX_REF_BYTES, MAX_REF_HOPS, MAX_REF_SIZE, MAX_REF_TARGETS};
use crate::spec::ModuleSpec;

/// The state of one search through ref files: directories seen (canonical) and the ref files followed.
/// Made for every entry searched, used only where a ref file is: nothing is made until then.
#[derive(Default, Clone)]
pub struct Chain {
    visited: Option<FxHashSet<PathBuf>>,
    files: Vec<String>,
}

impl Chain {
    /// The ref files followed to the directory being searched, in order (empty outside any ref file).
    pub fn files(&self) -> &[String] {
        &self.files
    }
}

/// What the ref file of a name gave.
pub enum RefResult {
    Module(Arc<ModuleSpec>),
    Portions(Vec<Portion>),
}

/// Why a ref file gave no text: something about the file, or the operation's budget.
enum Unread {
    Why(String),
    Limit(String),
}

impl From<String> for Unread {
    fn from(why: String) -> Self {
        Unread::Why(why)
    }
}

/// The text of a ref file, or why it has none, within what the operation may still read.
fn read_text(file: File, ref_file: &str) -> Result<String, Unread> {
    use std::io::Read;
    if !file.metadata().map(|m| m.is_file()).unwrap_or(false) {
        return Err(format!("{ref_file} is not a regular file").into());
    }
    let allowed = MAX_REF_SIZE.min(scope::ref_bytes_left());
    let mut bytes = Vec::new();
    file.take(allowed + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read {ref_file}: {}", describe(&e)))?;
    scope::spend_ref_bytes(bytes.len() as u64);
    if bytes.len() as u64 > allowed {
        return Err(if allowed < MAX_REF_SIZE {
            Unread::Limit(format!("this import read {MAX_REF_BYTES} bytes of .ref files already"))
        } else {
            Unread::Why(format!("{ref_file} is larger than {MAX_REF_SIZE} bytes"))
        });
    }
    // A ref file is lines of text; anything else (a link to a binary or to /proc/self/environ) is refused
    // without a word of what it holds.
    match String::from_utf8(bytes) {
        Ok(t) if !t.contains('\0') => Ok(t),
        _ => Err(format!("cannot read {ref_file}: not a text file (NUL bytes or invalid UTF-8)").into()),
    }
}

/// `path` with `.` and `..` segments resolved as text (`/a/b/../c` is `/a/c`), as confinement takes a
/// target: where a `..` leads never depends on what exists on the way.
fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// The directory a target names, to search: unconfined, the path as written (joined to the ref file's
/// directory, as CPython joins paths); confined, the resolved path of its textual normal form, inside the
/// roots. Also its canonical path, for the loop check.
fn target_dir(ctx: &Ctx, dir: &str, target: &str) -> Result<(String, PathBuf), String> {
    let written = if target.starts_with('/') { target.to_owned() } else { join(dir, target) };
    if ctx.confined() {
        // Resolved without looking outside the roots; the directory searched is the one that was checked.
        let real = match ctx.resolve_allowed(&normalize(&written)) {
            Ok(Some(real)) => real,
            _ => return Err(format!("target {}: {REFUSED}", quote(target))),
        };
        if !real.is_dir() {
            return Err(format!("target {} is not a directory", quote(target)));
        }
        let Some(text) = real.to_str() else {
            return Err(format!("target {} does not resolve to a UTF-8 path", quote(target)));
        };
        return Ok((text.to_owned(), real.clone()));
    }
    match std::fs::canonicalize(&written) {
        Ok(c) if c.is_dir() => Ok((written, c)),
        Ok(_) => Err(format!("target {} is not a directory", quote(target))),
        Err(e) => Err(format!("target {} cannot be used: {}", quote(target), describe(&e))),
    }
}

/// What a search of a target directory gives.
pub type Search<'s> = dyn FnMut(&str, &mut Chain, &mut Trace) -> Option<RefResult> + 's;

/// Follows `dir/<tail>.ref` (the directory's listing has it), searching each target directory with
/// `search`. `None`: nothing usable in it (the reasons are noted in `trace`).
pub fn follow(
    ctx: &Ctx,
    dir: &str,
    tail: &str,
    chain: &mut Chain,
    trace: &mut Trace,
    search: &mut Search,
) -> Option<RefResult> {
    ctx.in_operation();
    let ref_file = join(dir, &format!("{tail}.ref"));
    if chain.files.len() >= MAX_REF_HOPS {
        trace.note_with(|| {
            Some(Attempt::new(&ref_file, format!("skipped: more than {MAX_REF_HOPS} .ref files in one chain")))
        });
        return None;
    }
    // Reading the file takes one unit of the budget, as each target does.
    if !scope::take_ref_target() {
        let why = format!("skipped: this import examined {MAX_REF_TARGETS} .ref files and targets already");
        trace.note_limit(&ref_file, why);
        return None;
    }
    let text =
        match open_checked(ctx, &ref_file, "cannot read").map_err(Unread::Why).and_then(|f| read_text(f, &ref_file)) {
            Ok(t) => t,
            Err(Unread::Limit(why)) => {
                trace.note_limit(&ref_file, format!("skipped: {why}"));
                return None;
            }
            Err(Unread::Why(why)) => {
                trace.note_with(|| Some(Attempt::new(&ref_file, format!("skipped: {why}"))));
                return None;
            }
        };
    let mut targets = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).peekable();
    if targets.peek().is_none() {
        trace.note_with(|| Some(Attempt::new(&ref_file, format!("skipped: {ref_file} names no directory"))));
        return None;
    }
    // The chain's first ref file: its own directory counts as searched.
    chain.visited.get_or_insert_with(|| std::fs::canonicalize(dir).into_iter().collect());
    chain.files.push(ref_file.clone());
    let mut portions = Vec::new();
    let mut looped: Option<(&str, usize)> = None;
    let mut unusable = 0usize;
    let mut unexamined = 0usize;
    while let Some(target) = targets.next() {
        if !scope::take_ref_target() {
            unexamined = 1 + targets.count();
            break;
        }
        let (path, canonical) = match target_dir(ctx, dir, target) {
            Ok(found) => found,
            Err(why) => {
                // The first unusable target is quoted; the others are counted (a link to a text file
                // outside must not list it line by line).
                if unusable == 0 {
                    trace.note_with(|| Some(Attempt::new(&ref_file, why)));
                }
                unusable += 1;
                continue;
            }
        };
        if !chain.visited.get_or_insert_with(FxHashSet::default).insert(canonical) {
            looped = Some(looped.map_or((target, 1), |(first, n)| (first, n + 1)));
            continue;
        }
        match search(&path, chain, trace) {
            Some(RefResult::Module(spec)) if spec.refs().len() > 0 => return Some(RefResult::Module(spec)),
            Some(RefResult::Module(spec)) => {
                let with_refs = Arc::unwrap_or_clone(spec).with_refs(chain.files.iter().cloned());
                return Some(RefResult::Module(Arc::new(with_refs)));
            }
            Some(RefResult::Portions(p)) => portions.extend(p),
            None => {}
        }
    }
    if unusable > 1 {
        trace.note_with(|| {
            Some(Attempt::new(&ref_file, format!("{} more targets of this file cannot be used", unusable - 1)))
        });
    }
    if let Some((first, n)) = looped {
        let all = if n > 1 { format!(" ({n} targets of this file do)") } else { String::new() };
        trace.note_with(|| {
            Some(Attempt::new(
                &ref_file,
                format!("target {} loops back to a directory already searched in this chain{all}", quote(first)),
            ))
        });
    }
    if unexamined > 0 {
        let why = format!("targets not examined: one import examines at most {MAX_REF_TARGETS}");
        trace.note_limit(&ref_file, why);
    }
    chain.files.pop();
    if portions.is_empty() {
        None
    } else {
        Some(RefResult::Portions(portions))
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn normalize_resolves_dots_as_text() {
        assert_eq!(normalize("/a/b/../c"), "/a/c");
        assert_eq!(normalize("/a/./b//c/"), "/a/b/c");
        assert_eq!(normalize("/../x"), "/x");
        assert_eq!(normalize("/a/secret/../root/sub"), "/a/root/sub");
        assert_eq!(normalize("a/../../b"), "../b");
    }
}
