"""importkit for Python: the importkit C ABI (``include/importkit.h``) over ctypes, as an isolated import world
(``Runtime``) and as CPython's own import path finder (``install()``).

    import importkit

    importkit.install()                 # importkit is CPython's path finder now (sys.meta_path)
    import json                         # found by importkit; json.__spec__.loader: CPython's SourceFileLoader

    rt = importkit.installed()
    rt.mount("game", {"__init__.py": b"from .core import hp", "core.py": b"hp = 10", "data/level.txt": b"1-1"})
    import game                         # runs from memory; importlib.resources.files("game") reads the tree

    with importkit.Runtime() as world:  # full import mode: importkit's own module table, not sys.modules
        world.mount("mod", {"__init__.py": "X = 1"})
        assert world.import_module("mod").X == 1

Layout, one concept per file:

- ``_ffi``: library lookup, structs, callback types, argtypes/restype of every header function, and ``hot()``,
  the few functions of the import hot path declared for speed. ``errors``: status -> exception.
  ``spec``: ``Spec`` (importkit's description of a module), ``Kind``; ``_found``: ``Found`` (what a finder
  written in Python answers). ``_state``: a runtime's pointer, module handles, call guard. ``_callbacks``:
  the C vtables (executor, natives, host finders, path hooks, entry finders); the exception firewall.
  ``_held``: the Python objects importkit carries as host data (a finder's ``Found`` on its specs, a
  callback's exception on its error), by integer key, until importkit releases them.
- ``runtime``: ``Runtime`` over the whole ABI (search path, mounts, natives, policy, host finders, path hooks,
  ``find_spec``, the module table and ``reload``, resources and listings) and ``Profile``. ``executor``: the full import mode (modules executed
  into objects of the runtime's own, ``import`` statements through the runtime).
- ``finder``: ``install()``/``uninstall()`` and ``ImportKitFinder``, the ``sys.meta_path`` finder; its
  docstring states the rules (what it serves, what goes to ``sys.path_hooks``, mounted names, fallbacks).
- ``loaders``: the file loaders (CPython's own classes: ``__pycache__`` handled exactly as CPython does),
  ``NativeLoader``, and ``module_spec`` (an importkit ``Spec`` -> ``importlib.machinery.ModuleSpec``).
  ``memory``: loaders of mounted trees, bundles and bytes from host finders; ``_resources``: their
  ``importlib.resources`` side (``Traversable``s), loaded when a program first asks for resources (it imports
  ``importlib.resources``); ``_tree``: the Python side of mounted trees. ``memory`` is loaded when something
  is mounted, so ``import importkit; importkit.install()`` loads little beyond ``ctypes``.

Design choices:

- Library lookup: ``$IMPORTKIT_LIB`` (exclusive when set), then beside the package (inside it, then its parent
  directory), then ``<repo>/target/release``, then ``<repo>/target/debug``. Loaded lazily, on first use; the
  ABI version must be 0.1.x.
- Errors: every status maps to a class of ``errors`` carrying the error's message, module, attempted places,
  host message, line and column. ``InvalidNameError``/``InvalidArgumentError`` are ``ValueError``;
  ``NotFoundError`` is a ``ModuleNotFoundError``; ``DeniedError`` (policy) is a ``PermissionError``, not an
  ``ImportError`` (the two cannot be combined; see ``errors``); the rest are ``ImportError``. The ``ik_error``
  object lives as long as the exception; a nested import's error is passed on as is (``ik_report_pass``). A
  module whose code raised gives ``ExecError`` with the original exception as ``__cause__``; a finder or hook
  written in Python that raised gives ``HostError`` (``__cause__``: its exception), and under ``install()``
  its exception itself. The exception travels on the error object (host data), not beside it.
  KeyboardInterrupt/SystemExit raised inside a callback are re-raised as themselves once the call returns to
  Python (the one piece of per-thread state). No Python exception ever crosses into C.
- Module handles crossing C are integers 1, 2, ... into a per-runtime dict (``RuntimeState.modules``), never
  ``PyObject`` pointers; the executor's ``release`` removes the entry. Callbacks are closures over their
  runtime's state and are kept alive until ``ik_runtime_free`` has returned; entry finders share one set of
  functions per runtime, their userdata a key into ``RuntimeState.entry_finders``.
- Mounted bytes are passed borrowed (``IK_MOUNT_BORROW``): the binding keeps them anyway, for ``get_source``,
  ``get_data`` and resources, and drops its reference when importkit's release callback says so.
- Module attributes are CPython's: ``__name__``, ``__spec__`` (an ``importlib.machinery.ModuleSpec``; in full
  import mode its ``loader_state`` is importkit's ``Spec``), ``__loader__``, ``__package__``, ``__path__``
  (dynamic for namespace packages), ``__file__``/``__cached__`` where a file exists; mounted and bundled
  modules get virtual files under the runtime's virtual root, ``sys.executable`` by default
  (``set_virtual_root``; docs/SEMANTICS.md, *Files of mounted modules*); ``__indirect__`` for modules ``.ref``
  files led to (docs/SEMANTICS.md, *.ref chains in Python*).
- Full import mode isolation: executed code sees no module of the interpreter's except ``__future__``
  (registered as a native by every runtime, because ``from __future__ import ...`` also imports at run time;
  a policy with ``allow`` must allow it too). Hosts expose what they want:
  ``rt.register_native("json", importlib.import_module)``. Circular imports: ``from . import a`` while ``a``
  is still executing works as in CPython (``executor._FromView``); not covered: ``import a.b as c`` while
  ``a.b`` is still executing. ``importlib.import_module``/``importlib.reload`` inside executed code use
  CPython's own machinery, not the runtime. ``close()`` while another thread imports is deferred until the
  last running call returns; ``close()`` of an installed runtime is refused.
"""

from . import errors
from ._ffi import library_path
from .errors import (
    DeadlockError,
    DeniedError,
    IoError,
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
from .finder import ImportKitFinder, install, installed, uninstall

# Imported when first used (PEP 562), so that `import importkit; importkit.install()` loads little.
_LAZY = {
    "Runtime": "runtime",
    "Profile": "runtime",
    "PythonExecutor": "executor",
    "Kind": "spec",
    "Spec": "spec",
    "Found": "spec",
    "BundleBuilder": "bundle",
    "verify_bundle": "bundle",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'importkit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def mount_bundle(source, point: str = "", **options) -> int:
    """Mounts a bundle (an ``.ikb`` file's path, or its bytes) at ``point`` (``""``: the root) into the runtime
    of ``install()``, installing importkit first if it is not installed, so that ``import`` statements,
    ``importlib.metadata`` and ``pkgutil`` see what the bundle holds. ``options`` are ``Runtime.mount_bundle``'s
    (``read``, ``sha256``, ``replace``). Returns the mount's finder id."""
    runtime = installed() or install()
    return runtime.mount_bundle(source, point, **options)


def version() -> str:
    """The version of the loaded importkit library (``"major.minor.patch"``)."""
    from . import _ffi

    return _ffi.lib().ik_version().decode()


__all__ = [
    "BundleBuilder",
    "verify_bundle",
    "DeadlockError",
    "DeniedError",
    "IoError",
    "ExecError",
    "ExistsError",
    "Found",
    "HostError",
    "ImportKitError",
    "ImportKitFinder",
    "ImportKitImportError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidMountError",
    "InvalidNameError",
    "Kind",
    "NotFoundError",
    "Profile",
    "PythonExecutor",
    "Runtime",
    "Spec",
    "UnavailableError",
    "errors",
    "install",
    "installed",
    "library_path",
    "mount_bundle",
    "uninstall",
    "version",
]
