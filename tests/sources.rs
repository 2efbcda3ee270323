//! The meta-path protocol from outside: a new source of modules is one type implementing `Finder` and one
//! registration line; it answers find, resources and iter_modules through the runtime, and its bytes are
//! read when a module executes, never when it is found. Mounts, natives and directories answer the same
//! questions.

mod common;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{mount, runtime};
use importkit::{
    Error, ErrorCode, Finder, Found, HostError, ModuleBytes, ModuleInfo, ModuleKind, ModuleSpec, NativeFlags, Query,
    Resource, Source, Trace,
};

/// A source kind of its own: modules and resources in a map of paths, as an archive would hold them.
struct Shelf {
    files: BTreeMap<String, String>,
    reads: Arc<AtomicUsize>,
}

/// A shelf file's bytes, read only when its module executes (counted).
struct ShelfBytes {
    text: String,
    reads: Arc<AtomicUsize>,
}

impl ModuleBytes for ShelfBytes {
    fn read(&self, _: u32) -> Result<Cow<'_, [u8]>, HostError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(Cow::Borrowed(self.text.as_bytes()))
    }
}

impl Shelf {
    fn dir_of(package: &ModuleSpec) -> Option<String> {
        package.origin().strip_prefix("shelf:/")?.strip_suffix("/__init__.py").map(str::to_owned)
    }
}

impl Finder for Shelf {
    fn place(&self) -> String {
        "shelf:".to_owned()
    }

    fn find(&self, query: &Query, trace: &mut Trace) -> importkit::Result<Option<Found>> {
        let path = query.name.replace('.', "/");
        for (file, is_package) in [(format!("{path}/__init__.py"), true), (format!("{path}.py"), false)] {
            if let Some(text) = self.files.get(&file) {
                let spec = ModuleSpec::new(query.name, &format!("shelf:/{file}"), ModuleKind::Source, is_package);
                let spec = if is_package { spec.with_locations([format!("shelf:/{path}")]) } else { spec };
                let bytes = ShelfBytes { text: text.clone(), reads: Arc::clone(&self.reads) };
                return Ok(Some(Found::new(spec, Source::Bytes(Arc::new(bytes), 0))));
            }
        }
        trace.note_with(|| Some(importkit::Attempt::new("shelf:", format!("no {path}.py"))));
        Ok(None)
    }

    fn read_resource(&self, package: &ModuleSpec, resource: &str, _: &Query) -> importkit::Result<Option<Resource>> {
        let Some(dir) = Self::dir_of(package) else { return Ok(None) };
        Ok(self.files.get(&format!("{dir}/{resource}")).map(|t| Resource::Owned(t.as_bytes().to_vec())))
    }

    fn resources(&self, package: &ModuleSpec, _: &Query) -> importkit::Result<Option<Vec<String>>> {
        let Some(dir) = Self::dir_of(package) else { return Ok(None) };
        let prefix = format!("{dir}/");
        let names = self.files.keys().filter_map(|k| k.strip_prefix(&prefix)).filter(|r| !r.contains('/'));
        Ok(Some(names.map(str::to_owned).collect()))
    }

    fn iter_modules(&self, package: Option<&ModuleSpec>, _: &Query) -> importkit::Result<Vec<ModuleInfo>> {
        let prefix = match package {
            Some(p) => match Self::dir_of(p) {
                Some(d) => format!("{d}/"),
                None => return Ok(Vec::new()),
            },
            None => String::new(),
        };
        let mut out = Vec::new();
        for key in self.files.keys() {
            let Some(rest) = key.strip_prefix(&prefix) else { continue };
            match rest.split_once('/') {
                Some((pkg, "__init__.py")) => out.push(ModuleInfo { name: pkg.to_owned(), is_package: true }),
                None if rest.ends_with(".py") && rest != "__init__.py" => {
                    out.push(ModuleInfo { name: rest.trim_end_matches(".py").to_owned(), is_package: false })
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

fn shelf(reads: &Arc<AtomicUsize>) -> Arc<Shelf> {
    let files = [
        ("tools/__init__.py", "set kind package"),
        ("tools/knife.py", "set blade sharp"),
        ("tools/manual.txt", "read me"),
        ("tools/rope.py", "import .knife"),
        ("solo.py", "set alone yes"),
    ];
    let files = files.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Arc::new(Shelf { files, reads: Arc::clone(reads) })
}

#[test]
fn a_new_source_is_one_type_and_one_registration_line() {
    let (rt, ex, _slot) = runtime();
    let reads = Arc::new(AtomicUsize::new(0));
    rt.add_source(shelf(&reads), 0).unwrap();

    // find: a spec, and nothing read.
    let spec = rt.find_spec("tools.knife", None).unwrap();
    assert_eq!((spec.origin(), spec.parent()), ("shelf:/tools/knife.py", "tools"));
    assert_eq!(reads.load(Ordering::SeqCst), 0, "finding reads no bytes");

    // import: the bytes are read once, when the module executes, and reach the executor.
    let h = rt.import("tools.rope", None).unwrap();
    assert_eq!(ex.exec_count("tools.rope"), 1);
    assert_eq!(ex.attr(rt.module("tools.knife").unwrap().0, "blade").as_deref(), Some("sharp"));
    assert_eq!(reads.load(Ordering::SeqCst), 3, "tools, tools.rope, tools.knife: one read each");
    assert_eq!(ex.module(h).name, "tools.rope");

    // resources and listing, through the runtime.
    assert_eq!(rt.read_resource("tools", "manual.txt").unwrap(), b"read me");
    assert_eq!(rt.resources("tools").unwrap(), ["__init__.py", "knife.py", "manual.txt", "rope.py"]);
    let names = |v: Vec<ModuleInfo>| v.into_iter().map(|m| (m.name, m.is_package)).collect::<Vec<_>>();
    assert_eq!(
        names(rt.iter_modules(Some("tools")).unwrap()),
        [("knife".to_owned(), false), ("rope".to_owned(), false)]
    );
    assert_eq!(names(rt.iter_modules(None).unwrap()), [("solo".to_owned(), false), ("tools".to_owned(), true)]);

    // A miss is explained by the source itself, and errors name it.
    let e = rt.import("tools.saw", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert!(e.attempts().iter().any(|a| a.place == "shelf:" && a.reason == "no tools/saw.py"), "{e}");
    let e = rt.read_resource("tools", "missing.txt").unwrap_err();
    assert_eq!((e.code(), e.module()), (ErrorCode::NotFound, Some("tools")));
    assert!(e.message().contains("'missing.txt'"), "{}", e.message());
    assert_eq!(rt.meta_path().last().map(|(_, p)| p.as_str()), Some("shelf:"));
}

/// A source whose bytes fail to read when the module executes: the import fails naming the module, and
/// the module leaves the table.
struct Vanishing;

struct Gone;

impl ModuleBytes for Gone {
    fn read(&self, _: u32) -> Result<Cow<'_, [u8]>, HostError> {
        Err(HostError::new("the archive changed on disk"))
    }
}

impl Finder for Vanishing {
    fn place(&self) -> String {
        "vanishing".into()
    }

    fn find(&self, query: &Query, _: &mut Trace) -> importkit::Result<Option<Found>> {
        let spec = ModuleSpec::new(query.name, "vanishing:x", ModuleKind::Source, false);
        Ok((query.name == "ghost").then(|| Found::new(spec, Source::Bytes(Arc::new(Gone), 0))))
    }
}

#[test]
fn bytes_that_cannot_be_read_at_exec_time_fail_the_import_cleanly() {
    let (rt, ex, _slot) = runtime();
    rt.add_source(Arc::new(Vanishing), usize::MAX).unwrap();
    assert!(rt.find_spec("ghost", None).is_ok());
    let e: Error = rt.import("ghost", None).unwrap_err();
    assert_eq!((e.code(), e.module()), (ErrorCode::Exec, Some("ghost")));
    assert!(e.message().contains("the archive changed on disk"), "{}", e.message());
    assert!(!rt.contains("ghost"));
    assert_eq!(ex.exec_count("ghost"), 0);
}

#[test]
fn mounts_answer_resources_and_listing() {
    let (rt, _ex, _slot) = runtime();
    mount(
        &rt,
        "game",
        &[("__init__.py", ""), ("core.py", ""), ("data/level1.txt", "L1"), ("ui/__init__.py", ""), ("logo.png", "P")],
    );
    assert_eq!(rt.read_resource("game", "logo.png").unwrap(), b"P");
    assert_eq!(rt.resources("game").unwrap(), ["__init__.py", "core.py", "data", "logo.png", "ui"]);
    let listed: Vec<String> = rt.iter_modules(Some("game")).unwrap().into_iter().map(|m| m.name).collect();
    assert_eq!(listed, ["core", "ui"], "data has no init file: as pkgutil lists a directory, it is not listed");
    assert_eq!(rt.read_resource("game.data", "level1.txt").unwrap(), b"L1");
    assert_eq!(rt.read_resource("game", "data/level1.txt").unwrap(), b"L1", "a path inside the package");
    // Held in place: the bytes outlast the mount.
    let held = rt.resource("game", "logo.png").unwrap();
    assert!(matches!(held, Resource::Held(..)));
    rt.unmount("game").unwrap();
    assert_eq!(&held.bytes().unwrap()[..], b"P");
    mount(&rt, "game", &[("__init__.py", ""), ("core.py", ""), ("data/level1.txt", "L1")]);
    for bad in ["", "..", "/abs", "data//level1.txt", "data/./level1.txt", "data/../data/level1.txt", "a\\b", "x\0y"] {
        assert_eq!(rt.read_resource("game", bad).unwrap_err().code(), ErrorCode::InvalidArgument, "{bad:?}");
    }
    assert_eq!(rt.resources("game.core").unwrap_err().code(), ErrorCode::Import, "a module is not a package");
    assert_eq!(rt.resources("nothing").unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn natives_are_listed_and_denied_names_are_not() {
    let (rt, _ex, _slot) = runtime();
    let factory = Arc::new(|_: &ModuleSpec| Ok(std::num::NonZeroUsize::new(1).unwrap()));
    rt.register_native("time", factory.clone(), NativeFlags::default()).unwrap();
    rt.register_native("os", factory.clone(), NativeFlags { powerful: true, package: true }).unwrap();
    rt.register_native("os.path", factory, NativeFlags::default()).unwrap();
    mount(&rt, "game", &[("__init__.py", "")]);
    let top: Vec<(String, bool)> = rt.iter_modules(None).unwrap().into_iter().map(|m| (m.name, m.is_package)).collect();
    assert_eq!(top, [("time".to_owned(), false), ("game".to_owned(), true)], "os is powerful, so denied");
    rt.allow("os").unwrap();
    rt.allow("*").unwrap();
    let sub: Vec<String> = rt.iter_modules(Some("os")).unwrap().into_iter().map(|m| m.name).collect();
    assert_eq!(sub, ["path"]);
}

#[test]
fn directories_answer_resources_and_listing_as_pkgutil_does() {
    let dir = std::env::temp_dir().join(format!("importkit-sources-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    for (rel, text) in [
        ("app/__init__.py", ""),
        ("app/main.py", ""),
        ("app/config.toml", "x = 1"),
        ("app/sub/__init__.py", ""),
        ("app/plain/readme.txt", ""),
        ("app/not-a-name.py", ""),
        ("top.py", ""),
    ] {
        let p = dir.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    let (rt, _ex, _slot) = runtime();
    rt.enable_filesystem(true);
    rt.path_append(dir.to_str().unwrap()).unwrap();
    assert_eq!(rt.read_resource("app", "config.toml").unwrap(), b"x = 1");
    assert_eq!(
        rt.resources("app").unwrap(),
        ["__init__.py", "config.toml", "main.py", "not-a-name.py", "plain", "sub"]
    );
    let listed: Vec<(String, bool)> =
        rt.iter_modules(Some("app")).unwrap().into_iter().map(|m| (m.name, m.is_package)).collect();
    // As CPython's pkgutil lists a directory: plain/ has no init file; a name that is no identifier is listed.
    let want = [("main".to_owned(), false), ("not-a-name".to_owned(), false), ("sub".to_owned(), true)];
    assert_eq!(listed, want);
    let top: Vec<String> = rt.iter_modules(None).unwrap().into_iter().map(|m| m.name).collect();
    assert_eq!(top, ["app", "top"]);
    assert_eq!(rt.read_resource("app", "sub").unwrap_err().code(), ErrorCode::NotFound, "a directory is no file");
    // Confined elsewhere: nothing is read or listed outside the roots.
    let other = std::env::temp_dir().join(format!("importkit-sources-root-{}", std::process::id()));
    fs::create_dir_all(&other).unwrap();
    rt.confine(other.to_str().unwrap()).unwrap();
    assert!(rt.read_resource("app", "config.toml").is_err());
    let _ = fs::remove_dir_all(&dir);
    let _ = fs::remove_dir_all(&other);
}

/// A package is served by the one mount that found it: another mount whose tree has a package of the same
/// name (shadowed, never imported) must not answer for its resources.
#[test]
fn a_shadowed_mount_does_not_serve_the_resources_of_the_package_found() {
    let (rt, _ex, _slot) = runtime();
    mount(&rt, "", &[("game/__init__.py", ""), ("game/mine.txt", "first")]);
    mount(&rt, "game", &[("__init__.py", ""), ("theirs.txt", "second")]);
    let spec = rt.find_spec("game", None).unwrap();
    assert_eq!(rt.meta_path()[0].1, "memory:/", "the root mount is asked first: {:?}", rt.meta_path());
    assert_eq!(rt.read_resource("game", "mine.txt").unwrap(), b"first");
    assert_eq!(rt.resources("game").unwrap(), ["__init__.py", "mine.txt"], "{spec:?}");
    let shadowed = rt.read_resource("game", "theirs.txt");
    assert!(shadowed.is_err(), "read from the shadowed mount: {:?}", shadowed.map(String::from_utf8));
}

/// `importlib.invalidate_caches()` asks the finders in meta-path order.
#[test]
fn invalidate_asks_host_finders_in_meta_path_order() {
    struct Named(&'static str, Arc<std::sync::Mutex<Vec<&'static str>>>);
    impl importkit::HostFinder for Named {
        fn name(&self) -> &str {
            self.0
        }
        fn find_spec(&self, _: &str, _: Option<&[&str]>) -> Result<Option<importkit::HostFound>, HostError> {
            Ok(None)
        }
        fn invalidate(&self) {
            self.1.lock().unwrap().push(self.0);
        }
    }
    let (rt, _ex, _slot) = runtime();
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    rt.add_finder(Arc::new(Named("first", order.clone())), usize::MAX).unwrap();
    rt.add_finder(Arc::new(Named("second", order.clone())), usize::MAX).unwrap();
    let places: Vec<String> = rt.meta_path().into_iter().map(|(_, p)| p).collect();
    assert_eq!(places, ["host:first", "host:second"]);
    rt.invalidate();
    assert_eq!(*order.lock().unwrap(), ["first", "second"]);
}

/// A host finder that opts in answers resources and listing for the packages it found; one that does not
/// answers none, and the runtime says no source lists them.
#[test]
fn host_finders_that_opt_in_answer_resources_and_listing() {
    struct Shelf;
    impl importkit::HostFinder for Shelf {
        fn name(&self) -> &str {
            "shelf"
        }
        fn find_spec(&self, name: &str, _: Option<&[&str]>) -> Result<Option<importkit::HostFound>, HostError> {
            Ok((name == "books").then(|| importkit::HostFound::new("host:books", ModuleKind::Source, true)))
        }
        fn read_resource(&self, package: &str, resource: &str) -> Result<Option<Vec<u8>>, HostError> {
            match (package, resource) {
                ("books", "covers/red.txt") => Ok(Some(b"RED".to_vec())),
                ("books", "torn.txt") => Err(HostError::new("the page is torn")),
                _ => Ok(None),
            }
        }
        fn resources(&self, _: &str) -> Result<Option<Vec<String>>, HostError> {
            Ok(Some(vec!["torn.txt".into(), "covers".into()]))
        }
        fn iter_modules(&self, package: Option<&str>) -> Result<Vec<ModuleInfo>, HostError> {
            Ok(match package {
                None => vec![ModuleInfo { name: "books".into(), is_package: true }],
                Some(_) => vec![ModuleInfo { name: "novel".into(), is_package: false }],
            })
        }
    }
    struct Silent;
    impl importkit::HostFinder for Silent {
        fn name(&self) -> &str {
            "silent"
        }
        fn find_spec(&self, name: &str, _: Option<&[&str]>) -> Result<Option<importkit::HostFound>, HostError> {
            Ok((name == "quiet").then(|| importkit::HostFound::new("host:quiet", ModuleKind::Source, true)))
        }
    }
    let (rt, _ex, _slot) = runtime();
    rt.add_finder(Arc::new(Shelf), 0).unwrap();
    rt.add_finder(Arc::new(Silent), 1).unwrap();
    assert_eq!(rt.read_resource("books", "covers/red.txt").unwrap(), b"RED");
    assert_eq!(rt.read_resource("books", "blue.txt").unwrap_err().code(), ErrorCode::NotFound);
    let e = rt.read_resource("books", "torn.txt").unwrap_err();
    assert_eq!((e.code(), e.module()), (ErrorCode::Host, Some("books")));
    assert!(e.to_string().contains("the page is torn"), "{e}");
    assert_eq!(rt.resources("books").unwrap(), ["covers", "torn.txt"], "sorted");
    let names = |p| rt.iter_modules(p).unwrap().into_iter().map(|m| (m.name, m.is_package)).collect::<Vec<_>>();
    assert_eq!(names(Some("books")), [("novel".to_owned(), false)]);
    assert!(names(None).contains(&("books".to_owned(), true)));
    assert_eq!(rt.read_resource("quiet", "x").unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(rt.resources("quiet").unwrap_err().code(), ErrorCode::Unavailable);
    assert_eq!(names(Some("quiet")), []);
}

/// A host finder's resource callback that passes on a nested import's error: the error stays about the module
/// that import was about, not the package whose resource was asked for.
#[test]
fn a_passed_on_error_in_a_resource_callback_keeps_its_module() {
    struct Passing(importkit::Runtime);
    impl importkit::HostFinder for Passing {
        fn name(&self) -> &str {
            "passing"
        }
        fn find_spec(&self, name: &str, _: Option<&[&str]>) -> Result<Option<importkit::HostFound>, HostError> {
            Ok((name == "assets").then(|| importkit::HostFound::new("host:assets", ModuleKind::Source, true)))
        }
        fn read_resource(&self, _: &str, _: &str) -> Result<Option<Vec<u8>>, HostError> {
            let nested = self.0.import("codec_plugin", None).unwrap_err();
            Err(HostError::passing(nested))
        }
    }
    let (rt, _ex, _slot) = runtime();
    rt.add_finder(Arc::new(Passing(importkit::Runtime::default())), 0).unwrap();
    let e = rt.read_resource("assets", "image.png").unwrap_err();
    assert_eq!((e.code(), e.module()), (ErrorCode::NotFound, Some("codec_plugin")), "{e}");
}
