//! Mounted trees: arbitrary paths and bytes mounted at an arbitrary point, then every name the paths
//! suggest looked up. A malformed tree is refused with an error; a mounted one answers consistently.
#![no_main]

use importkit::{ErrorCode, MountFile, MountMode, Runtime};
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let mut parts = common::pieces(data, 64).into_iter();
    let Some(point) = parts.next().and_then(|p| std::str::from_utf8(p).ok()) else { return };
    let mut files = Vec::new();
    let mut names = Vec::new();
    while let Some(entry) = parts.next() {
        // Each file: a path, then its bytes.
        let Ok(path) = std::str::from_utf8(entry) else { continue };
        let bytes = parts.next().unwrap_or(&[]);
        names.push(path.trim_end_matches(".py").replace('/', "."));
        files.push(MountFile::new(path, bytes.to_vec()));
    }
    let rt = Runtime::default();
    match rt.mount(point, files, MountMode::New, None) {
        Ok(_) => {}
        Err(e) => {
            common::check_error(&e);
            assert!(
                matches!(e.code(), ErrorCode::InvalidMount | ErrorCode::InvalidArgument | ErrorCode::InvalidName),
                "unexpected code {:?}: {}",
                e.code(),
                e.message()
            );
            return;
        }
    }
    for n in names {
        let full = if point.is_empty() { n } else { format!("{point}.{n}") };
        match rt.find_spec(&full, None) {
            Ok(spec) => {
                assert_eq!(spec.name(), importkit::name::normalize_init(&full, rt.profile()));
                assert!(spec.origin().starts_with("memory:/"));
            }
            Err(e) => common::check_error(&e),
        }
    }
    // Mounting again at the same point is refused, and replacing works.
    assert!(rt.mount(point, Vec::new(), MountMode::New, None).is_err());
});
