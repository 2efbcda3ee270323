//! Benchmark over a memory tree of 100,000 modules, side by side with CPython in one run.
//!
//! `cargo bench --bench memory_tree` prints a Markdown table for docs/BENCHMARKS.md:
//! - mount: ik_runtime_mount (copy mode) of 100,000 files, per file;
//! - find_spec: ik_runtime_find_spec + ik_spec_free per name (parents in the table);
//! - cached import: ik_runtime_import of a ready module, per call, on 1 and 2 threads.
//!
//! The CPython column runs benches/cpython_reference.py with the same tree shape: a dict-backed meta-path
//! finder (the usual in-memory importer) for mount and find_spec, and importlib.import_module for a
//! cached import.

mod common;

use std::ffi::{c_char, CString};
use std::process::Command;
use std::ptr;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Barrier};
use std::time::Instant;

use common::NullExecutor;
use importkit::ffi::import::{ik_runtime_find_spec, ik_runtime_import};
use importkit::ffi::mount::{ik_mount_file, ik_runtime_mount};
use importkit::ffi::spec::ik_spec_free;
use importkit::Runtime;

const PACKAGES: usize = 100;
const PER_PACKAGE: usize = 1000;

struct RtPtr(*const Runtime);
// SAFETY: a Runtime is Send + Sync; the pointer stays valid for the whole benchmark.
unsafe impl Send for RtPtr {}
// SAFETY: as above.
unsafe impl Sync for RtPtr {}

fn tree() -> (Vec<(String, Vec<u8>)>, Vec<CString>) {
    let mut files = vec![("__init__.py".to_owned(), b"".to_vec())];
    let mut modules = Vec::new();
    for p in 0..PACKAGES {
        files.push((format!("p{p}/__init__.py"), b"# package\n".to_vec()));
        for m in 0..PER_PACKAGE {
            files.push((format!("p{p}/m{m}.py"), format!("value = {m}\n").into_bytes()));
            modules.push(CString::new(format!("bench.p{p}.m{m}")).unwrap());
        }
    }
    (files, modules)
}

fn best_of<F: FnMut() -> f64>(runs: usize, mut f: F) -> f64 {
    (0..runs).map(|_| f()).fold(f64::INFINITY, f64::min)
}

fn mount_ns_per_file(rt: &Runtime, files: &[(String, Vec<u8>)]) -> f64 {
    let c: Vec<ik_mount_file> = files
        .iter()
        .map(|(p, d)| ik_mount_file {
            path: p.as_ptr().cast::<c_char>(),
            path_len: p.len(),
            data: d.as_ptr(),
            data_len: d.len(),
        })
        .collect();
    let point = CString::new("bench").unwrap();
    let t = Instant::now();
    // SAFETY: every pointer is valid for the call; copy mode keeps nothing of ours.
    let s = unsafe {
        ik_runtime_mount(
            rt,
            point.as_ptr(),
            c.as_ptr(),
            c.len(),
            2,
            None,
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    let elapsed = t.elapsed().as_nanos() as f64;
    assert_eq!(s as i32, 0);
    elapsed / files.len() as f64
}

fn find_spec_ns(rt: &Runtime, names: &[CString]) -> f64 {
    best_of(5, || {
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
    })
}

fn cached_import_ns(rt: *const Runtime, names: &[CString], threads: usize, rounds: usize) -> f64 {
    let names = Arc::new(names.to_vec());
    let barrier = Arc::new(Barrier::new(threads));
    let rt = Arc::new(RtPtr(rt));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (names, barrier, rt) = (names.clone(), barrier.clone(), rt.clone());
            std::thread::spawn(move || {
                let mut out = ptr::null_mut();
                // Warm this thread's cache.
                for n in names.iter() {
                    // SAFETY: valid runtime and names.
                    unsafe { ik_runtime_import(rt.0, n.as_ptr(), ptr::null(), &mut out, ptr::null_mut()) };
                }
                barrier.wait();
                let t0 = Instant::now();
                let mut calls = 0usize;
                for r in 0..rounds {
                    let start = (t * 7919 + r * 104_729) % names.len();
                    for n in names[start..].iter().chain(names[..start].iter()).step_by(7) {
                        // SAFETY: valid runtime and names.
                        let s = unsafe { ik_runtime_import(rt.0, n.as_ptr(), ptr::null(), &mut out, ptr::null_mut()) };
                        debug_assert_eq!(s as i32, 0);
                        calls += 1;
                    }
                }
                t0.elapsed().as_nanos() as f64 / calls as f64
            })
        })
        .collect();
    let per_thread: Vec<f64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    per_thread.iter().sum::<f64>() / per_thread.len() as f64
}

fn cpython_reference() -> Option<Vec<(String, f64)>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/cpython_reference.py");
    let out =
        Command::new("python3").arg(script).arg(PACKAGES.to_string()).arg(PER_PACKAGE.to_string()).output().ok()?;
    if !out.status.success() {
        eprintln!("cpython_reference.py failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    Some(
        text.lines()
            .filter_map(|l| l.split_once('=').and_then(|(k, v)| Some((k.trim().to_owned(), v.trim().parse().ok()?))))
            .collect(),
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("memory_tree: bench");
        return;
    }
    let (files, names) = tree();
    let rt = Box::new(Runtime::default());
    rt.set_executor(Arc::new(NullExecutor(AtomicUsize::new(0))));
    let mount = best_of(3, || mount_ns_per_file(&rt, &files));
    for p in 0..PACKAGES {
        rt.import(&format!("bench.p{p}"), None).unwrap();
    }
    let find = find_spec_ns(&rt, &names);
    for n in &names {
        rt.import(n.to_str().unwrap(), None).unwrap();
    }
    let rt_ptr: *const Runtime = &*rt;
    let one = best_of(3, || cached_import_ns(rt_ptr, &names, 1, 30));
    let two = best_of(3, || cached_import_ns(rt_ptr, &names, 2, 30));
    let py = cpython_reference().unwrap_or_default();
    let get = |k: &str| py.iter().find(|(n, _)| n == k).map_or("n/a".to_owned(), |(_, v)| format!("{v:.0} ns"));

    println!("modules in the tree: {} files, {} modules", files.len(), names.len());
    println!();
    println!("| measure | importkit | CPython 3.11 (reference) | target |");
    println!("|---|---|---|---|");
    println!("| mount, per file | {mount:.0} ns | {} | <= 1000 ns |", get("mount_per_file"));
    println!("| find_spec, per name | {find:.0} ns | {} | <= 300 ns |", get("find_spec"));
    println!("| cached import, 1 thread, per call | {one:.1} ns | {} | <= 50 ns |", get("cached_import"));
    println!(
        "| cached import, 2 threads, per call per thread | {two:.1} ns ({:.2}x the 1-thread time) | n/a (GIL) | near-linear |",
        two / one
    );
}
