"""importkit for Python: a ctypes binding of the importkit C ABI (``include/importkit.h``).

    from importkit import Runtime

    with Runtime() as rt:
        rt.mount("game", {"__init__.py": "from . import core", "core.py": "SPEED = 3"})
        game = rt.import_module("game")
        assert game.core.SPEED == 3

A ``Runtime`` is an isolated import world: importkit resolves names, finds specs, keeps the module table and
applies the policy; the Python executor of this package (``executor.PythonExecutor``) creates and runs the
modules. Nothing touches ``sys.modules`` or ``sys.meta_path``.

Design choices (for whoever grows this into the full package):

- Layout, one concept per file: ``_ffi`` (library lookup, structs, callback types, argtypes/restype of every
  header function), ``errors`` (status -> exception), ``spec`` (``Spec``, ``Kind``), ``_state`` (a runtime's
  pointer, module handles, call guard), ``_callbacks`` (the C vtables; the exception firewall), ``executor``
  (Python modules and the ``__import__`` hook), ``runtime`` (the public ``Runtime``).
- Library lookup: ``$IMPORTKIT_LIB`` (exclusive when set), then beside the package (inside it, then its parent
  directory), then ``<repo>/target/release``, then ``<repo>/target/debug``. Loaded lazily, on first use; the
  ABI version must be 0.1.x.
- Module handles crossing C are integers 1, 2, ... into a per-runtime dict (``RuntimeState.modules``), never
  ``PyObject`` pointers; the executor's ``release`` removes the entry. The table's reference is the only one
  importkit holds; imports return borrowed handles, resolved to the object at once.
- Callbacks are closures over their runtime's state (``userdata`` is NULL) and are kept alive until
  ``ik_runtime_free`` has returned. No Python exception crosses into C (see ``_callbacks``).
- Errors: every status maps to a class of ``errors`` (hierarchy there). ``InvalidNameError`` and
  ``InvalidArgumentError`` are ``ValueError``; everything else is an ``ImportError``; ``NotFoundError`` is a
  ``ModuleNotFoundError`` with ``.name``; ``DeniedError`` is an ``ImportError`` (not ``PermissionError``) so
  ``except ImportError`` guards keep working in sandboxed code. The ``ik_error`` object lives as long as the
  exception and is freed with it; a nested import's error is passed on as is (``ik_report_pass``). A module
  whose code raised gives ``ExecError`` with ``host_message`` ``"ExcType: text"``, ``line``/``column`` in its
  source, and the original exception as ``__cause__``. KeyboardInterrupt/SystemExit raised inside a module are
  re-raised as themselves once the import returns to Python.
- Executed modules: a fresh ``types.ModuleType`` with ``__name__``, ``__spec__`` (a ``Spec``), ``__package__``,
  ``__loader__ = None``, ``__path__`` (the spec's locations) for packages, ``__file__`` only when the spec has
  a file, and ``__builtins__``: one dict per runtime, a copy of ``builtins`` whose ``__import__`` calls
  ``ik_runtime_import_from(name, package=__package__, fromlist, level)``. Code is compiled from bytes (PEP 263
  applies) with the spec's origin (``memory:/pkg/mod.py``) as filename.
- Isolation: executed code sees no module of the interpreter's except ``__future__`` (registered as a native
  by every runtime, because ``from __future__ import ...`` also imports at run time; a policy with ``allow``
  must allow it too). Hosts expose what they want: ``rt.register_native("json", importlib.import_module)``.
- Circular imports: ``from . import a`` while ``a`` is still executing works as in CPython. CPython's
  ``IMPORT_FROM`` falls back to ``sys.modules``, which cannot see our table, so ``__import__`` returns a
  throw-away view that also answers the fromlist names found in the table (``executor._FromView``).
  Not covered: ``import a.b as c`` while ``a.b`` is still executing (raises AttributeError/ImportError).
- Limits for now: ``importlib.import_module`` and ``importlib.reload`` inside executed code use CPython's own
  machinery, not the runtime; only source modules execute (bytecode/extension kinds raise); ``close()`` while
  another thread imports is deferred until the last running call returns.
"""

from . import errors
from ._ffi import library_path
from .errors import (
    DeadlockError,
    DeniedError,
    ExecError,
    ExistsError,
    HostError,
    ImportKitError,
    ImportKitImportError,
    InternalError,
    InvalidArgumentError,
    InvalidMountError,
    InvalidNameError,
    NotFoundError,
    UnavailableError,
)
from .executor import PythonExecutor
from .runtime import Runtime
from .spec import Kind, Spec


def version() -> str:
    """The version of the loaded importkit library (``"major.minor.patch"``)."""
    from . import _ffi

    return _ffi.lib().ik_version().decode()


__all__ = [
    "DeadlockError",
    "DeniedError",
    "ExecError",
    "ExistsError",
    "HostError",
    "ImportKitError",
    "ImportKitImportError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidMountError",
    "InvalidNameError",
    "Kind",
    "NotFoundError",
    "PythonExecutor",
    "Runtime",
    "Spec",
    "UnavailableError",
    "errors",
    "library_path",
    "version",
]
