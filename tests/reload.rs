//! Reload (`importlib.reload`): found again, executed again in the same module object under its lock; a
//! failure leaves the module as it was, in the table.

mod common;

use std::sync::Arc;

use common::{mount, runtime};
use importkit::{ErrorCode, MountFile, MountMode, NativeFlags, Runtime};

fn remount(rt: &Runtime, point: &str, files: &[(&str, &str)]) {
    let files = files.iter().map(|(p, s)| MountFile::new(*p, s.as_bytes())).collect();
    rt.mount(point, files, MountMode::Replace, None).unwrap();
}

#[test]
fn a_reload_executes_the_new_source_in_the_same_module() {
    let (rt, ex, _slot) = runtime();
    mount(&rt, "game", &[("__init__.py", ""), ("core.py", "set speed 1\nset kept yes\n")]);
    let h = rt.import("game.core", None).unwrap();
    assert_eq!(ex.attr(h, "speed").as_deref(), Some("1"));
    remount(&rt, "game", &[("__init__.py", ""), ("core/__init__.py", "set speed 2\n")]);
    let again = rt.reload("game.core").unwrap();
    assert_eq!(again, h, "the same module object");
    assert_eq!(ex.attr(h, "speed").as_deref(), Some("2"));
    assert_eq!(ex.attr(h, "kept").as_deref(), Some("yes"), "executed in the old namespace, as CPython does");
    assert_eq!(ex.exec_count("game.core"), 2);
    assert_eq!(ex.creates.load(std::sync::atomic::Ordering::SeqCst), 2, "no new module object");
    let spec = rt.module_spec("game.core").unwrap();
    assert_eq!(spec.origin(), "memory:/game/core/__init__.py", "the table has the new spec");
    assert!(spec.is_package());
    assert_eq!(rt.import("game.core", None).unwrap(), h);
}

#[test]
fn a_failed_reload_leaves_the_module_as_it_was() {
    let (rt, ex, _slot) = runtime();
    mount(&rt, "m", &[("__init__.py", "set v 1\n")]);
    let h = rt.import("m", None).unwrap();
    let before = rt.module_spec("m").unwrap();
    remount(&rt, "m", &[("__init__.py", "set v 2\nraise broken on reload\n")]);
    let e = rt.reload("m").unwrap_err();
    assert_eq!(e.code(), ErrorCode::Exec, "as a failed first execution");
    assert!(e.to_string().contains("broken on reload"), "{e}");
    assert_eq!(e.module(), Some("m"));
    assert_eq!(rt.module("m").unwrap(), (h, importkit::ModuleState::Ready), "still in the table, ready");
    assert!(Arc::ptr_eq(&rt.module_spec("m").unwrap(), &before), "the spec is the old one");
    assert_eq!(rt.import("m", None).unwrap(), h);
    // The module is gone from every source: the reload says so and changes nothing.
    rt.unmount("m").unwrap();
    let e = rt.reload("m").unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound, "{e}");
    assert_eq!(rt.module("m").map(|(h, _)| h), Some(h));
    assert_eq!(ex.exec_count("m"), 2);
}

#[test]
fn reloading_what_is_not_in_the_table_is_an_error_that_says_so() {
    let (rt, _ex, _slot) = runtime();
    mount(&rt, "pkg", &[("__init__.py", ""), ("a.py", "")]);
    let e = rt.reload("pkg").unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert_eq!(e.to_string(), "cannot reload 'pkg': it is not in the module table (import it first)");
    assert_eq!(rt.reload("1bad").unwrap_err().code(), ErrorCode::InvalidName);
    // A child whose parent left the table.
    rt.import("pkg.a", None).unwrap();
    rt.remove_module("pkg").unwrap();
    let e = rt.reload("pkg.a").unwrap_err();
    assert_eq!(
        (e.code(), e.to_string().contains("parent 'pkg' is not in the module table")),
        (ErrorCode::Import, true)
    );
    // A denied name is not found again.
    rt.deny("pkg").unwrap();
    assert_eq!(rt.reload("pkg.a").unwrap_err().code(), ErrorCode::Denied);
}

#[test]
fn a_module_that_removes_itself_while_it_is_reloaded_is_told_so() {
    let (rt, ex, _slot) = runtime();
    mount(&rt, "", &[("gone.py", "set v 1\n")]);
    let _ = rt.import("gone", None).unwrap();
    remount(&rt, "", &[("gone.py", "set v 2\nremove gone\n")]);
    let e = rt.reload("gone").unwrap_err();
    assert_eq!((e.code(), e.module()), (ErrorCode::Import, Some("gone")));
    assert_eq!(e.to_string(), "cannot reload 'gone': it was removed from the module table while it was reloaded");
    assert!(!rt.contains("gone"));
    assert_eq!(ex.exec_count("gone"), 2);
}

#[test]
fn a_module_moved_to_another_source_is_reloaded_from_there() {
    let dir = std::env::temp_dir().join(format!("ik-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("moving.py"), "").unwrap();
    let (rt, _ex, _slot) = runtime();
    rt.set_search_path(&[dir.to_str().unwrap()]).unwrap();
    rt.enable_filesystem(true);
    mount(&rt, "", &[("moving.py", "set from mount\n")]);
    let h = rt.import("moving", None).unwrap();
    assert_eq!(rt.module_spec("moving").unwrap().origin(), "memory:/moving.py");
    rt.unmount("").unwrap();
    assert_eq!(rt.reload("moving").unwrap(), h);
    let spec = rt.module_spec("moving").unwrap();
    assert_eq!(spec.file(), Some(dir.join("moving.py").to_str().unwrap()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_module_that_reloads_itself_while_executing_is_given_back() {
    let (rt, ex, _slot) = runtime();
    mount(&rt, "", &[("selfish.py", "set a 1\nreload selfish\nset b 2\n")]);
    let h = rt.import("selfish", None).unwrap();
    assert_eq!((ex.attr(h, "a").as_deref(), ex.attr(h, "b").as_deref()), (Some("1"), Some("2")));
    assert_eq!(rt.reload("selfish").unwrap(), h);
    assert_eq!(ex.exec_count("selfish"), 2, "the nested reloads ran nothing more");
}

#[test]
fn natives_and_namespace_packages_reload_without_running_anything() {
    let (rt, ex, _slot) = runtime();
    let made = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = made.clone();
    let factory = Arc::new(move |_: &importkit::ModuleSpec| {
        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(std::num::NonZeroUsize::new(900).unwrap())
    });
    rt.register_native("clock", factory, NativeFlags::default()).unwrap();
    let h = rt.import("clock", None).unwrap();
    assert_eq!(rt.reload("clock").unwrap(), h);
    assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 1);
    mount(&rt, "", &[("ns/x.py", "")]);
    let ns = rt.import("ns", None).unwrap();
    assert_eq!(rt.reload("ns").unwrap(), ns);
    assert_eq!(ex.exec_count("ns"), 0);
}

#[test]
fn reloads_and_imports_from_many_threads_run_each_reload_once() {
    let (rt, ex, _slot) = runtime();
    mount(&rt, "", &[("hot.py", "sleep 1\nset v x\n")]);
    let h = rt.import("hot", None).unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let rt = rt.clone();
            s.spawn(move || {
                for _ in 0..10 {
                    if t % 2 == 0 {
                        assert_eq!(rt.reload("hot").unwrap(), h);
                    } else {
                        assert_eq!(rt.import("hot", None).unwrap(), h, "importers see the module throughout");
                    }
                }
            });
        }
    });
    assert_eq!(ex.exec_count("hot"), 1 + 2 * 10);
}
