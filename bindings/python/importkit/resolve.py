"""``python -m importkit resolve [options] NAME...``: each module NAME resolved as an import in this interpreter
would resolve it through importkit (parents first, through their search locations), with nothing imported or
executed; the Python side of the ``importkit resolve`` command-line tool.

By default the search path is this interpreter's ``sys.path`` (``''`` is the working directory, as for CPython)
and the profile is this interpreter's (its cache tag and extension suffixes). Exit status: 0 if every name was
found, 1 if any was not, 2 on a usage error.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

USAGE = """usage: python -m importkit resolve [--path ENTRY]... [--bundle FILE]... [--json] NAME...

  --path ENTRY   a search path entry (repeatable, in order; default: this interpreter's sys.path)
  --bundle FILE  mount the bundle FILE at the root of the meta path, before the search path (repeatable)
  --json         one JSON object per name per line: name, found, origin, kind, is_package, file, cached,
                 locations, refs, and the error's message for a name not found
"""


def _parse(argv: list[str]) -> tuple[list[str] | None, list[str], bool, list[str]]:
    """(path entries or None for sys.path, bundles, json, names); raises ValueError on a usage error."""
    path: list[str] | None = None
    bundles: list[str] = []
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
                bundles.append(value)
        elif arg == "--json":
            as_json = True
        elif arg.startswith("--"):
            raise ValueError(f"unknown option {arg!r}")
        else:
            names.append(arg)
    if not names:
        raise ValueError("give at least one NAME")
    return path, bundles, as_json, names


def _line(name: str, spec, error: str | None, as_json: bool) -> str:
    from .spec import Kind

    if as_json:
        if spec is None:
            return json.dumps({"name": name, "found": False, "error": error})
        return json.dumps({
            "name": name, "found": True, "origin": spec.origin, "kind": Kind(spec.kind).name.lower(),
            "is_package": spec.is_package, "file": spec.file, "cached": spec.cached,
            "locations": list(spec.locations), "refs": list(spec.refs),
        })
    if spec is None:
        return f"{name}: not found: {error}"
    what = Kind(spec.kind).name.lower() + (" package" if spec.is_package else "")
    locations = f" [{', '.join(spec.locations)}]" if spec.locations else ""
    return f"{name}: {spec.origin} ({what}){locations}"


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
            rt.path = sys.path if path is None else path
            for bundle in bundles:
                rt.mount_bundle(bundle)
        except (errors.ImportKitError, OSError) as e:
            print(f"python -m importkit resolve: {e}", file=sys.stderr)
            return 2
        missing = 0
        for name in names:
            try:
                spec, error = rt.find_spec(name), None
            except errors.ImportKitError as e:
                spec, error = None, str(e)
                missing += 1
            print(_line(name, spec, error, as_json), file=out)
        return 1 if missing else 0
    finally:
        rt.close()
