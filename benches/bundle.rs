//! Bundles at scale: building, verifying, opening and looking up names in bundles of 1,000, 100,000 and
//! 1,000,000 modules, through the C ABI as a host calls it; the memory the mapping costs; and one import
//! workload served from a bundle, from a memory mount of the same tree and from the same files on disk.
//!
//! `cargo bench --bench bundle [-- SIZE...]` prints Markdown tables for docs/BUNDLE.md's figures in
//! docs/BENCHMARKS.md; `python3 benches/bundle_reference.py SIZE...` measures zipimport over zip archives
//! of the same trees, side by side. Per operation: the median and the best of the passes. Names are
//! looked up shuffled (a fixed shuffle: a big program imports across its tree) and in order.

mod common;

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Instant;

use common::{median_and_best, scale_tree, shuffled, NullExecutor, PER_PACKAGE};
use importkit::bundle::{FileBytes, Load};
use importkit::ffi::bundle::ik_runtime_mount_bundle;
use importkit::ffi::import::ik_runtime_find_spec;
use importkit::ffi::mount::ik_runtime_unmount;
use importkit::ffi::spec::ik_spec_free;
use importkit::{Bundle, BundleBuilder, MountFile, MountMode, Profile, Runtime};

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("importkit-bench-bundle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn runtime() -> Runtime {
    let rt = Runtime::default();
    rt.set_executor(Arc::new(NullExecutor(AtomicUsize::new(0))));
    rt
}

fn cstr(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// Mean ns per name of one pass of `ik_runtime_find_spec` + `ik_spec_free` over `names`.
fn find_pass(rt: &Runtime, names: &[CString]) -> f64 {
    let t = Instant::now();
    for n in names {
        let mut spec = ptr::null();
        // SAFETY: valid runtime and name; the spec is freed right after.
        unsafe {
            let s = ik_runtime_find_spec(rt, n.as_ptr(), ptr::null(), &mut spec, ptr::null_mut());
            assert_eq!(s as i32, 0);
            ik_spec_free(spec);
        }
    }
    t.elapsed().as_nanos() as f64 / names.len() as f64
}

/// Microseconds of one `ik_runtime_mount_bundle` of `path` at `point` (mapped), the unmount after it not
/// counted.
fn mount_once(rt: &Runtime, point: &CString, path: &CString) -> f64 {
    let t = Instant::now();
    // SAFETY: valid runtime and strings; no digest, no id wanted.
    let s = unsafe {
        ik_runtime_mount_bundle(rt, point.as_ptr(), path.as_ptr(), 0, ptr::null(), ptr::null_mut(), ptr::null_mut())
    };
    let took = t.elapsed().as_nanos() as f64 / 1000.0;
    assert_eq!(s as i32, 0);
    // SAFETY: as above.
    unsafe { ik_runtime_unmount(rt, point.as_ptr(), ptr::null_mut()) };
    took
}

fn cell((median, best): (f64, f64), unit: &str) -> String {
    format!("{median:.1} {unit} (best {best:.1})")
}

/// zipimport's figures over a zip of the same tree (benches/bundle_reference.py), as `key = value` pairs.
fn reference(n: usize, dir: &Path) -> Vec<(String, String)> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/bundle_reference.py");
    let archive = dir.join(format!("reference-{n}.zip"));
    let out = std::process::Command::new("python3").arg(script).arg(&archive).arg(n.to_string()).output();
    let _ = std::fs::remove_file(&archive);
    let Ok(out) = out else { return Vec::new() };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(" = ").map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

fn scale(sizes: &[usize]) {
    let dir = scratch();
    let mut references = Vec::new();
    println!("| modules | bundle | build | verify | open (Bundle::open, mapped) | mount (ik_runtime_mount_bundle) | index lookup (Bundle::find), shuffled | find_spec, shuffled | find_spec, in order | memory mount: find_spec, shuffled |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for &n in sizes {
        let (files, names) = scale_tree(n, "app");
        let input: usize = files.iter().map(|f| f.data.len()).sum();
        let t = Instant::now();
        let bytes = BundleBuilder::from_tree(files.clone(), &Profile::python()).unwrap().build().unwrap();
        let build_s = t.elapsed().as_secs_f64();
        let path = dir.join(format!("scale-{n}.ikb"));
        std::fs::write(&path, &bytes).unwrap();
        let mib = bytes.len() as f64 / (1024.0 * 1024.0);

        let opened = Bundle::open("probe", FileBytes::open(&path, Load::Map).unwrap()).unwrap();
        let t = Instant::now();
        opened.verify().unwrap();
        let verify_s = t.elapsed().as_secs_f64();
        drop(opened);

        let open = median_and_best(201, || {
            let t = Instant::now();
            let b = Bundle::open("probe", FileBytes::open(&path, Load::Map).unwrap()).unwrap();
            let took = t.elapsed().as_nanos() as f64 / 1000.0;
            drop(b);
            took
        });
        let rt = runtime();
        let (point, cpath) = (cstr("app"), cstr(path.to_str().unwrap()));
        let mount = median_and_best(201, || mount_once(&rt, &point, &cpath));

        // SAFETY: valid runtime and strings.
        let s = unsafe {
            ik_runtime_mount_bundle(
                &rt,
                point.as_ptr(),
                cpath.as_ptr(),
                0,
                ptr::null(),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        assert_eq!(s as i32, 0);
        for p in 0..n.div_ceil(PER_PACKAGE) {
            rt.import(&format!("app.p{p}"), None).unwrap();
        }
        let cnames: Vec<CString> = names.iter().map(|s| cstr(s)).collect();
        let mixed = shuffled(&cnames);
        let passes = if n >= 1_000_000 { 3 } else { 7 };
        let opened = Bundle::open("probe", FileBytes::open(&path, Load::Map).unwrap()).unwrap();
        let relative: Vec<String> = shuffled(&names).iter().map(|s| s["app.".len()..].to_owned()).collect();
        let index = median_and_best(passes, || {
            let t = Instant::now();
            for name in &relative {
                assert!(opened.find(name).unwrap().is_some());
            }
            t.elapsed().as_nanos() as f64 / relative.len() as f64
        });
        drop(opened);
        let find_mixed = median_and_best(passes, || find_pass(&rt, &mixed));
        let find_order = median_and_best(passes, || find_pass(&rt, &cnames));
        drop(rt);

        let mem = runtime();
        mem.mount("app", files, MountMode::New, None).unwrap();
        for p in 0..n.div_ceil(PER_PACKAGE) {
            mem.import(&format!("app.p{p}"), None).unwrap();
        }
        let mem_mixed = median_and_best(passes, || find_pass(&mem, &mixed));
        drop(mem);

        println!(
            "| {n} | {mib:.1} MiB | {:.0} ms ({:.0} MiB/s of input, {:.0} modules/ms) | {:.0} ms ({:.0} MiB/s) | {} | {} | {} | {} | {} | {} |",
            build_s * 1000.0,
            input as f64 / (1024.0 * 1024.0) / build_s,
            n as f64 / (build_s * 1000.0),
            verify_s * 1000.0,
            mib / verify_s,
            cell(open, "µs"),
            cell(mount, "µs"),
            cell(index, "ns"),
            cell(find_mixed, "ns"),
            cell(find_order, "ns"),
            cell(mem_mixed, "ns"),
        );
        let _ = std::fs::remove_file(&path);
        let zip = reference(n, &dir);
        let get = |k: &str| zip.iter().find(|(key, _)| key == k).map_or("-", |(_, v)| v.as_str()).to_owned();
        let us = |k: &str| get(k).parse::<f64>().map_or("-".to_owned(), |ns| format!("{:.1} µs", ns / 1000.0));
        if let Some((_, why)) = zip.iter().find(|(k, _)| k == "unsupported") {
            references.push(format!("| {n} | {why} | | | |"));
            continue;
        }
        references.push(format!(
            "| {n} | {} (best {}) | {} ns | {} ns | +{} KiB |",
            us("open_median"),
            us("open_best"),
            get("find_spec_median"),
            get("find_spec_no_compile_median"),
            get("rss_after_open"),
        ));
    }
    println!("\nzipimport (CPython {}) over a stored zip of the same tree, in the same run:\n", python_version());
    println!("| modules | open (zipimporter, directory cache cleared) | find_spec, shuffled | find_spec, shuffled, compiling stubbed out | memory after opening |");
    println!("|---|---|---|---|---|");
    for line in references {
        println!("{line}");
    }
    let _ = std::fs::remove_dir(&dir);
}

fn python_version() -> String {
    let out = std::process::Command::new("python3")
        .args(["-c", "import platform; print(platform.python_version())"])
        .output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default()
}

/// This process's anonymous memory and the resident part of the mapping of `path`, in KiB, from
/// /proc/self/status and /proc/self/smaps.
fn rss(path: &Path) -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let anon = status
        .lines()
        .find(|l| l.starts_with("RssAnon:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
    let wanted = path.to_str().unwrap();
    let mut mapped = 0;
    let mut inside = false;
    for line in smaps.lines() {
        let range = line.split_whitespace().next().unwrap_or("");
        if range.contains('-') && range.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            inside = line.ends_with(wanted);
        } else if inside && line.starts_with("Rss:") {
            mapped += line.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        }
    }
    (anon, mapped)
}

/// In a fresh process: the memory after mounting the bundle at `path` and after 1,000 shuffled lookups.
fn rss_probe(path: &Path, n: usize) {
    let (_, names) = scale_tree(n, "app");
    let cnames: Vec<CString> = shuffled(&names).iter().take(1000).map(|s| cstr(s)).collect();
    let rt = runtime();
    let before = rss(path);
    rt.mount_bundle_file("app", path, Load::Map, MountMode::New).unwrap();
    let mounted = rss(path);
    find_pass(&rt, &cnames);
    let looked = rss(path);
    let size = std::fs::metadata(path).unwrap().len() as f64 / (1024.0 * 1024.0);
    println!(
        "| {n} | {size:.1} MiB | {} KiB of the mapping resident, anonymous memory +{} KiB | {} KiB of the mapping resident, anonymous memory +{} KiB |",
        mounted.1,
        mounted.0 as i64 - before.0 as i64,
        looked.1,
        looked.0 as i64 - before.0 as i64,
    );
}

fn memory(n: usize) {
    let dir = scratch();
    let (files, _) = scale_tree(n, "app");
    let path = dir.join(format!("rss-{n}.ikb"));
    std::fs::write(&path, BundleBuilder::from_tree(files, &Profile::python()).unwrap().build().unwrap()).unwrap();
    println!("\n| modules | bundle | RSS after mounting | RSS after 1,000 shuffled find_spec |");
    println!("|---|---|---|---|");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--rss-probe", path.to_str().unwrap(), &n.to_string()])
        .output()
        .unwrap();
    print!("{}", String::from_utf8_lossy(&out.stdout));
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir(&dir);
}

/// One import workload (every module of a 10,000-module tree, shuffled, into a fresh runtime, bytes read at
/// exec) from a bundle file, a memory mount and the files on disk.
fn workload() {
    const N: usize = 10_000;
    let dir = scratch();
    let (files, names) = scale_tree(N, "app");
    let path = dir.join("workload.ikb");
    std::fs::write(&path, BundleBuilder::from_tree(files.clone(), &Profile::python()).unwrap().build().unwrap())
        .unwrap();
    let disk = dir.join("disk");
    for f in &files {
        let p = disk.join("app").join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, &f.data).unwrap();
    }
    let under_app: Vec<MountFile> =
        files.iter().map(|f| MountFile::new(format!("app/{}", f.path), f.data.to_vec())).collect();
    let on_path_file = dir.join("on-path.ikb");
    std::fs::write(&on_path_file, BundleBuilder::from_tree(under_app, &Profile::python()).unwrap().build().unwrap())
        .unwrap();
    let mixed = shuffled(&names);
    let pass = |setup: &dyn Fn(&Runtime)| {
        median_and_best(7, || {
            let rt = runtime();
            let t = Instant::now();
            setup(&rt);
            for name in &mixed {
                rt.import(name, None).unwrap();
            }
            t.elapsed().as_secs_f64() * 1000.0
        })
    };
    let bundle = pass(&|rt| {
        rt.mount_bundle_file("app", &path, Load::Map, MountMode::New).unwrap();
    });
    let memory = pass(&|rt| {
        rt.mount("app", files.clone(), MountMode::New, None).unwrap();
    });
    let disk_s = disk.to_str().unwrap().to_owned();
    let fs = pass(&|rt| {
        rt.enable_filesystem(true);
        rt.set_search_path(&[disk_s.as_str()]).unwrap();
    });
    let on_path = pass(&|rt| {
        rt.enable_filesystem(true);
        rt.set_search_path(&[on_path_file.to_str().unwrap()]).unwrap();
    });
    println!("\n| importing {N} modules, shuffled, into a fresh runtime | time (mount or set-up included) |");
    println!("|---|---|");
    println!("| bundle file, mounted (mapped) | {} |", cell(bundle, "ms"));
    println!("| bundle file on the search path | {} |", cell(on_path, "ms"));
    println!("| memory mount of the same tree (its files copied in) | {} |", cell(memory, "ms"));
    println!("| the same files in directories, path finder | {} |", cell(fs, "ms"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("bundle: bench");
        return;
    }
    if let Some(at) = args.iter().position(|a| a == "--rss-probe") {
        rss_probe(Path::new(&args[at + 1]), args[at + 2].parse().unwrap());
        return;
    }
    if let Some(at) = args.iter().position(|a| a == "--find-only") {
        // For a profiler: shuffled find_spec passes over a mounted bundle of SIZE modules, nothing else.
        let n: usize = args[at + 1].parse().unwrap();
        let (files, names) = scale_tree(n, "app");
        let rt = runtime();
        let bytes = BundleBuilder::from_tree(files, &Profile::python()).unwrap().build().unwrap();
        rt.mount_bundle("app", bytes, MountMode::New).unwrap();
        for p in 0..n.div_ceil(PER_PACKAGE) {
            rt.import(&format!("app.p{p}"), None).unwrap();
        }
        let mixed = shuffled(&names.iter().map(|s| cstr(s)).collect::<Vec<_>>());
        for _ in 0..20 {
            println!("{:.1} ns", find_pass(&rt, &mixed));
        }
        return;
    }
    let sizes: Vec<usize> =
        args.iter().filter(|a| !a.starts_with('-')).map(|a| a.replace('_', "").parse().expect("a size")).collect();
    let sizes = if sizes.is_empty() { vec![1_000, 60_000, 100_000, 1_000_000] } else { sizes };
    scale(&sizes);
    memory(100_000);
    workload();
}
