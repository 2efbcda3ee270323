"""Runs CPython's own import tests and prints every test's outcome as JSON (one object: test id -> outcome).

    python3 run_cpython_suites.py [--importkit] [--out FILE] [MODULE...]

``--importkit`` calls ``importkit.install()`` before anything is imported by the suites, so every import
they make that CPython's path finder would serve goes through importkit. Without MODULE, the suites are
``SUITES`` (each best run alone, in a fresh interpreter and a fresh working directory: they write files).
Outcomes: ``ok``, ``fail``, ``error``, ``skip``, ``xfail`` (expected failure), ``xpass`` (unexpected
success). The report goes to FILE (``--out``), else to standard output (where tests print too).
``test_cpython.py`` runs each suite twice in fresh interpreters and compares the two maps.
"""

from __future__ import annotations

import importlib.machinery
import io
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BINDING = os.path.dirname(HERE)

#: CPython's import suites (``test.test_importlib`` has the namespace package and threaded import tests)
SUITES = ["test.test_zipimport", "test.test_runpy", "test.test_importlib", "test.test_import", "test.test_pkgutil",
          "test.test_pkg", "test.test_zipimport_support"]


class Recorder(unittest.TextTestResult):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.outcomes: dict[str, str] = {}

    def _set(self, test, outcome: str) -> None:
        self.outcomes[test.id()] = outcome

    def addSuccess(self, test):  # noqa: N802 - unittest's API
        super().addSuccess(test)
        self._set(test, "ok")

    def addFailure(self, test, err):  # noqa: N802
        super().addFailure(test, err)
        self._set(test, "fail")

    def addError(self, test, err):  # noqa: N802
        super().addError(test, err)
        self._set(test, "error")

    def addSkip(self, test, reason):  # noqa: N802
        super().addSkip(test, reason)
        self._set(test, "skip")

    def addExpectedFailure(self, test, err):  # noqa: N802
        super().addExpectedFailure(test, err)
        self._set(test, "xfail")

    def addUnexpectedSuccess(self, test):  # noqa: N802
        super().addUnexpectedSuccess(test)
        self._set(test, "xpass")

    def addSubTest(self, test, subtest, err):  # noqa: N802
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._set(subtest, "fail" if issubclass(err[0], test.failureException) else "error")


def main(argv: list[str]) -> int:
    use_importkit = "--importkit" in argv
    out_file = None
    if "--out" in argv:
        i = argv.index("--out")
        out_file = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    modules = [a for a in argv if not a.startswith("--")]
    if use_importkit:
        sys.path.insert(0, BINDING)
        import importkit

        importkit.install()
        sys.path.remove(BINDING)
    if not modules:
        modules = list(SUITES)
    suite = unittest.defaultTestLoader.loadTestsFromNames(modules)
    log = io.StringIO()
    result = unittest.TextTestRunner(stream=log, verbosity=2, resultclass=Recorder).run(suite)
    report = {
        "importkit": use_importkit,
        "modules": modules,
        "testsRun": result.testsRun,
        "outcomes": result.outcomes,
        "log": log.getvalue()[-20000:],
    }
    if use_importkit:
        import importkit

        finder = next((f for f in sys.meta_path if isinstance(f, importkit.ImportKitFinder)), None)
        report["still_installed"] = finder is not None
        report["path_finder_in_meta_path"] = importlib.machinery.PathFinder in sys.meta_path
        # how many specs of files importkit's path finder gave during the run (the suites' own modules too)
        report["served"] = finder.served if finder is not None else 0
    if out_file is None:
        json.dump(report, sys.stdout)
    else:
        with open(out_file, "w", encoding="utf-8") as f:
            json.dump(report, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
