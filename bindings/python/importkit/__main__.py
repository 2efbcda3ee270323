"""``python -m importkit COMMAND ...``: ``resolve`` (module names resolved as this interpreter's imports would be
through importkit, nothing executed), ``freeze`` (a bundle of an application with this interpreter's compiled
code) and ``run`` (an application served from such a bundle); docs/FREEZE.md."""

import sys

_COMMANDS = ("resolve", "freeze", "run")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m importkit {resolve,freeze,run} ...\n"
              "  resolve [--path ENTRY]... [--bundle FILE]... [--json] NAME...\n"
              "  freeze -o OUT.ikb [--stdlib] [--site-packages] [--no-extensions] [--exclude PATTERN] [PATHS...]\n"
              "  run [-v] BUNDLE (-m MODULE | SCRIPT) [ARGS...]", file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    command, rest = argv[0], argv[1:]
    if command == "resolve":
        from .resolve import main_resolve

        return main_resolve(rest)
    from . import freeze

    if command == "freeze":
        return freeze.main_freeze(rest)
    if command == "run":
        return freeze.main_run(rest)
    print(f"python -m importkit: unknown command {command!r} (one of: {', '.join(_COMMANDS)})", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
