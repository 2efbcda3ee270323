"""The package as a user gets it: a wheel built from the checkout (setup.py runs cargo and puts the library in
the package), tagged for its platform, installed into a fresh directory and used with no ``IMPORTKIT_LIB``;
``python -m importkit resolve``; and the type hints, which mypy accepts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from importkit._ffi import library_file_names

BINDING = Path(__file__).resolve().parent.parent
REPO = BINDING.parent.parent


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without IMPORTKIT_LIB (the installed package must find its own library)."""
    env = {k: v for k, v in os.environ.items() if k not in ("IMPORTKIT_LIB", "PYTHONPATH")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(BINDING)],
        capture_output=True, text=True, env=_clean_env(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for leftover in ("build", "importkit.egg-info"):  # setuptools builds in the tree
        shutil.rmtree(BINDING / leftover, ignore_errors=True)
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        capture_output=True, text=True, env=_clean_env(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return site


def _run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd,
                          env=_clean_env(PYTHONPATH=str(site)))


def test_the_wheel_is_for_this_platform_and_holds_the_library_and_the_type_marker(wheel):
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    assert wheel.name == f"importkit-0.1.0-py3-none-{platform}.whl"
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        wheel_meta = z.read("importkit-0.1.0.dist-info/WHEEL").decode()
    library = "importkit/" + library_file_names()[0]
    assert {library, "importkit/importkit.h", "importkit/py.typed", "importkit/__init__.py"} <= names
    with zipfile.ZipFile(wheel) as z:
        assert z.read("importkit/importkit.h") == (REPO / "include" / "importkit.h").read_bytes()
    assert "Root-Is-Purelib: false" in wheel_meta
    assert f"Tag: py3-none-{platform}" in wheel_meta


def test_the_installed_package_finds_its_own_library_and_imports(installed, tmp_path):
    program = (
        "import importkit, importkit._ffi as f\n"
        "assert f._Loaded.path is None, 'the enumerations come from the packaged header, not the library'\n"
        "f.lib()\n"
        "print(f._Loaded.path)\n"
        "rt = importkit.Runtime()\n"
        "rt.mount('game', {'__init__.py': 'X = 1', 'core.py': 'from . import X; Y = X + 1'})\n"
        "print(rt.import_module('game.core').Y)\n"
    )
    done = _run(installed, tmp_path, "-c", program)
    assert done.returncode == 0, done.stderr
    path, y = done.stdout.split()
    assert Path(path).resolve() == (installed / "importkit" / Path(path).name).resolve()
    assert y == "2"


def test_python_m_importkit_resolve(installed, tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "main.py").write_text("")
    done = _run(installed, tmp_path, "-m", "importkit", "resolve", "--json", "app.main", "json", "app.nosuch")
    assert done.returncode == 1, done.stderr  # one name is not found
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["name"] for r in rows] == ["app.main", "json", "app.nosuch"]
    main, js, missing = rows
    assert main["found"] and main["file"] == str(tmp_path / "app" / "main.py") and main["kind"] == "source"
    assert main["cached"] == str(tmp_path / "app" / "__pycache__" / f"main.{sys.implementation.cache_tag}.pyc")
    import json as real_json

    assert js["is_package"] and js["file"] == real_json.__file__
    assert not missing["found"] and "app.nosuch" in missing["error"]
    assert {"place": str(tmp_path / "app"), "reason": "no nosuch.py, no nosuch/__init__.py, no directory"} in missing["attempts"]
    assert main["submodule_search_locations"] is None and js["submodule_search_locations"] == [os.path.dirname(real_json.__file__)]
    done = _run(installed, tmp_path, "-m", "importkit", "resolve", "--path", str(tmp_path), "app")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"app: fs:{tmp_path / 'app' / '__init__.py'} (source package) [{tmp_path / 'app'}]\n"
    done = _run(installed, tmp_path, "-m", "importkit", "resolve", "sys", "zipimport", ".x", "a..b")
    assert done.returncode == 1, done.stderr
    builtin, frozen, relative, bad_name = done.stdout.splitlines()
    assert builtin == "sys: builtin:sys (builtin, CPython's own importer, before importkit)"
    assert frozen == "zipimport: frozen:zipimport (frozen, CPython's own importer, before importkit)"
    assert relative == ".x: error: attempted relative import with no known parent package"
    assert bad_name.startswith("a..b: error: invalid module name 'a..b'")
    for bad, message in ((["resolve"], "give at least one NAME"), (["resolve", "--path"], "--path needs a value"),
                         (["resolve", "--nope", "x"], "unknown option '--nope'"),
                         (["resolve", "-x"], "unknown option '-x'"),
                         (["resolve", "--bundle", str(tmp_path / "none.ikb"), "x"], "none.ikb")):
        done = _run(installed, tmp_path, "-m", "importkit", *bad)
        assert done.returncode == 2 and message in done.stderr, (bad, done.stderr)


def test_the_type_hints_are_accepted_by_mypy(tmp_path):
    if not os.environ.get("CI"):  # the test command installs mypy; under CI its absence is a failure
        pytest.importorskip("mypy", reason="mypy is installed by the test command (scripts/test.sh)")
    done = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path), str(BINDING / "importkit")],
                          capture_output=True, text=True, cwd=BINDING)
    assert done.returncode == 0, done.stdout + done.stderr
