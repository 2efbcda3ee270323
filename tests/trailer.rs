//! A bundle appended to an executable (docs/BUNDLE.md, *The trailer*): appended and found again, mapped or
//! read; appending again replaces the bundle; files without a trailer, and trailers that are garbage, cut
//! short or lying, are refused with an error naming the file and what is wrong, never a panic.

mod common;

use common::runtime;
use common::scratch::Scratch;
use importkit::bundle::{append, appended, FileBytes, Load, Trailer};
use importkit::{Bundle, BundleBuilder, ErrorCode, MountFile, MountMode, Profile};

/// The trailer's length and the alignment of an appended bundle (docs/BUNDLE.md, *The trailer*).
const TRAILER_LEN: usize = 32;
const ALIGN: usize = 8;

/// A stand-in for an executable: an ELF-looking head and an odd length (so that padding shows).
fn exe() -> Vec<u8> {
    let mut b = b"\x7fELF\x02\x01\x01 not really a program".to_vec();
    b.extend((0..1001u32).map(|i| (i * 7) as u8));
    b
}

fn bundle_of(text: &str) -> Vec<u8> {
    let files = vec![MountFile::new("__init__.py", ""), MountFile::new("core.py", format!("set core {text}"))];
    BundleBuilder::from_tree(files, &Profile::python()).unwrap().build().unwrap()
}

/// Rewrites the trailer's fields and its CRC, as a liar would.
fn lying(file: &[u8], offset: u64, len: u64, version: u32) -> Vec<u8> {
    let mut out = file.to_vec();
    let t = out.len() - TRAILER_LEN;
    out[t + 8..t + 16].copy_from_slice(&offset.to_le_bytes());
    out[t + 16..t + 24].copy_from_slice(&len.to_le_bytes());
    out[t + 24..t + 28].copy_from_slice(&version.to_le_bytes());
    let crc = crc32fast::hash(&out[t..t + 28]);
    out[t + 28..].copy_from_slice(&crc.to_le_bytes());
    out
}

#[test]
fn an_appended_bundle_is_found_mapped_or_read_and_imports() {
    let dir = Scratch::new("trailer");
    let (exe, bundle) = (exe(), bundle_of("one"));
    let joined = append(&exe, &bundle).unwrap();
    assert_eq!(&joined[..exe.len()], &exe[..], "the program is kept as it was");
    let offset = exe.len().div_ceil(ALIGN) * ALIGN;
    assert!(offset > exe.len(), "the test program has an odd length, so that padding shows");
    assert!(joined[exe.len()..offset].iter().all(|b| *b == 0), "zero padding up to a multiple of 8");
    assert_eq!(&joined[offset..offset + bundle.len()], &bundle[..]);
    assert_eq!(joined.len(), offset + bundle.len() + TRAILER_LEN);
    let trailer = Trailer::find(&joined).unwrap().unwrap();
    assert_eq!(trailer, Trailer { offset: offset as u64, len: bundle.len() as u64 });
    assert_eq!(&joined[joined.len() - TRAILER_LEN..], &trailer.encode()[..]);
    assert_eq!(&trailer.encode()[..8], b"IKBTRAIL");

    let path = dir.put("app", &joined);
    for load in [Load::Map, Load::Read] {
        let bytes = FileBytes::open(path.as_ref(), load).unwrap();
        let inner = appended(&bytes).unwrap().expect("a bundle is appended");
        assert_eq!(inner.as_ref(), &bundle[..], "{load:?}");
        assert_eq!(inner.is_mapped(), load == Load::Map, "the slice shares the mapping or the copy");
        let b = Bundle::open_appended(path.as_ref(), load).unwrap();
        assert_eq!(b.bytes(), &bundle[..]);
        assert_eq!(b.label(), path, "the bundle is named by its file");
        b.verify().unwrap();
        let (rt, ex, _slot) = runtime();
        rt.mount_opened_bundle("app", b, MountMode::New).unwrap();
        let h = rt.import("app.core", None).unwrap();
        assert_eq!(ex.attr(h, "core").as_deref(), Some("one"), "{load:?}");
    }
}

#[test]
fn appending_again_replaces_the_bundle() {
    let exe = exe();
    let once = append(&exe, &bundle_of("one")).unwrap();
    let twice = append(&once, &bundle_of("two, longer than one")).unwrap();
    assert_eq!(twice, append(&exe, &bundle_of("two, longer than one")).unwrap(), "as if appended once");
    let shorter = append(&twice, &bundle_of("3")).unwrap();
    assert_eq!(shorter, append(&exe, &bundle_of("3")).unwrap());
    let dir = Scratch::new("trailer-twice");
    let path = dir.put("app", &shorter);
    let b = Bundle::open_appended(path.as_ref(), Load::Read).unwrap();
    assert_eq!(b.bytes(), &bundle_of("3")[..]);
    // Appending to a bare bundle (a file with no trailer) keeps it whole, as any program.
    let bare = bundle_of("bare");
    let on_bundle = append(&bare, &bundle_of("x")).unwrap();
    assert_eq!(&on_bundle[..bare.len()], &bare[..]);
    // What is appended must be a bundle.
    let e = append(&exe, b"not a bundle").unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    assert!(e.message().contains("not a bundle"), "{e}");
}

#[test]
fn files_without_a_trailer_carry_no_bundle() {
    let dir = Scratch::new("trailer-none");
    for (what, bytes) in [
        ("a program", exe()),
        ("an empty file", Vec::new()),
        ("a file shorter than a trailer", b"IKBTRAIL".to_vec()),
        ("a bare bundle", bundle_of("bare")),
        (
            "a program whose last byte is cut",
            append(&exe(), &bundle_of("x")).unwrap()[..].split_last().unwrap().1.to_vec(),
        ),
    ] {
        assert_eq!(Trailer::find(&bytes), Ok(None), "{what}");
        let path = dir.put("f", &bytes);
        for load in [Load::Map, Load::Read] {
            assert!(appended(&FileBytes::open(path.as_ref(), load).unwrap()).unwrap().is_none(), "{what}");
            let e = Bundle::open_appended(path.as_ref(), load).err().unwrap();
            assert_eq!(e.code(), ErrorCode::InvalidMount, "{what}");
            assert_eq!(e.message(), format!("no bundle is appended to '{path}'"), "{what}");
        }
    }
    let e = Bundle::open_appended(dir.path("absent").as_ref(), Load::Map).err().unwrap();
    assert_eq!(e.code(), ErrorCode::InvalidMount);
    assert!(e.message().contains("absent") && e.message().contains("cannot be opened"), "{e}");
    let e = Bundle::open_current_exe(Load::Map).err().unwrap();
    assert!(e.message().starts_with("no bundle is appended to '"), "the test program carries none: {e}");
}

#[test]
fn garbage_cut_and_lying_trailers_are_refused_saying_what_is_wrong() {
    let dir = Scratch::new("trailer-bad");
    let (exe, bundle) = (exe(), bundle_of("one"));
    let good = append(&exe, &bundle).unwrap();
    let t = Trailer::find(&good).unwrap().unwrap();
    let end = good.len() as u64 - TRAILER_LEN as u64;
    let mut garbage = exe.clone();
    garbage.extend_from_slice(b"IKBTRAIL");
    garbage.extend_from_slice(&[0xAB; 24]);
    let mut flipped = good.clone();
    let at = good.len() - 20;
    flipped[at] ^= 1;
    // The bundle cut short (bytes taken out of it), the trailer kept.
    let mut cut = good[..(t.offset + t.len / 2) as usize].to_vec();
    cut.extend_from_slice(&good[good.len() - TRAILER_LEN..]);
    let mut not_bundle = good.clone();
    not_bundle[t.offset as usize] = b'X';
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("garbage after the magic", garbage, "fails its CRC-32 check"),
        ("a flipped bit in the trailer", flipped, "fails its CRC-32 check"),
        ("the bundle cut short", cut, "does not end where the trailer starts"),
        ("another version", lying(&good, t.offset, t.len, 2), "version 2; this importkit reads version 1"),
        ("an offset past the file", lying(&good, end + 8, t.len, 1), "does not end where the trailer starts"),
        ("a length past the file", lying(&good, t.offset, t.len + 1, 1), "does not end where the trailer starts"),
        ("a length too short", lying(&good, t.offset, t.len - 8, 1), "does not end where the trailer starts"),
        ("an overflowing length", lying(&good, t.offset, u64::MAX, 1), "does not end where the trailer starts"),
        ("a huge offset", lying(&good, u64::MAX - 3, 4 + end, 1), "does not end where the trailer starts"),
        ("no bundle where it points", lying(&good, t.offset + 8, t.len - 8, 1), "no IKBUNDL magic"),
        ("bytes that are no bundle", not_bundle, "no IKBUNDL magic"),
        ("a bundle the whole file", lying(&good, 0, end, 1), "no IKBUNDL magic"),
    ];
    for (what, bytes, why) in cases {
        let found = Trailer::find(&bytes).expect_err(what);
        assert!(found.contains(why), "{what}: {found}");
        let path = dir.put("app", &bytes);
        for load in [Load::Map, Load::Read] {
            let e = appended(&FileBytes::open(path.as_ref(), load).unwrap()).err().expect(what);
            assert_eq!(e.code(), ErrorCode::InvalidMount, "{what}");
            assert!(e.message().contains(why), "{what}: {e}");
            let e = Bundle::open_appended(path.as_ref(), load).err().expect(what);
            assert_eq!(e.code(), ErrorCode::InvalidMount, "{what}");
            assert!(e.message().starts_with(&format!("'{path}' has a bundle trailer")), "{what}: {e}");
            assert!(e.message().contains(why), "{what}: {e}");
        }
        let e = append(&bytes, &bundle).unwrap_err();
        assert!(e.message().contains("refusing to append"), "a damaged trailer is not appended over ({what}): {e}");
    }
    // A trailer that is sound around a bundle that is not: the bundle's own checks refuse it, naming the file.
    let mut broken = good.clone();
    broken[t.offset as usize + 100] ^= 0xFF;
    let path = dir.put("app", &broken);
    let e = Bundle::open_appended(path.as_ref(), Load::Map).err().unwrap();
    assert_eq!(e.code(), ErrorCode::InvalidMount);
    assert!(e.message().starts_with(&format!("bundle '{path}' fails its header CRC-32 check")), "{e}");
}

/// Set in the copy of this test program that carries a bundle: the test then opens its own bundle.
const CHILD: &str = "IMPORTKIT_TRAILER_TEST_CHILD";

#[test]
fn a_program_opens_the_bundle_appended_to_itself() {
    if std::env::var_os(CHILD).is_some() {
        // In the copy: the bundle appended to the running program, found through current_exe.
        for load in [Load::Map, Load::Read] {
            let b = Bundle::open_current_exe(load).unwrap();
            b.verify().unwrap();
            let (rt, ex, _slot) = runtime();
            rt.mount_opened_bundle("app", b, MountMode::New).unwrap();
            let h = rt.import("app.core", None).unwrap();
            assert_eq!(ex.attr(h, "core").as_deref(), Some("itself"), "{load:?}");
        }
        return;
    }
    let dir = Scratch::new("trailer-self");
    let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    let copy = dir.put("with-bundle", &append(&me, &bundle_of("itself")).unwrap());
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = std::process::Command::new(&copy)
        .args(["--exact", "a_program_opens_the_bundle_appended_to_itself", "--test-threads", "1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("1 passed"), "the copy ran the test: {said}");
}
