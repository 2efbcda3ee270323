//! `.ref` files: `<dir>/<name>.ref` names directories (one per line, relative to the ref file's directory,
//! `#` comments) searched for that name only, recursively, before the directory itself. See docs/REF_FILES.md.
//!
//! A ref file is outside input, so reading one is bounded and careful: only a regular text file of at most
//! [`MAX_REF_SIZE`] bytes is read, under confinement only one that itself resolves inside the roots; a chain
//! is at most [`MAX_REF_HOPS`] files deep; one search examines at most [`MAX_REF_TARGETS`] targets in all,
//! each directory is searched once (a hashed set of canonical paths); and what a message quotes of a file is
//! a bounded, escaped piece of one target line.

use std::path::PathBuf;

use rustc_hash::FxHashSet;

use super::dir::{DirFinder, DirResult};
use super::{join, Ctx, Step};
use crate::error::Attempt;
use crate::limits::{quote, MAX_REF_HOPS, MAX_REF_SIZE, MAX_REF_TARGETS};
use crate::spec::ModuleSpec;

/// The state of one search through ref files: directories seen (canonical) and the ref files followed.
#[derive(Default, Clone)]
pub struct Chain {
    visited: FxHashSet<PathBuf>,
    files: Vec<String>,
}

/// What the ref file of a name gave.
pub enum RefResult {
    Module(ModuleSpec),
    Portions(Vec<String>),
}

/// The directories a ref file names, or why it names none. `path` is what to open: the ref file itself,
/// or under confinement its resolved path (checked inside the roots).
fn read_targets(ref_file: &str, path: &std::path::Path) -> Result<Vec<String>, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    // Non-blocking, and checked once open: a FIFO put in the place of a ref file never blocks an import.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| format!("cannot read {ref_file}: {}", super::dir::describe(&e)))?;
    if !file.metadata().map(|m| m.is_file()).unwrap_or(false) {
        return Err(format!("{ref_file} is not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_REF_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {ref_file}: {}", super::dir::describe(&e)))?;
    if bytes.len() as u64 > MAX_REF_SIZE {
        return Err(format!("{ref_file} is larger than {MAX_REF_SIZE} bytes"));
    }
    // A ref file is lines of text; anything else (a link to a binary or to /proc/self/environ) is refused
    // without a word of what it holds.
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) if !t.contains('\0') => t,
        _ => return Err(format!("cannot read {ref_file}: not a text file (NUL bytes or invalid UTF-8)")),
    };
    let targets: Vec<String> =
        text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect();
    if targets.is_empty() {
        return Err(format!("{ref_file} names no directory"));
    }
    Ok(targets)
}

/// Takes one target from the search's budget; false once [`MAX_REF_TARGETS`] have been examined.
fn take_budget(ctx: &Ctx) -> bool {
    let left = ctx.ref_budget.get();
    if left == 0 {
        return false;
    }
    ctx.ref_budget.set(left - 1);
    true
}

/// Follows `dir/<tail>.ref` (the directory's listing has it). `None`: nothing usable in it (the reasons are
/// noted in `step`).
pub fn follow(
    ctx: &Ctx,
    dir: &DirFinder,
    fullname: &str,
    tail: &str,
    chain: &mut Chain,
    step: &mut Step,
) -> Option<RefResult> {
    let ref_file = join(dir.path(), &format!("{tail}.ref"));
    if chain.files.len() >= MAX_REF_HOPS {
        step.note(Attempt::new(&ref_file, format!("skipped: more than {MAX_REF_HOPS} .ref files in one chain")));
        return None;
    }
    if ctx.ref_budget.get() == 0 {
        step.note(Attempt::new(&ref_file, format!("skipped: this search examined {MAX_REF_TARGETS} .ref targets")));
        return None;
    }
    // The ref file itself must lie inside the roots (a link to a file outside is not read).
    let open_path = match ctx.resolve_allowed(&ref_file) {
        Ok(real) => real.unwrap_or_else(|| PathBuf::from(&ref_file)),
        Err(why) => {
            step.note(Attempt::new(&ref_file, format!("skipped: {why}")));
            return None;
        }
    };
    if chain.visited.is_empty() {
        if let Ok(c) = std::fs::canonicalize(dir.path()) {
            chain.visited.insert(c);
        }
    }
    let targets = match read_targets(&ref_file, &open_path) {
        Ok(t) => t,
        Err(why) => {
            step.note(Attempt::new(&ref_file, format!("skipped: {why}")));
            return None;
        }
    };
    chain.files.push(ref_file.clone());
    let mut portions = Vec::new();
    let mut looped: Option<(&str, usize)> = None;
    let mut unexamined = 0usize;
    for target in &targets {
        if !take_budget(ctx) {
            unexamined += 1;
            continue;
        }
        let path = if target.starts_with('/') { target.clone() } else { join(dir.path(), target) };
        // Under confinement the roots are checked first, with one answer for "outside" and "missing".
        if let Err(why) = ctx.check_allowed(&path) {
            step.note(Attempt::new(&ref_file, format!("target {}: {why}", quote(target))));
            continue;
        }
        let canonical = match std::fs::canonicalize(&path) {
            Ok(c) if c.is_dir() => c,
            Ok(_) => {
                step.note(Attempt::new(&ref_file, format!("target {} is not a directory", quote(target))));
                continue;
            }
            Err(e) => {
                let why = super::dir::describe(&e);
                step.note(Attempt::new(&ref_file, format!("target {} cannot be used: {why}", quote(target))));
                continue;
            }
        };
        if !chain.visited.insert(canonical) {
            looped = Some(looped.map_or((target, 1), |(first, n)| (first, n + 1)));
            continue;
        }
        let finder = ctx.paths.dir_finder(&path);
        match finder.find(fullname, tail, ctx, step, chain) {
            DirResult::Module(spec) if spec.refs().len() > 0 => return Some(RefResult::Module(spec)),
            DirResult::Module(spec) => return Some(RefResult::Module(spec.with_refs(chain.files.iter().cloned()))),
            DirResult::Portions(p) => portions.extend(p),
            DirResult::Nothing => {}
        }
    }
    if let Some((first, n)) = looped {
        let all = if n > 1 { format!(" ({n} targets of this file do)") } else { String::new() };
        step.note(Attempt::new(
            &ref_file,
            format!("target {} loops back to a directory already searched in this chain{all}", quote(first)),
        ));
    }
    if unexamined > 0 {
        step.note(Attempt::new(
            &ref_file,
            format!("{unexamined} targets not examined: one search examines at most {MAX_REF_TARGETS}"),
        ));
    }
    chain.files.pop();
    if portions.is_empty() {
        None
    } else {
        Some(RefResult::Portions(portions))
    }
}
