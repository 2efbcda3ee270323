"""importkit.install(): importkit as CPython's path finder in this interpreter (sys.meta_path), on the
filesystem, zip files, other path hooks, namespace packages, and the CPython protocols around it."""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import pkgutil
import sys
import textwrap
import threading
import zipfile
from pathlib import Path

import pytest

import importkit
from importkit import loaders

from conftest import run_python, write


def finder_in_meta_path():
    return next(f for f in sys.meta_path if isinstance(f, importkit.ImportKitFinder))


# -- install / uninstall ------------------------------------------------------------------------------------------


def test_install_replaces_path_finder_in_place_and_uninstall_puts_it_back(import_state):
    meta = sys.meta_path
    index = meta.index(importlib.machinery.PathFinder)
    rt = importkit.install()
    try:
        assert isinstance(meta[index], importkit.ImportKitFinder)
        assert importlib.machinery.PathFinder not in meta
        assert importkit.installed() is rt
        assert importkit.install() is rt  # again: nothing changes
        with pytest.raises(RuntimeError):
            importkit.install(importkit.Runtime())
        with pytest.raises(RuntimeError):  # the runtime is pinned while installed
            rt.close()
    finally:
        importkit.uninstall()
    assert meta[index] is importlib.machinery.PathFinder
    assert not any(isinstance(f, importkit.ImportKitFinder) for f in meta)
    assert importkit.installed() is None
    importkit.uninstall()  # nothing installed: nothing happens
    rt.close()


def test_install_with_a_runtime_of_the_hosts(import_state, tmp_path):
    write(tmp_path, {"hostmod.py": "X = 1\n"})
    rt = importkit.Runtime(importkit.Profile.interpreter())
    assert importkit.install(rt) is rt
    try:
        sys.path.insert(0, str(tmp_path))
        import hostmod

        assert hostmod.X == 1
        assert isinstance(hostmod.__loader__, loaders.SourceFileLoader)
    finally:
        importkit.uninstall()
        rt.close()


def test_stdlib_modules_come_through_importkit_with_cpythons_own_loader_classes(installed):
    names = ("json", "email.mime.text", "xml.etree.ElementTree", "sqlite3", "_sqlite3", "decimal", "csv")
    for name in names:
        sys.modules.pop(name, None)
    finder = finder_in_meta_path()
    served = finder.served
    import csv
    import decimal
    import email.mime.text
    import json
    import sqlite3
    import xml.etree.ElementTree

    assert finder.served >= len(names)  # importkit's path finder found them (PathFinder is not in sys.meta_path)
    assert importlib.machinery.PathFinder not in sys.meta_path
    for module in (json, email.mime.text, xml.etree.ElementTree, sqlite3, decimal, csv):
        assert type(module.__spec__.loader) is importlib.machinery.SourceFileLoader, module  # not a subclass
        assert module.__loader__ is module.__spec__.loader
    assert type(sys.modules["_sqlite3"].__spec__.loader) is importlib.machinery.ExtensionFileLoader
    assert loaders.ExtensionFileLoader is importlib.machinery.ExtensionFileLoader


@pytest.mark.parametrize(
    "name",
    ["json", "json.decoder", "email", "email.mime.text", "xml.etree", "asyncio.events", "_json", "_sqlite3",
     "encodings.idna", "importlib.resources", "logging.handlers", "unittest.mock", "collections.abc"],
)
def test_specs_are_the_ones_cpythons_path_finder_makes(installed, name):
    parent = name.rpartition(".")[0]
    path = importlib.import_module(parent).__path__ if parent else None
    theirs = importlib.machinery.PathFinder.find_spec(name, path)
    ours = finder_in_meta_path().find_spec(name, path)
    assert ours is not None and theirs is not None
    for attr in ("name", "origin", "cached", "has_location", "parent", "submodule_search_locations"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert type(ours.loader) is type(theirs.loader)  # CPython's own class, as test_runpy asserts
    assert (ours.loader.name, ours.loader.path) == (theirs.loader.name, theirs.loader.path)


def test_module_attributes_are_cpythons(installed, tmp_path):
    write(tmp_path, {"attrpkg/__init__.py": "", "attrpkg/mod.py": "", "attrpkg/ns/inner.py": ""})
    sys.path.insert(0, str(tmp_path))
    import attrpkg.mod
    import attrpkg.ns.inner

    pkg, mod, ns = attrpkg, attrpkg.mod, attrpkg.ns
    assert (pkg.__name__, pkg.__package__, pkg.__path__) == ("attrpkg", "attrpkg", [str(tmp_path / "attrpkg")])
    assert pkg.__file__ == str(tmp_path / "attrpkg" / "__init__.py")
    assert pkg.__cached__ == importlib.util.cache_from_source(pkg.__file__)
    assert pkg.__spec__.loader is pkg.__loader__
    assert (mod.__package__, mod.__file__) == ("attrpkg", str(tmp_path / "attrpkg" / "mod.py"))
    assert not hasattr(mod, "__path__")
    assert ns.__file__ is None and ns.__spec__.origin is None
    assert isinstance(ns.__loader__, importlib.machinery.NamespaceLoader)
    assert list(ns.__path__) == [str(tmp_path / "attrpkg" / "ns")]
    assert type(ns.__path__).__name__ == "_NamespacePath"


# -- following sys.path ---------------------------------------------------------------------------------------------


def test_sys_path_changes_are_followed(installed, tmp_path):
    a = write(tmp_path / "a", {"which.py": "WHERE = 'a'\n"})
    b = write(tmp_path / "b", {"which.py": "WHERE = 'b'\n"})

    def fresh():
        sys.modules.pop("which", None)
        return importlib.import_module("which").WHERE

    with pytest.raises(ModuleNotFoundError):
        fresh()
    sys.path.append(str(a))
    assert fresh() == "a"
    sys.path.insert(0, str(b))
    assert fresh() == "b"
    sys.path.remove(str(b))
    assert fresh() == "a"
    sys.path[:] = [str(b)] + sys.path  # reordered by assignment of a new list content
    assert fresh() == "b"
    sys.path = [p for p in sys.path if p != str(b)]  # a new list object
    assert fresh() == "a"
    sys.path.remove(str(a))
    with pytest.raises(ModuleNotFoundError):
        fresh()


def test_a_file_created_later_is_found_without_invalidating_as_cpython(installed, tmp_path):
    sys.path.insert(0, str(tmp_path))
    with pytest.raises(ModuleNotFoundError):
        import later_mod  # noqa: F401
    os.utime(tmp_path, (0, 0))  # a different directory mtime for sure
    (tmp_path / "later_mod.py").write_text("OK = True\n")
    import later_mod

    assert later_mod.OK


def test_invalidate_caches_reaches_importkit(import_state, tmp_path):
    rt = importkit.install(recheck=3_600_000)  # listings trusted for an hour: only invalidation refreshes
    try:
        sys.path.insert(0, str(tmp_path))
        with pytest.raises(ModuleNotFoundError):
            import late_mod  # noqa: F401
        (tmp_path / "late_mod.py").write_text("OK = True\n")
        with pytest.raises(ModuleNotFoundError):
            import late_mod  # noqa: F401,F811
        importlib.invalidate_caches()
        import late_mod  # noqa: F811

        assert late_mod.OK
    finally:
        importkit.uninstall()
        rt.close()


def test_relative_entries_and_the_current_directory(installed, tmp_path, monkeypatch):
    write(tmp_path / "here", {"cwd_mod.py": "X = 'cwd'\n"})
    write(tmp_path / "there", {"cwd_mod.py": "X = 'there'\n"})
    monkeypatch.chdir(tmp_path / "here")
    sys.path.insert(0, "")
    import cwd_mod

    assert cwd_mod.X == "cwd"
    assert cwd_mod.__file__ == str(tmp_path / "here" / "cwd_mod.py")
    del sys.modules["cwd_mod"]
    monkeypatch.chdir(tmp_path / "there")
    import cwd_mod  # noqa: F811 - '' follows the current directory

    assert cwd_mod.X == "there"


# -- entries importkit does not serve: sys.path_hooks ------------------------------------------------------------


def test_zip_file_on_sys_path_goes_to_zipimport(installed, tmp_path):
    archive = tmp_path / "lib.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("zpkg/__init__.py", "from .inner import VALUE\n")
        z.writestr("zpkg/inner.py", "VALUE = 'from zip'\n")
        z.writestr("zpkg/data.txt", "zip data")
        z.writestr("zmod.py", "X = 1\n")
    sys.path.insert(0, str(archive))
    import zmod
    import zpkg

    assert zpkg.VALUE == "from zip" and zmod.X == 1
    import zipimport

    assert isinstance(zpkg.__spec__.loader, zipimport.zipimporter)
    assert zpkg.__file__ == str(archive / "zpkg" / "__init__.py")
    assert isinstance(sys.path_importer_cache[str(archive)], zipimport.zipimporter)
    assert importlib.resources.files("zpkg").joinpath("data.txt").read_text() == "zip data"


def test_namespace_package_across_a_zip_and_a_directory(installed, tmp_path):
    archive = tmp_path / "portion.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("zns/", "")
        z.writestr("zns/one.py", "WHERE = 'zip'\n")
    write(tmp_path / "dir", {"zns/two.py": "WHERE = 'dir'\n"})
    sys.path[:0] = [str(archive), str(tmp_path / "dir")]
    import zns.one
    import zns.two

    assert (zns.one.WHERE, zns.two.WHERE) == ("zip", "dir")
    assert list(zns.__path__) == [str(archive / "zns"), str(tmp_path / "dir" / "zns")]
    assert type(zns.two.__loader__) is loaders.SourceFileLoader
    assert type(zns.one.__loader__).__name__ == "zipimporter"


def test_a_hook_of_sys_path_hooks_serves_its_entries(installed):
    calls = []

    class Loader:
        def create_module(self, spec):
            return None

        def exec_module(self, module):
            module.FROM = "custom hook"

    class Finder:
        def __init__(self, entry):
            self.entry = entry

        def find_spec(self, name, target=None):
            calls.append((self.entry, name))
            if name == "hooked":
                return importlib.util.spec_from_loader(name, Loader(), origin=f"{self.entry}/{name}")
            return None

    def hook(entry):
        if entry.startswith("custom://"):
            return Finder(entry)
        raise ImportError("not mine")

    sys.path_hooks.insert(0, hook)
    sys.path.insert(0, "custom://things")
    import hooked

    assert hooked.FROM == "custom hook"
    assert calls == [("custom://things", "hooked")]
    assert isinstance(sys.path_importer_cache["custom://things"], Finder)


def test_an_exception_of_a_hooks_finder_propagates_as_it_was_raised(installed):
    class Boom(Exception):
        pass

    class Finder:
        def find_spec(self, name, target=None):
            raise Boom(f"cannot look for {name}")

    sys.path_hooks.insert(0, lambda entry: Finder() if entry == "boom://" else (_ for _ in ()).throw(ImportError()))
    sys.path.insert(0, "boom://")
    with pytest.raises(Boom, match="cannot look for boomed"):
        import boomed  # noqa: F401


def test_a_custom_finder_put_in_sys_path_importer_cache_is_used(installed, tmp_path):
    write(tmp_path, {"cached_mod.py": "X = 'file'\n"})

    class Loader:
        def create_module(self, spec):
            return None

        def exec_module(self, module):
            module.X = "custom"

    class Finder:
        def find_spec(self, name, target=None):
            return importlib.util.spec_from_loader(name, Loader()) if name == "cached_mod" else None

    sys.path_importer_cache = dict(sys.path_importer_cache)  # a new cache object: importkit asks the hooks again
    sys.path_importer_cache[str(tmp_path)] = Finder()
    sys.path.insert(0, str(tmp_path))
    import cached_mod

    assert cached_mod.X == "custom"


# -- namespace packages, invalidation, reload -------------------------------------------------------------------


def test_namespace_package_path_is_dynamic(installed, tmp_path):
    write(tmp_path / "p1", {"dyn_ns/one.py": "X = 1\n"})
    write(tmp_path / "p2", {"dyn_ns/two.py": "X = 2\n"})
    sys.path.append(str(tmp_path / "p1"))
    import dyn_ns.one

    assert len(dyn_ns.__path__) == 1
    with pytest.raises(ImportError):
        import dyn_ns.two  # noqa: F401
    sys.path.append(str(tmp_path / "p2"))
    import dyn_ns.two

    assert dyn_ns.two.X == 2
    assert list(dyn_ns.__path__) == [str(tmp_path / "p1" / "dyn_ns"), str(tmp_path / "p2" / "dyn_ns")]


def test_namespace_portion_created_later_needs_invalidate_caches_as_in_cpython(installed, tmp_path):
    write(tmp_path / "p1", {"late_ns/one.py": "X = 1\n"})
    sys.path.extend([str(tmp_path / "p1"), str(tmp_path / "p2")])
    import late_ns.one  # noqa: F401

    write(tmp_path / "p2", {"late_ns/made.py": "X = 2\n"})
    with pytest.raises(ImportError):
        import late_ns.made  # noqa: F401 - the namespace path is computed once per epoch, as in CPython
    importlib.invalidate_caches()
    import late_ns.made

    assert late_ns.made.X == 2


def test_reload_runs_the_new_source(installed, tmp_path):
    source = tmp_path / "reloadme.py"
    source.write_text("VALUE = 1\n")
    sys.path.insert(0, str(tmp_path))
    import reloadme

    assert reloadme.VALUE == 1
    source.write_text("VALUE = 2  # longer, so the size differs too\n")
    os.utime(source, (source.stat().st_atime, source.stat().st_mtime + 10))
    again = importlib.reload(reloadme)
    assert again is reloadme and reloadme.VALUE == 2
    assert isinstance(reloadme.__spec__.loader, loaders.SourceFileLoader)


def test_reload_of_a_namespace_package(installed, tmp_path):
    write(tmp_path / "p1", {"rns/one.py": "X = 1\n"})
    sys.path.append(str(tmp_path / "p1"))
    import rns

    write(tmp_path / "p2", {"rns/two.py": "X = 2\n"})
    sys.path.append(str(tmp_path / "p2"))
    rns = importlib.reload(rns)
    import rns.two

    assert rns.two.X == 2


# -- loaders: code, source, data, resources, bytecode -----------------------------------------------------------


def test_get_source_inspect_and_tracebacks_of_files(installed, tmp_path):
    import inspect
    import traceback

    write(tmp_path, {"srcmod.py": "def fail():\n    raise ValueError('from srcmod')\n"})
    sys.path.insert(0, str(tmp_path))
    import srcmod

    loader = srcmod.__loader__
    assert loader.get_source("srcmod") == (tmp_path / "srcmod.py").read_text()
    assert loader.is_package("srcmod") is False
    assert loader.get_filename("srcmod") == str(tmp_path / "srcmod.py")
    assert loader.get_code("srcmod").co_filename == str(tmp_path / "srcmod.py")
    assert loader.get_data(str(tmp_path / "srcmod.py")) == (tmp_path / "srcmod.py").read_bytes()
    assert "raise ValueError" in inspect.getsource(srcmod.fail)
    try:
        srcmod.fail()
    except ValueError:
        text = traceback.format_exc()
    assert "raise ValueError('from srcmod')" in text


def test_importlib_resources_on_filesystem_packages(installed, tmp_path):
    write(tmp_path, {"respkg/__init__.py": "", "respkg/data/level.txt": "level one\n"})
    sys.path.insert(0, str(tmp_path))
    import importlib.resources

    import respkg

    assert importlib.resources.files("respkg").joinpath("data/level.txt").read_text() == "level one\n"
    assert importlib.resources.files(respkg).joinpath("data").is_dir()
    assert type(respkg.__loader__.get_resource_reader("respkg")).__name__ == "FileReader"


def test_bytecode_is_written_and_read_as_cpython_does(installed, tmp_path):
    import marshal

    sys.dont_write_bytecode = False
    source = write(tmp_path, {"bc_mod.py": "X = 1\n"}) / "bc_mod.py"
    os.utime(source, (1_000_000_000, 1_000_000_000))
    sys.path.insert(0, str(tmp_path))
    import bc_mod

    pyc = Path(bc_mod.__cached__)
    assert pyc == tmp_path / "__pycache__" / f"bc_mod.{sys.implementation.cache_tag}.pyc"
    ours = pyc.read_bytes()
    # CPython's own loader writes the same header (flags, mtime, size) and the same code for this source
    pyc.unlink()
    importlib.machinery.SourceFileLoader("bc_mod", str(source)).get_code("bc_mod")
    theirs = pyc.read_bytes()
    assert ours[:16] == theirs[:16]
    assert marshal.loads(ours[16:]) == marshal.loads(theirs[16:])
    # and the cached code is what runs, as long as its header matches the source
    code = compile("X = 2\n", str(source), "exec")
    pyc.write_bytes(ours[:16] + marshal.dumps(code))
    del sys.modules["bc_mod"]
    import bc_mod  # noqa: F811

    assert bc_mod.X == 2


def test_no_bytecode_written_when_the_interpreter_says_so(installed, tmp_path):
    sys.dont_write_bytecode = True
    write(tmp_path, {"nobc_mod.py": "X = 1\n"})
    sys.path.insert(0, str(tmp_path))
    import nobc_mod

    assert nobc_mod.X == 1
    assert not (tmp_path / "__pycache__").exists()


def test_sourceless_bytecode_files(installed, tmp_path):
    import py_compile

    src = write(tmp_path / "src", {"only_pyc.py": "X = 'compiled'\n"}) / "only_pyc.py"
    py_compile.compile(str(src), cfile=str(tmp_path / "lib" / "only_pyc.pyc"))
    sys.path.insert(0, str(tmp_path / "lib"))
    import only_pyc

    assert only_pyc.X == "compiled"
    assert type(only_pyc.__loader__) is loaders.SourcelessFileLoader
    assert only_pyc.__cached__ == only_pyc.__file__ == str(tmp_path / "lib" / "only_pyc.pyc")


def test_bytecode_in_the_interpreters_cache_dir_under_a_pycache_prefix(import_state, tmp_path):
    out = run_python(
        textwrap.dedent(
            f"""
            import sys, importlib.util
            sys.path.insert(0, {str(tmp_path)!r})
            import importkit
            importkit.install()
            import prefixed
            print(prefixed.__cached__ == importlib.util.cache_from_source(prefixed.__file__), prefixed.__cached__)
            """
        ),
        env={"PYTHONPYCACHEPREFIX": str(tmp_path / "cache"), "PYTHONDONTWRITEBYTECODE": None},
        cwd=str(write(tmp_path, {"prefixed.py": "X = 1\n"})),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("True " + str(tmp_path / "cache"))


# -- mounted trees, natives and policy of the installed runtime ----------------------------------------------------


GAME = {
    "__init__.py": "from .core import Player\nfrom . import levels\nVERSION = '1.0'\n",
    "core.py": "class Player:\n    def hit(self):\n        raise ValueError('ouch')\n\ndef speed():\n    return 3\n",
    "levels/__init__.py": "from ..core import speed\nBASE = speed() * 10\n",
    "levels/one.py": "from . import BASE\nfrom .. import core\nVALUE = BASE + core.speed()\n",
    "data/level.txt": "level one\n",
    "data/sprites/hero.png": b"\x89PNG\r\n",
}


def test_mounted_package_runs_from_memory(installed):
    installed.set_virtual_root(None)  # no files (the default root gives some: test_packager.py)
    installed.mount("game", GAME)
    import game.levels.one
    import importlib.resources

    assert game.VERSION == "1.0" and game.levels.one.VALUE == 33
    assert game.__spec__.origin == "memory:/game/__init__.py"
    assert game.__path__ == ["memory:/game"] and game.__package__ == "game"
    assert not hasattr(game, "__file__") and not hasattr(game, "__cached__")
    assert type(game.__loader__).__name__ == "MountLoader"
    assert game.__loader__.get_source("game") == GAME["__init__.py"]
    assert game.__loader__.is_package("game") and not game.core.__loader__.is_package("game.core")
    assert game.__loader__.get_data("memory:/game/data/level.txt") == b"level one\n"
    with pytest.raises(ImportError):
        game.__loader__.get_filename("game")  # no file without a virtual root
    assert game.core.__loader__.get_code("game.core").co_filename == "memory:/game/core.py"
    files = importlib.resources.files("game")
    assert files.joinpath("data/level.txt").read_text() == "level one\n"
    assert (files / "data" / "sprites" / "hero.png").read_bytes() == b"\x89PNG\r\n"
    assert sorted(p.name for p in files.joinpath("data").iterdir()) == ["level.txt", "sprites"]
    with importlib.resources.as_file(files / "data" / "level.txt") as real:
        assert Path(real).read_text() == "level one\n"
    assert "game" not in installed  # importkit found it; sys.modules owns it
    assert sys.modules["game"] is game


def test_mounted_code_shows_in_tracebacks_and_inspect(installed):
    import inspect
    import traceback

    installed.set_virtual_root(None)  # without files, functions' source still shows (through linecache)
    installed.mount("game", GAME)
    import game

    try:
        game.Player().hit()
    except ValueError:
        text = traceback.format_exc()
    assert 'File "memory:/game/core.py", line 3, in hit' in text
    assert "raise ValueError('ouch')" in text
    assert inspect.getsource(game.core.speed) == "def speed():\n    return 3\n"


def test_virtual_root_gives_mounted_modules_files(installed, tmp_path):
    import inspect

    root = str(tmp_path / "app")
    installed.set_virtual_root(root)
    installed.mount("vgame", {"__init__.py": "HERE = __file__\n", "core.py": "class K:\n    pass\n",
                              "res.bin": b"\x00\x01"})
    import vgame.core

    assert vgame.HERE == vgame.__file__ == f"{root}/vgame/__init__.py"
    assert vgame.__spec__.has_location and vgame.__spec__.origin == f"{root}/vgame/__init__.py"
    assert vgame.__loader__.get_filename("vgame") == f"{root}/vgame/__init__.py"
    assert vgame.__loader__.get_data(f"{root}/vgame/res.bin") == b"\x00\x01"
    assert vgame.core.__loader__.get_code("vgame.core").co_filename == f"{root}/vgame/core.py"
    assert "class K" in inspect.getsource(vgame.core.K)  # classes need __file__: the virtual one
    with pytest.raises(FileNotFoundError):
        vgame.__loader__.get_data(f"{root}/vgame/missing.bin")


def test_root_mount_and_the_shadowing_rule(installed, tmp_path):
    write(tmp_path, {"shadowed.py": "WHERE = 'file'\n", "onlyfile.py": "WHERE = 'file'\n"})
    sys.path.insert(0, str(tmp_path))
    installed.mount("", {"shadowed.py": "WHERE = 'mount'\n", "mns/a.py": "X = 1\n"})
    import mns.a
    import onlyfile
    import shadowed

    assert shadowed.WHERE == "mount"  # a name the mount provides: the mount first
    assert onlyfile.WHERE == "file"
    assert mns.a.X == 1 and list(mns.__path__) == ["memory:/mns"]


def test_a_mounted_name_falls_back_to_the_filesystem_for_what_it_lacks(installed, tmp_path):
    write(tmp_path, {"half/__init__.py": "", "half/on_disk.py": "X = 'disk'\n"})
    sys.path.insert(0, str(tmp_path))
    installed.mount("", {"half/in_memory.py": "X = 'memory'\n"})
    import half.in_memory  # the mount's `half` is only a namespace portion: the regular package on disk wins
    import half.on_disk

    assert half.__file__ == str(tmp_path / "half" / "__init__.py")
    assert half.in_memory.X == "memory"  # the mount answers for half.in_memory by its path in the tree
    assert half.on_disk.X == "disk"


def test_remount_and_reload(installed):
    installed.mount("hot", {"__init__.py": "V = 1\n"})
    import hot

    assert hot.V == 1
    installed.mount("hot", {"__init__.py": "V = 2\n"}, replace=True)
    importlib.reload(hot)
    assert hot.V == 2
    installed.unmount("hot")
    del sys.modules["hot"]
    with pytest.raises(ModuleNotFoundError):
        import hot  # noqa: F401,F811


def test_mount_a_directory(installed, tmp_path):
    write(tmp_path / "tree", {"__init__.py": "from .sub import Y\n", "sub.py": "Y = 5\n", "__pycache__/junk.pyc": b"x"})
    installed.mount("dirpkg", tmp_path / "tree")
    import dirpkg

    assert dirpkg.Y == 5
    assert sorted(p.name for p in importlib.resources.files("dirpkg").iterdir()) == ["__init__.py", "sub.py"]


def test_natives_of_the_installed_runtime(installed):
    import types

    made = []

    def factory(name):
        made.append(name)
        module = types.ModuleType(name)
        module.ANSWER = 42
        return module

    installed.register_native("native_cfg", factory)
    import native_cfg

    assert native_cfg.ANSWER == 42 and made == ["native_cfg"]
    assert native_cfg.__spec__.origin == "builtin:native_cfg"
    assert type(native_cfg.__loader__) is loaders.NativeLoader


def test_the_policy_applies_to_import_statements(installed, tmp_path):
    write(tmp_path, {"forbidden.py": "X = 1\n"})
    sys.path.insert(0, str(tmp_path))
    installed.deny("forbidden")
    with pytest.raises(PermissionError) as info:
        import forbidden  # noqa: F401
    assert isinstance(info.value, importkit.DeniedError)
    assert info.value.module == "forbidden" and info.value.status_name == "IK_ERR_DENIED"
    assert "forbidden" not in sys.modules
    installed.clear_policy()
    import forbidden  # noqa: F811

    assert forbidden.X == 1


# -- what importkit leaves to CPython, and protocols around the finder --------------------------------------------


def test_names_importkit_refuses_are_left_to_cpythons_path_finder(installed, tmp_path):
    write(tmp_path, {"my-module.py": "X = 'dash'\n"})
    sys.path.insert(0, str(tmp_path))
    module = importlib.import_module("my-module")
    assert module.X == "dash"


def test_undecodable_entries_are_left_to_cpythons_path_finder(installed, tmp_path):
    write(tmp_path, {"plainmod.py": "X = 1\n"})
    sys.path[:0] = ["/nonexistent/\udcff", str(tmp_path)]
    import plainmod

    assert plainmod.X == 1
    assert type(plainmod.__loader__) is importlib.machinery.SourceFileLoader  # CPython's own, for this call


def test_importlib_metadata_still_finds_distributions(installed):
    assert importlib.metadata.version("pytest")
    assert any(d.metadata["Name"] == "pytest" for d in importlib.metadata.distributions())


def test_importlib_util_find_spec_pkgutil_and_runpy(installed, tmp_path):
    import runpy

    write(tmp_path, {"tool_pkg/__init__.py": "", "tool_pkg/a.py": "", "tool_pkg/b/__init__.py": "",
                     "tool_pkg/__main__.py": "RESULT = __name__\n"})
    sys.path.insert(0, str(tmp_path))
    spec = importlib.util.find_spec("tool_pkg.a")
    assert type(spec.loader) is loaders.SourceFileLoader
    import tool_pkg

    assert sorted(m.name for m in pkgutil.iter_modules(tool_pkg.__path__)) == ["__main__", "a", "b"]
    assert runpy.run_module("tool_pkg", run_name="__main__")["RESULT"] == "__main__"


def test_concurrent_imports_in_threads(installed, tmp_path):
    names = [f"thread_mod_{i}" for i in range(16)]
    write(tmp_path, {f"{n}.py": f"import time\ntime.sleep(0.01)\nNAME = {n!r}\n" for n in names})
    sys.path.insert(0, str(tmp_path))
    results, errors = {}, []
    barrier = threading.Barrier(8)

    def work(k):
        try:
            barrier.wait()
            for n in names[k::2] + names:
                results[n] = importlib.import_module(n).NAME
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k % 2,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == {n: n for n in names}


def test_unmodified_program_runs_through_importkit_in_a_fresh_interpreter(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": "from .util import double\nimport json\nprint(json.dumps(double(21)))\n",
        "app/util.py": "def double(x):\n    return 2 * x\n",
    })
    out = run_python(
        "import importkit, runpy, sys\n"
        "importkit.install()\n"
        "sys.argv = ['app.main']\n"
        "runpy.run_module('app.main', run_name='__main__')\n"
        "import app.util, json, importlib.machinery\n"
        "finder = next(f for f in sys.meta_path if isinstance(f, importkit.ImportKitFinder))\n"
        "assert finder.served >= 3 and importlib.machinery.PathFinder not in sys.meta_path\n"
        "assert type(app.util.__loader__) is importlib.machinery.SourceFileLoader\n"
        "assert type(json.__loader__) is importlib.machinery.SourceFileLoader\n",
        cwd=str(tmp_path),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "42"


def test_install_without_path_finder_in_meta_path_appends_and_uninstall_removes(import_state):
    sys.meta_path.remove(importlib.machinery.PathFinder)
    rt = importkit.install()
    try:
        assert isinstance(sys.meta_path[-1], importkit.ImportKitFinder)
    finally:
        importkit.uninstall()
        rt.close()
    assert importlib.machinery.PathFinder not in sys.meta_path
    assert not any(isinstance(f, importkit.ImportKitFinder) for f in sys.meta_path)


def test_entries_that_are_not_str(installed, tmp_path):
    write(tmp_path / "a", {"notstr_a.py": "X = 'a'\n"})
    write(tmp_path / "b", {"notstr_b.py": "X = 'b'\n"})
    sys.path[:0] = [tmp_path / "a", str(tmp_path / "b")]  # a Path object: skipped, as CPython skips it
    import notstr_b

    assert type(notstr_b.__loader__) is loaders.SourceFileLoader
    with pytest.raises(ModuleNotFoundError):
        import notstr_a  # noqa: F401
    sys.path.insert(0, ["an unhashable entry"])  # skipped too (the search is CPython's own then)
    sys.modules.pop("notstr_b")
    import notstr_b  # noqa: F811

    assert notstr_b.X == "b"


def test_optimized_bytecode_names(tmp_path):
    write(tmp_path, {"optmod.py": "X = 1\n"})
    out = run_python(
        "import importkit, importlib.util, sys\n"
        "importkit.install()\n"
        "import optmod\n"
        "print(optmod.__cached__ == importlib.util.cache_from_source(optmod.__file__), optmod.__cached__)\n",
        cwd=str(tmp_path),
        env={"PYTHONOPTIMIZE": "2", "PYTHONDONTWRITEBYTECODE": None},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("True ") and out.stdout.strip().endswith(".opt-2.pyc")
    assert (tmp_path / "__pycache__" / Path(out.stdout.split()[1]).name).is_file()


def test_namespace_paths_made_by_importkit_keep_working_after_uninstall(import_state, tmp_path):
    archive = tmp_path / "portion.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("after_ns/", "")
        z.writestr("after_ns/in_zip.py", "X = 'zip'\n")
    write(tmp_path / "p1", {"after_ns/one.py": "X = 1\n"})
    sys.path[:0] = [str(tmp_path / "p1")]
    rt = importkit.install()
    import after_ns.one  # noqa: F401

    importkit.uninstall()
    rt.close()
    sys.path.append(str(archive))  # the namespace path recalculates through CPython's own path finder now
    import after_ns.in_zip

    assert after_ns.in_zip.X == "zip"
    assert list(after_ns.__path__) == [str(tmp_path / "p1" / "after_ns"), str(archive / "after_ns")]
