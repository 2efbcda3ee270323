//! A map from names to small values, laid out for the cache: the hot tables of a lookup (a mount's index,
//! the per-thread cache of ready modules) are read at random once a tree is large, so what a hit touches is
//! what it costs.
//!
//! Open addressing with linear probing over a byte of tag per slot (7 bits of the hash and an occupied bit):
//! the tags are 1/64 of the slots' size, so they stay in a near cache while the slots do not, and a probe
//! reads tags until one matches. Each slot is one cache line holding the name's full hash, its length, the
//! value and, for a name of at most [`INLINE`] bytes (most module names), the name itself: a hit reads one
//! slot line (a false tag match, one in 128 probes, another). A longer name's bytes live in one arena shared
//! by the map (a second line, never a separate allocation per key). Names are only added or replaced, never
//! removed one by one (`clear` drops them all), which keeps probing simple. At most 7/8 of the slots are
//! used.

use std::hash::Hasher;

use rustc_hash::FxHasher;

/// Names up to this many bytes are kept in their slot.
pub const INLINE: usize = 32;

#[derive(Clone)]
#[repr(align(64))]
struct Slot<V> {
    hash: u64,
    /// Where a long name starts in the arena.
    at: u32,
    len: u32,
    /// `None`: an empty slot.
    value: Option<V>,
    inline: [u8; INLINE],
}

impl<V> Slot<V> {
    fn empty() -> Self {
        Slot { hash: 0, at: 0, len: 0, value: None, inline: [0; INLINE] }
    }
}

pub struct NameMap<V> {
    /// Per slot: 0 when empty, else `0x80 | ` the hash's top 7 bits.
    tags: Vec<u8>,
    slots: Vec<Slot<V>>,
    arena: Vec<u8>,
    len: usize,
}

impl<V> Default for NameMap<V> {
    fn default() -> Self {
        NameMap { tags: Vec::new(), slots: Vec::new(), arena: Vec::new(), len: 0 }
    }
}

fn tag(hash: u64) -> u8 {
    0x80 | (hash >> 57) as u8
}

fn hash(name: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(name);
    h.write_usize(name.len());
    h.finish()
}

impl<V> NameMap<V> {
    /// A map that holds `n` names without growing.
    pub fn with_capacity(n: usize) -> Self {
        let mut map = NameMap::default();
        map.reserve(n);
        map
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first slot to probe for `hash` (bits below the tag's: a multiplicative hash is best at the top).
    fn start(&self, hash: u64) -> usize {
        let bits = self.slots.len().trailing_zeros();
        (hash >> (57 - bits.min(57))) as usize & (self.slots.len() - 1)
    }

    fn name_of<'a>(&'a self, slot: &'a Slot<V>) -> &'a [u8] {
        let len = slot.len as usize;
        if len <= INLINE {
            &slot.inline[..len]
        } else {
            &self.arena[slot.at as usize..slot.at as usize + len]
        }
    }

    /// The slot holding `name`, or the empty one where it would go.
    fn find(&self, name: &[u8], hash: u64) -> usize {
        let mask = self.slots.len() - 1;
        let want = tag(hash);
        let mut i = self.start(hash);
        loop {
            match self.tags[i] {
                0 => return i,
                t if t == want => {
                    let slot = &self.slots[i];
                    if slot.hash == hash && self.name_of(slot) == name {
                        return i;
                    }
                }
                _ => {}
            }
            i = (i + 1) & mask;
        }
    }

    pub fn get(&self, name: &[u8]) -> Option<&V> {
        if self.len == 0 {
            return None;
        }
        self.slots[self.find(name, hash(name))].value.as_ref()
    }

    /// Makes room for `more` names.
    pub fn reserve(&mut self, more: usize) {
        let need = self.len + more;
        if need * 8 < self.slots.len() * 7 {
            return;
        }
        let mut cap = self.slots.len().max(16);
        while need * 8 >= cap * 7 {
            cap *= 2;
        }
        self.tags = vec![0; cap];
        let old = std::mem::replace(&mut self.slots, (0..cap).map(|_| Slot::empty()).collect());
        for slot in old {
            if slot.value.is_some() {
                let i = self.find_empty(slot.hash);
                self.tags[i] = tag(slot.hash);
                self.slots[i] = slot;
            }
        }
    }

    /// The empty slot where a name of `hash` that is not in the map goes (growing).
    fn find_empty(&self, hash: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = self.start(hash);
        while self.tags[i] != 0 {
            i = (i + 1) & mask;
        }
        i
    }

    /// Puts `value` under `name`, giving back the value it replaces. `Err` gives the value back when the
    /// map cannot take the name (its long names would pass 4 GiB).
    pub fn insert(&mut self, name: &[u8], value: V) -> Result<Option<V>, V> {
        self.reserve(1);
        let h = hash(name);
        let i = self.find(name, h);
        if self.slots[i].value.is_some() {
            return Ok(self.slots[i].value.replace(value));
        }
        let mut slot = Slot { hash: h, at: 0, len: name.len() as u32, value: Some(value), inline: [0; INLINE] };
        if name.len() <= INLINE {
            slot.inline[..name.len()].copy_from_slice(name);
        } else {
            let at = self.arena.len();
            if name.len() > u32::MAX as usize || at + name.len() > u32::MAX as usize {
                return Err(slot.value.take().expect("just set"));
            }
            self.arena.extend_from_slice(name);
            slot.at = at as u32;
        }
        self.slots[i] = slot;
        self.tags[i] = tag(h);
        self.len += 1;
        Ok(None)
    }

    /// Drops every name, keeping the slots' memory.
    pub fn clear(&mut self) {
        for slot in &mut self.slots {
            slot.value = None;
        }
        self.tags.fill(0);
        self.arena.clear();
        self.len = 0;
    }

    /// Every name and its value, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.slots.iter().filter_map(move |s| s.value.as_ref().map(|v| (self.name_of(s), v)))
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
        assert_eq!(m.insert(b"pkg.m5", 55), Ok(Some(5)));
        assert_eq!(m.get(b"pkg.m5"), Some(&55));
        assert_eq!(m.iter().count(), 10_002);
        m.clear();
        assert!(m.is_empty());
        assert_eq!(m.get(b"pkg.m5"), None);
        assert_eq!(m.insert(long.as_bytes(), 1), Ok(None));
        assert_eq!(m.get(long.as_bytes()), Some(&1));
    }

    #[test]
    fn a_slot_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Slot<std::num::NonZeroUsize>>(), 64);
        assert_eq!(std::mem::size_of::<Slot<(std::sync::Arc<u8>, u32, u32)>>(), 64);
    }
}
