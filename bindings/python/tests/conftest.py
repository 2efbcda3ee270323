"""Makes the in-tree package importable, shows which shared library the tests run against, and gives the
fixtures: runtimes, and ``installed`` (importkit as the path finder of this very interpreter, undone after the
test, with the import state of the interpreter restored)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

BINDING_ROOT = Path(__file__).resolve().parent.parent  # bindings/python
REPO_ROOT = BINDING_ROOT.parent.parent
if str(BINDING_ROOT) not in sys.path:
    sys.path.insert(0, str(BINDING_ROOT))

import importkit  # noqa: E402
from importkit import _ffi  # noqa: E402


def pytest_report_header(config):
    try:
        return f"importkit {importkit.version()} from {_ffi.library_path()}"
    except OSError as e:
        return f"importkit: library not loadable: {e}"


@pytest.fixture
def rt():
    runtime = importkit.Runtime()
    yield runtime
    runtime.close()


@pytest.fixture
def rt2():
    runtime = importkit.Runtime()
    yield runtime
    runtime.close()


_TEMP = os.path.realpath(tempfile.gettempdir())
_REPO = (str(REPO_ROOT), os.path.realpath(REPO_ROOT))
_MADE_BY_TESTS = ("memory:", "builtin:", "hook:", "bundle:", _TEMP, tempfile.gettempdir(),
                  f"{sys.executable}/")  # the default virtual root of mounted modules


def _is_test_module(module) -> bool:
    """A module a test made (from a temporary directory, a zip there, a mount, a native): forgotten
    afterwards. Other modules imported meanwhile (the standard library...) stay: their loaders work without
    importkit's finder."""
    spec = getattr(module, "__spec__", None)
    if spec is None:
        return False
    if spec.origin is not None:
        where = [spec.origin]
    else:  # a namespace package: its last computed path (iterating it would need its parent in sys.modules)
        locations = spec.submodule_search_locations
        where = list(getattr(locations, "_path", locations) or [])
    # The package under test lives in the repository, which may itself sit in the temporary directory (a CI
    # clone): its modules are never the tests' own.
    return any(str(w).startswith(_MADE_BY_TESTS) and not str(w).startswith(_REPO) for w in where)


@pytest.fixture
def import_state():
    """Restores sys.path, sys.path_hooks, sys.path_importer_cache, sys.meta_path and forgets the modules a
    test imported from its own files."""
    saved = (list(sys.path), list(sys.path_hooks), dict(sys.path_importer_cache), list(sys.meta_path))
    dont_write = sys.dont_write_bytecode
    before = set(sys.modules)
    try:
        yield
    finally:
        sys.dont_write_bytecode = dont_write
        for name in set(sys.modules) - before:
            module = sys.modules.get(name)
            if module is not None and _is_test_module(module):
                del sys.modules[name]
        sys.path[:] = saved[0]
        sys.path_hooks[:] = saved[1]
        sys.path_importer_cache.clear()
        sys.path_importer_cache.update(saved[2])
        sys.meta_path[:] = saved[3]
        importlib.invalidate_caches()


@pytest.fixture
def installed(import_state):
    """importkit installed in this interpreter (its runtime is yielded); uninstalled afterwards."""
    runtime = importkit.install()
    try:
        yield runtime
    finally:
        importkit.uninstall()
        runtime.close()


def run_python(code: str, *args: str, env: dict | None = None, cwd: str | None = None,
               timeout: float = 300) -> subprocess.CompletedProcess:
    """Runs ``code`` in a fresh interpreter that can import the in-tree package (and the library the tests
    use); returns the completed process (output as text)."""
    full_env = dict(os.environ)
    full_env["IMPORTKIT_LIB"] = str(_ffi.library_path())
    full_env["PYTHONPATH"] = os.pathsep.join(
        [str(BINDING_ROOT)] + ([full_env["PYTHONPATH"]] if full_env.get("PYTHONPATH") else [])
    )
    if env:
        for key, value in env.items():
            if value is None:
                full_env.pop(key, None)
            else:
                full_env[key] = value
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True, text=True, env=full_env, cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL,
    )


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    """Writes `files` (relative path -> text, dedented, or bytes) under `root`."""
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            p.write_text(textwrap.dedent(data))
        else:
            p.write_bytes(data)
    return root


@pytest.fixture
def fs(rt):
    """A runtime with the filesystem on and no recheck window."""
    rt.enable_filesystem()
    rt.set_recheck(0)
    return rt
