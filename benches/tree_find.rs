//! A mounted tree's index alone: `MountedTree::find` over the names of a tree of N modules (packages of
//! 1,000), the tree and the shuffle of `benches/scale.rs`, with no runtime, no C ABI and no spec handed to a host: what the
//! index's own reads cost at scale (issue 9's "where the time goes"). Best of 5 passes per size.
//!
//! `cargo bench --bench tree_find [-- SIZE...]` prints a Markdown table (default sizes 1,000 and 100,000).

mod common;

use std::ffi::CStr;
use std::sync::Arc;
use std::time::Instant;

use common::{c_names, scale_tree, shuffled};
use importkit::finders::memory::MountedTree;
use importkit::Profile;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("tree_find: bench");
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let sizes: Vec<usize> = if args.is_empty() {
        vec![1_000, 100_000]
    } else {
        args.iter().map(|a| a.replace('_', "").parse().expect("a size")).collect()
    };
    println!("| modules | MountedTree::find, shuffled (best of 5) |");
    println!("|---|---|");
    for n in sizes {
        let (files, names) = scale_tree(n, "scale");
        let names = c_names(&names);
        let tree = Arc::new(MountedTree::build("scale", files, &Profile::python(), None).unwrap());
        let mixed = shuffled(&names);
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            for c in &mixed {
                // SAFETY: a live NUL-terminated CString; read through its pointer, as a host's name is.
                let name = unsafe { CStr::from_ptr(std::hint::black_box(c.as_ptr())) }.to_str().unwrap();
                std::hint::black_box(tree.find(name, None).unwrap());
            }
            best = best.min(t.elapsed().as_nanos() as f64 / mixed.len() as f64);
        }
        println!("| {n} | {best:.1} ns |");
    }
}
