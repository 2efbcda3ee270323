//! `importkit bundle` (build, list, verify, extract, append) and `--bundle` on `resolve` and `ls`: a tree
//! round-trips through a bundle file, builds are deterministic whatever the sources' form, and every bad
//! input is one line naming the file, exit status 2 for usage and 1 for failures.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::scratch::Scratch;

use common::cli::{importkit, stderr, stdout};

/// Runs and expects success.
fn ok(args: &[&str]) -> String {
    let o = importkit(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

/// Runs and expects exit status `code` with one line on standard error holding `why`.
fn fails(args: &[&str], code: i32, why: &str) {
    let o = importkit(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    assert!(err.contains(why), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("importkit: "), "{err}");
}

const TREE: &[(&str, &[u8])] = &[
    ("game/__init__.py", b"x = 1\n"),
    ("game/core.py", b"y = 2\n"),
    ("game/data/level.txt", b"level one"),
    ("game/logo.bin", &[0, 1, 2, 255, 254, 0]),
    ("game/ns/part.py", b""),
    ("game/__pycache__/core.cpython-311.pyc", b"cache"),
    ("tool.py", b"import game\n"),
    ("foo-1.0.dist-info/METADATA", b"Name: foo\n"),
];

fn tree(dir: &Scratch) -> String {
    for (p, bytes) in TREE {
        dir.put(&format!("src/{p}"), bytes);
    }
    dir.s("src")
}

#[test]
fn a_tree_round_trips_through_build_list_verify_and_extract() {
    let dir = Scratch::new("cli-bundle");
    let src = tree(&dir);
    let out = dir.s("app.ikb");
    let built = ok(&["bundle", "build", "-o", &out, &src]);
    assert!(
        built.starts_with(&format!(
            "built '{out}': 7 modules (4 packages, 3 namespaces), 7 files, 1 metadata directory"
        )),
        "{built}"
    );
    let bytes = fs::read(&out).unwrap();
    assert_eq!(ok(&["bundle", "build", "-o", &dir.s("again.ikb"), &src]).lines().count(), 1);
    assert_eq!(fs::read(dir.path("again.ikb")).unwrap(), bytes, "the same inputs give the same bytes");

    let listed = ok(&["bundle", "list", &out]);
    let want = "package (root) namespace .
package game source game/__init__.py
module game.core source game/core.py
package game.data namespace game/data
package game.ns namespace game/ns
module game.ns.part source game/ns/part.py
module tool source tool.py
file foo-1.0.dist-info/METADATA 10 bytes
file game/__init__.py 6 bytes
file game/core.py 6 bytes
file game/data/level.txt 9 bytes
file game/logo.bin 6 bytes
file game/ns/part.py 0 bytes
file tool.py 12 bytes
metadata foo-1.0.dist-info 1 file
";
    assert_eq!(&listed[..want.len()], want, "__pycache__ is left out by default:\n{listed}");
    let summary = listed.lines().last().unwrap();
    assert_eq!(
        summary,
        format!("{out}: 7 modules (4 packages, 3 namespaces), 7 files, 1 metadata directory, 0 code entries; 49 bytes of files (49 stored), a bundle of {} bytes", bytes.len())
    );
    let json = ok(&["bundle", "list", "--json", &out]);
    assert_eq!(json.lines().count(), 1);
    assert!(json.starts_with(&format!("{{\"bundle\": \"{out}\", \"size\": {}, \"modules\": [{{\"name\": \"\", \"kind\": \"namespace\", \"is_package\": true, \"path\": \"\", \"code\": []}}", bytes.len())), "{json}");
    assert!(
        json.contains("{\"path\": \"game/logo.bin\", \"size\": 6, \"stored\": 6, \"compression\": \"stored\"}"),
        "{json}"
    );
    assert!(
        json.contains("\"metadata\": [{\"name\": \"foo-1.0.dist-info\", \"files\": [\"foo-1.0.dist-info/METADATA\"]}]"),
        "{json}"
    );
    assert!(json.contains("\"summary\": {\"modules\": 7, \"packages\": 4, \"namespaces\": 3, \"files\": 7, \"metadata\": 1, \"code\": 0, \"file_bytes\": 49"), "{json}");

    let digest = {
        use sha2::Digest;
        sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let verified = ok(&["bundle", "verify", &out]);
    assert_eq!(verified, format!("{out}: bundle is sound: 7 modules (4 packages, 3 namespaces), 7 files, 1 metadata directory, 0 code entries; {} bytes, sha256 {digest}\n", bytes.len()));
    ok(&["bundle", "verify", "--sha256", &digest, &out]);
    ok(&["bundle", "verify", "--sha256", &digest.to_uppercase(), &out]);
    let wrong = format!("{}0", &digest[..63]);
    let wrong = if wrong == digest { format!("{}1", &digest[..63]) } else { wrong };
    fails(
        &["bundle", "verify", "--sha256", &wrong, &out],
        1,
        &format!("its SHA-256 digest is {digest}, not the pinned {wrong}"),
    );

    let x = dir.s("x");
    let extracted = ok(&["bundle", "extract", &out, "-o", &x]);
    assert_eq!(extracted, format!("extracted 7 files (49 bytes) from '{out}' to '{x}'\n"));
    for (p, b) in TREE.iter().filter(|(p, _)| !p.contains("__pycache__")) {
        assert_eq!(fs::read(dir.path(&format!("x/{p}"))).unwrap(), *b, "{p}");
    }
    assert!(!dir.path("x/game/__pycache__").exists());
    fails(&["bundle", "extract", &out, "-o", &x], 1, &format!("cannot extract to '{x}': the directory is not empty"));
    fs::write(dir.path("x/tool.py"), "changed").unwrap();
    ok(&["bundle", "extract", "--force", &out, "-o", &x]);
    assert_eq!(fs::read(dir.path("x/tool.py")).unwrap(), b"import game\n", "--force replaces files");

    // The extracted tree builds the same bundle; so do a zip of it and a bundle of it, merged or not.
    ok(&["bundle", "build", "-o", &dir.s("x.ikb"), &x]);
    assert_eq!(fs::read(dir.path("x.ikb")).unwrap(), bytes);
    let zip = dir.s("game.zip");
    let script = format!(
        "import zipfile, os\nz = zipfile.ZipFile({zip:?}, 'w', zipfile.ZIP_DEFLATED)\nfor root, dirs, files in os.walk({x:?}):\n    for f in files:\n        p = os.path.join(root, f)\n        r = os.path.relpath(p, {x:?})\n        if r.startswith('game/'): z.write(p, r)\nz.close()"
    );
    if Command::new("python3").args(["-c", &script]).status().is_ok_and(|s| s.success()) {
        fs::remove_dir_all(dir.path("x/game")).unwrap();
        ok(&["bundle", "build", "-o", &dir.s("merged.ikb"), &x, &zip]);
        assert_eq!(fs::read(dir.path("merged.ikb")).unwrap(), bytes, "a directory and a zip merge to the same bytes");
        fails(
            &["bundle", "build", "-o", &dir.s("no.ikb"), &src, &zip],
            1,
            &format!("is in two sources, {src} and {zip}: give each path once"),
        );
    }
    ok(&["bundle", "build", "-o", &dir.s("re.ikb"), &out]);
    assert_eq!(fs::read(dir.path("re.ikb")).unwrap(), bytes, "a bundle as a source gives itself back");

    // Compressed: other bytes, the same files.
    ok(&["bundle", "build", "--compress", "-o", &dir.s("small.ikb"), &src]);
    ok(&["bundle", "verify", &dir.s("small.ikb")]);
    let y = dir.s("y");
    ok(&["bundle", "extract", &dir.s("small.ikb"), "-o", &y]);
    assert_eq!(fs::read(dir.path("y/game/data/level.txt")).unwrap(), b"level one");
}

#[test]
fn resolve_and_ls_mount_a_bundle_file() {
    let dir = Scratch::new("cli-bundle-resolve");
    let src = tree(&dir);
    let out = dir.s("app.ikb");
    ok(&["bundle", "build", "-o", &out, &src]);
    let o = importkit(&["resolve", "--bundle", &out, "game", "game.core", "game.ns.part", "tool", "nothing"]);
    assert_eq!(o.status.code(), Some(1), "one name is not found");
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "game: bundle:/game/__init__.py (source package) [bundle:/game]");
    assert_eq!(lines[1], "game.core: bundle:/game/core.py (source)");
    assert_eq!(lines[2], "game.ns.part: bundle:/game/ns/part.py (source)");
    assert_eq!(lines[3], "tool: bundle:/tool.py (source)");
    assert!(lines[4].starts_with("nothing: not found: No module named 'nothing'"), "{}", lines[4]);
    assert!(!lines[4].contains(": not a directory"), "no search path entry with --bundle and no --path: {}", lines[4]);
    let json = ok(&["resolve", "--json", "--bundle", &format!("{out}:app"), "app.game.core"]);
    assert!(
        json.starts_with(
            "{\"name\": \"app.game.core\", \"found\": true, \"origin\": \"bundle:/app/game/core.py\", \"file\": null"
        ),
        "{json}"
    );
    assert_eq!(
        ok(&["ls", "--bundle", &out, "game"]),
        "module core\nresource __init__.py\nresource core.py\nresource data\nresource logo.bin\nresource ns\n"
    );
    assert_eq!(ok(&["ls", "--bundle", &out]), "package game\nmodule tool\n");
    // Mounted at a point, the bundle's root is that package: here a namespace one, which pkgutil does not list.
    assert_eq!(ok(&["ls", "--bundle", &format!("{out}:app")]), "");
    assert_eq!(
        ok(&["ls", "--bundle", &format!("{out}:app"), "app"]),
        "package game\nmodule tool\nresource foo-1.0.dist-info\nresource game\nresource tool.py\n"
    );
    // With --path too: the bundle comes first on the meta path, the search path after it.
    dir.put("other/extra.py", b"");
    let o = ok(&["resolve", "--bundle", &out, "--path", &dir.s("other"), "extra", "tool"]);
    assert!(o.contains("extra: fs:") && o.contains("tool: bundle:/tool.py"), "{o}");
    // A file name with a ':' takes an explicit point.
    fs::copy(&out, dir.path("a:b.ikb")).unwrap();
    ok(&["resolve", "--bundle", &format!("{}:", dir.s("a:b.ikb")), "tool"]);
    for (args, why) in [
        (vec!["resolve", "--bundle", "/no/such.ikb", "x"], "--bundle: bundle '/no/such.ikb': cannot be opened"),
        (vec!["resolve", "--bundle"], "--bundle needs a value"),
        (vec!["ls", "--bundle", &src], "is not a regular file"),
    ] {
        fails(&args, 2, why);
    }
    fails(&["resolve", "--bundle", &format!("{out}:bad-name"), "x"], 2, "invalid module name 'bad-name'");
    fails(&["resolve", "--bundle", &out, "--bundle", &out, "x"], 2, "--bundle");
}

#[test]
fn append_puts_a_bundle_on_a_program_that_still_runs() {
    let dir = Scratch::new("cli-bundle-append");
    let src = tree(&dir);
    let out = dir.s("app.ikb");
    ok(&["bundle", "build", "-o", &out, &src]);
    let bundle = fs::read(&out).unwrap();
    let Some(program) = ["/bin/true", "/usr/bin/true"].into_iter().find(|p| Path::new(p).exists()) else {
        eprintln!("skipped: no true(1) to append to");
        return;
    };
    let exe = dir.s("prog");
    fs::copy(program, &exe).unwrap();
    let original = fs::read(&exe).unwrap();
    let with = dir.s("prog-with");
    let said = ok(&["bundle", "append", &out, "--to", &exe, "-o", &with]);
    assert!(said.starts_with(&format!("appended '{out}' ({} bytes) to '{with}' at offset ", bundle.len())), "{said}");
    assert_eq!(fs::read(&exe).unwrap(), original, "-o leaves the program as it was");
    let joined = fs::read(&with).unwrap();
    assert_eq!(&joined[..original.len()], &original[..]);
    assert_eq!(&joined[joined.len() - 32..joined.len() - 24], b"IKBTRAIL");
    assert_eq!(
        fs::metadata(&with).unwrap().permissions().mode() & 0o777,
        fs::metadata(&exe).unwrap().permissions().mode() & 0o777
    );
    assert!(Command::new(&with).status().unwrap().success(), "the program still runs");
    let verified = ok(&["bundle", "verify", &with]);
    assert!(verified.starts_with(&format!("{with}: the bundle appended to it is sound: 7 modules")), "{verified}");
    assert!(ok(&["bundle", "list", &with]).contains("module game.core source game/core.py"));
    assert_eq!(ok(&["resolve", "--bundle", &with, "game.core"]), "game.core: bundle:/game/core.py (source)\n");
    let x = dir.s("x");
    ok(&["bundle", "extract", &with, "-o", &x]);
    assert_eq!(fs::read(dir.path("x/game/core.py")).unwrap(), b"y = 2\n");

    // In place, and again: the second bundle replaces the first.
    fs::write(dir.path("src/game/more.py"), "z = 3\n").unwrap();
    ok(&["bundle", "build", "-o", &dir.s("more.ikb"), &src]);
    ok(&["bundle", "append", &out, "--to", &exe]);
    assert_eq!(fs::read(&exe).unwrap(), joined, "in place, the same bytes as with -o");
    let again = ok(&["bundle", "append", &dir.s("more.ikb"), "--to", &exe]);
    assert!(again.trim_end().ends_with(", replacing the bundle it carried"), "{again}");
    let more = fs::read(dir.path("more.ikb")).unwrap();
    assert_eq!(fs::read(&exe).unwrap().len(), joined.len() - bundle.len() + more.len());
    assert!(ok(&["resolve", "--bundle", &exe, "game.more"]).starts_with("game.more: bundle:/game/more.py"));
    assert!(Command::new(&exe).status().unwrap().success());

    // A damaged trailer is refused, as is a program with no bundle where one is read.
    let mut damaged = fs::read(&exe).unwrap();
    let n = damaged.len();
    damaged[n - 20] ^= 1;
    fs::write(dir.path("damaged"), &damaged).unwrap();
    fails(
        &["bundle", "append", &out, "--to", &dir.s("damaged")],
        1,
        "has a bundle trailer that fails its CRC-32 check",
    );
    fails(
        &["bundle", "verify", &dir.s("damaged")],
        1,
        &format!("'{}' has a bundle trailer that fails its CRC-32 check", dir.s("damaged")),
    );
    fails(
        &["bundle", "list", program],
        1,
        &format!("'{program}' is not an importkit bundle (no IKBUNDL magic at its start) and has no bundle appended"),
    );
    fails(&["bundle", "append", &dir.s("damaged"), "--to", &exe], 1, "fails its CRC-32 check");
    fails(&["bundle", "append", &out, "--to", &dir.s("absent")], 1, &format!("cannot read '{}'", dir.s("absent")));
    fails(&["bundle", "append", &out, "--to", &exe, "-o", "/no/such/dir/prog"], 1, "cannot write '/no/such/dir/prog'");
    fails(&["bundle", "append", &out], 2, "bundle append needs --to EXE");
}

#[test]
fn bad_inputs_are_one_line_naming_the_file() {
    let dir = Scratch::new("cli-bundle-bad");
    let src = tree(&dir);
    let out = dir.s("app.ikb");
    ok(&["bundle", "build", "-o", &out, &src]);
    let good = fs::read(&out).unwrap();
    let mut corrupt = good.clone();
    let n = corrupt.len();
    corrupt[n - 3] ^= 0x55;
    let bad = dir.put("corrupt.ikb", &corrupt);
    let cut = dir.put("cut.ikb", &good[..good.len() / 2]);
    let junk = dir.put("junk.ikb", b"not a bundle at all");
    let absent = dir.s("absent.ikb");
    for (args, code, why) in [
        (vec!["bundle"], 2, "bundle needs a command"),
        (vec!["bundle", "frob"], 2, "unknown bundle command 'frob'"),
        (vec!["bundle", "build", &src], 2, "bundle build needs --output OUT"),
        (vec!["bundle", "build", "-o", &out], 2, "bundle build needs at least one SOURCE"),
        (vec!["bundle", "build", "-o", &out, "--bogus", &src], 2, "bundle build: unknown option '--bogus'"),
        (vec!["bundle", "build", "-o", &out, "-o", &out, &src], 2, "--output is given twice"),
        (vec!["bundle", "build", "-o", &out, "--profile", "ruby", &src], 2, "unknown profile 'ruby'"),
        (vec!["bundle", "build", "-o", &out, "--exclude", "a/b", &src], 2, "--exclude PATTERN is one name"),
        (vec!["bundle", "build", "-o", &out, &absent], 1, &format!("cannot read source '{absent}'")),
        (
            vec!["bundle", "build", "-o", &out, &junk],
            1,
            &format!("source '{junk}' is not a directory, a bundle or a readable zip archive"),
        ),
        (vec!["bundle", "build", "-o", &out, &bad], 1, &format!("bundle '{bad}'")),
        (vec!["bundle", "build", "-o", "/no/such/dir/x.ikb", &src], 1, "cannot write '/no/such/dir/x.ikb'"),
        (vec!["bundle", "build", "-o", &src, &src], 1, &format!("cannot write '{src}'")),
        (vec!["bundle", "list"], 2, "bundle list needs a BUNDLE file"),
        (vec!["bundle", "list", &out, &out], 2, "one BUNDLE only"),
        (vec!["bundle", "list", &absent], 1, &format!("bundle '{absent}': cannot be opened")),
        (vec!["bundle", "list", &junk], 1, &format!("'{junk}' is not an importkit bundle")),
        (vec!["bundle", "list", &cut], 1, &format!("bundle '{cut}' says it is")),
        (vec!["bundle", "verify", &bad], 1, &format!("bundle '{bad}': ")),
        (vec!["bundle", "verify", "--sha256", "xyz", &out], 2, "--sha256 takes 64 hexadecimal digits, not 'xyz'"),
        (vec!["bundle", "verify", "--sha256"], 2, "--sha256 needs a value"),
        (vec!["bundle", "extract", &out], 2, "bundle extract needs --output DIR"),
        (vec!["bundle", "extract", &bad, "-o", &dir.s("x")], 1, "fails its CRC-32 check"),
        (vec!["bundle", "extract", &out, "-o", &out], 1, &format!("cannot extract to '{out}': not a directory")),
    ] {
        fails(&args, code, why);
    }
    assert!(!dir.path("x").exists(), "nothing is extracted from a corrupt bundle");
    assert_eq!(fs::read(&out).unwrap(), good, "a failed build leaves the output as it was");
    assert!(
        fs::read_dir(&dir.0).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".tmp")),
        "no temporary file is left"
    );
    let help = ok(&["bundle", "--help"]);
    for word in [
        "bundle build -o OUT",
        "bundle list",
        "bundle verify",
        "bundle extract",
        "bundle append",
        "--compress",
        "--exclude",
        "--sha256",
        "--force",
        "--to EXE",
        "Exit status",
    ] {
        assert!(help.contains(word), "{word}");
    }
    assert_eq!(ok(&["bundle", "build", "--help"]), help);
    assert!(ok(&["--help"]).contains("importkit bundle build|list|verify|extract|append"));
}

#[test]
fn links_are_followed_inside_a_source_and_refused_out_of_it() {
    use std::os::unix::fs::symlink;
    let dir = Scratch::new("cli-bundle-links");
    let src = tree(&dir);
    let out = dir.s("app.ikb");
    symlink("game/core.py", dir.path("src/alias.py")).unwrap();
    symlink("game", dir.path("src/again")).unwrap();
    ok(&["bundle", "build", "-o", &out, &src]);
    let listed = ok(&["bundle", "list", &out]);
    assert!(
        listed.contains("module alias source alias.py") && listed.contains("module again.core source again/core.py"),
        "{listed}"
    );
    fs::remove_file(dir.path("src/alias.py")).unwrap();
    fs::remove_file(dir.path("src/again")).unwrap();
    dir.put("outside/secret.txt", b"secret");
    for (link, target, why) in [
        ("src/game/secret.txt", dir.s("outside/secret.txt"), "is a symbolic link out of the source"),
        ("src/game/up", "../..".to_owned(), "is a symbolic link out of the source"),
        ("src/game/loop", "..".to_owned(), "is a symbolic link to a directory that holds it (a loop)"),
        ("src/game/dangling.py", "nothing.py".to_owned(), "is a symbolic link that leads nowhere"),
    ] {
        symlink(&target, dir.path(link)).unwrap();
        let rel = link.strip_prefix("src/").unwrap();
        fails(&["bundle", "build", "-o", &out, &src], 1, &format!("source '{src}': '{rel}' {why}"));
        fs::remove_file(dir.path(link)).unwrap();
    }
    // Special files are refused, in a directory and as a SOURCE.
    if Command::new("mkfifo").arg(dir.path("src/game/pipe")).status().is_ok_and(|s| s.success()) {
        let why = "'game/pipe' is not a regular file, a directory or a symbolic link";
        fails(&["bundle", "build", "-o", &out, &src], 1, &format!("source '{src}': {why}"));
        let pipe = dir.s("src/game/pipe");
        fails(
            &["bundle", "build", "-o", &out, &pipe],
            1,
            &format!("source '{pipe}' is not a directory, a zip archive or a bundle"),
        );
        fs::remove_file(&pipe).unwrap();
    }
    // --exclude leaves out what it names, links included.
    symlink(dir.s("outside/secret.txt"), dir.path("src/game/secret.txt")).unwrap();
    ok(&["bundle", "build", "-o", &out, "--exclude", "secret*", &src]);
    fs::remove_file(dir.path("src/game/secret.txt")).unwrap();
    ok(&["bundle", "build", "-o", &out, "--no-default-excludes", "--exclude", "*.bin", &src]);
    let listed = ok(&["bundle", "list", &out]);
    assert!(listed.contains("file game/__pycache__/core.cpython-311.pyc") && !listed.contains("logo.bin"), "{listed}");
    // A bundle written into its own source is not read back into itself.
    let inside = dir.s("src/app.ikb");
    ok(&["bundle", "build", "-o", &inside, &src]);
    ok(&["bundle", "build", "-o", &inside, &src]);
    assert!(!ok(&["bundle", "list", &inside]).contains("app.ikb 0"), "the output is never a source file");
    assert!(!ok(&["bundle", "list", &inside]).contains("file app.ikb"));

    // Extract never follows a link under its directory.
    let x = dir.s("x");
    fs::create_dir_all(dir.path("x")).unwrap();
    symlink(dir.s("outside"), dir.path("x/game")).unwrap();
    fails(&["bundle", "extract", "--force", &out, "-o", &x], 1, "is a symbolic link, which extract does not follow");
    assert_eq!(fs::read_dir(dir.path("outside")).unwrap().count(), 1, "nothing written through the link");
}
