//! Review of the bundle (`.ikb`) and the code cache: reproductions of defects found by trying to break them.
//! Every test here FAILS on the reviewed commit (6c3a057) and describes, above it, what it does, what
//! happens, and what should happen. They are reproductions, not fixes.

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

fn time(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

// =====================================================================================================
// 1. `Bundle::verify` is quadratic in the index's probe lengths (docs/BUNDLE.md says O(size)).
//
// What: FNV-1a is unkeyed and specified, so whoever writes a bundle picks names whose hashes share their
// low bits (here: 16383 names `m<k>` whose home slot is below 64, found by trying ~4M candidates). Indexed
// with 2^14 slots (legal: "a power of two, more than the module count"; open accepts it), or even with the
// builder's own slot count, the modules form one cluster; verify calls `find` for every module and each
// find walks the cluster from its home slot: ~N^2/2 slot reads in all. Names `m0..m16382` (random hashes)
// verify in a fraction of the time.
// Where: src/bundle/format.rs, `verify` (`self.find(m.name)` per module) with no bound on probe lengths;
// `check_head` accepts any slot count > modules. A 1.2 MB bundle; at 2^20 modules (~60 MB) verify takes
// hours. `importkit bundle verify`, `ik_bundle_verify`, `bundle extract`, `bundle append` and `bundle build`
// with a bundle SOURCE all verify first. Also every miss of `find` in such a bundle walks the whole cluster
// (O(N) per lookup of a missing name when mounted at the root, where every import asks it).
// Should: verify stays O(size) (e.g. check each slot's probe distance in one pass over the index, or
// refuse an index whose load or longest probe exceeds a bound the builder never exceeds).
// =====================================================================================================
#[test]
fn verify_is_quadratic_in_a_crowded_index() {
    let n = (1 << 14) - 1;
    let mask = (1u64 << 14) - 1;
    let plain: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
    let chosen: Vec<String> =
        (0u64..).map(|k| format!("m{k}")).filter(|s| fnv1a(s.as_bytes()) & mask < 64).take(n).collect();
    let benign = Bundle::open("benign", flat_bundle(plain, 1 << 14)).unwrap();
    let crowded = Bundle::open("crowded", flat_bundle(chosen.clone(), 1 << 14)).unwrap();
    // The builder itself, given these names, builds a bundle as slow to verify (its 2^15 slots split the
    // cluster in two).
    let mut b = BundleBuilder::new();
    for name in &chosen {
        b.add_module(BundleModule::new(name, &format!("{name}.py"), ModuleKind::Source, false).source(b"".to_vec()))
            .unwrap();
    }
    let built = Bundle::open("built", b.build().unwrap()).unwrap();
    let t_built = time(|| built.verify().unwrap());
    eprintln!("verify of the builder's bundle of the chosen names: {t_built:?}");
    // A lookup of a missing name whose home slot is in the cluster walks all of it.
    let missing = (0u64..).map(|k| format!("x{k}")).find(|s| fnv1a(s.as_bytes()) & mask == 0).unwrap();
    let t_miss = time(|| {
        for _ in 0..100 {
            assert!(crowded.find(&missing).unwrap().is_none());
        }
    });
    eprintln!("100 lookups of a missing name: {t_miss:?}");
    let t_benign = time(|| benign.verify().unwrap());
    let t_crowded = time(|| crowded.verify().expect("the crowded bundle is a legal bundle"));
    eprintln!("verify: builder's index {t_benign:?}, crowded index {t_crowded:?} ({n} modules)");
    assert!(
        t_crowded < t_benign * 10 + Duration::from_millis(200),
        "verify took {t_crowded:?} on a crowded index vs {t_benign:?} for random names: quadratic"
    );
}

// =====================================================================================================
// 2. `Bundle::verify` (and `BundleBuilder::build`) is quadratic in the depth of a path.
//
// What: a 70 KB bundle, built by `BundleBuilder` itself, of 16 files whose paths are 2000 segments deep
// (`a/a/.../a/f<i>`, under MAX_PATH_LEN). verify's "no file inside another" check does, for every '/' of
// every path, a binary search of the file table (`self.file(&path[..cut])`), and each probe of that search
// re-validates the probed record's whole path (`file_at` -> `bad_path` + UTF-8 check, O(len)): O(L^2 log F)
// per file. Seconds for a bundle of tens of KB; a few MB of such paths take hours.
// Where: src/bundle/format.rs `verify` (the `match_indices('/')` loop) over `file_bound`/`file_at`.
// Should: O(size): e.g. since the table is sorted, a file inside another is found by comparing each path
// with its predecessor (if `p/` is a prefix of the next path), not by a search per segment.
// =====================================================================================================
#[test]
fn verify_is_quadratic_in_path_depth() {
    let deep = "a/".repeat(2000);
    let mut b = BundleBuilder::new();
    for i in 0..16 {
        b.add_file(&format!("{deep}f{i}"), b"x".to_vec()).unwrap();
    }
    let bytes = b.build().unwrap();
    let size = bytes.len();
    let bundle = Bundle::open("deep", bytes).unwrap();
    let t = time(|| bundle.verify().unwrap());
    eprintln!("verify of a {size}-byte bundle with 2000-segment paths: {t:?}");
    assert!(t < Duration::from_millis(500), "verify took {t:?} for a {size}-byte bundle");
}

// =====================================================================================================
// 3. `verify` accepts records whose name and path disagree, and a mount serves them.
//
// What: `BundleBuilder::add_module(BundleModule::new("app", "vendor/evil/__init__.py", Source, true))`
// (or the same record written by hand) builds, verifies, and the mount serves `game.app` from
// `bundle:/game/vendor/evil/__init__.py`, its resources from `vendor/evil/`, and a non-package `game.util`
// from `other/x.py`. The path-entry finder refuses such records (`in_dir`), the mount does not: the same
// bundle serves different modules depending on how it is used. docs/BUNDLE.md says a bundle built from a
// tree serves what a mount of the tree serves and that verify accounts for everything.
// Where: src/bundle/build.rs `add_module` (no check that the path is `<name as dirs>.<suffix>` or
// `<name as dirs>/<init>`); src/bundle/format.rs `verify` (no such check either); src/finders/bundle.rs
// `find` (serves `m.path` as is).
// Should: the builder refuses a module whose path does not agree with its name under the profile's rules
// (or at least verify reports it), and a mount refuses to serve such a record, as the path entry does.
// =====================================================================================================
#[test]
fn names_and_paths_that_disagree_are_accepted_and_served() {
    let mut b = BundleBuilder::new();
    b.add_module(BundleModule::new("", "__init__.py", ModuleKind::Source, true).source(b"".to_vec())).unwrap();
    b.add_module(BundleModule::new("app", "vendor/evil/__init__.py", ModuleKind::Source, true).source(b"".to_vec()))
        .unwrap();
    b.add_file("vendor/evil/secret.txt", b"not app's".to_vec()).unwrap();
    b.add_module(BundleModule::new("util", "other/x.py", ModuleKind::Source, false).source(b"".to_vec())).unwrap();
    let bytes = b.build().expect("the builder should refuse module 'app' at 'vendor/evil/__init__.py'");
    let bundle = Bundle::open("t", bytes.clone()).unwrap();
    let verified = bundle.verify();
    let rt = Runtime::default();
    rt.mount_bundle("game", bytes, MountMode::New).unwrap();
    let served = rt.find_spec("game.app", None).map(|s| s.origin().to_owned());
    let resource = rt.read_resource("game.app", "secret.txt").ok();
    eprintln!("verify: {verified:?}; game.app: {served:?}; its resource secret.txt: {resource:?}");
    assert!(verified.is_err(), "verify accepts module 'app' whose file is vendor/evil/__init__.py");
}

// =====================================================================================================
// 4. A directory entry into a bundle serves nothing when a segment of the directory is not an identifier.
//
// What: a bundle built from {site-packages/bar.py, lib/python3.11/foo.py, lib/ok/baz.py} put on the search
// path as `/s/app.ikb/site-packages` and `/s/app.ikb/lib/python3.11`: `import bar` and `import foo` fail
// (No module named ...), while the same tree as directories on the path, and the same files in a zip
// archive (zipimport's rule that docs/BUNDLE.md cites), serve them. Only directories whose every segment
// is a valid module name work (`/s/app.ikb/lib/ok` serves `baz`).
// Where: src/finders/path/bundle.rs: a directory entry looks up the record named `<dir as dotted prefix>.x`
// (`names = prefix.replace('/', ".")`), and the builder makes no module record for a file under a
// directory whose name is not an identifier (`site-packages`, `python3.11`: memory.rs `Scratch::join`).
// This is exactly the layout of a bundled venv or stdlib (`lib/python3.11/site-packages`).
// Should: serve `<prefix><tail>.py` / `<prefix><tail>/__init__.py` from the files table (as zip does), or
// document the limitation and refuse such an entry with a note saying why.
// =====================================================================================================
#[test]
fn a_directory_entry_with_a_non_identifier_segment_serves_nothing() {
    let s = Scratch::new("review-nonident");
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

// =====================================================================================================
// 5. A bundle on the search path cut short in place kills the host with SIGBUS; the search path has no
//    way to read a bundle instead of mapping it.
//
// What: `/s/app.ikb` on the search path; `import a` maps it (path/bundle.rs `Served::open`: always
// `Load::Map`); another process truncates the file in place (`truncate -s 4096`: the tables stay, the data goes); `import b` within the
// recheck window (or any import of a module found before the cut, whose `Source::Bytes` holds the old
// mapping, even after the window) touches a page past the new end: the process dies of SIGBUS. (Run in a
// child process here.) docs/SECURITY.md tells a host whose bundle lies "in a directory others write to"
// to use `Load::Read`/`IK_BUNDLE_READ`, but that exists only for mounts: bundles met on the search path
// (which the threat model lets a hostile file tree populate) are always mapped.
// Where: src/finders/path/bundle.rs `impl Opened for Served` (`FileBytes::of_file(&file, path, Load::Map)`).
// Should: a way to have search-path bundles read (a runtime setting, or read whenever the file is not
// owned by the runtime's user / is in a group- or world-writable directory), or copy the tables and read
// blobs with pread as the zip finder does; at least document it in the search-path section and the threat
// model.
// =====================================================================================================
#[test]
fn a_search_path_bundle_cut_short_in_place_kills_the_process() {
    use std::os::unix::process::ExitStatusExt;
    if std::env::var_os("REVIEW_SIGBUS_CHILD").is_some() {
        let s = Scratch::new("review-sigbus");
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
        rt.set_search_path(&[&path]).unwrap();
        rt.import("a", None).unwrap();
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(4096).unwrap();
        let r = rt.import("b", None);
        eprintln!("import b after the cut: {:?}", r.map(|_| ()));
        std::process::exit(0);
    }
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_search_path_bundle_cut_short_in_place_kills_the_process", "--nocapture"])
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

// =====================================================================================================
// 6. `importkit bundle list` on a hostile bundle: an arithmetic overflow (a panic in a debug build, a wrong
//    count in release) and an output amplification (hours, gigabytes) from overlapping code runs.
//
// What: (a) 4096 modules each claiming the whole code table of 2^20 + 1 entries (a 17 MB file): `count()`
//    sums `m.code.len() as u32` into a u32 and overflows: the debug binary panics (exit 101, a Rust panic
//    message, not the promised one line and exit 1); release wraps and prints a wrong "code entries" count,
//    then (b) `list` collects and prints every module's 2^20 tags: 4 G tags. With 2^16 entries (a 1 MB
//    bundle) list runs for minutes writing ~1 GB. Only `verify` checks that code runs follow one another.
// Where: src/bin/importkit/bundle.rs `count` (`c.code += m.code.len() as u32`) and `list` (reads records
//    without the cross-record checks). `list` promises it "reads the tables (each record checked)".
// Should: `list` refuses overlapping runs (check, as verify does, that each module's run starts where the
//    previous one ended: O(modules)), counts in u64, and fails with one line and exit 1.
// =====================================================================================================
#[test]
fn bundle_list_overflows_and_amplifies_on_overlapping_code_runs() {
    let s = Scratch::new("review-list");
    let big = s.put("big.ikb", &overlapping_code_bundle(4096, (1 << 20) + 1));
    let (status, _, err) = importkit_cli(&["bundle", "list", &big], Duration::from_secs(20));
    eprintln!("list of the 17 MB bundle: {status:?}; stderr: {}", err.lines().next().unwrap_or(""));
    let small = s.put("small.ikb", &overlapping_code_bundle(4096, 1 << 16));
    let (status2, out2, _) = importkit_cli(&["bundle", "list", &small], Duration::from_secs(10));
    eprintln!("list of the 1 MB bundle: {status2:?} ({} bytes of output kept)", out2.len());
    assert!(status.is_some_and(|s| s.code() == Some(1)), "list of the 17 MB bundle: {status:?}: {err}");
    assert!(status2.is_some_and(|s| s.code() == Some(1)), "list of the 1 MB bundle: {status2:?} (killed after 10 s)");
}

// =====================================================================================================
// 7. `importkit bundle list` writes a bundle's names and paths raw: terminal escapes and fake lines.
//
// What: a bundle (made with `BundleBuilder`, which accepts any path without NUL/backslash/empty, `.`, `..`
//    segments) with a file `x\x1b]0;owned\x07\x1b[2J.txt` and a module path holding a newline and a fake
//    `file` line: `importkit bundle list` writes the ESC/BEL bytes and the newline to the terminal as they
//    are (clears the screen, sets the window title, forges lines of output). The library's errors escape
//    such text (`error::printable`, docs/SECURITY.md "no content in errors"); the tool's listing does not.
// Where: src/bin/importkit/bundle.rs `list` (text mode: `format!("file {path} ...")`, `{word} {name} ...`).
//    `verify`'s and `build`'s one-line output quote the label only.
// Should: escape control characters in names and paths (as errors do), or refuse them in the builder and
//    reader (`bad_path` / `bad_name`) altogether.
// =====================================================================================================
#[test]
fn bundle_list_writes_control_characters_raw() {
    let s = Scratch::new("review-ctl");
    let mut b = BundleBuilder::new();
    b.add_file("x\u{1b}]0;owned\u{7}\u{1b}[2J.txt", b"1".to_vec()).unwrap();
    b.add_module(
        BundleModule::new("m", "m\nfile /etc/passwd 1 bytes\n.py", ModuleKind::Source, false).source(b"".to_vec()),
    )
    .unwrap();
    let path = s.put("ctl.ikb", &b.build().unwrap());
    let (status, out, _) = importkit_cli(&["bundle", "list", &path], Duration::from_secs(10));
    eprintln!("{status:?}\n{}", out.escape_debug());
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "escape sequences written raw: {}", out.escape_debug());
    assert!(!out.lines().any(|l| l.starts_with("file /etc/passwd")), "a forged line: {}", out.escape_debug());
}

// =====================================================================================================
// 8. `importkit bundle build` follows in-source symbolic links without bound: 2n links make 2^n files.
//
// What: a source directory `d0/` .. `d17/` where each `d<i>` holds two links `a -> ../d<i+1>` and
//    `b -> ../d<i+1>` and `d18` one file. Every link leads inside the source and none to a directory that
//    holds it, so none is refused; the walk yields 2^18 = 262,144 files (paths `d0/a/b/a/.../f`) from 36
//    links and one file, and the build runs for a long time (depth 30: a billion files, memory exhausted).
// Where: src/bin/importkit/bundle_sources.rs `Walk::link`/`enter` (the loop check is only "a link to a
//    directory on the stack").
// Should: walk each canonical directory once (a second path to it is refused, or kept as one copy), or
//    bound the files/bytes of a build with a clear error.
// =====================================================================================================
#[test]
fn bundle_build_symlink_fan_out_is_exponential() {
    let s = Scratch::new("review-fanout");
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
    fn exec(&self, _: &importkit::ModuleSpec, _: importkit::ModuleHandle, _: Option<&[u8]>) -> Result<(), importkit::HostError> {
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
    fn exec_code(&self, _: &importkit::ModuleSpec, _: importkit::ModuleHandle, code: &[u8]) -> Result<(), importkit::HostError> {
        self.ran.lock().push(String::from_utf8_lossy(code).into_owned());
        Ok(())
    }
}

// =====================================================================================================
// 9. Code compiled by an executor that was replaced while it compiled is kept, and handed to the new one.
//
// What: executor A compiles `m`; while it compiles (host code, under no importkit lock), the host sets
//    executor B (`set_executor` -> `clear_memory`). A's compile returns, and `code_for` then `remember`s
//    A's code in the memory cache that was just cleared for B. Reloading `m` under B: B's `compile` is
//    never called and B's `exec_code` gets "A:..." (`hits_memory`). docs/CODE_CACHE.md: "Setting another
//    executor forgets the code in memory (it may compile otherwise)".
// Where: src/runtime/code_cache.rs `code_for` (remember after compile, no generation check) vs
//    `clear_memory`; src/runtime/mod.rs `set_executor`.
// Should: an executor generation in the cache: code compiled under an older one is used for that import
//    but not remembered. (The directory is keyed by tag only, so with a cache directory B gets A's code
//    anyway: either the tag is the whole contract, and clearing memory is pointless, or it is not, and the
//    directory is wrong too; the doc should say which.)
// =====================================================================================================
#[test]
fn code_compiled_by_a_replaced_executor_reaches_the_new_one() {
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
    eprintln!("B compiled {} time(s); B ran {:?}; stats {:?}", b.compiles.load(std::sync::atomic::Ordering::SeqCst), b.ran.lock(), rt.code_cache_stats());
    assert_eq!(*b.ran.lock(), ["B:body"], "the new executor ran the old executor's code");
}

// =====================================================================================================
// 10. A memory limit of 0 still keeps entries (code of 0 bytes).
//
// What: `set_code_cache_limit(0)` ("0 keeps nothing"), then a module whose compile gives empty code: the
//    entry is kept (`entries == 1`), and the next reload is a `hits_memory`.
// Where: src/runtime/code_cache.rs `Memory::insert` (`if len > self.limit` lets len == 0 == limit through).
// Should: keep nothing when the limit is 0 (`len > limit || limit == 0`). Trivial, but the doc says so.
// =====================================================================================================
#[test]
fn a_zero_limit_keeps_empty_code() {
    struct Empty;
    impl importkit::Executor for Empty {
        fn create(&self, _: &importkit::ModuleSpec) -> Result<importkit::ModuleHandle, importkit::HostError> {
            Ok(std::num::NonZeroUsize::new(1).unwrap())
        }
        fn exec(&self, _: &importkit::ModuleSpec, _: importkit::ModuleHandle, _: Option<&[u8]>) -> Result<(), importkit::HostError> {
            Ok(())
        }
        fn accepts_code(&self) -> bool {
            true
        }
        fn compile(&self, _: &importkit::ModuleSpec, _: &[u8]) -> Result<Option<Vec<u8>>, importkit::HostError> {
            Ok(Some(Vec::new()))
        }
        fn exec_code(&self, _: &importkit::ModuleSpec, _: importkit::ModuleHandle, _: &[u8]) -> Result<(), importkit::HostError> {
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

// ----- coverage: things tried that held (kept as tests that pass) -----

/// Confinement: a bundle entry that is a link to a bundle outside the roots, and an entry into a directory
/// of such a link, serve nothing; the same bundle inside serves; a link swapped to outside after the first
/// import is refused after `invalidate`.
#[test]
fn coverage_confined_bundles_on_the_path() {
    let s = Scratch::new("review-confine");
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
fn coverage_imports_while_the_bundle_is_replaced() {
    let s = Scratch::new("review-replace");
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

// =====================================================================================================
// 11. `importkit bundle list|verify|extract|append` on a FIFO hangs (and so do `ik_runtime_mount_bundle`,
//     `..._appended` and `ik_bundle_verify`: review/test_review_bundle.c).
//
// What: `mkfifo ff; importkit bundle list ff` blocks in open(2) forever (no writer). The docs promise one
//    line and exit status 1 for a file that is not a bundle.
// Where: src/bundle/map.rs `FileBytes::open` (`File::open(path)` blocking, the regular-file check after).
// Should: open with O_NONBLOCK (as open.rs and code_file.rs do) and refuse "is not a regular file".
// =====================================================================================================
#[test]
fn bundle_commands_on_a_fifo_hang() {
    let s = Scratch::new("review-fifo");
    let fifo = s.s("ff.ikb");
    let c = std::ffi::CString::new(fifo.clone()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let (status, _, err) = importkit_cli(&["bundle", "list", &fifo], Duration::from_secs(3));
    assert!(status.is_some(), "importkit bundle list on a FIFO hung (killed after 3 s)");
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{err}");
}

// =====================================================================================================
// 12. `importkit bundle append` onto a file that is itself a bundle writes a file no command can read.
//
// What: `importkit bundle append a.ikb --to b.ikb` (b.ikb a bundle) succeeds; then `importkit bundle list
//    b.ikb` fails: "bundle 'b.ikb' says it is N bytes long but is M bytes": `open_file` takes a file
//    that starts with the magic for a bundle and never looks for the trailer; `Bundle::open_appended`
//    (ik_runtime_mount_bundle_appended) reads it fine, so the CLI and the library disagree.
// Where: src/bin/importkit/bundle.rs `open_file` (magic first, trailer only when there is no magic) and
//    `append_to` (no check of what EXE is).
// Should: `append` refuses a target that is a bundle (or `open_file` falls back to the trailer when the
//    whole file does not open as a bundle).
// =====================================================================================================
#[test]
fn bundle_append_onto_a_bundle_makes_an_unreadable_file() {
    let s = Scratch::new("review-append");
    let mut b = BundleBuilder::new();
    b.add_module(BundleModule::new("m", "m.py", ModuleKind::Source, false).source(b"".to_vec())).unwrap();
    let bytes = b.build().unwrap();
    let a = s.put("a.ikb", &bytes);
    let target = s.put("b.ikb", &bytes);
    let (st, _, err) = importkit_cli(&["bundle", "append", &a, "--to", &target], Duration::from_secs(10));
    let appended_ok = st.and_then(|s| s.code()) == Some(0);
    let (st2, _, err2) = importkit_cli(&["bundle", "list", &target], Duration::from_secs(10));
    eprintln!("append: {st:?} {err}; list: {st2:?} {err2}");
    let readable_by_library = Bundle::open_appended(std::path::Path::new(&target), importkit::bundle::Load::Read).is_ok();
    assert!(
        !appended_ok || st2.and_then(|s| s.code()) == Some(0),
        "append succeeded but list cannot read the result (the library can: {readable_by_library})"
    );
}
