//! What the benchmarks share: an executor that executes nothing, a fixed shuffle, the median of passes.
#![allow(dead_code)]

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

use importkit::{Executor, HostError, ModuleHandle, ModuleSpec};

/// Makes module objects that are only numbers; executes nothing.
pub struct NullExecutor(pub AtomicUsize);

impl Executor for NullExecutor {
    fn create(&self, _spec: &ModuleSpec) -> Result<ModuleHandle, HostError> {
        Ok(NonZeroUsize::new(self.0.fetch_add(1, Ordering::Relaxed) + 1).unwrap())
    }
    fn exec(&self, _: &ModuleSpec, _: ModuleHandle, _: Option<&[u8]>) -> Result<(), HostError> {
        Ok(())
    }
}

/// A fixed shuffle (xorshift, Fisher-Yates), the same in every run and every build.
pub fn shuffled<T: Clone>(items: &[T]) -> Vec<T> {
    let mut out = items.to_vec();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in (1..out.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.swap(i, (x % (i as u64 + 1)) as usize);
    }
    out
}

/// The median and the best of `runs` passes.
pub fn median_and_best(runs: usize, mut pass: impl FnMut() -> f64) -> (f64, f64) {
    let mut v: Vec<f64> = (0..runs).map(|_| pass()).collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[v.len() / 2], v[0])
}
