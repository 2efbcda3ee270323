//! Zip archives on the search path, side by side with CPython's zipimport in one run.
//!
//! `cargo bench --bench zip_lookup` prints a Markdown table for docs/BENCHMARKS.md. benches/zip_reference.py
//! writes a 10,000-member archive (100 packages of 99 modules and an init file, deflated) and times
//! `zipimporter(entry).find_spec(name)` over every name in a shuffled order; importkit does the same
//! lookups through the C ABI as a host calls them: `ik_runtime_path_find_spec(name, [entry])` +
//! `ik_spec_free`, warm (the archive indexed already). The time to index the archive: CPython's
//! `zipimporter(archive)` with its directory cache cleared; importkit's first lookup after
//! `ik_runtime_drop_caches` (the index, the entry finder and one lookup).

mod common;

use std::ffi::{c_char, CString};
use std::process::Command;
use std::time::Instant;

use common::median_and_best;
use importkit::ffi::search_path::{ik_runtime_drop_caches, ik_runtime_path_find_spec};
use importkit::ffi::spec::ik_spec_free;
use importkit::Runtime;

struct Lookup {
    name: CString,
    _entry: CString,
    entries: [*const c_char; 1],
}

fn find(rt: &Runtime, l: &Lookup) -> bool {
    let mut spec = std::ptr::null();
    // SAFETY: valid runtime, name and entry; the spec is freed right after.
    unsafe {
        let s = ik_runtime_path_find_spec(rt, l.name.as_ptr(), l.entries.as_ptr(), 1, &mut spec, std::ptr::null_mut());
        ik_spec_free(spec);
        s as i32 == 0
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("zip_lookup: bench");
        return;
    }
    let dir = std::env::temp_dir().join(format!("importkit-zipbench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (archive, list) = (dir.join("app.zip"), dir.join("lookups.tsv"));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/zip_reference.py");
    let out = Command::new("python3").arg(script).arg(&archive).arg(&list).output().expect("python3 runs");
    assert!(out.status.success(), "zip_reference.py failed: {}", String::from_utf8_lossy(&out.stderr));
    let py: Vec<(String, f64)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('=').and_then(|(k, v)| Some((k.trim().to_owned(), v.trim().parse().ok()?))))
        .collect();
    let get = |k: &str| py.iter().find(|(n, _)| n == k).map(|(_, v)| *v).unwrap_or(f64::NAN);
    let lookups: Vec<Lookup> = std::fs::read_to_string(&list)
        .unwrap()
        .lines()
        .map(|l| {
            let (name, entry) = l.split_once('\t').unwrap();
            let entry = CString::new(entry).unwrap();
            let entries = [entry.as_ptr()];
            Lookup { name: CString::new(name).unwrap(), _entry: entry, entries }
        })
        .collect();
    let rt = Runtime::default();
    rt.enable_filesystem(true);
    let found = lookups.iter().filter(|l| find(&rt, l)).count();
    assert_eq!(found, lookups.len(), "every name is in the archive");
    let (warm, best) = median_and_best(9, || {
        let t = Instant::now();
        for l in &lookups {
            std::hint::black_box(find(&rt, l));
        }
        t.elapsed().as_nanos() as f64 / lookups.len() as f64
    });
    let index = (0..20)
        .map(|_| {
            // SAFETY: a valid runtime.
            unsafe { ik_runtime_drop_caches(&rt, std::ptr::null_mut()) };
            let t = Instant::now();
            find(&rt, &lookups[0]);
            t.elapsed().as_nanos() as f64
        })
        .fold(f64::INFINITY, f64::min);
    let _ = std::fs::remove_dir_all(&dir);
    let (py_find, py_bare, py_index) = (get("find_spec"), get("find_spec_no_compile"), get("index"));
    println!("archive: {} members, {} lookups in a shuffled order", get("members"), lookups.len());
    println!();
    println!("| measure | importkit (C ABI) | CPython 3.11 zipimport | zipimport / importkit | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| warm lookup, per name (zipimport's find_spec as it is: it reads and compiles the member) | {warm:.0} ns (best {best:.0}) | {py_find:.0} ns | {:.0}x | >= 20x |",
        py_find / warm
    );
    println!(
        "| warm lookup, per name (zipimport with compiling stubbed out) | {warm:.0} ns | {py_bare:.0} ns | {:.0}x | |",
        py_bare / warm
    );
    println!(
        "| indexing the archive (importkit: the first lookup after dropping caches) | {:.2} ms | {:.2} ms | {:.1}x | |",
        index / 1e6,
        py_index / 1e6,
        py_index / index
    );
}
