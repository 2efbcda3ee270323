"""Frozen applications (docs/FREEZE.md): ``python -m importkit freeze`` and ``python -m importkit run``.

A small application with a dependency from site-packages (a package with data and a ``*.dist-info``, in a
virtual environment made here) is frozen with the standard library into one bundle (built once for the
module), then run in a fresh interpreter whose ``sys.path`` holds no stdlib directory but ``lib-dynload``:
its own test runs there and reports what it saw. Also: the executor runs a bundle's code entry, not its
source; determinism; extension modules left on disk or refused; bad input."""

import importlib
import importlib.machinery
import importlib.resources
import json
import marshal
import os
import subprocess
import sys
import sysconfig

import pytest

import importkit
from importkit import BundleBuilder, Runtime
from importkit import freeze as fz

BINDING = os.path.dirname(os.path.dirname(os.path.abspath(importkit.__file__)))
#: left out of the frozen stdlib here, to keep the test fast (the whole stdlib is frozen in docs/FREEZE.md)
EXCLUDE = ["test", "tests", "idlelib", "tkinter", "turtledemo", "lib2to3", "ensurepip", "distutils"]


def env():
    e = dict(os.environ)
    e["PYTHONPATH"] = BINDING
    e["IMPORTKIT_LIB"] = importkit.library_path()
    e.pop("PYTHONHOME", None)
    return e


def command(python, *args, cwd=None, check=True):
    done = subprocess.run([python, "-m", "importkit", *args], env=env(), cwd=cwd, capture_output=True, text=True,
                          timeout=300)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


APP_MAIN = '''
import importlib.machinery, importlib.metadata, importlib.resources, json, os, sys, sysconfig, traceback
import importkit
import dep, myapp.core
from myapp import core

report = {}
report["path"] = list(sys.path)
report["argv"] = sys.argv[1:]
report["origins"] = {n: sys.modules[n].__spec__.origin for n in ("dep", "myapp.core", "json", "email.parser")
                     if n in sys.modules or __import__(n)}
report["loaders"] = {n: type(sys.modules[n].__spec__.loader).__name__ for n in ("dep", "myapp.core", "json")}
report["bundled"] = sum(type(getattr(m, "__loader__", None)).__name__ == "BundleLoader"
                        for m in list(sys.modules.values()))
stats = importkit.installed().code_cache_stats()
report["from_code"] = stats["hits_source"]  # code entries the bundle handed over for this interpreter's tag
report["from_source"] = stats["misses"]  # sources handed over without code
report["test"] = core.selftest()
report["data"] = importlib.resources.files("dep").joinpath("data.txt").read_text()
report["listing"] = sorted(p.name for p in importlib.resources.files("dep").iterdir())
try:
    report["version"] = importlib.metadata.version("dep")
except importlib.metadata.PackageNotFoundError as exc:
    report["version"] = None
try:
    core.fail()
except ZeroDivisionError:
    report["traceback"] = traceback.format_exc()
report["sysconfig"] = bool(sysconfig.get_config_vars().get("prefix") is not None)
print(json.dumps(report))
'''

APP_CORE = '''
import dep


def selftest():
    """The application's own test: its dependency answers and the stdlib works from the bundle."""
    import collections, decimal, email.message, textwrap
    m = email.message.EmailMessage()
    m["Subject"] = "hi"
    assert dep.double(21) == 42
    assert str(decimal.Decimal("1.10") + decimal.Decimal("2.20")) == "3.30"
    assert textwrap.shorten("a b c d e f", 7) == "a [...]"
    assert collections.Counter("abca")["a"] == 2
    return "passed " + m["Subject"]


def fail():
    return 1 / 0  # the line a traceback shows
'''


@pytest.fixture(scope="module")
def frozen(tmp_path_factory):
    """A venv with the dependency in its site-packages, the app beside it, frozen once with the stdlib."""
    root = tmp_path_factory.mktemp("freeze")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    site = subprocess.run([python, "-c", "import site; print(site.getsitepackages()[0])"], capture_output=True,
                          text=True, check=True).stdout.strip()
    dep = os.path.join(site, "dep")
    os.makedirs(dep)
    with open(os.path.join(dep, "__init__.py"), "w") as f:
        f.write("def double(x):\n    return 2 * x\n")
    with open(os.path.join(dep, "data.txt"), "w") as f:
        f.write("packaged data\n")
    info = os.path.join(site, "dep-1.2.3.dist-info")
    os.makedirs(info)
    with open(os.path.join(info, "METADATA"), "w") as f:
        f.write("Metadata-Version: 2.1\nName: dep\nVersion: 1.2.3\n")
    app = root / "app" / "myapp"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "__main__.py").write_text(APP_MAIN)
    (app / "core.py").write_text(APP_CORE)
    out = root / "app.ikb"
    done = command(python, "freeze", "-o", str(out), "--stdlib", "--site-packages",
                   *[x for e in EXCLUDE for x in ("--exclude", e)], str(app))
    return {"root": root, "python": python, "bundle": str(out), "app": str(app), "freeze": done, "site": site}


def run_app(frozen, *args):
    done = command(frozen["python"], "run", frozen["bundle"], "-m", "myapp", *args, cwd=str(frozen["root"]))
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_frozen_application_runs_from_the_bundle(frozen):
    report = run_app(frozen, "one", "two")
    bundle = frozen["bundle"]
    assert report["test"] == "passed hi"
    assert report["argv"] == ["one", "two"]
    # no stdlib directory on sys.path but lib-dynload; the site-packages are not on it either
    dynload = [p for p in report["path"] if p.endswith("lib-dynload")]
    stdlib = [p for p in report["path"] if p.startswith(fz.stdlib_dir()) and p not in dynload]
    assert dynload and stdlib == []
    assert not any(p.endswith(("site-packages", ".zip")) for p in report["path"])
    for name in ("dep", "myapp.core", "json", "email.parser"):
        assert report["origins"][name].startswith(bundle + "/"), (name, report["origins"][name])
    assert set(report["loaders"].values()) == {"BundleLoader"}  # importkit.mount_bundle's loader
    # compiled code from the bundle ran; nothing was compiled from source
    assert report["bundled"] > 20 and report["from_code"] == report["bundled"] and report["from_source"] == 0
    assert report["data"] == "packaged data\n"
    assert "data.txt" in report["listing"] and "__init__.py" in report["listing"]
    # tracebacks show the bundled source
    assert "return 1 / 0  # the line a traceback shows" in report["traceback"]
    assert "    core.fail()" in report["traceback"]  # the program's own module (__main__) too
    assert report["sysconfig"]  # _sysconfigdata__<platform> (not an identifier) served from the bundle


def test_metadata_of_a_frozen_dependency(frozen):
    report = run_app(frozen)
    assert report["version"] == "1.2.3"


def test_freeze_lists_and_keeps_files(frozen):
    rt = Runtime()
    try:
        manifest = fz.mount(rt, frozen["bundle"])
        assert manifest["stdlib"] is True and manifest["cache_tag"] == sys.implementation.cache_tag
        assert rt.read_file("dep-1.2.3.dist-info/METADATA").startswith(b"Metadata-Version")
        assert rt.read_resource("dep", "data.txt") == b"packaged data\n"
        spec, code, is_code = rt.get_code("myapp.core")
        assert is_code and marshal.loads(code).co_filename == "bundle:/myapp/core.py"  # as freeze compiled it
        assert spec.file == frozen["bundle"] + "/myapp/core.py"  # the bundle's path is the virtual root
    finally:
        rt.close()
    # the stdlib's extension modules are not in the bundle: they stay in lib-dynload, which run keeps
    out = frozen["freeze"].stdout
    assert "compiled for " + sys.implementation.cache_tag in out


def test_deterministic(frozen, tmp_path):
    again = tmp_path / "again.ikb"
    command(frozen["python"], "freeze", "-o", str(again), "--site-packages", frozen["app"])
    twice = tmp_path / "twice.ikb"
    command(frozen["python"], "freeze", "-o", str(twice), "--site-packages", frozen["app"])
    assert again.read_bytes() == twice.read_bytes()


def test_a_bundle_without_the_stdlib_runs_with_the_interpreters(frozen, tmp_path):
    small = tmp_path / "small.ikb"
    command(frozen["python"], "freeze", "-o", str(small), "--site-packages", frozen["app"])
    done = command(frozen["python"], "run", str(small), "-m", "myapp", cwd=str(tmp_path))
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["test"] == "passed hi"
    assert report["origins"]["dep"].startswith(str(small) + "/")
    assert not report["origins"]["json"].startswith(str(small))


def test_the_executor_runs_a_bundles_code_not_its_source():
    b = BundleBuilder()
    b.add_tree({"m.py": "WHERE = 'source'\n", "n.py": "WHERE = 'source'\n"})
    b.add_code("m", sys.implementation.cache_tag, marshal.dumps(compile("WHERE = 'code'\n", "bundle:/m.py", "exec")))
    b.add_code("n", "cpython-00", marshal.dumps(compile("WHERE = 'code'\n", "bundle:/n.py", "exec")))
    data = b.build()
    with Runtime() as rt:
        rt.mount_bundle(data, "app")
        assert rt.import_module("app.m").WHERE == "code"
        assert rt.import_module("app.n").WHERE == "source"  # another tag's code: the source runs
        assert rt.code_cache_stats()["hits_source"] == 1


FROZEN_PKG = {
    "frzpkg/__init__.py": "from . import core\nKIND = type(__loader__).__name__\n",
    "frzpkg/core.py": "def fail():\n    x = 1\n    return x / 0  # the line a traceback shows\n",
    "frzpkg/data.txt": "frozen data\n",
}


@pytest.mark.parametrize("point", ["", "app"])
def test_mount_bundle_of_a_frozen_bundle_runs_its_code(installed, tmp_path, point):
    """importkit.mount_bundle of a bundle freeze() built: its modules run from their code entries (not their
    source), get_source gives the source, and a traceback shows the bundle's lines, under the module's file
    (freeze compiled them as bundle:/frzpkg/core.py; mounted at "app" they are app/frzpkg/core.py)."""
    import inspect
    import traceback

    from conftest import write

    write(tmp_path / "src", FROZEN_PKG)
    report = fz.freeze(tmp_path / "f.ikb", [tmp_path / "src"])
    assert report.compiled == 2
    before = installed.code_cache_stats()
    importkit.mount_bundle(tmp_path / "f.ikb", point)
    prefix = point + "." if point else ""
    pkg = importlib.import_module(prefix + "frzpkg")
    core = sys.modules[prefix + "frzpkg.core"]
    after = installed.code_cache_stats()
    assert after["hits_source"] - before["hits_source"] == 2  # both modules ran from their code entries
    assert after["misses"] == before["misses"]  # no source was looked up to run
    assert pkg.KIND == "BundleLoader"
    tree = (point + "/" if point else "") + "frzpkg/core.py"
    assert core.__file__ == f"{sys.executable}/{tree}"
    assert core.fail.__code__.co_filename == core.__loader__.filename == core.__file__
    assert core.__loader__.get_source(core.__name__) == FROZEN_PKG["frzpkg/core.py"]
    assert inspect.getsource(core.fail) == FROZEN_PKG["frzpkg/core.py"]
    assert importlib.resources.files(pkg).joinpath("data.txt").read_text() == "frozen data\n"
    try:
        core.fail()
    except ZeroDivisionError:
        shown = traceback.format_exc()
    assert f'File "{core.__file__}", line 3, in fail' in shown
    assert "    return x / 0  # the line a traceback shows" in shown


@pytest.mark.parametrize("entry, message", [
    (marshal.dumps(42), "is not a code object"),
    (b"\xff not marshal", "cannot be read"),
])
def test_a_code_entry_that_is_no_code_object_fails_naming_the_module(installed, entry, message):
    b = BundleBuilder()
    b.add_tree({"badcode.py": "X = 1\n"})
    b.add_code("badcode", sys.implementation.cache_tag, entry)
    importkit.mount_bundle(b.build())
    with pytest.raises(ImportError, match=f"module 'badcode' {message}") as caught:
        importlib.import_module("badcode")
    assert caught.value.name == "badcode"


def test_full_import_mode_names_a_code_entrys_file(tmp_path):
    """The executor's exec_code gives compiled code the module's file as co_filename, as BundleLoader does."""
    from conftest import write

    write(tmp_path / "src", FROZEN_PKG)
    fz.freeze(tmp_path / "f.ikb", [tmp_path / "src"])
    with Runtime() as rt:
        rt.mount_bundle(str(tmp_path / "f.ikb"), "app")
        core = rt.import_module("app.frzpkg.core")
        assert rt.code_cache_stats()["hits_source"] == 2
        assert core.fail.__code__.co_filename == core.__file__ == f"{sys.executable}/app/frzpkg/core.py"


def test_script_and_errors(frozen, tmp_path):
    script = tmp_path / "script.py"
    script.write_text("import sys, dep\nprint(dep.double(4), sys.argv[1:], dep.__spec__.origin)\n")
    done = command(frozen["python"], "run", frozen["bundle"], str(script), "x")
    assert done.stdout.split()[:2] == ["8", "['x']"] and frozen["bundle"] in done.stdout
    done = command(frozen["python"], "run", frozen["bundle"], "-m", "nosuchmodule", check=False)
    assert done.returncode == 1 and "no module named 'nosuchmodule'" in done.stderr
    done = command(frozen["python"], "run", str(tmp_path / "missing.ikb"), "-m", "myapp", check=False)
    assert done.returncode == 1 and "no such bundle file" in done.stderr
    cut = tmp_path / "cut.ikb"
    cut.write_bytes(open(frozen["bundle"], "rb").read()[:4096])
    done = command(frozen["python"], "run", str(cut), "-m", "myapp", check=False)
    assert done.returncode == 1 and "truncated" in done.stderr
    done = command(frozen["python"], "freeze", "-o", str(tmp_path / "x.ikb"), str(tmp_path / "nope"), check=False)
    assert done.returncode == 1 and "no such file or directory" in done.stderr
    done = command(frozen["python"], "freeze", "-o", str(tmp_path / "no" / "x.ikb"), frozen["app"], check=False)
    assert done.returncode == 1 and "cannot write bundle" in done.stderr


def test_a_script_of_the_bundle_runs_and_its_traceback_shows_its_lines(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "tool.py").write_text("import sys\nprint(__file__, sys.argv[1:])\nraise ValueError('x')  # tool line\n")
    fz.freeze(tmp_path / "t.ikb", [src])
    done = command(sys.executable, "run", str(tmp_path / "t.ikb"), "tool.py", "a", cwd=str(tmp_path),
                   check=False)
    bundle = str(tmp_path / "t.ikb")
    assert done.stdout.split() == [f"{bundle}/tool.py", "['a']"]
    assert done.returncode == 1
    assert f'File "{bundle}/tool.py", line 3, in <module>' in done.stderr
    assert "raise ValueError('x')  # tool line" in done.stderr


def test_another_pythons_stdlib_is_refused_and_another_tag_warned():
    warned = []
    with pytest.raises(fz.FreezeError, match="standard library of Python 2.7"):
        fz.check_manifest({"stdlib": True, "python": "2.7", "cache_tag": "cpython-27"}, "b.ikb", warned.append)
    fz.check_manifest({"stdlib": False, "python": "3.0", "cache_tag": "cpython-30"}, "b.ikb", warned.append)
    assert warned and "compiled from their source" in warned[0]


def test_extension_modules_left_on_disk_or_refused(tmp_path):
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    pkg = tmp_path / "src" / "fast"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / f"_speed{suffix}").write_bytes(b"\x7fELF not really")
    report = fz.freeze(tmp_path / "a.ikb", [tmp_path / "src"])
    assert report.extensions == {"fast._speed": str(pkg / f"_speed{suffix}")}
    with Runtime() as rt:
        manifest = fz.mount(rt, str(tmp_path / "a.ikb"))
        assert manifest["extensions"] == report.extensions
        with pytest.raises(importkit.NotFoundError):
            rt.find_spec("fast._speed")  # not in the bundle
        assert rt.find_spec("fast").is_package
    # run's child serves them from disk
    spec = fz.ExtensionFinder(report.extensions).find_spec("fast._speed")
    assert isinstance(spec.loader, importlib.machinery.ExtensionFileLoader)
    assert spec.origin == str(pkg / f"_speed{suffix}") and spec.has_location
    assert fz.ExtensionFinder(report.extensions).find_spec("fast") is None
    with pytest.raises(fz.FreezeError, match="fast._speed"):
        fz.freeze(tmp_path / "b.ikb", [tmp_path / "src"], extensions="refuse")
    assert not (tmp_path / "b.ikb").exists()


def test_sources_that_do_not_compile_are_kept_and_listed(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.py").write_text("X = 1\n")
    (src / "bad.py").write_text("print 'python 2'\n")
    report = fz.freeze(tmp_path / "a.ikb", [src])
    assert report.modules == 2 and report.compiled == 1
    assert len(report.not_compiled) == 1 and "bad.py" in report.not_compiled[0]
    with Runtime() as rt:
        rt.mount_bundle(str(tmp_path / "a.ikb"), "app")
        assert rt.import_module("app.good").X == 1
        with pytest.raises(importkit.ExecError):
            rt.import_module("app.bad")


def test_main_usage():
    from importkit.__main__ import main

    assert main(["nonsense"]) == 2
    assert main(["run"]) == 2
    with pytest.raises(SystemExit):
        main(["freeze"])  # -o is required
