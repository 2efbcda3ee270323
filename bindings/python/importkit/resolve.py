"""``python -m importkit resolve [options] NAME...``: each module NAME resolved as an import in this interpreter
would resolve it through importkit (parents first, through their search locations), with nothing imported or
executed; the Python side of the ``importkit resolve`` command-line tool, with its output (lines and ``--json``
objects alike).

By default the search path is this interpreter's ``sys.path`` (``''`` is the working directory, as for CPython)
and the profile is this interpreter's (its cache tag and extension suffixes). A built-in or frozen module is
reported as such: CPython's ``BuiltinImporter`` and ``FrozenImporter`` come before importkit on
``sys.meta_path`` and answer for it. Exit status: 0 if every name was found, 1 if any was not, 2 on a usage
error.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

USAGE = """usage: python -m importkit resolve [--path ENTRY]... [--bundle FILE[:POINT]]... [--json] NAME...

  --path ENTRY   a search path entry (repeatable, in order; default: this interpreter's sys.path)
  --bundle FILE[:POINT]
                 mount the bundle FILE on the meta path, before the search path, at POINT (a top-level name
                 its root package becomes; by default the root); repeatable. The part after the last ':' is
                 POINT if it has no '/' (write FILE: for a FILE with a ':')
  --json         one JSON object per name per line, as `importkit resolve --json` writes them
"""


def _parse(argv: list[str]) -> tuple[list[str] | None, list[tuple[str, str]], bool, list[str]]:
    """(path entries or None for sys.path, bundles as (file, point), json, names); raises ValueError on a
    usage error."""
    path: list[str] | None = None
    bundles: list[tuple[str, str]] = []
    as_json = False
    names: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg in ("--path", "--bundle"):
            value = next(args, None)
            if value is None:
                raise ValueError(f"{arg} needs a value")
            if arg == "--path":
                path = [] if path is None else path
                path.append(value)
            else:
                file, sep, point = value.rpartition(":")
                bundles.append((file, point) if sep and "/" not in point else (value, ""))
        elif arg == "--json":
            as_json = True
        elif arg.startswith("-") and arg != "-":
            raise ValueError(f"unknown option {arg!r}")
        else:
            names.append(arg)
    if not names:
        raise ValueError("give at least one NAME")
    return path, bundles, as_json, names


def _cpython_own(name: str) -> str | None:
    """``builtin`` or ``frozen`` when CPython's importers ahead of importkit answer for ``name``."""
    from importlib.machinery import BuiltinImporter, FrozenImporter

    if "." not in name and BuiltinImporter.find_spec(name) is not None:
        return "builtin"
    if FrozenImporter.find_spec(name) is not None:
        return "frozen"
    return None


def _found(name: str, spec, as_json: bool) -> str:
    from .spec import Kind

    kind = Kind(spec.kind).name.lower()
    if as_json:
        return json.dumps({
            "name": name, "found": True, "origin": spec.origin, "file": spec.file, "cached": spec.cached,
            "kind": kind, "is_package": spec.is_package,
            "submodule_search_locations": list(spec.locations) if spec.is_package else None,
            "indirect": list(spec.refs),
        })
    what = kind + (" package" if spec.is_package and spec.kind != Kind.NAMESPACE else "")
    locations = f" [{', '.join(spec.locations)}]" if spec.is_package else ""
    return f"{name}: {spec.origin} ({what}){locations}"


def _cpython_found(name: str, kind: str, as_json: bool) -> str:
    if as_json:
        return json.dumps({"name": name, "found": True, "origin": f"{kind}:{name}", "file": None, "cached": None,
                           "kind": kind, "is_package": False, "submodule_search_locations": None,
                           "indirect": [], "served_by": "cpython"})
    return f"{name}: {kind}:{name} ({kind}, CPython's own importer, before importkit)"


def _not_found(name: str, error, as_json: bool) -> str:
    from . import errors

    if as_json:
        return json.dumps({"name": name, "found": False, "error": str(error),
                           "attempts": [{"place": p, "reason": r} for p, r in error.attempts]})
    what = "not found" if isinstance(error, errors.NotFoundError) else "error"
    return f"{name}: {what}: {error}"


def main_resolve(argv: list[str], out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    if argv[:1] in (["-h"], ["--help"]):
        out.write(USAGE)
        return 0
    try:
        path, bundles, as_json, names = _parse(argv)
    except ValueError as e:
        print(f"python -m importkit resolve: {e}\n{USAGE}", file=sys.stderr, end="")
        return 2
    from . import errors
    from .runtime import Profile, Runtime

    rt = Runtime(Profile.interpreter())
    try:
        try:
            rt.enable_filesystem(True)
            rt.set_virtual_root(None)  # a mounted module's file is none, as `importkit resolve` says
            rt.path = sys.path if path is None else path
            for file, point in bundles:
                rt.mount_bundle(file, point)
        except (errors.ImportKitError, OSError) as e:
            print(f"python -m importkit resolve: {e}", file=sys.stderr)
            return 2
        missing = 0
        for name in names:
            own = _cpython_own(name) if name and not name.startswith(".") else None
            if own is not None:
                print(_cpython_found(name, own, as_json), file=out)
                continue
            try:
                print(_found(name, rt.find_spec(name), as_json), file=out)
            except errors.ImportKitError as e:
                missing += 1
                print(_not_found(name, e, as_json), file=out)
        return 1 if missing else 0
    finally:
        rt.close()
