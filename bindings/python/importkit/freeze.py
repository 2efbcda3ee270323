"""Frozen applications: ``python -m importkit freeze`` and ``python -m importkit run`` (docs/FREEZE.md).

``freeze`` puts an application, and on request the standard library and the site-packages of the running
interpreter, into one bundle (docs/BUNDLE.md) through the C builder (``ik_bundle_builder_*``): every file of
the trees (packages' data files and ``*.dist-info`` included), and for each source module its code compiled
by this interpreter (``compile()`` then ``marshal``) as the module's code entry for
``sys.implementation.cache_tag``. Extension modules cannot run from memory: they are left on disk and listed
(``--no-extensions`` refuses them instead). A source that does not compile (the stdlib's test data) is kept
as source without code, and listed, as ``compileall`` lists it. A manifest (``importkit-freeze.json`` at the
bundle's root) records the interpreter, whether the stdlib is inside and where the extension modules are.

``run`` starts a fresh interpreter whose imports are served from the bundle by importkit's one mechanism for
bundles: ``install()``, and the bundle mounted at the root of its runtime (``mount``: ``Runtime.mount_bundle``,
what ``importkit.mount_bundle`` does) with the bundle's path as the virtual root, so modules get ``__file__``
as zipimport gives them (``<bundle path>/pkg/mod.py``). Their loader is ``memory.BundleLoader`` (a module's
code entry for this interpreter's tag runs as it is, checked by its CRC-32; a bundle built for another tag runs
from source; ``get_source``, ``get_data``), resources are ``_resources.RuntimePath``/``RuntimeReader``, metadata
``importkit.metadata``. What only ``run`` adds: CPython imports ``encodings`` (and what importkit itself
needs) before any hook can run, so ``run`` writes a small boot archive of exactly those modules' bytes, taken
from the bundle, where CPython looks for its zipped standard library (``PYTHONHOME``), and drops it from
``sys.path`` once importkit is installed; ``ExtensionFinder`` serves the extension modules the manifest lists
from disk; and the arguments (``-m MODULE`` or a script).
"""

from __future__ import annotations

import marshal
import os
import posixpath
import sys
import time
from importlib import _bootstrap_external as _bx
from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader, ModuleSpec

MANIFEST = "importkit-freeze.json"
MANIFEST_FORMAT = 1

_SKIP_DIRS = {"__pycache__"}
#: directories of the stdlib directory that are not the stdlib's modules
_STDLIB_SKIP = {"site-packages", "dist-packages", "lib-dynload"}


class FreezeError(Exception):
    """A freeze or run that cannot go on: the message says why."""


# -- freezing --------------------------------------------------------------------------------------------------


def stdlib_dir() -> str:
    """The directory of this interpreter's standard library (its source files)."""
    import sysconfig

    return getattr(sys, "_stdlib_dir", None) or sysconfig.get_paths()["stdlib"]


def site_packages_dirs() -> list[str]:
    """The site-packages directories of this interpreter that are on ``sys.path``: ``site.getsitepackages()``
    and the user's, in ``sys.path`` order."""
    import site

    dirs = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    wanted = {os.path.realpath(d) for d in dirs if os.path.isdir(d)}
    out = []
    for entry in sys.path:
        if isinstance(entry, str) and entry and os.path.realpath(entry) in wanted and entry not in out:
            out.append(entry)
    return out


def _extension_name(rel: str) -> str | None:
    """The module name of an extension module file (``pkg/_x.cpython-311-x86_64-linux-gnu.so`` -> ``pkg._x``)."""
    for suffix in sorted(EXTENSION_SUFFIXES, key=len, reverse=True):
        if rel.endswith(suffix):
            stem = rel[: -len(suffix)]
            parts = stem.split("/")
            if all(p.isidentifier() for p in parts):
                return ".".join(parts)
            return None
    return None


def _matches(name: str, patterns) -> bool:
    from fnmatch import fnmatchcase

    return any(fnmatchcase(name, p) for p in patterns)


class _Collected:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.origins: dict[str, str] = {}  # bundle path -> file on disk
        self.extensions: dict[str, str] = {}  # module name -> file on disk
        self.warnings: list[str] = []


def _walk(collected: _Collected, directory: str, prefix: str, exclude, top_skip=frozenset()) -> None:
    """Adds the files under ``directory`` at ``prefix`` (first come, first kept: earlier roots shadow later
    ones, as on ``sys.path``). Symbolic links are followed, a directory seen before is not entered again."""
    seen = set()
    for dirpath, dirnames, filenames in os.walk(directory, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        rel_dir = os.path.relpath(dirpath, directory).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir
        keep = []
        for d in sorted(dirnames):
            if d in _SKIP_DIRS or _matches(d, exclude) or (not rel_dir and (d in top_skip or _matches(d, top_skip))):
                continue
            keep.append(d)
        dirnames[:] = keep
        for fn in sorted(filenames):
            if _matches(fn, exclude):
                continue
            rel = posixpath.join(prefix, rel_dir, fn) if (prefix or rel_dir) else fn
            full = os.path.join(dirpath, fn)
            try:
                rel.encode("utf-8")
            except UnicodeEncodeError:
                collected.warnings.append(f"skipped {full!r}: its name is not UTF-8")
                continue
            if "\\" in rel or "\0" in rel:
                collected.warnings.append(f"skipped {full}: a bundle path has no backslash")
                continue
            ext = _extension_name(rel)
            if ext is not None:
                collected.extensions.setdefault(ext, os.path.abspath(full))
                continue
            if rel in collected.files:
                continue
            try:
                with open(full, "rb") as f:
                    collected.files[rel] = f.read()
            except OSError as exc:
                collected.warnings.append(f"skipped {full}: {exc.strerror or exc}")
                continue
            collected.origins[rel] = full


def _add_path(collected: _Collected, path: str, exclude) -> None:
    """An application path: a ``.py`` file (a top-level module), a package directory (its ``__init__.py``:
    the package, under its directory's name) or any other directory (its contents at the bundle's root, as a
    ``sys.path`` entry)."""
    if os.path.isfile(path):
        name = os.path.basename(path)
        if not name.endswith(".py"):
            raise FreezeError(f"{path}: a file to freeze is a Python source file (.py)")
        if name not in collected.files:
            with open(path, "rb") as f:
                collected.files[name] = f.read()
            collected.origins[name] = path
        return
    if not os.path.isdir(path):
        raise FreezeError(f"{path}: no such file or directory")
    if os.path.isfile(os.path.join(path, "__init__.py")):
        base = os.path.basename(os.path.normpath(os.path.abspath(path)))
        if not base.isidentifier():
            raise FreezeError(f"{path}: a package directory's name must be a module name, not {base!r}")
        _walk(collected, path, base, exclude)
    else:
        _walk(collected, path, "", exclude)


def _module_path(name: str, is_package: bool, files) -> str | None:
    base = name.replace(".", "/")
    for suffix in _bx.SOURCE_SUFFIXES:
        path = f"{base}/__init__{suffix}" if is_package else f"{base}{suffix}"
        if path in files:
            return path
    return None


class FreezeReport:
    """What ``freeze`` did: counts, sizes, what was left out and why."""

    def __init__(self) -> None:
        self.output = ""
        self.modules = 0
        self.compiled = 0
        self.files = 0
        self.size = 0
        self.seconds = 0.0
        self.extensions: dict[str, str] = {}
        self.not_compiled: list[str] = []
        self.warnings: list[str] = []


def freeze(output: str | os.PathLike, paths=(), *, stdlib: bool = False, site_packages: bool = False,
           extensions: str = "keep", exclude=(), compress: bool = False) -> FreezeReport:
    """Builds the bundle ``output`` (see the module docstring). ``paths``: the application (first: they shadow
    the rest); ``stdlib``/``site_packages``: this interpreter's; ``extensions``: ``"keep"`` (left on disk,
    listed in the manifest and served from there) or ``"refuse"`` (``FreezeError`` naming them);
    ``exclude``: file or directory names left out (``*`` patterns, one path segment). The same inputs give the
    same bytes when the hash seed is fixed (``PYTHONHASHSEED=0``, which the command sees to: the order of a
    frozenset constant in marshalled code follows string hashes)."""
    import json
    import warnings

    from .bundle import BundleBuilder
    from .spec import Kind

    if extensions not in ("keep", "refuse"):
        raise ValueError(f"extensions must be 'keep' or 'refuse', not {extensions!r}")
    started = time.perf_counter()
    report = FreezeReport()
    collected = _Collected()
    exclude = tuple(exclude)
    for p in paths:
        _add_path(collected, os.fspath(p), exclude)
    if stdlib:
        std = stdlib_dir()
        if not os.path.isfile(os.path.join(std, "os.py")):
            raise FreezeError(f"the standard library of this interpreter is not at {std} (no os.py there)")
        _walk(collected, std, "", exclude, top_skip=_STDLIB_SKIP | {"config-*"})
    if site_packages:
        for d in site_packages_dirs():
            _walk(collected, d, "", exclude)
    if extensions == "refuse" and collected.extensions:
        listed = "\n".join(f"  {n}: {p}" for n, p in sorted(collected.extensions.items()))
        raise FreezeError("extension modules cannot run from a bundle, and --no-extensions refuses them:\n" + listed)
    manifest = {
        "format": MANIFEST_FORMAT,
        "cache_tag": sys.implementation.cache_tag,
        "python": "%d.%d" % sys.version_info[:2],
        "stdlib": bool(stdlib),
        "extensions": dict(sorted(collected.extensions.items())),
    }
    if MANIFEST in collected.files:
        raise FreezeError(f"{collected.origins.get(MANIFEST, MANIFEST)}: the name {MANIFEST} is the bundle's manifest")
    collected.files[MANIFEST] = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    tag = sys.implementation.cache_tag
    with BundleBuilder() as b:
        if compress:
            b.set_compress(True)
        b.add_tree(collected.files)
        modules = b.modules(Kind.SOURCE)
        report.modules = len(modules)
        for name, is_package in modules:
            path = _module_path(name, is_package, collected.files)
            if path is None:
                continue
            source = collected.files[path]
            try:
                with warnings.catch_warnings():  # SyntaxWarnings are the program's, shown if it compiles them
                    warnings.simplefilter("ignore")
                    code = compile(source, f"bundle:/{path}", "exec", dont_inherit=True, optimize=0)
            except (SyntaxError, ValueError) as exc:  # ValueError: a NUL in the source
                report.not_compiled.append(f"{collected.origins.get(path, path)}: {type(exc).__name__}: {exc}")
                continue
            if tag is not None:
                b.add_code(name, tag, marshal.dumps(code))
                report.compiled += 1
            del code
        b.write(output)
    report.output = os.fspath(output)
    report.files = len(collected.files)
    report.size = os.path.getsize(output)
    report.extensions = dict(collected.extensions)
    report.warnings = collected.warnings
    report.seconds = time.perf_counter() - started
    return report


# -- serving: the bundle mounted, and the extension modules it lists ---------------------------------------


def read_manifest(runtime) -> dict | None:
    """The freeze manifest of the bundle mounted at the root of ``runtime``, or None (a bundle not made by
    freeze)."""
    import json

    from .errors import InvalidArgumentError, NotFoundError

    try:
        data = runtime.read_file(MANIFEST)
    except (NotFoundError, InvalidArgumentError):
        return None
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise FreezeError(f"the bundle's {MANIFEST} cannot be read: {exc}") from None
    return manifest if isinstance(manifest, dict) else None


def mount(runtime, bundle: str, manifest: bool = True) -> dict | None:
    """Mounts ``bundle`` (a file) at the root of ``runtime`` with the bundle's path as the runtime's virtual
    root (so a module's ``__file__`` is ``<bundle>/pkg/mod.py``, as zipimport gives an archive's modules);
    gives its manifest (with ``manifest``)."""
    if not os.path.isfile(bundle):
        raise FreezeError(f"{bundle}: no such bundle file")
    runtime.set_virtual_root(os.path.abspath(bundle))
    runtime.mount_bundle(bundle)
    return read_manifest(runtime) if manifest else None


def check_manifest(manifest: dict | None, bundle: str, warn) -> None:
    """Refuses a bundle whose standard library is another Python's; warns about code of another cache tag."""
    if manifest is None:
        return
    version = "%d.%d" % sys.version_info[:2]
    if manifest.get("stdlib") and manifest.get("python") != version:
        raise FreezeError(
            f"{bundle} holds the standard library of Python {manifest.get('python')}; this is Python {version}"
        )
    tag = manifest.get("cache_tag")
    if tag != sys.implementation.cache_tag:
        warn(f"importkit run: {bundle} was compiled for {tag}, this interpreter is "
             f"{sys.implementation.cache_tag}: its modules are compiled from their source")


class ExtensionFinder:
    """The ``sys.meta_path`` finder of ``run``'s child for the extension modules the manifest lists (left on
    disk by freeze): each from its file, by CPython's ``ExtensionFileLoader``. Other names go on to the next
    finder."""

    def __init__(self, extensions: dict[str, str]) -> None:
        self.extensions = dict(extensions)

    def __repr__(self) -> str:
        return f"<importkit.freeze.ExtensionFinder of {len(self.extensions)} modules>"

    def invalidate_caches(self) -> None:
        pass

    def find_spec(self, fullname, path=None, target=None):
        file = self.extensions.get(fullname)
        if file is None or not os.path.isfile(file):
            return None
        spec = ModuleSpec(fullname, ExtensionFileLoader(fullname, file), origin=file)
        spec.has_location = True
        return spec


# -- run -------------------------------------------------------------------------------------------------------

#: what the child interpreter runs (its sys.path holds the boot archive only)
_BOOT = "import importkit.freeze as f; f._child()"


def _boot_archive(path: str, runtime, stdlib: bool) -> list[str]:
    """Writes the boot archive: importkit's own package (this one's files) and, when the bundle holds the
    standard library, the stdlib modules this process has imported that the bundle has (their source and
    their code as an unchecked hash-based pyc), so the child can import importkit before importkit serves
    anything. Stored, not deflated (zlib may not be importable yet). Returns the stdlib modules written."""
    import zipfile

    from . import _ffi
    from .errors import ImportKitError

    entries: dict[str, bytes] = {}
    package_dir = os.path.dirname(os.path.abspath(__file__))
    for fn in sorted(os.listdir(package_dir)):
        if fn.endswith(".py"):
            with open(os.path.join(package_dir, fn), "rb") as f:
                entries[f"importkit/{fn}"] = f.read()
    written = []
    if stdlib:
        import _imp

        names = set(sys.modules) | {"encodings", "encodings.aliases", "encodings.utf_8", "encodings.latin_1",
                                     "encodings.ascii"}
        for name in sorted(names):
            if name.split(".")[0] in ("importkit", "__main__") or _imp.is_builtin(name) or _imp.is_frozen(name):
                continue
            try:
                spec, data, is_code = runtime.get_code(name)
            except ImportKitError:
                continue
            prefix = "bundle:/"
            if not spec.origin.startswith(prefix) or data is None or int(spec.kind) != _ffi.IK_KIND_SOURCE:
                continue
            inner = spec.origin[len(prefix):]
            source = runtime.read_file(inner) if is_code else data
            entries[inner] = source
            if is_code:
                # a hash-based pyc, unchecked (flags 1): zipimport runs it without compiling the source
                entries[inner + "c"] = _bx.MAGIC_NUMBER + (1).to_bytes(4, "little") + bytes(8) + data
            written.append(name)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            z.writestr(info, entries[name])
    return written


def run(bundle: str, target: str, args=(), *, module: bool, verbose: bool = False) -> int:
    """Runs ``target`` (a module with ``module``, else a script's path) from ``bundle`` in a fresh interpreter
    (see the module docstring); returns its exit status."""
    import shutil
    import subprocess
    import tempfile

    from . import _ffi
    from .runtime import Runtime

    bundle = os.path.abspath(bundle)
    rt = Runtime()
    try:
        # this runtime only reads the bundle (the boot archive): `__future__` is the bundle's, not the native
        # every runtime has
        rt.unregister_native("__future__")
        manifest = mount(rt, bundle)
        check_manifest(manifest, bundle, lambda m: print(m, file=sys.stderr))
        stdlib = bool(manifest and manifest.get("stdlib"))
        _ffi.lib()
        boot = tempfile.mkdtemp(prefix="importkit-run-")
        try:
            lib_dir = os.path.join(boot, "lib")
            os.mkdir(lib_dir)
            archive = os.path.join(lib_dir, "python%d%d.zip" % sys.version_info[:2])
            written = _boot_archive(archive, rt, stdlib)
            env = dict(os.environ)
            env["IMPORTKIT_LIB"] = _ffi.library_path()
            env.pop("PYTHONPATH", None)
            env.pop("PYTHONSTARTUP", None)
            if stdlib:
                # CPython's zipped stdlib place (<home>/lib/pythonXY.zip) is the boot archive; lib-dynload is
                # the interpreter's own (<base_exec_prefix>/lib/pythonX.Y/lib-dynload; a venv has none)
                env["PYTHONHOME"] = f"{boot}{os.pathsep}{sys.base_exec_prefix}"
            else:
                env.pop("PYTHONHOME", None)
                env["PYTHONPATH"] = archive
            env["IMPORTKIT_FREEZE_BOOT"] = archive
            if verbose:
                print(f"importkit run: boot archive {archive}: importkit and {len(written)} stdlib modules: "
                      + " ".join(written), file=sys.stderr)
            cmd = [sys.executable, "-S", "-s", "-P", "-X", "frozen_modules=on", "-c", _BOOT, bundle,
                   "-m" if module else "-s", target, *args]
            import signal

            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the child gets it and decides
            try:
                status = subprocess.call(cmd, env=env)
            finally:
                signal.signal(signal.SIGINT, previous)
            return status if status >= 0 else 128 - status
        finally:
            shutil.rmtree(boot, ignore_errors=True)
    finally:
        rt.close()


def _excepthook(kind, value, tb) -> None:
    import traceback

    traceback.print_exception(kind, value, tb)


def _child() -> None:
    """The child interpreter of ``run``: importkit installed, the bundle mounted at the root of its runtime
    (``mount``: what ``importkit.mount_bundle`` does, with the bundle's path as the virtual root), the
    extension modules of the manifest served from disk, the boot archive and the standard library's (absent)
    directory off ``sys.path``, then the target run as ``python -m`` or ``python script.py`` would run it."""
    import runpy

    import importkit

    from .finder import ImportKitFinder

    bundle, mode, target, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    archive = os.environ.pop("IMPORTKIT_FREEZE_BOOT", None)
    home = os.environ.pop("PYTHONHOME", None)
    rt = importkit.install()
    try:
        manifest = mount(rt, bundle) or {}
    except FreezeError as exc:
        sys.exit(f"importkit run: {exc}")
    extensions = manifest.get("extensions") or {}
    if extensions:  # before importkit's finder: the bundle does not have them
        meta = sys.meta_path
        at = next((i for i, f in enumerate(meta) if isinstance(f, ImportKitFinder)), len(meta))
        meta.insert(at, ExtensionFinder(extensions))
    drop = {archive}
    if home is not None:
        drop.add(os.path.join(home.split(os.pathsep)[0], "lib", "python%d.%d" % sys.version_info[:2]))
    sys.path[:] = [p for p in sys.path if p not in drop]
    if archive is not None:
        sys.path_importer_cache.pop(archive, None)
    if sys.excepthook is sys.__excepthook__:
        # the interpreter's own printer reads source lines from files on disk only: the traceback module's
        # asks the modules' loaders (linecache), so a traceback shows the bundle's source
        sys.excepthook = _excepthook
    if mode == "-m":
        sys.path.insert(0, os.getcwd())
        sys.argv = [target, *args]
        import importlib.util

        try:
            found = importlib.util.find_spec(target)
        except ImportError:
            found = None
        if found is None:
            sys.exit(f"importkit run: no module named {target!r} in {bundle} or on sys.path")
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        path = os.path.abspath(target)
        sys.argv = [target, *args]
        if os.path.isfile(path):
            sys.path.insert(0, os.path.dirname(path))
            runpy.run_path(path, run_name="__main__")
            return
        _run_bundled_script(rt, bundle, target)


def _run_bundled_script(rt, bundle: str, target: str) -> None:
    """Runs the file ``target`` of the bundle as the program (``__main__``), its ``__file__``
    ``<bundle>/<target>`` as the bundle's modules have theirs; its lines go to ``linecache`` for tracebacks."""
    import linecache

    from .errors import InvalidArgumentError, NotFoundError

    inner = target.strip("/")
    try:
        data = rt.read_file(inner)
    except (NotFoundError, InvalidArgumentError):
        sys.exit(f"importkit run: no script {target!r} on disk or in {bundle}")
    filename = f"{bundle}/{inner}"
    code = compile(data, filename, "exec", dont_inherit=True)
    text = _bx.decode_source(data)
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    main = sys.modules["__main__"]
    main.__dict__.update({"__file__": filename, "__cached__": None})
    exec(code, main.__dict__)  # noqa: S102


# -- the command line ----------------------------------------------------------------------------------------


def _print_report(report: FreezeReport, out) -> None:
    for w in report.warnings:
        print(f"warning: {w}", file=out)
    if report.not_compiled:
        print(f"warning: {len(report.not_compiled)} modules do not compile; kept as source, without code:", file=out)
        for line in report.not_compiled:
            print(f"  {line}", file=out)
    if report.extensions:
        print(f"{len(report.extensions)} extension modules left on disk (served from there by run):", file=out)
        for name, path in sorted(report.extensions.items()):
            print(f"  {name}: {path}", file=out)
    print(f"{report.output}: {report.modules} modules ({report.compiled} compiled for "
          f"{sys.implementation.cache_tag}), {report.files} files, {report.size} bytes, {report.seconds:.1f} s",
          file=out)


def main_freeze(argv) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m importkit freeze",
                                     description="Build a bundle of an application with this interpreter's "
                                                 "compiled code (docs/FREEZE.md).")
    parser.add_argument("-o", "--output", required=True, help="the bundle to write (.ikb)")
    parser.add_argument("--stdlib", action="store_true", help="this interpreter's standard library too")
    parser.add_argument("--site-packages", action="store_true", help="this interpreter's site-packages too")
    parser.add_argument("--no-extensions", action="store_true",
                        help="refuse extension modules (default: left on disk, listed, served from there)")
    parser.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                        help="leave out files and directories so named (one path segment, * patterns)")
    parser.add_argument("--compress", action="store_true", help="deflate blobs where that makes them smaller")
    parser.add_argument("paths", nargs="*", help="the application: .py files, package directories, or "
                                                 "directories whose contents go at the bundle's root")
    options = parser.parse_args(argv)
    if not (options.paths or options.stdlib or options.site_packages):
        parser.error("nothing to freeze: give paths, --stdlib or --site-packages")
    if os.environ.get("PYTHONHASHSEED") != "0":
        # deterministic code: a frozenset constant is marshalled in its iteration order, which follows the
        # hashes of its strings; run again with the hash seed fixed
        env = dict(os.environ, PYTHONHASHSEED="0")
        import subprocess

        return subprocess.call([sys.executable, *sys.orig_argv[1:]], env=env) if hasattr(sys, "orig_argv") \
            else subprocess.call([sys.executable, "-m", "importkit", "freeze", *argv], env=env)
    try:
        report = freeze(options.output, options.paths, stdlib=options.stdlib, site_packages=options.site_packages,
                        extensions="refuse" if options.no_extensions else "keep", exclude=options.exclude,
                        compress=options.compress)
    except FreezeError as exc:
        print(f"importkit freeze: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the builder's refusals (an output that cannot be written...): its message
        from .errors import ImportKitError

        if isinstance(exc, ImportKitError):
            print(f"importkit freeze: {exc}", file=sys.stderr)
            return 1
        raise
    _print_report(report, sys.stdout)
    return 0


def main_run(argv) -> int:
    usage = "python -m importkit run [-v] BUNDLE (-m MODULE | SCRIPT) [ARGS...]"
    verbose = False
    argv = list(argv)
    if argv and argv[0] in ("-v", "--verbose"):
        verbose = True
        argv.pop(0)
    if argv and argv[0] in ("-h", "--help"):
        print(f"usage: {usage}\nRuns an application from a bundle made by freeze (docs/FREEZE.md).")
        return 0
    if len(argv) < 2 or (argv[1] == "-m" and len(argv) < 3):
        print(f"usage: {usage}", file=sys.stderr)
        return 2
    bundle = argv[0]
    if argv[1] == "-m":
        target, args, module = argv[2], argv[3:], True
    else:
        target, args, module = argv[1], argv[2:], False
    try:
        return run(bundle, target, args, module=module, verbose=verbose)
    except FreezeError as exc:
        print(f"importkit run: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bundle importkit refuses (corrupt, truncated): its message
        from .errors import ImportKitError

        if isinstance(exc, ImportKitError):
            print(f"importkit run: {bundle}: {exc}", file=sys.stderr)
            return 1
        raise
