"""``importlib.resources.files()`` of namespace packages whose portions are a mount's or a bundle's (CPython's
``NamespaceReader`` takes only directories): what CPython gives for the same tree on disk."""

from __future__ import annotations

import json

import importkit

from conftest import run_python, write

TREE = {
    "op/__init__.py": "",
    "op/data/x.txt": "hi",  # op.data: a namespace package inside a regular one
    "op/data/deep/z.txt": "z",
    "topns/y.txt": "y",  # topns: a top-level namespace package
    "topns/sub/w.txt": "w",
}
PACKAGES = ["op.data", "topns", "topns.sub"]
READS = [("op.data", "x.txt"), ("op.data", "deep/z.txt"), ("topns", "y.txt"), ("topns", "sub/w.txt"),
         ("topns.sub", "w.txt")]

_FACTS = """
import importlib, importlib.resources as ir, json, sys
{setup}

def traverse(t):
    return sorted([c.name, c.is_dir(), c.is_file(), traverse(c) if c.is_dir() else c.read_text()]
                  for c in t.iterdir())

out = {{}}
for name in {packages!r}:
    module = {load}
    files = ir.files(module)
    out[name] = [files.is_dir(), files.is_file(), files.name, traverse(files)]
out["reads"] = [ir.files({load_read}).joinpath(rel).read_text() for pkg, rel in {reads!r}]
missing = ir.files({load_missing}).joinpath("nope.txt")
out["missing"] = [missing.exists(), missing.is_file()]
print(json.dumps(out))
"""


def _facts(setup: str, *args: str, load: str = "importlib.import_module(name)") -> dict:
    code = _FACTS.format(setup=setup, packages=PACKAGES, reads=READS, load=load,
                         load_read=load.replace("name", "pkg"), load_missing=load.replace("name", "'op.data'"))
    done = run_python(code, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_namespace_packages_of_a_mount_and_a_bundle_have_the_files_cpython_gives(tmp_path):
    write(tmp_path / "disk", TREE)
    expected = _facts("sys.path.insert(0, sys.argv[1])", str(tmp_path / "disk"))
    assert expected["reads"] == ["hi", "z", "y", "w", "w"] and expected["missing"] == [False, False]
    assert expected["topns"][3][0] == ["sub", True, False, [["w.txt", False, True, "w"]]]

    assert _facts(f"import importkit; importkit.install().mount('', {TREE!r})") == expected
    with importkit.BundleBuilder() as builder:
        builder.add_tree(TREE)
        builder.write(tmp_path / "tree.ikb")
    assert _facts("import importkit; importkit.install(); importkit.mount_bundle(sys.argv[1])",
                  str(tmp_path / "tree.ikb")) == expected
    # full import mode: the runtime's own module objects
    assert _facts(f"import importkit; rt = importkit.Runtime(); rt.mount('', {TREE!r})",
                  load="rt.import_module(name)") == expected
    assert _facts("import importkit; rt = importkit.Runtime(); rt.mount_bundle(sys.argv[1])",
                  str(tmp_path / "tree.ikb"), load="rt.import_module(name)") == expected


def test_a_namespace_package_of_a_mount_is_still_one_as_cpython_makes_it(installed):
    import importlib
    import importlib.machinery

    installed.mount("", TREE)
    module = importlib.import_module("topns")
    assert module.__file__ is None and module.__spec__.origin is None
    assert isinstance(module.__loader__, importlib.machinery.NamespaceLoader)
    assert list(module.__path__) == ["memory:/topns"]
