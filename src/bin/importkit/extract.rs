//! `importkit bundle extract`: every file of a bundle written back under a directory with its bytes, and
//! nothing written outside the directory.
//!
//! The bundle is verified first (nothing is written from a corrupt one). Its paths are relative with no
//! empty, `.` or `..` segment (the reader checks each; they are checked again here). Under the directory,
//! every directory on the way to a file is made or must be a real directory: a symbolic link met there is
//! refused, never followed, and files are created with `O_EXCL`, which does not follow a link either. A
//! directory that exists must be empty, unless forced: then files already there are replaced.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Component, Path};

use importkit::Bundle;

use crate::failure::{failed, Outcome};

/// What was written: how many files, how many bytes.
pub struct Extracted {
    pub files: u32,
    pub bytes: u64,
}

/// Writes every file of `bundle` under `dir` (made if missing; if there, empty unless `force`).
pub fn extract(bundle: &Bundle, dir: &Path, force: bool) -> Outcome<Extracted> {
    bundle.verify().map_err(|e| failed(e.message()))?;
    let shown = dir.display();
    match fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => return Err(failed(format!("cannot extract to '{shown}': not a directory"))),
        Ok(_) => {
            let mut listing = fs::read_dir(dir).map_err(|e| failed(format!("cannot extract to '{shown}': {e}")))?;
            if listing.next().is_some() && !force {
                return Err(failed(format!(
                    "cannot extract to '{shown}': the directory is not empty (--force writes into it, replacing files)"
                )));
            }
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            fs::create_dir_all(dir).map_err(|e| failed(format!("cannot make '{shown}': {e}")))?
        }
        Err(e) => return Err(failed(format!("cannot extract to '{shown}': {e}"))),
    }
    let mut done = Extracted { files: 0, bytes: 0 };
    for i in 0..bundle.file_count() {
        let (path, _) = bundle.file_at(i).map_err(|e| failed(e.message()))?;
        let relative = Path::new(path);
        if path.is_empty() || !relative.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(failed(format!(
                "bundle '{}': file '{path}' would be written outside '{shown}'",
                bundle.label()
            )));
        }
        let mut at = dir.to_path_buf();
        let segments: Vec<&str> = path.split('/').collect();
        for segment in &segments[..segments.len() - 1] {
            at.push(segment);
            match fs::symlink_metadata(&at) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(failed(format!(
                        "cannot extract '{path}': '{}' is a symbolic link, which extract does not follow",
                        at.display()
                    )))
                }
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(failed(format!(
                        "cannot extract '{path}': '{}' is in the way (not a directory)",
                        at.display()
                    )))
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    fs::create_dir(&at).map_err(|e| failed(format!("cannot make '{}': {e}", at.display())))?
                }
                Err(e) => return Err(failed(format!("cannot extract '{path}': '{}': {e}", at.display()))),
            }
        }
        at.push(segments[segments.len() - 1]);
        match fs::symlink_metadata(&at) {
            Ok(m) if m.is_dir() => {
                return Err(failed(format!("cannot extract '{path}': '{}' is a directory", at.display())))
            }
            // Only with --force can the directory hold anything; a link is removed, not followed.
            Ok(_) => fs::remove_file(&at).map_err(|e| failed(format!("cannot replace '{}': {e}", at.display())))?,
            Err(_) => {}
        }
        let bytes = bundle.file_bytes(i).map_err(|e| failed(e.message()))?;
        let written = OpenOptions::new().write(true).create_new(true).open(&at).and_then(|mut f| f.write_all(&bytes));
        written.map_err(|e| failed(format!("cannot write '{}': {e}", at.display())))?;
        done.files += 1;
        done.bytes += bytes.len() as u64;
    }
    Ok(done)
}
