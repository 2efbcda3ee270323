"""Defects of ``install()`` an adversarial review found, each held by a program run by plain CPython and with
importkit installed (fresh interpreters): what a mount provides under importkit is provided to plain CPython as
the same files in a directory at the front of ``sys.path``, so the two runs must print the same."""

from __future__ import annotations

import json
import textwrap

import pytest

from conftest import run_python

PREAMBLE = textwrap.dedent(r'''
    import importlib, json, os, sys, tempfile
    MODE = sys.argv[1]
    if MODE == "importkit":
        import importkit
        RT = importkit.install()

    def provide(files):
        """A mount at the root under importkit; the same files in a directory first on sys.path plainly.
        Returns the location of the files' tree as a package's __path__ names it."""
        if MODE == "importkit":
            RT.mount("", files)
            return "memory:"
        d = tempfile.mkdtemp()
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
            with open(os.path.join(d, rel), "w") as f:
                f.write(text)
        sys.path.insert(0, d)
        return d

    def directory(files):
        d = tempfile.mkdtemp()
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
            with open(os.path.join(d, rel), "w") as f:
                f.write(text)
        return d

    def outcome(call):
        try:
            return ["ok", call()]
        except BaseException as exc:
            return [type(exc).__name__, str(exc)]
''')


def both(body: str) -> tuple[dict, dict]:
    """Runs PREAMBLE + body (which prints one JSON line last) plainly and under install()."""
    runs = []
    for mode in ("plain", "importkit"):
        out = run_python(PREAMBLE + textwrap.dedent(body), mode, cwd="/")
        assert out.returncode == 0, out.stderr[-5000:]
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs[0], runs[1]


# -- 2: a mount's namespace package is not final -------------------------------------------------------------


def test_a_mounts_namespace_directory_does_not_hide_a_module_later_on_the_path():
    plain, ours = both('''
        provide({"colorsys/readme.txt": "data only", "nsx/a.py": "A = 1"})
        import colorsys
        seen = {"colorsys": hasattr(colorsys, "rgb_to_hsv"), "file": colorsys.__file__ == colorsys.__spec__.origin}
        print(json.dumps(seen))
    ''')
    assert plain == ours == {"colorsys": True, "file": True}


def test_namespace_portions_of_a_mount_and_of_sys_path_are_merged():
    plain, ours = both('''
        where = provide({"nsp/a.py": "A = 1", "nsp/sub/x.py": "X = 1"})
        d = directory({"nsp/b.py": "B = 2", "nsp/sub/y.py": "Y = 2", "nsp/reg/__init__.py": "R = 3"})
        sys.path.insert(1, d)
        import nsp, nsp.a, nsp.b, nsp.sub.x, nsp.sub.y, nsp.reg
        seen = {
            "path": [p.replace(where, "<first>").replace(d, "<second>") for p in nsp.__path__],
            "sub": [p.replace(where, "<first>").replace(d, "<second>") for p in nsp.sub.__path__],
            "values": [nsp.a.A, nsp.b.B, nsp.sub.x.X, nsp.sub.y.Y, nsp.reg.R],
        }
        # a portion added later is followed by the dynamic __path__, as in CPython
        d2 = directory({"nsp/c.py": "C = 4"})
        sys.path.append(d2)
        import nsp.c
        seen["later"] = [nsp.c.C, len(list(nsp.__path__))]
        print(json.dumps(seen))
    ''')
    assert plain == ours
    assert plain["path"] == ["<first>/nsp", "<second>/nsp"]
    assert plain["values"] == [1, 2, 1, 2, 3] and plain["later"] == [4, 3]


def test_a_bundles_namespace_directory_does_not_hide_a_module_later_on_the_path():
    out = run_python(textwrap.dedent('''
        import importkit
        from importkit.bundle import BundleBuilder
        with BundleBuilder() as b:
            b.add_tree({"colorsys/readme.txt": "data only", "bnsp/a.py": "A = 1"})
            data = b.build()
        rt = importkit.install()
        rt.mount_bundle(data)
        import colorsys, bnsp, bnsp.a
        print(hasattr(colorsys, "rgb_to_hsv"), bnsp.a.A, list(bnsp.__path__))
    '''))
    assert out.returncode == 0, out.stderr[-5000:]
    assert out.stdout.split() == ["True", "1", "['bundle:/bnsp']"]


# -- 3: a NUL in a module name -------------------------------------------------------------------------------


def test_a_name_with_a_nul_is_not_found_as_the_name_before_the_nul():
    plain, ours = both(r'''
        provide({"ma.py": "A = 1", "mpkg/__init__.py": ""})
        sys.path.append(directory({"fa.py": "A = 2"}))
        seen = {name: outcome(lambda: importlib.import_module(name).__name__)
                for name in ("ma\x00anything", "fa\x00anything", "mpkg.x\x00y", "ma", "fa")}
        print(json.dumps(seen))
    ''')
    assert plain == ours
    assert plain["ma\x00anything"] == ["ModuleNotFoundError", "No module named 'ma\\x00anything'"]
    assert plain["fa\x00anything"][0] == plain["mpkg.x\x00y"][0] == "ModuleNotFoundError"
    assert plain["ma"] == ["ok", "ma"] and plain["fa"] == ["ok", "fa"]


# -- 11: a one-shot iterable sys.path or __path__ ------------------------------------------------------------


def test_a_one_shot_sys_path_or_package_path_reaches_the_fallback_whole():
    plain, ours = both(r'''
        d = directory({"genmod.py": "G = 1", "genpkg/__init__.py": "", "genpkg/sub.py": "S = 2",
                       "nulmod.py": ""})
        seen = {}
        saved = sys.path
        sys.path = (e for e in [b"/nonexistent", d])
        seen["bytes entry"] = outcome(lambda: importlib.import_module("genmod").G)
        sys.path = (e for e in ["/nonexistent", d])
        seen["str entries"] = outcome(lambda: importlib.import_module("genpkg").__name__)
        sys.path = iter([d + "/\x00x", d])
        seen["nul entry"] = outcome(lambda: importlib.import_module("nulmod").__name__)
        sys.path = saved
        genpkg = sys.modules["genpkg"]
        genpkg.__path__ = (e for e in [b"/nonexistent", os.path.join(d, "genpkg")])
        seen["bytes in __path__"] = outcome(lambda: importlib.import_module("genpkg.sub").S)
        print(json.dumps(seen))
    ''')
    assert plain == ours
    assert plain["bytes entry"] == ["ok", 1] and plain["bytes in __path__"] == ["ok", 2]
    assert plain["nul entry"] == ["ValueError", "embedded null byte"]


# -- 7: tracebacks of a mounted package run as __main__ ------------------------------------------------------


def test_tracebacks_of_a_mounted_package_run_as_main_show_its_lines():
    plain, ours = both(r'''
        import runpy, traceback
        provide({"runapp/__init__.py": "", "runapp/__main__.py": "X = 1\nraise ValueError('boom')\n"})
        try:
            runpy.run_module("runapp", run_name="__main__")
        except ValueError:
            text = traceback.format_exc()
        print(json.dumps({"line": "    raise ValueError('boom')" in text.splitlines()}))
    ''')
    assert plain == ours == {"line": True}


# -- 14: __cached__ of mounted and bundled modules -----------------------------------------------------------


def test_cached_of_mounted_and_bundled_modules_is_zipimports(tmp_path):
    """The decision of docs/SEMANTICS.md (*Files of mounted modules*): ``__cached__`` is what ``ModuleSpec``
    computes from the virtual file, the same path under the virtual root as zipimport's under the archive."""
    out = run_python(textwrap.dedent(f'''
        import json, os, sys, zipfile
        import importkit
        from importkit.bundle import BundleBuilder
        files = {{"__init__.py": "", "mod.py": "X = 1"}}
        archive = {str(tmp_path / "c.zip")!r}
        with zipfile.ZipFile(archive, "w") as z:
            for rel, text in files.items():
                z.writestr("zcpkg/" + rel, text)
        with BundleBuilder() as b:
            b.add_tree(files)
            data = b.build()
        rt = importkit.install()
        rt.mount("mcpkg", files)
        rt.mount_bundle(data, "bcpkg")
        sys.path.insert(0, archive)
        import zcpkg.mod, mcpkg.mod, bcpkg.mod
        root = sys.executable  # the default virtual root
        seen = {{}}
        for prefix, base in (("z", archive), ("m", root), ("b", root)):
            pkg, mod = sys.modules[prefix + "cpkg"], sys.modules[prefix + "cpkg.mod"]
            seen[prefix] = [os.path.relpath(m.__cached__, base) for m in (pkg, mod)] + [
                mod.__spec__.cached == mod.__cached__, type(mod.__spec__).__name__]
        print(json.dumps(seen))
    '''))
    assert out.returncode == 0, out.stderr[-5000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    tag = "cpython-311"
    assert seen["z"][:2] == [f"zcpkg/__pycache__/__init__.{tag}.pyc", f"zcpkg/__pycache__/mod.{tag}.pyc"]
    for prefix in "mb":
        assert seen[prefix] == [p.replace("zcpkg", prefix + "cpkg") for p in seen["z"][:2]] + [True, "ModuleSpec"]


# -- 13: __indirect__ and reload -----------------------------------------------------------------------------


def test_a_reload_no_longer_through_a_ref_file_drops_indirect(tmp_path):
    out = run_python(textwrap.dedent(f'''
        import importlib, json, os, sys
        import importkit
        importkit.install()
        root = {str(tmp_path)!r}
        home, src = os.path.join(root, "home"), os.path.join(root, "src")
        os.makedirs(home); os.makedirs(src)
        open(os.path.join(home, "tool.ref"), "w").write("../src\\n")
        open(os.path.join(src, "tool.py"), "w").write("WHERE = 'src'\\n")
        sys.path.insert(0, home)
        import tool
        seen = {{"first": [tool.WHERE, tool.__indirect__]}}
        open(os.path.join(src, "tool.py"), "w").write("WHERE = 'src again'\\n")
        importlib.reload(tool)
        seen["through the ref again"] = [tool.WHERE, tool.__indirect__]
        os.remove(os.path.join(home, "tool.ref"))
        open(os.path.join(home, "tool.py"), "w").write("WHERE = 'home'\\n")
        importlib.invalidate_caches()
        importlib.reload(tool)
        seen["plain"] = [tool.WHERE, hasattr(tool, "__indirect__"), type(tool.__loader__).__name__]
        print(json.dumps(seen))
    '''))
    assert out.returncode == 0, out.stderr[-5000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    ref = [str(tmp_path / "home" / "tool.ref")]
    assert seen == {"first": ["src", ref], "through the ref again": ["src again", ref],
                    "plain": ["home", False, "SourceFileLoader"]}


# -- 8, 9: what is done to a cached FileFinder ---------------------------------------------------------------


def test_invalidate_caches_of_the_cached_file_finder_itself_is_honoured():
    plain, ours = both(r'''
        d = directory({"early.py": ""})
        sys.path.insert(0, d)
        import early
        finder = sys.path_importer_cache[d]
        st = os.stat(d)
        with open(os.path.join(d, "latemod.py"), "w") as f:
            f.write("L = 1\n")
        os.utime(d, ns=(st.st_atime_ns, st.st_mtime_ns))  # the directory looks unchanged
        seen = {"before": outcome(lambda: importlib.import_module("latemod").L)}
        finder.invalidate_caches()
        seen["after"] = outcome(lambda: importlib.import_module("latemod").L)
        seen["finder"] = type(finder).__name__
        print(json.dumps(seen))
    ''')
    assert plain == ours
    assert plain["before"][0] == "ModuleNotFoundError" and plain["after"] == ["ok", 1]


def test_changes_to_a_cached_file_finder_are_honoured():
    plain, ours = both(r'''
        from importlib.machinery import SourceFileLoader
        d = directory({"early.py": "", "patched.py": "P = 1\n", "txtmod.txt": "T = 2\n"})
        sys.path.insert(0, d)
        import early
        finder = sys.path_importer_cache[d]
        calls = []
        original = finder.find_spec
        def find_spec(name, target=None):
            calls.append(name)
            return original(name, target)
        finder.find_spec = find_spec
        seen = {"patched": outcome(lambda: importlib.import_module("patched").P)}
        seen["calls"] = calls
        del finder.find_spec
        seen["txt before"] = outcome(lambda: importlib.import_module("txtmod").T)
        finder._loaders.append((".txt", SourceFileLoader))
        finder.invalidate_caches()
        seen["txt after"] = outcome(lambda: importlib.import_module("txtmod").T)
        print(json.dumps(seen))
    ''')
    assert plain == ours
    assert plain["calls"] == ["patched"] and plain["txt after"] == ["ok", 2]
    assert plain["txt before"][0] == "ModuleNotFoundError"


# -- 15: install(recheck=...) --------------------------------------------------------------------------------


@pytest.mark.parametrize("value, error", [(-1, ValueError), (2**32, ValueError), (10**30, ValueError),
                                          (1.5, TypeError), (True, TypeError), ("5", TypeError)])
def test_a_recheck_the_c_abi_cannot_take_is_refused(import_state, value, error):
    import sys

    import importkit
    from importlib.machinery import PathFinder

    meta = list(sys.meta_path)
    with pytest.raises(error, match="recheck"):
        importkit.install(recheck=value)
    assert importkit.installed() is None and sys.meta_path == meta and PathFinder in sys.meta_path
    rt = importkit.Runtime()
    try:
        with pytest.raises(error, match="recheck"):
            rt.set_recheck(value)
    finally:
        rt.close()


def test_the_widest_recheck_the_c_abi_takes_is_accepted(import_state):
    import importkit

    rt = importkit.install(recheck=2**32 - 1)
    try:
        assert importkit.installed() is rt
        rt.set_recheck(0)
    finally:
        importkit.uninstall()
        rt.close()


# -- an explicit sys.path entry of importkit's is cached as CPython caches it --------------------------------


def test_an_explicit_memory_entry_is_stored_in_the_importer_cache(import_state):
    """Under CPython's own rules (``PathFinder._path_importer_cache``) the hook install() appends makes the
    entry's finder and the cache keeps it; importkit's answers for the entry stay what they were."""
    import importlib
    import sys

    import importkit

    rt = importkit.install()
    try:
        rt.mount("cgame", {"__init__.py": "", "mod.py": "X = 1"})
        sys.path.append("memory:/cgame")
        sys.path_importer_cache.pop("memory:/cgame", None)
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module("cachedmissing")
        finder = sys.path_importer_cache["memory:/cgame"]
        assert type(finder).__name__ == "MountEntryFinder" and finder.path == "memory:/cgame"
        # what CPython's path finder would have made from the same hooks
        del sys.path_importer_cache["memory:/cgame"]
        assert type(importlib.machinery.PathFinder._path_importer_cache("memory:/cgame")) is type(finder)
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module("mod")  # a top-level name: not inside memory:/cgame's package
        assert importlib.import_module("cgame.mod").X == 1
    finally:
        importkit.uninstall()
        rt.close()
