"""What a packager needs of importkit under ``install()`` and in runtimes: ``.ref`` chains visible as
``__indirect__``, every module name CPython accepts, ``__file__``/source of mounted modules, and
``importlib.metadata``/``pkgutil`` over mounts and bundles. Wherever the same files can sit on disk, the answer
is compared with what CPython's own machinery gives for them."""

from __future__ import annotations

import importlib
import importlib.machinery
import sys

import pytest

import importkit
from importkit import loaders

from conftest import write


# -- .ref chains: __indirect__ ------------------------------------------------------------------------------------


def _ref_tree(root):
    """tool: home/tool.ref -> ../src, src/tool.ref -> ../deeper/tool.py; bkr: a namespace package over
    home/bkr.ref's two targets (one of them through common/bkr.ref) and home's own bkr/."""
    write(root, {
        "home/tool.ref": "../src\n",
        "src/tool.ref": "# where tool lives\n../deeper\n",
        "deeper/tool.py": "SEEN = __indirect__\n",
        "home/lib.ref": "../far\n",
        "far/lib/__init__.py": "",
        "far/lib/part.py": "",
        "home/plain.py": "",
        "home/bkr.ref": "../common\n../client\n",
        "common/bkr.ref": "../shared\n",
        "shared/bkr/a.py": "",
        "client/bkr/b.py": "",
        "home/bkr/c.py": "",
    })
    return root / "home"


def test_a_module_found_through_ref_files_has_its_chain_as_indirect(installed, tmp_path):
    home = _ref_tree(tmp_path)
    sys.path.insert(0, str(home))
    import tool

    chain = (f"{home}/tool.ref", f"{home}/../src/tool.ref")
    assert tool.__indirect__ == chain
    assert tool.SEEN == chain  # set before the module's code runs
    assert tool.__file__ == f"{home}/../src/../deeper/tool.py"
    # the loader is CPython's SourceFileLoader, with __indirect__ set on top
    assert isinstance(tool.__loader__, importlib.machinery.SourceFileLoader)
    assert tool.__loader__.get_source("tool") == "SEEN = __indirect__\n"

    lib = importlib.import_module("lib")
    assert lib.__indirect__ == (f"{home}/lib.ref",)
    # a package found through a .ref file searches its own directory: its children need no .ref
    part = importlib.import_module("lib.part")
    assert not hasattr(part, "__indirect__")
    plain = importlib.import_module("plain")
    assert not hasattr(plain, "__indirect__")  # no .ref file: exactly the module CPython would make


def test_a_namespace_package_maps_each_portion_to_its_chain(installed, tmp_path):
    home = _ref_tree(tmp_path)
    sys.path.insert(0, str(home))
    import bkr
    import bkr.a
    import bkr.b
    import bkr.c

    shared = f"{home}/../common/../shared/bkr"
    client = f"{home}/../client/bkr"
    assert list(bkr.__path__) == [shared, client, f"{home}/bkr"]
    assert bkr.__indirect__ == {
        shared: (f"{home}/bkr.ref", f"{home}/../common/bkr.ref"),
        client: (f"{home}/bkr.ref",),
        f"{home}/bkr": (),
    }
    assert bkr.__file__ is None  # as CPython's namespace packages
    assert isinstance(bkr.__loader__, importlib.machinery.NamespaceLoader)
    assert bkr.a.__file__ == f"{shared}/a.py"


def test_a_namespace_package_no_ref_file_led_to_is_cpythons(installed, tmp_path):
    write(tmp_path, {"e1/nsp/a.py": "", "e2/nsp/b.py": ""})
    sys.path[:0] = [str(tmp_path / "e1"), str(tmp_path / "e2")]
    import nsp

    assert not hasattr(nsp, "__indirect__")
    assert type(nsp.__loader__) is importlib.machinery.NamespaceLoader
    assert nsp.__spec__.loader is nsp.__loader__


def test_a_runtime_gives_every_module_its_indirect(fs, tmp_path):
    home = _ref_tree(tmp_path)
    fs.path_append(str(home))
    assert fs.import_module("tool").__indirect__ == (f"{home}/tool.ref", f"{home}/../src/tool.ref")
    assert fs.import_module("plain").__indirect__ == ()
    assert fs.import_module("bkr").__indirect__ == {
        f"{home}/../common/../shared/bkr": (f"{home}/bkr.ref", f"{home}/../common/bkr.ref"),
        f"{home}/../client/bkr": (f"{home}/bkr.ref",),
        f"{home}/bkr": (),
    }
    spec = fs.find_spec("bkr")
    assert spec.location_refs == ((f"{home}/bkr.ref", f"{home}/../common/bkr.ref"), (f"{home}/bkr.ref",), ())
    assert fs.find_spec("plain").indirect == ()


def test_set_indirect_keeps_the_kind_of_loader():
    for base in (importlib.machinery.SourceFileLoader, importlib.machinery.SourcelessFileLoader,
                 importlib.machinery.ExtensionFileLoader):
        spec = importlib.machinery.ModuleSpec("m", base("m", "/x/m.py"), origin="/x/m.py")
        loaders.set_indirect(spec, ("/x/m.ref",))
        assert isinstance(spec.loader, base) and spec.loader.indirect == ("/x/m.ref",)
        assert spec.loader.path == "/x/m.py"


# -- names CPython accepts --------------------------------------------------------------------------------------

_STDLIB_MOUNTED = r"""
import importlib, json, os, sys, sysconfig
import importkit
stdlib = os.path.dirname(os.__file__)
files = {fn: open(os.path.join(stdlib, fn), "rb").read() for fn in os.listdir(stdlib) if fn.endswith(".py")}
data = sysconfig._get_sysconfigdata_name()
assert data + ".py" in files, data
rt = importkit.install()
rt.mount("", files)
for name in [m for m in sys.modules if "sysconfig" in m or m in ("cgitb", "pydoc")]:
    del sys.modules[name]
import cgitb
import sysconfig
out = {
    "vars": {k: v for k, v in sysconfig.get_config_vars().items() if isinstance(v, (str, int))},
    "loaders": sorted({type(sys.modules[m].__loader__).__name__ for m in ("cgitb", "sysconfig", data)}),
    "hook": callable(cgitb.enable),
}
print(json.dumps(out))
"""


def test_with_the_stdlib_mounted_sysconfig_and_cgitb_import_from_memory():
    import json

    from conftest import run_python

    mounted = run_python(_STDLIB_MOUNTED)
    assert mounted.returncode == 0, mounted.stderr
    got = json.loads(mounted.stdout)
    assert got["loaders"] == ["MountLoader"]  # _sysconfigdata__<platform> itself came from the mount
    assert got["hook"]
    plain = run_python("import json, sysconfig; print(json.dumps({k: v for k, v in "
                       "sysconfig.get_config_vars().items() if isinstance(v, (str, int))}))")
    assert plain.returncode == 0, plain.stderr
    assert got["vars"] == json.loads(plain.stdout)  # the same configuration as from the filesystem


def test_names_that_are_no_identifiers_are_served_by_importkit(installed, tmp_path):
    write(tmp_path, {"my-module.py": "X = 'dash'\n", "5th/__init__.py": "", "5th/sub mod.py": "Y = 2\n"})
    sys.path.insert(0, str(tmp_path))
    module = importlib.import_module("my-module")
    assert module.X == "dash"
    assert type(module.__loader__).__module__ == "importkit.loaders"  # importkit's finder, not CPython's
    assert module.__file__ == str(tmp_path / "my-module.py")
    assert importlib.import_module("5th.sub mod").Y == 2
    installed.mount("dashed", {"__init__.py": "", "a-b.py": "Z = 3\n"})
    assert importlib.import_module("dashed.a-b").Z == 3


def test_names_no_import_can_serve_fail_as_in_cpython(installed, tmp_path):
    """Empty segments and '/' are refused by importkit and left to CPython's path finder, whose answer is the
    error a program sees (differential: the same statement in a plain interpreter)."""
    from conftest import run_python

    code = ("import importlib\nfor n in ['os..path', 'a/b', 'json.']:\n    try:\n        importlib.import_module(n)\n"
            "    except Exception as e:\n        print(n, type(e).__name__, e)\n")
    plain = run_python(code)
    under = run_python("import importkit; importkit.install()\n" + code)
    assert plain.returncode == under.returncode == 0, under.stderr
    assert under.stdout == plain.stdout
    assert plain.stdout.count("ModuleNotFoundError") == 3


def test_a_runtime_refuses_bad_names_clearly_and_strict_identifiers_stay_a_setting():
    with importkit.Runtime() as rt:
        rt.mount("dashed", {"__init__.py": "", "a-b.py": "Z = 3\n"})
        assert rt.import_module("dashed.a-b").Z == 3
        for bad, why in [("a..b", "empty segment"), ("a/b", "'/' is not allowed"), ("", "Empty module name"),
                         ("x.", "empty segment")]:
            with pytest.raises(importkit.InvalidNameError, match=why) as info:
                rt.import_module(bad)
            assert bad in str(info.value)
        with pytest.raises(importkit.InvalidArgumentError, match="NUL"):
            rt.import_module("a\0b")
    strict = importkit.Profile.interpreter()
    strict.set_identifiers("python")
    with importkit.Runtime(strict) as rt:
        rt.mount("dashed", {"__init__.py": "", "a-b.py": "Z = 3\n"})
        with pytest.raises(importkit.InvalidNameError, match="segment 'a-b' is not an identifier"):
            rt.import_module("dashed.a-b")
        assert "a-b.py" in rt.resources("dashed")  # a file, not a module, under identifiers
    strict.free()
    with pytest.raises(ValueError, match="rule must be one of"):
        importkit.Profile().set_identifiers("ascii")
