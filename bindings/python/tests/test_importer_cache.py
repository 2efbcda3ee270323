"""``sys.path_importer_cache`` and ``sys.path_hooks`` under ``importkit.install()``: one program, run by plain
CPython and with importkit installed (fresh interpreters, fresh working directories), must observe the same
things; some of them are also checked against what CPython is known to do, so that two equally wrong runs
cannot pass."""

from __future__ import annotations

import json
import textwrap

import pytest

from conftest import run_python

PROGRAM = textwrap.dedent(r'''
    import importlib, importlib.machinery, json, os, sys, zipfile
    if sys.argv[1] == "importkit":
        import importkit
        importkit.install()
    seen = {}
    cache = sys.path_importer_cache
    FileFinder = importlib.machinery.FileFinder
    root = os.getcwd()

    def write(path, text):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def fresh(name):
        sys.modules.pop(name, None)
        try:
            return importlib.import_module(name)
        except ImportError as e:
            return type(e).__name__

    def fresh_or_raise(name):
        try:
            return fresh(name)
        except Exception as e:
            return e

    def where(module):
        return module if isinstance(module, str) else module.WHERE

    # a directory entry appears in the cache as a FileFinder of CPython's
    a = os.path.join(root, "a")
    write(os.path.join(a, "mod_a.py"), "WHERE = 'a'\n")
    sys.path.insert(0, a)
    seen["dir"] = where(fresh("mod_a"))
    finder = cache.get(a)
    seen["dir_finder"] = [type(finder).__name__, type(finder) is FileFinder, finder.path == a]
    seen["dir_find_spec"] = type(finder.find_spec("mod_a").loader).__name__
    seen["loader_class"] = type(sys.modules["mod_a"].__spec__.loader) is importlib.machinery.SourceFileLoader

    # entries that are not str are skipped, and stay out of the cache
    sys.path[:0] = [None, 42]
    seen["not_str"] = [where(fresh("mod_a")), None in cache, 42 in cache]
    del sys.path[:2]

    # a hook added later is called once the cache is cleared (test_threaded_import.test_parallel_path_hooks)
    calls = []
    def refusing_hook(entry):
        calls.append(entry)
        raise ImportError
    sys.path_hooks.insert(0, refusing_hook)
    fresh("mod_a")
    seen["hook_calls_before_clear"] = a in calls
    cache.clear()
    seen["after_clear"] = where(fresh("mod_a"))
    seen["hook_calls_after_clear"] = calls.count(a)
    seen["back_in_cache"] = type(cache.get(a)).__name__
    sys.path_hooks.remove(refusing_hook)

    # a finder a program puts into the cache is used; deleting it gives the hooks the entry again
    class Mine:
        def __init__(self):
            self.calls = []
        def find_spec(self, name, target=None):
            self.calls.append(name)
            if name == "mod_a":
                return importlib.util.spec_from_loader(name, Loader())
            return None
        def invalidate_caches(self):
            self.calls.append("invalidate")
    class Loader:
        def create_module(self, spec):
            return None
        def exec_module(self, module):
            module.WHERE = "mine"
    import importlib.util
    mine = Mine()
    cache[a] = mine
    seen["assigned"] = where(fresh("mod_a"))
    importlib.invalidate_caches()
    seen["assigned_calls"] = list(mine.calls)
    del cache[a]
    seen["after_del"] = where(fresh("mod_a"))
    seen["after_del_finder"] = type(cache.get(a)).__name__

    # None: no finder for the entry, until invalidate_caches() drops it
    cache[a] = None
    seen["none"] = where(fresh("mod_a"))
    importlib.invalidate_caches()
    seen["none_dropped"] = a not in cache
    seen["after_none"] = where(fresh("mod_a"))

    # a replaced cache dict: every entry offered to the hooks again
    sys.path_importer_cache = {}
    cache = sys.path_importer_cache
    seen["replaced"] = where(fresh("mod_a"))
    seen["replaced_has_entry"] = type(cache.get(a)).__name__

    # a missing directory is cached as None; made later, it is seen after invalidate_caches()
    late = os.path.join(root, "late")
    sys.path.insert(0, late)
    seen["late_missing"] = where(fresh("mod_late"))
    seen["late_cached"] = repr(cache.get(late, "absent"))
    write(os.path.join(late, "mod_late.py"), "WHERE = 'late'\n")
    seen["late_still_none"] = where(fresh("mod_late"))
    importlib.invalidate_caches()
    seen["late_found"] = where(fresh("mod_late"))
    sys.path.remove(late)

    # '' is the current directory (its cache key is the absolute path); relative entries keep their string
    os.makedirs(os.path.join(root, "cwd1", "rel"))
    os.makedirs(os.path.join(root, "cwd2", "rel"))
    write(os.path.join(root, "cwd1", "mod_cwd.py"), "WHERE = 'cwd1'\n")
    write(os.path.join(root, "cwd2", "mod_cwd.py"), "WHERE = 'cwd2'\n")
    write(os.path.join(root, "cwd1", "rel", "mod_rel.py"), "WHERE = 'rel1'\n")
    write(os.path.join(root, "cwd2", "rel", "mod_rel.py"), "WHERE = 'rel2'\n")
    sys.path[:0] = ["", "rel"]
    os.chdir(os.path.join(root, "cwd1"))
    seen["empty_1"] = where(fresh("mod_cwd"))
    seen["empty_key"] = [os.path.join(root, "cwd1") in cache, "" in cache]
    seen["rel_1"] = where(fresh("mod_rel"))
    seen["rel_key"] = [k for k in cache if k == "rel"]
    seen["rel_finder_path"] = cache["rel"].path == os.path.join(root, "cwd1", "rel")
    os.chdir(os.path.join(root, "cwd2"))
    seen["empty_2"] = where(fresh("mod_cwd"))
    seen["rel_2_before_invalidate"] = where(fresh("mod_rel"))
    importlib.invalidate_caches()
    seen["rel_2"] = where(fresh("mod_rel"))
    os.chdir(root)
    del sys.path[:2]

    # sys.path_hooks order: a hook before FileFinder's takes the directory
    b = os.path.join(root, "b")
    write(os.path.join(b, "mod_b.py"), "WHERE = 'b'\n")
    class Taker(Mine):
        def find_spec(self, name, target=None):
            self.calls.append(name)
            return None
    takers = []
    def taking_hook(entry):
        if entry != b:
            raise ImportError
        takers.append(Taker())
        return takers[-1]
    sys.path_hooks.insert(0, taking_hook)
    sys.path.insert(0, b)
    seen["taken"] = where(fresh("mod_b"))
    seen["taker_calls"] = list(takers[0].calls) if takers else None
    sys.path_hooks.remove(taking_hook)
    seen["taken_still"] = where(fresh("mod_b"))
    del cache[b]
    seen["untaken"] = where(fresh("mod_b"))

    # a hook or a finder that raises (not ImportError): its exception, from one call
    raising_calls = []
    def raising_hook(entry):
        raising_calls.append(entry)
        raise RuntimeError("hook failed")
    c = os.path.join(root, "c")
    os.makedirs(c)
    sys.path.insert(0, c)
    sys.path_hooks.insert(0, raising_hook)
    seen["raising_hook"] = [repr(fresh_or_raise("mod_c")), len(raising_calls)]
    sys.path_hooks.remove(raising_hook)
    class Raising:
        calls = 0
        def find_spec(self, name, target=None):
            Raising.calls += 1
            raise ValueError("finder failed")
    cache[c] = Raising()
    seen["raising_finder"] = [repr(fresh_or_raise("mod_c")), Raising.calls]
    del cache[c]
    sys.path.remove(c)

    # a zip rewritten under the same name: a fresh zipimporter after invalidate_caches()
    z = os.path.join(root, "app.zip")
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("mod_z.py", "WHERE = 'zip1'\n")
    sys.path.insert(0, z)
    seen["zip1"] = where(fresh("mod_z"))
    seen["zip_finder"] = type(cache.get(z)).__name__
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("other.py", "")
        f.writestr("mod_z.py", "WHERE = 'zip2, longer'\n")
    importlib.invalidate_caches()
    seen["zip2"] = where(fresh("mod_z"))
    cache.clear()
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("mod_z.py", "WHERE = 'zip3'\n")
    import zipimport
    zipimport._zip_directory_cache.clear()
    seen["zip3"] = where(fresh("mod_z"))
    print(json.dumps(seen))
''')


def observe(mode: str, cwd) -> dict:
    cwd.mkdir()
    out = run_python(PROGRAM, mode, cwd=str(cwd))
    assert out.returncode == 0, out.stderr[-5000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def observations(tmp_path_factory):
    base = tmp_path_factory.mktemp("importer_cache")
    return observe("plain", base / "plain"), observe("importkit", base / "importkit")


def test_importkit_observes_what_cpython_observes(observations):
    plain, ours = observations
    assert ours == plain


def test_what_cpython_observes(observations):
    """The program's observations are CPython's documented behaviour (so that the comparison means something)."""
    plain, ours = observations
    for seen in (plain, ours):
        assert seen["dir_finder"] == ["FileFinder", True, True]
        assert seen["loader_class"] is True
        assert seen["not_str"] == ["a", False, False]
        assert (seen["hook_calls_before_clear"], seen["hook_calls_after_clear"]) == (False, 1)
        assert (seen["assigned"], seen["assigned_calls"]) == ("mine", ["mod_a", "invalidate"])
        assert (seen["after_del"], seen["after_del_finder"]) == ("a", "FileFinder")
        assert (seen["none"], seen["none_dropped"], seen["after_none"]) == ("ModuleNotFoundError", True, "a")
        assert (seen["replaced"], seen["replaced_has_entry"]) == ("a", "FileFinder")
        assert (seen["late_missing"], seen["late_cached"], seen["late_still_none"], seen["late_found"]) == (
            "ModuleNotFoundError", "None", "ModuleNotFoundError", "late")
        assert (seen["empty_1"], seen["empty_key"], seen["empty_2"]) == ("cwd1", [True, False], "cwd2")
        assert (seen["rel_1"], seen["rel_key"], seen["rel_finder_path"]) == ("rel1", ["rel"], True)
        assert (seen["rel_2_before_invalidate"], seen["rel_2"]) == ("rel1", "rel2")
        assert (seen["taken"], seen["taker_calls"], seen["taken_still"], seen["untaken"]) == (
            "ModuleNotFoundError", ["mod_b"], "ModuleNotFoundError", "b")
        assert seen["raising_hook"] == ["RuntimeError('hook failed')", 1]
        assert seen["raising_finder"] == ["ValueError('finder failed')", 1]
        assert (seen["zip1"], seen["zip_finder"], seen["zip2"], seen["zip3"]) == (
            "zip1", "zipimporter", "zip2, longer", "zip3")
