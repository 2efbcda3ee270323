//! Zip archives as path entries, as CPython's zipimport has them: entries into an archive and into a
//! directory of one, files and origins, zipimport's precedence, namespace portions, stored, deflated and
//! zip64 members, the index cached and read again, resources and listing, and bad archives of every kind
//! refused with an error naming the archive and the member.

mod common;

use std::fs;
use std::time::Duration;

use common::scratch::Scratch;
use importkit::{ErrorCode, ModuleKind, Runtime};

/// One member of an archive the tests write, with ways to make it lie.
#[derive(Clone, Default)]
struct M {
    name: Vec<u8>,
    data: Vec<u8>,
    deflate: bool,
    flags: u16,
    method: Option<u16>,
    /// Declared sizes and CRC instead of the true ones (in both headers).
    size: Option<u64>,
    csize: Option<u64>,
    crc: Option<u32>,
    /// The name its local header gives, if not its own.
    local_name: Option<Vec<u8>>,
    /// Its local header offset as the central directory gives it, if not the true one.
    offset: Option<u64>,
}

fn m(name: &str, data: &str) -> M {
    M { name: name.into(), data: data.into(), ..M::default() }
}

fn deflated(name: &str, data: &str) -> M {
    M { deflate: true, ..m(name, data) }
}

fn dir(name: &str) -> M {
    m(name, "")
}

/// An archive the tests write: members in order, a comment, bytes before it, zip64 records.
#[derive(Clone, Default)]
struct Zip {
    members: Vec<M>,
    comment: Vec<u8>,
    cruft: Vec<u8>,
    zip64: bool,
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn u64le(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

impl Zip {
    fn of(members: Vec<M>) -> Zip {
        Zip { members, ..Zip::default() }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = self.cruft.clone();
        let base = out.len() as u64;
        let mut central = Vec::new();
        for e in &self.members {
            let packed = if e.deflate { miniz_oxide::deflate::compress_to_vec(&e.data, 6) } else { e.data.clone() };
            let method = e.method.unwrap_or(if e.deflate { 8 } else { 0 });
            let crc = e.crc.unwrap_or_else(|| crc32fast::hash(&e.data));
            let size = e.size.unwrap_or(e.data.len() as u64);
            let csize = e.csize.unwrap_or(packed.len() as u64);
            let offset = out.len() as u64 - base;
            let wide = |v: u64| if self.zip64 { u32::MAX } else { v as u32 };
            let local_name = e.local_name.clone().unwrap_or_else(|| e.name.clone());
            out.extend_from_slice(b"PK\x03\x04");
            u16le(&mut out, 20);
            u16le(&mut out, e.flags);
            u16le(&mut out, method);
            u16le(&mut out, 0);
            u16le(&mut out, 0x21);
            u32le(&mut out, crc);
            u32le(&mut out, wide(csize));
            u32le(&mut out, wide(size));
            u16le(&mut out, local_name.len() as u16);
            u16le(&mut out, 0);
            out.extend_from_slice(&local_name);
            out.extend_from_slice(&packed);
            let mut extra = Vec::new();
            if self.zip64 {
                u16le(&mut extra, 1);
                u16le(&mut extra, 24);
                u64le(&mut extra, size);
                u64le(&mut extra, csize);
                u64le(&mut extra, e.offset.unwrap_or(offset));
            }
            central.extend_from_slice(b"PK\x01\x02");
            u16le(&mut central, 45);
            u16le(&mut central, 45);
            u16le(&mut central, e.flags);
            u16le(&mut central, method);
            u16le(&mut central, 0);
            u16le(&mut central, 0x21);
            u32le(&mut central, crc);
            u32le(&mut central, wide(csize));
            u32le(&mut central, wide(size));
            u16le(&mut central, e.name.len() as u16);
            u16le(&mut central, extra.len() as u16);
            u16le(&mut central, 0);
            u16le(&mut central, 0);
            u16le(&mut central, 0);
            u32le(&mut central, 0);
            u32le(&mut central, wide(e.offset.unwrap_or(offset)));
            central.extend_from_slice(&e.name);
            central.extend_from_slice(&extra);
        }
        let cd_offset = out.len() as u64 - base;
        let n = self.members.len() as u64;
        out.extend_from_slice(&central);
        if self.zip64 {
            let record = out.len() as u64 - base;
            out.extend_from_slice(b"PK\x06\x06");
            u64le(&mut out, 44);
            u16le(&mut out, 45);
            u16le(&mut out, 45);
            u32le(&mut out, 0);
            u32le(&mut out, 0);
            u64le(&mut out, n);
            u64le(&mut out, n);
            u64le(&mut out, central.len() as u64);
            u64le(&mut out, cd_offset);
            out.extend_from_slice(b"PK\x06\x07");
            u32le(&mut out, 0);
            u64le(&mut out, record);
            u32le(&mut out, 1);
        }
        out.extend_from_slice(b"PK\x05\x06");
        u16le(&mut out, 0);
        u16le(&mut out, 0);
        let count = if self.zip64 { u16::MAX } else { n as u16 };
        u16le(&mut out, count);
        u16le(&mut out, count);
        u32le(&mut out, if self.zip64 { u32::MAX } else { central.len() as u32 });
        u32le(&mut out, if self.zip64 { u32::MAX } else { cd_offset as u32 });
        u16le(&mut out, self.comment.len() as u16);
        out.extend_from_slice(&self.comment);
        out
    }
}

type Fs = (Runtime, std::sync::Arc<common::TestExecutor>, std::sync::Arc<common::RuntimeSlot>);

fn fs_runtime<S: AsRef<str>>(entries: &[S]) -> Fs {
    let (rt, ex, slot) = common::runtime();
    rt.enable_filesystem(true);
    rt.set_recheck(Duration::ZERO);
    let refs: Vec<&str> = entries.iter().map(AsRef::as_ref).collect();
    rt.set_search_path(&refs).unwrap();
    (rt, ex, slot)
}

fn app() -> Zip {
    Zip::of(vec![
        m("pkg/__init__.py", "set init 1"),
        deflated("pkg/mod.py", &"set x 1\n".repeat(50)),
        m("pkg/data.txt", "hello"),
        deflated("pkg/empty.py", ""),
        m("pkg/sub/__init__.py", ""),
        m("top.py", "set top 1"),
        dir("lib/"),
        m("lib/inner.py", "set inner 1"),
    ])
}

#[test]
fn files_origins_and_locations_are_zipimports() {
    let d = Scratch::new("zip");
    let zip = d.put("app.zip", &app().bytes());
    let (rt, _ex, _s) = fs_runtime(&[zip.clone(), format!("{zip}/lib")]);
    let pkg = rt.find_spec("pkg", None).unwrap();
    assert_eq!(pkg.file(), Some(format!("{zip}/pkg/__init__.py").as_str()));
    assert_eq!(pkg.origin(), format!("zip:{zip}/pkg/__init__.py"));
    assert_eq!(pkg.locations().collect::<Vec<_>>(), [format!("{zip}/pkg")]);
    assert!(pkg.is_package() && pkg.cached().is_none());
    let m = rt.find_spec("pkg.mod", None).unwrap();
    assert_eq!(
        (m.file(), m.kind(), m.is_package()),
        (Some(format!("{zip}/pkg/mod.py").as_str()), ModuleKind::Source, false)
    );
    let sub = rt.find_spec("pkg.sub", None).unwrap();
    assert_eq!(sub.locations().collect::<Vec<_>>(), [format!("{zip}/pkg/sub")]);
    // An entry into a directory of the archive (zipimport's `/a/app.zip/lib`).
    let inner = rt.find_spec("inner", None).unwrap();
    assert_eq!(inner.file(), Some(format!("{zip}/lib/inner.py").as_str()));
    // The same with a trailing slash and doubled separators, as zipimport joins them.
    let (rt2, _e, _s2) = fs_runtime(&[format!("{zip}//lib/")]);
    assert_eq!(rt2.find_spec("inner", None).unwrap().file(), Some(format!("{zip}/lib/inner.py").as_str()));
    // An entry into a directory the archive does not have serves nothing, and says where it looked.
    let (rt3, _e, _s3) = fs_runtime(&[format!("{zip}/nowhere")]);
    let e = rt3.find_spec("inner", None).unwrap_err();
    assert!(e.message().contains(&format!("{zip}/nowhere: no nowhere/inner.py")), "{e}");
}

#[test]
fn the_command_line_resolves_in_an_archive() {
    let d = Scratch::new("zip");
    let zip = d.put("app.zip", &app().bytes());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_importkit"))
        .args(["resolve", "--path", &zip, "pkg.mod", "top"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert_eq!(text, format!("pkg.mod: zip:{zip}/pkg/mod.py (source)\ntop: zip:{zip}/top.py (source)\n"));
}

#[test]
fn precedence_is_zipimports() {
    let d = Scratch::new("zip");
    let zip = d.put(
        "p.zip",
        &Zip::of(vec![
            m("a.py", ""),
            m("a.pyc", ""),
            m("a/__init__.py", ""),
            m("b.py", ""),
            m("b.pyc", ""),
            m("c/__init__.py", ""),
            m("c/__init__.pyc", ""),
            dir("d/"),
            m("d.py", ""),
            m("e.so", ""),
            dir("f/"),
        ])
        .bytes(),
    );
    let (rt, _ex, _s) = fs_runtime(&[&zip]);
    let file = |n: &str| rt.find_spec(n, None).unwrap().file().unwrap().strip_prefix(&zip).unwrap().to_owned();
    // A package beats a module; bytecode beats source; a module beats a directory; no extension in a zip.
    assert_eq!(file("a"), "/a/__init__.py");
    assert_eq!(file("b"), "/b.pyc");
    assert_eq!(rt.find_spec("b", None).unwrap().kind(), ModuleKind::Bytecode);
    assert_eq!(file("c"), "/c/__init__.pyc");
    assert_eq!(file("d"), "/d.py");
    assert_eq!(rt.find_spec("e", None).unwrap_err().code(), ErrorCode::NotFound);
    let f = rt.find_spec("f", None).unwrap();
    assert_eq!(
        (f.kind(), f.locations().collect::<Vec<_>>()),
        (ModuleKind::Namespace, vec![format!("{zip}/f").as_str()])
    );
}

#[test]
fn namespace_portions_need_a_directory_entry_and_merge_across_entries() {
    let d = Scratch::new("zip");
    // As zipimport: a directory the archive only implies (no `ns/` entry) is no namespace portion.
    let implied = d.put("implied.zip", &Zip::of(vec![m("ns/a.py", ""), m("pkg/__init__.py", "")]).bytes());
    let named = d
        .put("named.zip", &Zip::of(vec![dir("ns/"), m("ns/b.py", ""), dir("ns/deep/"), m("ns/deep/c.py", "")]).bytes());
    d.put("tree/ns/t.py", b"");
    let (rt, _ex, _s) = fs_runtime(&[&implied]);
    assert_eq!(rt.find_spec("ns", None).unwrap_err().code(), ErrorCode::NotFound);
    assert!(rt.find_spec("pkg", None).is_ok(), "a package needs no directory entry");
    let (rt, _ex, _s) = fs_runtime(&[d.s("tree"), named.clone(), implied]);
    let ns = rt.find_spec("ns", None).unwrap();
    assert_eq!(ns.locations().collect::<Vec<_>>(), [d.s("tree/ns"), format!("{named}/ns")]);
    assert_eq!(rt.find_spec("ns.t", None).unwrap().file(), Some(d.s("tree/ns/t.py").as_str()));
    assert_eq!(rt.find_spec("ns.b", None).unwrap().file(), Some(format!("{named}/ns/b.py").as_str()));
    let deep = rt.find_spec("ns.deep", None).unwrap();
    assert_eq!(deep.locations().collect::<Vec<_>>(), [format!("{named}/ns/deep")]);
    assert_eq!(rt.find_spec("ns.deep.c", None).unwrap().file(), Some(format!("{named}/ns/deep/c.py").as_str()));
    assert_eq!(rt.find_spec("ns.a", None).unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn stored_deflated_and_zip64_members_execute_with_their_bytes() {
    let d = Scratch::new("zip");
    for (name, zip) in [("plain.zip", app()), ("z64.zip", Zip { zip64: true, ..app() })] {
        let path = d.put(name, &zip.bytes());
        let (rt, ex, _s) = fs_runtime(&[path]);
        let h = rt.import("pkg.mod", None).unwrap();
        assert_eq!(ex.attr(h, "x").as_deref(), Some("1"), "{name}");
        let top = rt.import("top", None).unwrap();
        assert_eq!(ex.attr(top, "top").as_deref(), Some("1"), "{name}");
        assert!(rt.import("pkg.empty", None).is_ok(), "{name}: an empty deflated member");
    }
}

#[test]
fn bytes_before_the_archive_and_a_comment_are_fine() {
    let d = Scratch::new("zip");
    let zip = Zip { cruft: b"#!/bin/sh\nexec something\n".to_vec(), comment: b"built by hand".to_vec(), ..app() };
    let path = d.put("sfx.zip", &zip.bytes());
    let (rt, ex, _s) = fs_runtime(&[path]);
    let h = rt.import("pkg.mod", None).unwrap();
    assert_eq!(ex.attr(h, "x").as_deref(), Some("1"));
    let longest = Zip { comment: vec![b'c'; 65_535], ..app() };
    let path = d.put("long.zip", &longest.bytes());
    let (rt, _ex, _s) = fs_runtime(&[path]);
    assert!(rt.find_spec("top", None).is_ok());
}

#[test]
fn finding_reads_no_member_and_a_bad_member_fails_when_it_executes() {
    let d = Scratch::new("zip");
    let bad = M { crc: Some(0xdead_beef), ..deflated("bad.py", "set x 1") };
    let zip = d.put("app.zip", &Zip::of(vec![bad, m("ok.py", "")]).bytes());
    let (rt, _ex, _s) = fs_runtime(&[&zip]);
    // Found without reading it (the CRC is only checked on reading).
    assert_eq!(rt.find_spec("bad", None).unwrap().file(), Some(format!("{zip}/bad.py").as_str()));
    let e = rt.import("bad", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Import);
    assert_eq!(e.message(), format!("zip archive '{zip}': member 'bad.py' fails its CRC check"));
    assert!(rt.module("bad").is_none());
    assert!(rt.import("ok", None).is_ok(), "the runtime stays usable");
}

#[test]
fn a_member_not_read_names_the_module_the_archive_and_the_member() {
    let d = Scratch::new("zip");
    let bad = M { crc: Some(0xdead_beef), ..m("bad.py", "set x 1") };
    let path = d.put("root/app.zip", &Zip::of(vec![bad, m("top.py", ""), m("pkg/__init__.py", "")]).bytes());
    let (rt, _ex, _s) = fs_runtime(&[&path]);
    let e = rt.import("bad", None).unwrap_err();
    assert_eq!((e.code(), e.module()), (ErrorCode::Import, Some("bad")), "{e}");
    // The archive gone after the find: the module, the archive and the member are named.
    rt.set_recheck(Duration::from_secs(3600));
    let _ = rt.find_spec("top", None).unwrap();
    let moved = d.s("root/moved.zip");
    fs::rename(&path, &moved).unwrap();
    let e = rt.import("top", None).unwrap_err();
    assert_eq!((e.code(), e.module()), (ErrorCode::Import, Some("top")), "{e}");
    assert!(e.message().starts_with(&format!("zip archive '{path}': member 'top.py' not read: ")), "{e}");
    // Under confinement, swapped for a link to an archive outside: refused, saying which.
    let outside = d.put("outside/app.zip", &fs::read(&moved).unwrap());
    fs::rename(&moved, &path).unwrap();
    let (rt, _ex, _s) = fs_runtime(&[&path]);
    rt.confine(&d.s("root")).unwrap();
    rt.set_recheck(Duration::from_secs(3600));
    let _ = rt.find_spec("top", None).unwrap();
    fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&outside, &path).unwrap();
    let e = rt.import("top", None).unwrap_err();
    assert_eq!(e.module(), Some("top"), "{e}");
    assert_eq!(
        e.message(),
        format!(
            "zip archive '{path}': member 'top.py' not read: refused: outside the allowed roots, or does not exist"
        )
    );
}

/// The message of importing `name` from an archive made of `zip`, or of finding it when `find`.
fn failure(zip: Zip, name: &str) -> (ErrorCode, String, String) {
    let d = Scratch::new("zip");
    let path = d.put("bad.zip", &zip.bytes());
    let (rt, _ex, _s) = fs_runtime(&[&path]);
    let e = rt.import(name, None).unwrap_err();
    (e.code(), e.message().replace(&path, "ZIP"), path)
}

#[test]
fn members_that_lie_are_refused_when_read() {
    let big = "set x 1\n".repeat(100);
    let cases: Vec<(M, &str)> = vec![
        (
            M { size: Some(10), ..deflated("m.py", &big) },
            "zip archive 'ZIP': member 'm.py' inflates past its declared size of 10 bytes",
        ),
        (
            M { size: Some(5000), ..deflated("m.py", &big) },
            "zip archive 'ZIP': member 'm.py' inflates to 800 bytes, not the 5000 it declares",
        ),
        (
            M { size: Some(3), ..m("m.py", "set x 1") },
            "zip archive 'ZIP': member 'm.py' is stored with two sizes, 7 and 3 bytes",
        ),
        (
            M { local_name: Some(b"x.py".to_vec()), ..m("m.py", "") },
            "zip archive 'ZIP': member 'm.py' has a local header that names another member, 'x.py'",
        ),
        (
            M { method: Some(8), ..m("m.py", "not deflate data at all") },
            "zip archive 'ZIP': member 'm.py' is not valid deflate data",
        ),
    ];
    for (member, want) in cases {
        let (code, message, _) = failure(Zip::of(vec![member, m("z.py", "")]), "m");
        assert_eq!(code, ErrorCode::Import, "{message}");
        assert!(message.starts_with(want), "{message}\n  wanted {want}");
    }
}

#[test]
fn members_that_cannot_be_read_are_refused_when_found() {
    let cases: Vec<(M, &str)> = vec![
        (
            M { flags: 1, ..m("m.py", "") },
            "zip archive 'ZIP': member 'm.py' is encrypted, which importkit does not read",
        ),
        (M { method: Some(12), ..m("m.py", "") }, "zip archive 'ZIP': member 'm.py' is compressed with method 12"),
        (
            M { size: Some(importkit::limits::MAX_ZIP_MEMBER_SIZE + 1), method: Some(8), ..m("m.py", "") },
            "zip archive 'ZIP': member 'm.py' declares 268435457 bytes, over the limit of 268435456",
        ),
    ];
    for (member, want) in cases {
        let d = Scratch::new("zip");
        let path = d.put("bad.zip", &Zip::of(vec![member, m("z.py", "")]).bytes());
        let (rt, _ex, _s) = fs_runtime(&[&path]);
        let e = rt.find_spec("m", None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Import);
        let message = e.message().replace(&path, "ZIP");
        assert!(message.starts_with(want), "{message}\n  wanted {want}");
        assert!(rt.find_spec("z", None).is_ok(), "the rest of the archive is served");
    }
}

/// Why the archive made of `bytes` is refused, as the not-found error of a search lists it.
fn refused(bytes: &[u8]) -> String {
    let d = Scratch::new("zip");
    let path = d.put("bad.zip", bytes);
    let (rt, _ex, _s) = fs_runtime(&[path.clone(), d.s("")]);
    d.put("other.py", b"");
    assert!(rt.find_spec("other", None).is_ok(), "a bad archive does not stop the search");
    let e = rt.find_spec("m", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    let a = e.attempts().iter().find(|a| a.place == path).expect("the archive is noted");
    a.reason.replace(&path, "ZIP")
}

#[test]
fn bad_archives_are_refused_naming_the_archive_and_the_member() {
    let good = Zip::of(vec![m("m.py", "set x 1"), m("n.py", "")]);
    let bytes = good.bytes();
    let mut hidden = good.clone();
    // A comment that holds a second end record (and so, for some readers, a second directory).
    let mut fake = bytes[bytes.len() - 22..].to_vec();
    fake[20] = 0;
    hidden.comment = fake;
    let mut trailing = bytes.clone();
    trailing.extend_from_slice(b"trailing");
    let mut wrong_count = bytes.clone();
    let n = wrong_count.len();
    wrong_count[n - 12] = 1;
    wrong_count[n - 14] = 1;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"hi".to_vec(), "zip archive 'ZIP' is not a zip file: 2 bytes, too short for one"),
        (vec![0u8; 100], "zip archive 'ZIP' is not a zip file: no end-of-central-directory record"),
        (bytes[..bytes.len() / 2].to_vec(), "zip archive 'ZIP' is not a zip file"),
        (bytes[20..].to_vec(), "zip archive 'ZIP' has a bad central directory offset"),
        (trailing, "zip archive 'ZIP' has bytes after its end-of-directory record"),
        (hidden.bytes(), "zip archive 'ZIP' has two end-of-directory records"),
        (wrong_count, "zip archive 'ZIP' has 2 members in its central directory, and its end record says 1"),
        (
            Zip::of(vec![m("m.py", ""), m("m.py", "")]).bytes(),
            "zip archive 'ZIP': member 'm.py' appears twice in the central directory",
        ),
        (Zip::of(vec![m("../m.py", "")]).bytes(), "zip archive 'ZIP': member '../m.py' has a '..' segment in its name"),
        (Zip::of(vec![m("a/../../m.py", "")]).bytes(), "zip archive 'ZIP': member 'a/../../m.py' has a '..' segment"),
        (Zip::of(vec![m("/etc/m.py", "")]).bytes(), "zip archive 'ZIP': member '/etc/m.py' has an absolute name"),
        (Zip::of(vec![m("", "")]).bytes(), "zip archive 'ZIP': member '' has an empty name"),
        (
            Zip::of(vec![m("m.py", "set x 1"), M { offset: Some(0), ..m("n.py", "") }]).bytes(),
            "zip archive 'ZIP': member 'm.py' overlaps member 'n.py'",
        ),
        (
            Zip::of(vec![M { csize: Some(1000), ..m("m.py", "set x 1") }]).bytes(),
            "zip archive 'ZIP': member 'm.py' runs into the central directory",
        ),
        (
            Zip::of(vec![M { name: vec![b'm', 0xff, b'.', b'p', b'y'], flags: 0x800, ..M::default() }]).bytes(),
            "zip archive 'ZIP': member 'm\u{fffd}.py' has a name that is not UTF-8",
        ),
    ];
    for (bytes, want) in cases {
        let why = refused(&bytes);
        assert!(why.starts_with(want), "{why}\n  wanted {want}");
    }
}

#[test]
fn the_index_is_kept_read_again_when_the_archive_changes_and_dropped_by_invalidate() {
    let d = Scratch::new("zip");
    let path = d.put("app.zip", &Zip::of(vec![m("one.py", "")]).bytes());
    let (rt, _ex, _s) = fs_runtime(&[&path]);
    assert!(rt.find_spec("one", None).is_ok());
    // Window 0: every search stats the archive; a change (size, mtime, inode) is read again.
    fs::write(&path, Zip::of(vec![m("one.py", ""), m("two.py", "")]).bytes()).unwrap();
    assert!(rt.find_spec("two", None).is_ok());
    // A long window trusts the index; invalidate drops it.
    rt.set_recheck(Duration::from_secs(3600));
    assert!(rt.find_spec("two", None).is_ok());
    let replaced = d.put("new.zip", &Zip::of(vec![m("three.py", "")]).bytes());
    fs::rename(&replaced, &path).unwrap();
    assert!(rt.find_spec("three", None).is_err(), "the index is trusted within the window");
    rt.invalidate();
    assert!(rt.find_spec("three", None).is_ok());
    assert!(rt.find_spec("two", None).is_err());
    // A spec found before the archive changed does not read the new archive's bytes as its own.
    let (rt2, _ex2, _s2) = fs_runtime(&[&path]);
    rt2.set_recheck(Duration::from_secs(3600));
    let _ = rt2.find_spec("three", None).unwrap();
    let again = d.put("again.zip", &Zip::of(vec![m("three.py", "set y 2")]).bytes());
    fs::rename(&again, &path).unwrap();
    let e = rt2.import("three", None).unwrap_err();
    assert!(e.message().contains("changed since it was indexed: member 'three.py' not read"), "{e}");
}

#[test]
fn an_archive_rewritten_in_place_with_its_mtime_put_back_is_seen_to_change() {
    let d = Scratch::new("zip");
    let path = d.put("app.zip", &Zip::of(vec![m("aa.py", "set x 1"), m("bb.py", "set y 2")]).bytes());
    let (rt, _ex, _s) = fs_runtime(&[&path]);
    rt.set_recheck(Duration::from_secs(3600));
    let _ = rt.find_spec("aa", None).unwrap();
    // Same size, same inode, the members in another order, the modification time set back as it was.
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
    std::io::Write::write_all(&mut &file, &Zip::of(vec![m("bb.py", "set y 2"), m("aa.py", "set x 1")]).bytes())
        .unwrap();
    file.set_modified(mtime).unwrap();
    drop(file);
    let e = rt.import("aa", None).unwrap_err();
    assert!(e.message().contains("changed since it was indexed: member 'aa.py' not read"), "{e}");
    rt.set_recheck(Duration::ZERO);
    assert!(rt.import("aa", None).is_ok(), "indexed again: the change is seen by the stat too");
}

#[test]
fn resources_and_listing_in_an_archive() {
    let d = Scratch::new("zip");
    let zip = Zip::of(vec![
        m("pkg/__init__.py", ""),
        m("pkg/data.txt", "hello"),
        deflated("pkg/big.txt", &"z".repeat(5000)),
        m("pkg/mod.py", ""),
        m("pkg/sub/__init__.py", ""),
        m("pkg/implied/x.txt", ""),
        m("pkg/not-an-identifier.py", ""),
        m("top.pyc", ""),
        m("other/__init__.py", ""),
    ]);
    let path = d.put("res.zip", &zip.bytes());
    let (rt, _ex, _s) = fs_runtime(&[path]);
    assert_eq!(rt.read_resource("pkg", "data.txt").unwrap(), b"hello");
    assert_eq!(rt.read_resource("pkg", "big.txt").unwrap(), "z".repeat(5000).as_bytes());
    assert!(rt.read_resource("pkg", "nope.txt").is_err());
    assert_eq!(
        rt.resources("pkg").unwrap(),
        ["__init__.py", "big.txt", "data.txt", "implied", "mod.py", "not-an-identifier.py", "sub"]
    );
    let names = |p: Option<&str>| -> Vec<(String, bool)> {
        rt.iter_modules(p).unwrap().into_iter().map(|m| (m.name, m.is_package)).collect()
    };
    // As pkgutil lists a zipimporter: a name that is no identifier is listed too.
    let want = [("mod".to_owned(), false), ("not-an-identifier".to_owned(), false), ("sub".to_owned(), true)];
    assert_eq!(names(Some("pkg")), want);
    assert_eq!(names(None), [("other".to_owned(), true), ("pkg".to_owned(), true), ("top".to_owned(), false)]);
}

#[test]
fn a_resource_that_fails_its_checks_is_an_error_about_its_package() {
    let d = Scratch::new("zip");
    let bad = M { crc: Some(1), ..m("pkg/data.txt", "hello") };
    let path = d.put("res.zip", &Zip::of(vec![m("pkg/__init__.py", ""), bad, dir("pkg/dir/")]).bytes());
    let (rt, _ex, _s) = fs_runtime(&[&path]);
    let e = rt.read_resource("pkg", "data.txt").unwrap_err();
    assert_eq!((e.code(), e.module()), (ErrorCode::Import, Some("pkg")), "{e}");
    assert_eq!(e.message(), format!("zip archive '{path}': member 'pkg/data.txt' fails its CRC check"));
    // A directory is no file, whether the archive names it or not.
    assert_eq!(rt.read_resource("pkg", "dir").unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn an_archive_outside_the_roots_is_refused() {
    let d = Scratch::new("zip");
    let path = d.put("outside/app.zip", &app().bytes());
    d.put("root/x.py", b"");
    let (rt, _ex, _s) = fs_runtime(&[path.clone(), format!("{path}/lib"), d.s("root")]);
    rt.confine(&d.s("root")).unwrap();
    let e = rt.find_spec("top", None).unwrap_err();
    assert!(e.message().contains("outside the allowed roots"), "{e}");
    assert!(rt.find_spec("inner", None).is_err());
    assert!(rt.find_spec("x", None).is_ok());
}

#[test]
fn packages_and_directories_of_an_archive_inside_the_roots_are_served() {
    let d = Scratch::new("zip");
    let zip = d.put("root/app.zip", &app().bytes());
    fs::create_dir_all(d.s("root/real")).unwrap();
    fs::rename(&zip, d.s("root/real/app.zip")).unwrap();
    std::os::unix::fs::symlink(d.s("root/real"), d.s("root/link")).unwrap();
    for zip in [d.s("root/real/app.zip"), d.s("root/link/app.zip")] {
        let (rt, ex, _s) = fs_runtime(&[zip.clone(), format!("{zip}/lib")]);
        rt.confine(&d.s("root")).unwrap();
        // A package's locations and an entry into a directory lead into the archive, inside the roots.
        let h = rt.import("pkg.mod", None).unwrap();
        assert_eq!(ex.attr(h, "x").as_deref(), Some("1"), "{zip}");
        assert_eq!(rt.find_spec("inner", None).unwrap().file(), Some(format!("{zip}/lib/inner.py").as_str()));
        assert_eq!(rt.read_resource("pkg", "data.txt").unwrap(), b"hello");
        assert!(rt.resources("pkg").unwrap().contains(&"data.txt".to_owned()));
        assert!(rt.iter_modules(Some("pkg")).unwrap().iter().any(|m| m.name == "mod"));
    }
    // Into an archive outside the roots, through a link or not: refused, and the same answer as for nothing.
    let out = d.put("outside/app.zip", &app().bytes());
    std::os::unix::fs::symlink(d.s("outside"), d.s("root/out")).unwrap();
    for entry in [format!("{out}/lib"), d.s("root/out/app.zip/lib"), d.s("root/missing.zip/lib")] {
        let (rt, _ex, _s) = fs_runtime(&[&entry]);
        rt.confine(&d.s("root")).unwrap();
        let e = rt.find_spec("inner", None).unwrap_err();
        assert!(e.message().contains(&format!("{entry}: refused: outside the allowed roots")), "{e}");
    }
}

#[test]
fn an_archive_of_ten_thousand_members_is_indexed_once() {
    let d = Scratch::new("zip");
    let members: Vec<M> = (0..10_000).map(|i| m(&format!("p{}/m{i}.py", i % 100), "")).collect();
    let path = d.put("big.zip", &Zip::of(members).bytes());
    let (rt, _ex, _s) = fs_runtime(&[&path]);
    rt.set_recheck(Duration::from_secs(3600));
    let ns_free = rt.find_spec("p7", None);
    assert!(ns_free.is_err(), "no directory entries, no namespace portions");
    let names: Vec<String> = (0..10_000).step_by(97).map(|i| format!("m{i}")).collect();
    let (rt2, _e2, _s2) = fs_runtime(&(0..100).map(|p| format!("{path}/p{p}")).collect::<Vec<_>>());
    for n in &names {
        assert!(rt2.find_spec(n, None).is_ok(), "{n}");
    }
}
