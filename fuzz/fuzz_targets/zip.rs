//! The zip reader: the fuzzer's bytes as an archive, indexed, and every member looked up and read (inflated
//! and checked, at most 1 MiB each). Whatever the bytes, reading ends without a panic, reads nothing
//! outside them (the slice's reads are checked), finds each indexed name again, and every error names
//! the archive (and the member) in readable text.
#![no_main]

use importkit::finders::path::zip_index::ZipIndex;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let index = match ZipIndex::read(data, data.len() as u64) {
        Ok(index) => index,
        Err(e) => {
            let message = e.in_archive("fuzz.zip");
            assert!(message.starts_with("zip archive 'fuzz.zip'"), "{message}");
            common::check_text("index error", &message);
            return;
        }
    };
    assert!(index.len() <= data.len() / 46, "more members than a central directory of this size holds");
    for (i, name) in index.names() {
        assert_eq!(index.get(name), Some(i), "the index does not find {name:?}");
        match index.read_member(data, i, 1 << 20) {
            Ok(bytes) => assert!(bytes.len() <= 1 << 20),
            Err(e) => {
                let message = e.in_archive("fuzz.zip");
                assert!(message.starts_with("zip archive 'fuzz.zip': member '"), "{message}");
                common::check_text("member error", &message);
            }
        }
    }
    let _ = index.children("");
});
