//! `importkit bundle`: build, list, verify, extract and append bundles (`.ikb`, docs/BUNDLE.md).
//!
//! Every command that reads a bundle takes a bundle file or a program with a bundle appended to it (its
//! trailer is read). Errors are one line naming the file and what was wrong; exit status 2 for a usage
//! error, 1 for a failure (`failure.rs`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use importkit::bundle::format::hex;
use importkit::bundle::sources::{check_excludes, Reading};
use importkit::bundle::{append, FileBytes, Load, Trailer};
use importkit::error::printable;
use importkit::{Bundle, BundleBuilder, ModuleKind};

use crate::extract::extract;
use crate::failure::{failed, usage, Failure, Outcome};
use crate::json::{json_list, json_str};
use crate::output::{temporary, write_atomically};
use crate::profile::make_profile;

pub const USAGE: &str = "\
usage: importkit bundle build -o OUT [--profile python|lua] [--python-from EXE] [--compress]
                              [--exclude PATTERN]... [--no-default-excludes] SOURCE...
       importkit bundle list [--json] BUNDLE
       importkit bundle verify [--sha256 HEX] BUNDLE
       importkit bundle extract -o DIR [--force] BUNDLE
       importkit bundle append BUNDLE --to EXE [-o OUT]

A bundle (.ikb, docs/BUNDLE.md) is one file of modules, resources and distribution metadata, built
deterministically and read with every offset checked. Wherever a command reads a BUNDLE, the file may also be
a program with a bundle appended to it (see append): that bundle is read. `importkit resolve` and
`importkit ls` mount one with --bundle FILE[:POINT].

build: writes the bundle of the SOURCEs to OUT and prints one line (counts, size, time). A SOURCE is a
directory, a zip archive (read by importkit's own zip reader, every member checked) or a bundle; several
merge into one tree, and a path that two of them give (or a file in one where another has a directory) is
refused, naming both. Files are told apart as a memory mount under the profile tells them (its suffixes,
init files, namespace directories, precedence); every file is kept, modules and resources alike; top-level
*.dist-info and *.egg-info directories are the bundle's metadata. The same inputs give the same bytes: no
timestamp, no permission bits, no order of the filesystem. In a directory, symbolic links are followed when
they lead inside that SOURCE; a link out of it, a dangling link, a link that loops and special files (FIFOs,
devices, sockets) are refused, as are names that are not UTF-8. OUT is written atomically (a temporary file
beside it, renamed) and is never read as part of a SOURCE.
  -o, --output OUT        the bundle to write
  --profile NAME          python (default: CPython 3.11's conventions) or lua
  --python-from EXE       the python profile of the interpreter EXE (its extension suffixes)
  --compress              deflate each file where that makes it smaller (by default files are stored,
                          and lent in place when read; deflated ones are inflated at each read)
  --exclude PATTERN       leave out files and directories whose name (one path segment) matches PATTERN,
                          where '*' matches any run of characters (repeatable)
  --no-default-excludes   keep __pycache__ directories, left out by default (CPython's cache of compiled
                          files: not modules)

list: prints the modules (`module NAME KIND PATH` or `package NAME KIND PATH`, NAME relative to the bundle's
root, `(root)` for its root package, then `[code: TAG...]` for compiled code it holds), the files
(`file PATH SIZE bytes`, and what it is stored in when deflated), the metadata directories (`metadata NAME
COUNT files`), then a summary line. It reads the tables, not the files' bytes (verify checks those).
  --json                  one JSON object: bundle, size, modules, files, metadata, summary

verify: checks the whole bundle (its tables' CRC-32, every record, the order of the tables, the index, every
file's CRC-32 and inflation, every byte of the data accounted for) and prints one line with its counts, size
and SHA-256 digest (of the bundle's bytes: for a bundle appended to a program, of the bundle alone).
  --sha256 HEX            refuse the bundle unless its SHA-256 digest is HEX (64 hexadecimal digits)

extract: verifies the bundle, then writes every file of it under DIR with its bytes. DIR is made if missing;
if it exists it must be empty, unless --force (files already there are then replaced). Nothing is written
outside DIR: paths are checked, and a symbolic link met under DIR is refused, never followed.
  -o, --output DIR        the directory to write
  --force                 write into a directory that is not empty

append: verifies BUNDLE and appends it to the program EXE, followed by a 32-byte trailer that lets the
program find it (Bundle::open_current_exe; docs/BUNDLE.md, \"The trailer\"). OUT (by default EXE itself) is
written atomically with EXE's permission bits. A bundle EXE carries already is replaced; an EXE that ends
with a damaged trailer is refused.
  --to EXE                the program
  -o, --output OUT        where to write the program with its bundle (default: EXE, replaced)

Exit status: 0 on success; 1 on a failure (a file missing or unreadable, not a bundle, corrupt, a digest
that differs, an output that cannot be written); 2 on a usage error.
";

/// `importkit bundle ARGS...`.
pub fn main(args: &[String]) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.exit(),
    }
}

fn run(args: &[String]) -> Outcome<()> {
    let rest = args.get(1..).unwrap_or_default();
    let flags = rest.iter().take_while(|a| *a != "--");
    if flags.into_iter().any(|a| a == "-h" || a == "--help") {
        print!("{USAGE}");
        return Ok(());
    }
    match args.first().map(String::as_str) {
        None => Err(usage("bundle needs a command: build, list, verify, extract or append (importkit bundle --help)")),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        Some("build") => build(Args::parse(
            "build",
            rest,
            &["--output", "--profile", "--python-from", "--exclude"],
            &["--compress", "--no-default-excludes"],
        )?),
        Some("list") => list(Args::parse("list", rest, &[], &["--json"])?),
        Some("verify") => verify(Args::parse("verify", rest, &["--sha256"], &[])?),
        Some("extract") => extract_to(Args::parse("extract", rest, &["--output"], &["--force"])?),
        Some("append") => append_to(Args::parse("append", rest, &["--to", "--output"], &[])?),
        Some(other) => Err(usage(format!(
            "unknown bundle command '{other}': use build, list, verify, extract or append (importkit bundle --help)"
        ))),
    }
}

/// A bundle command's arguments: flags with values, switches, and the rest in order.
struct Args {
    command: &'static str,
    values: Vec<(&'static str, String)>,
    switches: Vec<&'static str>,
    positional: Vec<String>,
}

impl Args {
    /// Parses `args` for `command`, which takes the flags `with_value` and the switches `switches`
    /// (`-o` is `--output`; `--flag=value` is `--flag value`; `--` ends the flags).
    fn parse(
        command: &'static str,
        args: &[String],
        with_value: &[&'static str],
        switches: &[&'static str],
    ) -> Outcome<Args> {
        let mut a = Args { command, values: Vec::new(), switches: Vec::new(), positional: Vec::new() };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if arg == "--" {
                a.positional.extend(it.by_ref().cloned());
                break;
            }
            if !arg.starts_with('-') || arg == "-" {
                a.positional.push(arg.clone());
                continue;
            }
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
                _ => (arg.as_str(), None),
            };
            let flag = if flag == "-o" { "--output" } else { flag };
            if let Some(&known) = with_value.iter().find(|f| **f == flag) {
                let value = match inline {
                    Some(v) => v,
                    None => {
                        it.next().cloned().ok_or_else(|| usage(format!("bundle {command}: {flag} needs a value")))?
                    }
                };
                a.values.push((known, value));
            } else if let Some(&known) = switches.iter().find(|f| **f == flag).filter(|_| inline.is_none()) {
                a.switches.push(known);
            } else {
                return Err(usage(format!("bundle {command}: unknown option '{arg}' (importkit bundle --help)")));
            }
        }
        Ok(a)
    }

    /// The value of a flag given at most once.
    fn one(&self, flag: &str) -> Outcome<Option<&str>> {
        let mut given = self.values.iter().filter(|(f, _)| *f == flag).map(|(_, v)| v.as_str());
        let first = given.next();
        if given.next().is_some() {
            return Err(usage(format!("bundle {}: {flag} is given twice", self.command)));
        }
        Ok(first)
    }

    fn needed(&self, flag: &str, what: &str) -> Outcome<&str> {
        self.one(flag)?.ok_or_else(|| usage(format!("bundle {} needs {flag} {what}", self.command)))
    }

    fn all<'a>(&'a self, flag: &'a str) -> impl Iterator<Item = &'a str> {
        self.values.iter().filter(move |(f, _)| *f == flag).map(|(_, v)| v.as_str())
    }

    fn has(&self, switch: &str) -> bool {
        self.switches.contains(&switch)
    }

    /// The one BUNDLE argument.
    fn bundle(&self) -> Outcome<&str> {
        match &self.positional[..] {
            [one] => Ok(one),
            [] => Err(usage(format!("bundle {} needs a BUNDLE file", self.command))),
            [_, extra, ..] => {
                Err(usage(format!("bundle {}: one BUNDLE only ('{extra}' is one too many)", self.command)))
            }
        }
    }
}

/// `--bundle FILE[:POINT]`: the file, and the point it is mounted at (the part after the last `:` when it
/// has no `/`; the root when there is none).
pub fn file_and_point(arg: &str) -> (PathBuf, String) {
    match arg.rsplit_once(':') {
        Some((file, point)) if !point.contains('/') && !file.is_empty() => (PathBuf::from(file), point.to_owned()),
        _ => (PathBuf::from(arg), String::new()),
    }
}

/// Opens the bundle file at `path`, or the bundle appended to the program at `path` (mapped): the bundle,
/// and whether it was appended. Errors name the file.
pub fn open_file(path: &Path) -> Result<(Bundle, bool), String> {
    let label = path.display().to_string();
    let bytes = FileBytes::open(path, Load::Map).map_err(|e| e.message().to_owned())?;
    let at_start = bytes.as_ref().starts_with(b"IKBUNDL\0").then(|| Bundle::open(label.clone(), bytes.clone()));
    // A bundle at the start that opens is the file; one that does not may have a bundle appended to it.
    let refused = match at_start {
        Some(Ok(b)) => return Ok((b, false)),
        Some(Err(e)) => Some(e.message().to_owned()),
        None => None,
    };
    match Trailer::find(bytes.as_ref()) {
        Ok(Some(t)) => {
            let inner = bytes.slice(t.offset as usize..(t.offset + t.len) as usize);
            Bundle::open(label, inner).map(|b| (b, true)).map_err(|e| e.message().to_owned())
        }
        Ok(None) => Err(refused.unwrap_or_else(|| {
            format!("'{label}' is not an importkit bundle (no IKBUNDL magic at its start) and has no bundle appended")
        })),
        Err(what) => Err(format!("'{label}' {what}")),
    }
}

/// [`open_file`], the bundle only.
pub fn open(path: &Path) -> Result<Bundle, String> {
    open_file(path).map(|(b, _)| b)
}

fn opened(path: &str) -> Outcome<(Bundle, bool)> {
    open_file(Path::new(path)).map_err(failed)
}

fn fail(e: importkit::Error) -> Failure {
    failed(e.message())
}

/// What a bundle holds, counted.
#[derive(Default)]
struct Counts {
    modules: u32,
    packages: u32,
    namespaces: u32,
    files: u32,
    metadata: usize,
    code: u64,
    /// The files' bytes, and what they take in the bundle.
    file_bytes: u64,
    stored_bytes: u64,
}

fn count(bundle: &Bundle) -> importkit::Result<Counts> {
    let mut c = Counts { modules: bundle.module_count(), files: bundle.file_count(), ..Counts::default() };
    bundle.check_code_runs()?;
    for i in 0..bundle.module_count() {
        let m = bundle.module(i)?;
        c.packages += m.is_package as u32;
        c.namespaces += (m.kind == ModuleKind::Namespace) as u32;
        c.code += m.code.len() as u64;
    }
    for i in 0..bundle.file_count() {
        let b = bundle.blob_info(bundle.file_at(i)?.1)?;
        c.file_bytes += b.len as u64;
        c.stored_bytes += b.stored as u64;
    }
    c.metadata = bundle.metadata()?.len();
    Ok(c)
}

fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Counts {
    /// `12 modules (4 packages, 1 namespace), 17 files, 1 metadata directory, 0 code entries`.
    fn line(&self) -> String {
        format!(
            "{} ({}, {}), {}, {}, {}",
            plural(self.modules, "module", "modules"),
            plural(self.packages, "package", "packages"),
            plural(self.namespaces, "namespace", "namespaces"),
            plural(self.files, "file", "files"),
            plural(self.metadata as u64, "metadata directory", "metadata directories"),
            plural(self.code, "code entry", "code entries"),
        )
    }
}

fn build(a: Args) -> Outcome<()> {
    let out = PathBuf::from(a.needed("--output", "OUT")?);
    if a.positional.is_empty() {
        return Err(usage("bundle build needs at least one SOURCE (a directory, a zip archive or a bundle)"));
    }
    let profile =
        make_profile(a.one("--profile")?.unwrap_or("python"), None, a.one("--python-from")?.map(str::to_owned))
            .map_err(|e| usage(format!("bundle build: {e}")))?;
    let mut excludes: Vec<String> =
        if a.has("--no-default-excludes") { Vec::new() } else { vec!["__pycache__".to_owned()] };
    excludes.extend(a.all("--exclude").map(str::to_owned));
    if check_excludes(&excludes).is_err() {
        return Err(usage("bundle build: an --exclude PATTERN is one name: not empty, no '/'"));
    }
    // The output, and its temporary file, are never read from a source (a bundle built into its own source).
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let shown = out.display();
    let dir = std::fs::canonicalize(parent).map_err(|e| failed(format!("cannot write '{shown}': {e}")))?;
    let name = out.file_name().ok_or_else(|| failed(format!("cannot write '{shown}': not a file name")))?;
    let real = dir.join(name);
    let skip = vec![temporary(&real), real];
    let start = Instant::now();
    let files = Reading { excludes: &excludes, skip }.read(&a.positional).map_err(fail)?;
    let mut builder = BundleBuilder::from_tree(files, &profile).map_err(fail)?;
    builder.compress(a.has("--compress"));
    let bytes = builder.build().map_err(fail)?;
    let bundle = Bundle::open(out.display().to_string(), bytes).map_err(fail)?;
    let counts = count(&bundle).map_err(fail)?;
    write_atomically(&out, bundle.bytes(), None).map_err(failed)?;
    println!(
        "built '{}': {}; {} bytes of files, a bundle of {} bytes, in {:.0} ms",
        out.display(),
        counts.line(),
        counts.file_bytes,
        bundle.bytes().len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

fn list(a: Args) -> Outcome<()> {
    let (bundle, _) = opened(a.bundle()?)?;
    let counts = count(&bundle).map_err(fail)?;
    let json = a.has("--json");
    let mut out = String::new();
    if json {
        out.push_str("{\"bundle\": ");
        json_str(&mut out, bundle.label());
        out.push_str(&format!(", \"size\": {}, \"modules\": [", bundle.bytes().len()));
    }
    for i in 0..bundle.module_count() {
        let m = bundle.module(i).map_err(fail)?;
        let tags: Vec<&str> = bundle.code_entries(&m).map_err(fail)?.into_iter().map(|(t, _)| t).collect();
        if json {
            out.push_str(if i > 0 { ", {\"name\": " } else { "{\"name\": " });
            json_str(&mut out, m.name);
            out.push_str(", \"kind\": ");
            json_str(&mut out, m.kind.name());
            out.push_str(&format!(", \"is_package\": {}, \"path\": ", m.is_package));
            json_str(&mut out, m.path);
            out.push_str(", \"code\": ");
            json_list(&mut out, tags.iter().copied());
            out.push('}');
        } else {
            let word = if m.is_package { "package" } else { "module" };
            // Names, paths and tags are the bundle's text: shown with control characters escaped.
            let name = if m.name.is_empty() { "(root)".into() } else { printable(m.name) };
            let path = if m.path.is_empty() { ".".into() } else { printable(m.path) };
            out.push_str(&format!("{word} {name} {} {path}", m.kind.name()));
            if !tags.is_empty() {
                let tags: Vec<_> = tags.iter().map(|t| printable(t)).collect();
                out.push_str(&format!(" [code: {}]", tags.join(", ")));
            }
            out.push('\n');
        }
    }
    if json {
        out.push_str("], \"files\": [");
    }
    for i in 0..bundle.file_count() {
        let (path, blob) = bundle.file_at(i).map_err(fail)?;
        let b = bundle.blob_info(blob).map_err(fail)?;
        let deflated = b.compression != 0;
        if json {
            out.push_str(if i > 0 { ", {\"path\": " } else { "{\"path\": " });
            json_str(&mut out, path);
            let how = if deflated { "deflate" } else { "stored" };
            out.push_str(&format!(", \"size\": {}, \"stored\": {}, \"compression\": \"{how}\"}}", b.len, b.stored));
        } else if deflated {
            out.push_str(&format!("file {} {} bytes (deflated to {})\n", printable(path), b.len, b.stored));
        } else {
            out.push_str(&format!("file {} {} bytes\n", printable(path), b.len));
        }
    }
    if json {
        out.push_str("], \"metadata\": [");
    }
    for (k, (name, files)) in bundle.metadata().map_err(fail)?.into_iter().enumerate() {
        if json {
            out.push_str(if k > 0 { ", {\"name\": " } else { "{\"name\": " });
            json_str(&mut out, name);
            let paths = files.map(|i| bundle.file_at(i).map(|(p, _)| p)).collect::<importkit::Result<Vec<_>>>();
            out.push_str(", \"files\": ");
            json_list(&mut out, paths.map_err(fail)?.into_iter());
            out.push('}');
        } else {
            out.push_str(&format!("metadata {} {}\n", printable(name), plural(files.len() as u64, "file", "files")));
        }
    }
    if json {
        out.push_str(&format!(
            "], \"summary\": {{\"modules\": {}, \"packages\": {}, \"namespaces\": {}, \"files\": {}, \"metadata\": {}, \"code\": {}, \"file_bytes\": {}, \"stored_bytes\": {}, \"size\": {}}}}}\n",
            counts.modules,
            counts.packages,
            counts.namespaces,
            counts.files,
            counts.metadata,
            counts.code,
            counts.file_bytes,
            counts.stored_bytes,
            bundle.bytes().len()
        ));
    } else {
        out.push_str(&format!(
            "{}: {}; {} bytes of files ({} stored), a bundle of {} bytes\n",
            bundle.label(),
            counts.line(),
            counts.file_bytes,
            counts.stored_bytes,
            bundle.bytes().len()
        ));
    }
    print_all(&out)
}

fn print_all(text: &str) -> Outcome<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).map_err(|e| failed(format!("cannot write: {e}")))
}

/// A SHA-256 digest as 64 hexadecimal digits.
fn parse_digest(text: &str) -> Outcome<[u8; 32]> {
    let bad = || usage(format!("bundle verify: --sha256 takes 64 hexadecimal digits, not '{text}'"));
    if text.len() != 64 || !text.is_ascii() {
        return Err(bad());
    }
    let mut digest = [0u8; 32];
    for (k, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * k..2 * k + 2], 16).map_err(|_| bad())?;
    }
    Ok(digest)
}

fn verify(a: Args) -> Outcome<()> {
    let pinned = a.one("--sha256")?.map(parse_digest).transpose()?;
    let (bundle, was_appended) = opened(a.bundle()?)?;
    bundle.verify().map_err(fail)?;
    let counts = count(&bundle).map_err(fail)?;
    let digest = bundle.digest();
    let (label, size) = (bundle.label().to_owned(), bundle.bytes().len());
    if let Some(pinned) = pinned.filter(|p| *p != digest) {
        // Refused, with the library's message naming both digests.
        bundle.pinned(&pinned).map_err(fail)?;
    }
    let what = if was_appended { "the bundle appended to it" } else { "bundle" };
    print_all(&format!("{label}: {what} is sound: {}; {size} bytes, sha256 {}\n", counts.line(), hex(&digest)))
}

fn extract_to(a: Args) -> Outcome<()> {
    let dir = PathBuf::from(a.needed("--output", "DIR")?);
    let (bundle, _) = opened(a.bundle()?)?;
    let done = extract(&bundle, &dir, a.has("--force"))?;
    print_all(&format!(
        "extracted {} ({} bytes) from '{}' to '{}'\n",
        plural(done.files, "file", "files"),
        done.bytes,
        bundle.label(),
        dir.display()
    ))
}

fn append_to(a: Args) -> Outcome<()> {
    use std::os::unix::fs::PermissionsExt;
    let exe = PathBuf::from(a.needed("--to", "EXE")?);
    let out = a.one("--output")?.map_or_else(|| exe.clone(), PathBuf::from);
    let (bundle, _) = opened(a.bundle()?)?;
    bundle.verify().map_err(fail)?;
    let shown = exe.display();
    let program = std::fs::read(&exe).map_err(|e| failed(format!("cannot read '{shown}': {e}")))?;
    let mode = std::fs::metadata(&exe).map_err(|e| failed(format!("cannot read '{shown}': {e}")))?.permissions().mode();
    let replaced = Trailer::find(&program)
        .map_err(|what| failed(format!("cannot append to '{shown}': it {what}, so what it carries is unknown")))?
        .is_some();
    let joined =
        append(&program, bundle.bytes()).map_err(|e| failed(format!("cannot append to '{shown}': {}", e.message())))?;
    write_atomically(&out, &joined, Some(mode & 0o7777)).map_err(failed)?;
    let at = Trailer::find(&joined).ok().flatten().map_or(0, |t| t.offset);
    print_all(&format!(
        "appended '{}' ({} bytes) to '{}' at offset {at}{}\n",
        bundle.label(),
        bundle.bytes().len(),
        out.display(),
        if replaced { ", replacing the bundle it carried" } else { "" }
    ))
}
