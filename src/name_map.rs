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

/// A map from names to values, the names kept in the entries (short ones inline, long ones in one arena).
pub struct NameMap<V> {
    /// Indices into `entries`.
    table: HashTable<u32>,
    entries: Vec<Entry<V>>,
    arena: Vec<u8>,
}

impl<V> Default for NameMap<V> {
    fn default() -> Self {
        NameMap { table: HashTable::new(), entries: Vec::new(), arena: Vec::new() }
    }
}

/// The hash of a name, as every table of names takes it.
pub fn hash(name: &[u8]) -> u64 {
    // As the standard library hashes a `str` (its bytes, then 0xff): this spreads names that differ in their
    // last bytes (`pkg.m1`, `pkg.m2`) better over FxHash's bits than a length suffix does.
    let mut h = FxHasher::default();
    h.write(name);
    h.write_u8(0xff);
    h.finish()
}

/// The name an entry holds.
fn name_of<'a, V>(arena: &'a [u8], e: &'a Entry<V>) -> &'a [u8] {
    let len = e.len as usize;
    if len <= INLINE {
        &e.inline[..len]
    } else {
        &arena[e.at as usize..e.at as usize + len]
    }
}

impl<V> NameMap<V> {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The index of the entry holding `name`.
    fn position(&self, name: &[u8], h: u64) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        let (entries, arena) = (&self.entries, &self.arena);
        let holds = |&i: &u32| {
            let e = &entries[i as usize];
            e.hash == h && e.len as usize == name.len() && name_of(arena, e) == name
        };
        self.table.find(h, holds).map(|&i| i as usize)
    }

    pub fn get(&self, name: &[u8]) -> Option<&V> {
        self.position(name, hash(name)).map(|i| &self.entries[i].value)
    }

    /// Puts `value` under `name`, giving back the value it replaces. `Err` gives the value back when the
    /// map cannot take the name (its long names would pass 4 GiB, or it holds 2^32 names).
    pub fn insert(&mut self, name: &[u8], value: V) -> Result<Option<V>, V> {
        let h = hash(name);
        if let Some(i) = self.position(name, h) {
            return Ok(Some(std::mem::replace(&mut self.entries[i].value, value)));
        }
        let Ok(index) = u32::try_from(self.entries.len()) else { return Err(value) };
        let mut entry = Entry { hash: h, at: 0, len: name.len() as u32, value, inline: [0; INLINE] };
        if name.len() <= INLINE {
            entry.inline[..name.len()].copy_from_slice(name);
        } else {
            let at = self.arena.len();
            if name.len() > u32::MAX as usize || at + name.len() > u32::MAX as usize {
                return Err(entry.value);
            }
            self.arena.extend_from_slice(name);
            entry.at = at as u32;
        }
        self.entries.push(entry);
        let entries = &self.entries;
        self.table.insert_unique(h, index, |&i| entries[i as usize].hash);
        Ok(None)
    }

    /// Drops every name, keeping the table's memory.
    pub fn clear(&mut self) {
        self.table.clear();
        self.entries.clear();
        self.arena.clear();
    }

    /// Every name and its value, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.entries.iter().map(move |e| (name_of(&self.arena, e), &e.value))
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
