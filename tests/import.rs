//! The import algorithm end to end through the Rust API: mounts, natives, policy, relative imports,
//! fromlist, cycles, failure cleanup, isolation, the module table, host finders and profiles.

mod common;

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{code, mount, runtime};
use importkit::{
    ErrorCode, HostError, HostFinder, HostFound, ModuleKind, ModuleSpec, ModuleState, MountFile, MountMode,
    NativeFlags, Profile, Runtime,
};

fn game(rt: &Runtime) {
    mount(
        rt,
        "game",
        &[
            ("__init__.py", "set title Game"),
            ("core/__init__.py", "from . import player"),
            ("core/player.py", "import ..util\nset hp 10"),
            ("util.py", "set helper yes"),
            ("ns/deep.py", "set deep 1"),
            ("data/level1.txt", "not a module"),
        ],
    );
}

#[test]
fn imports_a_mounted_package_with_relative_imports() {
    let (rt, ex, _slot) = runtime();
    game(&rt);
    let player = rt.import("game.core.player", None).unwrap();
    assert_eq!(ex.attr(player, "hp").as_deref(), Some("10"));
    for name in ["game", "game.core", "game.core.player", "game.util"] {
        assert_eq!(ex.exec_count(name), 1, "{name}");
        assert_eq!(rt.module(name).unwrap().1, ModuleState::Ready);
    }
    // Children are bound to their parents through the executor.
    let binds = ex.binds.lock().clone();
    assert!(binds.contains(&("game.core".into(), "player".into())));
    assert!(binds.contains(&("game".into(), "core".into())));
    // A second import is the same module and executes nothing.
    assert_eq!(rt.import("game.core.player", None).unwrap(), player);
    assert_eq!(ex.exec_count("game.core.player"), 1);
}

#[test]
fn specs_of_memory_modules() {
    let (rt, _ex, _slot) = runtime();
    game(&rt);
    let s = rt.find_spec("game.core", None).unwrap();
    assert_eq!(s.origin(), "memory:/game/core/__init__.py");
    assert!(s.is_package());
    assert_eq!(s.locations().collect::<Vec<_>>(), ["memory:/game/core"]);
    assert_eq!(s.parent(), "game.core");
    assert_eq!(s.file(), None);
    assert_eq!(s.kind(), ModuleKind::Source);
    let ns = rt.find_spec("game.ns", None).unwrap();
    assert_eq!(ns.kind(), ModuleKind::Namespace);
    assert_eq!(ns.locations().collect::<Vec<_>>(), ["memory:/game/ns"]);
    assert_eq!(rt.find_spec("game.ns.deep", None).unwrap().origin(), "memory:/game/ns/deep.py");
    // find_spec executes nothing and leaves the table alone.
    assert_eq!(rt.module_count(), 0);
    // Relative find_spec, and __init__ normalisation.
    assert_eq!(rt.find_spec("..util", Some("game.core")).unwrap().name(), "game.util");
    assert_eq!(rt.find_spec("game.core.__init__", None).unwrap().name(), "game.core");
    rt.set_virtual_root(Some("/opt/app.exe")).unwrap();
    assert_eq!(rt.find_spec("game.util", None).unwrap().file(), Some("/opt/app.exe/game/util.py"));
}

#[test]
fn namespace_package_imports_and_does_not_execute() {
    let (rt, ex, _slot) = runtime();
    game(&rt);
    let h = rt.import("game.ns.deep", None).unwrap();
    assert_eq!(ex.attr(h, "deep").as_deref(), Some("1"));
    assert_eq!(ex.exec_count("game.ns"), 0);
    assert!(rt.contains("game.ns"));
}

#[test]
fn init_normalisation_gives_the_package() {
    let (rt, _ex, _slot) = runtime();
    game(&rt);
    let a = rt.import("game.core.__init__", None).unwrap();
    assert_eq!(rt.import("game.core", None).unwrap(), a);
    assert!(!rt.contains("game.core.__init__"));
}

#[test]
fn not_found_names_every_place_tried() {
    let (rt, _ex, _slot) = runtime();
    game(&rt);
    let e = rt.import("game.x", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert_eq!(e.module(), Some("game.x"));
    assert_eq!(
        e.message(),
        "No module named 'game.x' (native: not registered; memory:/game: no game/x.py, no game/x/__init__.py)"
    );
    assert_eq!(e.attempts().len(), 2);
    // A module is not a package.
    let e = rt.import("game.util.y", None).unwrap_err();
    assert_eq!(e.message(), "No module named 'game.util.y'; 'game.util' is not a package");
    // A name no mount covers lists only the registry.
    assert_eq!(rt.import("nothing", None).unwrap_err().message(), "No module named 'nothing' (native: not registered)");
    // The failed imports left nothing but the modules they really imported.
    assert_eq!(rt.module_names(), ["game", "game.util"]);
}

#[test]
fn relative_import_errors_match_cpython() {
    let (rt, _ex, _slot) = runtime();
    game(&rt);
    let e = rt.import("...x", Some("game.core")).unwrap_err();
    assert_eq!((e.code(), e.message()), (ErrorCode::Import, "attempted relative import beyond top-level package"));
    let e = rt.import(".x", None).unwrap_err();
    assert_eq!(e.message(), "attempted relative import with no known parent package");
    assert_eq!(code(rt.import("", None)), ErrorCode::InvalidName);
    assert_eq!(code(rt.import("a..b", None)), ErrorCode::InvalidName);
    assert_eq!(code(rt.import("a/b", None)), ErrorCode::InvalidName);
}

#[test]
fn import_from_returns_what_an_import_statement_binds() {
    let (rt, ex, _slot) = runtime();
    game(&rt);
    // import game.core.player -> game
    let top = rt.import_from("game.core.player", None, 0, &[]).unwrap();
    assert_eq!(top, rt.module("game").unwrap().0);
    // from game.core import player -> game.core, player imported
    let core = rt.import_from("game.core", None, 0, &["player"]).unwrap();
    assert_eq!(core, rt.module("game.core").unwrap().0);
    // from . import util (inside game.core.player: package game.core, level 2 for ..)
    let g = rt.import_from("", Some("game.core"), 2, &["util"]).unwrap();
    assert_eq!(g, rt.module("game").unwrap().0);
    // from .core import player (level 1 from package game) -> game.core
    let c = rt.import_from("core", Some("game"), 1, &["player"]).unwrap();
    assert_eq!(c, core);
    // A fromlist name that is neither an attribute nor a module is ignored (the caller's getattr fails).
    rt.import_from("game", None, 0, &["missing_name"]).unwrap();
    // A fromlist name that exists as an attribute is not imported.
    rt.import_from("game", None, 0, &["title"]).unwrap();
    assert!(!rt.contains("game.title"));
    assert_eq!(ex.exec_count("game"), 1);
}

#[test]
fn star_import_follows_all() {
    let (rt, _ex, _slot) = runtime();
    mount(&rt, "pkg", &[("__init__.py", "all a c"), ("a.py", ""), ("b.py", ""), ("c/__init__.py", "")]);
    rt.import_from("pkg", None, 0, &["*"]).unwrap();
    assert!(rt.contains("pkg.a"));
    assert!(rt.contains("pkg.c"));
    assert!(!rt.contains("pkg.b"));
}

#[test]
fn fromlist_error_inside_a_submodule_propagates() {
    let (rt, _ex, _slot) = runtime();
    mount(&rt, "pkg", &[("__init__.py", ""), ("bad.py", "import pkg.nothere")]);
    let e = rt.import_from("pkg", None, 0, &["bad"]).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert!(e.message().starts_with("No module named 'pkg.nothere'"), "{}", e.message());
}

#[test]
fn cycles_see_the_partial_module() {
    let (rt, ex, _slot) = runtime();
    mount(
        &rt,
        "cyc",
        &[("__init__.py", ""), ("a.py", "set early 1\npartial cyc.b\nset late 1"), ("b.py", "partial cyc.a\nset b 1")],
    );
    let a = rt.import("cyc.a", None).unwrap();
    assert_eq!(ex.attr(a, "late").as_deref(), Some("1"));
    assert_eq!(ex.partials.lock().clone(), ["cyc.b<-cyc.a"]);
    assert_eq!(ex.exec_count("cyc.a"), 1);
    assert_eq!(ex.exec_count("cyc.b"), 1);
    // A package whose __init__ imports its own submodule, which imports the package back.
    mount(&rt, "p", &[("__init__.py", "import p.sub\nset done 1"), ("sub.py", "partial p")]);
    rt.import("p.sub", None).unwrap();
    assert_eq!(ex.exec_count("p"), 1);
    assert_eq!(ex.exec_count("p.sub"), 1);
    assert!(ex.partials.lock().contains(&"p.sub<-p".to_owned()));
}

#[test]
fn a_failed_module_leaves_the_table_and_its_imported_children_stay() {
    let (rt, ex, _slot) = runtime();
    mount(&rt, "f", &[("__init__.py", ""), ("ok.py", "set x 1"), ("bad.py", "import f.ok\nset y 2\nraise boom here")]);
    let e = rt.import("f.bad", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Exec);
    assert_eq!(e.message(), "executing module 'f.bad' failed: boom here (line 3, column 1)");
    let host = e.host().unwrap();
    assert_eq!((host.message.as_str(), host.line), ("boom here", 3));
    assert!(!rt.contains("f.bad"));
    assert!(rt.contains("f.ok"));
    assert!(rt.contains("f"));
    // The failed module object was released; the runtime is still usable.
    assert_eq!(ex.released.load(Ordering::SeqCst), 1);
    // Importing again executes again (CPython semantics: a failed module can be retried once fixed).
    assert!(rt.import("f.bad", None).is_err());
    assert_eq!(ex.exec_count("f.bad"), 2);
    rt.mount(
        "f",
        vec![MountFile::new("__init__.py", ""), MountFile::new("bad.py", "set fixed 1")],
        MountMode::Replace,
        None,
    )
    .unwrap();
    let fixed = rt.import("f.bad", None).unwrap();
    assert_eq!(ex.attr(fixed, "fixed").as_deref(), Some("1"));
}

#[test]
fn a_nested_not_found_keeps_its_status() {
    let (rt, _ex, _slot) = runtime();
    mount(&rt, "n", &[("__init__.py", "import missing_dependency")]);
    let e = rt.import("n", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert_eq!(e.message(), "No module named 'missing_dependency' (native: not registered)");
    assert_eq!(e.module(), Some("missing_dependency"), "the inner error comes through unchanged");
    assert!(!rt.contains("n"));
}

#[test]
fn natives_with_submodules_and_flags() {
    let (rt, ex, _slot) = runtime();
    let made = Arc::new(AtomicUsize::new(0));
    let factory = {
        let made = made.clone();
        let ex = ex.clone();
        move |spec: &ModuleSpec| {
            made.fetch_add(1, Ordering::SeqCst);
            importkit::Executor::create(&*ex, spec)
        }
    };
    let f = Arc::new(factory);
    rt.register_native("time", f.clone(), NativeFlags::default()).unwrap();
    rt.register_native("engine", f.clone(), NativeFlags::default()).unwrap();
    rt.register_native("engine.gfx", f.clone(), NativeFlags::default()).unwrap();
    assert_eq!(rt.register_native("time", f.clone(), NativeFlags::default()).unwrap_err().code(), ErrorCode::Exists);
    let s = rt.find_spec("engine", None).unwrap();
    assert_eq!((s.origin(), s.kind(), s.is_package()), ("builtin:engine", ModuleKind::Native, true));
    assert!(!rt.find_spec("time", None).unwrap().is_package());
    rt.import("engine.gfx", None).unwrap();
    rt.import("time", None).unwrap();
    assert_eq!(made.load(Ordering::SeqCst), 3);
    assert_eq!(ex.exec_count("time"), 0, "natives are not executed");
    // A native wins over a mount of the same name (registry before the meta path).
    mount(&rt, "audio", &[("__init__.py", "set from memory")]);
    rt.register_native("audio", f.clone(), NativeFlags::default()).unwrap();
    assert_eq!(rt.find_spec("audio", None).unwrap().kind(), ModuleKind::Native);
    rt.unregister_native("audio").unwrap();
    assert_eq!(rt.find_spec("audio", None).unwrap().kind(), ModuleKind::Source);
    // A failing factory.
    let failing = Arc::new(|_: &ModuleSpec| Err(HostError::new("no GPU")));
    rt.register_native("gpu", failing, NativeFlags::default()).unwrap();
    let e = rt.import("gpu", None).unwrap_err();
    assert_eq!(e.message(), "creating native module 'gpu' failed: no GPU");
    assert!(!rt.contains("gpu"));
}

#[test]
fn policy_denies_without_trace() {
    let (rt, ex, _slot) = runtime();
    let made = Arc::new(AtomicUsize::new(0));
    let factory = {
        let made = made.clone();
        let ex = ex.clone();
        Arc::new(move |spec: &ModuleSpec| {
            made.fetch_add(1, Ordering::SeqCst);
            importkit::Executor::create(&*ex, spec)
        })
    };
    rt.register_native("fs", factory.clone(), NativeFlags { powerful: true, package: false }).unwrap();
    game(&rt);
    // Powerful natives are denied by default, even with allow-all.
    let e = rt.import("fs", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Denied);
    assert_eq!(e.message(), "import of 'fs' denied by policy: 'fs' is a powerful native and is not on the allow list");
    rt.allow("*").unwrap();
    assert_eq!(code(rt.import("fs", None)), ErrorCode::Denied);
    assert_eq!(made.load(Ordering::SeqCst), 0);
    rt.allow("fs").unwrap();
    rt.import("fs", None).unwrap();
    // Deny wins, also for modules already in the table, and leaves no trace.
    rt.deny("game").unwrap();
    let creates = ex.creates.load(Ordering::SeqCst);
    assert_eq!(code(rt.import("game.core.player", None)), ErrorCode::Denied);
    assert_eq!(code(rt.find_spec("game.core", None).map(|_| NonZeroUsize::MIN)), ErrorCode::Denied);
    assert_eq!(ex.creates.load(Ordering::SeqCst), creates);
    assert!(!rt.contains("game"));
    rt.deny("fs").unwrap();
    assert_eq!(code(rt.import("fs", None)), ErrorCode::Denied, "a cached module is denied too");
    // An allow list restricts to its names.
    rt.clear_policy();
    rt.allow("game").unwrap();
    rt.import("game.util", None).unwrap();
    assert_eq!(code(rt.import("fs", None)), ErrorCode::Denied);
    assert_eq!(rt.allow("a.b").unwrap_err().code(), ErrorCode::InvalidName);
}

#[test]
fn two_runtimes_share_nothing() {
    let (a, ex_a, _sa) = runtime();
    let (b, ex_b, _sb) = runtime();
    mount(&a, "game", &[("__init__.py", "set who a")]);
    mount(&b, "game", &[("__init__.py", "set who b")]);
    let ha = a.import("game", None).unwrap();
    let hb = b.import("game", None).unwrap();
    assert_eq!(ex_a.attr(ha, "who").as_deref(), Some("a"));
    assert_eq!(ex_b.attr(hb, "who").as_deref(), Some("b"));
    a.deny("game").unwrap();
    b.import("game", None).unwrap();
    a.unmount("game").unwrap();
    assert!(b.find_spec("game", None).is_ok());
    a.remove_module("game").unwrap();
    assert!(b.contains("game"));
}

#[test]
fn module_table_queries() {
    let (rt, ex, _slot) = runtime();
    game(&rt);
    rt.import("game.util", None).unwrap();
    assert_eq!(rt.module_names(), ["game", "game.util"]);
    assert!(rt.module_spec("game.util").is_some());
    rt.remove_module("game.util").unwrap();
    assert_eq!(rt.remove_module("game.util").unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(ex.released.load(Ordering::SeqCst), 1);
    // Importing again after removal executes again.
    rt.import("game.util", None).unwrap();
    assert_eq!(ex.exec_count("game.util"), 2);
    // The host can put its own module in the table; imports then return it.
    let mine = NonZeroUsize::new(999_999).unwrap();
    rt.insert_module("custom.thing", mine).unwrap();
    assert_eq!(rt.import("custom.thing", None).unwrap(), mine);
    assert!(rt.module_spec("custom.thing").is_none());
    assert_eq!(rt.insert_module("bad..name", mine).unwrap_err().code(), ErrorCode::InvalidName);
}

#[test]
fn mounts_refuse_bad_trees() {
    let rt = Runtime::default();
    let cases: &[(&str, &[&str], &str)] = &[
        ("a", &["../x.py"], "'..' segment"),
        ("a", &["/abs.py"], "is absolute"),
        ("a", &["x\\y.py"], "contains '\\'"),
        ("a", &["x//y.py"], "empty segment"),
        ("a", &["x/"], "empty segment"),
        ("a", &[""], "empty path"),
        ("a", &["./x.py"], "'.' segment"),
        ("a", &["x.py", "x.py"], "given twice"),
        ("a", &["x", "x/y.py"], "both a file and a directory"),
        ("a.b", &["x.py"], "top-level name"),
    ];
    for (point, paths, why) in cases {
        let files = paths.iter().map(|p| MountFile::new(*p, "")).collect();
        let e = rt.mount(point, files, MountMode::New, None).unwrap_err();
        assert!(matches!(e.code(), ErrorCode::InvalidMount), "{paths:?}: {e}");
        assert!(e.message().contains(why), "{paths:?}: {}", e.message());
    }
    assert_eq!(rt.mount("1bad", vec![], MountMode::New, None).unwrap_err().code(), ErrorCode::InvalidName);
    assert!(rt.meta_path().is_empty(), "no failed mount is left behind");
    rt.mount("ok", vec![MountFile::new("__init__.py", "")], MountMode::New, None).unwrap();
    let e = rt.mount("ok", vec![], MountMode::New, None).unwrap_err();
    assert_eq!((e.code(), e.message()), (ErrorCode::Exists, "mount point 'ok' is taken already"));
    rt.unmount("ok").unwrap();
    assert_eq!(rt.unmount("ok").unwrap_err().code(), ErrorCode::Unavailable);
}

#[test]
fn root_mount_and_mount_order() {
    let (rt, ex, _slot) = runtime();
    mount(&rt, "", &[("top.py", "set v root"), ("pkg/__init__.py", ""), ("pkg/extra.py", "set v extra")]);
    mount(&rt, "pkg", &[("__init__.py", "set v named"), ("own.py", "")]);
    // The root mount came first, so it serves `pkg`; the named mount still serves `pkg.own`.
    assert_eq!(rt.find_spec("pkg", None).unwrap().origin(), "memory:/pkg/__init__.py");
    let h = rt.import("top", None).unwrap();
    assert_eq!(ex.attr(h, "v").as_deref(), Some("root"));
    rt.import("pkg.own", None).unwrap();
    rt.import("pkg.extra", None).unwrap();
    assert_eq!(rt.meta_path().iter().map(|(_, d)| d.as_str()).collect::<Vec<_>>(), ["memory:/", "memory:/pkg"]);
}

#[test]
fn precedence_within_a_mount() {
    let rt = Runtime::default();
    mount(&rt, "p", &[("__init__.py", ""), ("m.py", ""), ("m/__init__.py", ""), ("n.pyc", ""), ("n.py", "")]);
    mount(&rt, "q", &[("__init__.py", ""), ("e.so", ""), ("e.py", ""), ("d.py", ""), ("d/x.py", "")]);
    assert!(rt.find_spec("p.m", None).unwrap().is_package(), "a package beats a module");
    assert_eq!(rt.find_spec("p.n", None).unwrap().kind(), ModuleKind::Source, "source beats bytecode");
    assert_eq!(rt.find_spec("q.e", None).unwrap().kind(), ModuleKind::Extension, "extension beats source");
    assert_eq!(rt.find_spec("q.d", None).unwrap().kind(), ModuleKind::Source, "a module beats a namespace");
}

#[test]
fn unmount_keeps_imported_modules_and_borrowed_bytes_are_released_after() {
    struct Guard(Arc<AtomicUsize>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let (rt, _ex, _slot) = runtime();
    let released = Arc::new(AtomicUsize::new(0));
    rt.mount(
        "g",
        vec![MountFile::new("__init__.py", ""), MountFile::new("a.py", ""), MountFile::new("b.py", "")],
        MountMode::New,
        Some(Box::new(Guard(released.clone()))),
    )
    .unwrap();
    rt.import("g.a", None).unwrap();
    rt.unmount("g").unwrap();
    assert_eq!(released.load(Ordering::SeqCst), 1, "nothing holds the tree after unmount");
    assert!(rt.contains("g.a"));
    assert_eq!(code(rt.import("g.b", None)), ErrorCode::NotFound);
}

struct AssetFinder {
    calls: AtomicUsize,
    invalidated: AtomicUsize,
}

impl HostFinder for AssetFinder {
    fn name(&self) -> &str {
        "assets"
    }

    fn find_spec(&self, name: &str, path: Option<&[&str]>) -> Result<Option<HostFound>, HostError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match name {
            "assets" => {
                let mut f = HostFound::new("host:assets", ModuleKind::Source, true);
                f.locations.push("host:assets/".into());
                f.source = Some(b"set kind pack".to_vec());
                Ok(Some(f))
            }
            "assets.tex" => {
                assert_eq!(path, Some(&["host:assets/"][..]));
                let mut f = HostFound::new("host:assets/tex", ModuleKind::Source, false);
                f.source = Some(b"set kind tex".to_vec());
                Ok(Some(f))
            }
            "assets.broken" => Err(HostError::new("archive index corrupt")),
            _ => Ok(None),
        }
    }

    fn invalidate(&self) {
        self.invalidated.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn host_finders_take_their_place_on_the_meta_path() {
    let (rt, ex, _slot) = runtime();
    mount(&rt, "assets", &[("__init__.py", "set kind memory")]);
    let finder = Arc::new(AssetFinder { calls: AtomicUsize::new(0), invalidated: AtomicUsize::new(0) });
    let id = rt.add_finder(finder.clone(), 0).unwrap();
    let h = rt.import("assets.tex", None).unwrap();
    assert_eq!(ex.attr(h, "kind").as_deref(), Some("tex"));
    let pack = rt.module("assets").unwrap().0;
    assert_eq!(ex.attr(pack, "kind").as_deref(), Some("pack"), "the host finder came first");
    let e = rt.import("assets.broken", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Host);
    assert!(e.message().contains("archive index corrupt"), "{}", e.message());
    let e = rt.import("assets.none", None).unwrap_err();
    assert!(e.message().contains("host:assets: not found"), "{}", e.message());
    rt.invalidate();
    assert_eq!(finder.invalidated.load(Ordering::SeqCst), 1);
    rt.remove_finder(id).unwrap();
    assert_eq!(rt.remove_finder(id).unwrap_err().code(), ErrorCode::Unavailable);
    rt.remove_module("assets").unwrap();
    let h = rt.import("assets", None).unwrap();
    assert_eq!(ex.attr(h, "kind").as_deref(), Some("memory"));
}

#[test]
fn lua_profile_uses_init_lua_and_no_namespace_dirs() {
    let rt = Runtime::new(Profile::lua());
    let (ex, _slot) = common::TestExecutor::install(&rt);
    mount(
        &rt,
        "app",
        &[("init.lua", "set v app"), ("util.lua", "set v util"), ("lib/json-lua.lua", ""), ("bare/x.lua", "")],
    );
    let s = rt.find_spec("app", None).unwrap();
    assert_eq!(s.origin(), "memory:/app/init.lua");
    assert!(s.is_package());
    let h = rt.import("app.util", None).unwrap();
    assert_eq!(ex.attr(h, "v").as_deref(), Some("util"));
    assert_eq!(code(rt.import("app.bare", None)), ErrorCode::NotFound, "no namespace directories in Lua");
    assert_eq!(code(rt.import("app.lib.json-lua", None)), ErrorCode::NotFound);
    assert!(rt.find_spec("app.init", None).unwrap().is_package(), "app.init is app");
}

#[test]
fn custom_profile() {
    let mut p = Profile::custom("teal").unwrap();
    p.add_suffix(ModuleKind::Source, ".tl").unwrap();
    p.set_init_stem("mod").unwrap();
    p.set_namespace_dirs(false);
    let rt = Runtime::new(p);
    mount(&rt, "t", &[("mod.tl", ""), ("x.tl", ""), ("x.py", "")]);
    assert_eq!(rt.find_spec("t", None).unwrap().origin(), "memory:/t/mod.tl");
    assert_eq!(rt.find_spec("t.x", None).unwrap().origin(), "memory:/t/x.tl");
}

#[test]
fn without_an_executor_source_modules_cannot_load() {
    let rt = Runtime::default();
    mount(&rt, "g", &[("__init__.py", "")]);
    let e = rt.import("g", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unavailable);
    assert_eq!(e.message(), "cannot load 'g' (memory:/g/__init__.py): the runtime has no executor");
    assert!(!rt.contains("g"));
}

#[test]
fn dropping_a_runtime_releases_every_module() {
    let (rt, ex, slot) = runtime();
    game(&rt);
    rt.import("game.core.player", None).unwrap();
    let n = rt.module_count();
    assert_eq!(n, 4);
    drop(slot);
    drop(rt);
    assert_eq!(ex.released.load(Ordering::SeqCst), n);
    assert_eq!(ex.live_modules(), 0);
}

#[test]
fn runaway_nesting_is_an_error_not_a_crash() {
    let (rt, _ex, _slot) = runtime();
    let files: Vec<(String, String)> =
        (0..300).map(|i| (format!("m{i}.py"), format!("import deep.m{}", i + 1))).collect();
    let mut all: Vec<(&str, &str)> = files.iter().map(|(p, s)| (p.as_str(), s.as_str())).collect();
    all.push(("__init__.py", ""));
    mount(&rt, "deep", &all);
    let e = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || rt.import("deep.m0", None).unwrap_err())
        .unwrap()
        .join()
        .unwrap();
    assert!(e.message().contains("more than 200 deep"), "{}", e.message());
}

#[test]
fn a_powerful_native_below_the_top_level_is_denied_too() {
    let (rt, ex, _slot) = runtime();
    let f = {
        let ex = ex.clone();
        Arc::new(move |spec: &ModuleSpec| importkit::Executor::create(&*ex, spec))
    };
    rt.register_native("engine", f.clone(), NativeFlags::default()).unwrap();
    rt.register_native("engine.io", f, NativeFlags { powerful: true, package: false }).unwrap();
    rt.import("engine", None).unwrap();
    let e = rt.import("engine.io", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Denied);
    rt.allow("*").unwrap();
    assert_eq!(code(rt.import("engine.io", None)), ErrorCode::Denied);
    rt.allow("engine").unwrap();
    rt.import("engine.io", None).unwrap();
    rt.deny("*").unwrap();
    assert_eq!(
        rt.import("engine", None).unwrap_err().message(),
        "import of 'engine' denied by policy: every name is denied"
    );
}

#[test]
fn dotted_directories_and_file_stems_hold_no_modules() {
    let (rt, ex, _slot) = runtime();
    mount(
        &rt,
        "p",
        &[
            ("__init__.py", ""),
            ("a.b/__init__.py", "set v hijack"),
            ("x.y/z.py", "set v hijack"),
            ("a/__init__.py", ""),
            ("a/b.py", "set v real"),
            ("q.r.py", "set v hijack"),
        ],
    );
    assert_eq!(rt.find_spec("p.a.b", None).unwrap().origin(), "memory:/p/a/b.py");
    let h = rt.import("p.a.b", None).unwrap();
    assert_eq!(ex.attr(h, "v").as_deref(), Some("real"));
    assert_eq!(code(rt.import("p.x.y.z", None)), ErrorCode::NotFound);
    assert_eq!(code(rt.import("p.q.r", None)), ErrorCode::NotFound);
}

#[test]
fn a_regular_package_in_a_later_mount_wins_over_namespace_portions() {
    let (rt, ex, _slot) = runtime();
    mount(&rt, "", &[("pkg/a.py", "set v a")]);
    mount(&rt, "pkg", &[("__init__.py", "set v init"), ("b.py", "")]);
    let s = rt.find_spec("pkg", None).unwrap();
    assert_eq!((s.origin(), s.kind()), ("memory:/pkg/__init__.py", ModuleKind::Source));
    let h = rt.import("pkg", None).unwrap();
    assert_eq!(ex.attr(h, "v").as_deref(), Some("init"));
    rt.import("pkg.a", None).unwrap();
    // Namespace portions from two mounts collect into one namespace package.
    mount(&rt, "ns", &[("x.py", "")]);
    let rt2 = runtime().0;
    mount(&rt2, "", &[("ns/x.py", "")]);
    mount(&rt2, "ns", &[("y.py", "")]);
    let ns = rt2.find_spec("ns", None).unwrap();
    assert_eq!(ns.kind(), ModuleKind::Namespace);
    assert_eq!(ns.locations().collect::<Vec<_>>(), ["memory:/ns"]);
    assert!(rt2.find_spec("ns.x", None).is_ok() && rt2.find_spec("ns.y", None).is_ok());
}

#[test]
fn names_with_every_allowed_segment_resolve() {
    let (rt, _ex, _slot) = runtime();
    let name = vec!["a"; importkit::limits::MAX_NAME_SEGMENTS].join(".");
    let e = rt.import(&name, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert!(e.message().starts_with("No module named 'a'"), "{}", e.message());
}

#[test]
fn removing_a_module_while_it_executes_releases_it_after() {
    let (rt, ex, _slot) = runtime();
    let rt2 = rt.clone();
    struct Remover(Runtime);
    impl importkit::HostFinder for Remover {
        fn name(&self) -> &str {
            "remover"
        }
        fn find_spec(&self, name: &str, _: Option<&[&str]>) -> Result<Option<HostFound>, HostError> {
            if name == "gone" {
                let mut f = HostFound::new("host:gone", ModuleKind::Source, false);
                f.source = Some(b"set a 1\nimport trigger\nset b 2".to_vec());
                return Ok(Some(f));
            }
            if name == "trigger" {
                // Runs while `gone` executes: take `gone` out of the table.
                self.0.remove_module("gone").unwrap();
                return Ok(Some(HostFound::new("host:trigger", ModuleKind::Namespace, true)));
            }
            Ok(None)
        }
    }
    rt.add_finder(Arc::new(Remover(rt2)), 0).unwrap();
    let released_before = ex.released.load(Ordering::SeqCst);
    let e = rt.import("gone", None).unwrap_err();
    assert_eq!(e.message(), "module 'gone' was removed from the module table while it executed");
    assert_eq!(ex.released.load(Ordering::SeqCst), released_before + 1, "released once, after exec returned");
    assert!(!rt.contains("gone"));
}

#[test]
fn a_host_status_passed_on_in_a_fromlist_submodule_is_not_swallowed() {
    struct Failing;
    impl HostFinder for Failing {
        fn name(&self) -> &str {
            "failing"
        }
        fn find_spec(&self, name: &str, _: Option<&[&str]>) -> Result<Option<HostFound>, HostError> {
            Ok((name == "pkg.x").then(|| {
                let mut f = HostFound::new("host:pkg/x", ModuleKind::Source, false);
                f.source = Some(b"raise-notfound".to_vec());
                f
            }))
        }
    }
    struct Exec;
    impl importkit::Executor for Exec {
        fn create(&self, _: &ModuleSpec) -> Result<importkit::ModuleHandle, HostError> {
            Ok(NonZeroUsize::new(5).unwrap())
        }
        fn exec(&self, spec: &ModuleSpec, _: importkit::ModuleHandle, _: Option<&[u8]>) -> Result<(), HostError> {
            // The host passes on a status of its own, without importkit's error object.
            if spec.name() == "pkg.x" {
                return Err(HostError::with_code(ErrorCode::NotFound, "No module named 'zz'"));
            }
            Ok(())
        }
    }
    let rt = Runtime::default();
    rt.set_executor(Arc::new(Exec));
    mount(&rt, "pkg", &[("__init__.py", "")]);
    rt.add_finder(Arc::new(Failing), usize::MAX).unwrap();
    let e = rt.import_from("pkg", None, 0, &["x"]).unwrap_err();
    assert_eq!((e.code(), e.message()), (ErrorCode::NotFound, "No module named 'zz'"));
    assert_eq!(e.module(), None, "the module the status is about is unknown, not 'pkg.x'");
}

#[test]
fn relative_import_without_fromlist_and_init_names() {
    let (rt, _ex, _slot) = runtime();
    mount(&rt, "p", &[("__init__.py", ""), ("αβγ/__init__.py", ""), ("αβγ/δ.py", "")]);
    // `import .αβγ.__init__` inside p binds p.αβγ; no panic on a multi-byte name.
    let h = rt.import_from("αβγ.__init__", Some("p"), 1, &[]).unwrap();
    assert_eq!(h, rt.module("p.αβγ").unwrap().0);
    let h = rt.import_from("αβγ.δ", Some("p"), 1, &[]).unwrap();
    assert_eq!(h, rt.module("p.αβγ").unwrap().0, "import .a.b binds the module a resolves to");
}

#[test]
fn a_release_that_calls_back_into_the_runtime_does_not_hang() {
    struct Reenter(Runtime);
    impl Drop for Reenter {
        fn drop(&mut self) {
            // A host's release running arbitrary code: it may use the runtime.
            let _ = self.0.import("anything", None);
            let _ = self.0.meta_path();
        }
    }
    let (rt, _ex, _slot) = runtime();
    rt.mount("g", vec![MountFile::new("__init__.py", "")], MountMode::New, Some(Box::new(Reenter(rt.clone()))))
        .unwrap();
    rt.unmount("g").unwrap();
    let factory = {
        let guard = Reenter(rt.clone());
        Arc::new(move |_: &ModuleSpec| {
            let _ = &guard;
            Ok(NonZeroUsize::new(9).unwrap())
        })
    };
    rt.register_native("nat", factory, NativeFlags::default()).unwrap();
    rt.unregister_native("nat").unwrap();
}

#[test]
fn host_inserted_packages_and_modules_that_put_themselves_back() {
    let (rt, ex, _slot) = runtime();
    mount(&rt, "", &[("hp/kid.py", "set born 1")]);
    // A host package searching a mounted location.
    let obj = NonZeroUsize::new(777_777).unwrap();
    rt.insert_package("hp", obj, &["memory:/hp"]).unwrap();
    let spec = rt.module_spec("hp").unwrap();
    assert_eq!((spec.origin(), spec.is_package()), ("host:inserted", true));
    let kid = rt.import("hp.kid", None).unwrap();
    assert_eq!(ex.attr(kid, "born").as_deref(), Some("1"));
    // A module putting itself back into the table keeps its spec (and stays a package).
    mount(&rt, "self_ref", &[("__init__.py", "set a 1"), ("sub.py", "")]);
    let h = rt.import("self_ref", None).unwrap();
    rt.insert_module("self_ref", h).unwrap();
    assert!(rt.module_spec("self_ref").is_some());
    rt.import("self_ref.sub", None).unwrap();
}
