//! `.ref` files: `<dir>/<name>.ref` names directories (one per line, relative to the ref file's directory,
//! `#` comments) searched for that name only, recursively, before the directory itself. See docs/REF_FILES.md.

use std::path::PathBuf;

use super::dir::{DirFinder, DirResult};
use super::{join, Ctx, Step};
use crate::error::Attempt;
use crate::spec::ModuleSpec;

/// Most `.ref` files followed in one chain.
pub const MAX_REF_HOPS: usize = 8;
/// Largest `.ref` file read, in bytes.
pub const MAX_REF_SIZE: u64 = 65_536;

/// The state of one search through ref files: directories seen (canonical) and the ref files followed.
#[derive(Default, Clone)]
pub struct Chain {
    visited: Vec<PathBuf>,
    files: Vec<String>,
}

/// What the ref file of a name gave.
pub enum RefResult {
    Module(ModuleSpec),
    Portions(Vec<String>),
}

/// The directories a ref file names, or why it names none.
fn read_targets(ref_file: &str) -> Result<Vec<String>, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut text = String::new();
    // Non-blocking, and checked once open: a FIFO put in the place of a ref file never blocks an import.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(ref_file)
        .map_err(|e| format!("cannot read {ref_file}: {e}"))?;
    if !file.metadata().map(|m| m.is_file()).unwrap_or(false) {
        return Err(format!("{ref_file} is not a regular file"));
    }
    let read = file.take(MAX_REF_SIZE + 1).read_to_string(&mut text);
    read.map_err(|e| format!("cannot read {ref_file}: {e}"))?;
    if text.len() as u64 > MAX_REF_SIZE {
        return Err(format!("{ref_file} is larger than {MAX_REF_SIZE} bytes"));
    }
    let targets: Vec<String> =
        text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect();
    if targets.is_empty() {
        return Err(format!("{ref_file} names no directory"));
    }
    Ok(targets)
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
    if chain.visited.is_empty() {
        if let Ok(c) = std::fs::canonicalize(dir.path()) {
            chain.visited.push(c);
        }
    }
    let targets = match read_targets(&ref_file) {
        Ok(t) => t,
        Err(why) => {
            step.note(Attempt::new(&ref_file, format!("skipped: {why}")));
            return None;
        }
    };
    chain.files.push(ref_file.clone());
    let mut portions = Vec::new();
    for target in targets {
        let path = if target.starts_with('/') { target.clone() } else { join(dir.path(), &target) };
        let canonical = match std::fs::canonicalize(&path) {
            Ok(c) if c.is_dir() => c,
            Ok(_) => {
                step.note(Attempt::new(&ref_file, format!("target '{target}' is not a directory")));
                continue;
            }
            Err(e) => {
                step.note(Attempt::new(&ref_file, format!("target '{target}' cannot be used: {e}")));
                continue;
            }
        };
        if chain.visited.contains(&canonical) {
            step.note(Attempt::new(
                &ref_file,
                format!("target '{target}' loops back to {} (already searched in this chain)", canonical.display()),
            ));
            continue;
        }
        if !ctx.allowed(&path, step) {
            continue;
        }
        chain.visited.push(canonical);
        let finder = ctx.paths.dir_finder(&path);
        match finder.find(fullname, tail, ctx, step, chain) {
            DirResult::Module(spec) if spec.refs().len() > 0 => return Some(RefResult::Module(spec)),
            DirResult::Module(spec) => return Some(RefResult::Module(spec.with_refs(chain.files.iter().cloned()))),
            DirResult::Portions(p) => portions.extend(p),
            DirResult::Nothing => {}
        }
    }
    chain.files.pop();
    if portions.is_empty() {
        None
    } else {
        Some(RefResult::Portions(portions))
    }
}
