//! A file on the search path that serves modules (a zip archive, a bundle): opened once, shared by every
//! entry into it, and opened again when the file changes. An archive's opened form is trusted for the
//! runtime's recheck window; after it the file is stat'ed, and opened again if its size, mtime, ctime, device
//! or inode changed (and always after `invalidate`).

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use parking_lot::Mutex;
use rustc_hash::FxHashMap;

use super::ctx::Ctx;

/// What tells one state of a file from another. The status change time moves with every write and cannot
/// be set back (a file rewritten in place with its mtime restored is still seen to change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    mtime: Option<SystemTime>,
    ctime: (i64, i64),
    dev: u64,
    ino: u64,
}

impl Stamp {
    pub fn of(m: &std::fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp { len: m.len(), mtime: m.modified().ok(), ctime: (m.ctime(), m.ctime_nsec()), dev: m.dev(), ino: m.ino() }
    }
}

/// What an archive file opens to (a zip's index, an opened bundle).
pub trait Opened: Send + Sync + Sized + 'static {
    /// Opens the archive at `path` (allowed by confinement), or says why not, naming it.
    fn open(path: &str, ctx: &Ctx) -> Result<Self, String>;
}

struct State<T> {
    opened: Option<Result<Arc<T>, String>>,
    stamp: Option<Stamp>,
    checked: Option<Instant>,
}

impl<T> Default for State<T> {
    fn default() -> Self {
        State { opened: None, stamp: None, checked: None }
    }
}

/// One archive file of a path finder, with what it opened to cached.
pub struct Archive<T> {
    path: String,
    state: Mutex<State<T>>,
}

impl<T: Opened> Archive<T> {
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The archive opened: the form cached, within the recheck window or while the file is unchanged; else
    /// opened again (under the archive's own lock: several searches wait for one open). An archive that
    /// cannot be opened gives why, naming it (cached as the archive's state, as a success is).
    pub fn opened(&self, ctx: &Ctx) -> Result<Arc<T>, String> {
        let mut st = self.state.lock();
        if let (Some(checked), Some(known)) = (st.checked, &st.opened) {
            if ctx.now.saturating_duration_since(checked) < ctx.recheck {
                return known.clone();
            }
        }
        st.checked = Some(ctx.now);
        ctx.check_allowed(&self.path)?;
        let stamp = std::fs::metadata(&self.path).ok().map(|m| Stamp::of(&m));
        if let (Some(_), Some(known)) = (stamp.filter(|s| Some(*s) == st.stamp), &st.opened) {
            return known.clone();
        }
        let made = T::open(&self.path, ctx).map(Arc::new);
        st.stamp = stamp;
        st.opened = Some(made.clone());
        made
    }

    /// Forgets what the archive opened to: the next search opens it again.
    pub fn invalidate(&self) {
        *self.state.lock() = State::default();
    }
}

/// The archives of one kind of a path finder, by path.
pub struct Archives<T>(Mutex<FxHashMap<String, Arc<Archive<T>>>>);

impl<T> Default for Archives<T> {
    fn default() -> Self {
        Archives(Mutex::default())
    }
}

impl<T: Opened> Archives<T> {
    /// The archive at `path` (made on first use; opened on first search).
    pub fn get(&self, path: &str) -> Arc<Archive<T>> {
        let mut all = self.0.lock();
        if let Some(a) = all.get(path) {
            return Arc::clone(a);
        }
        let a = Arc::new(Archive { path: path.to_owned(), state: Mutex::default() });
        all.insert(path.to_owned(), Arc::clone(&a));
        a
    }

    /// Every archive forgets what it opened to.
    pub fn invalidate(&self) {
        for a in self.0.lock().values() {
            a.invalidate();
        }
    }

    /// Drops every archive (after the lock is released).
    pub fn clear(&self) {
        let all = std::mem::take(&mut *self.0.lock());
        drop(all);
    }
}
