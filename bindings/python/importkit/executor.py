"""The default executor: Python source executed in fresh ``types.ModuleType`` objects of the runtime's own
(never ``sys.modules``), with ``import`` statements that go through importkit.

Each executed module gets ``__builtins__``, a copy of the ``builtins`` module's namespace made once per
runtime, whose ``__import__`` calls ``ik_runtime_import_from`` on that runtime. ``import x``,
``from . import y`` and ``from .sub import z`` inside a mounted package therefore resolve in the runtime's
own world, relative to the importing module's ``__package__``.
"""

from __future__ import annotations

import builtins
import types
from typing import Callable, Sequence

from .errors import ImportKitImportError
from .spec import Kind, Spec


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


class PythonExecutor:
    """Creates and executes Python modules for one runtime.

    ``state`` is the runtime's ``RuntimeState`` (handles, ``import_from``); the executor holds no module
    table of its own.
    """

    def __init__(self, state) -> None:
        self._state = state
        namespace = dict(builtins.__dict__)
        namespace["__import__"] = self._make_import()
        self.builtins = namespace

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
        module = types.ModuleType(spec.name)
        module.__spec__ = spec
        module.__loader__ = None
        module.__package__ = spec.parent
        if spec.is_package:
            module.__path__ = list(spec.locations)
        if spec.file is not None:
            module.__file__ = spec.file
            if spec.cached is not None:
                module.__cached__ = spec.cached
        module.__dict__["__builtins__"] = self.builtins
        return module

    def exec(self, spec: Spec, module: object, source: bytes | None) -> None:
        if spec.kind != Kind.SOURCE:
            raise ImportKitImportError(
                f"the Python executor cannot execute {spec.kind.name.lower()} module '{spec.name}' ({spec.origin})",
                module=spec.name,
            )
        if source is None:
            if spec.file is None:
                raise ImportKitImportError(f"no source for module '{spec.name}' ({spec.origin})", module=spec.name)
            with open(spec.file, "rb") as f:
                source = f.read()
        # bytes, not str: compile() honours a PEP 263 coding line and a BOM.
        code = compile(source, self.filename(spec), "exec", dont_inherit=True)
        exec(code, module.__dict__)  # noqa: S102 - executing the module is the executor's job

    @staticmethod
    def filename(spec: Spec) -> str:
        """The filename the module's code is compiled with (tracebacks, and the line reported on failure)."""
        return spec.origin

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
