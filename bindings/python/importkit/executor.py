"""The default executor (full import mode): modules executed into fresh module objects of the runtime's own
(never ``sys.modules``), with ``import`` statements that go through importkit.

Module objects get the attributes CPython's import gives them: ``__name__``, ``__spec__`` (an
``importlib.machinery.ModuleSpec`` whose ``loader_state`` is importkit's ``Spec``), ``__loader__`` (a loader
of ``importkit.loaders``/``importkit.memory``), ``__package__``, ``__path__`` for packages (for a namespace
package a live view of ``ik_runtime_namespace_locations``), and ``__file__``/``__cached__`` only when a file
exists (or the runtime gives mounted modules virtual files). Code comes from the loader: filesystem sources with
their ``__pycache__`` bytecode read and written as CPython does, ``.pyc`` files, extension modules (made by
``create``), bytes of mounts and host finders (compiled with the module's file or origin as filename and
registered with ``linecache``).

Each executed module also gets ``__builtins__``, a copy of the ``builtins`` module's namespace made once per
runtime, whose ``__import__`` calls ``ik_runtime_import_from`` on that runtime. ``import x``,
``from . import y`` and ``from .sub import z`` inside a mounted package therefore resolve in the runtime's
own world, relative to the importing module's ``__package__``.
"""

from __future__ import annotations

import builtins
import types
import weakref
from . import _ffi, loaders
from .errors import ImportKitImportError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Sequence

    from .spec import Spec

_SOURCE = _ffi.IK_KIND_SOURCE
_BYTECODE = _ffi.IK_KIND_BYTECODE
_EXTENSION = _ffi.IK_KIND_EXTENSION
_NATIVE = _ffi.IK_KIND_NATIVE
_NAMESPACE = _ffi.IK_KIND_NAMESPACE

try:
    from importlib.machinery import NamespaceLoader as _NamespaceLoader
except ImportError:  # pragma: no cover - Python < 3.11
    from importlib._bootstrap_external import _NamespaceLoader


class _FromView:
    """What ``__import__`` returns for ``from M import a`` when ``a`` is a submodule in the module table that
    is not (yet) an attribute of ``M``: a module of a circular import, still executing. CPython's
    ``IMPORT_FROM`` opcode falls back to ``sys.modules['M.a']`` there; ours cannot see our table, so it reads
    the names through this view, which the statement uses for its attribute lookups only and then drops.
    Nothing is bound on ``M`` before importkit binds it."""

    __slots__ = ("_ik_module", "_ik_extra")

    def __init__(self, module: object, extra: dict[str, object]) -> None:
        object.__setattr__(self, "_ik_module", module)
        object.__setattr__(self, "_ik_extra", extra)

    def __getattribute__(self, name: str) -> object:
        extra = object.__getattribute__(self, "_ik_extra")
        if name in extra:
            return extra[name]
        return getattr(object.__getattribute__(self, "_ik_module"), name)


def _calc_package(globals: dict | None) -> str | None:
    """``importlib._bootstrap._calc___package__``, without its warnings."""
    if not globals:
        return None
    package = globals.get("__package__")
    if package is not None:
        return package
    spec = globals.get("__spec__")
    if spec is not None:
        return getattr(spec, "parent", None)
    name = globals.get("__name__")
    if not isinstance(name, str):
        return None
    return name if "__path__" in globals else name.rpartition(".")[0]


class NamespacePath:
    """``__path__`` of a namespace package in a runtime's table: its current locations, recomputed by importkit
    (``ik_runtime_namespace_locations``) each time it is read, as CPython's ``_NamespacePath`` does."""

    def __init__(self, runtime, name: str, locations) -> None:
        self._runtime = weakref.ref(runtime)  # the module lives in the runtime's table: no cycle through C
        self._name = name
        self._last = list(locations)

    def _current(self) -> list[str]:
        runtime = self._runtime()
        try:
            if runtime is not None:
                self._last = runtime.namespace_locations(self._name)
        except Exception:  # not in the table (yet, or any more), runtime closed: the last answer
            pass
        return self._last

    def __iter__(self):
        return iter(self._current())

    def __getitem__(self, index):
        return self._current()[index]

    def __len__(self) -> int:
        return len(self._current())

    def __contains__(self, item) -> bool:
        return item in self._current()

    def __repr__(self) -> str:
        return f"NamespacePath({self._current()!r})"


class PythonExecutor:
    """Creates and executes Python modules for one runtime.

    ``state`` is the runtime's ``RuntimeState`` (handles, ``import_from``); ``runtime`` the ``Runtime`` (its
    mounted trees, natives, virtual root); the executor holds no module table of its own.
    """

    def __init__(self, state, runtime=None) -> None:
        self._state = state
        # weak: the executor is reachable from ctypes callbacks, which the garbage collector cannot traverse
        self._runtime_ref = None if runtime is None else weakref.ref(runtime)
        namespace = dict(builtins.__dict__)
        namespace["__import__"] = self._make_import()
        self.builtins = namespace

    @property
    def _runtime(self):
        return None if self._runtime_ref is None else self._runtime_ref()

    # -- the import statement -------------------------------------------------------------------------------

    def _make_import(self) -> Callable[..., object]:
        state = self._state

        def __import__(name, globals=None, locals=None, fromlist=(), level=0):
            if not isinstance(name, str):
                raise TypeError(f"module name must be str, not {type(name).__name__}")
            if not isinstance(level, int) or level < 0:
                raise ValueError("level must be >= 0")
            package = _calc_package(globals) if level > 0 else None
            names: Sequence[str] = tuple(fromlist) if fromlist else ()
            handle = state.import_from(name, package, names, level)
            module = state.module(handle)
            if not names or "*" in names:
                return module
            extra = {}
            for x in names:
                try:
                    if hasattr(module, x):
                        continue
                except Exception:
                    continue
                base = state.names.get(handle)
                child = state.get_handle(f"{base}.{x}") if base else None
                if child is not None and child in state.modules:
                    extra[x] = state.modules[child]
            return _FromView(module, extra) if extra else module

        return __import__

    # -- the executor protocol (called by the C callbacks in _callbacks.py) ---------------------------------

    def create(self, spec: Spec) -> object:
        if spec.kind == _NATIVE:
            raise ImportKitImportError(f"native module '{spec.name}' has no factory here", module=spec.name)
        ms = loaders.module_spec(spec, self._runtime)
        if spec.kind == _EXTENSION:
            if not isinstance(ms.loader, loaders.ExtensionFileLoader):
                raise ImportKitImportError(
                    f"extension module '{spec.name}' ({spec.origin}) is not a file: it cannot be loaded",
                    module=spec.name,
                )
            module = ms.loader.create_module(ms)
        else:
            module = types.ModuleType(spec.name)
        self._set_attributes(module, spec, ms)
        return module

    def _set_attributes(self, module: object, spec: Spec, ms) -> None:
        """The import attributes of ``module`` from ``spec`` and its ``ModuleSpec`` ``ms`` (CPython's
        ``_init_module_attrs`` with ``override=True``: set, never deleted)."""
        d = module.__dict__
        d["__spec__"] = ms
        d["__loader__"] = ms.loader
        d["__package__"] = spec.parent
        d["__indirect__"] = spec.indirect
        if spec.kind == _NAMESPACE:
            d["__path__"] = ms.submodule_search_locations = NamespacePath(self._runtime, spec.name, spec.locations)
            # as CPython: a NamespaceLoader over the same path, and __file__ None (one that reads a mount's or a
            # bundle's portions for importlib.resources when the package has one)
            loader: _NamespaceLoader
            if loaders.has_own_portion(spec.locations):
                loader = loaders.MountNamespaceLoader(ms, self._runtime)
            else:
                loader = _NamespaceLoader.__new__(_NamespaceLoader)
                # what NamespaceLoader.__init__ (not run) would set; typeshed does not declare the attribute
                loader._path = ms.submodule_search_locations  # type: ignore[attr-defined]
            d["__loader__"] = ms.loader = loader
            d["__file__"] = None
        elif spec.is_package:
            d["__path__"] = ms.submodule_search_locations
        if ms.has_location:
            d["__file__"] = ms.origin
            if ms.cached is not None:
                d["__cached__"] = ms.cached
        if spec.kind != _EXTENSION:
            d["__builtins__"] = self.builtins

    def exec(self, spec: Spec, module: object, source: bytes | None, reload: bool = False) -> None:
        """Executes ``module`` (made by ``create`` for ``spec``). ``reload``: the module was executed before
        (``Runtime.reload``) or inserted by the host, and ``spec`` is what importkit found again: its
        attributes and loader are set from it first, as ``importlib.reload`` does."""
        if reload and spec.kind in (_SOURCE, _BYTECODE, _EXTENSION):
            self._set_attributes(module, spec, loaders.module_spec(spec, self._runtime))
        ms = getattr(module, "__spec__", None)
        # whatever the module's spec carries (the module may have replaced it): any object
        loader: Any = getattr(ms, "loader", None)
        if loader is None:  # the module replaced its spec: start again from importkit's
            loader = loaders.module_spec(spec, self._runtime).loader
        if spec.kind not in (_SOURCE, _BYTECODE, _EXTENSION) or loader is None:
            raise ImportKitImportError(
                f"the Python executor cannot execute {spec.kind.name.lower()} module '{spec.name}' ({spec.origin})",
                module=spec.name,
            )
        if source is not None and getattr(loader, "_data", False) is None and not hasattr(loader, "tree"):
            loader._data = source  # bytes a host finder gave: the loader compiles them and answers get_source
        # files are read by their loader (with __pycache__); bytes are compiled with the module's file or origin
        loader.exec_module(module)

    def exec_code(self, spec: Spec, module: object, code: bytes, reload: bool = False) -> None:
        """Executes compiled code importkit hands over for the runtime's cache tag (a bundle's code entry for
        ``sys.implementation.cache_tag``: ``marshal`` of a code object, checked by its CRC-32) in ``module``,
        instead of compiling the module's source (docs/CODE_CACHE.md). Its ``co_filename`` becomes the
        module's filename (``filename``), as the module's loader names it, so tracebacks show its source."""
        if reload:
            self._set_attributes(module, spec, loaders.module_spec(spec, self._runtime))
        compiled = loaders.code_object(spec.name, code, self.filename(spec))
        exec(compiled, module.__dict__)  # noqa: S102 - executing the module is the executor's job

    @staticmethod
    def filename(spec: Spec) -> str:
        """The filename the module's code is compiled with (tracebacks, and the line reported on failure): its
        file (a real one, or the virtual file of a mount under a virtual root), else its origin."""
        return spec.file if spec.file is not None else spec.origin

    def bind(self, parent: object, name: str, child: object) -> None:
        setattr(parent, name, child)

    def has_attr(self, module: object, name: str) -> bool:
        return hasattr(module, name)

    def all_names(self, module: object) -> list[str]:
        names = getattr(module, "__all__", None)
        if names is None:
            return []
        out = []
        for x in names:
            if not isinstance(x, str):
                raise TypeError(f"Item in {getattr(module, '__name__', '?')}.__all__ must be str, not {type(x).__name__}")
            out.append(x)
        return out
