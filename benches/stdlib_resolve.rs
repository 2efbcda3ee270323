//! The path finder over the whole standard library, side by side with CPython in one run.
//!
//! `cargo bench --bench stdlib_resolve` prints a Markdown table for docs/BENCHMARKS.md. Both sides do the
//! same lookups: every standard-library name (modules, packages, namespace packages, extensions) found by
//! `PathFinder.find_spec(name, path)` / `Runtime::path_find_spec(name, path)` with `path` the search path
//! for a top-level name and the parent's locations otherwise. Warm: finders and listings cached from an
//! earlier pass. Cold: every cache dropped before each pass (CPython: `sys.path_importer_cache` cleared).

mod common;

use std::ffi::{c_char, CString};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{median_and_best, shuffled};
use importkit::ffi::search_path::ik_runtime_path_find_spec;
use importkit::ffi::spec::ik_spec_free;
use importkit::Runtime;

/// The lookups as a C host holds them: NUL-terminated names and arrays of entry pointers, made once.
struct CLookup {
    name: CString,
    _entries: Vec<CString>,
    pointers: Vec<*const c_char>,
}

/// The median of several passes.
fn median_of(runs: usize, f: impl FnMut() -> f64) -> f64 {
    median_and_best(runs, f).0
}

fn best_of(runs: usize, mut f: impl FnMut() -> f64) -> f64 {
    (0..runs).map(|_| f()).fold(f64::INFINITY, f64::min)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("stdlib_resolve: bench");
        return;
    }
    let list = std::env::temp_dir().join(format!("importkit-stdlib-{}.tsv", std::process::id()));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/stdlib_reference.py");
    let out = Command::new("python3").arg(script).arg(&list).output().expect("python3 runs");
    assert!(out.status.success(), "stdlib_reference.py failed: {}", String::from_utf8_lossy(&out.stderr));
    let py: Vec<(String, f64)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('=').and_then(|(k, v)| Some((k.trim().to_owned(), v.trim().parse().ok()?))))
        .collect();
    let get = |k: &str| py.iter().find(|(n, _)| n == k).map(|(_, v)| *v).unwrap_or(f64::NAN);
    let text = std::fs::read_to_string(&list).unwrap();
    let _ = std::fs::remove_file(&list);
    let lookups: Vec<(String, Vec<String>)> = text
        .lines()
        .map(|l| {
            let mut parts = l.split('\t');
            let name = parts.next().unwrap().to_owned();
            (name, parts.map(str::to_owned).collect())
        })
        .collect();
    let rt = Runtime::default();
    rt.enable_filesystem(true);
    let pass = |rt: &Runtime| {
        let t = Instant::now();
        let mut found = 0usize;
        for (name, path) in &lookups {
            let refs: Vec<&str> = path.iter().map(String::as_str).collect();
            found += rt.path_find_spec(name, Some(&refs)).is_ok() as usize;
        }
        (t.elapsed().as_nanos() as f64 / lookups.len() as f64, found)
    };
    let (_, found) = pass(&rt);
    let warm = best_of(5, || pass(&rt).0);
    // The same lookups through the C ABI (`ik_runtime_path_find_spec` + `ik_spec_free`, as a host calls
    // them, no error object asked for), against the Rust API, in order and shuffled; medians of 9 passes.
    let c_lookups: Vec<CLookup> = lookups
        .iter()
        .map(|(name, path)| {
            let entries: Vec<CString> = path.iter().map(|p| CString::new(p.as_str()).unwrap()).collect();
            let pointers = entries.iter().map(|e| e.as_ptr()).collect();
            CLookup { name: CString::new(name.as_str()).unwrap(), _entries: entries, pointers }
        })
        .collect();
    let order: Vec<usize> = (0..lookups.len()).collect();
    let mixed = shuffled(&order);
    let rust_pass = |order: &[usize]| {
        let t = Instant::now();
        for &i in order {
            let (name, path) = &lookups[i];
            let refs: Vec<&str> = path.iter().map(String::as_str).collect();
            let _ = std::hint::black_box(rt.path_find_spec(name, Some(&refs)));
        }
        t.elapsed().as_nanos() as f64 / order.len() as f64
    };
    let c_pass = |order: &[usize]| {
        let t = Instant::now();
        for &i in order {
            let l = &c_lookups[i];
            let mut spec = std::ptr::null();
            // SAFETY: valid runtime, name and entries; the spec is freed right after.
            unsafe {
                let _ = ik_runtime_path_find_spec(
                    &rt,
                    l.name.as_ptr(),
                    l.pointers.as_ptr(),
                    l.pointers.len(),
                    &mut spec,
                    std::ptr::null_mut(),
                );
                ik_spec_free(spec);
            }
        }
        t.elapsed().as_nanos() as f64 / order.len() as f64
    };
    let rust_order = median_of(9, || rust_pass(&order));
    let c_order = median_of(9, || c_pass(&order));
    let rust_mixed = median_of(9, || rust_pass(&mixed));
    let c_mixed = median_of(9, || c_pass(&mixed));
    rt.set_recheck(Duration::ZERO);
    let warm_exact = best_of(5, || pass(&rt).0);
    rt.set_recheck(importkit::runtime::DEFAULT_RECHECK);
    let cold = best_of(5, || {
        rt.drop_caches();
        pass(&rt).0
    });
    let (py_warm, py_cold) = (get("warm"), get("cold"));
    println!("lookups: {} names ({found} found by importkit; CPython's count: {})", lookups.len(), get("lookups"));
    println!();
    println!("| measure, per lookup | importkit | CPython 3.11 PathFinder | CPython / importkit | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| warm (listings trusted 1000 ms, the default) | {warm:.0} ns | {py_warm:.0} ns | {:.1}x | >= 20x |",
        py_warm / warm
    );
    println!(
        "| warm, recheck 0 (a stat per directory per lookup, as CPython) | {warm_exact:.0} ns | {py_warm:.0} ns | {:.1}x | |",
        py_warm / warm_exact
    );
    println!(
        "| cold (every cache dropped before the pass) | {cold:.0} ns | {py_cold:.0} ns | {:.1}x | >= 5x |",
        py_cold / cold
    );
    println!();
    println!("| warm, per lookup, medians of 9 | Rust API | C ABI | C / Rust | target |");
    println!("|---|---|---|---|---|");
    println!("| in order | {rust_order:.0} ns | {c_order:.0} ns | {:.2}x | <= 1.15x |", c_order / rust_order);
    println!("| shuffled | {rust_mixed:.0} ns | {c_mixed:.0} ns | {:.2}x | <= 1.15x |", c_mixed / rust_mixed);
}
