"""Fresh CPython interpreters importing the same standard-library modules with and without
``importkit.install()``, side by side in one run (docs/BENCHMARKS.md).

    python3 benches/python_imports.py [--runs N] [--recheck MS]... [--site] [--lib PATH] [--list FILE] [--sources]
                                      [--oxidized DIR]

Each round starts, in alternating order, one fresh interpreter per variant (``python3 -E -S -W ignore``:
no site-packages, no PYTHON* variables, warnings silenced) that imports every module of the list:

- ``cpython``: ``import importkit; importkit.install(); importkit.uninstall()`` first (so that exactly the
  same modules are loaded before the timed phase), then the imports through CPython's own PathFinder;
- ``importkit``: ``import importkit; importkit.install(recheck=0)``, then the same imports through importkit
  (and one more variant per extra ``--recheck MS``);
- ``plain``: nothing but the imports (for the whole-process comparison);
- with ``--sources``: ``zipimport``, the standard library's modules from a zip of compiled files first on
  ``sys.path`` (zipfile.PyZipFile, as ``python311.zip``), and ``bundle``, from a bundle of the standard library
  with each module's compiled code (``importkit.freeze``), mounted at the root under ``importkit.install()``;
- with ``--oxidized DIR`` (a directory holding PyOxidizer's ``oxidized_importer`` extension, built as
  ../shared/FACTS.md says; none of its code is in this repository): ``oxidized``, the standard library's source
  modules and their compiled code collected by ``OxidizedResourceCollector``, served from memory by an
  ``OxidizedFinder`` first on ``sys.meta_path`` (its index file memory-mapped), as PyOxidizer serves them.

Two figures per variant: the import phase (``time.perf_counter`` around the imports, inside the process) and
the whole process (wall time of the subprocess, start-up, importkit's own loading and exit included). Best and
median of ``--runs`` rounds. The list is the standard library's public top-level modules
(``sys.stdlib_module_names``) and their direct submodules, minus those with side effects or that need a GUI,
kept when they import cleanly in a fresh interpreter (written to ``--list FILE`` if given).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINDING = os.path.join(REPO, "bindings", "python")

# side effects at import (a browser, printing, GUIs, test suites, interpreters started) or not a library
EXCLUDE_TOP = {
    "antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "test", "__main__", "__hello__",
    "__phello__", "lib2to3", "pydoc_data", "ensurepip", "venv", "msilib", "sitecustomize", "usercustomize",
}
EXCLUDE_PARTS = {"__main__", "test", "tests", "idle_test", "_test", "testing"}

PYTHON_FLAGS = ["-E", "-S", "-W", "ignore"]

CHILD = r"""
import sys, time, json
mode, recheck, binding, listfile, timed = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
artifact = sys.argv[6] if len(sys.argv) > 6 else ""
names = open(listfile).read().split()
if mode == "zipimport":  # the standard library's modules from a zip of compiled files, first on sys.path
    sys.path.insert(0, artifact)
elif mode == "oxidized":  # PyOxidizer's OxidizedFinder over the standard library's modules, in memory
    where, index = artifact.split(chr(10))
    sys.path.insert(0, where)
    import oxidized_importer
    finder = oxidized_importer.OxidizedFinder()
    finder.index_file_memory_mapped(index)
    sys.meta_path.insert(0, finder)
    sys.path.remove(where)
elif mode == "bundle":  # from a bundle of the standard library with its compiled code, mounted at the root
    sys.path.insert(0, binding)
    import importkit
    importkit.install(recheck=recheck)
    importkit.mount_bundle(artifact)
    sys.path.remove(binding)
elif mode != "plain":
    sys.path.insert(0, binding)
    import importkit
    importkit.install(recheck=recheck)
    if mode == "cpython":
        importkit.uninstall()
    sys.path.remove(binding)
spent = [0.0, 0]
ik = next((f for f in sys.meta_path if type(f).__name__ == "ImportKitFinder"), None)
served = ik.served if ik is not None else 0
if timed == "1":  # the time spent in the path finder's find_spec (a wrapper around it; both variants alike)
    from importlib.machinery import PathFinder
    index = next(i for i, f in enumerate(sys.meta_path)
                 if f is PathFinder or type(f).__name__ == "ImportKitFinder")
    real = sys.meta_path[index]
    clock = time.perf_counter
    class Timed:
        def find_spec(self, name, path=None, target=None):
            t = clock()
            try:
                return real.find_spec(name, path, target)
            finally:
                spent[0] += clock() - t
                spent[1] += 1
        def invalidate_caches(self):
            real.invalidate_caches()
    sys.meta_path[index] = Timed()
before = len(sys.modules)
t0 = time.perf_counter()
for name in names:
    __import__(name)
t1 = time.perf_counter()
through = ik.served - served if ik is not None else 0  # files importkit's path finder found in the phase
print(json.dumps({"phase": t1 - t0, "new_modules": len(sys.modules) - before, "through_importkit": through,
                  "finder": spent[0], "finder_calls": spent[1]}))
"""


def candidates() -> list[str]:
    tops = sorted(n for n in sys.stdlib_module_names if not n.startswith("_") and n not in EXCLUDE_TOP)
    return tops


PROBE = r"""
import sys, os, io, json, pkgutil, importlib, contextlib
tops, exclude_parts = json.loads(sys.argv[1]), set(json.loads(sys.argv[2]))
ok = []
def try_import(name):
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            importlib.import_module(name)
        return True
    except BaseException:
        return False
for top in tops:
    if not try_import(top):
        continue
    ok.append(top)
    module = sys.modules[top]
    for info in pkgutil.iter_modules(getattr(module, "__path__", None) or []):
        if info.name in exclude_parts or info.name.startswith("_"):
            continue
        name = f"{top}.{info.name}"
        if try_import(name):
            ok.append(name)
print(json.dumps(ok))
"""


def module_list(python: str) -> list[str]:
    tops = candidates()
    out = subprocess.run(
        [python, *PYTHON_FLAGS, "-c", PROBE, json.dumps(tops), json.dumps(sorted(EXCLUDE_PARTS))],
        capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL,
    )
    names = json.loads(out.stdout.strip().splitlines()[-1])
    return names


ARTIFACTS: dict[str, str] = {}  # mode -> the zip or bundle it reads


def run_child(python: str, mode: str, recheck: int, listfile: str, env: dict, timed: bool = False
              ) -> tuple[float, dict]:
    t0 = time.perf_counter()
    out = subprocess.run(
        [python, *PYTHON_FLAGS, "-c", CHILD, mode, str(recheck), BINDING, listfile, "1" if timed else "0",
         ARTIFACTS.get(mode, "")],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{out.stderr}")
    return wall, json.loads(out.stdout.strip().splitlines()[-1])


#: What every stored copy of the standard library leaves out (test suites, GUIs, installers, site-packages):
#: the zip, the bundle and OxidizedFinder's index hold the same packages.
LEFT_OUT = ("test", "idlelib", "tkinter", "turtledemo", "lib2to3", "ensurepip", "site-packages")


def build_sources(python: str, scratch: str, env: dict) -> dict[str, str]:
    """The zip and the bundle of the standard library (its source modules, test packages left out), made with
    the interpreter measured: the zip by zipfile.PyZipFile (compiled files, as python311.zip holds them), the
    bundle by importkit.freeze (each module's compiled code for this interpreter's cache tag)."""
    zip_path = os.path.join(scratch, "stdlib.zip")
    bundle_path = os.path.join(scratch, "stdlib.ikb")
    make = r"""
import json, os, sys, sysconfig, zipfile
std, out = sysconfig.get_paths()["stdlib"], sys.argv[1]
skip = set(json.loads(sys.argv[2])) | {"__pycache__"}
with zipfile.PyZipFile(out, "w", optimize=-1) as z:
    for entry in sorted(os.listdir(std)):
        path = os.path.join(std, entry)
        if entry in skip or entry.startswith("."):
            continue
        if entry.endswith(".py") or os.path.isfile(os.path.join(path, "__init__.py")):
            try:
                z.writepy(path)
            except Exception as e:
                print("skipped", entry, e, file=sys.stderr)
"""
    subprocess.run([python, "-E", "-W", "ignore", "-c", make, zip_path, json.dumps(LEFT_OUT)], check=True,
                   stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    freeze = (f"import sys; sys.path.insert(0, {BINDING!r}); from importkit import freeze; "
              f"freeze.freeze({bundle_path!r}, stdlib=True, exclude={LEFT_OUT!r})")
    subprocess.run([python, "-E", "-W", "ignore", "-c", freeze], check=True, env=dict(env, PYTHONHASHSEED="0"),
                   stdin=subprocess.DEVNULL)
    return {"zipimport": zip_path, "bundle": bundle_path}


OXIDIZE = r"""
import json, sys, sysconfig
sys.path.insert(0, sys.argv[1])
import oxidized_importer
skip = set(json.loads(sys.argv[3]))
collector = oxidized_importer.OxidizedResourceCollector(allowed_locations=["in-memory"])
for resource in oxidized_importer.find_resources_in_path(sysconfig.get_paths()["stdlib"]):
    kind = type(resource).__name__
    # Each module's source and its compiled code for this interpreter (the __pycache__ files, unoptimized),
    # as the bundle has them: OxidizedFinder then runs code and compiles nothing.
    if kind != "PythonModuleSource" and not (kind == "PythonModuleBytecode" and resource.optimize_level == 0):
        continue
    parts = resource.module.split(".")
    if parts[0] in skip or parts[0] not in sys.stdlib_module_names or {"test", "tests", "idle_test"} & set(parts):
        continue
    collector.add_in_memory(resource)
resources, _ = collector.oxidize()
finder = oxidized_importer.OxidizedFinder()
finder.add_resources(resources)
open(sys.argv[2], "wb").write(finder.serialize_indexed_resources())
"""


def build_oxidized(python: str, where: str, scratch: str) -> str:
    """OxidizedFinder's index of the standard library's source modules and their compiled code, as the
    artifact of the ``oxidized`` variant: ``DIR``, a newline, ``INDEX FILE``."""
    index = os.path.join(scratch, "stdlib.oxidized")
    subprocess.run([python, "-E", "-W", "ignore", "-c", OXIDIZE, where, index, json.dumps(LEFT_OUT)], check=True,
                   stdin=subprocess.DEVNULL)
    return where + "\n" + index


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=15, help="rounds (default 15)")
    ap.add_argument("--recheck", type=int, action="append", default=[], help="extra importkit recheck windows (ms)")
    ap.add_argument("--lib", help="the importkit library (default: $IMPORTKIT_LIB, else target/release)")
    ap.add_argument("--list", help="write the module list to this file")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--sources", action="store_true",
                    help="also the standard library from a zip (zipimport) and from a bundle (importkit)")
    ap.add_argument("--oxidized", metavar="DIR",
                    help="also PyOxidizer's OxidizedFinder (its oxidized_importer extension in DIR) from memory")
    args = ap.parse_args()

    env = dict(os.environ)
    lib = args.lib or env.get("IMPORTKIT_LIB") or os.path.join(REPO, "target", "release", "libimportkit.so")
    if not os.path.isfile(lib):
        raise SystemExit(f"{lib}: not built (cargo build --release)")
    env["IMPORTKIT_LIB"] = lib
    # compile importkit's own modules once, so that no variant pays for it (-E ignores PYTHONDONTWRITEBYTECODE)
    subprocess.run([args.python, "-E", "-m", "compileall", "-q", os.path.join(BINDING, "importkit")], check=True)

    names = module_list(args.python)
    if args.list:
        with open(args.list, "w") as f:
            f.write("\n".join(names) + "\n")
    fd, listfile = tempfile.mkstemp(suffix=".txt", prefix="ik-modules-")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(names) + "\n")

    variants = [("plain", 0), ("cpython", 0), ("importkit", 0)] + [("importkit", ms) for ms in args.recheck]
    scratch = tempfile.mkdtemp(prefix="ik-sources-")
    if args.sources:
        ARTIFACTS.update(build_sources(args.python, scratch, env))
        variants += [("zipimport", 0), ("bundle", 0)]
    if args.oxidized:
        ARTIFACTS["oxidized"] = build_oxidized(args.python, os.path.abspath(args.oxidized), scratch)
        variants += [("oxidized", 0)]
    timed_variants = [("cpython", 0), ("importkit", 0)] + [("importkit", ms) for ms in args.recheck]
    results: dict[tuple[str, int], list[tuple[float, dict]]] = {v: [] for v in variants}
    timed: dict[tuple[str, int], list[dict]] = {v: [] for v in timed_variants}
    try:
        for v in variants:  # warm the OS caches and __pycache__ once, untimed
            run_child(args.python, v[0], v[1], listfile, env)
        for i in range(args.runs):
            order = variants if i % 2 == 0 else list(reversed(variants))
            for v in order:
                results[v].append(run_child(args.python, v[0], v[1], listfile, env))
            for v in timed_variants if i % 2 == 0 else list(reversed(timed_variants)):
                timed[v].append(run_child(args.python, v[0], v[1], listfile, env, timed=True)[1])
    finally:
        os.unlink(listfile)
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)

    def stats(v, key):
        values = [wall if key == "wall" else info["phase"] for wall, info in results[v]]
        return min(values), statistics.median(values)

    def finder_stats(v):
        values = [info["finder"] for info in timed[v]]
        return min(values), statistics.median(values), timed[v][0]["finder_calls"]

    info = results[("importkit", 0)][0][1]
    print(f"python: {sys.version.split()[0]} ({args.python}), library: {lib}")
    print(f"modules in the list: {len(names)}; imported in the timed phase: {info['new_modules']} "
          f"({info['through_importkit']} found by importkit's path finder, the rest builtin/frozen), "
          f"{args.runs} rounds")
    print()
    print("| variant | import phase, best | import phase, median | whole process, best | whole process, median |")
    print("|---|---|---|---|---|")
    base_phase = stats(("cpython", 0), "phase")
    for v in variants:
        label = {
            "plain": "CPython 3.11, nothing else (whole-process reference)",
            "cpython": "CPython's PathFinder (importkit loaded, then uninstalled)",
            "zipimport": "the standard library from a zip of compiled files (zipimport)",
            "bundle": "the standard library from a bundle with its code (importkit.install() + mount_bundle)",
            "oxidized": "the standard library from memory through PyOxidizer's OxidizedFinder",
        }.get(v[0], f"importkit.install(recheck={v[1]})")
        pb, pm = stats(v, "phase")
        wb, wm = stats(v, "wall")
        ratio = "" if v[0] == "cpython" or v[0] == "plain" else f" ({pm / base_phase[1]:.2f} of CPython's)"
        phase_b = "n/a" if v[0] == "plain" else fmt_ms(pb)
        phase_m = "n/a" if v[0] == "plain" else fmt_ms(pm) + ratio
        print(f"| {label} | {phase_b} | {phase_m} | {fmt_ms(wb)} | {fmt_ms(wm)} |")
    if ("bundle", 0) in results and ("oxidized", 0) in results:
        paired = [b[1]["phase"] / o[1]["phase"] for b, o in zip(results[("bundle", 0)], results[("oxidized", 0)])]
        walls = [b[0] / o[0] for b, o in zip(results[("bundle", 0)], results[("oxidized", 0)])]
        print()
        print(f"bundle / OxidizedFinder, paired by round (median of {len(paired)}): import phase "
              f"{statistics.median(paired):.2f}, whole process {statistics.median(walls):.2f}")
    print()
    print("Time inside the path finder's find_spec during the import phase (separate runs, each call wrapped):")
    print()
    print("| variant | calls | path finder, best | path finder, median | per call (median) |")
    print("|---|---|---|---|---|")
    base_finder = finder_stats(("cpython", 0))[1]
    for v in timed_variants:
        label = "CPython's PathFinder" if v[0] == "cpython" else f"importkit.install(recheck={v[1]})"
        best, median, calls = finder_stats(v)
        ratio = "" if v[0] == "cpython" else f" ({base_finder / median:.2f}x)"
        print(f"| {label} | {calls} | {fmt_ms(best)} | {fmt_ms(median)}{ratio} | {median / calls * 1e6:.1f} us |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
