"""The Runtime over the whole ABI (full import mode: importkit's own module table), the library lookup, the
errors and the callback firewall."""

from __future__ import annotations

import ctypes
import errno
import gc
import importlib
import importlib.machinery
import inspect
import marshal
import os
import re
import shutil
import sys
import sysconfig
import traceback
import types
from pathlib import Path

import pytest

import importkit
from importkit import _ffi, loaders

from conftest import BINDING_ROOT, REPO_ROOT, run_python, write


# -- the library ----------------------------------------------------------------------------------------------------


def test_every_function_of_the_header_is_declared_and_used_by_the_package():
    header = (REPO_ROOT / "include" / "importkit.h").read_text()
    declared = set(re.findall(r"^\S[^(\n]*?\b(ik_\w+)\(", header, re.M))
    assert declared == set(_ffi.SIGNATURES)
    for name, (restype, argtypes) in _ffi.SIGNATURES.items():
        fn = getattr(_ffi.lib(), name)
        assert fn.restype is restype and fn.argtypes == argtypes, name
    sources = "".join(p.read_text() for p in (BINDING_ROOT / "importkit").glob("*.py") if p.name != "_ffi.py")
    ffi = (BINDING_ROOT / "importkit" / "_ffi.py").read_text()
    # Accessors of one spec field each, which the package reads all at once with ik_spec_get_fields (they are
    # declared, and called by test_a_spec_read_whole_agrees_with_each_accessor through the library).
    superseded = ("ik_spec_name", "ik_spec_parent", "ik_spec_ref_count")
    # _ffi.py past the table: the hot path's declarations (quoted names) and its helpers' calls (``.name(``)
    tail = ffi.split("SIGNATURES")[-1]
    unused = [n for n in declared if f"{n}" not in sources and f'"{n}"' not in tail and f".{n}(" not in tail
              and n not in ("ik_version_number",) + superseded]
    assert unused == []


def test_a_spec_read_whole_agrees_with_each_accessor(tmp_path):
    # Spec.from_ptr reads a spec in one call (ik_spec_get_fields); each field is what its own accessor gives,
    # for a module with a file and a cached path and for a package of a mount (no file).
    lib = _ffi.lib()
    write(tmp_path, {"pkg/__init__.py": "", "pkg/mod.py": ""})
    rt = importkit.Runtime()
    rt.set_virtual_root(None)  # mounted modules without files (a runtime starts with a virtual root)
    rt.enable_filesystem()
    rt.path_append(str(tmp_path))
    rt.mount("app", {"__init__.py": "", "sub/__init__.py": ""})
    t = _ffi.text
    for name in ("pkg.mod", "pkg", "app.sub"):
        ptr = ctypes.c_void_p()
        err = ctypes.c_void_p()
        assert lib.ik_runtime_find_spec(rt._state._ptr, name.encode(), None, ctypes.byref(ptr), ctypes.byref(err)) == 0
        try:
            spec = importkit.Spec.from_ptr(ptr.value)
            assert spec.name == t(lib.ik_spec_name, ptr) == name
            assert spec.parent == t(lib.ik_spec_parent, ptr)
            assert spec.origin == t(lib.ik_spec_origin, ptr)
            assert spec.file == t(lib.ik_spec_file, ptr)
            assert spec.cached == t(lib.ik_spec_cached, ptr)
            assert spec.kind == lib.ik_spec_kind(ptr)
            assert spec.is_package == lib.ik_spec_is_package(ptr)
            assert len(spec.locations) == lib.ik_spec_location_count(ptr)
            assert len(spec.refs) == lib.ik_spec_ref_count(ptr)
        finally:
            lib.ik_spec_free(ptr)
    assert rt.find_spec("pkg.mod").cached and rt.find_spec("pkg.mod").file.endswith("mod.py")
    assert rt.find_spec("app.sub").file is None
    fields = _ffi.ik_spec_fields()
    fields.size = ctypes.sizeof(fields) - 8
    err = ctypes.c_void_p()
    assert lib.ik_spec_get_fields(None, ctypes.byref(fields), ctypes.byref(err)) == _ffi.IK_ERR_INVALID_ARGUMENT
    lib.ik_error_free(err)
    rt.close()


def test_library_lookup_order(monkeypatch, tmp_path):
    monkeypatch.delenv("IMPORTKIT_LIB", raising=False)
    paths = _ffi.candidate_paths()
    package = BINDING_ROOT / "importkit"
    assert paths == [
        str(package / "libimportkit.so"),
        str(BINDING_ROOT / "libimportkit.so"),
        str(REPO_ROOT / "target" / "release" / "libimportkit.so"),
        str(REPO_ROOT / "target" / "debug" / "libimportkit.so"),
    ]
    monkeypatch.setenv("IMPORTKIT_LIB", str(tmp_path / "x.so"))
    assert _ffi.candidate_paths() == [str(tmp_path / "x.so")]


def test_library_beside_an_installed_copy_of_the_package(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(BINDING_ROOT / "importkit", site / "importkit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(_ffi.library_path(), site / "importkit" / "libimportkit.so")
    out = run_python(
        "import importkit, importkit._ffi as f; print(f.library_path()); print(importkit.version())",
        env={"IMPORTKIT_LIB": None, "PYTHONPATH": str(site)},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(site / "importkit" / "libimportkit.so"), "0.1.0"]
    out = run_python("import importkit; importkit.Runtime()", env={"IMPORTKIT_LIB": str(tmp_path / "none.so")})
    assert out.returncode != 0 and "shared library not found" in out.stderr


def test_importing_the_package_loads_little():
    out = run_python(
        "import sys; before = set(sys.modules); import importkit; importkit.install(); "
        "print(sorted(set(sys.modules) - before))"
    )
    assert out.returncode == 0, out.stderr
    loaded = set(eval(out.stdout))  # noqa: S307 - our own output
    for heavy in ("importlib.abc", "importlib.resources", "typing", "pathlib", "threading", "enum", "inspect"):
        assert heavy not in loaded, heavy


# -- errors ----------------------------------------------------------------------------------------------------------


def test_error_classes():
    assert issubclass(importkit.NotFoundError, ModuleNotFoundError)
    assert issubclass(importkit.DeniedError, PermissionError) and not issubclass(importkit.DeniedError, ImportError)
    assert issubclass(importkit.InvalidNameError, ValueError)
    assert issubclass(importkit.HostError, ImportError)
    for cls in importkit.errors.CLASSES.values():
        assert issubclass(cls, importkit.ImportKitError)
        e = cls("text", module="m", attempts=[("p", "r")])
        assert (e.message, e.module, e.name, e.attempts, str(e)) == ("text", "m", "m", [("p", "r")], "text")
        assert e.status_name == _ffi.STATUS_NAMES[cls.status]


def test_not_found_carries_every_place_tried(fs, tmp_path):
    fs.mount("game", {"__init__.py": ""})
    fs.path_append(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as info:
        fs.import_module("game.nothere")
    places = [p for p, _ in info.value.attempts]
    assert "memory:/game" in places
    with pytest.raises(importkit.NotFoundError) as info:
        fs.find_spec("toplevel_nothere")
    assert str(tmp_path) in [p for p, _ in info.value.attempts]
    assert info.value.name == "toplevel_nothere"


def test_denied_errors_from_nested_imports_stay_permission_errors(rt):
    rt.deny("secret")
    rt.mount("app", {"__init__.py": "import secret\n"})
    with pytest.raises(importkit.DeniedError) as info:
        rt.import_module("app")
    assert info.value.module == "secret"
    assert "app" not in rt


# -- profiles -------------------------------------------------------------------------------------------------------


def test_custom_profile():
    p = importkit.Profile("empty", name="tl")
    p.add_suffix(importkit.Kind.SOURCE, ".tl")
    p.set_init_stem("init")
    p.set_namespace_dirs(False)
    p.set_identifiers("lua")
    with importkit.Runtime(p) as rt:
        rt.mount("ui", {"init.tl": "X = 1\n", "my-button.tl": "Y = 2\n", "dir/x.tl": ""})
        assert rt.import_module("ui").X == 1
        assert rt.import_module("ui.my-button").Y == 2
        with pytest.raises(importkit.NotFoundError):
            rt.find_spec("ui.dir")  # no namespace directories in this profile
    p.clear_suffixes(importkit.Kind.SOURCE)
    p.free()
    with pytest.raises(ValueError):
        p.add_suffix(importkit.Kind.SOURCE, ".x")
    with pytest.raises(ValueError):
        importkit.Profile("cobol")


def test_interpreter_profile_matches_importlib_machinery(tmp_path):
    write(tmp_path, {"m.abi3.so": b"", "m.py": "", "n.pyc": b""})
    with importkit.Runtime(importkit.Profile.interpreter()) as rt:
        rt.enable_filesystem()
        rt.path = [str(tmp_path)]
        assert rt.path_find_spec("m").kind is importkit.Kind.EXTENSION  # extension before source, as CPython
        assert rt.path_find_spec("n").kind is importkit.Kind.BYTECODE


# -- the search path and the filesystem (full import mode) --------------------------------------------------------


def test_search_path_operations(fs, tmp_path):
    assert fs.path == []
    fs.path_append("b")
    fs.path_insert(0, "a")
    fs.path_append(tmp_path)
    assert fs.path == ["a", "b", str(tmp_path)]
    fs.path_remove("b")
    assert fs.path == ["a", str(tmp_path)]
    with pytest.raises(importkit.UnavailableError):
        fs.path_remove("b")
    fs.path = ["x", "y"]
    assert fs.path == ["x", "y"]


def test_filesystem_off_by_default(rt, tmp_path):
    write(tmp_path, {"offmod.py": ""})
    rt.path_append(str(tmp_path))
    with pytest.raises(importkit.NotFoundError):
        rt.import_module("offmod")
    with pytest.raises(importkit.UnavailableError):
        rt.path_find_spec("offmod")
    rt.enable_filesystem(True)
    assert rt.path_find_spec("offmod").file == str(tmp_path / "offmod.py")


def test_filesystem_modules_in_the_runtimes_own_table(fs, tmp_path, import_state):
    sys.dont_write_bytecode = False
    write(tmp_path, {
        "fspkg/__init__.py": "from . import sub\nVALUE = sub.X + 1\n",
        "fspkg/sub.py": "X = 41\ndef fail():\n    return 1 / 0\n",
        "fspkg/data.txt": "pkg data",
    })
    fs.path_append(str(tmp_path))
    pkg = fs.import_module("fspkg")
    assert pkg.VALUE == 42
    assert "fspkg" not in sys.modules and "fspkg.sub" not in sys.modules
    assert pkg.__file__ == str(tmp_path / "fspkg" / "__init__.py")
    assert pkg.__cached__ == importlib.util.cache_from_source(pkg.__file__)
    assert pkg.__path__ == [str(tmp_path / "fspkg")]
    assert type(pkg.__loader__) is loaders.SourceFileLoader and pkg.__spec__.loader is pkg.__loader__
    assert pkg.__spec__.loader_state.origin == "fs:" + pkg.__file__
    assert Path(pkg.__cached__).is_file()  # __pycache__ written as CPython writes it
    assert importlib.resources.files(pkg).joinpath("data.txt").read_text() == "pkg data"
    try:
        pkg.sub.fail()
    except ZeroDivisionError:
        assert "return 1 / 0" in traceback.format_exc()
    # the runtime's table is CPython-like: the same module again, without executing it
    assert fs.import_module("fspkg.sub") is pkg.sub


def test_bytecode_and_extension_modules_in_the_runtimes_own_table(fs, tmp_path):
    import py_compile

    src = write(tmp_path / "src", {"compiled_only.py": "X = 'pyc'\n"}) / "compiled_only.py"
    py_compile.compile(str(src), cfile=str(tmp_path / "lib" / "compiled_only.pyc"))
    fs.path_append(str(tmp_path / "lib"))
    assert fs.import_module("compiled_only").X == "pyc"
    dynload = Path(sysconfig.get_paths()["platstdlib"]) / "lib-dynload"
    candidates = sorted(dynload.glob("_json.*so"))
    if not candidates:
        pytest.skip("no _json extension module in lib-dynload")
    fs.path_append(str(dynload))
    ext = fs.import_module("_json")
    assert type(ext.__loader__) is loaders.ExtensionFileLoader
    assert ext.__file__ == str(candidates[0])
    assert ext.scanstring('"x"', 1) == ("x", 3)


def test_namespace_packages_follow_the_search_path(fs, tmp_path):
    write(tmp_path / "p1", {"nsp/one.py": "X = 1\n"})
    write(tmp_path / "p2", {"nsp/two.py": "X = 2\n"})
    fs.path = [str(tmp_path / "p1")]
    nsp = fs.import_module("nsp")
    assert list(nsp.__path__) == [str(tmp_path / "p1" / "nsp")]
    assert isinstance(nsp.__loader__, importlib.machinery.NamespaceLoader) and nsp.__file__ is None
    fs.path_append(str(tmp_path / "p2"))
    assert fs.namespace_locations("nsp") == [str(tmp_path / "p1" / "nsp"), str(tmp_path / "p2" / "nsp")]
    assert list(nsp.__path__) == fs.namespace_locations("nsp")  # a live view
    assert fs.import_module("nsp.two").X == 2


def test_path_find_spec_recheck_drop_caches_and_confinement(fs, tmp_path):
    write(tmp_path / "inside", {"inmod.py": ""})
    write(tmp_path / "outside", {"outmod.py": ""})
    entries = [str(tmp_path / "inside"), str(tmp_path / "outside")]
    spec = fs.path_find_spec("inmod", entries)
    assert (spec.file, spec.cached) == (str(tmp_path / "inside" / "inmod.py"),
                                        importlib.util.cache_from_source(str(tmp_path / "inside" / "inmod.py")))
    fs.set_recheck(3_600_000)
    (tmp_path / "inside" / "later.py").write_text("")
    with pytest.raises(importkit.NotFoundError):
        fs.path_find_spec("later", entries)  # the listing is trusted for an hour
    fs.drop_caches()
    assert fs.path_find_spec("later", entries).file == str(tmp_path / "inside" / "later.py")
    (tmp_path / "inside" / "later2.py").write_text("")
    fs.invalidate()
    assert fs.path_find_spec("later2", entries)
    fs.confine(str(tmp_path / "inside"))
    assert fs.path_find_spec("inmod", entries)
    with pytest.raises(importkit.NotFoundError) as info:
        fs.path_find_spec("outmod", entries)
    assert any("outside the allowed roots" in reason for _, reason in info.value.attempts)
    fs.clear_confinement()
    assert fs.path_find_spec("outmod", entries)


# -- host finders and path hooks ------------------------------------------------------------------------------------


def test_host_finder_with_source_and_locations(rt):
    asked = []

    def find(name, path):
        asked.append((name, path))
        if name == "plug":
            return importkit.Found(origin="plugins:plug", is_package=True, locations=["plugins:plug"],
                                   source="from . import inner\nNAME = 'plug'\n")
        if name == "plug.inner":
            return importkit.Found(origin="plugins:plug/inner", source=b"VALUE = 7\n")
        return None

    finder_id = rt.add_finder(find, name="plugins", position=0)
    plug = rt.import_module("plug")
    assert plug.NAME == "plug" and plug.inner.VALUE == 7
    assert asked == [("plug", None), ("plug.inner", ["plugins:plug"])]
    assert plug.__spec__.origin == "plugins:plug" and plug.__path__ == ["plugins:plug"]
    assert plug.__loader__.get_source("plug") == "from . import inner\nNAME = 'plug'\n"
    rt.remove_finder(finder_id)
    with pytest.raises(importkit.NotFoundError):
        rt.find_spec("other")
    with pytest.raises(importkit.UnavailableError):
        rt.remove_finder(finder_id)


def test_a_failing_host_finder_gives_a_host_error_with_its_exception(rt):
    def find(name, path):
        raise LookupError(f"broken index for {name}")

    rt.add_finder(find, name="broken")
    with pytest.raises(importkit.HostError) as info:
        rt.import_module("anything")
    assert "LookupError: broken index for anything" in str(info.value)
    assert isinstance(info.value.__cause__, LookupError)
    rt.add_finder(lambda name, path: "not a Found", name="wrong", position=0)
    with pytest.raises(importkit.HostError, match="importkit.Found"):
        rt.import_module("anything")


def test_code_cache_settings_translate_and_this_executor_runs_code(rt, tmp_path):
    rt.set_code_cache_dir(tmp_path)
    rt.set_code_cache_dir(None)
    with pytest.raises(importkit.InvalidArgumentError, match="does not exist"):
        rt.set_code_cache_dir(tmp_path / "missing")
    with pytest.raises(importkit.InvalidArgumentError):
        rt.set_code_cache_dir("")
    rt.set_code_cache_limit(1024)
    with pytest.raises(ValueError):
        rt.set_code_cache_limit(-1)
    tag = sys.implementation.cache_tag

    def find(name, path):
        if name == "coded":
            return importkit.Found(origin="c:coded", source="X = 'source'\n",
                                   code=(tag, marshal.dumps(compile("X = 'code'\n", "c:coded", "exec"))))
        if name == "codeonly":
            return importkit.Found(origin="c:codeonly", code=(tag, b"x"))
        if name == "badtag":
            return importkit.Found(origin="c:badtag", source="", code=("a/b", b"x"))
        return None

    rt.add_finder(find, name="coded")
    # The binding's executor takes code (exec_code; no compile): the code given for the tag runs, not the source.
    assert rt.import_module("coded").X == "code"
    stats = rt.code_cache_stats()
    assert stats["limit"] == 1024 and stats["compiles"] == 0 and stats["hits_source"] == 1
    with pytest.raises(importkit.HostError, match="without its source"):
        rt.import_module("codeonly")
    with pytest.raises(importkit.HostError, match="invalid cache tag"):
        rt.import_module("badtag")


def test_keyboard_interrupt_in_a_finder_stays_a_keyboard_interrupt(rt):
    def find(name, path):
        if name == "anything":
            raise KeyboardInterrupt
        return None

    rt.add_finder(find)
    with pytest.raises(KeyboardInterrupt):
        rt.import_module("anything")
    rt.mount("ok", {"__init__.py": ""})  # the runtime is still usable
    assert rt.import_module("ok")


def test_path_hooks_of_the_runtime(fs):
    made = []

    class Entry:
        def __init__(self, entry):
            self.entry = entry
            self.invalidated = 0

        def find(self, name):
            if name == "vmod":
                return importkit.Found(origin=f"{self.entry}/vmod.py", source="X = 'virtual'\n")
            if name == "vns":
                return importkit.Found(kind=importkit.Kind.NAMESPACE, locations=[f"{self.entry}/vns"])
            if name == "boom":
                raise RuntimeError("entry finder broke")
            return None

        def invalidate(self):
            self.invalidated += 1

    def hook(entry):
        if not entry.startswith(("virtual:", "/virtual/")):
            return None
        made.append(Entry(entry))
        return made[-1]

    hook_id = fs.add_path_hook(hook, name="virtual")
    fs.path = ["virtual:one", "/virtual/two"]
    assert fs.import_module("vmod").X == "virtual"
    assert fs.find_spec("vns").kind is importkit.Kind.NAMESPACE
    assert fs.find_spec("vns").locations == ("virtual:one/vns", "/virtual/two/vns")
    with pytest.raises(importkit.HostError) as info:
        fs.import_module("boom")
    assert isinstance(info.value.__cause__, RuntimeError)
    assert [e.entry for e in made] == ["virtual:one", "/virtual/two"]  # each entry's finder is cached
    fs.invalidate()  # as CPython: absolute entries keep their finder (invalidated), others are dropped
    assert made[1].invalidated == 1
    fs.find_spec("vns")  # not in the table: searched again
    assert [e.entry for e in made] == ["virtual:one", "/virtual/two", "virtual:one"]
    fs.remove_path_hook(hook_id)
    fs.drop_caches()
    with pytest.raises(importkit.NotFoundError):
        fs.find_spec("vmod2")


def test_path_hook_of_the_runtime_under_install(import_state):
    rt = importkit.Runtime(importkit.Profile.interpreter())

    def hook(entry):
        if entry != "generated:":
            return None
        return lambda name: importkit.Found(origin=f"generated:{name}", source=f"NAME = {name!r}\n") \
            if name.startswith("gen_") else None

    rt.add_path_hook(hook, name="generated")
    importkit.install(rt)
    try:
        sys.path.append("generated:")
        import gen_alpha

        assert gen_alpha.NAME == "gen_alpha"
        assert gen_alpha.__spec__.origin == "generated:gen_alpha"
        assert gen_alpha.__loader__.get_source("gen_alpha") == "NAME = 'gen_alpha'\n"
    finally:
        importkit.uninstall()
        rt.close()


# -- the module table -----------------------------------------------------------------------------------------------


def test_module_table_operations(rt, tmp_path):
    mod = types.ModuleType("inserted")
    rt.insert_module("inserted", mod)
    assert "inserted" in rt and rt.get_module("inserted") is mod
    assert rt.module_state("inserted") == "ready"
    assert rt.module_state("absent") is None
    assert rt.import_module("inserted") is mod
    pkg = types.ModuleType("hostpkg")
    write(tmp_path, {"child.py": "C = 1\n"})
    rt.enable_filesystem()
    rt.insert_module("hostpkg", pkg, locations=[str(tmp_path)])
    assert rt.import_module("hostpkg.child").C == 1
    assert rt.module_spec("hostpkg").origin == "host:inserted"
    rt.mount("m", {"__init__.py": ""})
    rt.import_module("m")
    assert rt.module_spec("m").origin == "memory:/m/__init__.py"
    assert rt.modules() == ["hostpkg", "hostpkg.child", "inserted", "m"]
    rt.remove_module("inserted")
    assert "inserted" not in rt
    with pytest.raises(importkit.NotFoundError):
        rt.remove_module("inserted")


def test_import_from_is_dunder_import(rt):
    rt.mount("game", {"__init__.py": "", "core.py": "X = 1\n", "util/__init__.py": "", "util/text.py": "T = 2\n"})
    assert rt.import_from("game.util.text").__name__ == "game"  # import a.b.c binds a
    assert rt.import_from("game.util", ["text"]).text.T == 2
    assert rt.import_from("core", ["X"], level=1, package="game").X == 1
    assert rt.import_module(".core", package="game").X == 1


# -- mounts in the runtime's own table ----------------------------------------------------------------------------


def test_mounted_modules_have_cpython_attributes_and_resources(rt):
    rt.mount("game", {"__init__.py": "", "core.py": "def speed():\n    return 3\n", "data/a.txt": "A"})
    game = rt.import_module("game")
    core = rt.import_module("game.core")
    assert type(game.__spec__) is importlib.machinery.ModuleSpec
    assert game.__spec__.loader is game.__loader__
    assert (game.__spec__.origin, game.__spec__.has_location) == (f"{sys.executable}/game/__init__.py", True)
    assert game.__spec__.loader_state.kind is importkit.Kind.SOURCE
    assert importlib.resources.files(game).joinpath("data/a.txt").read_text() == "A"
    assert inspect.getsource(core.speed) == "def speed():\n    return 3\n"  # through linecache
    assert core.__loader__.get_code("game.core").co_filename == f"{sys.executable}/game/core.py"


def test_virtual_root_in_the_runtimes_own_table(rt, tmp_path):
    rt.set_virtual_root(str(tmp_path / "app"))
    rt.mount("vg", {"__init__.py": "HERE = __file__\n"})
    vg = rt.import_module("vg")
    assert vg.HERE == str(tmp_path / "app" / "vg" / "__init__.py")
    rt.set_virtual_root(None)
    rt.mount("vh", {"__init__.py": ""})
    assert not hasattr(rt.import_module("vh"), "__file__")


def test_mount_a_directory_and_borrowed_bytes_released(rt, tmp_path):
    write(tmp_path / "tree", {"__init__.py": "from .a import A\n", "a.py": "A = 'a'\n"})
    rt.mount("dtree", str(tmp_path / "tree"))
    assert rt.import_module("dtree").A == "a"
    assert len(rt._state.borrowed) == 1  # importkit reads our bytes in place
    rt.unmount("dtree")
    gc.collect()
    assert rt._state.borrowed == {}  # released once no import reads them
    assert rt.mounts == []
    with pytest.raises(FileNotFoundError) as missing:  # as os.listdir says: an OSError with errno and filename
        rt.mount("nodir", str(tmp_path / "missing"))
    assert missing.value.errno == errno.ENOENT and missing.value.filename == str(tmp_path / "missing")
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError):
        rt.mount("nodir", str(tmp_path / "file"))


def test_mount_failure_keeps_nothing(rt):
    with pytest.raises(importkit.InvalidMountError):
        rt.mount("bad", {"../x.py": ""})
    assert rt._state.borrowed == {} and rt.mounts == []
    p = ctypes.sizeof(ctypes.c_void_p)
    # the second layouts add read_resource, resources, iter_modules; the first ones end where they start
    assert ctypes.sizeof(_ffi.ik_entry_finder) == p * 8 and _ffi.ENTRY_FINDER_SIZE_V1 == p * 5
    assert ctypes.sizeof(_ffi.ik_path_hook) == p * 5
    assert ctypes.sizeof(_ffi.ik_finder) == p * 9 and _ffi.FINDER_SIZE_V1 == p * 6


def test_runtime_repr_and_closed_state():
    rt = importkit.Runtime("lua")
    assert repr(rt) == "<importkit.Runtime profile='lua'>"
    rt.close()
    assert rt.closed and "closed" in repr(rt)
    with pytest.raises(importkit.UnavailableError):
        rt.path_append("x")
    with pytest.raises(ValueError):
        importkit.Runtime("cobol")


def test_full_import_mode_does_not_touch_the_interpreters_import_state(rt, tmp_path):
    meta, path, modules = list(sys.meta_path), list(sys.path), set(sys.modules)
    rt.enable_filesystem()
    write(tmp_path, {"isolated_mod.py": "import sys\nSEEN = 'isolated_mod' in sys.modules\n"})
    rt.register_native("sys", lambda name: sys)
    rt.path_append(str(tmp_path))
    assert rt.import_module("isolated_mod").SEEN is False
    assert sys.meta_path == meta and sys.path == path and set(sys.modules) == modules
    assert os.path.isdir(tmp_path)
