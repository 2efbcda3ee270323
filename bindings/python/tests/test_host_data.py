"""Host data instead of side channels: what a finder written in Python found comes back on the spec
(``ik_found_set_host_data`` / ``ik_spec_host_data``), on any thread, as the very same object; importkit
releases it with the last spec, so the binding's registry (``importkit._held``) does not grow."""

from __future__ import annotations

import gc
import importlib.util
import sys
import threading
import types

import pytest

import importkit
from importkit import _held


@pytest.fixture
def fs_rt(rt):
    rt.enable_filesystem()
    rt.set_recheck(0)
    return rt


def run_threads(count: int, target) -> list[BaseException]:
    """Runs ``target(i)`` on ``count`` threads at once; returns what they raised."""
    failures: list[BaseException] = []
    start = threading.Barrier(count)

    def body(i):
        try:
            start.wait()
            target(i)
        except BaseException as e:  # noqa: BLE001 - reported by the caller
            failures.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return failures


def held_now() -> int:
    gc.collect()
    return len(_held.table)


# -- found objects on specs ---------------------------------------------------------------------------------------


def test_a_found_comes_back_on_every_spec_of_its_module_on_any_thread(rt):
    given: dict[str, importkit.Found] = {}

    def find(name, path):
        if not name.startswith("hd_"):
            return None
        given[name] = importkit.Found(origin=f"gen:{name}", source=f"NAME = {name!r}\n")
        return given[name]

    rt.add_finder(find, name="gen")
    # found and executed on a worker thread
    seen = {}

    def worker(i):
        module = rt.import_module(f"hd_{i}")
        seen[i] = module.__spec__.loader_state.found  # the executor's spec carried it
    assert run_threads(8, worker) == []
    for i in range(8):
        name = f"hd_{i}"
        assert seen[i] is given[name]
        # read on this thread, from the module table's spec
        assert rt.module_spec(name).found is given[name]
        assert rt.get_module(name).NAME == name
    spec = rt.find_spec("hd_other")
    assert spec.found is given["hd_other"] and spec.origin == "gen:hd_other"
    assert "found=" not in repr(spec)
    # what importkit found itself carries nothing
    rt.mount("plain", {"__init__.py": ""})
    assert rt.find_spec("plain").found is None


def test_more_than_64_answers_held_at_once_are_all_kept(fs_rt):
    class Entry:
        def __init__(self, entry):
            self.entry = entry

        def find(self, name):
            return importkit.Found(origin=f"{self.entry}{name}", source=f"NAME = {name!r}\n")

    fs_rt.add_path_hook(lambda entry: Entry(entry) if entry.startswith("many:") else None, name="many")
    fs_rt.path = ["many:"]
    names = [f"many_{i}" for i in range(200)]
    specs = [fs_rt.find_spec(name) for name in names]  # 200 answers alive at once, none picked up yet
    assert [s.found.origin for s in specs] == [f"many:{n}" for n in names]
    assert len({id(s.found) for s in specs}) == 200

    def worker(i):
        for name in names[i::4]:
            assert fs_rt.import_module(name).NAME == name

    assert run_threads(4, worker) == []


def test_concurrent_imports_through_python_hooks_under_install_get_their_own_answers(import_state):
    rt = importkit.Runtime(importkit.Profile.interpreter())

    def hook(entry):
        if entry != "hostdata-gen:":
            return None
        return lambda name: importkit.Found(origin=f"hostdata-gen:{name}", source=f"NAME = {name!r}\n") \
            if name.startswith("hdgen_") else None

    rt.add_path_hook(hook, name="hostdata-gen")

    class Loader:
        def create_module(self, spec):
            return None

        def exec_module(self, module):
            module.NAME = module.__name__

    made: dict[str, object] = {}
    lock = threading.Lock()

    class Finder:  # a finder of sys.path_hooks: importkit's answer is its own ModuleSpec
        def find_spec(self, name, target=None):
            if not name.startswith("hdsys_"):
                return None
            spec = importlib.util.spec_from_loader(name, Loader(), origin=f"hostdata-sys:{name}")
            with lock:
                made[name] = spec
            return spec

    def sys_hook(entry):
        if entry == "hostdata-sys:":
            return Finder()
        raise ImportError("not mine")

    importkit.install(rt)
    try:
        sys.path_hooks.insert(0, sys_hook)
        sys.path[:0] = ["hostdata-sys:", "hostdata-gen:"]
        before = held_now()

        def worker(i):
            for j in range(25):
                gen = importlib.import_module(f"hdgen_{i}_{j}")
                assert gen.NAME == f"hdgen_{i}_{j}" and gen.__spec__.origin == f"hostdata-gen:hdgen_{i}_{j}"
                own = importlib.import_module(f"hdsys_{i}_{j}")
                assert own.NAME == f"hdsys_{i}_{j}"
                assert own.__spec__ is made[f"hdsys_{i}_{j}"]

        assert run_threads(8, worker) == []  # 400 modules, 200 through each hook
        assert held_now() == before  # every answer released with its spec
    finally:
        importkit.uninstall()
        rt.close()


# -- the registry does not grow -----------------------------------------------------------------------------------


def test_host_data_is_released_with_the_last_spec_or_error():
    before = held_now()
    rt = importkit.Runtime()
    rt.enable_filesystem()

    def find(name, path):
        if name.startswith("rel_ok_"):
            return importkit.Found(source="X = 1\n")
        if name.startswith("rel_exec_"):
            return importkit.Found(source="raise ValueError(__name__)\n")
        if name.startswith("rel_find_"):
            raise LookupError(name)
        return None

    rt.add_finder(find, name="rel")
    rt.add_path_hook(lambda entry: (lambda name: importkit.Found(source="Y = 2\n") if name.startswith("rel_hook_")
                                    else None) if entry == "rel:" else None, name="rel")
    rt.path = ["rel:"]
    for i in range(50):
        assert rt.import_module(f"rel_ok_{i}").X == 1
        assert rt.import_module(f"rel_hook_{i}").Y == 2
        for prefix, cls in (("rel_exec_", importkit.ExecError), ("rel_find_", importkit.HostError)):
            try:
                rt.import_module(f"{prefix}{i}")
            except cls as e:
                assert e.__cause__ is not None
            else:
                raise AssertionError("no error")
        rt.find_spec(f"rel_ok_spec_{i}")
    # the 100 modules in the table keep their Found; every failure and loose spec is gone
    assert held_now() == before + 100
    for i in range(25):
        rt.remove_module(f"rel_ok_{i}")
    assert held_now() == before + 75
    rt.close()
    assert held_now() == before
