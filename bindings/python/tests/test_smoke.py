"""Smoke tests of the ctypes binding: the built library, two runtimes, mounts, natives, policy, errors."""

from __future__ import annotations

import ctypes
import gc
import importlib
import re
import sys
import threading
import types

import pytest

import importkit
from importkit import _ffi

GAME = {
    "__init__.py": "from . import core\nfrom .util.text import shout\nNAME = 'game'\n",
    "core.py": "from .util import text\nSPEED = 3\nLOUD = text.shout('go')\n",
    "util/__init__.py": "",
    "util/text.py": "def shout(s):\n    return s.upper() + '!'\n",
    "levels/__init__.py": "from .. import core\nBASE = core.SPEED * 10\n",
    "levels/one.py": "from . import BASE\nfrom ..core import SPEED\nVALUE = BASE + SPEED\n",
    "star.py": "from .util.text import *\nfrom .exported import *\n",
    "exported/__init__.py": "__all__ = ['deep', 'CONST']\nCONST = 7\n",
    "exported/deep.py": "DEEP = True\n",
}


# -- the library and its declarations -------------------------------------------------------------------------


def test_library_loads_and_every_header_function_is_declared():
    lib = _ffi.lib()
    assert importkit.version() == "0.1.0"
    assert lib.ik_version_number() == 100
    from pathlib import Path

    header = (Path(__file__).resolve().parents[3] / "include" / "importkit.h").read_text()
    declared = set(re.findall(r"^\S[^(\n]*?\b(ik_\w+)\(", header, re.M))
    assert declared, "no function found in the header"
    assert declared == set(_ffi.SIGNATURES), declared ^ set(_ffi.SIGNATURES)
    assert lib.ik_status_name(_ffi.IK_ERR_NOT_FOUND) == b"IK_ERR_NOT_FOUND"


def test_struct_sizes_match_the_c_layout():
    p = ctypes.sizeof(ctypes.c_void_p)
    assert ctypes.sizeof(_ffi.ik_executor) == 11 * p  # uint32_t size, padded, then 10 pointers (second layout)
    assert ctypes.sizeof(_ffi.ik_native) == 8 + 3 * p
    assert ctypes.sizeof(_ffi.ik_mount_file) == 4 * p
    assert _ffi.ik_executor.userdata.offset == p  # `size` is padded to pointer alignment


# -- importing from a mount -----------------------------------------------------------------------------------


def test_package_with_relative_imports(rt):
    rt.mount("game", GAME)
    game = rt.import_module("game")
    assert isinstance(game, types.ModuleType)
    assert game.__name__ == "game"
    assert game.__package__ == "game"
    assert game.__path__ == ["memory:/game"]
    # a virtual file under the default root, the executable (docs/SEMANTICS.md, Files of mounted modules)
    assert game.__file__ == f"{sys.executable}/game/__init__.py"
    assert game.__spec__.origin == game.__file__
    assert game.__spec__.loader_state.origin == "memory:/game/__init__.py"
    assert game.shout("hi") == "HI!"
    assert game.core.SPEED == 3
    assert game.core.LOUD == "GO!"
    assert game.core.__package__ == "game"
    assert not hasattr(game.core, "__path__")
    assert game.util.text.shout is game.shout
    assert rt.modules() == ["game", "game.core", "game.util", "game.util.text"]
    # nothing reached the interpreter's own module table
    assert "game" not in sys.modules and "game.core" not in sys.modules


def test_parent_relative_and_from_package_imports(rt):
    rt.mount("game", GAME)
    one = rt.import_module(".levels.one", package="game")
    assert one.__name__ == "game.levels.one"
    assert one.VALUE == 33
    levels = rt.import_module("game.levels")
    assert levels.one is one  # bound to its parent
    assert levels.core is rt.import_module("game.core")


def test_import_star_uses_all_and_imports_submodules(rt):
    rt.mount("game", GAME)
    star = rt.import_module("game.star")
    assert star.shout("a") == "A!"
    assert star.CONST == 7
    assert star.deep.DEEP is True
    assert "game.exported.deep" in rt.modules()


def test_find_spec_does_not_execute(rt):
    rt.mount("game", GAME)
    spec = rt.find_spec("game.levels")
    assert spec.name == "game.levels"
    assert spec.origin == "memory:/game/levels/__init__.py"
    assert spec.kind is importkit.Kind.SOURCE
    assert spec.is_package
    assert spec.locations == ("memory:/game/levels",)
    assert spec.file == f"{sys.executable}/game/levels/__init__.py"
    assert spec.parent == "game.levels"
    sub = rt.find_spec(".core", package="game")
    assert (sub.name, sub.parent, sub.is_package) == ("game.core", "game", False)
    assert rt.modules() == []


def test_root_mount_namespace_package_and_self_import(rt):
    rt.mount("", {"nsp/mod.py": "from . import other\nV = other.W + 1\n", "nsp/other.py": "W = 1\n",
                  "selfish.py": "import selfish\nME = selfish\n"})
    nsp = rt.import_module("nsp")
    assert nsp.__spec__.loader_state.kind is importkit.Kind.NAMESPACE
    assert nsp.__spec__.origin is None
    assert list(nsp.__path__) == ["memory:/nsp"]
    assert nsp.__file__ is None  # as CPython sets it for namespace packages
    assert rt.import_module("nsp.mod").V == 2
    selfish = rt.import_module("selfish")
    assert selfish.ME is selfish


def test_lua_profile_finds_init_packages():
    with importkit.Runtime(profile="lua") as lua:
        lua.mount("ui", {"init.lua": "", "button.lua": ""})
        assert lua.find_spec("ui").is_package
        assert lua.find_spec("ui.button").origin == "memory:/ui/button.lua"
    with importkit.Runtime() as py:
        py.mount("ui", {"init.lua": "", "button.lua": ""})
        with pytest.raises(ModuleNotFoundError):
            py.find_spec("ui.button")


def test_future_imports_and_table_queries(rt):
    rt.mount("fut", {"__init__.py": "from __future__ import annotations\ndef f(x: Undefined) -> int: ...\n"})
    fut = rt.import_module("fut")
    assert fut.f.__annotations__ == {"x": "Undefined", "return": "int"}
    assert "fut" in rt and "other" not in rt
    assert rt.get_module("fut") is fut
    assert rt.get_module("other", "dflt") == "dflt"


def test_concurrent_imports_execute_once(rt):
    rt.register_native("time", importlib.import_module)
    rt.mount(
        "slow",
        {
            "__init__.py": "import time\nRUNS = []\ntime.sleep(0.1)\nfrom . import part\n",
            "part.py": "from . import RUNS\nRUNS.append(1)\n",
        },
    )
    results, failures = [], []

    def worker():
        try:
            results.append(rt.import_module("slow"))
        except BaseException as e:  # noqa: BLE001 - reported below
            failures.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert failures == []
    assert len(results) == 4 and all(m is results[0] for m in results)
    assert results[0].RUNS == [1]


# -- natives --------------------------------------------------------------------------------------------------


def test_native_factory_module(rt):
    calls = []

    def factory(name):
        calls.append(name)
        m = types.ModuleType(name)
        m.answer = 42
        return m

    rt.register_native("fast", factory)
    rt.mount("app", {"__init__.py": "import fast\nVALUE = fast.answer + 1\n"})
    app = rt.import_module("app")
    assert app.VALUE == 43
    fast = rt.import_module("fast")
    assert fast is app.fast
    assert fast.answer == 42
    assert calls == ["fast"]  # made once, then served from the table
    assert rt.find_spec("fast").kind is importkit.Kind.NATIVE


def test_native_factory_failure_and_powerful_natives(rt):
    def broken(name):
        raise RuntimeError(f"cannot make {name}")

    rt.register_native("broken", broken)
    with pytest.raises(importkit.ExecError) as info:
        rt.import_module("broken")
    assert info.value.host_message == "RuntimeError: cannot make broken"
    assert isinstance(info.value.__cause__, RuntimeError)
    assert "broken" not in rt.modules()

    rt.register_native("osish", lambda name: types.SimpleNamespace(kind="powerful"), powerful=True)
    with pytest.raises(importkit.DeniedError):
        rt.import_module("osish")
    rt.allow("osish")
    assert rt.import_module("osish").kind == "powerful"

    with pytest.raises(importkit.ExistsError):
        rt.register_native("osish", lambda name: object())


# -- two runtimes ---------------------------------------------------------------------------------------------


def test_two_runtimes_share_nothing(rt, rt2):
    rt.mount("cfg", {"__init__.py": "WHO = 'first'\n"})
    rt2.mount("cfg", {"__init__.py": "WHO = 'second'\n"})
    a = rt.import_module("cfg")
    b = rt2.import_module("cfg")
    assert (a.WHO, b.WHO) == ("first", "second")
    assert a is not b

    rt.mount("only_one", {"__init__.py": "X = 1\n"})
    rt.import_module("only_one")
    assert "only_one" in rt.modules()
    assert rt2.modules() == ["cfg"]
    with pytest.raises(ModuleNotFoundError):
        rt2.import_module("only_one")

    rt.deny("cfg2")
    rt2.mount("cfg2", {"__init__.py": "OK = True\n"})
    assert rt2.import_module("cfg2").OK is True  # the first runtime's policy does not reach here

    rt.close()
    assert rt2.import_module("cfg").WHO == "second"  # closing one leaves the other intact


# -- circular imports -----------------------------------------------------------------------------------------


def test_cycle_sees_the_partial_module(rt):
    rt.mount(
        "cyc",
        {
            "__init__.py": "",
            "a.py": "BEFORE = 1\nfrom . import b\nAFTER = 2\n",
            "b.py": "from . import a\nSAW_BEFORE = hasattr(a, 'BEFORE')\nSAW_AFTER = hasattr(a, 'AFTER')\n",
        },
    )
    a = rt.import_module("cyc.a")
    assert a.b.SAW_BEFORE is True
    assert a.b.SAW_AFTER is False
    assert a.b.a is a  # the view handed out the real, later finished, module
    assert a.AFTER == 2
    assert rt.modules() == ["cyc", "cyc.a", "cyc.b"]


# -- errors ---------------------------------------------------------------------------------------------------


def test_failing_module_raises_with_the_hosts_message_and_leaves_the_table(rt):
    rt.mount("bad", {"__init__.py": "x = 1\n\nraise RuntimeError('boom')\n", "ok.py": "Y = 1\n"})
    with pytest.raises(importkit.ExecError) as info:
        rt.import_module("bad")
    e = info.value
    assert isinstance(e, ImportError) and not isinstance(e, ModuleNotFoundError)
    assert e.host_message == "RuntimeError: boom"
    assert e.line == 3
    assert e.module == "bad"
    assert "boom" in str(e) and "'bad'" in str(e)
    assert isinstance(e.__cause__, RuntimeError) and str(e.__cause__) == "boom"
    assert "bad" not in rt.modules()
    assert "bad" not in rt
    # a second attempt executes again and fails again (nothing half-made was kept)
    with pytest.raises(importkit.ExecError):
        rt.import_module("bad")


def test_error_line_is_the_innermost_line_of_the_module(rt):
    rt.mount("deep", {"__init__.py": "def f():\n    return g()\ndef g():\n    raise ValueError('deep')\n\nf()\n"})
    with pytest.raises(importkit.ExecError) as info:
        rt.import_module("deep")
    assert (info.value.line, info.value.column) == (4, 5)
    assert str(info.value) == "executing module 'deep' failed: ValueError: deep (line 4, column 5)"


def test_syntax_error_reports_its_line(rt):
    rt.mount("syn", {"__init__.py": "a = 1\nb = (\n"})
    with pytest.raises(importkit.ExecError) as info:
        rt.import_module("syn")
    assert info.value.host_message.startswith("SyntaxError: ")
    assert info.value.line == 2


def test_missing_module_lists_attempts(rt):
    rt.mount("game", GAME)
    with pytest.raises(ModuleNotFoundError) as info:
        rt.import_module("game.nothere")
    e = info.value
    assert isinstance(e, importkit.NotFoundError)
    assert e.name == "game.nothere"
    places = [place for place, _ in e.attempts]
    assert places == ["native", "memory:/game"]
    assert "no game/nothere.py" in dict(e.attempts)["memory:/game"]
    assert str(e).startswith("No module named 'game.nothere'")
    assert e.status_name == "IK_ERR_NOT_FOUND"


def test_denied_import_raises_the_policy_error_and_leaves_no_trace(rt):
    created = []
    rt.register_native("secret", lambda name: created.append(name) or types.ModuleType(name))
    rt.deny("secret")
    with pytest.raises(importkit.DeniedError) as info:
        rt.import_module("secret")
    assert isinstance(info.value, PermissionError)  # a decision of the host's, not a missing module
    assert not isinstance(info.value, ImportError)
    assert info.value.module == info.value.name == "secret"
    assert info.value.status_name == "IK_ERR_DENIED"
    assert created == []
    assert rt.modules() == []
    with pytest.raises(importkit.DeniedError):
        rt.find_spec("secret")


@pytest.mark.parametrize("name", ["", "a..b", "a.", "1abc", "a.-b"])
def test_invalid_names_raise_value_error(rt, name):
    with pytest.raises(ValueError) as info:
        rt.import_module(name)
    assert isinstance(info.value, importkit.ImportKitError)
    assert not isinstance(info.value, ImportError)


def test_embedded_nul_and_non_str_are_refused_before_c(rt):
    with pytest.raises(importkit.InvalidArgumentError):
        rt.import_module("game\0evil")
    with pytest.raises(TypeError):
        rt.import_module(b"game")


def test_relative_import_beyond_top_level(rt):
    rt.mount("top", {"__init__.py": "from .. import nothing\n"})
    with pytest.raises(ImportError) as info:
        rt.import_module("top")
    assert "beyond top-level package" in str(info.value)
    assert not isinstance(info.value, ModuleNotFoundError)


def test_nested_import_errors_keep_their_type(rt):
    rt.mount(
        "outer",
        {
            "__init__.py": "",
            "missing.py": "X = 1\nimport not_there_at_all\n",
            "denied.py": "import forbidden\n",
            "failing.py": "from . import explodes\n",
            "explodes.py": "1 / 0\n",
            "guarded.py": "try:\n    import not_there_at_all\nexcept ImportError as e:\n    ERR = e\n",
        },
    )
    rt.mount("forbidden", {"__init__.py": ""})
    rt.deny("forbidden")

    with pytest.raises(importkit.NotFoundError) as info:
        rt.import_module("outer.missing")
    assert info.value.name == "not_there_at_all"  # the inner module, not outer.missing
    assert info.value.attempts and info.value.attempts[0][0] == "native"

    with pytest.raises(importkit.DeniedError) as denied:
        rt.import_module("outer.denied")
    assert denied.value.module == "forbidden"

    with pytest.raises(importkit.ExecError) as failing:
        rt.import_module("outer.failing")
    assert failing.value.module == "outer.explodes"
    assert failing.value.host_message == "ZeroDivisionError: division by zero"
    assert isinstance(failing.value.__cause__, ZeroDivisionError)

    # none of the failed modules stayed; their parent did
    assert rt.modules() == ["outer"]

    # inside module code the errors are ordinary exceptions that `except ImportError` catches
    guarded = rt.import_module("outer.guarded")
    assert isinstance(guarded.ERR, ModuleNotFoundError)
    assert guarded.ERR.name == "not_there_at_all"


def test_keyboard_interrupt_in_module_code_stays_a_keyboard_interrupt(rt):
    rt.mount("irq", {"__init__.py": "from . import inner\n", "inner.py": "raise KeyboardInterrupt\n"})
    with pytest.raises(KeyboardInterrupt):
        rt.import_module("irq")
    assert rt.modules() == []


# -- mounts and lifetime --------------------------------------------------------------------------------------


def test_mount_errors_and_unmount(rt):
    with pytest.raises(importkit.InvalidMountError):
        rt.mount("evil", {"../escape.py": "X = 1"})
    rt.mount("m", {"__init__.py": b"V = 1\n"})
    with pytest.raises(importkit.ExistsError):
        rt.mount("m", {"__init__.py": "V = 2\n"})
    rt.mount("m", {"__init__.py": "V = 2\n"}, replace=True)
    assert rt.import_module("m").V == 2
    rt.unmount("m")
    assert rt.import_module("m").V == 2  # imported modules stay
    with pytest.raises(ModuleNotFoundError):
        rt.find_spec("m.other")
    with pytest.raises(importkit.UnavailableError):
        rt.unmount("m")


def test_close_releases_every_module_and_refuses_calls():
    rt = importkit.Runtime()
    rt.mount("game", GAME)
    game = rt.import_module("game")
    state = rt._state
    assert len(state.modules) == 4
    with rt:
        pass
    assert rt.closed
    assert state.modules == {}
    assert state.keepalive == []
    with pytest.raises(importkit.UnavailableError):
        rt.import_module("game")
    assert game.core.SPEED == 3  # the objects themselves live on
    rt.close()  # idempotent


def test_dropping_a_runtime_frees_it():
    rt = importkit.Runtime()
    rt.mount("game", GAME)
    rt.import_module("game")
    state = rt._state
    del rt
    gc.collect()
    assert state.closed
    assert state.modules == {}
