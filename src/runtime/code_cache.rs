//! The code cache of a runtime (docs/CODE_CACHE.md): compiled code for the host's executor, so that a
//! module of kind source is compiled once per version of its source, not once per import, run or process.
//!
//! Code for a module comes, in this order, from its source (a bundle's code entry for the runtime's cache
//! tag, checked by its CRC-32), from memory (kept for the runtime's life, bounded in bytes, the least
//! recently used entry dropped first), from the host's cache directory (`code_file.rs`), or from the
//! executor's `compile`, whose code then goes into memory and the directory. Entries are keyed by the module
//! (SHA-256 of its name and origin) and hold the SHA-256 of the source they were compiled from: an entry
//! whose source hash is not that of the source the module has now is stale, and is never handed out.
//!
//! Locking: the memory table is one mutex, held for a lookup or an insert only (no I/O, no host code under
//! it); the directory is read and written under no lock; the counters are atomics. Imports of different
//! modules use the cache at once; imports of one module are serialised by its import lock anyway.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use rustc_hash::FxHashMap;
use sha2::{Digest as _, Sha256};

use super::code_file::{self, Digest, Expect, Lookup};
use crate::error::{quote, Error, ErrorCode, Result};
use crate::executor::Executor;
use crate::finders::path::ctx::describe;
use crate::finders::path::scope;
use crate::finders::ModuleBytes;
use crate::limits::{MAX_CODE_SIZE, MAX_PATH_LEN};
use crate::spec::ModuleSpec;

/// How many bytes of code a runtime keeps in memory unless the host sets another bound (32 MiB).
pub const DEFAULT_CODE_CACHE_LIMIT: u64 = 32 * 1024 * 1024;

/// What a runtime's code cache has done since the runtime was made, and what it holds now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CodeCacheStats {
    /// Calls of the executor's `compile` that gave code.
    pub compiles: u64,
    /// Code a module's source held for the runtime's cache tag (a bundle's code entry), used as it was.
    pub hits_source: u64,
    /// Code found in memory, compiled from the source the module has now.
    pub hits_memory: u64,
    /// Code found in the cache directory, every check passed.
    pub hits_directory: u64,
    /// Lookups that found no usable code (then `compile` is asked, if the executor has one).
    pub misses: u64,
    /// Entries found and not trusted: cache files that were stale, truncated, corrupt or another module's
    /// or tag's, and code entries of a source that failed their check. Each was ignored (and a cache file
    /// replaced once the module compiled again).
    pub rejected: u64,
    /// Cache files written.
    pub stores: u64,
    /// Cache files that could not be written (a read-only directory, a full disk); the import went on.
    pub store_failures: u64,
    /// Entries dropped from memory to stay within the bound.
    pub evictions: u64,
    /// Entries held in memory now.
    pub entries: u64,
    /// Bytes of code held in memory now.
    pub bytes: u64,
    /// The bound on `bytes`.
    pub limit: u64,
}

#[derive(Default)]
struct Counts {
    compiles: AtomicU64,
    hits_source: AtomicU64,
    hits_memory: AtomicU64,
    hits_directory: AtomicU64,
    misses: AtomicU64,
    rejected: AtomicU64,
    stores: AtomicU64,
    store_failures: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// One module's code in memory.
struct Entry {
    source: Digest,
    code: Arc<[u8]>,
    /// When it was last used (a tick of [`Memory::clock`]): its key in [`Memory::order`].
    used: u64,
}

/// The code kept in memory: by module key, and by last use for eviction.
struct Memory {
    entries: FxHashMap<Digest, Entry>,
    order: BTreeMap<u64, Digest>,
    clock: u64,
    bytes: u64,
    limit: u64,
    evictions: u64,
    /// Moves on each time the memory is cleared for another executor: code compiled by the one before (a
    /// compile that ran across the change) is not kept.
    generation: u64,
}

impl Memory {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// The code of `key` compiled from `source`, marked used. A stale entry (another source) is dropped.
    fn get(&mut self, key: &Digest, source: &Digest) -> Option<Arc<[u8]>> {
        let now = self.tick();
        let entry = self.entries.get_mut(key)?;
        if entry.source != *source {
            self.remove(key);
            return None;
        }
        self.order.remove(&entry.used);
        entry.used = now;
        self.order.insert(now, *key);
        Some(Arc::clone(&entry.code))
    }

    fn remove(&mut self, key: &Digest) -> Option<Arc<[u8]>> {
        let old = self.entries.remove(key)?;
        self.order.remove(&old.used);
        self.bytes -= old.code.len() as u64;
        Some(old.code)
    }

    /// Drops the least recently used entries until `room` more bytes fit; gives back what it dropped.
    fn make_room(&mut self, room: u64, dropped: &mut Vec<Arc<[u8]>>) {
        while self.bytes + room > self.limit {
            let Some((_, key)) = self.order.pop_first() else { break };
            if let Some(old) = self.entries.remove(&key) {
                self.bytes -= old.code.len() as u64;
                self.evictions += 1;
                dropped.push(old.code);
            }
        }
    }

    /// Keeps `code` for `key`, replacing what the key had; code larger than the bound is not kept.
    fn insert(&mut self, key: Digest, source: Digest, code: Arc<[u8]>, dropped: &mut Vec<Arc<[u8]>>) {
        dropped.extend(self.remove(&key));
        let len = code.len() as u64;
        // A limit of 0 keeps nothing, empty code included.
        if len > self.limit || self.limit == 0 {
            return;
        }
        self.make_room(len, dropped);
        let used = self.tick();
        self.order.insert(used, key);
        self.bytes += len;
        self.entries.insert(key, Entry { source, code, used });
    }
}

/// A runtime's code cache.
pub(crate) struct CodeCache {
    /// The profile's cache tag: which code of a source or a cache directory is this runtime's.
    tag: Option<Box<str>>,
    memory: Mutex<Memory>,
    dir: RwLock<Option<Arc<PathBuf>>>,
    counts: Counts,
}

/// SHA-256 of `parts`, one after another.
fn sha256(parts: &[&[u8]]) -> Digest {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The key of a module's code: SHA-256 of its name, a NUL byte and its origin (code embeds where it came
/// from, as a code object's `co_filename` or a chunk name does, so two modules never share code).
fn key_of(spec: &ModuleSpec) -> Digest {
    sha256(&[spec.name().as_bytes(), b"\0", spec.origin().as_bytes()])
}

impl CodeCache {
    pub(crate) fn new(tag: Option<&str>) -> CodeCache {
        let memory = Memory {
            entries: FxHashMap::default(),
            order: BTreeMap::new(),
            clock: 0,
            bytes: 0,
            limit: DEFAULT_CODE_CACHE_LIMIT,
            evictions: 0,
            generation: 0,
        };
        CodeCache {
            tag: tag.map(Into::into),
            memory: Mutex::new(memory),
            dir: RwLock::new(None),
            counts: Counts::default(),
        }
    }

    /// Sets the directory where compiled code is kept across runs (`None`: none, the default). It must be
    /// an existing directory, and the runtime's profile must have a cache tag (what the code is for); a
    /// relative path is resolved now. It is not created, and need not be writable (a cache shipped with an
    /// application is read; failed writes are counted).
    pub(crate) fn set_dir(&self, dir: Option<&str>) -> Result<()> {
        let Some(dir) = dir else {
            *self.dir.write() = None;
            return Ok(());
        };
        if dir.is_empty() || dir.len() > MAX_PATH_LEN || dir.contains('\0') {
            return Err(Error::invalid_argument(format!(
                "a code cache directory must have 1 to {MAX_PATH_LEN} bytes and no NUL"
            )));
        }
        if self.tag.is_none() {
            return Err(Error::new(
                ErrorCode::Unavailable,
                format!(
                    "code cache directory {}: the runtime's profile has no cache tag to say what the code is for \
                     (give the profile one: ik_profile_set_cache_tag)",
                    quote(dir)
                ),
            ));
        }
        let bad =
            |why: String| Error::invalid_argument(format!("code cache directory {} cannot be used: {why}", quote(dir)));
        let resolved = std::fs::canonicalize(dir).map_err(|e| bad(describe(&e)))?;
        match std::fs::metadata(&resolved) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(bad("it is not a directory".into())),
            Err(e) => return Err(bad(describe(&e))),
        }
        *self.dir.write() = Some(Arc::new(resolved));
        Ok(())
    }

    /// Bounds the code kept in memory to `bytes` (0: keep none), dropping the least recently used entries
    /// now if it holds more.
    pub(crate) fn set_limit(&self, bytes: u64) {
        let mut dropped = Vec::new();
        let mut memory = self.memory.lock();
        memory.limit = bytes;
        memory.make_room(0, &mut dropped);
        drop(memory);
        drop(dropped);
    }

    /// Forgets the code kept in memory (another executor may compile otherwise); counters stay.
    pub(crate) fn clear_memory(&self) {
        let mut memory = self.memory.lock();
        let entries = std::mem::take(&mut memory.entries);
        memory.order.clear();
        memory.bytes = 0;
        memory.generation += 1;
        drop(memory);
        drop(entries);
    }

    pub(crate) fn stats(&self) -> CodeCacheStats {
        let c = &self.counts;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let memory = self.memory.lock();
        CodeCacheStats {
            compiles: get(&c.compiles),
            hits_source: get(&c.hits_source),
            hits_memory: get(&c.hits_memory),
            hits_directory: get(&c.hits_directory),
            misses: get(&c.misses),
            rejected: get(&c.rejected),
            stores: get(&c.stores),
            store_failures: get(&c.store_failures),
            evictions: memory.evictions,
            entries: memory.entries.len() as u64,
            bytes: memory.bytes,
            limit: memory.limit,
        }
    }

    /// The code item `index` of `holder` has for the runtime's cache tag (a bundle's code entry), if it
    /// has some that reads back; a failed read (a code blob failing its CRC-32) is counted as rejected.
    pub(crate) fn supplied<'a>(&self, holder: &'a dyn ModuleBytes, index: u32) -> Option<Cow<'a, [u8]>> {
        let tag = self.tag.as_deref()?;
        // A holder may be the host's: its code runs outside importkit's operation.
        match scope::outside(|| holder.code(index, tag)) {
            Ok(Some(code)) if code.len() as u64 <= MAX_CODE_SIZE => {
                bump(&self.counts.hits_source);
                Some(code)
            }
            Ok(None) => None,
            Ok(Some(_)) | Err(_) => {
                bump(&self.counts.rejected);
                None
            }
        }
    }

    /// Code for the module of `spec`, whose source bytes are `source`: from memory, the cache directory or
    /// the executor's `compile` (then kept in both); `None` when there is none (no compiler, or it gave
    /// none): the module executes from source. A failed compile fails the import, naming the module.
    pub(crate) fn code_for(
        &self,
        executor: &dyn Executor,
        spec: &ModuleSpec,
        source: &[u8],
    ) -> Result<Option<Arc<[u8]>>> {
        let key = key_of(spec);
        let hash = sha256(&[source]);
        let generation = {
            let mut memory = self.memory.lock();
            if let Some(code) = memory.get(&key, &hash) {
                bump(&self.counts.hits_memory);
                return Ok(Some(code));
            }
            memory.generation
        };
        let dir = self.dir.read().clone();
        let place = match (&dir, self.tag.as_deref()) {
            (Some(dir), Some(tag)) => Some((dir.as_path(), Expect { tag, key: &key, source: &hash })),
            _ => None,
        };
        if let Some((dir, expect)) = &place {
            match code_file::read(dir, expect) {
                Lookup::Found(code) => {
                    bump(&self.counts.hits_directory);
                    let code: Arc<[u8]> = code.into();
                    self.remember(key, hash, Arc::clone(&code), generation);
                    return Ok(Some(code));
                }
                Lookup::Rejected(_) => bump(&self.counts.rejected),
                Lookup::Missing => {}
            }
        }
        bump(&self.counts.misses);
        let name = spec.name();
        let compiled = scope::outside(|| executor.compile(spec, source))
            .map_err(|e| Error::from_host(name, "compiling module", e))?;
        let Some(code) = compiled else { return Ok(None) };
        if code.len() as u64 > MAX_CODE_SIZE {
            return Err(Error::new(
                ErrorCode::Exec,
                format!(
                    "compiling module '{name}' gave {} bytes of code, over the limit of {MAX_CODE_SIZE}",
                    code.len()
                ),
            )
            .for_module(name));
        }
        bump(&self.counts.compiles);
        let code: Arc<[u8]> = code.into();
        if !self.remember(key, hash, Arc::clone(&code), generation) {
            // The executor was replaced while this one compiled: its code is neither kept nor stored.
            return Ok(Some(code));
        }
        if let Some((dir, expect)) = &place {
            match code_file::write(dir, expect, &code) {
                Ok(()) => bump(&self.counts.stores),
                Err(_) => bump(&self.counts.store_failures),
            }
        }
        Ok(Some(code))
    }

    /// Keeps `code` in memory unless the memory was cleared since `generation` (another executor); says
    /// whether it was still the same executor's.
    fn remember(&self, key: Digest, source: Digest, code: Arc<[u8]>, generation: u64) -> bool {
        let mut dropped = Vec::new();
        let mut memory = self.memory.lock();
        let same = memory.generation == generation;
        if same {
            memory.insert(key, source, code, &mut dropped);
        }
        drop(memory);
        drop(dropped);
        same
    }

    /// The cache directory, if one is set.
    pub(crate) fn dir(&self) -> Option<Arc<PathBuf>> {
        self.dir.read().clone()
    }
}
