use importkit::finders::memory::MountedTree;
use importkit::{MountFile, Profile};
use std::ffi::{CStr, CString};
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let n: usize = std::env::args().nth(1).map(|a| a.parse().unwrap()).unwrap_or(100_000);
    let mut files = vec![MountFile::new("__init__.py", "")];
    let mut names = Vec::new();
    for p in 0..n / 1000 {
        files.push(MountFile::new(format!("p{p}/__init__.py"), ""));
        for m in 0..1000 {
            files.push(MountFile::new(format!("p{p}/m{m}.py"), format!("value = {m}\n")));
            names.push(CString::new(format!("scale.p{p}.m{m}")).unwrap());
        }
    }
    let tree = Arc::new(MountedTree::build("scale", files, &Profile::python(), None).unwrap());
    let mut mixed = names.clone();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in (1..mixed.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        mixed.swap(i, (x % (i as u64 + 1)) as usize);
    }
    for _ in 0..5 {
        let t = Instant::now();
        for c in &mixed {
            let name = unsafe { CStr::from_ptr(std::hint::black_box(c.as_ptr())) }.to_str().unwrap();
            let f = tree.find(name, None).unwrap();
            std::hint::black_box(&f);
        }
        println!("{n}: {:.1} ns", t.elapsed().as_nanos() as f64 / mixed.len() as f64);
    }
}
