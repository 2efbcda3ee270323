"""Differential test: `importkit ls` against CPython's own answers over the same trees, a directory and the
same tree zipped (with and without directory entries): for every package, the names of
`importlib.resources.files(pkg).iterdir()` and the `(name, ispkg)` pairs of `pkgutil.iter_modules(pkg.__path__)`;
for the entry itself, `pkgutil.iter_modules([entry])`. CPython runs in a fresh interpreter per tree
(`-I -S`, the entry first on `sys.path`), so nothing of this process's import state leaks in.
"""

import json
import os
import subprocess
import sys
import zipfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_stdlib_pathfinder import importkit_binary  # noqa: E402

EXT = "comp" + __import__("importlib.machinery").machinery.EXTENSION_SUFFIXES[0]

# Every kind of name pkgutil and importlib.resources see: sources, bytecode alone, an extension, names that
# are not identifiers (pkgutil lists them), files that are no module, a package whose init is bytecode, a
# directory without an init file (no module, but a resource), nested data directories, __pycache__.
TREE = {
    "top.py": "",
    "1bad.py": "",
    "my-mod.py": "",
    "bc.pyc": "",
    EXT: "",
    "data.txt": "D",
    "README": "r",
    "pkg/__init__.py": "",
    "pkg/a.py": "",
    "pkg/b.pyc": "",
    "pkg/res.json": "{}",
    "pkg/sub/__init__.py": "",
    "pkg/sub/x.py": "",
    "pkg/sub/x.txt": "X",
    "pkg/nsdir/y.py": "",
    "pkg/data/file.txt": "F",
    "pkg/data/deeper/more.txt": "M",
    "pkg/__pycache__/a.cpython-311.pyc": "",
    "pkg2/__init__.pyc": "",
    "pkg2/only.txt": "O",
}
PACKAGES = ["pkg", "pkg.sub"]
# On disk only: a module and a package of one name (the package is listed), and a namespace package.
DIR_ONLY = {"amb.py": "", "amb/__init__.py": "", "ns/m.py": "", "ns/r.txt": "R"}
DIR_PACKAGES = PACKAGES + ["amb", "ns"]

CPYTHON = """
import importlib, importlib.resources, json, pkgutil, sys
entry, packages = sys.argv[1], sys.argv[2:]
sys.path.insert(0, entry)
out = {"": sorted([m.name, m.ispkg] for m in pkgutil.iter_modules([entry]))}
for p in packages:
    module = importlib.import_module(p)
    out[p] = {
        "modules": sorted([m.name, m.ispkg] for m in pkgutil.iter_modules(module.__path__)),
        "resources": sorted(x.name for x in importlib.resources.files(p).iterdir()),
    }
print(json.dumps(out))
"""


def write_tree(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def zip_tree(archive, files, directory_entries):
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        if directory_entries:
            dirs = sorted({os.path.dirname(rel) for rel in files} - {""})
            for d in sorted({"/".join(d.split("/")[:i + 1]) for d in dirs for i in range(d.count("/") + 1)}):
                z.writestr(d + "/", "")
        for rel, text in sorted(files.items()):
            z.writestr(rel, text)
    return str(archive)


def cpython_answers(entry, packages):
    run = subprocess.run([sys.executable, "-I", "-S", "-c", CPYTHON, entry, *packages], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def importkit_answers(entry, packages):
    def ls(*package):
        cmd = [importkit_binary(), "ls", "--json", "--python-from", sys.executable, "--path", entry, *package]
        run = subprocess.run(cmd, capture_output=True, text=True)
        assert run.returncode == 0, (cmd, run.stdout, run.stderr)
        return json.loads(run.stdout)

    top = ls()
    out = {"": sorted([m["name"], m["is_package"]] for m in top["modules"])}
    for p in packages:
        listed = ls(p)
        out[p] = {
            "modules": sorted([m["name"], m["is_package"]] for m in listed["modules"]),
            "resources": sorted(listed["resources"]),
        }
    return out


def assert_same(entry, packages):
    want, got = cpython_answers(entry, packages), importkit_answers(entry, packages)
    assert set(want) == set(got)
    for key in want:
        assert got[key] == want[key], f"{key or 'the top level'} of {entry}: importkit {got[key]} != CPython {want[key]}"
    return want


def test_a_directory_lists_as_cpython_lists_it(tmp_path):
    write_tree(tmp_path, {**TREE, **DIR_ONLY})
    want = assert_same(str(tmp_path), DIR_PACKAGES)
    # The tree has what the test claims to cover.
    assert ["1bad", False] in want[""] and ["my-mod", False] in want[""] and ["comp", False] in want[""]
    assert ["pkg2", True] in want[""] and ["amb", True] in want[""]
    assert "nsdir" in want["pkg"]["resources"] and ["nsdir", True] not in want["pkg"]["modules"]
    assert want["ns"]["resources"] == ["m.py", "r.txt"]


@pytest.mark.parametrize("directory_entries", [True, False], ids=["with-directory-entries", "without-directory-entries"])
def test_a_zip_lists_as_cpython_lists_it(tmp_path, directory_entries):
    archive = zip_tree(tmp_path / "app.zip", TREE, directory_entries)
    want = assert_same(archive, PACKAGES)
    assert "data" in want["pkg"]["resources"] and "__pycache__" in want["pkg"]["resources"]


# Odd names and odd entries: a directory whose name has a module suffix (`x.py/`, listed by its stem as a
# module), a package whose init is bytecode or an extension, names with spaces and non-ASCII letters, a
# directory with a dot, an init file at the entry itself (never listed), a module and a package of one name
# in either order of their names, an init that is no module file (`__init__.txt`: no package).
ODD = {
    "x.py/__init__.py": "",
    "y.py/keep.txt": "",
    "bconly/__init__.pyc": "",
    "soinit/__init__" + EXT[len("comp"):]: "",
    "my mod.py": "",
    "modé.py": "",
    "日本.py": "",
    "d.x/__init__.py": "",
    "__init__.py": "",
    "dup.py": "",
    "dup.pyc": "",
    "both/__init__.py": "",
    "both.py": "",
    "txtinit/__init__.txt": "",
    "pkg/__init__.py": "",
    "pkg/__init__.pyc": "",
    "pkg/a b.py": "",
    "pkg/ünï.py": "",
    "pkg/__pycache__/z.cpython-311.pyc": "",
    ".hidden.py": "",
    "UPPER.PY": "",
}


def test_odd_names_in_a_directory_list_as_cpython_lists_them(tmp_path):
    write_tree(tmp_path, ODD)
    want = assert_same(str(tmp_path), ["pkg", "both"])
    assert ["x", False] in want[""] and ["日本", False] in want[""] and ["both", True] in want[""]


def test_odd_entries_in_a_directory_list_as_cpython_lists_them(tmp_path):
    # pkgutil and importlib.resources go by the names a directory lists: a dangling link `gone.py` is a
    # module, a package's init that is a directory or a dangling link still makes it a package.
    write_tree(tmp_path, {"initdir/__init__.py/keep.txt": "", "brokeninit/keep.txt": "", "pkg/__init__.py": ""})
    os.symlink(str(tmp_path / "nowhere"), str(tmp_path / "gone.py"))
    os.symlink(str(tmp_path / "nowhere"), str(tmp_path / "brokeninit" / "__init__.py"))
    os.symlink(str(tmp_path / "nowhere"), str(tmp_path / "pkg" / "gone.txt"))
    want = assert_same(str(tmp_path), ["pkg"])
    assert ["gone", False] in want[""] and ["initdir", True] in want[""] and ["brokeninit", True] in want[""]
    assert "gone.txt" in want["pkg"]["resources"]


@pytest.mark.parametrize("directory_entries", [True, False], ids=["with-directory-entries", "without-directory-entries"])
def test_odd_names_in_a_zip_list_as_cpython_lists_them(tmp_path, directory_entries):
    files = {k: v for k, v in ODD.items() if k != "both.py"}  # one of a name per archive directory
    archive = zip_tree(tmp_path / "odd.zip", {**files, "pkg/__init__.pyfoo": "", "ini/__init__.pyx": ""},
                       directory_entries)
    assert_same(archive, ["pkg", "both"])
