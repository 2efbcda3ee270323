//! The path finder on real directories: precedence, namespace packages, `.ref` files, invalidation,
//! confinement, unreadable places, and imports through it.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::scratch::Scratch;
use importkit::{ErrorCode, ModuleKind, Profile, Runtime};

fn fs_runtime(entries: &[String]) -> Runtime {
    let rt = Runtime::default();
    rt.enable_filesystem(true);
    rt.set_recheck(Duration::ZERO);
    let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
    rt.set_search_path(&refs).unwrap();
    rt
}

#[test]
fn precedence_within_a_directory() {
    let d = Scratch::new("fs");
    d.write("pkg/__init__.py", "");
    d.write("pkg.py", "");
    d.write("ext.cpython-311-x86_64-linux-gnu.so", "");
    d.write("ext.py", "");
    d.write("src.py", "");
    d.write("src.pyc", "");
    d.write("byte.pyc", "");
    d.dir("ns");
    d.write("mod.py", "");
    d.dir("mod");
    d.dir("dotted.py");
    d.write("bcpkg/__init__.pyc", "");
    d.write("bcpkg/__init__.abi3.so", "");
    let rt = fs_runtime(&[d.s("")]);
    let spec = |n: &str| rt.find_spec(n, None).unwrap();
    let pkg = spec("pkg");
    assert!(pkg.is_package(), "a package beats a module");
    assert_eq!(pkg.file(), Some(d.s("pkg/__init__.py").as_str()));
    assert_eq!(pkg.locations().collect::<Vec<_>>(), [d.s("pkg")]);
    assert_eq!(pkg.origin(), format!("fs:{}", d.s("pkg/__init__.py")));
    assert_eq!(pkg.cached(), Some(d.s("pkg/__pycache__/__init__.cpython-311.pyc").as_str()));
    assert_eq!(spec("ext").kind(), ModuleKind::Extension, "extension beats source");
    assert_eq!(spec("ext").cached(), None);
    assert_eq!(spec("src").kind(), ModuleKind::Source, "source beats bytecode");
    assert_eq!(spec("byte").kind(), ModuleKind::Bytecode);
    assert_eq!(spec("byte").cached(), Some(d.s("byte.pyc").as_str()));
    assert_eq!(spec("ns").kind(), ModuleKind::Namespace);
    assert_eq!(spec("ns").file(), None);
    assert_eq!(spec("mod").kind(), ModuleKind::Source, "a module beats a namespace directory");
    assert_eq!(
        rt.find_spec("dotted", None).unwrap_err().code(),
        ErrorCode::NotFound,
        "a directory named x.py is no module"
    );
    let bc = spec("bcpkg");
    assert_eq!(bc.file(), Some(d.s("bcpkg/__init__.abi3.so").as_str()), "init files in suffix order");
}

#[test]
fn entries_in_order_and_namespace_portions_across_them() {
    let (a, b, c) = (Scratch::new("fs"), Scratch::new("fs"), Scratch::new("fs"));
    a.write("first.py", "");
    b.write("first.py", "");
    a.write("ns/one.py", "");
    b.write("ns/two.py", "");
    a.dir("late");
    b.dir("late");
    c.write("late/__init__.py", "");
    let rt = fs_runtime(&[a.s(""), b.s(""), c.s("")]);
    assert_eq!(rt.find_spec("first", None).unwrap().file(), Some(a.s("first.py").as_str()));
    let ns = rt.find_spec("ns", None).unwrap();
    assert_eq!(ns.kind(), ModuleKind::Namespace);
    assert_eq!(ns.origin(), "namespace:ns");
    assert_eq!(ns.locations().collect::<Vec<_>>(), [a.s("ns"), b.s("ns")]);
    assert_eq!(rt.find_spec("ns.two", None).unwrap().file(), Some(b.s("ns/two.py").as_str()));
    let late = rt.find_spec("late", None).unwrap();
    assert_eq!(late.kind(), ModuleKind::Source, "a regular package later on the path wins over earlier portions");
    assert_eq!(late.file(), Some(c.s("late/__init__.py").as_str()));
}

#[test]
fn namespace_locations_follow_the_search_path() {
    let (a, b) = (Scratch::new("fs"), Scratch::new("fs"));
    a.write("plug/alpha.py", "set who alpha");
    b.write("plug/beta.py", "set who beta");
    let rt = fs_runtime(&[a.s("")]);
    let (ex, _slot) = common::TestExecutor::install(&rt);
    rt.import("plug.alpha", None).unwrap();
    assert_eq!(rt.namespace_locations("plug").unwrap(), [a.s("plug")]);
    assert_eq!(rt.import("plug.beta", None).unwrap_err().code(), ErrorCode::NotFound);
    rt.path_append(&b.s("")).unwrap();
    assert_eq!(rt.namespace_locations("plug").unwrap(), [a.s("plug"), b.s("plug")]);
    let beta = rt.import("plug.beta", None).unwrap();
    assert_eq!(ex.attr(beta, "who").as_deref(), None, "file modules get no bytes from importkit");
    assert_eq!(rt.module_spec("plug.beta").unwrap().file(), Some(b.s("plug/beta.py").as_str()));
    rt.path_remove(&a.s("")).unwrap();
    assert_eq!(rt.namespace_locations("plug").unwrap(), [b.s("plug")]);
    assert_eq!(rt.namespace_locations("plug.alpha").unwrap_err().code(), ErrorCode::Import);
    assert_eq!(rt.namespace_locations("absent").unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn ref_files_lead_elsewhere_and_record_the_chain() {
    let (home, src, deeper) = (Scratch::new("fs"), Scratch::new("fs"), Scratch::new("fs"));
    // home/coverage.ref -> src (relative path), with a comment and a blank line
    let rel = pathdiff(&home.0, &src.0);
    home.write("coverage.ref", &format!("# where the source lives\n\n{rel}\n"));
    src.write("coverage/__init__.py", "");
    // A chain: home/tool.ref -> src ; src/tool.ref -> deeper (absolute)
    home.write("tool.ref", &format!("{}\n", src.s("")));
    src.write("tool.ref", &format!("{}\n", deeper.s("")));
    deeper.write("tool.py", "");
    // A namespace spread over two ref targets
    home.write("bkr.ref", &format!("{}\n{}\n", src.s(""), deeper.s("")));
    src.write("bkr/client.py", "");
    deeper.write("bkr/server.py", "");
    let rt = fs_runtime(&[home.s("")]);
    let cov = rt.find_spec("coverage", None).unwrap();
    assert!(cov.is_package());
    assert_eq!(cov.refs().collect::<Vec<_>>(), [home.s("coverage.ref")]);
    assert!(cov.file().unwrap().ends_with("coverage/__init__.py"));
    let tool = rt.find_spec("tool", None).unwrap();
    assert_eq!(tool.file(), Some(deeper.s("tool.py").as_str()));
    assert_eq!(tool.refs().collect::<Vec<_>>(), [home.s("tool.ref"), src.s("tool.ref")]);
    let bkr = rt.find_spec("bkr", None).unwrap();
    assert_eq!(bkr.kind(), ModuleKind::Namespace);
    assert_eq!(bkr.locations().collect::<Vec<_>>(), [src.s("bkr"), deeper.s("bkr")]);
    assert!(rt.find_spec("bkr.client", None).is_ok());
    assert!(rt.find_spec("bkr.server", None).is_ok());
}

fn pathdiff(from: &Path, to: &Path) -> String {
    let up = from.components().count();
    let mut s = "../".repeat(up);
    s.push_str(to.strip_prefix("/").unwrap().to_str().unwrap());
    s
}

#[test]
fn bad_ref_files_are_skipped_with_their_reason() {
    let (a, b) = (Scratch::new("fs"), Scratch::new("fs"));
    // A loop: a/loop.ref -> b, b/loop.ref -> a: never a hang.
    a.write("loop.ref", &b.s(""));
    b.write("loop.ref", &a.s(""));
    a.write("empty.ref", "# nothing here\n\n");
    a.write("missing.ref", "no/such/dir\n");
    fs::write(a.path("garbled.ref"), [0xff, 0xfe, 0x00, 0x80]).unwrap();
    a.write("tofile.ref", &a.s("empty.ref"));
    a.write("fallback.ref", &b.s(""));
    a.write("fallback.py", "");
    let rt = fs_runtime(&[a.s("")]);
    let reasons = |name: &str| {
        let e = rt.find_spec(name, None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotFound, "{name}");
        e.attempts().iter().map(|a| format!("{}: {}", a.place, a.reason)).collect::<Vec<_>>().join("\n")
    };
    assert!(reasons("loop").contains("loops back to"), "{}", reasons("loop"));
    assert!(reasons("empty").contains("names no directory"), "{}", reasons("empty"));
    assert!(reasons("missing").contains("target 'no/such/dir' cannot be used"), "{}", reasons("missing"));
    assert!(reasons("garbled").contains("cannot read"), "{}", reasons("garbled"));
    assert!(reasons("tofile").contains("is not a directory"), "{}", reasons("tofile"));
    // A ref whose targets hold nothing falls back to the directory itself.
    assert_eq!(rt.find_spec("fallback", None).unwrap().file(), Some(a.s("fallback.py").as_str()));
    // A chain longer than the hop limit stops.
    let dirs: Vec<Scratch> = (0..12).map(|_| Scratch::new("fs")).collect();
    for w in dirs.windows(2) {
        w[0].write("far.ref", &w[1].s(""));
    }
    dirs[11].write("far.py", "");
    let rt = fs_runtime(&[dirs[0].s("")]);
    let e = rt.find_spec("far", None).unwrap_err();
    assert!(e.message().contains("more than 8 .ref files"), "{}", e.message());
}

#[test]
fn listings_notice_new_and_vanished_files() {
    let d = Scratch::new("fs");
    d.write("old.py", "");
    // Window 0: every lookup checks the directory's mtime, as CPython does.
    let rt = fs_runtime(&[d.s("")]);
    assert_eq!(rt.find_spec("new", None).unwrap_err().code(), ErrorCode::NotFound);
    std::thread::sleep(Duration::from_millis(20));
    d.write("new.py", "");
    assert!(rt.find_spec("new", None).is_ok(), "seen without invalidate");
    fs::remove_file(d.path("old.py")).unwrap();
    assert_eq!(rt.find_spec("old", None).unwrap_err().code(), ErrorCode::NotFound);
    // A long window trusts the listing until invalidate.
    rt.set_recheck(Duration::from_secs(3600));
    assert!(rt.find_spec("new", None).is_ok());
    d.write("later.py", "");
    assert_eq!(rt.find_spec("later", None).unwrap_err().code(), ErrorCode::NotFound, "the listing is trusted");
    rt.invalidate();
    assert!(rt.find_spec("later", None).is_ok(), "invalidate re-reads the directory");
    // A package init that appears in a subdirectory.
    d.dir("grows");
    rt.invalidate();
    assert_eq!(rt.find_spec("grows", None).unwrap().kind(), ModuleKind::Namespace);
    d.write("grows/__init__.py", "");
    rt.invalidate();
    assert_eq!(rt.find_spec("grows", None).unwrap().kind(), ModuleKind::Source);
    // An entry that did not exist is cached as "no finder" until invalidate.
    let late = d.s("late-entry");
    rt.path_append(&late).unwrap();
    assert!(rt.find_spec("inlate", None).is_err());
    d.write("late-entry/inlate.py", "");
    assert!(rt.find_spec("inlate", None).is_err(), "negative entry cached");
    rt.invalidate();
    assert!(rt.find_spec("inlate", None).is_ok());
}

#[test]
fn confinement_refuses_what_resolves_outside() {
    let (inside, outside) = (Scratch::new("fs"), Scratch::new("fs"));
    outside.write("secret.py", "");
    outside.write("spkg/__init__.py", "");
    symlink(outside.path("secret.py"), inside.path("secret.py")).unwrap();
    symlink(outside.path("spkg"), inside.path("spkg")).unwrap();
    inside.write("escape.ref", &outside.s(""));
    outside.write("escape.py", "");
    inside.write("fine.py", "");
    let rt = fs_runtime(&[inside.s(""), outside.s("")]);
    assert!(rt.find_spec("secret", None).is_ok(), "no confinement: links are followed");
    rt.confine(&inside.s("")).unwrap();
    assert!(rt.find_spec("fine", None).is_ok());
    for name in ["secret", "spkg", "escape"] {
        let e = rt.find_spec(name, None).unwrap_err();
        assert!(e.message().contains("outside the allowed roots"), "{name}: {}", e.message());
    }
    let e = rt.find_spec("spkg", None).unwrap_err();
    assert!(e.attempts().iter().any(|a| a.place == outside.s("") && a.reason.contains("outside")), "{e}");
    rt.clear_confinement();
    assert!(rt.find_spec("escape", None).is_ok());
    assert_eq!(rt.confine("/no/such/root").unwrap_err().code(), ErrorCode::InvalidArgument);
}

#[test]
fn entries_that_are_no_directories() {
    let d = Scratch::new("fs");
    d.write("afile", "");
    let rt = fs_runtime(&[d.s("afile"), d.s("nothing-here"), "memory:/x".into(), d.s("")]);
    d.write("real.py", "");
    assert!(rt.find_spec("real", None).is_ok());
    let e = rt.find_spec("ghost", None).unwrap_err();
    let places: Vec<String> = e.attempts().iter().map(|a| format!("{}: {}", a.place, a.reason)).collect();
    // A regular file is taken for a zip archive (as zipimport takes it), and refused as one.
    let afile = d.s("afile");
    assert!(
        places.contains(&format!("{afile}: zip archive '{afile}' is not a zip file: 0 bytes, too short for one")),
        "{places:?}"
    );
    assert!(places.contains(&format!("{}: not a directory: does not exist", d.s("nothing-here"))), "{places:?}");
    assert!(!places.iter().any(|p| p.starts_with("memory:/x")), "importkit's own locations are skipped: {places:?}");
}

#[test]
fn current_directory_entry() {
    let d = Scratch::new("fs");
    d.write("here_mod.py", "");
    let old = std::env::current_dir().unwrap();
    std::env::set_current_dir(&d.0).unwrap();
    let rt = fs_runtime(&["".into()]);
    let spec = rt.find_spec("here_mod", None);
    std::env::set_current_dir(old).unwrap();
    assert_eq!(spec.unwrap().file(), Some(d.s("here_mod.py").as_str()), "'' is the current directory, joined absolute");
}

#[test]
fn imports_through_the_filesystem_and_a_lua_profile() {
    let d = Scratch::new("fs");
    d.write("app/init.lua", "");
    d.write("app/util.lua", "");
    d.dir("app/bare");
    let rt = Runtime::new(Profile::lua());
    let (_ex, _slot) = common::TestExecutor::install(&rt);
    rt.enable_filesystem(true);
    rt.path_append(&d.s("")).unwrap();
    rt.import("app.util", None).unwrap();
    assert_eq!(rt.module_spec("app").unwrap().file(), Some(d.s("app/init.lua").as_str()));
    assert_eq!(rt.module_spec("app.util").unwrap().cached(), None);
    assert_eq!(rt.import("app.bare", None).unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn a_disabled_filesystem_finds_nothing_on_the_path() {
    let d = Scratch::new("fs");
    d.write("onfs.py", "");
    let rt = fs_runtime(&[d.s("")]);
    assert!(rt.find_spec("onfs", None).is_ok());
    rt.enable_filesystem(false);
    rt.drop_caches();
    let e = rt.find_spec("onfs", None).unwrap_err();
    assert_eq!(e.message(), "No module named 'onfs' (native: not registered)");
}

#[test]
fn unreadable_directories_say_so() {
    // Permission checks do not apply to root: the listing runs as an unprivileged user through setpriv.
    let d = Scratch::new("fs");
    d.write("locked/inside.py", "");
    fs::set_permissions(d.path("locked"), std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    fs::set_permissions(&d.0, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let exe = env!("CARGO_BIN_EXE_importkit");
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", exe, "resolve", "--trace", "--path"])
        .arg(d.s("locked"))
        .arg("inside")
        .output()
        .expect("setpriv (util-linux) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("cannot list the directory: permission denied"), "{text}");
}

/// A host path hook serving entries `archive:NAME` from a table, with a namespace portion.
struct ArchiveHook {
    made: AtomicUsize,
}

struct ArchiveFinder(String);

impl importkit::EntryFinder for ArchiveFinder {
    fn find_spec(&self, name: &str) -> Result<Option<importkit::EntryFound>, importkit::HostError> {
        Ok(match name {
            "zipped" => {
                let mut f = importkit::HostFound::new(format!("{}/zipped.py", self.0), ModuleKind::Source, false);
                f.source = Some(b"set from archive".to_vec());
                Some(importkit::EntryFound::Module(f))
            }
            "shared" => Some(importkit::EntryFound::Portion(vec![format!("{}/shared", self.0)])),
            "broken" => return Err(importkit::HostError::new("bad central directory")),
            _ => None,
        })
    }
}

impl importkit::PathHook for ArchiveHook {
    fn name(&self) -> &str {
        "archive"
    }

    fn finder_for(
        &self,
        entry: &str,
    ) -> Result<Option<std::sync::Arc<dyn importkit::EntryFinder>>, importkit::HostError> {
        if !entry.starts_with("archive:") {
            return Ok(None);
        }
        self.made.fetch_add(1, Ordering::SeqCst);
        Ok(Some(std::sync::Arc::new(ArchiveFinder(entry.to_owned()))))
    }
}

#[test]
fn host_path_hooks_serve_their_entries_in_order_with_the_directories() {
    let d = Scratch::new("fs");
    d.write("shared/ondisk.py", "");
    d.write("zipped.py", "");
    let rt = fs_runtime(&["archive:game.pak".into(), d.s("")]);
    let hook = std::sync::Arc::new(ArchiveHook { made: AtomicUsize::new(0) });
    let id = rt.add_path_hook(hook.clone(), 0);
    let z = rt.find_spec("zipped", None).unwrap();
    assert_eq!(z.origin(), "archive:game.pak/zipped.py", "the archive entry comes first on the path");
    let shared = rt.find_spec("shared", None).unwrap();
    assert_eq!(shared.kind(), ModuleKind::Namespace);
    assert_eq!(shared.locations().collect::<Vec<_>>(), ["archive:game.pak/shared".to_owned(), d.s("shared")]);
    let e = rt.find_spec("broken", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Host);
    assert!(e.message().contains("bad central directory"), "{}", e.message());
    rt.find_spec("zipped", None).unwrap();
    assert_eq!(hook.made.load(Ordering::SeqCst), 1, "one entry finder per entry, cached");
    rt.remove_path_hook(id).unwrap();
    assert_eq!(rt.find_spec("zipped", None).unwrap().file(), Some(d.s("zipped.py").as_str()));
    assert_eq!(rt.remove_path_hook(id).unwrap_err().code(), ErrorCode::Unavailable);
    // path_find_spec: the path finder alone over given entries, as PathFinder.find_spec(name, path).
    let s = rt.path_find_spec("ondisk", Some(&[d.s("shared").as_str()])).unwrap();
    assert_eq!(s.file(), Some(d.s("shared/ondisk.py").as_str()));
    assert_eq!(rt.path_find_spec("ondisk", None).unwrap_err().code(), ErrorCode::NotFound);
    rt.enable_filesystem(false);
    assert_eq!(rt.path_find_spec("ondisk", None).unwrap_err().code(), ErrorCode::Unavailable);
}

/// A hook that drops the runtime's caches while it makes its entry finder (as another thread may, when a
/// Python program clears `sys.path_importer_cache` during a search).
struct DroppingHook {
    rt: std::sync::OnceLock<Runtime>,
    made: AtomicUsize,
}

impl importkit::PathHook for DroppingHook {
    fn name(&self) -> &str {
        "dropping"
    }

    fn finder_for(
        &self,
        entry: &str,
    ) -> Result<Option<std::sync::Arc<dyn importkit::EntryFinder>>, importkit::HostError> {
        if !entry.starts_with("archive:") {
            return Ok(None);
        }
        if self.made.fetch_add(1, Ordering::SeqCst) == 0 {
            self.rt.get().expect("set").drop_caches();
        }
        Ok(Some(std::sync::Arc::new(ArchiveFinder(entry.to_owned()))))
    }
}

#[test]
fn an_entry_finder_made_while_the_caches_are_dropped_is_not_cached() {
    let rt = fs_runtime(&["archive:game.pak".into()]);
    let hook = std::sync::Arc::new(DroppingHook { rt: std::sync::OnceLock::new(), made: AtomicUsize::new(0) });
    hook.rt.set(rt.clone()).expect("unset");
    let id = rt.add_path_hook(hook.clone(), 0);
    // The first search uses the finder its hook made, but does not keep it: the caches were dropped meanwhile.
    assert_eq!(rt.path_find_spec("zipped", None).unwrap().origin(), "archive:game.pak/zipped.py");
    assert_eq!(rt.path_find_spec("zipped", None).unwrap().origin(), "archive:game.pak/zipped.py");
    assert_eq!(hook.made.load(Ordering::SeqCst), 2, "the entry was offered to the hook again");
    rt.path_find_spec("zipped", None).unwrap();
    assert_eq!(hook.made.load(Ordering::SeqCst), 2, "then cached as usual");
    rt.remove_path_hook(id).unwrap(); // the hook holds the runtime: removing it ends the cycle
}

#[test]
fn a_ref_file_turned_into_a_fifo_never_blocks() {
    let (a, b) = (Scratch::new("fs"), Scratch::new("fs"));
    a.write("piped.ref", &b.s(""));
    b.write("piped.py", "");
    let rt = fs_runtime(&[a.s("")]);
    rt.set_recheck(Duration::from_secs(3600));
    assert!(rt.find_spec("piped", None).is_ok());
    // The listing (trusted for an hour) still says regular file; the file is now a FIFO nobody writes to.
    fs::remove_file(a.path("piped.ref")).unwrap();
    let made = std::process::Command::new("mkfifo").arg(a.s("piped.ref")).status().expect("mkfifo runs");
    assert!(made.success());
    let e = rt.find_spec("piped", None).unwrap_err();
    assert!(e.message().contains("is not a regular file"), "{}", e.message());
}

/// A hostile fan-out: N directories whose `m.ref` each name all N. Before the bound, every target of every
/// file was resolved (N^2 canonicalisations: 22 s at N = 6000) and the error listed every loop (7 MB). Now
/// one search examines at most `MAX_REF_TARGETS` targets, each directory once, and the error is summarised.
#[test]
fn ref_fan_out_is_bounded_and_summarised() {
    const N: usize = 600;
    let top = Scratch::new("fs");
    let names: String = (0..N).map(|i| format!("../d{i}\n")).collect();
    for i in 0..N {
        top.write(&format!("d{i}/m.ref"), &names);
    }
    let rt = fs_runtime(&[top.s("d0")]);
    let e = rt.find_spec("m", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert!(e.message().len() < 16 * 1024, "a message of {} bytes", e.message().len());
    assert!(e.attempts().len() <= importkit::limits::MAX_NOTES + 4, "{} attempts", e.attempts().len());
    let all = e.attempts().iter().map(|a| format!("{}: {}", a.place, a.reason)).collect::<Vec<_>>().join("\n");
    assert!(all.contains("more places not listed"), "{all}");
    // The budget is per search: a traced search says where it stopped.
    let (_, trace) = rt.find_spec_traced("m");
    assert!(trace.len() <= importkit::limits::MAX_NOTES + 4);
    assert!(trace.iter().any(|a| a.reason.contains("more places not listed")));
}

/// Reading ref files is budgeted too: 1024 targets whose ref files are each 64 KiB of comments would read
/// 64 MiB (twice: the explaining pass) for one import; one import reads at most `MAX_REF_BYTES`.
#[test]
fn ref_reads_are_bounded_per_import() {
    let top = Scratch::new("fs");
    let big: String = "#".repeat(63) + "\n";
    top.write("big.ref", &big.repeat(1000));
    let names: String = (0..1024).map(|i| format!("d{i}\n")).collect();
    top.write("root/m.ref", &names);
    for i in 0..1024 {
        fs::create_dir_all(top.path(&format!("root/d{i}"))).unwrap();
        std::os::unix::fs::symlink(top.path("big.ref"), top.path(&format!("root/d{i}/m.ref"))).unwrap();
    }
    let rt = fs_runtime(&[top.s("root")]);
    let e = rt.find_spec("m", None).unwrap_err();
    let all = e.attempts().iter().map(|a| a.reason.clone()).collect::<Vec<_>>().join("\n");
    let limit = importkit::limits::MAX_REF_BYTES;
    assert!(all.contains(&format!("this import read {limit} bytes of .ref files already")), "{all}");
}

/// Namespace packages recomputed at every level share the import's budget (and each is recomputed once
/// per import): a deep chain of namespace directories whose ref files name many targets stays bounded.
/// Before, every level's search had a budget of its own and the recomputation went up to the root at every
/// level (the work grew with the square of the depth: 18 s at depth 40).
#[test]
fn namespace_chains_share_one_budget() {
    const DEPTH: usize = 40;
    let top = Scratch::new("fs");
    let dots: String = ".\n".repeat(1024);
    let mut rel = String::from("root");
    for _ in 0..DEPTH {
        top.write(&format!("{rel}/a.ref"), &dots);
        rel.push_str("/a");
        fs::create_dir_all(top.path(&rel)).unwrap();
    }
    let rt = fs_runtime(&[top.s("root")]);
    rt.confine(&top.s("")).unwrap();
    let name = format!("{}missing", "a.".repeat(DEPTH));
    let e = rt.find_spec(&name, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound, "{}", e.message());
    let (_, trace) = rt.find_spec_traced(&name);
    let all = trace.iter().map(|a| a.reason.clone()).collect::<Vec<_>>().join("\n");
    let limit = importkit::limits::MAX_REF_TARGETS;
    assert!(all.contains(&format!("this import examined {limit} .ref files and targets already")), "{all}");
}

/// A ref target's text never makes a place of kilobytes: attempts are cut, messages stay short.
#[test]
fn long_targets_make_short_errors() {
    let top = Scratch::new("fs");
    top.write("m.ref", &("./".repeat(1900) + "sub\n"));
    fs::create_dir_all(top.path("sub")).unwrap();
    let rt = fs_runtime(&[top.s("")]);
    let e = rt.find_spec("m", None).unwrap_err();
    for a in e.attempts() {
        assert!(a.place.len() <= importkit::limits::MAX_ATTEMPT_TEXT + 32, "a place of {} bytes", a.place.len());
    }
    assert!(e.message().len() <= importkit::limits::MAX_MESSAGE_LEN + 2048, "{} bytes", e.message().len());
}

/// The explaining pass's fresh budget comes once per import, not once per level: a deep name whose every
/// level needs 3000 targets (36,000 in all) is not found within the bound of two budgets.
#[test]
fn the_explaining_budget_is_given_once_per_import() {
    const LEVELS: usize = 12;
    let top = Scratch::new("fs");
    let junk: String = (0..3000).map(|i| format!("no_such_{i}\n")).collect();
    let mut rel = String::from("root");
    for level in 0..LEVELS {
        top.write(&format!("{rel}/p.ref"), &format!("{junk}real{level}\n"));
        rel = format!("{rel}/real{level}/p");
        top.write(&format!("{rel}/__init__.py"), "");
    }
    let rt = fs_runtime(&[top.s("root")]);
    let name = ["p"; LEVELS].join(".");
    let e = rt.find_spec(&name, None).unwrap_err();
    let all = e.attempts().iter().map(|a| a.reason.clone()).collect::<Vec<_>>().join("\n");
    assert!(all.contains("examined 4096 .ref files and targets already"), "{all}");
}

/// A host finder that adds a search path entry while an import runs: the namespace package recomputed after
/// it sees the new entry (what an import remembered of namespace packages follows the search path).
#[test]
fn namespace_locations_follow_a_path_edited_during_the_import() {
    struct AddsPlugins {
        rt: std::sync::Mutex<Option<Runtime>>,
        dir: String,
    }
    impl importkit::HostFinder for AddsPlugins {
        fn name(&self) -> &str {
            "plugins"
        }
        fn find_spec(
            &self,
            name: &str,
            _path: Option<&[&str]>,
        ) -> Result<Option<importkit::HostFound>, importkit::HostError> {
            if name == "ns.sub.mod" {
                if let Some(rt) = self.rt.lock().unwrap().take() {
                    rt.path_append(&self.dir).unwrap();
                }
            }
            Ok(None)
        }
    }
    struct Objects(AtomicUsize);
    impl importkit::Executor for Objects {
        fn create(&self, _: &importkit::ModuleSpec) -> Result<importkit::ModuleHandle, importkit::HostError> {
            Ok(std::num::NonZeroUsize::new(self.0.fetch_add(1, Ordering::Relaxed) + 1).unwrap())
        }
        fn exec(
            &self,
            _: &importkit::ModuleSpec,
            _: importkit::ModuleHandle,
            _: Option<&[u8]>,
        ) -> Result<(), importkit::HostError> {
            Ok(())
        }
    }
    let (core, plugins) = (Scratch::new("fs"), Scratch::new("fs"));
    fs::create_dir_all(core.path("ns/sub")).unwrap();
    plugins.write("ns/sub/mod.py", "");
    let rt = fs_runtime(&[core.s("")]);
    rt.set_executor(std::sync::Arc::new(Objects(AtomicUsize::new(0))));
    let finder = std::sync::Arc::new(AddsPlugins { rt: std::sync::Mutex::new(Some(rt.clone())), dir: plugins.s("") });
    rt.add_finder(finder, 0).unwrap();
    rt.import("ns.sub.mod", None).unwrap();
    let spec = rt.module_spec("ns.sub.mod").unwrap();
    assert_eq!(spec.file(), Some(plugins.s("ns/sub/mod.py").as_str()));
}

/// Under confinement a resource is checked inside the roots and then read by its path, following links
/// again: a file swapped for a link to outside between the check and the read is read (as a `.ref` file
/// was before it was opened by its resolved path and checked through the descriptor).
#[test]
fn a_resource_swapped_for_a_link_is_never_read() {
    let (inside, outside) = (Scratch::new("fs"), Scratch::new("fs"));
    outside.write("secret.txt", "SECRET");
    inside.write("pkg/__init__.py", "");
    inside.write("pkg/data.txt", "public");
    inside.write("spare.txt", "public");
    let rt = fs_runtime(&[inside.s("")]);
    rt.confine(&inside.s("")).unwrap();
    assert_eq!(rt.read_resource("pkg", "data.txt").unwrap(), b"public");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let (stop, data) = (stop.clone(), inside.path("pkg/data.txt"));
        let (file, link) = (inside.path("spare.txt"), inside.path("link.tmp"));
        let secret = outside.path("secret.txt");
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = fs::remove_file(&link);
                symlink(&secret, &link).unwrap();
                fs::rename(&link, &data).unwrap();
                fs::write(&file, "public").unwrap();
                fs::hard_link(&file, &link).unwrap();
                fs::rename(&link, &data).unwrap();
            }
        })
    };
    let started = std::time::Instant::now();
    let mut leaked = 0;
    while started.elapsed() < Duration::from_secs(3) {
        if let Ok(bytes) = rt.read_resource("pkg", "data.txt") {
            leaked += usize::from(bytes == b"SECRET");
        }
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    assert_eq!(leaked, 0, "a file outside the roots was read {leaked} times through a swapped link");
}

/// A namespace package with a portion in a mount and one in a directory: listing and resources see both.
#[test]
fn a_namespace_across_a_mount_and_a_directory_lists_both_portions() {
    let top = Scratch::new("fs");
    top.write("ns/b.py", "");
    top.write("ns/b.txt", "B");
    let rt = fs_runtime(&[top.s("")]);
    let files = vec![importkit::MountFile::new("ns/a.py", b""), importkit::MountFile::new("ns/a.txt", b"A")];
    rt.mount("", files, importkit::MountMode::New, None).unwrap();
    let spec = rt.find_spec("ns", None).unwrap();
    assert_eq!(spec.kind(), ModuleKind::Namespace);
    let listed: Vec<String> = rt.iter_modules(Some("ns")).unwrap().into_iter().map(|m| m.name).collect();
    let resources = rt.resources("ns").unwrap();
    let (a, b) = (rt.read_resource("ns", "a.txt").ok(), rt.read_resource("ns", "b.txt").ok());
    assert_eq!(
        (listed, resources, a, b),
        (
            vec!["a".to_owned(), "b".to_owned()],
            vec!["a.py".to_owned(), "a.txt".to_owned(), "b.py".to_owned(), "b.txt".to_owned()],
            Some(b"A".to_vec()),
            Some(b"B".to_vec())
        ),
        "{spec:?}"
    );
}

/// A resource may be a path inside its package (`importlib.resources.files(p).joinpath("data/x")`); under
/// confinement a directory link that leads out of the roots is not followed.
#[test]
fn a_resource_in_a_subdirectory_is_read_and_a_link_out_is_not() {
    let (inside, outside) = (Scratch::new("fs"), Scratch::new("fs"));
    outside.write("secret/key.txt", "SECRET");
    inside.write("pkg/__init__.py", "");
    inside.write("pkg/data/levels/one.txt", "L1");
    symlink(outside.path("secret"), inside.path("pkg/out")).unwrap();
    let rt = fs_runtime(&[inside.s("")]);
    assert_eq!(rt.read_resource("pkg", "data/levels/one.txt").unwrap(), b"L1");
    assert_eq!(rt.read_resource("pkg", "data/levels/two.txt").unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(rt.read_resource("pkg", "data").unwrap_err().code(), ErrorCode::NotFound, "a directory is no file");
    rt.confine(&inside.s("")).unwrap();
    assert_eq!(rt.read_resource("pkg", "data/levels/one.txt").unwrap(), b"L1");
    let e = rt.read_resource("pkg", "out/key.txt").unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound, "{e}");
}
