//! The path finder over the whole standard library, side by side with CPython in one run.
//!
//! `cargo bench --bench stdlib_resolve` prints a Markdown table for docs/BENCHMARKS.md. Both sides do the
//! same lookups: every standard-library name (modules, packages, namespace packages, extensions) found by
//! `PathFinder.find_spec(name, path)` / `Runtime::path_find_spec(name, path)` with `path` the search path
//! for a top-level name and the parent's locations otherwise. Warm: finders and listings cached from an
//! earlier pass. Cold: every cache dropped before each pass (CPython: `sys.path_importer_cache` cleared).

use std::process::Command;
use std::time::{Duration, Instant};

use importkit::Runtime;

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
}
