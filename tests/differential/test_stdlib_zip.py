"""Differential test: `importkit resolve` against CPython's PathFinder with its `zipimporter` hook, over the
standard library zipped: once deflated with an entry for every directory, once stored with no directory
entries (where zipimport sees no namespace packages). Every importable name of the tree, and names that
must not be found, is resolved by both without importing anything, as in test_stdlib_pathfinder.py: found or
not, `file` against `__spec__.origin` (zipimport's `/a/std.zip/pkg/mod.py`), `is_package` and
`submodule_search_locations` must agree, namespace packages included.

zipimport's `find_spec` compiles each module it finds (its `get_filename` goes through `get_code`); the
test gives it a compiler that compiles nothing, so that it does not take a minute over the whole library and
does not fail on the library's deliberately broken test files. Every lookup it makes is its own.
"""

import json
import os
import subprocess
import sys
import zipfile
import zipimport

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from stdlib_names import STDLIB, candidate_names, search_paths, zip_stdlib  # noqa: E402
from test_stdlib_pathfinder import importkit_binary, locations_of  # noqa: E402

MUST_NOT_BE_FOUND = ["nonexistent_module_xyz", "json.nope", "os.path", "email.mime.nope", "_json"]


@pytest.fixture
def no_compile(monkeypatch):
    empty = compile("", "<empty>", "exec")
    monkeypatch.setattr(zipimport, "_compile_source", lambda pathname, source: empty)
    zipimport._zip_directory_cache.clear()
    sys.path_importer_cache.clear()
    yield
    sys.path_importer_cache.clear()


@pytest.mark.parametrize("directory_entries, compression", [(True, zipfile.ZIP_DEFLATED), (False, zipfile.ZIP_STORED)],
                         ids=["with-directory-entries", "without-directory-entries"])
def test_importkit_agrees_with_zipimport_on_the_zipped_stdlib(tmp_path, no_compile, directory_entries, compression):
    archive = zip_stdlib(tmp_path / "std.zip", directory_entries, compression)
    names = candidate_names([STDLIB]) + MUST_NOT_BE_FOUND
    assert len(names) > 1500, f"the walk found only {len(names)} names under {STDLIB}"
    expected = {n: spec for n, (_, spec) in search_paths(names, [archive]).items()}
    names_file = tmp_path / "names.txt"
    names_file.write_text("\n".join(names) + "\n")
    cmd = [importkit_binary(), "resolve", "--json", "--python-from", sys.executable, "--names-from", str(names_file),
           "--path", archive]
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode in (0, 1), run.stderr
    got = [json.loads(line) for line in run.stdout.splitlines()]
    assert [g["name"] for g in got] == names

    keys = ["file", "is_package", "submodule_search_locations"]
    mismatches = []
    namespaces = 0
    for g in got:
        spec = expected[g["name"]]
        want = None
        if spec is not None:
            want = {"file": spec.origin, "is_package": spec.submodule_search_locations is not None,
                    "submodule_search_locations": locations_of(spec)}
            namespaces += spec.origin is None
        have = {k: g[k] for k in keys} if g["found"] else None
        if want != have:
            mismatches.append((g["name"], want, have, g.get("error")))
    found = sum(1 for s in expected.values() if s is not None)
    print(f"differential (zip, {'with' if directory_entries else 'without'} directory entries): {len(names)} names "
          f"({found} found by zipimport, {namespaces} of them namespace packages), "
          f"{len(names) - len(mismatches)} agree, {len(mismatches)} differ")
    assert not mismatches, "\n".join(f"{n}: CPython {w}, importkit {h} {e or ''}" for n, w, h, e in mismatches[:20])
    assert found > 1000
    assert (namespaces > 0) == directory_entries
    assert all(expected[n] is None for n in MUST_NOT_BE_FOUND)
