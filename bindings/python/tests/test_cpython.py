"""CPython's own import tests and real programs, in fresh interpreters, with and without importkit.install().

- CPython's import suites (``run_cpython_suites.SUITES``: test_zipimport, test_runpy, all of test_importlib,
  test_import, test_pkgutil, test_pkg, test_zipimport_support) run twice each, every run in a fresh
  interpreter and a fresh working directory: plainly and with importkit installed first; the outcome of every
  test id must be the same (same tests run, same failures, errors, skips, expected failures).
- Standard-library programs (unittest, json, email, xml, asyncio, sqlite3) import and run through importkit,
  and a package of several modules with relative imports and a resource file runs from memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from conftest import run_python

HERE = Path(__file__).resolve().parent


def _have_cpython_tests() -> bool:
    try:
        import test.test_importlib  # noqa: F401
    except ImportError:
        return False
    return True


def _load_runner():
    import importlib.util

    spec = importlib.util.spec_from_file_location("run_cpython_suites", HERE / "run_cpython_suites.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SUITES = _load_runner().SUITES


def run_suite(module: str, importkit: bool, cwd: Path) -> dict:
    """One suite in a fresh interpreter whose working directory is the fresh directory ``cwd`` (the suites
    write files there)."""
    cwd.mkdir()
    report = cwd.parent / f"{cwd.name}.json"
    args = (["--importkit"] if importkit else []) + ["--out", str(report), module]
    out = run_python(
        "import runpy, sys; sys.argv = [sys.argv[0]] + sys.argv[1:]; "
        f"runpy.run_path({str(HERE / 'run_cpython_suites.py')!r}, run_name='__main__')",
        *args,
        cwd=str(cwd),
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-5000:]
    return json.loads(report.read_text())


@pytest.mark.skipif(not _have_cpython_tests(), reason="CPython's test suite is not installed")
@pytest.mark.parametrize("module", SUITES)
def test_cpython_suite_gives_the_same_outcomes_with_importkit_installed(module, tmp_path):
    plain = run_suite(module, importkit=False, cwd=tmp_path / "plain")
    ours = run_suite(module, importkit=True, cwd=tmp_path / "importkit")
    assert ours["still_installed"], "the suite uninstalled importkit"
    assert not ours["path_finder_in_meta_path"]
    assert ours["served"] > 10  # importkit's path finder found the suite's own modules, at least
    assert plain["testsRun"] == ours["testsRun"] > 3
    differences = {
        test_id: (plain["outcomes"].get(test_id), ours["outcomes"].get(test_id))
        for test_id in set(plain["outcomes"]) | set(ours["outcomes"])
        if plain["outcomes"].get(test_id) != ours["outcomes"].get(test_id)
    }
    assert differences == {}, ours["log"][-5000:]
    counts = Counter(ours["outcomes"].values())
    print(f"{module}: {ours['testsRun']} tests, with and without importkit: {dict(counts)}")


REAL_PROGRAMS = r"""
import importkit
importkit.install()

import asyncio, email, email.policy, io, json, sqlite3, sys, unittest, xml.etree.ElementTree as ET
from email.parser import BytesParser

message = BytesParser(policy=email.policy.default).parsebytes(
    b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hello\r\n\r\nbody text\r\n")
assert message["Subject"] == "hello" and message.get_content().strip() == "body text"

root = ET.fromstring("<level n='1'><enemy hp='3'/><enemy hp='5'/></level>")
assert sum(int(e.get("hp")) for e in root.iter("enemy")) == 8

assert json.loads(json.dumps({"a": [1, 2, {"b": None}]})) == {"a": [1, 2, {"b": None}]}

async def twice(x):
    await asyncio.sleep(0)
    return 2 * x
assert asyncio.run(twice(21)) == 42

db = sqlite3.connect(":memory:")
db.execute("create table t (x integer)")
db.executemany("insert into t values (?)", [(1,), (2,), (3,)])
assert db.execute("select sum(x) from t").fetchone() == (6,)

class Small(unittest.TestCase):
    def test_adds(self):
        self.assertEqual(1 + 1, 2)
    def test_json(self):
        self.assertEqual(json.loads("[1]"), [1])
result = unittest.TextTestRunner(stream=io.StringIO()).run(unittest.defaultTestLoader.loadTestsFromTestCase(Small))
assert result.wasSuccessful() and result.testsRun == 2

names = ["unittest", "json", "email", "email.parser", "xml.etree.ElementTree", "asyncio", "asyncio.events",
         "sqlite3", "sqlite3.dbapi2", "_sqlite3", "_json", "_asyncio"]
import importlib.machinery
finder = next(f for f in sys.meta_path if isinstance(f, importkit.ImportKitFinder))
assert finder.served >= len(names) and importlib.machinery.PathFinder not in sys.meta_path
loaders = {n: type(sys.modules[n].__spec__.loader).__qualname__ for n in names}
own = (importlib.machinery.SourceFileLoader, importlib.machinery.ExtensionFileLoader)
assert all(type(sys.modules[n].__spec__.loader) in own for n in names), loaders  # CPython's classes exactly
print(json.dumps(loaders))
"""


def test_standard_library_programs_run_through_importkit():
    out = run_python(REAL_PROGRAMS)
    assert out.returncode == 0, out.stderr
    assert set(json.loads(out.stdout).values()) == {"SourceFileLoader", "ExtensionFileLoader"}


MEMORY_APP = r"""
import importkit, importlib.resources, json, sys
rt = importkit.install()
rt.mount("shop", {
    "__init__.py": "from .cart import Cart\nfrom .prices import load_prices\n",
    "cart.py": textwrap_dedent('''
        from . import prices
        from .util.money import fmt

        class Cart:
            def __init__(self):
                self.items = []
            def add(self, name):
                self.items.append(name)
            def total(self):
                table = prices.load_prices()
                return fmt(sum(table[i] for i in self.items))
    '''),
    "prices.py": textwrap_dedent('''
        import json
        from importlib.resources import files

        def load_prices():
            return json.loads(files(__package__).joinpath("data/prices.json").read_text())
    '''),
    "util/__init__.py": "",
    "util/money.py": "def fmt(cents):\n    return f'{cents // 100}.{cents % 100:02d}'\n",
    "data/prices.json": json.dumps({"apple": 120, "pear": 95}),
})
from shop import Cart
cart = Cart()
cart.add("apple"); cart.add("pear"); cart.add("apple")
print(cart.total())
import shop.util.money
assert shop.util.money.__spec__.origin == shop.util.money.__file__ == sys.executable + "/shop/util/money.py"
assert not any(getattr(m, "__file__", None) and "/shop/" in m.__file__ and not m.__file__.startswith(sys.executable)
               for m in list(sys.modules.values()))
"""


def test_a_mounted_package_runs_from_memory_in_a_fresh_interpreter():
    code = "import textwrap\ntextwrap_dedent = textwrap.dedent\n" + MEMORY_APP
    out = run_python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "3.35"


def test_the_benchmark_runs(tmp_path):
    """The benchmark of docs/BENCHMARKS.md, in its smallest form (one round), so that it keeps working."""
    bench = HERE.parents[2] / "benches" / "python_imports.py"
    from importkit import _ffi

    out = subprocess.run(
        [sys.executable, str(bench), "--runs", "1", "--lib", str(_ffi.library_path()), "--list",
         str(tmp_path / "modules.txt")],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out.stderr
    assert "| importkit.install(recheck=0) |" in out.stdout
    assert len((tmp_path / "modules.txt").read_text().split()) >= 250


def test_cpython_suite_runner_reports_every_test():
    """The runner itself: it sees a failing test as a failure (so that the comparison above means something)."""
    out = run_python(
        textwrap.dedent(
            f"""
            import runpy, sys
            sys.argv = ["run", "test_runner_probe"]
            import types, unittest
            probe = types.ModuleType("test_runner_probe")
            class T(unittest.TestCase):
                def test_ok(self): pass
                def test_fails(self): self.fail("x")
                @unittest.skip("s")
                def test_skipped(self): pass
            T.__module__ = "test_runner_probe"
            probe.T = T
            sys.modules["test_runner_probe"] = probe
            runpy.run_path({str(HERE / "run_cpython_suites.py")!r}, run_name="__main__")
            """
        )
    )
    report = json.loads(out.stdout)
    assert report["outcomes"] == {
        "test_runner_probe.T.test_fails": "fail",
        "test_runner_probe.T.test_ok": "ok",
        "test_runner_probe.T.test_skipped": "skip",
    }


def test_the_readme_python_host_runs():
    """The Python host of README.md, as written, from the repository root."""
    readme = (HERE.parents[2] / "README.md").read_text()
    section = readme.split("## A Python host", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    out = run_python(code, cwd=str(HERE.parents[2]), env={"PYTHONPATH": None})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["10 1-1", "1 memory:/mod/__init__.py"]
