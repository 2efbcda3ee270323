//! The standard library of this machine's python3, bundled with `importkit bundle build` and read back:
//! `verify` passes; every module the directory serves resolves from the bundle with the same kind and
//! package flag, and every package has the same children (`iter_modules`) and resources; `extract` gives
//! every file back with the same bytes; two builds are byte for byte the same. Skipped, saying so, without
//! python3.
//!
//! What is left out, and why: `site-packages` (third-party distributions, not the standard library),
//! `__pycache__` (CPython's cache of compiled files, not modules: the build leaves it out by default) and
//! `config-3.*` (the interpreter's build configuration: `libpython3.X.a`, a Makefile; no module and no
//! resource of one, and half the tree's bytes, which a debug build would spend seconds hashing).
//! Run with `--nocapture` to see the figures (modules, files, bytes, build time).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use common::scratch::Scratch;
use importkit::bundle::Load;
use importkit::finders::memory::MountedTree;
use importkit::{MountFile, MountMode, Profile, Runtime};

const EXCLUDES: [&str; 3] = ["site-packages", "__pycache__", "config-3.*"];

fn importkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_importkit")).args(args).output().expect("the binary runs")
}

fn ok(args: &[&str]) -> String {
    let o = importkit(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// The standard library's directory, as python3 says (`None` without python3).
fn stdlib() -> Option<String> {
    let out = Command::new("python3")
        .args(["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let dir = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    Path::new(&dir).is_dir().then_some(dir)
}

fn excluded(name: &str) -> bool {
    name == "site-packages" || name == "__pycache__" || name.starts_with("config-3.")
}

/// Every file of the tree (relative path, `/`-separated), the excluded names left out. The stdlib has no
/// symbolic links; one would be followed by the build if it led inside, so `metadata` follows too.
fn walk(root: &Path, rel: &str, out: &mut Vec<String>) {
    let mut names: Vec<String> =
        fs::read_dir(root.join(rel)).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    for name in names {
        if excluded(&name) {
            continue;
        }
        let path = if rel.is_empty() { name } else { format!("{rel}/{name}") };
        if fs::metadata(root.join(&path)).unwrap().is_dir() {
            walk(root, &path, out);
        } else {
            out.push(path);
        }
    }
}

/// `"key": value` of one JSON line of `importkit resolve --json` (a string's quotes kept).
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    let at = line.find(&format!("\"{key}\": ")).unwrap_or_else(|| panic!("no {key} in {line}")) + key.len() + 4;
    let rest = &line[at..];
    let end = match rest.strip_prefix('"') {
        Some(quoted) => quoted.find('"').unwrap() + 2,
        None => rest.find([',', '}']).unwrap(),
    };
    &rest[..end]
}

/// The first of `submodule_search_locations` in one JSON line.
fn first_location(line: &str) -> &str {
    let key = "\"submodule_search_locations\": [\"";
    let at = line.find(key).unwrap_or_else(|| panic!("no location in {line}")) + key.len();
    &line[at..at + line[at..].find('"').unwrap()]
}

#[test]
fn the_standard_library_round_trips_through_a_bundle() {
    let Some(stdlib) = stdlib() else {
        println!("skipped: no python3 (or no standard library directory) on this machine");
        return;
    };
    let root = Path::new(&stdlib);
    let dir = Scratch::new("stdlib-bundle");
    let (first, second) = (dir.s("stdlib.ikb"), dir.s("again.ikb"));
    let mut build = vec!["bundle", "build"];
    for e in EXCLUDES {
        build.extend(["--exclude", e]);
    }
    let started = Instant::now();
    let said = ok(&[&build[..], &["-o", &first, &stdlib]].concat());
    let build_time = started.elapsed();
    ok(&[&build[..], &["-o", &second, &stdlib]].concat());
    let bytes = fs::read(&first).unwrap();
    assert!(fs::read(&second).unwrap() == bytes, "two builds of the same tree are byte for byte the same");

    let verified = ok(&["bundle", "verify", &first]);
    assert!(verified.starts_with(&format!("{first}: bundle is sound: ")), "{verified}");

    // What the directory holds, the exclusions left out, and the modules a mount of it serves.
    let mut paths = Vec::new();
    walk(root, "", &mut paths);
    let empty: Vec<MountFile> = paths.iter().map(|p| MountFile::new(p.clone(), Vec::new())).collect();
    let tree = MountedTree::build("", empty, &Profile::python(), None).unwrap();
    let mut names: Vec<(String, &str, bool)> =
        tree.modules().map(|(s, _)| (s.name().to_owned(), s.kind().name(), s.is_package())).collect();
    names.sort();
    assert!(names.len() > 1000, "{} modules", names.len());
    for wanted in ["json", "json.decoder", "email.mime.text", "importlib.resources", "collections.abc"] {
        assert!(names.iter().any(|(n, _, _)| n == wanted), "{wanted}");
    }

    // Every name resolves from the bundle as from the directory: the same kind, package flag and file.
    let list = dir.put("names.txt", names.iter().map(|(n, _, _)| format!("{n}\n")).collect::<String>().as_bytes());
    let from_bundle = ok(&["resolve", "--json", "--bundle", &first, "--names-from", &list]);
    let from_dir = ok(&["resolve", "--json", "--path", &stdlib, "--names-from", &list]);
    let (b_lines, d_lines): (Vec<&str>, Vec<&str>) = (from_bundle.lines().collect(), from_dir.lines().collect());
    assert_eq!((b_lines.len(), d_lines.len()), (names.len(), names.len()));
    for ((name, kind, is_package), (b, d)) in names.iter().zip(b_lines.iter().zip(&d_lines)) {
        assert_eq!(field(b, "name"), format!("\"{name}\""));
        for key in ["found", "kind", "is_package"] {
            assert_eq!(field(b, key), field(d, key), "{name}: {key}\n  bundle: {b}\n  directory: {d}");
        }
        assert_eq!((field(b, "kind"), field(b, "is_package")), (&*format!("\"{kind}\""), &*is_package.to_string()));
        // The same file; for a namespace package (origin `namespace:NAME` on disk), the same directory.
        let (b_at, d_at) = if *kind == "namespace" {
            (first_location(b), first_location(d).strip_prefix(stdlib.as_str()).unwrap())
        } else {
            (field(b, "origin").trim_matches('"'), field(d, "origin").trim_matches('"').strip_prefix("fs:").unwrap())
        };
        let in_bundle = b_at.strip_prefix("bundle:/").unwrap_or_else(|| panic!("{name}: {b}"));
        let in_dir = d_at.strip_prefix(stdlib.as_str()).unwrap_or(d_at).trim_start_matches('/');
        assert_eq!(in_bundle, in_dir, "{name}: the same file (or directory)");
    }

    // Every package lists the same children and resources from the bundle as from the directory.
    let bundled = Runtime::default();
    bundled.mount_bundle_file("", Path::new(&first), Load::Map, MountMode::New).unwrap();
    let on_disk = Runtime::default();
    on_disk.enable_filesystem(true);
    on_disk.set_search_path(&[&stdlib]).unwrap();
    // The directory lists as pkgutil does, names that are no module name included
    // (`_sysconfigdata__linux_x86_64-linux-gnu`, which no import can ask for); a mount, and so a bundle,
    // holds only names an import can ask for. Those are compared.
    let known: std::collections::HashSet<&str> = names.iter().map(|(n, _, _)| n.as_str()).collect();
    let serves = |package: Option<&str>| {
        let mut listed = on_disk.iter_modules(package).unwrap();
        listed.retain(|m| known.contains(&*package.map_or(m.name.clone(), |p| format!("{p}.{}", m.name))));
        listed
    };
    assert_eq!(bundled.iter_modules(None).unwrap(), serves(None), "the top level");
    let mut packages = 0;
    for (name, _, _) in names.iter().filter(|(_, _, p)| *p) {
        packages += 1;
        assert_eq!(bundled.iter_modules(Some(name)).unwrap(), serves(Some(name)), "{name}");
        let mut listed = on_disk.resources(name).unwrap();
        listed.retain(|r| !excluded(r));
        assert_eq!(bundled.resources(name).unwrap(), listed, "{name}");
    }

    // Extract gives every file back with its bytes, and nothing else.
    let out = dir.s("out");
    let extracted = ok(&["bundle", "extract", &first, "-o", &out]);
    let mut back = Vec::new();
    walk(Path::new(&out), "", &mut back);
    assert_eq!(back, paths, "the same files");
    let mut total = 0u64;
    for p in &paths {
        let (a, b) = (fs::read(root.join(p)).unwrap(), fs::read(dir.path(&format!("out/{p}"))).unwrap());
        assert!(a == b, "{p}: the same bytes");
        total += a.len() as u64;
    }

    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, kind, _) in &names {
        *kinds.entry(kind).or_default() += 1;
    }
    println!("standard library: {stdlib}");
    println!(
        "  {} modules ({packages} packages; {}), {} files, {total} bytes of files",
        names.len(),
        kinds.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", "),
        paths.len()
    );
    println!("  bundle: {} bytes; built in {:.2} s (debug builds are slower)", bytes.len(), build_time.as_secs_f64());
    println!("  {}", said.trim());
    println!("  {}", verified.trim());
    println!("  {}", extracted.trim());
}
