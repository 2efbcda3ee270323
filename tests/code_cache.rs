//! The code cache (docs/CODE_CACHE.md) through the Rust API: an executor that compiles (its code is
//! `CODE\n` and the source) is asked once per module and version of its source, never for a bundle entry
//! with code for the runtime's cache tag, again after the source changes; cache files are shared between
//! runtimes, and a corrupt, stale, foreign or unreadable one is ignored and replaced, never executed.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{RuntimeSlot, TestExecutor};
use importkit::{
    BundleBuilder, BundleModule, CodeCacheStats, CodeQuery, ErrorCode, Executor, HostError, HostFinder, HostFound,
    ModuleHandle, ModuleKind, ModuleSpec, MountFile, MountMode, Profile, Runtime, DEFAULT_CODE_CACHE_LIMIT,
};
use parking_lot::Mutex;

/// How a module was executed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ran {
    Code(Vec<u8>),
    Source,
    NoBytes,
}

/// The test executor with a compiler: `compile` gives `CODE\n<source>` (none for a source holding
/// `# no code`, a failure for one holding `# syntax error`); `exec_code` runs the source inside the code.
struct Compiler {
    inner: Arc<TestExecutor>,
    accepts: bool,
    compiles: Mutex<Vec<String>>,
    ran: Mutex<Vec<(String, Ran)>>,
}

impl Compiler {
    fn compiles_of(&self, name: &str) -> usize {
        self.compiles.lock().iter().filter(|n| *n == name).count()
    }

    fn last_run(&self, name: &str) -> Option<Ran> {
        self.ran.lock().iter().rev().find(|(n, _)| n == name).map(|(_, r)| r.clone())
    }
}

fn code_of(source: &str) -> Vec<u8> {
    [b"CODE\n", source.as_bytes()].concat()
}

impl Executor for Compiler {
    fn create(&self, spec: &ModuleSpec) -> Result<ModuleHandle, HostError> {
        self.inner.create(spec)
    }

    fn exec(&self, spec: &ModuleSpec, module: ModuleHandle, source: Option<&[u8]>) -> Result<(), HostError> {
        let ran = if source.is_some() { Ran::Source } else { Ran::NoBytes };
        self.ran.lock().push((spec.name().to_owned(), ran));
        self.inner.exec(spec, module, source)
    }

    fn accepts_code(&self) -> bool {
        self.accepts
    }

    fn compile(&self, spec: &ModuleSpec, source: &[u8]) -> Result<Option<Vec<u8>>, HostError> {
        self.compiles.lock().push(spec.name().to_owned());
        let text = String::from_utf8_lossy(source);
        if text.contains("# syntax error") {
            return Err(HostError::new("SyntaxError: invalid syntax").at(2, 5));
        }
        if text.contains("# no code") {
            return Ok(None);
        }
        Ok(Some(code_of(&text)))
    }

    fn exec_code(&self, spec: &ModuleSpec, module: ModuleHandle, code: &[u8]) -> Result<(), HostError> {
        self.ran.lock().push((spec.name().to_owned(), Ran::Code(code.to_vec())));
        let body = code.strip_prefix(b"CODE\n").ok_or_else(|| HostError::new("this is not code of mine"))?;
        self.inner.exec(spec, module, Some(body))
    }

    fn bind(&self, parent: ModuleHandle, name: &str, child: ModuleHandle) -> Result<(), HostError> {
        self.inner.bind(parent, name, child)
    }

    fn has_attr(&self, module: ModuleHandle, name: &str) -> bool {
        self.inner.has_attr(module, name)
    }

    fn all_names(&self, module: ModuleHandle) -> Result<Vec<String>, HostError> {
        self.inner.all_names(module)
    }

    fn release(&self, module: ModuleHandle) {
        self.inner.release(module)
    }
}

struct Host {
    rt: Runtime,
    ex: Arc<Compiler>,
    inner: Arc<TestExecutor>,
    _slot: Arc<RuntimeSlot>,
}

fn host_with(profile: Profile, accepts: bool) -> Host {
    let rt = Runtime::new(profile);
    let (inner, slot) = TestExecutor::install(&rt);
    let ex = Arc::new(Compiler {
        inner: Arc::clone(&inner),
        accepts,
        compiles: Mutex::new(Vec::new()),
        ran: Mutex::new(Vec::new()),
    });
    rt.set_executor(ex.clone());
    Host { rt, ex, inner, _slot: slot }
}

fn host() -> Host {
    host_with(Profile::python(), true)
}

fn mount(rt: &Runtime, point: &str, files: &[(&str, &str)], mode: MountMode) {
    let files = files.iter().map(|(p, s)| MountFile::new(*p, s.as_bytes())).collect();
    rt.mount(point, files, mode, None).unwrap();
}

fn game(rt: &Runtime, version: &str) {
    let core = format!("set version {version}");
    let files = [("__init__.py", "import .core"), ("core.py", core.as_str()), ("util.py", "set util yes")];
    mount(rt, "game", &files, MountMode::Replace);
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("importkit-codecache-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(fs::canonicalize(dir).unwrap())
    }

    fn s(&self) -> &str {
        self.0.to_str().unwrap()
    }

    /// The cache files in the directory (`*.ikc`), sorted.
    fn cache_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "ikc"))
            .collect();
        files.sort();
        files
    }

    /// The one cache file whose code holds `marker`.
    fn file_holding(&self, marker: &str) -> PathBuf {
        let found: Vec<PathBuf> = self
            .cache_files()
            .into_iter()
            .filter(|p| fs::read(p).unwrap().windows(marker.len()).any(|w| w == marker.as_bytes()))
            .collect();
        assert_eq!(found.len(), 1, "one cache file holds {marker}: {found:?}");
        found.into_iter().next().unwrap()
    }

    fn leftovers(&self) -> Vec<String> {
        fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn stats(h: &Host) -> CodeCacheStats {
    h.rt.code_cache_stats()
}

#[test]
fn compile_is_called_once_per_module_per_source_version() {
    let h = host();
    game(&h.rt, "1");
    let core = h.rt.import("game.core", None).unwrap();
    assert_eq!(h.inner.attr(core, "version").as_deref(), Some("1"));
    assert_eq!(h.ex.compiles_of("game"), 1);
    assert_eq!(h.ex.compiles_of("game.core"), 1);
    assert_eq!(h.ex.last_run("game.core"), Some(Ran::Code(code_of("set version 1"))));
    let s = stats(&h);
    assert_eq!((s.compiles, s.misses, s.hits_memory, s.entries), (2, 2, 0, 2));
    assert_eq!(s.bytes, (code_of("import .core").len() + code_of("set version 1").len()) as u64);
    assert_eq!(s.limit, DEFAULT_CODE_CACHE_LIMIT);

    // Imported again after a removal, reloaded with the same source: the code in memory, no compile.
    h.rt.remove_module("game.core").unwrap();
    h.rt.import("game.core", None).unwrap();
    h.rt.reload("game.core").unwrap();
    assert_eq!(h.ex.compiles_of("game.core"), 1);
    assert_eq!(stats(&h).hits_memory, 2);
    assert_eq!(h.ex.last_run("game.core"), Some(Ran::Code(code_of("set version 1"))));

    // A new version of the source: compiled again, once, and the stale code is never run.
    game(&h.rt, "2");
    let core = h.rt.reload("game.core").unwrap();
    assert_eq!(h.inner.attr(core, "version").as_deref(), Some("2"));
    assert_eq!(h.ex.compiles_of("game.core"), 2);
    assert_eq!(h.ex.last_run("game.core"), Some(Ran::Code(code_of("set version 2"))));
    h.rt.reload("game.core").unwrap();
    assert_eq!(h.ex.compiles_of("game.core"), 2);
    // Back to the first version: its code was replaced by the second's, so it is compiled again.
    game(&h.rt, "1");
    h.rt.reload("game.core").unwrap();
    assert_eq!(h.ex.compiles_of("game.core"), 3);
    let s = stats(&h);
    assert_eq!((s.compiles, s.hits_memory, s.entries, s.rejected), (4, 3, 2, 0));
    // Without a cache directory, nothing is written anywhere.
    assert_eq!((s.stores, s.store_failures, s.hits_directory), (0, 0, 0));
}

#[test]
fn two_modules_with_the_same_source_do_not_share_code() {
    // Code embeds where it came from (a code object's file name): each module is compiled for itself.
    let h = host();
    mount(&h.rt, "a", &[("__init__.py", "set x 1")], MountMode::New);
    mount(&h.rt, "b", &[("__init__.py", "set x 1")], MountMode::New);
    h.rt.import("a", None).unwrap();
    h.rt.import("b", None).unwrap();
    assert_eq!((h.ex.compiles_of("a"), h.ex.compiles_of("b")), (1, 1));
    assert_eq!(stats(&h).entries, 2);
}

fn bundle(code_311: bool) -> Vec<u8> {
    let mut b = BundleBuilder::new();
    let mut root = BundleModule::new("", "__init__.py", ModuleKind::Source, true).source("set root yes");
    let mut fast = BundleModule::new("fast", "fast.py", ModuleKind::Source, false).source("set fast source");
    if code_311 {
        // The bundle's code differs from what compile would give: which one ran shows where it came from.
        root = root.code("cpython-311", code_of("set root bundled"));
        fast = fast.code("cpython-311", code_of("set fast BUNDLED-CODE"));
    }
    b.add_module(root).unwrap();
    b.add_module(fast.code("cpython-312", code_of("set fast other-tag"))).unwrap();
    b.add_module(BundleModule::new("slow", "slow.py", ModuleKind::Source, false).source("set slow source")).unwrap();
    b.build().unwrap()
}

#[test]
fn compile_is_never_called_for_a_bundle_entry_with_code_for_the_runtimes_tag() {
    let h = host();
    h.rt.mount_bundle("app", bundle(true), MountMode::New).unwrap();
    let fast = h.rt.import("app.fast", None).unwrap();
    assert_eq!(h.inner.attr(fast, "fast").as_deref(), Some("BUNDLED-CODE"));
    assert_eq!(h.ex.compiles_of("app.fast"), 0);
    assert_eq!(h.ex.compiles_of("app"), 0);
    assert_eq!(h.ex.last_run("app.fast"), Some(Ran::Code(code_of("set fast BUNDLED-CODE"))));
    // A module with code for another tag only is compiled from its source.
    let slow = h.rt.import("app.slow", None).unwrap();
    assert_eq!(h.inner.attr(slow, "slow").as_deref(), Some("source"));
    assert_eq!(h.ex.compiles_of("app.slow"), 1);
    let s = stats(&h);
    assert_eq!((s.hits_source, s.compiles, s.misses, s.rejected), (2, 1, 1, 0));
    // The bundle's code is not copied into memory: the bundle holds it already.
    assert_eq!(s.entries, 1);
    h.rt.reload("app.fast").unwrap();
    assert_eq!((h.ex.compiles_of("app.fast"), stats(&h).hits_source), (0, 3));

    // A runtime of another interpreter (cpython-312) takes that tag's code, and compiles nothing for it.
    let p312 = Profile::python_for(Some("cpython-312"), &[".so"]).unwrap();
    let other = host_with(p312, true);
    other.rt.mount_bundle("app", bundle(true), MountMode::New).unwrap();
    let fast = other.rt.import("app.fast", None).unwrap();
    assert_eq!(other.inner.attr(fast, "fast").as_deref(), Some("other-tag"));
    assert_eq!(other.ex.compiles_of("app.fast"), 0);
    // Its root has no 312 code: compiled.
    assert_eq!(other.ex.compiles_of("app"), 1);
}

#[test]
fn a_bundle_code_entry_that_fails_its_check_is_ignored_and_the_source_compiled() {
    let mut bytes = bundle(true);
    let marker = b"BUNDLED-CODE";
    let at = bytes.windows(marker.len()).position(|w| w == marker).expect("the code is stored as it was given");
    bytes[at] ^= 0x20;
    let h = host();
    h.rt.mount_bundle("app", bytes, MountMode::New).unwrap();
    let fast = h.rt.import("app.fast", None).unwrap();
    // The corrupt code never ran: the module ran from code compiled from its (intact) source.
    assert_eq!(h.inner.attr(fast, "fast").as_deref(), Some("source"));
    assert_eq!(h.ex.compiles_of("app.fast"), 1);
    assert_eq!(stats(&h).rejected, 1);
}

#[test]
fn without_code_from_anywhere_a_bundled_module_runs_from_source_or_compiled_code() {
    let h = host();
    h.rt.mount_bundle("app", bundle(false), MountMode::New).unwrap();
    h.rt.import("app.fast", None).unwrap();
    assert_eq!(h.ex.compiles_of("app.fast"), 1);
    assert_eq!(stats(&h).hits_source, 0);
}

#[test]
fn get_code_gives_what_an_import_would_execute_and_executes_nothing() {
    let h = host();
    h.rt.mount_bundle("app", bundle(true), MountMode::New).unwrap();
    // A bundle's code for the tag, as it is: a hit of the source, nothing compiled, run or imported.
    let got = h.rt.get_code("app.fast", CodeQuery::default()).unwrap();
    assert_eq!((got.is_code, got.bytes), (true, Some(code_of("set fast BUNDLED-CODE"))));
    assert_eq!(got.spec.origin(), "bundle:/app/fast.py");
    assert_eq!(stats(&h).hits_source, 1);
    assert_eq!((h.ex.compiles_of("app"), h.ex.last_run("app.fast")), (0, None));
    assert!(!h.rt.contains("app") && !h.rt.contains("app.fast"));
    // No code for the tag: compiled, and kept for the import that follows.
    let got = h.rt.get_code("app.slow", CodeQuery::default()).unwrap();
    assert_eq!((got.is_code, got.bytes), (true, Some(code_of("set slow source"))));
    h.rt.import("app.slow", None).unwrap();
    assert_eq!((h.ex.compiles_of("app.slow"), stats(&h).hits_memory), (1, 1));

    // A whole name: a mounted x/y.lua found without x being a package (Lua's require); the search path is
    // not asked for it.
    let mut lua = Profile::lua();
    lua.set_cache_tag(Some("luajit-test")).unwrap();
    let l = host_with(lua, true);
    mount(&l.rt, "loose", &[("x/y.lua", "set y 1")], MountMode::New);
    assert_eq!(l.rt.get_code("loose.x.y", CodeQuery::default()).unwrap_err().code(), ErrorCode::NotFound);
    let whole = CodeQuery { whole_name: true, files: false, quiet: false };
    let got = l.rt.get_code("loose.x.y", whole).unwrap();
    assert_eq!((got.is_code, got.bytes), (true, Some(code_of("set y 1"))));
    // Quiet: the same answers; a miss is an error without the places tried (no explaining pass).
    let quiet = CodeQuery { quiet: true, ..whole };
    assert_eq!(l.rt.get_code("loose.x.y", quiet).unwrap().spec.origin(), got.spec.origin());
    let told = l.rt.get_code("loose.x.nope", whole).unwrap_err();
    let silent = l.rt.get_code("loose.x.nope", quiet).unwrap_err();
    assert_eq!((told.code(), silent.code()), (ErrorCode::NotFound, ErrorCode::NotFound));
    assert!(!told.attempts().is_empty() && silent.attempts().is_empty(), "{told:?} / {silent:?}");
    // An executor that does not accept code gets the source.
    let plain = host_with(Profile::python(), false);
    game(&plain.rt, "2");
    let got = plain.rt.get_code("game.core", CodeQuery::default()).unwrap();
    assert_eq!((got.is_code, got.bytes), (false, Some(b"set version 2".to_vec())));
    assert_eq!(stats(&plain).misses, 0);
    // No executor at all (a host that runs modules itself): the source of a mounted module, no code even
    // where a bundle has some for the tag; an import still needs one.
    let bare = Runtime::new(Profile::python());
    game(&bare, "3");
    bare.mount_bundle("app", bundle(true), MountMode::New).unwrap();
    let got = bare.get_code("game.core", CodeQuery::default()).unwrap();
    assert_eq!((got.is_code, got.bytes), (false, Some(b"set version 3".to_vec())));
    let got = bare.get_code("app.fast", CodeQuery::default()).unwrap();
    assert_eq!((got.is_code, got.spec.origin()), (false, "bundle:/app/fast.py"));
    assert!(!got.bytes.unwrap_or_default().starts_with(b"CODE\n"));
    assert_eq!(bare.import("game.core", None).unwrap_err().code(), ErrorCode::Unavailable);
}

#[test]
fn cache_files_are_shared_between_runtimes_and_written_atomically() {
    let dir = Scratch::new();
    let first = host();
    first.rt.set_code_cache_dir(Some(dir.s())).unwrap();
    assert_eq!(first.rt.code_cache_dir().as_deref(), Some(dir.0.as_path()));
    game(&first.rt, "1");
    first.rt.import("game.core", None).unwrap();
    let s = stats(&first);
    assert_eq!((s.compiles, s.stores, s.store_failures), (2, 2, 0));
    assert_eq!(dir.cache_files().len(), 2);
    for f in dir.cache_files() {
        let name = f.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(name.ends_with(".cpython-311.ikc") && name.len() == 32 + ".cpython-311.ikc".len(), "{name}");
    }
    assert!(dir.leftovers().is_empty(), "temporary files left: {:?}", dir.leftovers());

    // Another runtime (another process, as far as the cache knows) compiles nothing.
    let second = host();
    second.rt.set_code_cache_dir(Some(dir.s())).unwrap();
    game(&second.rt, "1");
    let core = second.rt.import("game.core", None).unwrap();
    assert_eq!(second.inner.attr(core, "version").as_deref(), Some("1"));
    assert!(second.ex.compiles.lock().is_empty());
    let s = stats(&second);
    assert_eq!((s.hits_directory, s.misses, s.compiles, s.entries), (2, 0, 0, 2));
    // Now in its memory: the directory is not read again.
    second.rt.reload("game.core").unwrap();
    assert_eq!((stats(&second).hits_directory, stats(&second).hits_memory), (2, 1));

    // A changed source: the file is stale, rejected, compiled again and replaced in place.
    let third = host();
    third.rt.set_code_cache_dir(Some(dir.s())).unwrap();
    game(&third.rt, "2");
    let core = third.rt.import("game.core", None).unwrap();
    assert_eq!(third.inner.attr(core, "version").as_deref(), Some("2"));
    assert_eq!(third.ex.compiles_of("game.core"), 1);
    assert_eq!(third.ex.compiles_of("game"), 0);
    let s = stats(&third);
    assert_eq!((s.hits_directory, s.rejected, s.compiles, s.stores), (1, 1, 1, 1));
    assert_eq!(dir.cache_files().len(), 2, "the stale file was replaced, not added to");
    dir.file_holding("set version 2");
}

/// A runtime over the cache directory with the game at version 1, after importing `game.core`.
fn import_core_with(dir: &Scratch) -> Host {
    let h = host();
    h.rt.set_code_cache_dir(Some(dir.s())).unwrap();
    game(&h.rt, "1");
    h.rt.import("game.core", None).unwrap();
    h
}

#[test]
fn a_corrupted_cache_file_is_ignored_and_replaced() {
    let dir = Scratch::new();
    drop(import_core_with(&dir));
    let file = dir.file_holding("set version 1");
    let good = fs::read(&file).unwrap();
    let corruptions: Vec<(&str, Vec<u8>)> = vec![
        ("a flipped code byte", {
            let mut b = good.clone();
            let n = b.len();
            b[n - 3] ^= 0x01;
            b
        }),
        ("a flipped header byte", {
            let mut b = good.clone();
            b[50] ^= 0x80;
            b
        }),
        ("truncated", good[..good.len() - 4].to_vec()),
        ("cut inside the header", good[..40].to_vec()),
        ("empty", Vec::new()),
        (
            "garbage",
            b"not a cache file at all, but long enough to hold a header of ninety-six bytes..........".to_vec(),
        ),
        ("bytes after the code", [good.as_slice(), b"!"].concat()),
    ];
    for (what, bytes) in corruptions {
        fs::write(&file, &bytes).unwrap();
        let h = import_core_with(&dir);
        // The corrupt entry never ran: the module ran the code compiled from its source now.
        assert_eq!(h.ex.last_run("game.core"), Some(Ran::Code(code_of("set version 1"))), "{what}");
        assert_eq!(h.ex.compiles_of("game.core"), 1, "{what}: compiled again");
        let s = stats(&h);
        assert_eq!((s.rejected, s.hits_directory, s.stores), (1, 1, 1), "{what}");
        assert_eq!(fs::read(&file).unwrap(), good, "{what}: the file is replaced by a good one");
        // And the replacement is trusted by the next runtime.
        let next = import_core_with(&dir);
        assert!(next.ex.compiles.lock().is_empty(), "{what}");
        assert_eq!(stats(&next).hits_directory, 2, "{what}");
    }
}

#[test]
fn another_modules_file_or_a_directory_in_a_files_place_is_never_used() {
    let dir = Scratch::new();
    drop(import_core_with(&dir));
    let core = dir.file_holding("set version 1");
    let init = dir.file_holding("import .core");
    // The package's file copied over the module's: valid bytes, but another module's key.
    fs::copy(&init, &core).unwrap();
    let h = import_core_with(&dir);
    assert_eq!(h.ex.last_run("game.core"), Some(Ran::Code(code_of("set version 1"))));
    assert_eq!((stats(&h).rejected, h.ex.compiles_of("game.core")), (1, 1));
    drop(h);
    // A directory where the file goes: not read (rejected) and not replaceable (the write fails, counted).
    fs::remove_file(&core).unwrap();
    fs::create_dir(&core).unwrap();
    let h = import_core_with(&dir);
    let s = stats(&h);
    assert_eq!((s.rejected, s.stores, s.store_failures), (1, 0, 1));
    assert_eq!(h.ex.last_run("game.core"), Some(Ran::Code(code_of("set version 1"))));
    assert!(dir.leftovers().is_empty(), "a failed write leaves nothing behind: {:?}", dir.leftovers());
}

#[test]
fn a_compile_failure_fails_the_import_naming_the_module_and_compiling() {
    let h = host();
    mount(&h.rt, "bad", &[("__init__.py", ""), ("mod.py", "set x 1\n# syntax error")], MountMode::New);
    let e = h.rt.import("bad.mod", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Exec);
    assert_eq!(e.module(), Some("bad.mod"));
    assert!(e.message().contains("compiling module 'bad.mod' failed"), "{}", e.message());
    assert!(e.message().contains("SyntaxError: invalid syntax"), "{}", e.message());
    assert!(!h.rt.contains("bad.mod"), "a failed module leaves the table");
    assert!(h.ex.last_run("bad.mod").is_none(), "nothing was executed");
    // Nothing was kept: importing again compiles again (and fails again).
    assert!(h.rt.import("bad.mod", None).is_err());
    assert_eq!(h.ex.compiles_of("bad.mod"), 2);
    assert_eq!(stats(&h).compiles, 1, "only the package's compile gave code");
}

#[test]
fn a_module_compile_gives_no_code_for_runs_from_source() {
    let dir = Scratch::new();
    let h = host();
    h.rt.set_code_cache_dir(Some(dir.s())).unwrap();
    mount(&h.rt, "plain", &[("__init__.py", "set x 1\n# no code")], MountMode::New);
    let m = h.rt.import("plain", None).unwrap();
    assert_eq!(h.inner.attr(m, "x").as_deref(), Some("1"));
    assert_eq!(h.ex.last_run("plain"), Some(Ran::Source));
    let s = stats(&h);
    assert_eq!((s.misses, s.compiles, s.entries, s.stores), (1, 0, 0, 0));
    assert!(dir.cache_files().is_empty());
}

#[test]
fn an_executor_that_takes_no_code_sees_nothing_of_the_cache() {
    let dir = Scratch::new();
    let h = host_with(Profile::python(), false);
    h.rt.set_code_cache_dir(Some(dir.s())).unwrap();
    game(&h.rt, "1");
    h.rt.mount_bundle("app", bundle(true), MountMode::New).unwrap();
    h.rt.import("game.core", None).unwrap();
    let fast = h.rt.import("app.fast", None).unwrap();
    assert_eq!(h.inner.attr(fast, "fast").as_deref(), Some("source"));
    assert!(h.ex.compiles.lock().is_empty());
    assert!(h.ex.ran.lock().iter().all(|(_, r)| *r == Ran::Source));
    assert_eq!(stats(&h), CodeCacheStats { limit: DEFAULT_CODE_CACHE_LIMIT, ..Default::default() });
    assert!(dir.cache_files().is_empty());
}

#[test]
fn memory_is_bounded_in_bytes_least_recently_used_first_out() {
    let h = host();
    let big = |c: char| format!("set v {}", c.to_string().repeat(100));
    let (a, b, c) = (big('a'), big('b'), big('c'));
    // The package gives no code, so only the three modules take room.
    let files = [("__init__.py", "# no code"), ("a.py", &a), ("b.py", &b), ("c.py", &c)];
    mount(&h.rt, "m", &files, MountMode::New);
    let each = code_of(&a).len() as u64;
    h.rt.import("m", None).unwrap();
    h.rt.set_code_cache_limit(2 * each);
    h.rt.import("m.a", None).unwrap();
    h.rt.import("m.b", None).unwrap();
    // a is used again: b is now the least recently used.
    h.rt.reload("m.a").unwrap();
    h.rt.import("m.c", None).unwrap();
    let s = stats(&h);
    assert!(s.bytes <= s.limit, "{s:?}");
    assert_eq!((s.entries, s.evictions, s.bytes), (2, 1, 2 * each), "{s:?}");
    h.rt.reload("m.a").unwrap();
    h.rt.reload("m.b").unwrap();
    assert_eq!((h.ex.compiles_of("m.a"), h.ex.compiles_of("m.b")), (1, 2), "b was dropped, a was kept");
    // Bound 0: nothing is kept; every import compiles.
    h.rt.set_code_cache_limit(0);
    let s = stats(&h);
    assert_eq!((s.entries, s.bytes, s.limit), (0, 0, 0));
    h.rt.reload("m.c").unwrap();
    h.rt.reload("m.c").unwrap();
    assert_eq!(h.ex.compiles_of("m.c"), 3);
    // Code larger than the bound is used, not kept.
    h.rt.set_code_cache_limit(10);
    h.rt.reload("m.c").unwrap();
    assert_eq!(h.ex.last_run("m.c"), Some(Ran::Code(code_of(&c))));
    assert_eq!(stats(&h).entries, 0);
}

#[test]
fn a_new_executor_forgets_the_code_in_memory() {
    let h = host();
    game(&h.rt, "1");
    h.rt.import("game.core", None).unwrap();
    assert_eq!(stats(&h).entries, 2);
    let ex = Arc::new(Compiler {
        inner: Arc::clone(&h.inner),
        accepts: true,
        compiles: Mutex::new(Vec::new()),
        ran: Mutex::new(Vec::new()),
    });
    h.rt.set_executor(ex.clone());
    assert_eq!(stats(&h).entries, 0);
    h.rt.reload("game.core").unwrap();
    assert_eq!(ex.compiles_of("game.core"), 1);
}

#[test]
fn a_bad_cache_directory_is_refused_when_it_is_set() {
    let dir = Scratch::new();
    let h = host();
    let missing = format!("{}/nope", dir.s());
    let e = h.rt.set_code_cache_dir(Some(&missing)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    assert!(e.message().contains("code cache directory") && e.message().contains("does not exist"), "{e}");
    let file = dir.0.join("file");
    fs::write(&file, "x").unwrap();
    let e = h.rt.set_code_cache_dir(Some(file.to_str().unwrap())).unwrap_err();
    assert!(e.message().contains("not a directory"), "{e}");
    let e = h.rt.set_code_cache_dir(Some(&format!("{}/file/below", dir.s()))).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument, "{e}");
    assert_eq!(h.rt.set_code_cache_dir(Some("")).unwrap_err().code(), ErrorCode::InvalidArgument);
    assert_eq!(h.rt.set_code_cache_dir(Some("a\0b")).unwrap_err().code(), ErrorCode::InvalidArgument);
    let long = "x".repeat(importkit::limits::MAX_PATH_LEN + 1);
    assert_eq!(h.rt.set_code_cache_dir(Some(&long)).unwrap_err().code(), ErrorCode::InvalidArgument);
    assert_eq!(h.rt.code_cache_dir(), None, "a refused directory changes nothing");
    // A profile without a cache tag cannot say what code in a directory is for.
    let lua = Runtime::new(Profile::lua());
    let e = lua.set_code_cache_dir(Some(dir.s())).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unavailable);
    assert!(e.message().contains("cache tag"), "{e}");
    // Set, then off again.
    h.rt.set_code_cache_dir(Some(dir.s())).unwrap();
    h.rt.set_code_cache_dir(None).unwrap();
    assert_eq!(h.rt.code_cache_dir(), None);
    game(&h.rt, "1");
    h.rt.import("game", None).unwrap();
    assert!(dir.cache_files().is_empty());
}

#[test]
fn a_relative_cache_directory_is_resolved_when_it_is_set() {
    let dir = Scratch::new();
    let h = host();
    let cwd = std::env::current_dir().unwrap();
    let relative = pathdiff(&dir.0, &cwd);
    h.rt.set_code_cache_dir(Some(&relative)).unwrap();
    assert_eq!(h.rt.code_cache_dir().as_deref(), Some(dir.0.as_path()));
}

/// `path` relative to `base` (both absolute), with `..` as needed.
fn pathdiff(path: &Path, base: &Path) -> String {
    let (p, b): (Vec<_>, Vec<_>) = (path.components().collect(), base.components().collect());
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out: Vec<String> = vec!["..".into(); b.len() - common];
    out.extend(p[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    out.join("/")
}

#[test]
fn a_lua_runtime_without_a_tag_keeps_code_in_memory_only() {
    let h = host_with(Profile::lua(), true);
    mount(&h.rt, "game", &[("init.lua", "set x 1")], MountMode::New);
    h.rt.import("game", None).unwrap();
    h.rt.reload("game").unwrap();
    assert_eq!(h.ex.compiles_of("game"), 1);
    assert_eq!(stats(&h).hits_memory, 1);
}

#[test]
fn directory_files_of_the_search_path_are_read_compiled_and_cached() {
    let src = Scratch::new();
    let cache = Scratch::new();
    fs::write(src.0.join("tool.py"), "set tool 1").unwrap();
    fs::create_dir(src.0.join("pkg")).unwrap();
    fs::write(src.0.join("pkg/__init__.py"), "set pkg 1").unwrap();
    let run = |accepts: bool| {
        let h = host_with(Profile::python(), accepts);
        h.rt.enable_filesystem(true);
        h.rt.set_recheck(Duration::ZERO);
        h.rt.set_search_path(&[src.s()]).unwrap();
        h.rt.set_code_cache_dir(Some(cache.s())).unwrap();
        let tool = h.rt.import("tool", None).unwrap();
        h.rt.import("pkg", None).unwrap();
        let seen = h.inner.attr(tool, "tool");
        (h, seen)
    };
    let (first, seen) = run(true);
    assert_eq!(seen.as_deref(), Some("1"));
    assert_eq!(first.ex.last_run("tool"), Some(Ran::Code(code_of("set tool 1"))));
    assert_eq!((stats(&first).compiles, stats(&first).stores), (2, 2));
    let (second, _) = run(true);
    assert!(second.ex.compiles.lock().is_empty());
    assert_eq!(stats(&second).hits_directory, 2);
    // The file changed: compiled again, for both the running runtime (reload) and a new one.
    fs::write(src.0.join("tool.py"), "set tool 2").unwrap();
    let tool = second.rt.reload("tool").unwrap();
    assert_eq!(second.inner.attr(tool, "tool").as_deref(), Some("2"));
    assert_eq!(second.ex.compiles_of("tool"), 1);
    let (third, seen) = run(true);
    assert_eq!(seen.as_deref(), Some("2"));
    assert!(third.ex.compiles.lock().is_empty(), "the second runtime's code was stored");
    // An executor that takes no code reads the files itself, as before: no bytes from importkit.
    let (plain, _) = run(false);
    assert_eq!(plain.ex.last_run("tool"), Some(Ran::NoBytes));
    // A file that vanished between find and execution fails the import, naming the module.
    let h = host();
    h.rt.enable_filesystem(true);
    h.rt.set_search_path(&[src.s()]).unwrap();
    let spec = h.rt.find_spec("tool", None).unwrap();
    assert!(spec.file().is_some());
    fs::remove_file(src.0.join("tool.py")).unwrap();
    h.rt.set_recheck(Duration::from_secs(3600));
    let e = h.rt.import("tool", None).unwrap_err();
    assert_eq!((e.code(), e.module()), (ErrorCode::Import, Some("tool")));
    assert!(e.message().contains("cannot read") && e.message().contains("tool.py"), "{e}");
    assert!(!h.rt.contains("tool"));
}

/// A host finder that gives its modules' source and, for `fast`, code for `cpython-311`.
struct Packed;

impl HostFinder for Packed {
    fn name(&self) -> &str {
        "packed"
    }

    fn find_spec(&self, name: &str, _: Option<&[&str]>) -> Result<Option<HostFound>, HostError> {
        let mut found = HostFound::new("", ModuleKind::Source, false);
        match name {
            "fast" => {
                found.source = Some(b"set fast source".to_vec());
                found.code = Some(("cpython-311".into(), code_of("set fast packed-code")));
            }
            "other" => {
                found.source = Some(b"set other source".to_vec());
                found.code = Some(("cpython-399".into(), code_of("set other wrong-tag")));
            }
            "codeonly" => found.code = Some(("cpython-311".into(), code_of("set x 1"))),
            _ => return Ok(None),
        }
        Ok(Some(found))
    }
}

#[test]
fn a_host_finder_may_give_code_for_a_tag_with_the_source() {
    let h = host();
    h.rt.add_finder(Arc::new(Packed), 0).unwrap();
    let fast = h.rt.import("fast", None).unwrap();
    assert_eq!(h.inner.attr(fast, "fast").as_deref(), Some("packed-code"));
    assert_eq!(h.ex.compiles_of("fast"), 0);
    let other = h.rt.import("other", None).unwrap();
    assert_eq!(h.inner.attr(other, "other").as_deref(), Some("source"));
    assert_eq!(h.ex.compiles_of("other"), 1);
    assert_eq!(stats(&h).hits_source, 1);
    let e = h.rt.import("codeonly", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Host);
    assert!(e.message().contains("without its source"), "{e}");
}

#[test]
fn imports_of_different_modules_share_the_cache_from_many_threads() {
    let dir = Scratch::new();
    let h = host();
    h.rt.set_code_cache_dir(Some(dir.s())).unwrap();
    let files: Vec<(String, String)> = (0..16).map(|i| (format!("m{i}.py"), format!("set n {i}"))).collect();
    let mut tree: Vec<MountFile> = files.iter().map(|(p, s)| MountFile::new(p.as_str(), s.as_bytes())).collect();
    tree.push(MountFile::new("__init__.py", ""));
    h.rt.mount("many", tree, MountMode::New, None).unwrap();
    h.rt.import("many", None).unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let rt = h.rt.clone();
            s.spawn(move || {
                for round in 0..3 {
                    for i in 0..16 {
                        let name = format!("many.m{}", (i + t * 4) % 16);
                        if round > 0 && t % 2 == 0 {
                            let _ = rt.reload(&name);
                        } else {
                            rt.import(&name, None).unwrap();
                        }
                    }
                }
            });
        }
    });
    for i in 0..16 {
        assert_eq!(h.ex.compiles_of(&format!("many.m{i}")), 1, "m{i}");
    }
    let s = stats(&h);
    // The 16 modules and their package (an empty source compiles too).
    assert_eq!((s.compiles, s.stores, s.entries, s.store_failures), (17, 17, 17, 0));
    assert_eq!(dir.cache_files().len(), 17);
}
