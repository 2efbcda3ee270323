//! Cost at scale: find_spec and cached import over memory trees of 1,000, 100,000 and 1,000,000 modules,
//! with names in order and shuffled (a realistic access pattern: a big program imports across its tree).
//!
//! `cargo bench --bench scale [-- SIZE...]` prints a Markdown table for docs/BENCHMARKS.md: per operation,
//! the median and the best of 7 passes. Through the C ABI, as a host calls it: `ik_runtime_find_spec` +
//! `ik_spec_free` per name (parents in the table); `ik_runtime_import` of a ready module per call (the
//! thread's cache warmed first). A package holds 1,000 modules.

mod common;

use std::ffi::CString;
use std::ptr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Instant;

use common::{c_names, median_and_best, scale_tree, shuffled, NullExecutor, PER_PACKAGE};
use importkit::ffi::import::{ik_runtime_find_spec, ik_runtime_import};
use importkit::ffi::spec::ik_spec_free;
use importkit::{MountMode, Runtime};

const PASSES: usize = 7;

/// Median and best of the passes, per operation.
fn measure(pass: impl FnMut() -> f64) -> (f64, f64) {
    median_and_best(PASSES, pass)
}

fn find_spec_pass(rt: &Runtime, names: &[CString]) -> f64 {
    let t = Instant::now();
    for n in names {
        let mut spec = ptr::null();
        // SAFETY: valid runtime and name; the spec is freed right after.
        unsafe {
            let s = ik_runtime_find_spec(rt, n.as_ptr(), ptr::null(), &mut spec, ptr::null_mut());
            debug_assert_eq!(s as i32, 0);
            ik_spec_free(spec);
        }
    }
    t.elapsed().as_nanos() as f64 / names.len() as f64
}

fn import_pass(rt: &Runtime, names: &[CString]) -> f64 {
    let mut out = ptr::null_mut();
    let t = Instant::now();
    for n in names {
        // SAFETY: valid runtime and names.
        let s = unsafe { ik_runtime_import(rt, n.as_ptr(), ptr::null(), &mut out, ptr::null_mut()) };
        debug_assert_eq!(s as i32, 0);
    }
    t.elapsed().as_nanos() as f64 / names.len() as f64
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    if std::env::args().any(|a| a == "--list") {
        println!("scale: bench");
        return;
    }
    let find_only = std::env::args().any(|a| a == "--find-only");
    let sizes: Vec<usize> = if args.is_empty() {
        vec![1_000, 100_000, 1_000_000]
    } else {
        args.iter().map(|a| a.replace('_', "").parse().expect("a size")).collect()
    };
    println!(
        "| modules | find_spec, in order | find_spec, shuffled | cached import, in order | cached import, shuffled |"
    );
    println!("|---|---|---|---|---|");
    for n in sizes {
        let packages = n.div_ceil(PER_PACKAGE);
        let (files, names) = scale_tree(n, "scale");
        let names = c_names(&names);
        let rt = Runtime::default();
        rt.set_executor(Arc::new(NullExecutor(AtomicUsize::new(0))));
        rt.mount("scale", files, MountMode::New, None).unwrap();
        for p in 0..packages {
            rt.import(&format!("scale.p{p}"), None).unwrap();
        }
        let mixed = shuffled(&names);
        if find_only {
            // For valgrind: one shuffled pass and nothing else (`--find-only`).
            println!("| {n} | | {:.1} ns | | |", find_spec_pass(&rt, &mixed));
            continue;
        }
        let find_order = measure(|| find_spec_pass(&rt, &names));
        let find_mixed = measure(|| find_spec_pass(&rt, &mixed));
        for name in &names {
            rt.import(name.to_str().unwrap(), None).unwrap();
        }
        import_pass(&rt, &names);
        let import_order = measure(|| import_pass(&rt, &names));
        let import_mixed = measure(|| import_pass(&rt, &mixed));
        let cell = |(median, best): (f64, f64)| format!("{median:.1} ns (best {best:.1})");
        println!(
            "| {n} | {} | {} | {} | {} |",
            cell(find_order),
            cell(find_mixed),
            cell(import_order),
            cell(import_mixed)
        );
    }
}
