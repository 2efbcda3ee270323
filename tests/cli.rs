//! The `importkit` command-line tool.

mod common;

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use common::cli::{importkit, stderr, stdout};

fn tree(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("importkit-cli-{}-{test}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    for (p, text) in [
        ("game/__init__.py", ""),
        ("game/core.py", ""),
        ("game/assets/tex.py", ""),
        ("weird\"name/x.py", ""),
        ("tool.ref", "vendor\n"),
        ("vendor/tool.py", ""),
        ("app/init.lua", ""),
    ] {
        let f = dir.join(p);
        fs::create_dir_all(f.parent().unwrap()).unwrap();
        fs::write(f, text).unwrap();
    }
    dir
}

#[test]
fn resolves_names_as_json_lines() {
    let dir = tree("json");
    let d = dir.to_str().unwrap();
    let o = importkit(&["resolve", "--json", "--path", d, "game", "game.core", "game.assets", "tool", "game.nope"]);
    assert_eq!(o.status.code(), Some(1), "a name was not found: exit 1");
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines[0],
        format!(
            "{{\"name\": \"game\", \"found\": true, \"origin\": \"fs:{d}/game/__init__.py\", \"file\": \"{d}/game/__init__.py\", \"cached\": \"{d}/game/__pycache__/__init__.cpython-311.pyc\", \"kind\": \"source\", \"is_package\": true, \"submodule_search_locations\": [\"{d}/game\"], \"indirect\": []}}"
        )
    );
    assert!(lines[1].contains("\"is_package\": false, \"submodule_search_locations\": null"), "{}", lines[1]);
    assert!(lines[2].contains("\"file\": null, \"cached\": null, \"kind\": \"namespace\""), "{}", lines[2]);
    assert!(lines[3].contains(&format!("\"indirect\": [\"{d}/tool.ref\"]")), "{}", lines[3]);
    assert!(
        lines[4].starts_with("{\"name\": \"game.nope\", \"found\": false, \"error\": \"No module named 'game.nope'")
    );
    assert!(lines[4].contains(&format!(
        "\"attempts\": [{{\"place\": \"native\", \"reason\": \"not registered\"}}, {{\"place\": \"{d}/game\""
    )));
    let ok = importkit(&["resolve", "--path", d, "game.core"]);
    assert_eq!(ok.status.code(), Some(0), "every name found: exit 0");
    assert_eq!(stdout(&ok).trim(), format!("game.core: fs:{d}/game/core.py (source)"));
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn traces_names_from_a_file_repeats_and_goes_cold() {
    let dir = tree("trace");
    let d = dir.to_str().unwrap();
    let names = dir.join("names.txt");
    fs::write(&names, "# names\ngame.core\n\ngame.assets.tex\n").unwrap();
    let o = importkit(&[
        "resolve",
        "--trace",
        "--path",
        "/no/such/dir",
        "--path",
        d,
        "--names-from",
        names.to_str().unwrap(),
        "--repeat",
        "3",
        "--cold",
        "--stats",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("  looking for game\n"), "{out}");
    assert!(out.contains("    /no/such/dir: not a directory: does not exist\n"), "{out}");
    assert!(out.contains(&format!("    path: found fs:{d}/game/__init__.py\n")), "{out}");
    assert!(out.contains("game.assets.tex: fs:"), "{out}");
    let err = stderr(&o);
    assert_eq!(err.lines().filter(|l| l.starts_with("pass ")).count(), 3, "{err}");
    assert!(err.contains("2 names in"), "{err}");
    let lua = importkit(&["resolve", "--profile", "lua", "--path", d, "app"]);
    assert_eq!(stdout(&lua).trim(), format!("app: fs:{d}/app/init.lua (source package) [{d}/app]"));
    let json_trace = importkit(&["resolve", "--json", "--trace", "--path", d, "game"]);
    assert!(stdout(&json_trace).contains("\"trace\": [{\"place\": \"looking for\", \"reason\": \"game\"}"));
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn escapes_json_and_reports_usage_errors() {
    let dir = tree("usage");
    let d = dir.to_str().unwrap();
    let o = importkit(&["resolve", "--json", "--path", &format!("{d}/weird\"name"), "x"]);
    assert!(stdout(&o).contains(&format!("\"file\": \"{d}/weird\\\"name/x.py\"")), "{}", stdout(&o));
    for (args, why) in [
        (vec!["resolve", "--bogus"], "unknown option '--bogus'"),
        (vec!["resolve", "--repeat", "0"], "--repeat takes a count >= 1"),
        (vec!["resolve", "--profile", "ruby"], "unknown profile 'ruby'"),
        (vec!["resolve", "--path"], "--path needs a value"),
        (vec!["resolve", "--names-from", "/no/such/file"], "cannot read --names-from /no/such/file"),
        (vec!["frobnicate"], "unknown command 'frobnicate'"),
        (vec!["resolve", "--confine", "/no/such/root"], "cannot confine to '/no/such/root'"),
    ] {
        let o = importkit(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(why), "{args:?}: {}", stderr(&o));
    }
    let bad = importkit(&["resolve", "--path", d, "a..b"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stdout(&bad).contains("a..b: error: invalid module name 'a..b': empty segment"), "{}", stdout(&bad));
    assert!(stdout(&importkit(&["--version"])).starts_with("importkit 0.1.0"));
    assert!(stdout(&importkit(&["--help"])).contains("usage: importkit resolve"));
    let _ = fs::remove_dir_all(dir);
}

/// A stand-in interpreter for `--python-from`: a script that prints what `python3 -c ...` would.
fn fake_python(dir: &std::path::Path, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let exe = dir.join(name);
    fs::write(&exe, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
    exe.to_str().unwrap().to_owned()
}

#[test]
fn the_python_profile_takes_a_cache_tag_and_an_interpreters_conventions() {
    let dir = tree("python-from");
    let d = dir.to_str().unwrap();
    for f in ["ext/fast.cpython-313-x86_64-linux-gnu.so", "ext/old.cpython-311-x86_64-linux-gnu.so"] {
        fs::create_dir_all(dir.join(f).parent().unwrap()).unwrap();
        fs::write(dir.join(f), "").unwrap();
    }
    let cached = |args: &[&str]| {
        let mut all = vec!["resolve", "--json", "--path", d];
        all.extend_from_slice(args);
        all.push("game.core");
        let o = importkit(&all);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let out = stdout(&o);
        let at = out.find("\"cached\": ").expect("a cached field") + "\"cached\": ".len();
        out[at..].split(", ").next().unwrap().to_owned()
    };
    assert_eq!(cached(&[]), format!("\"{d}/game/__pycache__/core.cpython-311.pyc\""), "3.11 by default");
    assert_eq!(cached(&["--cache-tag", "cpython-313"]), format!("\"{d}/game/__pycache__/core.cpython-313.pyc\""));
    assert_eq!(cached(&["--cache-tag", ""]), "null", "no tag: no cached file");

    let py313 =
        fake_python(&dir, "py313", "printf 'cpython-313\\n.cpython-313-x86_64-linux-gnu.so\\n.abi3.so\\n.so\\n'");
    assert_eq!(cached(&["--python-from", &py313]), format!("\"{d}/game/__pycache__/core.cpython-313.pyc\""));
    assert_eq!(
        cached(&["--python-from", &py313, "--cache-tag", "x-1"]),
        format!("\"{d}/game/__pycache__/core.x-1.pyc\"")
    );
    let ext = dir.join("ext");
    let e = ext.to_str().unwrap();
    let o = importkit(&["resolve", "--python-from", &py313, "--path", e, "fast", "old"]);
    let out = stdout(&o);
    assert!(out.contains(&format!("fast: fs:{e}/fast.cpython-313-x86_64-linux-gnu.so (extension)")), "{out}");
    assert!(out.contains("old: not found"), "3.11's suffix is not 3.13's: {out}");
    let none = fake_python(&dir, "pynone", "printf '\\n.so\\n'");
    assert_eq!(cached(&["--python-from", &none]), "null", "an interpreter whose cache tag is None");

    let broken = fake_python(&dir, "broken", "echo 'no such module' >&2; exit 1");
    for (args, why) in [
        (vec!["--python-from", broken.as_str()], "failed"),
        (vec!["--python-from", "/no/such/python"], "cannot run /no/such/python"),
        (vec!["--cache-tag", "a/b"], "invalid cache tag 'a/b'"),
        (vec!["--profile", "lua", "--cache-tag", "cpython-313"], "for the python profile"),
    ] {
        let mut all = vec!["resolve", "--path", d];
        all.extend(args.iter().copied());
        all.push("game");
        let o = importkit(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(why), "{args:?}: {}", stderr(&o));
    }
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn ls_lists_a_packages_modules_and_resources_in_a_directory_and_a_zip() {
    let dir = tree("ls");
    fs::write(dir.join("game/logo.png"), "P").unwrap();
    let d = dir.to_str().unwrap();
    let o = importkit(&["ls", "--path", d, "game"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let want = "module core\nresource __init__.py\nresource assets\nresource core.py\nresource logo.png\n";
    assert_eq!(stdout(&o), want, "assets has no init file: a resource, not a module (as pkgutil lists it)");
    // The same tree zipped answers the same.
    let zip = dir.join("app.zip");
    let script = format!(
        "import zipfile, os\nz = zipfile.ZipFile({:?}, 'w')\nfor p in ['game/__init__.py', 'game/core.py', 'game/assets/tex.py', 'game/logo.png']:\n    z.write(os.path.join({:?}, p), p)\nz.close()",
        zip.to_str().unwrap(),
        d
    );
    let made = Command::new("python3").args(["-c", &script]).status().expect("python3 runs");
    assert!(made.success());
    let o = importkit(&["ls", "--path", zip.to_str().unwrap(), "game"]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), want.to_owned()), "{}", stderr(&o));
    let o = importkit(&["ls", "--json", "--path", d, "game"]);
    assert_eq!(
        stdout(&o),
        "{\"package\": \"game\", \"modules\": [{\"name\": \"core\", \"is_package\": false}], \"resources\": [\"__init__.py\", \"assets\", \"core.py\", \"logo.png\"]}\n"
    );
    // The top level: modules and packages only.
    let o = importkit(&["ls", "--path", d]);
    assert!(stdout(&o).lines().any(|l| l == "package game"), "{}", stdout(&o));
    assert!(stdout(&o).lines().all(|l| !l.starts_with("resource ")));
    // A module is no package; a missing package is not found; two packages are a usage error.
    let o = importkit(&["ls", "--path", d, "game.core"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("'game.core' is not a package"), "{}", stderr(&o));
    let o = importkit(&["ls", "--path", d, "nothing"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("No module named 'nothing'"), "{}", stderr(&o));
    let o = importkit(&["ls", "--path", d, "game", "vendor"]);
    assert_eq!(o.status.code(), Some(2));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_argument_that_is_not_utf8_is_a_usage_error_not_a_crash() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    for args in [vec!["resolve", "\u{0}"], vec!["resolve", "--path", "\u{0}", "json"], vec!["bundle", "list", "\u{0}"]]
    {
        let args: Vec<&OsStr> =
            args.iter().map(|a| if *a == "\u{0}" { OsStr::from_bytes(b"/tmp/\xff") } else { OsStr::new(a) }).collect();
        let o = Command::new(env!("CARGO_BIN_EXE_importkit")).args(&args).output().expect("the binary runs");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let at = args.iter().position(|a| a.as_bytes() == b"/tmp/\xff").unwrap() + 1;
        assert_eq!(stderr(&o), format!("importkit: argument {at} is not UTF-8: \"/tmp/\\xFF\"\n"));
    }
}
