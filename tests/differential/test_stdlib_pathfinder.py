"""Differential test: `importkit resolve` against CPython's own PathFinder over the whole standard library.

Every importable name under the installed python3's standard library (modules, regular and namespace
packages, extension modules in lib-dynload), plus names that must not be found, is resolved by both, without
importing anything: CPython's `PathFinder.find_spec(name, path)` with `path` the search path for a top-level
name and the parent's `submodule_search_locations` otherwise. importkit must give the same answer for every
name: found or not, `file` against `__spec__.origin`, `is_package`, `submodule_search_locations`, and
`cached` (importkit takes this interpreter's cache tag and extension suffixes with `--python-from`).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from stdlib_names import ENTRIES, STDLIB, candidate_names, search_paths  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MUST_NOT_BE_FOUND = [
    "nonexistent_module_xyz",
    "json.nope",
    "os.path",  # os is a module, not a package: only its own code puts os.path in sys.modules
    "os.nope",
    "email.mime.nope",
    "test.test_importlib.namespace_pkgs.nope",
    "_json.x",
    "xml.etree.ElementTree.sub",
]


def importkit_binary():
    exe = os.environ.get("IMPORTKIT_BIN") or str(REPO / "target" / "debug" / "importkit")
    if not os.path.exists(exe):
        subprocess.run(["cargo", "build", "--quiet", "--bin", "importkit"], cwd=REPO, check=True)
    return exe


def locations_of(spec):
    locations = spec.submodule_search_locations
    return None if locations is None else list(locations)


def test_importkit_agrees_with_pathfinder_on_the_whole_stdlib(tmp_path):
    names = candidate_names() + MUST_NOT_BE_FOUND
    assert len(names) > 1500, f"the walk found only {len(names)} names under {STDLIB}"
    expected = {n: spec for n, (_, spec) in search_paths(names).items()}
    names_file = tmp_path / "names.txt"
    names_file.write_text("\n".join(names) + "\n")
    cmd = [importkit_binary(), "resolve", "--json", "--python-from", sys.executable, "--names-from", str(names_file)]
    for e in ENTRIES:
        cmd += ["--path", e]
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode in (0, 1), run.stderr
    got = [json.loads(line) for line in run.stdout.splitlines()]
    assert [g["name"] for g in got] == names

    # `cached` as CPython computes it, unless a pycache prefix or -O changes CPython's (not importkit's) rule.
    keys = ["file", "is_package", "submodule_search_locations"]
    if sys.pycache_prefix is None and not sys.flags.optimize:
        keys.append("cached")
    mismatches = []
    for g in got:
        spec = expected[g["name"]]
        want = None
        if spec is not None:
            want = {"file": spec.origin, "is_package": spec.submodule_search_locations is not None,
                    "submodule_search_locations": locations_of(spec), "cached": spec.cached}
            want = {k: want[k] for k in keys}
        have = None
        if g["found"]:
            have = {k: g[k] for k in keys}
        if want != have:
            mismatches.append((g["name"], want, have, g.get("error")))
    found = sum(1 for s in expected.values() if s is not None)
    print(f"differential: {len(names)} names ({found} found by CPython, {len(names) - found} not found), "
          f"{len(names) - len(mismatches)} agree, {len(mismatches)} differ")
    assert not mismatches, "\n".join(f"{n}: CPython {w}, importkit {h} {e or ''}" for n, w, h, e in mismatches[:20])
    assert all(expected[n] is None for n in MUST_NOT_BE_FOUND)
