//! Proof that a runtime with the filesystem off makes no filesystem call at all: the probe below runs under
//! `strace`, between two markers it writes, and not one file-related system call may appear between them.

mod common;

use std::io::Write;
use std::process::Command;

use importkit::{MountFile, MountMode, NativeFlags, Runtime};

const BEGIN: &str = "IK-PROBE-BEGIN";
const END: &str = "IK-PROBE-END";

/// The work watched: imports that hit and miss, relative imports, fromlists, find_spec, a search path full of
/// real directories, invalidate, unmount, a native.
fn probe() {
    let tmp = std::env::temp_dir();
    let rt = Runtime::default();
    let (_ex, _slot) = common::TestExecutor::install(&rt);
    let files = vec![
        MountFile::new("__init__.py", "from . import util"),
        MountFile::new("core.py", "import .util\nimport missing_thing_xyz"),
        MountFile::new("util.py", "set x 1"),
        MountFile::new("ok.py", "from .util import x"),
    ];
    std::io::stderr().write_all(format!("{BEGIN}\n").as_bytes()).unwrap();
    rt.set_search_path(&[tmp.to_str().unwrap(), "/", "", "/usr/lib"]).unwrap();
    rt.mount("game", files, MountMode::New, None).unwrap();
    rt.register_native(
        "clock",
        std::sync::Arc::new(|_: &importkit::ModuleSpec| Ok(std::num::NonZeroUsize::new(7).unwrap())),
        NativeFlags::default(),
    )
    .unwrap();
    assert!(rt.import("game.core", None).is_err());
    rt.import("game.ok", None).unwrap();
    rt.import("clock", None).unwrap();
    assert!(rt.import("os", None).is_err());
    assert!(rt.find_spec("json.decoder", None).is_err());
    assert!(rt.find_spec(".util", Some("game")).is_ok());
    rt.invalidate();
    rt.drop_caches();
    assert!(rt.import("tmp", None).is_err());
    rt.unmount("game").unwrap();
    drop(rt);
    std::io::stderr().write_all(format!("{END}\n").as_bytes()).unwrap();
}

#[test]
fn probe_body() {
    if std::env::var_os("IK_PROBE").is_some() {
        probe();
    }
}

#[test]
fn a_runtime_with_the_filesystem_off_makes_no_filesystem_call() {
    let log = std::env::temp_dir().join(format!("importkit-strace-{}.log", std::process::id()));
    let status = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=%file,%stat,%desc,getdents64,getcwd,chdir,inotify_init1", "-o"])
        .arg(&log)
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "probe_body", "--nocapture", "--test-threads=1"])
        .env("IK_PROBE", "1")
        .status()
        .expect("strace runs (the test command installs it)");
    assert!(status.success(), "the probe failed under strace");
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    let start = text.find(BEGIN).expect("the begin marker was written");
    let end = text.find(END).expect("the end marker was written");
    let between: Vec<&str> = text[start..end]
        .lines()
        .skip(1)
        .filter(|l| !l.contains(END))
        // The markers themselves are writes to stderr (fd 2); nothing else may show.
        .filter(|l| !(l.contains("write(2,") || l.contains("write(2, ")))
        .collect();
    assert!(between.is_empty(), "file-related system calls while the filesystem was off:\n{}", between.join("\n"));
    // The probe did real work: the strace log saw the markers from the test's own thread.
    assert!(end > start);
}
