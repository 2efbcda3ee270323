"""The values of ik_status and ik_kind come from the header (or, without one, from the library's names of
them), never from a copy in the binding."""

from __future__ import annotations

import ast
from pathlib import Path

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


def test_the_type_checkers_declarations_are_the_headers_names():
    """_ffi declares each ik_status and ik_kind name for the type checker as an annotation without a value
    (``IK_OK: int``): exactly the header's names, in its order, and none of them given a value in the file."""
    header = (REPO_ROOT / "include" / "importkit.h").read_text()
    names = [*_ffi.enum_values(header, "ik_status"), *_ffi.enum_values(header, "ik_kind")]
    module = ast.parse(Path(_ffi.__file__).read_text())
    declared = [
        node.target.id
        for node in module.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id.startswith("IK_")
        and node.value is None
    ]
    assert not set(names) - set(declared), f"the header has names _ffi does not declare: {set(names) - set(declared)}"
    assert not set(declared) - set(names), f"_ffi declares names the header lacks: {set(declared) - set(names)}"
    assert declared == names
    for node in module.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id in names:
            assert ast.unparse(node.annotation) == "int" and node.value is None, ast.unparse(node)
        targets = node.targets if isinstance(node, ast.Assign) else []
        assigned = {t.id for t in targets if isinstance(t, ast.Name)}
        assert not assigned & set(names), f"a value of the header copied into _ffi: {ast.unparse(node)}"
