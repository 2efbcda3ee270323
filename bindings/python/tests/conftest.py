"""Makes the in-tree package importable and shows which shared library the tests run against."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BINDING_ROOT = Path(__file__).resolve().parent.parent  # bindings/python
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
