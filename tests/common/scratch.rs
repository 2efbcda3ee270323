//! Scratch directories for tests that use the filesystem: one per test, removed when dropped.

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A scratch directory (canonical path) removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A fresh directory under the system's temporary directory, named for `tag`, this process and a count.
    pub fn new(tag: &str) -> Scratch {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("importkit-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(fs::canonicalize(dir).unwrap())
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    pub fn s(&self, rel: &str) -> String {
        self.path(rel).to_str().unwrap().to_owned()
    }

    /// Writes `bytes` to `rel` (making its directories) and gives its path.
    pub fn put(&self, rel: &str, bytes: &[u8]) -> String {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, bytes).unwrap();
        self.s(rel)
    }

    /// Writes the text `text` to `rel`.
    pub fn write(&self, rel: &str, text: &str) {
        self.put(rel, text.as_bytes());
    }

    pub fn dir(&self, rel: &str) {
        fs::create_dir_all(self.path(rel)).unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
