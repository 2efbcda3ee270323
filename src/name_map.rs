//! A map from names to small values, laid out for the cache: the per-thread cache of ready modules is read at
//! random once a program is large, so what a hit touches is what it costs. (A mount's index, whose values are
//! specs that keep their names' first bytes, uses the same hash over slots of its own: `finders/memory.rs`.)
//!
//! A SwissTable (`hashbrown`'s `HashTable`: a byte of tag per slot, probed 16 at a time) of 4-byte indices
//! into one vector of entries kept in insertion order. The table itself is small (5 bytes a name: at 100,000
//! names it stays in a near cache); every entry holds the name's full hash, its length, the value and, for a
//! name of at most [`INLINE`] bytes (most module names), the name itself. A hit reads the tags, an index and
//! one entry, never a separately allocated key; names looked up in the order they were added (a tree walked
//! in order) read entries one after another. A longer name's bytes live in one arena shared by the map (a
//! second line). Names are only added or replaced, never removed one by one (`clear` drops them all).

use std::hash::Hasher;

use hashbrown::HashTable;
use rustc_hash::FxHasher;

/// Names up to this many bytes are kept in their entry.
pub const INLINE: usize = 24;

struct Entry<V> {
    hash: u64,
    /// Where a long name starts in the arena.
    at: u32,
    len: u32,
    value: V,
    inline: [u8; INLINE],
}

/// A SwissTable of 4-byte indices into entries kept in insertion order; what name an entry has, the caller's
/// closures say (a name kept in the entry, or in the value itself, as a spec keeps its own).
pub struct IndexTable<E> {
    table: HashTable<u32>,
    entries: Vec<E>,
}

impl<E> Default for IndexTable<E> {
    fn default() -> Self {
        IndexTable { table: HashTable::new(), entries: Vec::new() }
    }
}

impl<E> IndexTable<E> {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Makes room for `more` entries; `rehash` gives an entry's hash (growing hashes every name again).
    pub fn reserve(&mut self, more: usize, rehash: impl Fn(&E) -> u64) {
        let entries = &self.entries;
        self.table.reserve(more, |&i| rehash(&entries[i as usize]));
        self.entries.reserve(more);
    }

    /// The index of the entry of hash `hash` that `is` accepts.
    #[inline]
    pub fn find(&self, hash: u64, is: impl Fn(&E) -> bool) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        let entries = &self.entries;
        self.table.find(hash, |&i| is(&entries[i as usize])).map(|&i| i as usize)
    }

    pub fn get(&self, i: usize) -> &E {
        &self.entries[i]
    }

    pub fn get_mut(&mut self, i: usize) -> &mut E {
        &mut self.entries[i]
    }

    /// Adds an entry known not to be there; `Err` gives it back past 2^32 entries.
    pub fn push(&mut self, hash: u64, entry: E, rehash: impl Fn(&E) -> u64) -> Result<(), E> {
        let Ok(index) = u32::try_from(self.entries.len()) else { return Err(entry) };
        self.entries.push(entry);
        let entries = &self.entries;
        self.table.insert_unique(hash, index, |&i| rehash(&entries[i as usize]));
        Ok(())
    }

    pub fn clear(&mut self) {
        self.table.clear();
        self.entries.clear();
    }

    /// Every entry, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &E> {
        self.entries.iter()
    }
}

/// A map from names to values, the names kept in the entries (short ones inline, long ones in one arena).
pub struct NameMap<V> {
    index: IndexTable<Entry<V>>,
    arena: Vec<u8>,
}

impl<V> Default for NameMap<V> {
    fn default() -> Self {
        NameMap { index: IndexTable::default(), arena: Vec::new() }
    }
}

/// The hash of a name, as every table here takes it.
pub fn hash(name: &[u8]) -> u64 {
    // As the standard library hashes a `str` (its bytes, then 0xff): this spreads names that differ in their
    // last bytes (`pkg.m1`, `pkg.m2`) better over FxHash's bits than a length suffix does.
    let mut h = FxHasher::default();
    h.write(name);
    h.write_u8(0xff);
    h.finish()
}

/// A short name padded with zeros to [`INLINE`] bytes, as its entry keeps it.
fn padded(name: &[u8]) -> Option<[u8; INLINE]> {
    let mut out = [0u8; INLINE];
    out.get_mut(..name.len())?.copy_from_slice(name);
    Some(out)
}

/// Whether `e` holds `name` (compared in place: a short name against the entry's copy, a long one against
/// the arena).
fn holds<V>(arena: &[u8], e: &Entry<V>, name: &[u8], hash: u64) -> bool {
    let len = name.len();
    e.hash == hash
        && e.len as usize == len
        && if len <= INLINE { e.inline[..len] == *name } else { arena[e.at as usize..e.at as usize + len] == *name }
}

impl<V> NameMap<V> {
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Makes room for `more` names.
    pub fn reserve(&mut self, more: usize) {
        self.index.reserve(more, |e| e.hash);
    }

    pub fn get(&self, name: &[u8]) -> Option<&V> {
        let h = hash(name);
        self.index.find(h, |e| holds(&self.arena, e, name, h)).map(|i| &self.index.get(i).value)
    }

    /// Puts `value` under `name`, giving back the value it replaces. `Err` gives the value back when the
    /// map cannot take the name (its long names would pass 4 GiB).
    pub fn insert(&mut self, name: &[u8], value: V) -> Result<Option<V>, V> {
        let h = hash(name);
        if let Some(i) = self.index.find(h, |e| holds(&self.arena, e, name, h)) {
            return Ok(Some(std::mem::replace(&mut self.index.get_mut(i).value, value)));
        }
        let mut entry = Entry { hash: h, at: 0, len: name.len() as u32, value, inline: [0; INLINE] };
        match padded(name) {
            Some(key) => entry.inline = key,
            None => {
                let at = self.arena.len();
                if name.len() > u32::MAX as usize || at + name.len() > u32::MAX as usize {
                    return Err(entry.value);
                }
                self.arena.extend_from_slice(name);
                entry.at = at as u32;
            }
        }
        self.index.push(h, entry, |e| e.hash).map(|()| None).map_err(|e| e.value)
    }

    /// Drops every name, keeping the table's memory.
    pub fn clear(&mut self) {
        self.index.clear();
        self.arena.clear();
    }

    /// Every name and its value, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.index.iter().map(move |e| {
            let len = e.len as usize;
            let name = if len <= INLINE { &e.inline[..len] } else { &self.arena[e.at as usize..e.at as usize + len] };
            (name, &e.value)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_names_replaced_and_cleared() {
        let mut m = NameMap::default();
        assert_eq!(m.get(b"a"), None);
        let long = "x".repeat(INLINE + 5);
        for i in 0..10_000u32 {
            assert_eq!(m.insert(format!("pkg.m{i}").as_bytes(), i), Ok(None));
        }
        assert_eq!(m.insert(long.as_bytes(), 7), Ok(None));
        assert_eq!(m.insert(b"", 8), Ok(None));
        assert_eq!(m.len(), 10_002);
        assert_eq!(m.get(b"pkg.m1234"), Some(&1234));
        assert_eq!(m.get(long.as_bytes()), Some(&7));
        assert_eq!(m.get(&long.as_bytes()[1..]), None);
        assert_eq!(m.get(b""), Some(&8));
        assert_eq!(m.get(b"pkg.m10000"), None);
        assert_eq!(m.get(b"pkg.m1\0"), None, "a padded name is not the shorter one");
        assert_eq!(m.insert(b"pkg.m5", 55), Ok(Some(5)));
        assert_eq!(m.get(b"pkg.m5"), Some(&55));
        assert_eq!(m.iter().count(), 10_002);
        assert!(m.iter().any(|(k, v)| k == long.as_bytes() && *v == 7));
        m.clear();
        assert!(m.is_empty());
        assert_eq!(m.get(b"pkg.m5"), None);
        assert_eq!(m.insert(long.as_bytes(), 1), Ok(None));
        assert_eq!(m.get(long.as_bytes()), Some(&1));
    }

    #[test]
    fn an_entry_fits_a_cache_line() {
        assert!(std::mem::size_of::<Entry<std::num::NonZeroUsize>>() <= 64);
        assert!(std::mem::size_of::<Entry<(std::sync::Arc<u8>, u32, u32)>>() <= 64);
    }
}
