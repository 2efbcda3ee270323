"""The values of ik_status and ik_kind come from the header (or, without one, from the library's names of
them), never from a copy in the binding."""

from __future__ import annotations

from importkit import _ffi
from importkit.spec import Kind

from conftest import REPO_ROOT, run_python

SHOW = "import importkit._ffi as f; print(f._Enums.header); print(f._Enums.values)"


def test_values_are_the_headers_and_the_library_names_them_alike():
    header = (REPO_ROOT / "include" / "importkit.h").read_text()
    statuses, kinds = _ffi.enum_values(header, "ik_status"), _ffi.enum_values(header, "ik_kind")
    assert statuses["IK_OK"] == 0 and "IK_ERR_NOT_FOUND" in statuses
    assert list(kinds) == ["IK_KIND_SOURCE", "IK_KIND_BYTECODE", "IK_KIND_EXTENSION", "IK_KIND_NATIVE",
                           "IK_KIND_NAMESPACE"]
    lib = _ffi.lib()
    for name, value in statuses.items():
        assert getattr(_ffi, name) == value and _ffi.STATUS_NAMES[value] == name
        assert lib.ik_status_name(value).decode() == name
    for name, value in kinds.items():
        assert getattr(_ffi, name) == value == Kind[name[len("IK_KIND_"):]]
        assert lib.ik_kind_name(value).decode() == name
    assert _ffi.enum_values(header, "ik_nothing") == {}


def test_without_a_header_the_library_names_the_values():
    here = run_python(SHOW)
    missing = run_python(SHOW, env={"IMPORTKIT_HEADER": "/nonexistent/importkit.h"})
    assert here.returncode == 0 and missing.returncode == 0, here.stderr + missing.stderr
    header, values = here.stdout.splitlines()
    assert header.endswith("importkit.h")
    assert missing.stdout.splitlines() == ["None", values]


def test_a_header_that_does_not_match_the_library_is_refused(tmp_path):
    header = (REPO_ROOT / "include" / "importkit.h").read_text()
    swapped = header.replace("IK_ERR_DENIED = 5,", "IK_ERR_DENIED = 6,")
    swapped = swapped.replace("IK_ERR_EXEC = 6,", "IK_ERR_EXEC = 5,")
    (tmp_path / "importkit.h").write_text(swapped)
    env = {"IMPORTKIT_HEADER": str(tmp_path / "importkit.h")}
    out = run_python("import importkit; importkit.Runtime()", env=env)
    assert out.returncode != 0
    assert "does not match the header" in out.stderr and "IMPORTKIT_HEADER" in out.stderr


def test_kind_names_come_from_the_library():
    name_of = _ffi.lib().ik_kind_name
    assert name_of(5).decode() == "IK_UNKNOWN_KIND"
    assert name_of(0xFFFFFFFF).decode() == "IK_UNKNOWN_KIND"
