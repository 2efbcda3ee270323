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
    # importkit's path finder takes the name itself (it is no longer handed to CPython's PathFinder)
    assert installed.path_find_spec("my-module", [str(tmp_path)]).file == str(tmp_path / "my-module.py")
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
    anything = importkit.Profile.interpreter()
    anything.set_identifiers("any")
    with importkit.Runtime(anything) as rt:
        rt.mount("dashed", {"__init__.py": "", "a-b.py": "Z = 3\n"})
        assert rt.import_module("dashed.a-b").Z == 3
        for bad, why in [("a..b", "empty segment"), ("a/b", "'/' is not allowed"), ("", "Empty module name"),
                         ("x.", "empty segment")]:
            with pytest.raises(importkit.InvalidNameError, match=why) as info:
                rt.import_module(bad)
            assert bad in str(info.value)
        with pytest.raises(importkit.InvalidArgumentError, match="NUL"):
            rt.import_module("a\0b")
    anything.free()
    with importkit.Runtime() as rt:  # an isolated runtime's names are identifiers, importkit's own rule
        rt.mount("dashed", {"__init__.py": "", "a-b.py": "Z = 3\n"})
        with pytest.raises(importkit.InvalidNameError, match="segment 'a-b' is not an identifier"):
            rt.import_module("dashed.a-b")
        assert "a-b.py" in rt.resources("dashed")  # a file, not a module, under identifiers
    with pytest.raises(ValueError, match="rule must be one of"):
        importkit.Profile().set_identifiers("ascii")


def test_a_bundle_built_with_any_names_serves_them(installed, tmp_path):
    profile = importkit.Profile.interpreter()
    profile.set_identifiers("any")
    builder = importkit.BundleBuilder(profile)
    builder.add_tree({"_sysconfigdata__ik_test-linux-gnu.py": "build_time_vars = {'CC': 'cc'}\n"})
    builder.write(tmp_path / "names.ikb")
    builder.close()
    profile.free()
    importkit.mount_bundle(tmp_path / "names.ikb")
    module = importlib.import_module("_sysconfigdata__ik_test-linux-gnu")
    assert module.build_time_vars == {"CC": "cc"}
    assert type(module.__loader__).__name__ == "BundleLoader"


# -- files of mounted modules: __file__, inspect, linecache, pkgutil.get_data ---------------------------------

PKG = {
    "vpkg/__init__.py": "from .core import Thing\nHERE = __file__\n",
    "vpkg/core.py": "class Thing:\n    '''A thing.'''\n\n    def size(self):\n        return 3\n",
    "vpkg/data/level.txt": "level one\n",
}


def _observe(package: str, anchor: str) -> dict:
    """What a program sees of a package's files, with paths relative to ``anchor`` (the zip archive, or the
    virtual root)."""
    import inspect
    import linecache
    import os
    import pkgutil

    pkg = importlib.import_module(package)
    core = importlib.import_module(package + ".core")
    return {
        "file": os.path.relpath(pkg.__file__, anchor),
        "here": os.path.relpath(pkg.HERE, anchor),
        "core_file": os.path.relpath(inspect.getfile(core), anchor),
        "source_of_module": inspect.getsource(core),
        "source_of_class": inspect.getsource(core.Thing),
        "source_of_method": inspect.getsource(core.Thing.size),
        "sourcefile": os.path.relpath(inspect.getsourcefile(core.Thing), anchor),
        "line": linecache.getline(core.Thing.size.__code__.co_filename, 5),
        "get_data": pkgutil.get_data(package, "data/level.txt"),
        "loader_source": core.__loader__.get_source(package + ".core"),
    }


def test_mounted_modules_have_files_that_inspect_and_pkgutil_read_as_zipimport_does(installed, tmp_path):
    import zipfile

    archive = tmp_path / "vpkg.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, text in PKG.items():
            z.writestr(name, text)
    sys.path.insert(0, str(archive))
    from_zip = _observe("vpkg", str(archive))
    assert type(sys.modules["vpkg"].__loader__).__name__ == "zipimporter"
    for name in [m for m in sys.modules if m == "vpkg" or m.startswith("vpkg.")]:
        del sys.modules[name]
    sys.path.remove(str(archive))

    installed.mount("", {k: v for k, v in PKG.items()})
    root = sys.executable  # the default virtual root
    from_mount = _observe("vpkg", root)
    assert type(sys.modules["vpkg"].__loader__).__name__ == "MountLoader"
    assert from_mount == from_zip
    assert from_mount["file"] == "vpkg/__init__.py"


def test_bundled_modules_have_files_that_inspect_and_pkgutil_read(installed, tmp_path):
    builder = importkit.BundleBuilder()
    builder.add_tree(PKG)
    builder.write(tmp_path / "vpkg.ikb")
    builder.close()
    write(tmp_path / "disk", PKG)
    sys.path.insert(0, str(tmp_path / "disk"))
    from_disk = _observe("vpkg", str(tmp_path / "disk"))
    for name in [m for m in sys.modules if m == "vpkg" or m.startswith("vpkg.")]:
        del sys.modules[name]
    sys.path.remove(str(tmp_path / "disk"))

    assert importkit.mount_bundle(tmp_path / "vpkg.ikb") > 0
    from_bundle = _observe("vpkg", sys.executable)
    assert type(sys.modules["vpkg.core"].__loader__).__name__ == "BundleLoader"
    assert from_bundle == from_disk
    loader = sys.modules["vpkg"].__loader__
    with pytest.raises(FileNotFoundError):
        loader.get_data(f"{sys.executable}/vpkg/data/missing.txt")
    with pytest.raises(FileNotFoundError):
        loader.get_data("/etc/hostname")  # not a file of the bundle, whatever the disk holds


def test_without_a_virtual_root_source_and_linecache_still_work(installed):
    import inspect
    import linecache

    installed.set_virtual_root(None)
    installed.mount("", dict(PKG, **{"vpkg/__init__.py": "from .core import Thing\n"}))  # no HERE = __file__
    import vpkg.core

    assert not hasattr(vpkg, "__file__")  # no file: the opt-out
    assert vpkg.core.__loader__.get_source("vpkg.core") == PKG["vpkg/core.py"]
    filename = vpkg.core.Thing.size.__code__.co_filename
    assert filename == "memory:/vpkg/core.py"
    assert linecache.getline(filename, 5) == "        return 3\n"
    assert inspect.getsource(vpkg.core.Thing.size) == "    def size(self):\n        return 3\n"
    assert vpkg.core.__loader__.get_data("memory:/vpkg/data/level.txt") == b"level one\n"
    with pytest.raises(TypeError):  # inspect finds a module's or class's source through __file__ only
        inspect.getsource(vpkg.core)


# -- importlib.metadata over mounts and bundles ---------------------------------------------------------------

SITE = {
    "ikfoo/__init__.py": "",
    "ikfoo/data.txt": "foo data\n",
    "ikfoo-1.2.dist-info/METADATA": ("Metadata-Version: 2.1\nName: IKFoo\nVersion: 1.2\nSummary: a test\n"
                                     "Requires-Dist: ikbar (>=0.3)\nRequires-Dist: colorful ; extra == 'nice'\n"
                                     "Provides-Extra: nice\n"),
    "ikfoo-1.2.dist-info/RECORD": ("ikfoo/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n"
                                   "ikfoo/data.txt,,\nikfoo-1.2.dist-info/METADATA,,\nikfoo-1.2.dist-info/RECORD,,\n"
                                   "../../bin/ikfoo,,\n"),
    "ikfoo-1.2.dist-info/entry_points.txt": "[console_scripts]\nikfoo = ikfoo:main\n\n[ik.plugins]\nfast = ikfoo.x:F\n",
    "ikfoo-1.2.dist-info/top_level.txt": "ikfoo\n",
    "ik_bar.baz-0.3.dist-info/METADATA": "Metadata-Version: 2.1\nName: ik_bar.baz\nVersion: 0.3\n",
    "ikold.egg-info/PKG-INFO": "Metadata-Version: 1.0\nName: ikold\nVersion: 0.0.1\n",
    "ikold.egg-info/top_level.txt": "ikold\n",
    "ikold.py": "",
}


def _distribution_facts(dist) -> dict:
    files = dist.files
    return {
        "name": dist.metadata["Name"],
        "version": dist.version,
        "summary": dist.metadata.get("Summary"),
        "requires": dist.requires,
        "entry_points": sorted((e.group, e.name, e.value) for e in dist.entry_points),
        "files": None if files is None else [str(f) for f in files],
        "hashes": None if files is None else [f.hash and (f.hash.mode, f.hash.value) for f in files],
        "contents": None if files is None else [f.read_text() if f.locate().exists() else None
                                                 for f in files if not str(f).startswith("..")],
        "top_level": dist.read_text("top_level.txt"),
        "missing": dist.read_text("NO_SUCH_FILE"),
    }


def _facts_from_disk(directory) -> dict:
    import importlib.metadata as md

    return {d.metadata["Name"]: _distribution_facts(d) for d in md.distributions(path=[str(directory)])}


def _facts_mounted() -> dict:
    import importlib.metadata as md

    return {d.metadata["Name"]: _distribution_facts(d) for d in md.distributions()
            if d.metadata["Name"] in ("IKFoo", "ik_bar.baz", "ikold")}


def test_distributions_of_a_mount_are_those_cpython_finds_in_the_same_directory(installed, tmp_path):
    import importlib.metadata as md

    write(tmp_path / "site", SITE)
    expected = _facts_from_disk(tmp_path / "site")
    assert set(expected) == {"IKFoo", "ik_bar.baz", "ikold"}
    installed.mount("", SITE)
    assert _facts_mounted() == expected
    assert md.version("ikfoo") == md.version("IKFOO") == "1.2"  # names compared normalised
    assert md.version("ik-bar-baz") == "0.3"
    assert md.distribution("ikfoo").read_text("METADATA") == SITE["ikfoo-1.2.dist-info/METADATA"]
    assert [e.name for e in md.entry_points(group="ik.plugins")] == ["fast"]
    assert md.packages_distributions()["ikfoo"] == ["IKFoo"]
    assert md.files("ikfoo")[1].read_text() == "foo data\n"
    with pytest.raises(md.PackageNotFoundError):
        md.version("ik-not-there")


def test_distributions_of_a_bundle_are_those_cpython_finds_in_the_same_directory(installed, tmp_path):
    import importlib.metadata as md

    write(tmp_path / "site", SITE)
    expected = _facts_from_disk(tmp_path / "site")
    builder = importkit.BundleBuilder()
    builder.add_dir(tmp_path / "site")
    builder.write(tmp_path / "site.ikb")
    builder.close()
    importkit.mount_bundle(tmp_path / "site.ikb")
    assert _facts_mounted() == expected
    assert md.version("ikold") == "0.0.1"
    import ikfoo

    assert md.distribution("ikfoo").locate_file("ikfoo/data.txt").read_text() == "foo data\n"
    assert ikfoo.__loader__.get_data(f"{sys.executable}/ikfoo/data.txt") == b"foo data\n"


def test_find_distributions_follows_the_context_name_and_path(installed, tmp_path):
    import importlib.metadata as md

    installed.mount("", SITE)
    finder = next(f for f in sys.meta_path if isinstance(f, importkit.ImportKitFinder))
    mounted = [d for d in finder.find_distributions(md.DistributionFinder.Context(name="IKFOO"))
               if isinstance(d, importkit.metadata.MountedDistribution)]
    assert [d.directory for d in mounted] == ["ikfoo-1.2.dist-info"]
    everything = installed.find_distributions(md.DistributionFinder.Context())
    assert sorted(d.directory for d in everything) == ["ik_bar.baz-0.3.dist-info", "ikfoo-1.2.dist-info",
                                                      "ikold.egg-info"]
    # an explicit path names directories of the filesystem: not the mounts, unless it names importkit's tree
    elsewhere = md.DistributionFinder.Context(name="ikfoo", path=[str(tmp_path)])
    assert installed.find_distributions(elsewhere) == []
    assert list(md.distributions(name="ikfoo", path=[str(tmp_path)])) == []
    ours = md.DistributionFinder.Context(name="ikfoo", path=["memory:/"])
    assert [d.version for d in installed.find_distributions(ours)] == ["1.2"]
    assert installed.find_distributions(md.DistributionFinder.Context(name="ikfoo", path=list(sys.path)))


def test_a_distribution_under_a_mount_point_is_inside_a_package_and_not_found(installed):
    import importlib.metadata as md

    installed.mount("ikgame", {"__init__.py": "", "ikgame-9.dist-info/METADATA": "Name: ikgame\nVersion: 9\n"})
    with pytest.raises(md.PackageNotFoundError):
        md.version("ikgame")  # as CPython would not look inside a package's directory
    assert installed.read_file("ikgame/ikgame-9.dist-info/METADATA").startswith(b"Name: ikgame")
    with pytest.raises(importkit.NotFoundError, match="'ikgame/none'"):
        installed.read_file("ikgame/none")
    with pytest.raises(importkit.InvalidArgumentError, match="'../x'"):
        installed.read_file("../x")


def test_importing_importkit_loads_no_metadata_machinery():
    from conftest import run_python

    out = run_python("import sys, importkit; importkit.install(); print('importlib.metadata' in sys.modules, "
                     "'email' in sys.modules, 'importkit.metadata' in sys.modules)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False", "False"]


# -- pkgutil over mounts and bundles ----------------------------------------------------------------------------

TREE = {
    "ikwalk/__init__.py": "",
    "ikwalk/a.py": "",
    "ikwalk/sub/__init__.py": "",
    "ikwalk/sub/b.py": "",
    "ikwalk/sub/deeper/__init__.py": "",
    "ikwalk/sub/deeper/c.py": "",
    "ikwalk/nsdir/d.py": "",  # no __init__: pkgutil lists no such directory
    "ikwalk/data.txt": "",
    "ikwalk/my-mod.py": "",
    "ikwalkmod.py": "",
}

_WALK = r"""
import json, pkgutil, sys
sys.path.insert(0, sys.argv[1])
import ikwalk
out = {
    "walk": [(m.name, m.ispkg) for m in pkgutil.walk_packages(ikwalk.__path__, "ikwalk.")],
    "iter": [(m.name, m.ispkg) for m in pkgutil.iter_modules(ikwalk.__path__)],
    "top": sorted((m.name, m.ispkg) for m in pkgutil.iter_modules() if m.name.startswith("ikwalk")),
}
print(json.dumps(out))
"""


def _walk_here() -> dict:
    import pkgutil

    import ikwalk

    return {
        "walk": [[m.name, m.ispkg] for m in pkgutil.walk_packages(ikwalk.__path__, "ikwalk.")],
        "iter": [[m.name, m.ispkg] for m in pkgutil.iter_modules(ikwalk.__path__)],
        "top": sorted([m.name, m.ispkg] for m in pkgutil.iter_modules() if m.name.startswith("ikwalk")),
    }


def _walk_in_cpython(tmp_path) -> dict:
    import json

    from conftest import run_python

    write(tmp_path / "disk", TREE)
    plain = run_python(_WALK, str(tmp_path / "disk"))
    assert plain.returncode == 0, plain.stderr
    return json.loads(plain.stdout)


def test_pkgutil_walks_a_mount_as_cpython_walks_the_same_directory(installed, tmp_path):
    expected = _walk_in_cpython(tmp_path)
    assert ["ikwalk.sub.deeper.c", False] in expected["walk"]  # the comparison is not empty
    installed.mount("", TREE)
    assert _walk_here() == expected
    import pkgutil

    assert isinstance(pkgutil.get_importer("memory:/ikwalk/sub"), importkit._mount_entry.MountEntryFinder)


def test_pkgutil_walks_a_bundle_as_cpython_walks_the_same_directory(installed, tmp_path):
    expected = _walk_in_cpython(tmp_path)
    builder = importkit.BundleBuilder()
    builder.add_tree(TREE)
    builder.write(tmp_path / "walk.ikb")
    builder.close()
    importkit.mount_bundle(tmp_path / "walk.ikb")
    assert _walk_here() == expected


def test_the_mount_hook_leaves_with_uninstall(import_state):
    import pkgutil

    from importkit import finder

    runtime = importkit.install()
    try:
        assert sys.path_hooks[-1] is finder._mount_path_hook
        runtime.mount("ikhooked", {"__init__.py": "", "x.py": ""})
        assert [m.name for m in pkgutil.iter_modules(["memory:/ikhooked"])] == ["x"]
        with pytest.raises(ImportError):
            finder._mount_path_hook("/not/ours")
    finally:
        importkit.uninstall()
        runtime.close()
    assert finder._mount_path_hook not in sys.path_hooks
    assert "memory:/ikhooked" not in sys.path_importer_cache
    assert pkgutil.get_importer("memory:/ikhooked") is None


# -- importlib.resources of bundled packages ---------------------------------------------------------------

RES = {
    "ikres/__init__.py": "",
    "ikres/top.txt": "T\n",
    "ikres/data/level.txt": "L1\n",
    "ikres/data/sprites/hero.png": b"\x89PNG\r\n",
    "ikres/sub/__init__.py": "",
    "ikres/sub/inner.txt": "inner\n",
}


def _traverse(node, depth=0) -> list:
    out = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name == "__pycache__":
            continue
        entry = [child.name, child.is_dir(), child.is_file()]
        if child.is_file():
            entry.append(child.read_bytes())
        else:
            entry.append(_traverse(child, depth + 1))
        out.append(entry)
    return out


def test_resources_of_a_bundled_package_traverse_as_the_same_directory(installed, tmp_path):
    import importlib.resources as resources

    write(tmp_path / "disk", RES)
    sys.path.insert(0, str(tmp_path / "disk"))
    expected = _traverse(resources.files("ikres"))
    assert [e[0] for e in expected] == ["__init__.py", "data", "sub", "top.txt"]
    missing_on_disk = resources.files("ikres").joinpath("nope.txt")
    assert not missing_on_disk.is_file() and not missing_on_disk.is_dir()
    for name in [m for m in sys.modules if m == "ikres" or m.startswith("ikres.")]:
        del sys.modules[name]
    sys.path.remove(str(tmp_path / "disk"))

    builder = importkit.BundleBuilder()
    builder.add_tree(RES)
    builder.write(tmp_path / "res.ikb")
    builder.close()
    importkit.mount_bundle(tmp_path / "res.ikb")
    files = resources.files("ikres")
    assert type(sys.modules["ikres"].__loader__).__name__ == "BundleLoader"
    assert _traverse(files) == expected
    assert files.joinpath("data/level.txt").read_text() == "L1\n"
    assert resources.files("ikres.sub").joinpath("inner.txt").read_text() == "inner\n"
    missing = files.joinpath("nope.txt")
    assert not missing.is_file() and not missing.is_dir() and not missing.exists()
    with pytest.raises(FileNotFoundError):
        missing.read_bytes()
    with resources.as_file(files / "data" / "level.txt") as real:
        assert open(real).read() == "L1\n"


def test_an_isolated_runtime_gives_mounted_and_bundled_modules_files(tmp_path):
    import inspect
    import linecache

    builder = importkit.BundleBuilder()
    builder.add_tree({"ikiso/__init__.py": "def hello():\n    return 'bundled'\n", "ikiso/d.txt": "D"})
    builder.write(tmp_path / "iso.ikb")
    builder.close()
    with importkit.Runtime() as rt:
        rt.mount_bundle(tmp_path / "iso.ikb")
        rt.mount("ikmem", {"__init__.py": "def hello():\n    return 'mounted'\n"})
        for name, text in (("ikiso", "bundled"), ("ikmem", "mounted")):
            module = rt.import_module(name)
            assert module.__file__ == f"{sys.executable}/{name}/__init__.py"
            assert module.hello() == text
            assert inspect.getsource(module) == f"def hello():\n    return '{text}'\n"
            assert inspect.getsource(module.hello).startswith("def hello():")
            assert linecache.getline(module.__file__, 2) == f"    return '{text}'\n"
        bundled = rt.get_module("ikiso")
        assert bundled.__loader__.get_data(f"{sys.executable}/ikiso/d.txt") == b"D"
        assert bundled.__loader__.get_resource_reader("ikiso").files().joinpath("d.txt").read_text() == "D"
