//! Bundles (`.ikb`) and the code cache against hostile inputs and misuse: bundles written byte by byte to
//! crowd the index, nest paths deep, put a module's name and path apart or claim code that is not theirs;
//! a bundle on the search path cut short while in use; the command-line tool on FIFOs, links that multiply
//! a tree, names that hold terminal escapes, and a bundle appended to a bundle; the code cache when the
//! executor changes under a compile. Each test says what it does and what must hold. Bounded work is
//! shown by behaviour (a probe bound, a refusal), not by timing; the tool's runs have a hang guard.

mod common;

use std::time::{Duration, Instant};

use common::scratch::Scratch;
use importkit::bundle::format::{fnv1a, header_crc, Bundle};
use importkit::{BundleBuilder, BundleModule, ModuleKind, MountFile, MountMode, Profile, Runtime};

// ----- a raw writer of bundles, so that tests can say exactly which bytes a hostile bundle holds -----

const HEADER_LEN: usize = 40;
const TABLES_START: usize = HEADER_LEN + 8 * 24;

fn align8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

/// The sections of a bundle, written field by field (blob offsets relative to the data section: fixed up
/// when assembled).
#[derive(Default)]
struct Raw {
    strings: Vec<u8>,
    modules: Vec<u8>,
    index: Vec<u8>,
    code: Vec<u8>,
    files: Vec<u8>,
    metadata: Vec<u8>,
    blobs: Vec<u8>,
    data: Vec<u8>,
}

fn put32(out: &mut Vec<u8>, vals: &[u32]) {
    for v in vals {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

impl Raw {
    fn string(&mut self, s: &str) -> (u32, u32) {
        let at = self.strings.len() as u32;
        self.strings.extend_from_slice(s.as_bytes());
        self.strings.push(0);
        (at, s.len() as u32)
    }

    fn blob(&mut self, bytes: &[u8]) -> u32 {
        let i = (self.blobs.len() / 24) as u32;
        self.blobs.extend_from_slice(&(self.data.len() as u64).to_le_bytes());
        put32(&mut self.blobs, &[bytes.len() as u32, bytes.len() as u32, crc32fast::hash(bytes)]);
        self.blobs.extend_from_slice(&[0, 0, 0, 0]);
        self.data.extend_from_slice(bytes);
        i
    }

    /// A module record (kind 0 source, 3 namespace).
    fn module(&mut self, name: (u32, u32), path: (u32, u32), kind: u8, package: bool, blob: u32, code: (u32, u32)) {
        put32(&mut self.modules, &[name.0, name.1, path.0, path.1]);
        self.modules.extend_from_slice(&[kind, package as u8, 0, 0]);
        put32(&mut self.modules, &[blob, code.0, code.1]);
    }

    fn file(&mut self, path: (u32, u32), blob: u32) {
        put32(&mut self.files, &[path.0, path.1, blob, 0]);
    }

    fn code_entry(&mut self, tag: (u32, u32), blob: u32) {
        put32(&mut self.code, &[tag.0, tag.1, blob, 0]);
    }

    /// An index of `slots` slots over `names` (in record order), linear probing as the builder does.
    fn index_of(&mut self, slots: usize, names: &[String]) {
        let mut out = vec![0u8; 8 + slots * 8];
        out[..4].copy_from_slice(&(slots as u32).to_le_bytes());
        let mask = slots - 1;
        for (i, name) in names.iter().enumerate() {
            let h = fnv1a(name.as_bytes());
            let mut at = h as usize & mask;
            while out[8 + at * 8..][..4] != [0; 4] {
                at = (at + 1) & mask;
            }
            out[8 + at * 8..][..4].copy_from_slice(&(i as u32 + 1).to_le_bytes());
            out[8 + at * 8 + 4..][..4].copy_from_slice(&((h >> 32) as u32).to_le_bytes());
        }
        self.index = out;
    }

    fn assemble(&self) -> Vec<u8> {
        let sections: [&[u8]; 8] =
            [&self.strings, &self.modules, &self.index, &self.code, &self.files, &self.metadata, &self.blobs, &[]];
        let mut spans = [(0usize, 0usize); 8];
        let mut at = TABLES_START;
        for k in 0..7 {
            spans[k] = (at, sections[k].len());
            at = align8(at + sections[k].len());
        }
        let data_start = at;
        spans[7] = (data_start, self.data.len());
        let total = data_start + self.data.len();
        let mut out = vec![0u8; total];
        out[..8].copy_from_slice(b"IKBUNDL\0");
        out[8..10].copy_from_slice(&1u16.to_le_bytes());
        out[12..16].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
        out[16..20].copy_from_slice(&8u32.to_le_bytes());
        out[32..40].copy_from_slice(&(total as u64).to_le_bytes());
        for (k, (offset, len)) in spans.iter().enumerate() {
            let e = HEADER_LEN + k * 24;
            out[e..e + 4].copy_from_slice(&(k as u32 + 1).to_le_bytes());
            out[e + 8..e + 16].copy_from_slice(&(*offset as u64).to_le_bytes());
            out[e + 16..e + 24].copy_from_slice(&(*len as u64).to_le_bytes());
            if k < 7 {
                out[*offset..*offset + *len].copy_from_slice(sections[k]);
            }
        }
        let records = spans[6].0;
        for i in 0..self.blobs.len() / 24 {
            let r = records + i * 24;
            let off = u64::from_le_bytes(out[r..r + 8].try_into().unwrap()) + data_start as u64;
            out[r..r + 8].copy_from_slice(&off.to_le_bytes());
        }
        out[data_start..].copy_from_slice(&self.data);
        let tables = crc32fast::hash(&out[TABLES_START..data_start]);
        out[24..28].copy_from_slice(&tables.to_le_bytes());
        let crc = header_crc(&out[..TABLES_START]);
        out[20..24].copy_from_slice(&crc.to_le_bytes());
        out
    }
}

/// A bundle of the top-level source modules `names` (each with its own file `<name>.py`), indexed with
/// `slots` slots, linear probing as the builder does.
fn flat_bundle(mut names: Vec<String>, slots: usize) -> Vec<u8> {
    names.sort();
    let mut raw = Raw::default();
    // Files sorted by path: "m<i>.py" sorts as the names do.
    let mut records = Vec::new();
    for name in &names {
        let path = raw.string(&format!("{name}.py"));
        let blob = raw.blob(b"");
        records.push((path, blob));
    }
    // Equal bytes are stored once by the builder; a hostile writer need not, but one blob each is fine too.
    for (path, blob) in &records {
        raw.file(*path, *blob);
    }
    for (name, (path, blob)) in names.iter().zip(&records) {
        let nm = raw.string(name);
        raw.module(nm, *path, 0, false, *blob, (0, 0));
    }
    raw.index_of(slots, &names);
    raw.assemble()
}

/// Names chosen so that FNV-1a puts them all near one slot (FNV-1a is specified, so a bundle's writer can
/// choose them): the builder refuses them, naming the crowding, and an index of them written by hand makes
/// the modules past the probe bound (64 slots) unreachable, which `verify` reports; a lookup of a missing
/// name reads at most 64 slots and says "not there".
#[test]
fn names_that_crowd_the_index_are_refused_and_probes_stay_bounded() {
    let n = (1 << 14) - 1;
    let mask = (1u64 << 14) - 1;
    let chosen: Vec<String> =
        (0u64..).map(|k| format!("m{k}")).filter(|s| fnv1a(s.as_bytes()) & mask < 64).take(n).collect();
    let mut b = BundleBuilder::new();
    for name in &chosen {
        b.add_module(BundleModule::new(name, &format!("{name}.py"), ModuleKind::Source, false).source(b"".to_vec()))
            .unwrap();
    }
    let e = b.build().unwrap_err();
    assert!(e.message().contains("crowd the index"), "{e}");
    // The same names in a legal-looking index of 2^14 slots, written by hand.
    let crowded = Bundle::open("crowded", flat_bundle(chosen.clone(), 1 << 14)).unwrap();
    let e = crowded.verify().unwrap_err();
    assert!(e.message().contains("is not found through the index"), "{e}");
    // Modules near their home slot are found; one far from it is not (the probe stops at 64 slots).
    let mut sorted = chosen.clone();
    sorted.sort();
    let found = sorted.iter().filter(|name| crowded.find(name).unwrap().is_some()).count();
    assert!(found > 0 && found <= 64 + 64, "found {found} of {n}");
    let missing = (0u64..).map(|k| format!("x{k}")).find(|s| fnv1a(s.as_bytes()) & mask == 0).unwrap();
    assert!(crowded.find(&missing).unwrap().is_none());
    // Names the builder accepts: every one found, verify clean.
    let plain: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
    let mut b = BundleBuilder::new();
    for name in &plain {
        b.add_module(BundleModule::new(name, &format!("{name}.py"), ModuleKind::Source, false).source(b"".to_vec()))
            .unwrap();
    }
    let built = Bundle::open("built", b.build().unwrap()).unwrap();
    built.verify().unwrap();
    assert!(plain.iter().all(|name| built.find(name).unwrap().is_some()));
}

/// Paths 2,000 segments deep (under the path limit) build and verify (the check that no file lies inside
/// another hashes each path's prefixes once, whatever the depth), and a file inside another at that depth
/// is refused by the builder, naming both.
#[test]
fn deep_paths_verify_and_a_file_inside_another_is_found_at_any_depth() {
    let deep = "a/".repeat(2000);
    let mut b = BundleBuilder::new();
    for i in 0..16 {
        b.add_file(&format!("{deep}f{i}"), b"x".to_vec()).unwrap();
    }
    let bundle = Bundle::open("deep", b.build().unwrap()).unwrap();
    bundle.verify().unwrap();
    b.add_file(&format!("{deep}f3/inner"), b"y".to_vec()).unwrap();
    let e = b.build().unwrap_err();
    assert!(e.message().contains("lies inside file"), "{e}");
}

/// A module's path must be where its name puts it: the builder refuses `app` at `vendor/evil/__init__.py`,
/// and a record written so by hand is refused when read (by a mount's find, and by `verify`), so a bundle
/// never serves one module's name from another's place, nor its resources from another directory.
#[test]
fn names_and_paths_that_disagree_are_refused() {
    let mut b = BundleBuilder::new();
    let e = b
        .add_module(BundleModule::new("app", "vendor/evil/__init__.py", ModuleKind::Source, true).source(b"".to_vec()))
        .unwrap_err();
    assert!(e.message().contains("not where its name puts it"), "{e}");
    let e = b.add_module(BundleModule::new("util", "other/x.py", ModuleKind::Source, false)).unwrap_err();
    assert!(e.message().contains("not where its name puts it"), "{e}");
    for (name, path, package) in [("a.b", "a/b.py", false), ("a", "a/__init__.py", true), ("", "__init__.py", true)] {
        assert!(importkit::bundle::format::path_fits(name, path, ModuleKind::Source, package), "{name} {path}");
    }
    // Written by hand: module "app" whose file is "vendor/evil/__init__.py".
    let mut raw = Raw::default();
    let path = raw.string("vendor/evil/__init__.py");
    let blob = raw.blob(b"");
    raw.file(path, blob);
    let name = raw.string("app");
    raw.module(name, path, 0, true, blob, (0, 0));
    raw.index_of(4, &["app".to_owned()]);
    let bytes = raw.assemble();
    let bundle = Bundle::open("t", bytes.clone()).unwrap();
    assert!(bundle.verify().unwrap_err().message().contains("not where its name puts it"));
    let rt = Runtime::default();
    rt.mount_bundle("", bytes, MountMode::New).unwrap();
    let e = rt.find_spec("app", None).unwrap_err();
    assert!(e.message().contains("not where its name puts it"), "{e}");
}

/// A directory entry into a bundle whose segments are no module names (`site-packages`, `lib/python3.11`:
/// the layout of a bundled venv or standard library) serves the modules of its files, as the same directories
/// on disk do (and as zipimport serves an archive's directory).
#[test]
fn a_directory_entry_whose_segments_are_no_names_serves_its_files() {
    let s = Scratch::new("hostile-nonident");
    let files = [
        ("site-packages/bar.py", "set bar yes"),
        ("lib/python3.11/foo.py", "set foo yes"),
        ("lib/ok/baz.py", "set baz yes"),
    ];
    for (p, d) in files {
        s.write(&format!("tree/{p}"), d);
    }
    let tree: Vec<MountFile> = files.iter().map(|(p, d)| MountFile::new(*p, d.as_bytes())).collect();
    let bytes = BundleBuilder::from_tree(tree, &Profile::python()).unwrap().build().unwrap();
    let bundle = s.put("app.ikb", &bytes);

    let (rt, _ex, _slot) = common::runtime();
    rt.enable_filesystem(true);
    let entries = [format!("{bundle}/site-packages"), format!("{bundle}/lib/python3.11"), format!("{bundle}/lib/ok")];
    rt.set_search_path(&entries.iter().map(String::as_str).collect::<Vec<_>>()).unwrap();
    let from_bundle: Vec<bool> = ["bar", "foo", "baz"].iter().map(|m| rt.import(m, None).is_ok()).collect();

    let (rt2, _ex2, _slot2) = common::runtime();
    rt2.enable_filesystem(true);
    let dirs = [s.s("tree/site-packages"), s.s("tree/lib/python3.11"), s.s("tree/lib/ok")];
    rt2.set_search_path(&dirs.iter().map(String::as_str).collect::<Vec<_>>()).unwrap();
    let from_dirs: Vec<bool> = ["bar", "foo", "baz"].iter().map(|m| rt2.import(m, None).is_ok()).collect();

    eprintln!("bar, foo, baz imported: from the bundle {from_bundle:?}, from directories {from_dirs:?}");
    assert_eq!(from_bundle, from_dirs, "a directory entry into a bundle serves less than the same directory");
}

/// A bundle on the search path of a confined runtime (a tree the host does not trust) is read whole, not
/// mapped: cut short in place by another process while in use, it cannot kill the host (a mapped file cut
/// short faults on access, docs/SECURITY.md); the import after the cut succeeds from the copy or fails
/// cleanly. Run in a child process, so that a fault shows as its signal.
#[test]
fn a_confined_runtime_survives_a_search_path_bundle_cut_short_in_place() {
    use std::os::unix::process::ExitStatusExt;
    if std::env::var_os("REVIEW_SIGBUS_CHILD").is_some() {
        let s = Scratch::new("hostile-sigbus");
        let mut b = BundleBuilder::new();
        for name in ["a", "b"] {
            // Big enough that the bytes of `b` lie pages past the tables (which stay in the first page).
            let body = format!("set {name} yes\n{}", "# padding\n".repeat(100_000));
            b.add_module(BundleModule::new(name, &format!("{name}.py"), ModuleKind::Source, false).source(body))
                .unwrap();
        }
        let path = s.put("app.ikb", &b.build().unwrap());
        let (rt, _ex, _slot) = common::runtime();
        rt.enable_filesystem(true);
        rt.confine(&s.s("")).unwrap();
        rt.set_search_path(&[&path]).unwrap();
        rt.import("a", None).unwrap();
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(4096).unwrap();
        let r = rt.import("b", None);
        eprintln!("import b after the cut: {:?}", r.map(|_| ()));
        rt.invalidate();
        let r = rt.import("a2", None);
        eprintln!("an import after the cut and invalidate: {:?}", r.map(|_| ()));
        std::process::exit(0);
    }
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_confined_runtime_survives_a_search_path_bundle_cut_short_in_place", "--nocapture"])
        .env("REVIEW_SIGBUS_CHILD", "1")
        .status()
        .unwrap();
    assert_eq!(status.signal(), None, "the importing process died of signal {:?} (7 is SIGBUS)", status.signal());
    assert!(status.success());
}

// ----- the command-line tool -----

fn importkit_cli(args: &[&str], timeout: Duration) -> (Option<std::process::ExitStatus>, String, String) {
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_importkit"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    // Keep at most 1 MB of standard output (a runaway list writes gigabytes).
    let reader = std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match out.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) if kept.len() < 1 << 20 => kept.extend_from_slice(&buf[..n]),
                Ok(_) => {}
            }
        }
        kept
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
    (status, out, err_reader.join().unwrap())
}

/// A bundle of `modules` top-level modules that each claim the whole code table of `entries` entries (all
/// the same tag, all blob 0): every record is valid on its own (`module` checks `first + count <= entries`),
/// only `verify` sees that runs overlap.
fn overlapping_code_bundle(modules: usize, entries: u32) -> Vec<u8> {
    let mut raw = Raw::default();
    let tag = raw.string("t");
    let mut names: Vec<String> = (0..modules).map(|i| format!("m{i:05}")).collect();
    names.sort();
    let mut paths = Vec::new();
    for name in &names {
        paths.push(raw.string(&format!("{name}.py")));
    }
    let blob = raw.blob(b"x");
    for p in &paths {
        raw.file(*p, blob);
    }
    for (name, p) in names.iter().zip(&paths) {
        let nm = raw.string(name);
        raw.module(nm, *p, 0, false, blob, (0, entries));
    }
    for _ in 0..entries {
        raw.code_entry(tag, blob);
    }
    let mut slots = 4;
    while slots * 3 < modules * 4 || slots <= modules {
        slots *= 2;
    }
    raw.index_of(slots, &names);
    raw.assemble()
}

/// `importkit bundle list` of a bundle whose every module claims the whole code table (each record valid
/// on its own): refused in one line, exit status 1, before any listing (the runs are checked to follow one
/// another first, in O(modules)); no overflow, no output that grows with modules × entries.
#[test]
fn bundle_list_refuses_code_runs_that_overlap() {
    let s = Scratch::new("hostile-list");
    let big = s.put("big.ikb", &overlapping_code_bundle(4096, (1 << 20) + 1));
    let (status, _, err) = importkit_cli(&["bundle", "list", &big], Duration::from_secs(20));
    eprintln!("list of the 17 MB bundle: {status:?}; stderr: {}", err.lines().next().unwrap_or(""));
    let small = s.put("small.ikb", &overlapping_code_bundle(4096, 1 << 16));
    let (status2, out2, _) = importkit_cli(&["bundle", "list", &small], Duration::from_secs(10));
    eprintln!("list of the 1 MB bundle: {status2:?} ({} bytes of output kept)", out2.len());
    assert!(status.is_some_and(|s| s.code() == Some(1)), "list of the 17 MB bundle: {status:?}: {err}");
    assert!(status2.is_some_and(|s| s.code() == Some(1)), "list of the 1 MB bundle: {status2:?} (killed after 10 s)");
}

/// `importkit bundle list` shows names and paths with control characters escaped, as errors do: no
/// terminal escape reaches the terminal and no path can forge a line of the listing.
#[test]
fn bundle_list_escapes_control_characters() {
    let s = Scratch::new("hostile-ctl");
    let mut b = BundleBuilder::new();
    b.add_file("x\u{1b}]0;owned\u{7}\u{1b}[2J.txt", b"1".to_vec()).unwrap();
    b.add_module(
        BundleModule::new("m\nfile forged 1 bytes", "m\nfile forged 1 bytes.py", ModuleKind::Source, false)
            .source(b"".to_vec()),
    )
    .unwrap();
    let path = s.put("ctl.ikb", &b.build().unwrap());
    let (status, out, _) = importkit_cli(&["bundle", "list", &path], Duration::from_secs(10));
    eprintln!("{status:?}\n{}", out.escape_debug());
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "escape sequences written raw: {}", out.escape_debug());
    assert!(!out.lines().any(|l| l.starts_with("file forged")), "a forged line: {}", out.escape_debug());
}

/// `importkit bundle build` walks a directory through one link at most: 36 links that would name 2^18 paths
/// are refused, naming the second link, in one line with exit status 1.
#[test]
fn bundle_build_refuses_links_that_multiply_a_tree() {
    let s = Scratch::new("hostile-fanout");
    let depth = 18;
    for i in 0..depth {
        s.dir(&format!("src/d{i}"));
        for l in ["a", "b"] {
            std::os::unix::fs::symlink(format!("../d{}", i + 1), s.path(&format!("src/d{i}/{l}"))).unwrap();
        }
    }
    s.write(&format!("src/d{depth}/f.txt"), "x");
    let out = s.s("out.ikb");
    let (status, stdout, err) = importkit_cli(&["bundle", "build", "-o", &out, &s.s("src")], Duration::from_secs(15));
    eprintln!("build: {status:?} {} {}", stdout.trim(), err.trim());
    assert!(status.is_some(), "bundle build of 37 links and one file ran for over 15 s (killed)");
    assert_eq!(status.and_then(|s| s.code()), Some(1), "the fan-out should be refused: {stdout}");
}

// ----- the code cache -----

/// An executor that compiles a source to `<label>:<source>` and records what `exec_code` got; its compile
/// may run `during_compile` (standing for what another thread does meanwhile).
struct Coder {
    label: &'static str,
    compiles: std::sync::atomic::AtomicUsize,
    ran: parking_lot::Mutex<Vec<String>>,
    during_compile: parking_lot::Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Coder {
    fn new(label: &'static str) -> std::sync::Arc<Coder> {
        std::sync::Arc::new(Coder {
            label,
            compiles: Default::default(),
            ran: Default::default(),
            during_compile: Default::default(),
        })
    }
}

impl importkit::Executor for Coder {
    fn create(&self, _: &importkit::ModuleSpec) -> Result<importkit::ModuleHandle, importkit::HostError> {
        Ok(std::num::NonZeroUsize::new(1).unwrap())
    }
    fn exec(
        &self,
        _: &importkit::ModuleSpec,
        _: importkit::ModuleHandle,
        _: Option<&[u8]>,
    ) -> Result<(), importkit::HostError> {
        Ok(())
    }
    fn accepts_code(&self) -> bool {
        true
    }
    fn compile(&self, _: &importkit::ModuleSpec, source: &[u8]) -> Result<Option<Vec<u8>>, importkit::HostError> {
        self.compiles.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Some(f) = self.during_compile.lock().take() {
            f();
        }
        Ok(Some(format!("{}:{}", self.label, String::from_utf8_lossy(source)).into_bytes()))
    }
    fn exec_code(
        &self,
        _: &importkit::ModuleSpec,
        _: importkit::ModuleHandle,
        code: &[u8],
    ) -> Result<(), importkit::HostError> {
        self.ran.lock().push(String::from_utf8_lossy(code).into_owned());
        Ok(())
    }
}

/// An executor replaced while it compiles: its code runs for the import that asked for it, but is not kept
/// in memory for the executor that replaced it (which compiles for itself).
#[test]
fn code_compiled_by_a_replaced_executor_is_not_kept_for_the_new_one() {
    let rt = Runtime::default();
    rt.mount("", vec![MountFile::new("m.py", b"body".to_vec())], MountMode::New, None).unwrap();
    let a = Coder::new("A");
    let b = Coder::new("B");
    {
        let (rt2, b2) = (rt.clone(), b.clone());
        *a.during_compile.lock() = Some(Box::new(move || rt2.set_executor(b2)));
    }
    rt.set_executor(a.clone());
    rt.import("m", None).unwrap();
    assert_eq!(*a.ran.lock(), ["A:body"]);
    rt.reload("m").unwrap();
    eprintln!(
        "B compiled {} time(s); B ran {:?}; stats {:?}",
        b.compiles.load(std::sync::atomic::Ordering::SeqCst),
        b.ran.lock(),
        rt.code_cache_stats()
    );
    assert_eq!(*b.ran.lock(), ["B:body"], "the new executor ran the old executor's code");
}

/// A code cache limited to 0 bytes keeps nothing, empty code included.
#[test]
fn a_zero_limit_keeps_no_code() {
    struct Empty;
    impl importkit::Executor for Empty {
        fn create(&self, _: &importkit::ModuleSpec) -> Result<importkit::ModuleHandle, importkit::HostError> {
            Ok(std::num::NonZeroUsize::new(1).unwrap())
        }
        fn exec(
            &self,
            _: &importkit::ModuleSpec,
            _: importkit::ModuleHandle,
            _: Option<&[u8]>,
        ) -> Result<(), importkit::HostError> {
            Ok(())
        }
        fn accepts_code(&self) -> bool {
            true
        }
        fn compile(&self, _: &importkit::ModuleSpec, _: &[u8]) -> Result<Option<Vec<u8>>, importkit::HostError> {
            Ok(Some(Vec::new()))
        }
        fn exec_code(
            &self,
            _: &importkit::ModuleSpec,
            _: importkit::ModuleHandle,
            _: &[u8],
        ) -> Result<(), importkit::HostError> {
            Ok(())
        }
    }
    let rt = Runtime::default();
    rt.mount("", vec![MountFile::new("m.py", b"".to_vec())], MountMode::New, None).unwrap();
    rt.set_executor(std::sync::Arc::new(Empty));
    rt.set_code_cache_limit(0);
    rt.import("m", None).unwrap();
    let stats = rt.code_cache_stats();
    eprintln!("{stats:?}");
    assert_eq!(stats.entries, 0, "limit 0 keeps {} entries", stats.entries);
}

/// Confinement: a bundle entry that is a link to a bundle outside the roots, and an entry into a directory
/// of such a link, serve nothing; the same bundle inside serves; a link swapped to outside after the first
/// import is refused after `invalidate`.
#[test]
fn confined_bundles_on_the_path_stay_inside_the_roots() {
    let s = Scratch::new("hostile-confine");
    let mut b = BundleBuilder::new();
    b.add_module(BundleModule::new("pkg", "pkg/__init__.py", ModuleKind::Source, true).source(b"".to_vec())).unwrap();
    b.add_module(BundleModule::new("pkg.m", "pkg/m.py", ModuleKind::Source, false).source(b"".to_vec())).unwrap();
    let bytes = b.build().unwrap();
    s.put("out/app.ikb", &bytes);
    s.put("root/in.ikb", &bytes);
    std::os::unix::fs::symlink(s.path("out/app.ikb"), s.path("root/link.ikb")).unwrap();
    std::os::unix::fs::symlink(s.path("root/in.ikb"), s.path("root/swap.ikb")).unwrap();
    let (rt, _ex, _slot) = common::runtime();
    rt.enable_filesystem(true);
    rt.confine(&s.s("root")).unwrap();
    rt.set_search_path(&[&s.s("root/link.ikb"), &format!("{}/pkg", s.s("root/link.ikb"))]).unwrap();
    assert!(rt.import("pkg", None).is_err());
    assert!(rt.import("m", None).is_err());
    rt.set_search_path(&[&s.s("root/swap.ikb")]).unwrap();
    rt.import("pkg.m", None).unwrap();
    std::fs::remove_file(s.path("root/swap.ikb")).unwrap();
    std::os::unix::fs::symlink(s.path("out/app.ikb"), s.path("root/swap.ikb")).unwrap();
    rt.remove_module("pkg").unwrap();
    rt.remove_module("pkg.m").unwrap();
    rt.invalidate();
    assert!(rt.import("pkg", None).is_err(), "a link swapped to outside is served");
}

/// Threads: imports from a bundle on the path while another thread replaces the file by rename and
/// invalidates; every import gives the old or the new bundle's module, none panics.
#[test]
fn imports_while_the_bundle_on_the_path_is_replaced() {
    let s = Scratch::new("hostile-replace");
    let make = |v: &str| {
        let mut b = BundleBuilder::new();
        b.add_module(BundleModule::new("m", "m.py", ModuleKind::Source, false).source(format!("set v {v}"))).unwrap();
        b.build().unwrap()
    };
    let (one, two) = (make("1"), make("2"));
    let path = s.put("app.ikb", &one);
    let (rt, ex, _slot) = common::runtime();
    rt.enable_filesystem(true);
    rt.set_recheck(Duration::ZERO);
    rt.set_search_path(&[&path]).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, s0) = (stop.clone(), s.s("app.ikb"));
        std::thread::spawn(move || {
            let mut k = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let tmp = format!("{s0}.tmp");
                std::fs::write(&tmp, if k % 2 == 0 { &two } else { &one }).unwrap();
                std::fs::rename(&tmp, &s0).unwrap();
                k += 1;
            }
        })
    };
    for _ in 0..300 {
        let h = rt.import("m", None).unwrap();
        let v = ex.attr(h, "v").unwrap();
        assert!(v == "1" || v == "2");
        rt.remove_module("m").unwrap();
        rt.invalidate();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
}

/// A FIFO named as a bundle is refused ("not a regular file") at once, never waited on: opening is
/// non-blocking (`importkit bundle list`, and `ik_runtime_mount_bundle` in c-tests/test_bundle.c).
#[test]
fn bundle_commands_refuse_a_fifo_without_waiting() {
    let s = Scratch::new("hostile-fifo");
    let fifo = s.s("ff.ikb");
    let c = std::ffi::CString::new(fifo.clone()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let (status, _, err) = importkit_cli(&["bundle", "list", &fifo], Duration::from_secs(3));
    assert!(status.is_some(), "importkit bundle list on a FIFO hung (killed after 3 s)");
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{err}");
}

/// `importkit bundle append a.ikb --to b.ikb` (b.ikb a bundle itself): the result reads through its
/// trailer, in the tool as in the library.
#[test]
fn a_bundle_appended_to_a_bundle_is_read_through_its_trailer() {
    let s = Scratch::new("hostile-append");
    let mut b = BundleBuilder::new();
    b.add_module(BundleModule::new("m", "m.py", ModuleKind::Source, false).source(b"".to_vec())).unwrap();
    let bytes = b.build().unwrap();
    let a = s.put("a.ikb", &bytes);
    let target = s.put("b.ikb", &bytes);
    let (st, _, err) = importkit_cli(&["bundle", "append", &a, "--to", &target], Duration::from_secs(10));
    let appended_ok = st.and_then(|s| s.code()) == Some(0);
    let (st2, _, err2) = importkit_cli(&["bundle", "list", &target], Duration::from_secs(10));
    eprintln!("append: {st:?} {err}; list: {st2:?} {err2}");
    let readable_by_library =
        Bundle::open_appended(std::path::Path::new(&target), importkit::bundle::Load::Read).is_ok();
    assert!(
        !appended_ok || st2.and_then(|s| s.code()) == Some(0),
        "append succeeded but list cannot read the result (the library can: {readable_by_library})"
    );
}
