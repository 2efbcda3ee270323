"""Host data instead of side channels: what a finder written in Python found comes back on the spec
(``ik_found_set_host_data`` / ``ik_spec_host_data``), the exception a callback caught comes back on the error
(``ik_report_host_data`` / ``ik_error_host_data``), on any thread, as the very same objects; importkit releases
them with the last spec or error, so the binding's registry (``importkit._held``) does not grow."""

from __future__ import annotations

import gc
import importlib.util
import sys
import threading
import types
from _thread import _local

import pytest

import importkit
from importkit import _callbacks, _held, errors


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


# -- no side channel --------------------------------------------------------------------------------------------


def test_no_side_channel_is_left():
    for name in ("take_found", "_keep_found", "_found"):
        assert not hasattr(_callbacks, name), name
    for name in ("_pending", "stash_host", "pop_host", "stash_cause", "_pop_cause"):
        assert not hasattr(errors, name), name
    # the one per-thread object of the package's modules: the pending KeyboardInterrupt/SystemExit
    modules = [m for n, m in sys.modules.items() if n == "importkit" or n.startswith("importkit.")]
    locals_ = [(m.__name__, k) for m in modules for k, v in vars(m).items() if isinstance(v, _local)]
    assert locals_ == [("importkit.errors", "_interrupt")]


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


# -- exceptions on errors -------------------------------------------------------------------------------------


def test_the_exception_of_module_code_comes_back_as_the_same_object(rt):
    raised: list[BaseException] = []
    recorder = types.ModuleType("recorder")
    recorder.raised = raised
    rt.register_native("recorder", lambda name: recorder)
    rt.mount("bad", {
        "__init__.py": "",
        "direct.py": "import recorder\ne = ValueError('direct')\nrecorder.raised.append(e)\nraise e\n",
        "outer.py": "from . import direct\n",
    })
    with pytest.raises(importkit.ExecError) as info:
        rt.import_module("bad.direct")
    assert info.value.__cause__ is raised[-1]
    with pytest.raises(importkit.ExecError) as info:
        rt.import_module("bad.outer")  # the inner error, passed on, with its exception
    assert info.value.module == "bad.direct"
    assert info.value.__cause__ is raised[-1] and len(raised) == 2

    def worker(i):
        with pytest.raises(importkit.ExecError) as info:
            rt.import_module(f"thr.m{i}")
        assert info.value.__cause__ is by_name[f"thr.m{i}"]

    by_name: dict[str, BaseException] = {}
    recorder.by_name = by_name
    rt.mount("thr", {"__init__.py": "", **{
        f"m{i}.py": f"import recorder\ne = KeyError({i})\nrecorder.by_name[__name__] = e\nraise e\n" for i in range(8)
    }})
    assert run_threads(8, worker) == []


def test_the_exception_of_a_finder_or_hook_comes_back_as_the_same_object(fs_rt):
    raised: list[BaseException] = []

    def find(name, path):
        if name == "broken_find":
            raised.append(LookupError(name))
            raise raised[-1]
        return None

    fs_rt.add_finder(find, name="broken")
    with pytest.raises(importkit.HostError) as info:
        fs_rt.import_module("broken_find")
    assert info.value.__cause__ is raised[-1]

    def hook(entry):
        if entry == "broken-hook:":
            raised.append(OSError(entry))
            raise raised[-1]
        return None

    fs_rt.add_path_hook(hook, name="broken-hook")
    fs_rt.path = ["broken-hook:"]
    with pytest.raises(importkit.HostError) as info:
        fs_rt.import_module("anything_else")
    assert info.value.__cause__ is raised[-1] and isinstance(raised[-1], OSError)


def test_the_exception_of_a_sys_path_hooks_finder_is_raised_as_the_same_object(installed):
    raised: list[BaseException] = []

    class Finder:
        def find_spec(self, name, target=None):
            if name != "hd_boom":
                return None
            raised.append(ArithmeticError(name))
            raise raised[-1]

    sys.path_hooks.insert(0, lambda entry: Finder() if entry == "hd-boom:" else (_ for _ in ()).throw(ImportError()))
    sys.path.insert(0, "hd-boom:")
    with pytest.raises(ArithmeticError) as info:
        import hd_boom  # noqa: F401
    assert info.value is raised[-1]


def test_an_interrupt_in_a_callback_without_a_report_still_propagates(rt):
    # importkit ignores a failing bind (as CPython only warns): the interrupt reaches the program anyway
    class Stubborn(types.ModuleType):
        def __setattr__(self, name, value):
            if name == "sub":
                raise KeyboardInterrupt
            super().__setattr__(name, value)

    rt.register_native("stub", lambda name: Stubborn(name), package=True)
    rt.register_native("stub.sub", lambda name: types.ModuleType(name))
    with pytest.raises(KeyboardInterrupt):
        rt.import_module("stub.sub")
    assert rt.import_module("stub.sub").__name__ == "stub.sub"  # nothing left pending


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
