//! `find_spec` from one thread and from two at once, on one mounted tree of 1,000 modules, through the C ABI
//! as a host calls it (`ik_runtime_find_spec` + `ik_spec_free`, parents in the table): the cost of what threads
//! share on the lookup path. Every name 200 times per thread, each thread in its own order; best of 5.
//!
//! `cargo bench --bench find_threads` prints a Markdown table for docs/BENCHMARKS.md.

mod common;

use std::ffi::CString;
use std::ptr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Instant;

use common::NullExecutor;
use importkit::ffi::import::ik_runtime_find_spec;
use importkit::ffi::spec::ik_spec_free;
use importkit::{MountFile, MountMode, Runtime};

const MODULES: usize = 1000;
const ROUNDS: usize = 200;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("find_threads: bench");
        return;
    }
    let mut files = vec![MountFile::new("__init__.py", ""), MountFile::new("p/__init__.py", "")];
    let mut names = Vec::new();
    for m in 0..MODULES {
        files.push(MountFile::new(format!("p/m{m}.py"), ""));
        names.push(CString::new(format!("tree.p.m{m}")).unwrap());
    }
    let rt = Arc::new(Runtime::default());
    rt.set_executor(Arc::new(NullExecutor(AtomicUsize::new(0))));
    rt.mount("tree", files, MountMode::New, None).unwrap();
    rt.import("tree.p", None).unwrap();
    let names = Arc::new(names);
    println!("| threads | find_spec, per call per thread (best of 5) |");
    println!("|---|---|");
    for threads in [1usize, 2] {
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            let workers: Vec<_> = (0..threads)
                .map(|k| {
                    let (rt, names) = (Arc::clone(&rt), Arc::clone(&names));
                    std::thread::spawn(move || {
                        for r in 0..ROUNDS {
                            for i in 0..names.len() {
                                let name = &names[(i * 7 + k * 13 + r) % names.len()];
                                let mut spec = ptr::null();
                                // SAFETY: a live runtime and name; the spec is freed right after.
                                unsafe {
                                    ik_runtime_find_spec(&*rt, name.as_ptr(), ptr::null(), &mut spec, ptr::null_mut());
                                    ik_spec_free(spec);
                                }
                            }
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join().unwrap();
            }
            best = best.min(t.elapsed().as_nanos() as f64 / (ROUNDS * MODULES) as f64);
        }
        println!("| {threads} | {best:.1} ns |");
    }
}
