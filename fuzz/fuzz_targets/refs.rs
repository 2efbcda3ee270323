//! `.ref` files and trees under confinement: a few directories whose `m.ref` files hold the fuzzer's bytes,
//! some with modules, links to a ref file and a secret outside the root. Whatever the contents, a search
//! ends, finds nothing outside the root, and no error shows the secret or a control character.
#![no_main]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use importkit::Runtime;
use libfuzzer_sys::fuzz_target;

mod common;

const SECRET: &str = "password=hunter2";
const DIRS: usize = 4;

fn scratch() -> PathBuf {
    let base = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    base.join(format!("ik-fuzz-refs-{}", std::process::id()))
}

fn build(top: &Path, data: &[u8]) -> std::io::Result<PathBuf> {
    let _ = std::fs::remove_dir_all(top);
    let root = top.join("root");
    let outside = top.join("outside");
    std::fs::create_dir_all(&outside)?;
    std::fs::write(outside.join("secret.txt"), format!("{SECRET}\n"))?;
    std::fs::write(outside.join("m.py"), "")?;
    std::fs::write(outside.join("m.ref"), "../root/d0\n.\n")?;
    let parts = common::pieces(data, DIRS + 1);
    let flags = parts[0].first().copied().unwrap_or(0) as u32 | (parts[0].get(1).copied().unwrap_or(0) as u32) << 8;
    for i in 0..DIRS {
        let d = root.join(format!("d{i}"));
        std::fs::create_dir_all(&d)?;
        let bits = (flags >> (i * 4)) & 0xf;
        match bits & 3 {
            1 => std::fs::write(d.join("m.py"), "")?,
            2 => {
                std::fs::create_dir_all(d.join("m"))?;
                std::fs::write(d.join("m/__init__.py"), "")?;
            }
            3 => std::fs::create_dir_all(d.join("m"))?,
            _ => {}
        }
        match bits >> 2 {
            1 => symlink(outside.join("secret.txt"), d.join("m.ref"))?,
            2 => symlink(outside.join("m.ref"), d.join("m.ref"))?,
            _ => {
                if let Some(text) = parts.get(i + 1) {
                    std::fs::write(d.join("m.ref"), text)?;
                }
            }
        }
    }
    Ok(root)
}

fuzz_target!(|data: &[u8]| {
    // The secret must come from outside the input: an input that spells it out proves nothing.
    if data.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()) {
        return;
    }
    let top = scratch();
    let Ok(root) = build(&top, data) else { return };
    let rt = Runtime::default();
    rt.enable_filesystem(true);
    rt.set_recheck(std::time::Duration::ZERO);
    let entry = root.join("d0").to_string_lossy().into_owned();
    rt.set_search_path(&[entry.as_str()]).unwrap();
    rt.confine(&root.to_string_lossy()).unwrap();
    let real_root = std::fs::canonicalize(&root).unwrap();
    for name in ["m", "m.x"] {
        match rt.find_spec(name, None) {
            Ok(spec) => {
                if let Some(file) = spec.file() {
                    let real = std::fs::canonicalize(file).unwrap();
                    assert!(real.starts_with(&real_root), "{name} found outside the root: {file}");
                }
                for l in spec.locations() {
                    let real = std::fs::canonicalize(l).unwrap();
                    assert!(real.starts_with(&real_root), "{name} has a location outside the root: {l}");
                }
            }
            Err(e) => {
                common::check_error(&e);
                assert!(!e.message().contains(SECRET), "the secret is in an error: {}", e.message());
                for a in e.attempts() {
                    assert!(!a.reason.contains(SECRET) && !a.place.contains(SECRET));
                }
            }
        }
    }
    let (_, trace) = rt.find_spec_traced("m");
    for a in &trace {
        common::check_text("trace", &a.reason);
        assert!(!a.reason.contains(SECRET), "the secret is in a trace: {}", a.reason);
    }
});
