"""Runs CPython's own import tests and prints every test's outcome as JSON (one object: test id -> outcome).

    python3 run_cpython_suites.py [--importkit] [MODULE...]

``--importkit`` calls ``importkit.install()`` before anything is imported by the suites, so every import
they make that CPython's path finder would serve goes through importkit. Without MODULE, the suites are
``test.test_importlib.test_namespace_pkgs`` and every module of ``test.test_importlib.import_``.
Outcomes: ``ok``, ``fail``, ``error``, ``skip``, ``xfail`` (expected failure), ``xpass`` (unexpected
success). ``test_cpython_suites.py`` runs this twice in fresh interpreters and compares the two maps.
"""

from __future__ import annotations

import io
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BINDING = os.path.dirname(HERE)

SUITES_PACKAGE = "test.test_importlib.import_"
NAMESPACE_SUITE = "test.test_importlib.test_namespace_pkgs"


def default_modules() -> list[str]:
    import pkgutil

    import test.test_importlib.import_ as package

    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("test_"))
    return [NAMESPACE_SUITE] + [f"{SUITES_PACKAGE}.{n}" for n in names]


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
    modules = [a for a in argv if not a.startswith("--")]
    if use_importkit:
        sys.path.insert(0, BINDING)
        import importkit

        importkit.install()
        sys.path.remove(BINDING)
    if not modules:
        modules = default_modules()
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
        report["loader_of_suite"] = type(sys.modules[modules[0]].__spec__.loader).__module__
    json.dump(report, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
