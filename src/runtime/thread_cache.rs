//! The per-thread cache of ready modules: the fast path of an import whose module is already loaded.
//!
//! Each thread keeps, per runtime it used lately, a map from absolute name to handle, tagged with the table's
//! generation when it was filled. A lookup reads the generation (one atomic load of a word nobody writes on
//! this path) and probes the map: no lock, no allocation, nothing another reader contends on.

use std::cell::RefCell;
use std::sync::{Arc, Weak};

use super::Inner;
use crate::executor::ModuleHandle;
use crate::limits::MAX_CACHED_RUNTIMES;
use crate::name_map::NameMap;

struct RuntimeCache {
    runtime: Weak<Inner>,
    id: u64,
    generation: u64,
    /// Keys inline in the slots (one cache line per hit), long ones in one arena.
    modules: NameMap<ModuleHandle>,
}

thread_local! {
    static CACHE: RefCell<Vec<RuntimeCache>> = const { RefCell::new(Vec::new()) };
}

/// The handle of a ready module under its exact absolute name, if this thread has it cached and nothing
/// invalidated it since.
pub(crate) fn lookup(rt: &Inner, name: &[u8]) -> Option<ModuleHandle> {
    CACHE
        .try_with(|cache| {
            let cache = cache.try_borrow().ok()?;
            let entry = cache.iter().find(|c| c.id == rt.id)?;
            if entry.generation != rt.table.generation() {
                return None;
            }
            entry.modules.get(name).copied()
        })
        .ok()
        .flatten()
}

/// Remembers a ready module found by the slow path; `generation` is the table's generation read before the
/// slow path started, so a record removed meanwhile is never cached.
pub(crate) fn store(rt: &Arc<Inner>, name: &str, handle: ModuleHandle, generation: u64) {
    let _ = CACHE.try_with(|cache| {
        let Ok(mut cache) = cache.try_borrow_mut() else { return };
        if rt.table.generation() != generation {
            return;
        }
        let at = match cache.iter().position(|c| c.id == rt.id) {
            Some(at) => at,
            None => {
                cache.retain(|c| c.runtime.strong_count() > 0);
                if cache.len() >= MAX_CACHED_RUNTIMES {
                    cache.remove(0);
                }
                cache.push(RuntimeCache {
                    runtime: Arc::downgrade(rt),
                    id: rt.id,
                    generation,
                    modules: NameMap::default(),
                });
                cache.len() - 1
            }
        };
        let entry = &mut cache[at];
        if entry.generation != generation {
            entry.modules.clear();
            entry.generation = generation;
        }
        // A name the map cannot take (its long names past 4 GiB) is simply not cached.
        let _ = entry.modules.insert(name.as_bytes(), handle);
    });
}
