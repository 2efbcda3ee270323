"""``importlib.resources.files()`` of namespace packages whose portions are a mount's or a bundle's (CPython's
``NamespaceReader`` takes only directories), and of bundled packages (``RuntimePath``: names with dots, a
corrupt blob): what CPython gives for the same tree on disk."""

from __future__ import annotations

import json

import pytest

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


def test_path_entry_finders_give_namespace_portions_without_a_loader_as_cpythons_do(installed, tmp_path):
    """Only the spec the import system gets has the loader that reads portions: a path entry finder's portion
    has none, so that PathFinder collects portions (and _NamespacePath takes recalculated paths) as CPython's."""
    import importlib
    import importlib.machinery
    import sys

    write(tmp_path / "disk", {"dop/__init__.py": "", "dop/data/x.txt": "hi"})
    sys.path.insert(0, str(tmp_path / "disk"))
    importlib.import_module("dop")
    on_disk = importlib.machinery.PathFinder.find_spec("dop.data", [str(tmp_path / "disk" / "dop")])
    assert on_disk.loader is None and list(on_disk.submodule_search_locations) == [str(tmp_path / "disk/dop/data")]

    installed.mount("", TREE)
    importlib.import_module("op")
    mounted = importlib.machinery.PathFinder.find_spec("op.data", ["memory:/op"])
    assert mounted.loader is None and list(mounted.submodule_search_locations) == ["memory:/op/data"]
    assert type(mounted.submodule_search_locations) is type(on_disk.submodule_search_locations)
    imported = importlib.import_module("op.data")  # the import system's: it reads the portions
    assert type(imported.__loader__).__name__ == "MountNamespaceLoader"


# -- a bundled package's resources: directory names with a '.', file names starting with '..' ------------------

DOTTED = {
    "dotop/__init__.py": "",
    "dotop/v1.0/y": "y",
    "dotop/v1/0/q": "q",
    "dotop/en_US.UTF-8/LC_MESSAGES/m.mo": "m",
    "dotop/..x": "x",
}
_PATHS = ["v1.0", "v1", "v1/0", "v1/0/q", "v1.0/y", "en_US.UTF-8", "en_US.UTF-8/LC_MESSAGES/m.mo", "..x",
          "nope", "v1.0/nope"]


def _dotted_facts(files) -> dict:
    out = {"top": sorted(c.name for c in files.iterdir())}
    for rel in _PATHS:
        t = files.joinpath(rel)
        out[rel] = [t.name, t.is_dir(), t.is_file(), t.exists(), t.read_text() if t.is_file() else None]
    out["v1/0 lists"] = sorted(c.name for c in files.joinpath("v1/0").iterdir())
    return out


@pytest.fixture
def any_names():
    """A runtime whose names are those CPython's import accepts, as install()'s is."""
    profile = importkit.Profile.interpreter()
    profile.set_identifiers("any")
    runtime = importkit.Runtime(profile)
    profile.free()
    yield runtime
    runtime.close()


def test_bundle_resources_with_dots_in_names_as_cpython_on_disk(any_names, import_state, tmp_path):
    import importlib
    import importlib.resources as ir
    import sys

    rt = any_names

    write(tmp_path / "disk", DOTTED)
    sys.path.insert(0, str(tmp_path / "disk"))
    expected = _dotted_facts(ir.files(importlib.import_module("dotop")))  # CPython's own path finder
    assert expected["..x"] == ["..x", False, True, True, "x"]
    assert expected["en_US.UTF-8"][1:4] == [True, False, True]
    del sys.modules["dotop"]

    with importkit.BundleBuilder() as builder:
        builder.add_tree(DOTTED)
        rt.mount_bundle(builder.build())
    files = ir.files(rt.import_module("dotop"))
    assert type(files).__name__ == "RuntimePath"
    assert _dotted_facts(files) == expected
    # a directory with a '.' in its name is known and its files read, but it cannot be listed (the runtime lists
    # packages' directories): an error, never another directory's entries (v1.0 is not v1/0)
    with pytest.raises(OSError, match="cannot be listed"):
        list(files.joinpath("v1.0").iterdir())
    assert sorted(c.name for c in (tmp_path / "disk" / "dotop" / "v1.0").iterdir()) == ["y"]


def test_a_bundled_resource_that_fails_its_crc_check_is_corrupt_not_missing(installed):
    import importlib.resources as ir

    with importkit.BundleBuilder() as builder:
        builder.add_tree({"crcp/__init__.py": "", "crcp/data.txt": "UNIQUE-PAYLOAD-0123456789"})
        data = bytearray(builder.build())
    at = data.index(b"UNIQUE-PAYLOAD")
    data[at] ^= 1
    installed.mount_bundle(bytes(data))
    import crcp  # noqa: F401 - its module's bytes are intact

    with pytest.raises(importkit.ImportKitError, match="fails its CRC-32 check") as by_runtime:
        installed.read_resource("crcp", "data.txt")
    resource = ir.files("crcp") / "data.txt"
    for read in (resource.read_bytes, resource.read_text, resource.exists, resource.is_file,
                 lambda: ir.files("crcp").joinpath("data.txt").open("rb")):
        with pytest.raises(importkit.ImportKitError, match="fails its CRC-32 check") as by_files:
            read()
        assert not isinstance(by_files.value, FileNotFoundError)
        assert str(by_files.value) == str(by_runtime.value)
    assert not (ir.files("crcp") / "nope.txt").exists()  # what is missing still is
    with pytest.raises(FileNotFoundError):
        (ir.files("crcp") / "nope.txt").read_bytes()
