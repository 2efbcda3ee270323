//! `importkit`: the command-line tool.
//!
//! `importkit resolve [--path ENTRY]... [--profile python|lua] [--cache-tag TAG] [--python-from PYTHON]
//! [--names-from FILE] [--json] [--trace] [--repeat N] [--cold] [--recheck MS] [--confine ROOT]... [--stats]
//! [NAME]...` resolves each name as an import would (parents first, through their search locations) and
//! executes nothing. `importkit ls [options] [PACKAGE]` lists a package's modules and resources (the
//! top-level modules without PACKAGE), as `pkgutil.iter_modules` and `importlib.resources` give them.
//! `importkit bundle build|list|verify|extract|append` makes and examines bundles (`bundle.rs`).

mod bundle;
mod extract;
mod failure;
mod json;
mod output;
mod profile;

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use importkit::{Attempt, ModuleKind, ModuleSpec, MountMode, Profile, Runtime};
use json::{json_attempts, json_list, json_str};
use profile::{cache_tag, make_profile};

const USAGE: &str = "\
usage: importkit resolve [options] [NAME]...
       importkit ls [options] [PACKAGE]
       importkit bundle build|list|verify|extract|append ...   (see importkit bundle --help)

resolve: resolves each module NAME as an import would (parents first, through their search locations) and
executes nothing. Exit status: 0 if every name was found, 1 if any was not, 2 on a usage error.

ls: lists the modules directly in PACKAGE (`module NAME` or `package NAME` lines, as pkgutil.iter_modules
gives them) and its resources (`resource NAME` lines: files and directories, as importlib.resources gives
them); without PACKAGE, the top-level modules of the search path. Nothing is imported or executed. Exit
status: 0 when listed, 1 when PACKAGE is not found or is not a package, 2 on a usage error. Takes --path,
--bundle, --profile, --cache-tag, --python-from, --recheck, --confine and --json.

options:
  --path ENTRY        a search path entry (repeatable, in order; default: '' = the current directory,
                      unless --bundle is given: then no entry)
  --bundle FILE[:POINT]
                      mount the bundle FILE (or the bundle appended to the program FILE) on the meta path,
                      before the search path, at POINT: a top-level name its root package becomes, or by
                      default the root (the bundle's top-level modules are top-level); repeatable. The part
                      after the last ':' is POINT if it has no '/' (write FILE: for a FILE with a ':')
  --profile NAME      python (default: CPython 3.11's conventions) or lua
  --cache-tag TAG     the python profile's cache tag, for `cached` (default cpython-311; '' for none)
  --python-from EXE   the python profile of the interpreter EXE (python3...): its cache tag and extension
                      suffixes (sys.implementation.cache_tag, importlib.machinery.EXTENSION_SUFFIXES)
  --names-from FILE   read names from FILE, one per line ('#' comments); '-' is standard input
  --json              one JSON object per name per line
  --trace             show each finder and entry tried and why it passed
  --repeat N          resolve the whole list N times in one process (results of the last pass are printed)
  --cold              drop every cache before each pass
  --recheck MS        trust a directory listing for MS milliseconds before checking it again (default 1000)
  --confine ROOT      refuse anything that resolves outside ROOT (repeatable)
  --stats             print the time of each pass to standard error
  -h, --help          this text
  -V, --version       the version
";

struct Options {
    paths: Vec<String>,
    /// Bundle files and the points they are mounted at, in order.
    bundles: Vec<(PathBuf, String)>,
    profile: Profile,
    names: Vec<String>,
    json: bool,
    trace: bool,
    repeat: usize,
    cold: bool,
    recheck: Option<Duration>,
    confine: Vec<String>,
    stats: bool,
}

fn read_names(file: &str) -> Result<Vec<String>, String> {
    let text = if file == "-" {
        io::read_to_string(io::stdin()).map_err(|e| format!("cannot read standard input: {e}"))?
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("cannot read --names-from {file}: {e}"))?
    };
    Ok(text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect())
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut profile = "python".to_owned();
    let mut tag: Option<Option<String>> = None;
    let mut python_from: Option<String> = None;
    let mut o = Options {
        paths: Vec::new(),
        bundles: Vec::new(),
        profile: Profile::python(), // replaced by the one the options name, below
        names: Vec::new(),
        json: false,
        trace: false,
        repeat: 1,
        cold: false,
        recheck: None,
        confine: Vec::new(),
        stats: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
        match a.as_str() {
            "--path" => o.paths.push(value("--path")?),
            "--bundle" => o.bundles.push(bundle::file_and_point(&value("--bundle")?)),
            "--profile" => profile = value("--profile")?,
            "--cache-tag" => tag = Some(cache_tag(&value("--cache-tag")?)),
            "--python-from" => python_from = Some(value("--python-from")?),
            "--names-from" => {
                let file = value("--names-from")?;
                o.names.extend(read_names(&file)?);
            }
            "--json" => o.json = true,
            "--trace" => o.trace = true,
            "--cold" => o.cold = true,
            "--stats" => o.stats = true,
            "--repeat" => {
                let v = value("--repeat")?;
                o.repeat =
                    v.parse().ok().filter(|n| *n >= 1).ok_or(format!("--repeat takes a count >= 1, not '{v}'"))?;
            }
            "--recheck" => {
                let v = value("--recheck")?;
                let ms: u64 = v.parse().map_err(|_| format!("--recheck takes milliseconds, not '{v}'"))?;
                o.recheck = Some(Duration::from_millis(ms));
            }
            "--confine" => o.confine.push(value("--confine")?),
            s if s.starts_with('-') && s.len() > 1 => return Err(format!("unknown option '{s}'")),
            name => o.names.push(name.to_owned()),
        }
    }
    if o.paths.is_empty() && o.bundles.is_empty() {
        o.paths.push(String::new());
    }
    o.profile = make_profile(&profile, tag, python_from)?;
    Ok(o)
}

/// What CPython puts in `__spec__.origin`: the file, `None` for a namespace package.
fn cpython_origin(spec: &ModuleSpec) -> Option<&str> {
    if spec.kind() == ModuleKind::Namespace {
        None
    } else {
        spec.file()
    }
}

fn json_line(
    name: &str,
    result: &Result<std::sync::Arc<ModuleSpec>, importkit::Error>,
    trace: Option<&[Attempt]>,
) -> String {
    let mut out = String::from("{\"name\": ");
    json_str(&mut out, name);
    match result {
        Ok(spec) => {
            out.push_str(", \"found\": true, \"origin\": ");
            json_str(&mut out, spec.origin());
            out.push_str(", \"file\": ");
            match cpython_origin(spec) {
                Some(f) => json_str(&mut out, f),
                None => out.push_str("null"),
            }
            out.push_str(", \"cached\": ");
            match spec.cached() {
                Some(c) => json_str(&mut out, c),
                None => out.push_str("null"),
            }
            out.push_str(", \"kind\": ");
            json_str(&mut out, spec.kind().name());
            out.push_str(&format!(", \"is_package\": {}", spec.is_package()));
            out.push_str(", \"submodule_search_locations\": ");
            if spec.is_package() {
                json_list(&mut out, spec.locations());
            } else {
                out.push_str("null");
            }
            out.push_str(", \"indirect\": ");
            json_list(&mut out, spec.refs());
        }
        Err(e) => {
            out.push_str(", \"found\": false, \"error\": ");
            json_str(&mut out, e.message());
            out.push_str(", \"attempts\": ");
            json_attempts(&mut out, e.attempts());
        }
    }
    if let Some(t) = trace {
        out.push_str(", \"trace\": ");
        json_attempts(&mut out, t);
    }
    out.push('}');
    out
}

fn text_lines(
    name: &str,
    result: &Result<std::sync::Arc<ModuleSpec>, importkit::Error>,
    trace: Option<&[Attempt]>,
) -> String {
    let mut out = String::new();
    if let Some(t) = trace {
        out.push_str(&format!("{name}\n"));
        for a in t {
            if a.place == "looking for" {
                out.push_str(&format!("  looking for {}\n", a.reason));
            } else {
                out.push_str(&format!("    {}: {}\n", a.place, a.reason));
            }
        }
    }
    match result {
        Ok(spec) => {
            let mut what = spec.kind().name().to_owned();
            if spec.is_package() && spec.kind() != ModuleKind::Namespace {
                what.push_str(" package");
            }
            out.push_str(&format!("{name}: {} ({what})", spec.origin()));
            if spec.is_package() {
                out.push_str(&format!(" [{}]", spec.locations().collect::<Vec<_>>().join(", ")));
            }
            if spec.refs().len() > 0 {
                out.push_str(&format!(" via {}", spec.refs().collect::<Vec<_>>().join(" -> ")));
            }
        }
        Err(e) if e.code() == importkit::ErrorCode::NotFound => {
            out.push_str(&format!("{name}: not found: {}", e.message()))
        }
        Err(e) => out.push_str(&format!("{name}: error: {}", e.message())),
    }
    out
}

/// A runtime over the options' bundles, search path, profile, recheck window and confinement.
fn runtime_for(o: &Options) -> Result<Runtime, String> {
    let rt = Runtime::new(o.profile.clone());
    rt.enable_filesystem(true);
    for (file, point) in &o.bundles {
        let opened = bundle::open(file).map_err(|e| format!("--bundle: {e}"))?;
        rt.mount_opened_bundle(point, opened, MountMode::New)
            .map_err(|e| format!("--bundle {}: {}", file.display(), e.message()))?;
    }
    let entries: Vec<&str> = o.paths.iter().map(String::as_str).collect();
    rt.set_search_path(&entries).map_err(|e| e.to_string())?;
    if let Some(r) = o.recheck {
        rt.set_recheck(r);
    }
    for root in &o.confine {
        rt.confine(root).map_err(|e| e.to_string())?;
    }
    Ok(rt)
}

fn resolve(o: Options) -> Result<bool, String> {
    let rt = runtime_for(&o)?;
    let mut last = Vec::new();
    for pass in 1..=o.repeat {
        if o.cold {
            rt.drop_caches();
        }
        let start = Instant::now();
        let results: Vec<_> = if o.trace {
            o.names.iter().map(|n| rt.find_spec_traced(n)).map(|(r, t)| (r, Some(t))).collect()
        } else {
            o.names.iter().map(|n| (rt.find_spec(n, None), None)).collect()
        };
        let elapsed = start.elapsed();
        if o.stats {
            let per = elapsed.as_nanos() as f64 / o.names.len().max(1) as f64;
            eprintln!(
                "pass {pass}: {} names in {:.3} ms ({per:.0} ns per name)",
                o.names.len(),
                elapsed.as_secs_f64() * 1e3
            );
        }
        last = results;
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut all_found = true;
    for (name, (result, trace)) in o.names.iter().zip(&last) {
        all_found &= result.is_ok();
        let line =
            if o.json { json_line(name, result, trace.as_deref()) } else { text_lines(name, result, trace.as_deref()) };
        writeln!(out, "{line}").map_err(|e| format!("cannot write: {e}"))?;
    }
    out.flush().map_err(|e| format!("cannot write: {e}"))?;
    Ok(all_found)
}

/// `importkit ls`: one package's modules and resources, or the top-level modules.
fn ls(o: Options) -> Result<bool, String> {
    if o.names.len() > 1 || o.trace || o.cold || o.stats || o.repeat != 1 {
        return Err("ls takes one PACKAGE (or none) and no --trace, --cold, --stats or --repeat".to_owned());
    }
    let rt = runtime_for(&o)?;
    let package = o.names.first().map(String::as_str);
    let listed = rt.iter_modules(package).and_then(|modules| {
        let resources = match package {
            Some(p) => rt.resources(p)?,
            None => Vec::new(),
        };
        Ok((modules, resources))
    });
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let write = |out: &mut BufWriter<io::StdoutLock>, line: &str| {
        writeln!(out, "{line}").map_err(|e| format!("cannot write: {e}"))
    };
    let found = match listed {
        Ok((modules, resources)) => {
            if o.json {
                let mut line = String::from("{\"package\": ");
                match package {
                    Some(p) => json_str(&mut line, p),
                    None => line.push_str("null"),
                }
                line.push_str(", \"modules\": [");
                for (i, m) in modules.iter().enumerate() {
                    line.push_str(if i > 0 { ", {\"name\": " } else { "{\"name\": " });
                    json_str(&mut line, &m.name);
                    line.push_str(&format!(", \"is_package\": {}}}", m.is_package));
                }
                line.push_str("], \"resources\": ");
                json_list(&mut line, resources.iter().map(String::as_str));
                line.push('}');
                write(&mut out, &line)?;
            } else {
                for m in &modules {
                    write(&mut out, &format!("{} {}", if m.is_package { "package" } else { "module" }, m.name))?;
                }
                for r in &resources {
                    write(&mut out, &format!("resource {r}"))?;
                }
            }
            true
        }
        Err(e) => {
            if o.json {
                let mut line = String::from("{\"package\": ");
                json_str(&mut line, package.unwrap_or(""));
                line.push_str(", \"error\": ");
                json_str(&mut line, e.message());
                line.push('}');
                write(&mut out, &line)?;
            } else {
                eprintln!("importkit: {}", e.message());
            }
            false
        }
    };
    out.flush().map_err(|e| format!("cannot write: {e}"))?;
    Ok(found)
}

fn main() -> ExitCode {
    // Names and paths reach importkit as UTF-8 (as through the C ABI): any other argument is a usage error.
    let mut args = Vec::new();
    for (i, arg) in std::env::args_os().skip(1).enumerate() {
        match arg.into_string() {
            Ok(arg) => args.push(arg),
            Err(arg) => {
                eprintln!("importkit: argument {} is not UTF-8: {:?}", i + 1, arg);
                return ExitCode::from(2);
            }
        }
    }
    match args.first().map(String::as_str) {
        Some("bundle") => bundle::main(&args[1..]),
        Some(command @ ("resolve" | "ls")) => {
            match parse(&args[1..]).and_then(|o| if command == "ls" { ls(o) } else { resolve(o) }) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(1),
                Err(e) => {
                    eprintln!("importkit: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Some("-V" | "--version") => {
            println!("importkit {}", importkit::VERSION);
            ExitCode::SUCCESS
        }
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("importkit: unknown command '{other}'\n\n{USAGE}");
            ExitCode::from(2)
        }
        None => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
