//! Writing an output file atomically: the bytes go to a new temporary file beside it, are flushed to disk,
//! and the temporary file is renamed over the output. A reader sees the old file or the new one, never a
//! part; a failure leaves the old file as it was and no temporary file behind.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The temporary file an output is first written to: hidden, beside it, named for this process.
pub fn temporary(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.importkit-{}.tmp", std::process::id()))
}

/// Writes `bytes` to `path` atomically, with the permission bits `mode` (e.g. a program's, to keep it
/// executable) or, without, those a new file gets (0666 less the umask). Errors name the file.
pub fn write_atomically(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<(), String> {
    let shown = path.display();
    if path.file_name().is_none() {
        return Err(format!("cannot write '{shown}': not a file name"));
    }
    let tmp = temporary(path);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true).mode(0o666);
    let mut file = options.open(&tmp).map_err(|e| format!("cannot write '{shown}': {e}"))?;
    let written = (|| {
        file.write_all(bytes)?;
        if let Some(mode) = mode {
            file.set_permissions(fs::Permissions::from_mode(mode))?;
        }
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    written.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("cannot write '{shown}': {e}")
    })
}
