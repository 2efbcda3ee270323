//! Concurrent imports: exactly-once execution, cross-thread cycles, shared failures, no deadlock.

mod common;

use std::sync::{Arc, Barrier};
use std::thread;

use common::{mount, runtime};
use importkit::{ErrorCode, Runtime};

const THREADS: usize = 8;

/// A tree of packages whose modules import each other (absolutely and relatively), with short sleeps to
/// widen the windows in which threads meet.
fn shared_tree() -> Vec<(String, String)> {
    let mut files = vec![("__init__.py".to_owned(), "import tree.common".to_owned())];
    files.push(("common.py".into(), "sleep 2\nset c 1".into()));
    for p in 0..6 {
        files.push((format!("p{p}/__init__.py"), format!("from . import m0\nimport tree.p{}.m1", (p + 1) % 6)));
        for m in 0..6 {
            let body = format!("sleep 1\nimport ..common\nimport tree.p{}.m{}\nset v {p}{m}", (p + 2) % 6, (m + 1) % 6);
            files.push((format!("p{p}/m{m}.py"), body));
        }
    }
    files
}

fn run_threads<T: Send + 'static>(n: usize, f: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let f = Arc::new(f);
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let f = f.clone();
            thread::Builder::new().stack_size(16 << 20).spawn(move || f(i)).unwrap()
        })
        .collect();
    handles.into_iter().map(|h| h.join().expect("no thread panics")).collect()
}

#[test]
fn eight_threads_import_one_tree_and_each_module_runs_once() {
    for round in 0..5 {
        let (rt, ex, _slot) = runtime();
        let files = shared_tree();
        let refs: Vec<(&str, &str)> = files.iter().map(|(p, s)| (p.as_str(), s.as_str())).collect();
        mount(&rt, "tree", &refs);
        let names: Vec<String> =
            (0..6).flat_map(|p| (0..6).map(move |m| format!("tree.p{p}.m{m}"))).collect::<Vec<_>>();
        let start = Arc::new(Barrier::new(THREADS));
        let rt2 = rt.clone();
        let names2 = names.clone();
        let results = run_threads(THREADS, move |t| {
            start.wait();
            // Every thread walks the names in its own order.
            let mut order = names2.clone();
            let shift = (t * 5 + round) % order.len();
            order.rotate_left(shift);
            if t % 2 == 1 {
                order.reverse();
            }
            order.iter().map(|n| rt2.import(n, None).map_err(|e| e.to_string())).collect::<Vec<_>>()
        });
        for r in results.iter().flatten() {
            r.as_ref().unwrap();
        }
        for n in &names {
            assert_eq!(ex.exec_count(n), 1, "{n} in round {round}");
        }
        assert_eq!(ex.exec_count("tree"), 1);
        assert_eq!(ex.exec_count("tree.common"), 1);
        assert_eq!(rt.live_locks(), 0, "every module lock was released");
        // All threads got the very same module objects.
        let (h, _) = rt.module("tree.p3.m4").unwrap();
        assert_eq!(rt.import("tree.p3.m4", None).unwrap(), h);
    }
}

#[test]
fn a_ring_of_cross_thread_cycles_is_resolved_with_one_partial_module() {
    for _ in 0..5 {
        let (rt, ex, _slot) = runtime();
        let mut files = vec![("__init__.py".to_owned(), String::new())];
        for i in 0..THREADS {
            // Each module waits until every thread executes its own module (holding its lock), then imports
            // the next one around the ring.
            files.push((format!("r{i}.py"), format!("arrive ring\npartial ring.r{}\nset done 1", (i + 1) % THREADS)));
        }
        let refs: Vec<(&str, &str)> = files.iter().map(|(p, s)| (p.as_str(), s.as_str())).collect();
        mount(&rt, "ring", &refs);
        rt.import("ring", None).unwrap();
        ex.gate("ring", THREADS);
        let rt2 = rt.clone();
        let results = run_threads(THREADS, move |i| rt2.import(&format!("ring.r{i}"), None).map_err(|e| e.to_string()));
        for r in results {
            r.unwrap();
        }
        for i in 0..THREADS {
            assert_eq!(ex.exec_count(&format!("ring.r{i}")), 1);
            let (h, _) = rt.module(&format!("ring.r{i}")).unwrap();
            assert_eq!(ex.attr(h, "done").as_deref(), Some("1"));
        }
        let partials = ex.partials.lock().clone();
        assert_eq!(partials.len(), 1, "exactly one thread closed the ring and got a partial module: {partials:?}");
        assert_eq!(rt.live_locks(), 0);
    }
}

#[test]
fn every_waiter_sees_the_same_error_of_a_failing_module() {
    let (rt, ex, _slot) = runtime();
    mount(&rt, "f", &[("__init__.py", ""), ("slow.py", "sleep 300\nraise disk on fire")]);
    rt.import("f", None).unwrap();
    let start = Arc::new(Barrier::new(THREADS));
    let rt2 = rt.clone();
    let results = run_threads(THREADS, move |_| {
        start.wait();
        rt2.import("f.slow", None).unwrap_err()
    });
    assert_eq!(ex.exec_count("f.slow"), 1, "the module ran once for all eight threads");
    for e in &results {
        assert_eq!(e, &results[0]);
        assert_eq!(e.code(), ErrorCode::Exec);
        assert_eq!(e.message(), "executing module 'f.slow' failed: disk on fire (line 2, column 1)");
    }
    assert!(!rt.contains("f.slow"));
    assert_eq!(rt.live_locks(), 0);
    // A later import tries again.
    assert!(rt.import("f.slow", None).is_err());
    assert_eq!(ex.exec_count("f.slow"), 2);
}

#[test]
fn child_and_parent_imported_from_two_threads_do_not_deadlock() {
    // Thread A imports `pa.x` while thread B imports `pa`, whose __init__ imports `pa.x`: CPython can
    // raise a deadlock error here; importing the parent before taking the child's lock avoids it.
    for _ in 0..20 {
        let (rt, ex, _slot) = runtime();
        mount(&rt, "pa", &[("__init__.py", "sleep 3\nimport pa.x"), ("x.py", "sleep 3\nset x 1")]);
        let rt2 = rt.clone();
        let results = run_threads(2, move |i| rt2.import(if i == 0 { "pa.x" } else { "pa" }, None).map(|_| ()));
        for r in results {
            r.unwrap();
        }
        assert_eq!(ex.exec_count("pa"), 1);
        assert_eq!(ex.exec_count("pa.x"), 1);
    }
}

#[test]
fn cached_imports_from_many_threads_agree() {
    let (rt, _ex, _slot) = runtime();
    mount(&rt, "c", &[("__init__.py", ""), ("m.py", "")]);
    let h = rt.import("c.m", None).unwrap();
    let rt2: Runtime = rt.clone();
    let results = run_threads(THREADS, move |_| (0..10_000).all(|_| rt2.import("c.m", None).unwrap() == h));
    assert!(results.into_iter().all(|ok| ok));
    // Removing the module from one thread is seen by the cached path of every other thread.
    rt.remove_module("c.m").unwrap();
    let rt3 = rt.clone();
    let again = run_threads(2, move |_| rt3.import("c.m", None).unwrap());
    assert_ne!(again[0], h);
    assert_eq!(again[0], again[1]);
}

#[test]
fn a_child_waits_for_its_parent_that_another_thread_is_still_executing() {
    // Thread 1 executes `pkg` (slowly, then it fails); thread 2 asks for `pkg.x` meanwhile. The child must
    // not run against the half-made parent: thread 2 waits and sees the parent's failure.
    for _ in 0..5 {
        let (rt, ex, _slot) = runtime();
        mount(&rt, "", &[("pkg/__init__.py", "sleep 150\nraise boom"), ("pkg/x.py", "set x 1")]);
        let rt1 = rt.clone();
        let first = thread::spawn(move || rt1.import("pkg", None).map(|_| ()));
        thread::sleep(std::time::Duration::from_millis(40));
        let second = rt.import("pkg.x", None);
        let first = first.join().unwrap();
        let e1 = first.unwrap_err();
        let e2 = second.unwrap_err();
        assert_eq!(e1, e2, "the waiting thread sees the parent's own failure");
        assert_eq!(ex.exec_count("pkg.x"), 0, "no orphan child");
        assert!(!rt.contains("pkg.x") && !rt.contains("pkg"));
    }
}
