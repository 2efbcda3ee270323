//! What the benchmarks share: an executor that executes nothing, a fixed shuffle, the median of passes, the
//! tree of the scale benchmarks.
#![allow(dead_code)]

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::ffi::CString;

use importkit::{Executor, HostError, ModuleHandle, ModuleSpec, MountFile};

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

/// Modules per package of [`scale_tree`].
pub const PER_PACKAGE: usize = 1000;

/// The tree of `n` modules the scale benchmarks mount (packages `p0`, `p1`... of [`PER_PACKAGE`] modules
/// `m0`...), and the modules' names under `point`, in tree order.
pub fn scale_tree(n: usize, point: &str) -> (Vec<MountFile>, Vec<String>) {
    let mut files = vec![MountFile::new("__init__.py", "")];
    let mut names = Vec::with_capacity(n);
    for p in 0..n.div_ceil(PER_PACKAGE) {
        files.push(MountFile::new(format!("p{p}/__init__.py"), "# package\n"));
        for m in 0..PER_PACKAGE.min(n - p * PER_PACKAGE) {
            files.push(MountFile::new(format!("p{p}/m{m}.py"), format!("value = {m}\n")));
            names.push(format!("{point}.p{p}.m{m}"));
        }
    }
    (files, names)
}

/// Names as a host passes them to the C ABI.
pub fn c_names(names: &[String]) -> Vec<CString> {
    names.iter().map(|n| CString::new(n.as_str()).unwrap()).collect()
}
