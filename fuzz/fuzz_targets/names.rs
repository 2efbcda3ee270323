//! Module names and relative resolution: `name`, `package` and `level` as an import statement gives them,
//! through the name functions and through a runtime's find_spec and import (Python's, Python's with every
//! name CPython accepts, Lua's).
#![no_main]

use importkit::{name, IdentifierRule, MountFile, MountMode, Profile, Runtime};
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let parts = common::pieces(data, 3);
    let Ok(raw) = std::str::from_utf8(parts[0]) else { return };
    let package = parts.get(1).and_then(|p| std::str::from_utf8(p).ok());
    let level = parts.get(2).map_or(0, |l| l.first().copied().unwrap_or(0) as usize % 8);
    let mut any = Profile::python();
    any.set_identifiers(IdentifierRule::Any);
    for profile in [Profile::python(), any, Profile::lua()] {
        let (rest, dots) = name::split_level(raw);
        assert_eq!(rest.len() + dots, raw.len());
        match name::resolve(rest, package, level.max(dots)) {
            Ok(absolute) => {
                if name::validate(&absolute, &profile).is_ok() {
                    // Under every rule: no empty segment, no '/', '\\' or NUL.
                    assert!(absolute.split('.').all(|s| !s.is_empty()));
                    assert!(!absolute.contains(['/', '\\', '\0']));
                    let n = name::normalize_init(&absolute, &profile);
                    assert!(!n.is_empty() && !n.starts_with('.') && !n.ends_with('.'));
                    if let Some(p) = name::parent(n) {
                        assert!(n.starts_with(p));
                    }
                }
            }
            Err(e) => common::check_error(&e),
        }
        let rt = Runtime::new(profile.clone());
        let (init, module) = if profile.name() == "lua" { ("init.lua", "m.lua") } else { ("__init__.py", "m.py") };
        rt.mount("p", vec![MountFile::new(init, ""), MountFile::new(module, "")], MountMode::New, None).unwrap();
        match rt.find_spec(raw, package) {
            Ok(spec) => assert!(spec.name().starts_with('p')),
            Err(e) => common::check_error(&e),
        }
        // No executor: a found module cannot load, which is an error too; nothing may panic.
        if let Err(e) = rt.import_from(rest, package, level, &["m", "*"]) {
            common::check_error(&e);
        }
    }
});
