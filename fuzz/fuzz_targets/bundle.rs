//! The bundle reader: the fuzzer's bytes opened as a bundle (the header's checks), then, with its two
//! CRC-32s made right again as a hostile writer would make them, opened and asked everything: every module
//! record, each module found again by its name through the index, its children, code entries, directory
//! listing and bytes, every file and blob, the metadata, and the whole verification; then mounted in a
//! runtime and each name found, listed and its resources read. Whatever the bytes, nothing panics or reads
//! outside them, and every error names the bundle in readable text.
#![no_main]

use importkit::bundle::format::Bundle;
use importkit::{MountMode, Runtime};
use libfuzzer_sys::fuzz_target;

mod common;

/// docs/BUNDLE.md: the header is 40 bytes, then 8 section entries of 24 bytes; the data section's offset
/// is the 8 bytes at 40 + 7 * 24 + 8.
const TABLES_START: usize = 40 + 8 * 24;

fn reseal(bytes: &mut [u8]) {
    if bytes.len() < TABLES_START {
        return;
    }
    let at = 40 + 7 * 24 + 8;
    let data = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    if let Ok(data) = usize::try_from(data) {
        if (TABLES_START..=bytes.len()).contains(&data) {
            let crc = crc32fast::hash(&bytes[TABLES_START..data]);
            bytes[24..28].copy_from_slice(&crc.to_le_bytes());
        }
    }
    bytes[20..24].copy_from_slice(&[0; 4]);
    let crc = crc32fast::hash(&bytes[..TABLES_START]);
    bytes[20..24].copy_from_slice(&crc.to_le_bytes());
}

fn named(e: importkit::Error) {
    common::check_error(&e);
    assert!(e.message().starts_with("bundle 'fuzz.ikb'"), "{}", e.message());
}

fuzz_target!(|data: &[u8]| {
    if let Err(e) = Bundle::open("fuzz.ikb", data.to_vec()) {
        named(e);
    }
    let mut sealed = data.to_vec();
    reseal(&mut sealed);
    let bundle = match Bundle::open("fuzz.ikb", sealed.clone()) {
        Ok(b) => b,
        Err(e) => return named(e),
    };
    let mut names = Vec::new();
    for i in 0..bundle.module_count().min(256) {
        let m = match bundle.module(i) {
            Ok(m) => m,
            Err(e) => {
                named(e);
                continue;
            }
        };
        names.push(m.name.to_owned());
        match bundle.find(m.name) {
            Ok(Some(found)) => assert_eq!(found.name, m.name),
            Ok(None) => {}
            Err(e) => named(e),
        }
        let _ = bundle.children(m.name).map_err(named);
        let _ = bundle.code_entries(&m).map_err(named);
        let _ = bundle.code(&m, "cpython-311").map_err(named);
        if m.is_package {
            let _ = bundle.list_dir(m.dir()).map_err(named);
        }
        if m.blob.is_some() {
            if let Ok(bytes) = bundle.module_bytes(&m).map_err(named) {
                assert!(bytes.len() as u64 <= importkit::limits::MAX_BUNDLE_BLOB_SIZE);
            }
        }
    }
    for i in 0..bundle.file_count().min(256) {
        let _ = bundle.file_bytes(i).map_err(named);
    }
    for i in 0..bundle.blob_count().min(256) {
        let _ = bundle.read_blob(i).map_err(named);
    }
    let _ = bundle.children("").map_err(named);
    let _ = bundle.list_dir("").map_err(named);
    let _ = bundle.metadata().map_err(named);
    let _ = bundle.verify().map_err(named);

    let rt = Runtime::default();
    if rt.mount_bundle("fuzz", sealed, MountMode::New).is_err() {
        return;
    }
    let _ = rt.iter_modules(None);
    for name in names.iter().take(64) {
        let full = if name.is_empty() { "fuzz".to_owned() } else { format!("fuzz.{name}") };
        if let Err(e) = rt.find_spec(&full, None) {
            common::check_error(&e);
            continue;
        }
        let _ = rt.iter_modules(Some(&full));
        if let Ok(listed) = rt.resources(&full) {
            for r in listed.iter().take(16) {
                let _ = rt.read_resource(&full, r);
            }
        }
    }
});
