//! Owned spec handles: how a [`SharedSpec`] is handed to a host as a `const ik_spec *` and taken back.
//!
//! The handle's two low bits say what it is (hosts never read through it; ABI.md):
//!
//! - `00`: a spec with a count of its own, the `ModuleSpec` itself (`Arc::into_raw`, aligned to 8), as a
//!   callback's borrowed spec is passed;
//! - `10`: spec `i` of a slab (a memory mount's), the slab's address (aligned to [`SLAB_ALIGN`]) with `i` in
//!   the bits below it: handing it out and freeing it write the slab's count and nothing else, with no
//!   allocation;
//! - `01`: a slab spec whose place does not fit those bits, a boxed [`SharedSpec`] (the boxes kept per thread
//!   for the next handles).
//!
//! Either way the spec's own memory is not read until someone reads a field.

use std::cell::RefCell;
use std::mem::MaybeUninit;
use std::sync::Arc;

use crate::shared_spec::{SharedSpec, SpecSlab, SLAB_ALIGN};
use crate::spec::ModuleSpec;

const KIND: usize = 0b11;
const BOXED: usize = 0b01;
const PACKED: usize = 0b10;
/// The places a packed handle holds: the bits between the kind and the slab's alignment.
const PACKED_PLACES: u32 = (SLAB_ALIGN >> 2) as u32;

/// How many emptied boxes a thread keeps for its next handles: a host that finds and frees specs one after
/// another then allocates none.
const SPARE_BOXES: usize = 16;

thread_local! {
    // Boxes, not values: each one's address is a handle a host holds.
    #[allow(clippy::vec_box)]
    static SPARE: RefCell<Vec<Box<MaybeUninit<SharedSpec>>>> = const { RefCell::new(Vec::new()) };
}

/// An owned handle for `spec` (given back with [`free`]).
pub(super) fn spec_out(spec: SharedSpec) -> *const ModuleSpec {
    match spec.into_parts() {
        Ok(alone) => Arc::into_raw(alone),
        Err((slab, i)) if i < PACKED_PLACES => {
            let at = Arc::into_raw(slab) as usize;
            debug_assert_eq!(at % SLAB_ALIGN, 0);
            (at | (i as usize) << 2 | PACKED) as *const ModuleSpec
        }
        Err((slab, i)) => {
            let spare = SPARE.try_with(|s| s.borrow_mut().pop()).ok().flatten();
            let mut boxed = spare.unwrap_or_else(|| Box::new(MaybeUninit::uninit()));
            boxed.write(SharedSpec::from_parts(slab, i));
            (Box::into_raw(boxed) as usize | BOXED) as *const ModuleSpec
        }
    }
}

/// The spec behind a handle, owned or borrowed.
///
/// # Safety
/// `spec` is NULL or a live spec.
pub(super) unsafe fn spec_in<'a>(spec: *const ModuleSpec) -> Option<&'a ModuleSpec> {
    let bits = spec as usize;
    match bits & KIND {
        PACKED => {
            // SAFETY: a packed handle holds a slab's address from Arc::into_raw, counted until it is freed.
            let slab = unsafe { &*((bits & !(SLAB_ALIGN - 1)) as *const SpecSlab) };
            Some(slab.get(((bits & (SLAB_ALIGN - 1)) >> 2) as u32))
        }
        // SAFETY: a boxed handle is a SharedSpec from spec_out, live by the caller's guarantee.
        BOXED => unsafe { ((bits & !KIND) as *const SharedSpec).as_ref() }.map(|s| &**s),
        // SAFETY: any other handle is a ModuleSpec (or NULL), live by the caller's guarantee.
        _ => unsafe { spec.as_ref() },
    }
}

/// Gives back an owned handle (not NULL).
///
/// # Safety
/// `spec` came from [`spec_out`] and is given back once.
pub(super) unsafe fn free(spec: *const ModuleSpec) {
    let bits = spec as usize;
    match bits & KIND {
        PACKED => {
            // SAFETY: the slab's address from Arc::into_raw in spec_out, given back once.
            drop(unsafe { Arc::from_raw((bits & !(SLAB_ALIGN - 1)) as *const SpecSlab) });
        }
        BOXED => {
            // SAFETY: a box from spec_out (the caller's contract).
            let boxed = unsafe { Box::from_raw((bits & !KIND) as *mut MaybeUninit<SharedSpec>) };
            // SAFETY: spec_out wrote the box before handing it out; it is read once, here, and left empty.
            drop(unsafe { boxed.assume_init_read() });
            // The box goes with the closure when the thread's spares are gone or full.
            let _ = SPARE.try_with(move |s| {
                let mut s = s.borrow_mut();
                if s.len() < SPARE_BOXES {
                    s.push(boxed);
                }
            });
        }
        // SAFETY: any other owned handle came from Arc::into_raw in spec_out, given back once.
        _ => drop(unsafe { Arc::from_raw(spec) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::ModuleKind;

    fn slab(n: u32) -> Arc<SpecSlab> {
        let specs = (0..n).map(|i| ModuleSpec::new(&format!("m{i}"), "memory:/m.py", ModuleKind::Source, false));
        Arc::new(SpecSlab::new(specs.collect()))
    }

    #[test]
    fn every_kind_of_handle_reads_and_frees_its_spec() {
        let big = slab(PACKED_PLACES + 2);
        let alone = SharedSpec::new(ModuleSpec::new("alone", "memory:/a.py", ModuleKind::Source, false));
        let shared = [
            (alone, "alone", 0b00),
            (SharedSpec::in_slab(&big, 0), "m0", PACKED),
            (SharedSpec::in_slab(&big, PACKED_PLACES - 1), &*format!("m{}", PACKED_PLACES - 1), PACKED),
            (SharedSpec::in_slab(&big, PACKED_PLACES + 1), &*format!("m{}", PACKED_PLACES + 1), BOXED),
        ]
        .map(|(s, n, k)| (s, n.to_owned(), k));
        for (spec, name, kind) in shared {
            let h = spec_out(spec);
            assert_eq!(h as usize & KIND, kind, "{name}");
            // SAFETY: a live handle from spec_out, freed once.
            unsafe {
                assert_eq!(spec_in(h).unwrap().name(), name);
                free(h);
            }
        }
        assert_eq!(Arc::strong_count(&big), 1, "every handle gave its count back");
        // SAFETY: NULL reads as no spec.
        assert!(unsafe { spec_in(std::ptr::null()) }.is_none());
    }

    #[test]
    fn a_handle_keeps_its_slab_alive_and_boxes_are_reused() {
        let big = slab(PACKED_PLACES + 1);
        let packed = spec_out(SharedSpec::in_slab(&big, 3));
        let boxed: Vec<_> = (0..3).map(|_| spec_out(SharedSpec::in_slab(&big, PACKED_PLACES))).collect();
        drop(big);
        // SAFETY: live handles, each freed once.
        unsafe {
            assert_eq!(spec_in(packed).unwrap().name(), "m3");
            free(packed);
            let first = boxed[0];
            for h in boxed {
                free(h);
            }
            let again = (0..3).map(|_| spec_out(SharedSpec::in_slab(&slab(PACKED_PLACES + 1), PACKED_PLACES)));
            let again: Vec<_> = again.collect();
            assert!(again.contains(&first), "a freed box is handed out again");
            for h in again {
                assert_eq!(spec_in(h).unwrap().name(), format!("m{PACKED_PLACES}"));
                free(h);
            }
        }
    }
}
