//! Bundles (`.ikb`, docs/BUNDLE.md): a tree built into a bundle and mounted serves what the same tree
//! mounted in memory serves (modules with the same kind, package flag, children and resources); building
//! is deterministic; and bad bytes (cut short anywhere, any byte changed, offsets, lengths and counts that
//! lie, an index that loops, a blob that fails its checksum) are refused with an error naming the bundle,
//! never a panic, and never reach the executor.

mod common;

use std::sync::Arc;

use common::runtime;
use importkit::bundle::format::Bundle;
use importkit::finders::memory::MountedTree;
use importkit::{BundleBuilder, BundleModule, ErrorCode, ModuleKind, MountFile, MountMode, Profile, Runtime};

/// The layout's sizes (docs/BUNDLE.md): the header, a section table entry, header and table together.
const HEADER_LEN: usize = 40;
const SECTION_ENTRY_LEN: usize = 24;
const TABLES_START: usize = HEADER_LEN + 8 * SECTION_ENTRY_LEN;

const TREE: &[(&str, &[u8])] = &[
    ("__init__.py", b"set root yes"),
    ("core.py", b"import .util\nset core yes"),
    ("util.py", b"set util yes"),
    ("both.py", b"set which module"),
    ("both/__init__.py", b"set which package"),
    ("data/level1.txt", b"level one"),
    ("ns/part.py", b"set part yes"),
    ("pkg/__init__.py", b""),
    ("pkg/mod.py", b"set m 1"),
    ("pkg/readme.txt", b"read me"),
    ("pkg/assets/logo.bin", &[0, 1, 2, 255, 254, 0, 0, 7]),
    ("pkg/sub/__init__.py", b"set sub yes"),
    ("pkg/sub/deep.py", b"set deep yes"),
    ("pkg/compiled.pyc", b"\x42\x0d\x0d\x0a not really marshal"),
    ("foo-1.0.dist-info/METADATA", b"Name: foo\nVersion: 1.0\n"),
    ("foo-1.0.dist-info/RECORD", b""),
    ("README", b"a file at the root"),
];

fn files() -> Vec<MountFile> {
    TREE.iter().map(|(p, d)| MountFile::new(*p, d.to_vec())).collect()
}

fn bundle_bytes() -> Vec<u8> {
    BundleBuilder::from_tree(files(), &Profile::python()).unwrap().build().unwrap()
}

/// Every module name a memory mount of the tree at `point` serves.
fn names(point: &str) -> Vec<String> {
    let tree = MountedTree::build(point, files(), &Profile::python(), None).unwrap();
    let mut names: Vec<String> = tree.modules().map(|(s, _)| s.spec_name()).collect();
    names.sort();
    names
}

trait SpecName {
    fn spec_name(&self) -> String;
}

impl SpecName for importkit::ModuleSpec {
    fn spec_name(&self) -> String {
        self.name().to_owned()
    }
}

/// The origin without its scheme (`memory:` or `bundle:`), so that the two sources compare.
fn logical(origin: &str) -> &str {
    origin.split_once(':').map_or(origin, |(_, rest)| rest)
}

fn pair(point: &str) -> (Runtime, Runtime) {
    let memory = Runtime::default();
    memory.mount(point, files(), MountMode::New, None).unwrap();
    let bundled = Runtime::default();
    bundled.mount_bundle(point, bundle_bytes(), MountMode::New).unwrap();
    (memory, bundled)
}

#[test]
fn a_bundled_tree_serves_what_the_mounted_tree_serves() {
    for point in ["game", ""] {
        let (memory, bundled) = pair(point);
        let all = names(point);
        assert!(all.len() >= 10, "{all:?}");
        for name in &all {
            let a = memory.find_spec(name, None).unwrap();
            let b = bundled.find_spec(name, None).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!((a.kind(), a.is_package(), a.parent()), (b.kind(), b.is_package(), b.parent()), "{name}");
            assert_eq!(logical(a.origin()), logical(b.origin()), "{name}");
            assert!(b.origin().starts_with("bundle:/"), "{}", b.origin());
            let (la, lb): (Vec<&str>, Vec<&str>) =
                (a.locations().map(logical).collect(), b.locations().map(logical).collect());
            assert_eq!(la, lb, "{name}");
            assert_eq!(b.file(), None, "no file without a virtual root");
            if a.is_package() {
                assert_eq!(
                    memory.iter_modules(Some(name)).unwrap(),
                    bundled.iter_modules(Some(name)).unwrap(),
                    "{name}"
                );
                let listed = memory.resources(name).unwrap();
                assert_eq!(listed, bundled.resources(name).unwrap(), "{name}");
                for entry in listed {
                    let (x, y) = (memory.read_resource(name, &entry), bundled.read_resource(name, &entry));
                    match (x, y) {
                        (Ok(x), Ok(y)) => assert_eq!(x, y, "{name}/{entry}"),
                        (Err(x), Err(y)) => assert_eq!(x.code(), y.code(), "{name}/{entry}"),
                        (x, y) => panic!("{name}/{entry}: {x:?} vs {y:?}"),
                    }
                }
            }
        }
        assert_eq!(memory.iter_modules(None).unwrap(), bundled.iter_modules(None).unwrap(), "point {point:?}");
        for missing in ["nothing", "pkg.nothing", "pkg.mod.x", "game.pkg.zzz", "both.x"] {
            assert_eq!(bundled.find_spec(missing, None).unwrap_err().code(), ErrorCode::NotFound, "{missing}");
        }
    }
}

#[test]
fn bundled_modules_import_and_read_their_bytes_when_they_execute() {
    let (rt, ex, _slot) = runtime();
    rt.mount_bundle("game", bundle_bytes(), MountMode::New).unwrap();
    let h = rt.import("game.core", None).unwrap();
    assert_eq!(ex.attr(h, "core").as_deref(), Some("yes"));
    assert_eq!(ex.exec_count("game.util"), 1);
    let h = rt.import("game.both", None).unwrap();
    assert_eq!(ex.attr(h, "which").as_deref(), Some("package"), "a package beats a module, as in a mount");
    assert_eq!(rt.find_spec("game.pkg.compiled", None).unwrap().kind(), ModuleKind::Bytecode);
    assert_eq!(rt.find_spec("game.ns", None).unwrap().kind(), ModuleKind::Namespace);
    // Resources are lent in place: the same bytes, with no copy, outliving an unmount.
    let held = rt.resource("game.pkg", "assets/logo.bin").unwrap();
    rt.unmount("game").unwrap();
    assert_eq!(&*held.bytes().unwrap(), &[0, 1, 2, 255, 254, 0, 0, 7]);
    assert_eq!(rt.find_spec("game.pkg.mod", None).unwrap_err().code(), ErrorCode::NotFound);
    // A virtual root gives files; a bundle and a tree share mount points.
    rt.set_virtual_root(Some("/v")).unwrap();
    rt.mount_bundle("game", bundle_bytes(), MountMode::New).unwrap();
    assert_eq!(rt.find_spec("game.pkg.mod", None).unwrap().file(), Some("/v/game/pkg/mod.py"));
    assert_eq!(rt.find_spec("game.ns", None).unwrap().file(), None);
    assert_eq!(rt.mount("game", files(), MountMode::New, None).unwrap_err().code(), ErrorCode::Exists);
    rt.mount("game", vec![MountFile::new("only.py", "")], MountMode::Replace, None).unwrap();
    assert!(rt.find_spec("game.only", None).is_ok());
    rt.mount_bundle("game", bundle_bytes(), MountMode::Replace).unwrap();
    assert!(rt.find_spec("game.only", None).is_err());
    assert!(rt.meta_path().iter().any(|(_, place)| place == "bundle:/game"));
}

#[test]
fn building_is_deterministic() {
    let a = bundle_bytes();
    assert_eq!(a, bundle_bytes());
    let mut reversed = files();
    reversed.reverse();
    assert_eq!(a, BundleBuilder::from_tree(reversed, &Profile::python()).unwrap().build().unwrap());
    let by_hand = || {
        let mut b = BundleBuilder::new();
        b.compress(true);
        b.add_module(BundleModule::new("", "__init__.py", ModuleKind::Source, true).source("x = 1\n".repeat(50)))
            .unwrap();
        b.add_module(
            BundleModule::new("m", "m.py", ModuleKind::Source, false)
                .source("y = 2")
                .code("cpython-311", "code 311")
                .code("cpython-312", "code 312"),
        )
        .unwrap();
        b.add_resource("", "data/x.txt", "resource").unwrap();
        b.add_metadata("m-1.0.dist-info", vec![("METADATA".into(), b"Name: m".to_vec())]).unwrap();
        b.build().unwrap()
    };
    let bytes = by_hand();
    assert_eq!(bytes, by_hand());
    let bundle = Bundle::open("hand.ikb", bytes).unwrap();
    bundle.verify().unwrap();
    let m = bundle.find("m").unwrap().unwrap();
    let code: Vec<(&str, u32)> = bundle.code_entries(&m).unwrap();
    assert_eq!(code.iter().map(|c| c.0).collect::<Vec<_>>(), ["cpython-311", "cpython-312"]);
    let blob = bundle.code(&m, "cpython-312").unwrap().unwrap();
    assert_eq!(&*bundle.read_blob(blob).unwrap(), b"code 312");
    assert_eq!(bundle.code(&m, "cpython-310").unwrap(), None);
    let root = bundle.find("").unwrap().unwrap();
    let info = bundle.blob_info(root.blob.unwrap()).unwrap();
    assert_eq!(info.compression, 1, "a long source is deflated when asked");
    assert_eq!(&*bundle.read_blob(root.blob.unwrap()).unwrap(), "x = 1\n".repeat(50).as_bytes());
    assert_eq!(bundle.list_dir("").unwrap(), ["__init__.py", "data", "m-1.0.dist-info", "m.py"]);
    let meta = bundle.metadata().unwrap();
    assert_eq!(meta.len(), 1);
    assert_eq!(bundle.file_at(meta[0].1.start).unwrap().0, "m-1.0.dist-info/METADATA");
}

#[test]
fn a_tree_bundle_passes_verification_and_keeps_its_metadata() {
    let bundle = Bundle::open("t.ikb", bundle_bytes()).unwrap();
    bundle.verify().unwrap();
    let meta = bundle.metadata().unwrap();
    assert_eq!(meta.iter().map(|m| m.0).collect::<Vec<_>>(), ["foo-1.0.dist-info"]);
    assert_eq!(meta[0].1.len(), 2);
    assert_eq!(bundle.file_count() as usize, TREE.len());
    let lua = BundleBuilder::from_tree(
        vec![MountFile::new("init.lua", "x"), MountFile::new("a/b.lua", "y"), MountFile::new("a/init.lua", "")],
        &Profile::lua(),
    )
    .unwrap()
    .build()
    .unwrap();
    let lua = Bundle::open("lua.ikb", lua).unwrap();
    lua.verify().unwrap();
    assert!(lua.find("").unwrap().unwrap().is_package);
    assert_eq!(lua.find("a.b").unwrap().unwrap().path, "a/b.lua");
}

#[test]
fn the_builder_refuses_what_no_bundle_can_hold() {
    let mut b = BundleBuilder::new();
    assert!(b.add_module(BundleModule::new("a..b", "a.py", ModuleKind::Source, false)).is_err());
    assert!(b.add_module(BundleModule::new("a", "../a.py", ModuleKind::Source, false)).is_err());
    assert!(b.add_module(BundleModule::new("a", "a.py", ModuleKind::Native, false)).is_err());
    assert!(b.add_module(BundleModule::new("n", "n", ModuleKind::Namespace, false)).is_err());
    assert!(b.add_file("/abs", "x").is_err());
    b.add_file("x.txt", "one").unwrap();
    assert!(b.add_file("x.txt", "two").is_err());
    b.add_file("x.txt/inner", "z").unwrap();
    assert!(b.build().is_err(), "a file inside a file");
    let mut b = BundleBuilder::new();
    b.add_module(BundleModule::new("a", "a.py", ModuleKind::Source, false)).unwrap();
    assert!(b.build().is_err(), "a module without bytes");
    assert!(BundleBuilder::from_tree(vec![MountFile::new("../x.py", "")], &Profile::python()).is_err());
    assert!(BundleBuilder::new().add_metadata("x", vec![]).is_err());
}

// ----- bad input -----

/// Asks everything of an opened bundle; every answer is a value or an error naming the bundle.
fn exercise(bundle: &Bundle) {
    let named = |e: importkit::Error| {
        assert!(e.message().starts_with(&format!("bundle '{}'", bundle.label())), "{}", e.message());
    };
    for name in names("") {
        match bundle.find(&name) {
            Ok(Some(m)) => {
                let _ = bundle.children(m.name).map_err(named);
                let _ = bundle.list_dir(m.dir()).map_err(named);
                let _ = bundle.code_entries(&m).map_err(named);
                if let Some(b) = m.blob {
                    let _ = bundle.read_blob(b).map_err(named);
                }
            }
            Ok(None) => {}
            Err(e) => named(e),
        }
    }
    for i in 0..bundle.module_count().min(64) {
        let _ = bundle.module(i).map_err(named);
    }
    for i in 0..bundle.blob_count().min(64) {
        let _ = bundle.read_blob(i).map_err(named);
    }
    for i in 0..bundle.file_count().min(64) {
        let _ = bundle.file_at(i).map_err(named);
    }
    let _ = bundle.children("").map_err(named);
    let _ = bundle.list_dir("").map_err(named);
    let _ = bundle.list_dir("pkg").map_err(named);
    let _ = bundle.file("pkg/readme.txt").map_err(named);
    let _ = bundle.metadata().map_err(named);
}

#[test]
fn a_bundle_cut_short_anywhere_is_refused_at_open() {
    let bytes = bundle_bytes();
    for n in 0..bytes.len() {
        let e = Bundle::open("cut.ikb", bytes[..n].to_vec()).err().unwrap_or_else(|| panic!("cut at {n} opens"));
        assert_eq!(e.code(), ErrorCode::InvalidMount, "{n}");
        assert!(e.message().starts_with("bundle 'cut.ikb' "), "{}", e.message());
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Bundle::open("long.ikb", longer).is_err());
}

#[test]
fn every_byte_changed_is_refused_at_open_or_by_verification_and_never_panics() {
    let bytes = bundle_bytes();
    let (mut at_open, mut at_verify) = (0, 0);
    for i in 0..bytes.len() {
        for mask in [0xff, 0x01] {
            let mut bad = bytes.clone();
            bad[i] ^= mask;
            let Ok(bundle) = Bundle::open("flip.ikb", bad) else {
                at_open += 1;
                continue;
            };
            exercise(&bundle);
            let e = bundle.verify().err().unwrap_or_else(|| panic!("byte {i} ^ {mask:#x} passes verification"));
            assert!(e.message().starts_with("bundle 'flip.ikb': "), "{}", e.message());
            at_verify += 1;
        }
    }
    assert_eq!(at_open + at_verify, 2 * bytes.len());
    assert!(at_open >= 2 * TABLES_START, "the header and section table are all checked at open");
}

#[test]
fn a_runtime_survives_every_changed_byte() {
    let bytes = bundle_bytes();
    let (rt, _ex, _slot) = runtime();
    for i in (0..bytes.len()).step_by(3) {
        let mut bad = bytes.clone();
        bad[i] ^= 0x55;
        if rt.mount_bundle("game", bad, MountMode::Replace).is_err() {
            continue;
        }
        for name in names("game") {
            let _ = rt.find_spec(&name, None);
            let _ = rt.import(&name, None);
            let _ = rt.resources(&name);
            let _ = rt.iter_modules(Some(&name));
        }
        let _ = rt.iter_modules(None);
        for name in names("game") {
            let _ = rt.remove_module(&name);
        }
    }
    // The runtime stays usable.
    rt.mount_bundle("game", bytes, MountMode::Replace).unwrap();
    rt.import("game.core", None).unwrap();
}

/// Where section `k` lies: (offset, length), from the section table.
fn section(bytes: &[u8], k: usize) -> (usize, usize) {
    let e = HEADER_LEN + k * SECTION_ENTRY_LEN;
    let u = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
    (u(e + 8), u(e + 16))
}

fn put32(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// Makes the checksums of the header and of the tables right again, as a hostile writer would.
fn reseal(bytes: &mut [u8]) {
    let data = section(bytes, 7).0;
    let tables = crc32fast::hash(&bytes[TABLES_START..data]);
    put32(bytes, 24, tables);
    put32(bytes, 20, 0);
    let header = crc32fast::hash(&bytes[..TABLES_START]);
    put32(bytes, 20, header);
}

fn module_record(bytes: &[u8], name: &str) -> usize {
    let bundle = Bundle::open("probe", bytes.to_vec()).unwrap();
    let m = bundle.find(name).unwrap().unwrap();
    section(bytes, 1).0 + m.number as usize * 32
}

fn blob_record(bytes: &[u8], name: &str) -> usize {
    let bundle = Bundle::open("probe", bytes.to_vec()).unwrap();
    let m = bundle.find(name).unwrap().unwrap();
    section(bytes, 6).0 + m.blob.unwrap() as usize * 24
}

/// A sealed bundle with one edit, mounted at `game`; the error of finding, then of importing, `game.<name>`.
fn edited(edit: impl FnOnce(&mut Vec<u8>), name: &str) -> importkit::Error {
    let mut bytes = bundle_bytes();
    edit(&mut bytes);
    reseal(&mut bytes);
    let (rt, ex, _slot) = runtime();
    match rt.mount_bundle("game", bytes, MountMode::New) {
        Err(e) => e,
        Ok(_) => {
            let full = format!("game.{name}");
            let e = match rt.find_spec(&full, None) {
                Err(e) => e,
                Ok(_) => rt.import(&full, None).expect_err("the edit is found out"),
            };
            assert_eq!(ex.exec_count(&full), 0, "a refused module never executes");
            e
        }
    }
}

/// One change to a bundle's bytes.
type Edit = Box<dyn FnOnce(&mut Vec<u8>)>;

#[test]
fn lying_offsets_lengths_and_counts_are_refused_with_the_entry_named() {
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "name offset",
            Box::new(|b| {
                let r = module_record(b, "util");
                put32(b, r, u32::MAX - 2)
            }),
            "has a name that lies outside the strings section",
        ),
        (
            "name length",
            Box::new(|b| {
                let r = module_record(b, "util");
                put32(b, r + 4, 1 << 30)
            }),
            "lies outside the strings section",
        ),
        (
            "path length",
            Box::new(|b| {
                let r = module_record(b, "util");
                put32(b, r + 12, 2)
            }),
            "has a path that is not followed by its NUL",
        ),
        (
            "kind",
            Box::new(|b| {
                let r = module_record(b, "util");
                b[r + 16] = 9
            }),
            "unknown kind 9",
        ),
        (
            "blob number",
            Box::new(|b| {
                let r = module_record(b, "util");
                put32(b, r + 20, 1000)
            }),
            "names blob 1000",
        ),
        (
            "code count",
            Box::new(|b| {
                let r = module_record(b, "util");
                put32(b, r + 28, u32::MAX)
            }),
            "code entries",
        ),
        (
            "blob offset",
            Box::new(|b| {
                let r = blob_record(b, "util");
                b[r..r + 8].copy_from_slice(&(u64::MAX - 3).to_le_bytes())
            }),
            "outside the data section",
        ),
        (
            "blob stored length",
            Box::new(|b| {
                let r = blob_record(b, "util");
                put32(b, r + 8, 1 << 27);
                put32(b, r + 12, 1 << 27)
            }),
            "outside the data section",
        ),
        (
            "blob length over the limit",
            Box::new(|b| {
                let r = blob_record(b, "util");
                put32(b, r + 12, u32::MAX)
            }),
            "over the limit",
        ),
        (
            "blob compression",
            Box::new(|b| {
                let r = blob_record(b, "util");
                b[r + 20] = 7
            }),
            "unknown compression 7",
        ),
        (
            "a deflated blob that lies about its length",
            Box::new(|b| {
                let r = blob_record(b, "util");
                b[r + 20] = 1
            }),
            "blob",
        ),
        (
            "section length",
            Box::new(|b| {
                let at = HEADER_LEN + SECTION_ENTRY_LEN + 16;
                b[at..at + 8].copy_from_slice(&(1u64 << 40).to_le_bytes())
            }),
            "run past its end",
        ),
        ("section count", Box::new(|b| put32(b, 16, 9)), "9 sections"),
        (
            "index slots",
            Box::new(|b| {
                let at = section(b, 2).0;
                put32(b, at, 3)
            }),
            "not a power of two",
        ),
        (
            "index record",
            Box::new(|b| {
                let (at, len) = section(b, 2);
                for s in (at + 8..at + len).step_by(8) {
                    if b[s..s + 4] != [0; 4] {
                        put32(b, s, 60_000);
                    }
                }
            }),
            "past the",
        ),
        ("version", Box::new(|b| b[8] = 2), "format version 2"),
    ];
    for (what, edit, expect) in cases {
        let e = edited(edit, "util");
        assert!(e.message().contains(expect), "{what}: {}", e.message());
        assert!(e.message().contains("bundle 'bundle:/game'"), "{what}: {}", e.message());
        assert!(matches!(e.code(), ErrorCode::Import | ErrorCode::InvalidMount), "{what}: {:?}", e.code());
    }
}

#[test]
fn an_index_that_loops_ends_its_probe_with_an_error() {
    let mut bytes = bundle_bytes();
    let (at, len) = section(&bytes, 2);
    // Every slot filled with a record that no name's tag matches: a probe goes round the whole index.
    for s in (at + 8..at + len).step_by(8) {
        put32(&mut bytes, s, 1);
        put32(&mut bytes, s + 4, 0x5a5a_5a5a);
    }
    reseal(&mut bytes);
    let bundle = Bundle::open("loop.ikb", bytes).unwrap();
    let e = bundle.find("util").unwrap_err();
    assert!(e.message().contains("no empty slot"), "{}", e.message());
    assert!(bundle.verify().is_err());
}

#[test]
fn a_blob_that_fails_its_checksum_never_reaches_the_executor() {
    let mut bytes = bundle_bytes();
    let bundle = Bundle::open("probe", bytes.clone()).unwrap();
    let blob = bundle.blob_info(bundle.find("util").unwrap().unwrap().blob.unwrap()).unwrap();
    bytes[blob.offset as usize] ^= 0x20;
    let (rt, ex, _slot) = runtime();
    rt.mount_bundle("game", Arc::<[u8]>::from(bytes), MountMode::New).unwrap();
    assert!(rt.find_spec("game.util", None).is_ok(), "finding reads no bytes");
    let e = rt.import("game.core", None).unwrap_err();
    assert!(e.message().contains("fails its CRC-32 check"), "{}", e.message());
    assert!(e.message().contains("bundle 'bundle:/game': module 'util': blob"), "{}", e.message());
    assert_eq!(ex.exec_count("game.util"), 0);
    // Its neighbours are intact.
    rt.import("game.pkg.mod", None).unwrap();
}

#[test]
fn garbage_and_foreign_files_are_not_bundles() {
    for bytes in [&b""[..], b"IKBUNDL", b"PK\x03\x04 not a bundle at all", &[0u8; 400]] {
        let e = Bundle::open("x", bytes.to_vec()).err().expect("refused");
        assert_eq!(e.code(), ErrorCode::InvalidMount);
    }
    let rt = Runtime::default();
    assert_eq!(rt.mount_bundle("game", vec![1u8, 2, 3], MountMode::New).unwrap_err().code(), ErrorCode::InvalidMount);
    assert!(rt.mount_bundle("a.b", bundle_bytes(), MountMode::New).is_err());
    assert!(rt.meta_path().iter().all(|(_, p)| !p.starts_with("bundle:")));
}

/// Writes the seed corpus of the `bundle` fuzz target (fuzz/seeds/bundle): real bundles (a tree, the
/// same deflated, one with compiled code and metadata, an empty one, a Lua one) and broken ones (cut short,
/// a blob's byte changed, a blob record and an index that lie, resealed). Run when the format changes:
/// `cargo test --test bundle -- --ignored write_fuzz_seeds`.
#[test]
#[ignore]
fn write_fuzz_seeds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/bundle");
    std::fs::create_dir_all(&dir).unwrap();
    let tree = bundle_bytes();
    let mut compressed = BundleBuilder::from_tree(files(), &Profile::python()).unwrap();
    compressed.compress(true);
    let mut code = BundleBuilder::new();
    code.add_module(BundleModule::new("", "__init__.py", ModuleKind::Source, true).source("x = 1\n".repeat(40)))
        .unwrap();
    code.add_module(BundleModule::new("m", "m.py", ModuleKind::Source, false).source("y").code("cpython-311", "c"))
        .unwrap();
    code.add_metadata("m-1.0.dist-info", vec![("METADATA".into(), b"Name: m".to_vec())]).unwrap();
    code.compress(true);
    let lua = BundleBuilder::from_tree(
        vec![MountFile::new("init.lua", "x"), MountFile::new("a/b.lua", "y"), MountFile::new("a/init.lua", "")],
        &Profile::lua(),
    )
    .unwrap();
    let mut seeds: Vec<(&str, Vec<u8>)> = vec![
        ("tree", tree.clone()),
        ("compressed", compressed.build().unwrap()),
        ("code-and-metadata", code.build().unwrap()),
        ("empty", BundleBuilder::new().build().unwrap()),
        ("lua", lua.build().unwrap()),
        ("truncated", tree[..tree.len() / 2].to_vec()),
    ];
    let mut flipped = tree.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x10;
    seeds.push(("flipped-data", flipped));
    let mut lying = tree.clone();
    let r = blob_record(&lying, "util");
    put32(&mut lying, r + 8, 1 << 20);
    reseal(&mut lying);
    seeds.push(("lying-blob", lying));
    let mut looping = tree.clone();
    let (at, len) = section(&looping, 2);
    for s in (at + 8..at + len).step_by(8) {
        put32(&mut looping, s, 1);
    }
    reseal(&mut looping);
    seeds.push(("looping-index", looping));
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
fn a_bundle_file_mounts_mapped_or_read_and_a_pinned_digest_is_enforced() {
    use importkit::bundle::{FileBytes, Load};
    let dir = common::scratch::Scratch::new("bundle");
    let path = dir.path("game.ikb");
    std::fs::write(&path, bundle_bytes()).unwrap();
    for load in [Load::Map, Load::Read] {
        let (rt, ex, _slot) = runtime();
        rt.mount_bundle_file("game", &path, load, MountMode::New).unwrap();
        let h = rt.import("game.core", None).unwrap();
        assert_eq!(ex.attr(h, "core").as_deref(), Some("yes"), "{load:?}");
        let held = rt.resource("game.pkg", "assets/logo.bin").unwrap();
        rt.unmount("game").unwrap();
        assert_eq!(&*held.bytes().unwrap(), &[0, 1, 2, 255, 254, 0, 0, 7], "lent bytes outlive the mount ({load:?})");
    }
    let bytes = FileBytes::open(&path, Load::Map).unwrap();
    assert!(bytes.is_mapped());
    assert_eq!(bytes.as_ref(), &bundle_bytes()[..]);
    assert_eq!(bytes.slice(40..48).as_ref(), &bundle_bytes()[40..48]);
    assert!(bytes.slice(10..usize::MAX).as_ref().len() == bytes.as_ref().len() - 10, "a slice is clamped");

    // Pinning: the right digest mounts, any other is refused naming both.
    let bundle = Bundle::open(path.display().to_string(), bytes.clone()).unwrap();
    let digest = bundle.digest();
    let rt = Runtime::default();
    rt.mount_opened_bundle("game", bundle.pinned(&digest).unwrap(), MountMode::New).unwrap();
    let mut wrong = digest;
    wrong[31] ^= 1;
    let e = Bundle::open("game.ikb", bytes).unwrap().pinned(&wrong).err().unwrap();
    assert_eq!(e.code(), ErrorCode::InvalidMount);
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert!(e.message().contains(&hex(&digest)) && e.message().contains(&hex(&wrong)), "{e}");

    // Files that are not bundles, or not there, are refused naming the file.
    let rt = Runtime::default();
    for (what, p) in [
        ("missing", dir.path("absent.ikb")),
        ("a directory", dir.0.clone()),
        ("empty", std::path::PathBuf::from(dir.put("empty.ikb", b""))),
        ("garbage", std::path::PathBuf::from(dir.put("junk.ikb", b"PK\x03\x04 not a bundle at all, really"))),
    ] {
        for load in [Load::Map, Load::Read] {
            let e = rt.mount_bundle_file("x", &p, load, MountMode::New).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidMount, "{what}: {e}");
            assert!(e.message().contains(&*p.display().to_string()), "{what}: {e}");
        }
    }
}

/// A runtime whose search path is `entries` (files and directories), rechecking every time.
fn path_runtime(entries: &[String]) -> (Runtime, std::sync::Arc<common::TestExecutor>) {
    let (rt, ex, slot) = runtime();
    std::mem::forget(slot);
    rt.enable_filesystem(true);
    rt.set_recheck(std::time::Duration::ZERO);
    let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
    rt.set_search_path(&refs).unwrap();
    (rt, ex)
}

#[test]
fn a_bundle_on_the_search_path_serves_as_a_zip_archive_does() {
    let dir = common::scratch::Scratch::new("bundle-path");
    let ikb = dir.put("app.ikb", &bundle_bytes());
    dir.write("plain/ns/other.py", "set other yes");
    dir.write("plain/after.py", "set after yes");
    let (rt, ex) = path_runtime(&[ikb.clone(), dir.s("plain")]);

    let h = rt.import("util", None).unwrap();
    assert_eq!(ex.attr(h, "util").as_deref(), Some("yes"), "a bundled module imports");
    let e = rt.import("core", None).unwrap_err();
    assert!(e.message().contains("no known parent package"), "top-level on the path, 'core' has no parent: {e}");
    let spec = rt.find_spec("pkg.mod", None).unwrap();
    assert_eq!(spec.origin(), format!("bundle:{ikb}/pkg/mod.py"));
    assert_eq!(spec.file(), Some(format!("{ikb}/pkg/mod.py").as_str()));
    let pkg = rt.find_spec("pkg", None).unwrap();
    assert!(pkg.is_package());
    assert_eq!(pkg.file(), Some(format!("{ikb}/pkg/__init__.py").as_str()));
    assert_eq!(pkg.locations().collect::<Vec<_>>(), [format!("{ikb}/pkg")]);
    assert_eq!(rt.find_spec("pkg.sub.deep", None).unwrap().file(), Some(format!("{ikb}/pkg/sub/deep.py").as_str()));
    assert_eq!(rt.find_spec("pkg.compiled", None).unwrap().kind(), ModuleKind::Bytecode);
    let h = rt.import("both", None).unwrap();
    assert_eq!(ex.attr(h, "which").as_deref(), Some("package"));
    assert_eq!(rt.find_spec("after", None).unwrap().file(), Some(dir.s("plain/after.py").as_str()), "falls through");

    // A namespace package gathers its portions from the bundle and the directory after it.
    let ns = rt.find_spec("ns", None).unwrap();
    assert_eq!(ns.kind(), ModuleKind::Namespace);
    assert_eq!(ns.locations().collect::<Vec<_>>(), [format!("{ikb}/ns"), dir.s("plain/ns")]);
    assert_eq!(rt.find_spec("ns.part", None).unwrap().file(), Some(format!("{ikb}/ns/part.py").as_str()));
    assert_eq!(rt.find_spec("ns.other", None).unwrap().file(), Some(dir.s("plain/ns/other.py").as_str()));

    // Resources and listing through the bundle's packages and entries.
    assert_eq!(rt.read_resource("pkg", "assets/logo.bin").unwrap(), [0, 1, 2, 255, 254, 0, 0, 7]);
    let mut listed = rt.resources("pkg").unwrap();
    listed.sort();
    assert_eq!(listed, ["__init__.py", "assets", "compiled.pyc", "mod.py", "readme.txt", "sub"]);
    let top: Vec<(String, bool)> = rt.iter_modules(None).unwrap().into_iter().map(|m| (m.name, m.is_package)).collect();
    for want in [("core", false), ("both", true), ("pkg", true), ("after", false)] {
        assert!(top.contains(&(want.0.to_owned(), want.1)), "{want:?} in {top:?}");
    }
    assert!(!top.iter().any(|(n, _)| n == "ns" || n.is_empty()), "no namespace, no root record: {top:?}");
    let pkg_mods: Vec<String> = rt.iter_modules(Some("pkg")).unwrap().into_iter().map(|m| m.name).collect();
    assert_eq!(pkg_mods, ["compiled", "mod", "sub"]);
    assert_eq!(rt.find_spec("nothing", None).unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn an_entry_into_a_directory_of_a_bundle_serves_that_directory() {
    let dir = common::scratch::Scratch::new("bundle-sub");
    let ikb = dir.put("app.ikb", &bundle_bytes());
    let (rt, _ex) = path_runtime(&[format!("{ikb}/pkg"), format!("{ikb}/pkg/sub/")]);
    let spec = rt.find_spec("mod", None).unwrap();
    assert_eq!((spec.name(), spec.file()), ("mod", Some(format!("{ikb}/pkg/mod.py").as_str())));
    assert_eq!(rt.find_spec("deep", None).unwrap().file(), Some(format!("{ikb}/pkg/sub/deep.py").as_str()));
    assert!(rt.find_spec("sub", None).unwrap().is_package());
    assert_eq!(rt.find_spec("core", None).unwrap_err().code(), ErrorCode::NotFound, "the root is not this entry");
    let names: Vec<String> = rt.iter_modules(None).unwrap().into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["compiled", "mod", "sub", "deep"], "entry by entry, each sorted, as pkgutil lists");
}

#[test]
fn a_bundle_on_the_path_is_opened_again_when_it_changes_and_a_bad_one_is_passed_over() {
    let dir = common::scratch::Scratch::new("bundle-change");
    let ikb = dir.put("app.ikb", &bundle_bytes());
    dir.write("plain/core.py", "set core plain");
    let (rt, _ex) = path_runtime(&[ikb.clone(), dir.s("plain")]);
    assert!(rt.find_spec("core", None).unwrap().origin().starts_with("bundle:"));
    // Replaced by another bundle (a new file put in its place, as a build writes it).
    let other =
        BundleBuilder::from_tree(vec![MountFile::new("fresh.py", "")], &Profile::python()).unwrap().build().unwrap();
    let tmp = dir.put("app.ikb.new", &other);
    std::fs::rename(&tmp, &ikb).unwrap();
    assert!(rt.find_spec("fresh", None).is_ok());
    assert_eq!(rt.find_spec("core", None).unwrap().file(), Some(dir.s("plain/core.py").as_str()));
    // Corrupt: the header fails its check; the entry serves nothing and says why; the search goes on.
    let mut bad = bundle_bytes();
    bad[100] ^= 0xff;
    let tmp = dir.put("app.ikb.new", &bad);
    std::fs::rename(&tmp, &ikb).unwrap();
    assert_eq!(rt.find_spec("core", None).unwrap().file(), Some(dir.s("plain/core.py").as_str()));
    let e = rt.find_spec("pkg", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert!(e.to_string().contains("app.ikb") && e.to_string().contains("CRC"), "{e}");
    // A blob that fails its checksum is found and refused when the module executes.
    let mut bytes = bundle_bytes();
    let bundle = Bundle::open("probe", bytes.clone()).unwrap();
    let blob = bundle.blob_info(bundle.find("util").unwrap().unwrap().blob.unwrap()).unwrap();
    bytes[blob.offset as usize] ^= 0x20;
    let tmp = dir.put("app.ikb.new", &bytes);
    std::fs::rename(&tmp, &ikb).unwrap();
    let e = rt.import("util", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Import, "{e}");
    assert!(e.to_string().contains("util") && e.to_string().contains("CRC"), "{e}");
}
