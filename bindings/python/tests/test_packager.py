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
