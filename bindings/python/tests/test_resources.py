"""Resources, listings and reload through the runtime (``ik_runtime_read_resource``, ``ik_runtime_resources``,
``ik_runtime_iter_modules``, ``ik_runtime_reload``), and finders written in Python serving resources and
listings (the resource callbacks of ``ik_finder`` and ``ik_entry_finder``)."""

from __future__ import annotations

import ctypes
import pkgutil
import sys
import types
from pathlib import Path

import pytest

import importkit

from conftest import write
from importkit import _ffi

GAME = {
    "__init__.py": "X = 1\n",
    "core.py": "Y = 2\n",
    "sub/__init__.py": "",
    "sub/deep.py": "",
    "data/level1.txt": "1-1",
    "empty.txt": b"",
    "blob.bin": bytes(range(256)),
}


@pytest.fixture
def counted_frees(monkeypatch):
    """Counts ``ik_resource_free`` and ``ik_name_list_free`` calls (and the handles they free)."""
    lib = _ffi.lib()
    freed: dict[str, list[int]] = {"ik_resource_free": [], "ik_name_list_free": []}
    for name in freed:
        real = getattr(lib, name)

        def wrapper(ptr, _real=real, _name=name):
            freed[_name].append(ptr)
            return _real(ptr)

        monkeypatch.setattr(lib, name, wrapper)
    return freed


# -- read_resource ----------------------------------------------------------------------------------------------


def test_read_resource_of_a_mounted_package(rt):
    rt.mount("game", GAME)
    assert rt.read_resource("game", "data/level1.txt") == b"1-1"
    assert rt.read_resource("game", "empty.txt") == b""
    assert rt.read_resource("game", "blob.bin") == bytes(range(256))
    assert rt.read_resource("game", "core.py") == b"Y = 2\n"  # modules are files of their package too
    assert rt.read_resource("game.sub", "deep.py") == b""
    assert type(rt.read_resource("game", "data/level1.txt")) is bytes
    assert "game" not in rt and "game.sub" not in rt  # nothing imported


def test_read_resource_agrees_with_importlib_resources_of_the_mounted_module(rt):
    rt.mount("game", GAME)
    game = rt.import_module("game")
    files = game.__loader__.files()
    for name in ("data/level1.txt", "empty.txt", "blob.bin", "core.py"):
        assert rt.read_resource("game", name) == files.joinpath(name).read_bytes()
    assert rt.resources("game") == sorted(p.name for p in files.iterdir())


def test_read_resource_of_a_filesystem_package(fs, tmp_path):
    write(tmp_path, {"fspkg/__init__.py": "", "fspkg/assets/a.txt": "alpha", "fspkg/mod.py": ""})
    fs.path_append(str(tmp_path))
    assert fs.read_resource("fspkg", "assets/a.txt") == b"alpha"
    assert fs.resources("fspkg") == ["__init__.py", "assets", "mod.py"]
    assert "fspkg" not in fs


def test_read_resource_errors(rt):
    rt.mount("game", GAME)
    with pytest.raises(importkit.NotFoundError) as info:
        rt.read_resource("nopkg", "x.txt")  # no such package
    assert info.value.module == "nopkg"
    with pytest.raises(importkit.NotFoundError, match="no resource 'missing.txt'"):
        rt.read_resource("game", "missing.txt")
    with pytest.raises(importkit.NotFoundError):
        rt.read_resource("game", "data")  # a directory is no file
    with pytest.raises(importkit.ImportKitImportError, match="not a package") as info:
        rt.read_resource("game.core", "x.txt")  # a module, not a package
    assert type(info.value) is importkit.ImportKitImportError
    for bad in ("../x", "/abs", "", "a//b", "./x", "data/../core.py", "data/"):
        with pytest.raises(importkit.InvalidArgumentError):
            rt.read_resource("game", bad)
    with pytest.raises(ValueError):  # InvalidArgumentError is a ValueError
        rt.read_resource("game", "../x")
    with pytest.raises(importkit.InvalidArgumentError):
        rt.read_resource("game", "a\0b")
    with pytest.raises(TypeError):
        rt.read_resource("game", b"core.py")  # type: ignore[arg-type]
    with pytest.raises(importkit.InvalidNameError):
        rt.read_resource("game..x", "a.txt")
    assert "game" not in rt  # no failure imported anything either


def test_read_resource_frees_every_resource(rt, counted_frees):
    rt.mount("game", GAME)
    for name in ("data/level1.txt", "empty.txt", "blob.bin"):
        rt.read_resource("game", name)
    assert len(counted_frees["ik_resource_free"]) == 3 and all(counted_frees["ik_resource_free"])
    with pytest.raises(importkit.NotFoundError):
        rt.read_resource("game", "missing.txt")
    assert len(counted_frees["ik_resource_free"]) == 3  # nothing was made: nothing to free


def test_resources_and_iter_modules_free_their_lists(rt, counted_frees):
    rt.mount("game", GAME)
    rt.resources("game")
    rt.iter_modules()
    rt.iter_modules("game")
    assert len(counted_frees["ik_name_list_free"]) == 3 and all(counted_frees["ik_name_list_free"])


def test_bytes_outlive_an_unmount(rt):
    rt.mount("game", GAME)
    data = rt.read_resource("game", "blob.bin")
    rt.unmount("game")
    assert data == bytes(range(256))
    with pytest.raises(importkit.NotFoundError):
        rt.read_resource("game", "blob.bin")


def test_resource_calls_on_a_closed_runtime():
    rt = importkit.Runtime()
    rt.close()
    for call in (lambda: rt.read_resource("a", "b"), lambda: rt.resources("a"), lambda: rt.iter_modules(),
                 lambda: rt.reload("a")):
        with pytest.raises(importkit.UnavailableError):
            call()


# -- resources ----------------------------------------------------------------------------------------------------


def test_resources_of_a_mounted_package(rt):
    rt.mount("game", GAME)
    assert rt.resources("game") == ["__init__.py", "blob.bin", "core.py", "data", "empty.txt", "sub"]
    assert rt.resources("game.sub") == ["__init__.py", "deep.py"]


def test_resources_of_a_namespace_package_from_every_portion(fs, tmp_path):
    write(tmp_path, {"one/nsp/a.txt": "a", "one/nsp/mod_a.py": "", "two/nsp/b.txt": "b"})
    fs.path = [str(tmp_path / "one"), str(tmp_path / "two")]
    assert fs.resources("nsp") == ["a.txt", "b.txt", "mod_a.py"]
    assert fs.read_resource("nsp", "b.txt") == b"b"


def test_resources_errors(rt):
    rt.mount("game", GAME)
    with pytest.raises(importkit.NotFoundError):
        rt.resources("nopkg")
    with pytest.raises(importkit.ImportKitImportError, match="not a package"):
        rt.resources("game.core")
    with pytest.raises(importkit.InvalidNameError):
        rt.resources("")


# -- iter_modules ---------------------------------------------------------------------------------------------------


def test_iter_modules_of_a_package_and_of_the_top_level(rt):
    rt.mount("game", GAME)
    rt.mount("", {"tool.py": "", "kit/__init__.py": ""})
    infos = rt.iter_modules("game")
    assert [(m.name, m.ispkg) for m in infos] == [("core", False), ("sub", True)]
    assert all(isinstance(m, pkgutil.ModuleInfo) and m.module_finder is rt for m in infos)
    name, ispkg = infos[1][1:]
    assert (name, ispkg) == ("sub", True)  # a (module_finder, name, ispkg) tuple, as pkgutil's
    top = {m.name: m.ispkg for m in rt.iter_modules()}
    assert top["game"] is True and top["kit"] is True and top["tool"] is False
    assert "__future__" in top  # the native every runtime registers
    assert "game" not in rt  # nothing imported


def test_iter_modules_leaves_out_denied_names(rt):
    rt.mount("game", GAME)
    rt.mount("", {"tool.py": ""})
    rt.deny("tool")
    assert "tool" not in {m.name for m in rt.iter_modules()}
    assert "game" in {m.name for m in rt.iter_modules()}


def test_iter_modules_of_a_filesystem_package(fs, tmp_path):
    write(tmp_path, {"fsp/__init__.py": "", "fsp/a.py": "", "fsp/b/__init__.py": "", "fsp/notes.txt": ""})
    fs.path_append(str(tmp_path))
    assert [(m.name, m.ispkg) for m in fs.iter_modules("fsp")] == [("a", False), ("b", True)]


def test_iter_modules_errors(rt):
    rt.mount("game", GAME)
    with pytest.raises(importkit.NotFoundError):
        rt.iter_modules("nopkg")
    with pytest.raises(importkit.ImportKitImportError, match="not a package"):
        rt.iter_modules("game.core")
    with pytest.raises(TypeError):
        rt.iter_modules(3)  # type: ignore[arg-type]


# -- reload ---------------------------------------------------------------------------------------------------------


def test_reload_executes_the_new_code_in_the_same_module(rt):
    rt.mount("game", {"__init__.py": "X = 1\nCOUNT = globals().get('COUNT', 0) + 1\n"})
    game = rt.import_module("game")
    game.extra = "kept"
    rt.mount("game", {"__init__.py": "X = 2\nCOUNT = globals().get('COUNT', 0) + 1\n"}, replace=True)
    again = rt.reload("game")
    assert again is game and rt.get_module("game") is game
    assert game.X == 2 and game.COUNT == 2 and game.extra == "kept"  # as importlib.reload: same namespace
    assert rt.module_state("game") == "ready"


def test_reload_of_a_module_not_imported(rt):
    rt.mount("game", GAME)
    with pytest.raises(importkit.NotFoundError, match="not in the module table") as info:
        rt.reload("game")
    assert info.value.module == "game"
    assert "game" not in rt  # nor is it imported now
    with pytest.raises(importkit.InvalidNameError):
        rt.reload("")


def test_reload_whose_code_raises_keeps_the_module_as_it_was(rt):
    rt.mount("game", {"__init__.py": "X = 1\n"})
    game = rt.import_module("game")
    rt.mount("game", {"__init__.py": "Y = 'new'\nraise LookupError('broken on reload')\n"}, replace=True)
    with pytest.raises(importkit.ExecError, match="broken on reload") as info:
        rt.reload("game")
    assert isinstance(info.value.__cause__, LookupError)
    assert rt.get_module("game") is game and rt.module_state("game") == "ready"
    assert game.X == 1  # still there (the failed run may have set names before raising, as CPython's reload)
    rt.mount("game", {"__init__.py": "X = 3\n"}, replace=True)
    assert rt.reload("game") is game and game.X == 3  # and reloads again once fixed


def test_reload_of_a_module_that_is_gone(rt):
    rt.mount("", {"solo.py": "S = 1\n"})
    solo = rt.import_module("solo")
    rt.unmount("")
    with pytest.raises(importkit.NotFoundError):
        rt.reload("solo")
    assert rt.get_module("solo") is solo and solo.S == 1


def test_reload_follows_a_module_to_another_source(fs, tmp_path):
    write(tmp_path, {"mover.py": "WHERE = 'fs'\n"})
    fs.mount("", {"mover.py": "WHERE = 'memory'\n"})
    mover = fs.import_module("mover")
    assert mover.WHERE == "memory" and mover.__file__ == f"{sys.executable}/mover.py"
    fs.unmount("")
    fs.path_append(str(tmp_path))
    assert fs.reload("mover") is mover
    assert mover.WHERE == "fs"
    # its attributes follow the new spec, as importlib.reload sets them
    assert mover.__file__ == str(tmp_path / "mover.py")
    assert mover.__spec__.origin == str(tmp_path / "mover.py")
    assert type(mover.__loader__).__name__ == "SourceFileLoader"


def test_reload_of_a_submodule_whose_parent_left_the_table(rt):
    rt.mount("game", GAME)
    rt.import_module("game.core")
    rt.remove_module("game")
    with pytest.raises(importkit.ImportKitImportError):
        rt.reload("game.core")


def test_reload_of_an_inserted_module(fs, tmp_path):
    write(tmp_path, {"hosted.py": "V = 9\n"})
    fs.path_append(str(tmp_path))
    mod = types.ModuleType("hosted")
    fs.insert_module("hosted", mod)
    assert fs.reload("hosted") is mod
    assert mod.V == 9 and mod.__file__ == str(tmp_path / "hosted.py")


# -- finders written in Python serving resources and listings ----------------------------------------------------


class ResourceFinder:
    """A host finder with a package ``hp`` (module ``hp.mod``), its files, and listings."""

    FILES = {"a.txt": b"A", "text.txt": "text as str", "dir/b.txt": bytearray(b"B")}

    def __init__(self):
        self.asked = []

    def find(self, name, path):
        if name == "hp":
            return importkit.Found(origin="res:hp", is_package=True, locations=["res:hp"], source="")
        if name == "hp.mod":
            return importkit.Found(origin="res:hp/mod", source="M = 1\n")
        return None

    def read_resource(self, package, resource):
        self.asked.append(("read", package, resource))
        if resource == "boom.txt":
            raise OSError("disk on fire")
        if resource == "wrong.txt":
            return 42
        return self.FILES.get(resource)

    def resources(self, package):
        self.asked.append(("resources", package))
        return ["a.txt", "dir", "text.txt"]

    def iter_modules(self, package):
        self.asked.append(("iter_modules", package))
        if package is None:
            return [("hp", True)]
        return [pkgutil.ModuleInfo(None, "mod", False)]


def test_host_finder_serves_resources_and_listings(rt):
    finder = ResourceFinder()
    rt.add_finder(finder, name="res")
    assert rt.read_resource("hp", "a.txt") == b"A"
    assert rt.read_resource("hp", "text.txt") == b"text as str"
    assert rt.read_resource("hp", "dir/b.txt") == b"B"
    assert rt.resources("hp") == ["a.txt", "dir", "text.txt"]
    assert [(m.name, m.ispkg) for m in rt.iter_modules("hp")] == [("mod", False)]
    assert ("hp", True) in [(m.name, m.ispkg) for m in rt.iter_modules()]
    assert ("read", "hp", "dir/b.txt") in finder.asked
    assert ("iter_modules", None) in finder.asked and ("iter_modules", "hp") in finder.asked
    with pytest.raises(importkit.NotFoundError, match="no resource 'missing.txt'"):
        rt.read_resource("hp", "missing.txt")  # None: no such file
    with pytest.raises(importkit.ImportKitImportError, match="not a package"):
        rt.read_resource("hp.mod", "a.txt")
    with pytest.raises(importkit.InvalidArgumentError):
        rt.read_resource("hp", "../a.txt")  # refused before the finder is asked
    assert not [a for a in finder.asked if a[0] == "read" and ".." in a[2]]
    assert rt.import_module("hp.mod").M == 1  # and it still imports


def test_host_finder_failures_are_host_errors_with_their_exception(rt):
    rt.add_finder(ResourceFinder(), name="res")
    with pytest.raises(importkit.HostError, match="OSError: disk on fire") as info:
        rt.read_resource("hp", "boom.txt")
    assert isinstance(info.value.__cause__, OSError)
    with pytest.raises(importkit.HostError, match="TypeError: read_resource must return bytes") as info:
        rt.read_resource("hp", "wrong.txt")
    assert isinstance(info.value.__cause__, TypeError)


def test_host_finder_listings_importkit_refuses(rt):
    rt.add_finder(lambda name, path: None, name="dotted", iter_modules=lambda package: [("a.b", False)])
    with pytest.raises(importkit.HostError, match="not a name directly in a package"):
        rt.iter_modules()
    rt2 = importkit.Runtime()
    try:
        rt2.add_finder(lambda name, path: None, name="str", iter_modules=lambda package: "abc")
        with pytest.raises(importkit.HostError, match="TypeError"):
            rt2.iter_modules()
    finally:
        rt2.close()


def test_host_finder_functions_as_keyword_arguments(rt):
    def find(name, path):
        return importkit.Found(origin="kw:p", is_package=True, locations=["kw:p"], source="") if name == "p" else None

    rt.add_finder(find, name="kw", read_resource=lambda package, resource: f"{package}/{resource}",
                  resources=lambda package: None, iter_modules=lambda package: None)
    assert rt.read_resource("p", "x/y.txt") == b"p/x/y.txt"
    assert rt.resources("p") == []  # None: nothing listed
    assert rt.iter_modules("p") == []


def test_host_finder_without_resource_methods_serves_none(rt):
    rt.add_finder(lambda name, path: importkit.Found(origin="plain:p", is_package=True, locations=["plain:p"],
                                                     source="") if name == "plain_p" else None, name="plain")
    with pytest.raises(importkit.NotFoundError):
        rt.read_resource("plain_p", "a.txt")
    with pytest.raises(importkit.UnavailableError):
        rt.resources("plain_p")  # no source lists it
    assert rt.iter_modules("plain_p") == []


def test_keyboard_interrupt_in_read_resource_stays_a_keyboard_interrupt(rt):
    def read(package, resource):
        raise KeyboardInterrupt

    rt.add_finder(lambda name, path: importkit.Found(origin="ki:p", is_package=True, locations=["ki:p"],
                                                     source="") if name == "kip" else None,
                  name="ki", read_resource=read)
    with pytest.raises(KeyboardInterrupt):
        rt.read_resource("kip", "a.txt")
    rt.mount("ok", {"__init__.py": ""})
    assert rt.read_resource("ok", "__init__.py") == b""  # the runtime is still usable


def test_add_finder_refuses_what_is_no_finder(rt):
    with pytest.raises(TypeError):
        rt.add_finder(object())


class EntryFinder:
    """The finder of one ``virt:`` entry: ``virt:root`` holds package ``vp``, whose location ``virt:root/vp``
    holds ``vp.m`` and the file ``d.txt``."""

    def __init__(self, entry):
        self.entry = entry

    def find(self, name):
        if self.entry == "virt:root" and name == "vp":
            return importkit.Found(origin="virt:root/vp/__init__.py", is_package=True, locations=["virt:root/vp"],
                                   source="")
        if self.entry == "virt:root/vp" and name == "vp.m":
            return importkit.Found(origin="virt:root/vp/m.py", source="")
        return None

    def read_resource(self, resource):
        if resource == "boom":
            raise ValueError(f"cannot read {resource} of {self.entry}")
        return f"{resource} of {self.entry}".encode() if resource == "d.txt" else None

    def resources(self):
        return ["d.txt", "m.py"] if self.entry == "virt:root/vp" else ["vp"]

    def iter_modules(self):
        return [("vp", True)] if self.entry == "virt:root" else [("m", False)]


def test_entry_finders_serve_resources_and_listings(fs):
    fs.add_path_hook(lambda entry: EntryFinder(entry) if entry.startswith("virt:") else None, name="virt")
    fs.path = ["virt:root"]
    assert fs.read_resource("vp", "d.txt") == b"d.txt of virt:root/vp"
    assert fs.resources("vp") == ["d.txt", "m.py"]
    assert [(m.name, m.ispkg) for m in fs.iter_modules("vp")] == [("m", False)]
    assert ("vp", True) in [(m.name, m.ispkg) for m in fs.iter_modules()]
    with pytest.raises(importkit.NotFoundError):
        fs.read_resource("vp", "none.txt")
    with pytest.raises(importkit.HostError, match="ValueError: cannot read boom") as info:
        fs.read_resource("vp", "boom")
    assert isinstance(info.value.__cause__, ValueError)
    with pytest.raises(importkit.ImportKitImportError, match="not a package"):
        fs.resources("vp.m")
    assert "vp" not in fs


def test_entry_finder_that_is_a_plain_callable_lists_nothing(fs):
    fs.add_path_hook(lambda entry: (lambda name: None) if entry.startswith("bare:") else None, name="bare")
    fs.path = ["bare:root"]
    assert [m.name for m in fs.iter_modules()] == ["__future__"]


def test_the_vtables_use_the_second_layout(rt):
    vt = importkit._callbacks.finder_vtable(rt._state, lambda name, path: None, None, "x",
                                            read_resource=lambda p, r: None)
    assert vt.size == ctypes.sizeof(_ffi.ik_finder) > _ffi.FINDER_SIZE_V1
    assert vt.read_resource and not vt.resources and not vt.iter_modules  # NULL: not served


def test_a_failing_top_level_listing_names_no_module(fs):
    def fail(*args):
        raise RuntimeError("listing is broken")

    class Broken(EntryFinder):
        iter_modules = resources = fail

    fs.add_finder(lambda name, path: None, name="top", iter_modules=fail)
    with pytest.raises(importkit.HostError, match="finder 'host:top' listing the top-level modules failed: "
                                                  "RuntimeError: listing is broken") as info:
        fs.iter_modules()
    assert info.value.module is None and "''" not in str(info.value)
    fs2 = importkit.Runtime()
    try:
        fs2.enable_filesystem()
        fs2.add_path_hook(lambda entry: Broken(entry) if entry.startswith("virt:") else None, name="virt")
        fs2.path = ["virt:root"]
        with pytest.raises(importkit.HostError, match="hook 'virt' listing the modules of its entry failed") as info:
            fs2.iter_modules()
        assert info.value.module is None  # not 'hook:virt', which is no module
    finally:
        fs2.close()


def test_a_failing_package_listing_of_an_entry_finder_names_the_package(fs):
    class Broken(EntryFinder):
        def iter_modules(self):
            if self.entry == "virt:root/vp":
                raise RuntimeError("package listing is broken")
            return super().iter_modules()

        def resources(self):
            raise RuntimeError("resources are broken")

    fs.add_path_hook(lambda entry: Broken(entry) if entry.startswith("virt:") else None, name="virt")
    fs.path = ["virt:root"]
    with pytest.raises(importkit.HostError, match="package listing is broken") as info:
        fs.iter_modules("vp")
    assert info.value.module == "vp"
    with pytest.raises(importkit.HostError, match="resources are broken") as info:
        fs.resources("vp")
    assert info.value.module == "vp"
