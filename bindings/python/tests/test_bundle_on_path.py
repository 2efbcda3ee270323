"""A bundle file on sys.path under install(), served as zipimport serves a zip: its modules (from their code
when the bundle has code for this interpreter), __file__ inside the bundle's path, resources, source, the
order of sys.path, a bundle rewritten, a bundle that cannot be opened skipped as a bad zip is."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import BINDING_ROOT, write

PROGRAM = r'''
import sys, json, importlib, importlib.resources
sys.path.insert(0, BINDING)
import importkit
importkit.install()
out = {}
for entry in ENTRIES:
    sys.path.insert(len(sys.path) if entry.endswith("last") else 0, entry.removesuffix("#last"))
import pkg.mod
out["value"] = pkg.mod.Y
out["file"] = pkg.mod.__file__
out["path"] = list(pkg.__path__)
out["data"] = importlib.resources.files("pkg").joinpath("data.txt").read_text()
out["source"] = pkg.mod.__loader__.get_source("pkg.mod")
out["loader"] = type(pkg.mod.__loader__).__name__
out["cache"] = type(sys.path_importer_cache.get(ENTRIES[0].removesuffix("#last"))).__name__
print(json.dumps(out))
'''


def run(entries, tmp_path):
    code = PROGRAM.replace("BINDING", repr(str(BINDING_ROOT))).replace("ENTRIES", repr(entries))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def bundle(tmp_path, name="app.ikb", y="2"):
    import importkit

    b = importkit.BundleBuilder()
    b.add_tree({"pkg/__init__.py": "X = 1\n", "pkg/mod.py": f"Y = {y}\n", "pkg/data.txt": "hello"})
    path = tmp_path / name
    path.write_bytes(b.build())
    return str(path)


def test_a_bundle_on_sys_path_is_served_as_zipimport_serves_a_zip(tmp_path):
    p = bundle(tmp_path)
    got = run([p], tmp_path)
    assert got["value"] == 2 and got["data"] == "hello" and got["source"] == "Y = 2\n"
    assert got["file"] == p + "/pkg/mod.py"
    assert got["path"] == [p + "/pkg"]
    assert got["loader"] == "BundleLoader" and got["cache"] == "BundleFileFinder"


def test_sys_path_order_holds_a_directory_before_the_bundle_wins(tmp_path):
    p = bundle(tmp_path)
    write(tmp_path / "first", {"pkg/__init__.py": "", "pkg/mod.py": "Y = 'dir'\n", "pkg/data.txt": "dir"})
    got = run([p + "#last", str(tmp_path / "first")], tmp_path)
    assert got["value"] == "dir" and got["data"] == "dir"


def test_frozen_code_in_a_bundle_on_sys_path_runs_as_code(tmp_path):
    src = write(tmp_path / "src", {"pkg/__init__.py": "", "pkg/mod.py": "Y = 3\n", "pkg/data.txt": "x"})
    out = tmp_path / "frozen.ikb"
    frozen = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(BINDING_ROOT)!r}); from importkit import "
         f"freeze; freeze.freeze({str(out)!r}, [{str(src / 'pkg')!r}])"],
        capture_output=True, text=True)
    assert frozen.returncode == 0, frozen.stderr
    code = (f"import sys; sys.path.insert(0, {str(BINDING_ROOT)!r}); import importkit; importkit.install(); "
            f"sys.path.insert(0, {str(out)!r}); import pkg.mod; "
            f"s = sys.path_importer_cache[{str(out)!r}].runtime().code_cache_stats(); "
            "print(pkg.mod.Y, s['hits_source'], s['compiles'])")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    y, hits, compiles = ran.stdout.split()
    assert (y, compiles) == ("3", "0") and int(hits) >= 2, ran.stdout


def test_a_bundle_that_cannot_be_opened_is_skipped_as_a_bad_zip_is(tmp_path):
    bad = tmp_path / "bad.ikb"
    bad.write_bytes(b"IKBUNDL\0" + b"\xff" * 200)  # the magic, then nothing a bundle holds
    write(tmp_path / "later", {"pkg/__init__.py": "", "pkg/mod.py": "Y = 'later'\n", "pkg/data.txt": "l"})
    got = run([str(bad), str(tmp_path / "later") + "#last"], tmp_path)
    assert got["value"] == "later"
    assert got["cache"] == "NoneType"  # no finder for it, as for a zip zipimport cannot read


CHANGES = r'''
import sys, os, json, importlib, importlib.resources
sys.path.insert(0, BINDING)
import importkit
importkit.install()
out = {}
os.chdir(HERE)
sys.path.insert(0, "./app.ikb/")                     # relative, with a trailing slash
import pkg
out["file"] = pkg.__file__
os.chdir("/")                                        # the relative entry keeps naming the bundle it found
import json.decoder                                  # imports elsewhere unaffected
os.chdir(HERE)                                       # (invalidate_caches drops relative entries, as CPython)
os.replace(NEW, BUNDLE)                              # replaced by a bundle with one more module
importlib.invalidate_caches()
import extra
out["extra"] = extra.E
out["source"] = pkg.__loader__.get_source("pkg")     # a module imported before keeps its bundle
out["data"] = importlib.resources.files("pkg").joinpath("data.txt").read_text()
data = open(BUNDLE, "rb").read()
open(BUNDLE, "wb").write(data[: len(data) // 2])     # rewritten broken in place
importlib.invalidate_caches()
import html.parser                                   # still fine: nothing found in a broken bundle
try:
    import pkg.mod
except ImportError as e:
    out["broken"] = type(e).__name__
os.remove(BUNDLE)
import xml.dom                                       # a deleted bundle: nothing found in it
importkit.uninstall()
out["left"] = [type(f).__name__ for f in sys.path_importer_cache.values() if type(f).__name__ == "BundleFileFinder"]
print(json.dumps(out))
'''


def test_a_bundle_replaced_broken_deleted_or_reached_relatively_breaks_no_other_import(tmp_path):
    import importkit

    p = bundle(tmp_path)
    b = importkit.BundleBuilder()
    b.add_tree({"pkg/__init__.py": "X = 1\n", "pkg/mod.py": "Y = 2\n", "pkg/data.txt": "hello", "extra.py": "E = 5"})
    new = tmp_path / "new.ikb"
    new.write_bytes(b.build())
    code = (CHANGES.replace("BINDING", repr(str(BINDING_ROOT))).replace("HERE", repr(str(tmp_path)))
            .replace("BUNDLE", repr(p)).replace("NEW", repr(str(new))))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["file"] == p + "/pkg/__init__.py"
    assert got["extra"] == 5
    assert got["source"] == "X = 1\n" and got["data"] == "hello"
    assert got["broken"] == "ModuleNotFoundError"
    assert got["left"] == []
