"""Loaders of files found by importkit, and the ``ModuleSpec`` of a module importkit found.

The three file loaders are CPython's own classes (``importlib.machinery``), not subclasses, so a module found
by importkit is what CPython's path finder would have made, down to ``type(spec.loader)``: ``exec_module``,
``get_code`` with ``__pycache__`` bytecode read, validated and written as CPython does
(``sys.dont_write_bytecode``, ``sys.pycache_prefix``, ``-O``, checked-hash pycs), ``get_source``,
``get_data``, ``get_filename``, ``is_package`` and ``get_resource_reader``. (What importkit served is counted
by ``ImportKitFinder.served``, not marked on the module.)

``module_spec`` turns an importkit ``Spec`` into the ``importlib.machinery.ModuleSpec`` a module carries as
``__spec__`` (``loader_state`` is the ``Spec``), for modules that are not on the ``sys.meta_path`` finder's
hot path (those build their ``ModuleSpec`` directly, see ``finder``).
"""

from __future__ import annotations

import _imp
import marshal
import sys
from types import CodeType as _CodeType
from importlib import _bootstrap_external as _bx
from importlib import machinery as _machinery
from importlib.machinery import ModuleSpec

from . import _ffi
from .errors import ImportKitImportError

TYPE_CHECKING = False
if TYPE_CHECKING:  # the package requires Python 3.10, which has importlib._abc
    from collections.abc import Iterable
    from importlib._abc import Loader as _Loader
else:
    try:
        from importlib._abc import Loader as _Loader  # importlib.abc.Loader, without importing importlib.abc
    except ImportError:  # pragma: no cover - Python < 3.10
        _Loader = object


#: CPython's own loader classes, exactly (not subclasses: programs compare ``type(spec.loader)`` with them, as
#: test_runpy does); importkit finds the file, CPython's class loads it.
SourceFileLoader = _machinery.SourceFileLoader
SourcelessFileLoader = _machinery.SourcelessFileLoader
ExtensionFileLoader = _machinery.ExtensionFileLoader


def code_object(name: str, data: bytes, filename: str | None = None):
    """The code object of compiled code importkit handed over for module ``name`` (a bundle's code entry for
    the runtime's cache tag: ``marshal`` of a code object); ``filename``, when given, becomes its
    ``co_filename`` and that of every code object inside it (as CPython's loaders fix a moved ``.pyc``:
    ``_imp._fix_co_filename``), so tracebacks and ``linecache`` name the module's file. Bytes that are not a
    code object raise ``ImportKitImportError`` naming the module."""
    try:
        code = marshal.loads(data)
    except (EOFError, ValueError, TypeError) as exc:
        raise ImportKitImportError(f"the compiled code of module '{name}' cannot be read: {exc}",
                                   module=name) from exc
    if not isinstance(code, _CodeType):
        raise ImportKitImportError(
            f"the compiled code of module '{name}' is not a code object (a {type(code).__name__})", module=name)
    if filename is not None and code.co_filename != filename:
        _imp._fix_co_filename(code, filename)  # type: ignore[attr-defined]  # CPython's, not in typeshed's _imp
    return code


class NativeLoader(_Loader):
    """A native of the runtime imported through ``sys.meta_path`` (``install()``): the module is what the
    factory registered with ``Runtime.register_native`` returns; ``exec_module`` does nothing."""

    def __init__(self, name: str, factory) -> None:
        self.name = name
        self.factory = factory

    def __repr__(self) -> str:
        return f"<NativeLoader {self.name!r}>"

    def create_module(self, spec: ModuleSpec):
        module = self.factory(spec.name)
        if module is None:
            raise ImportError(f"the factory of native module {spec.name!r} returned None", name=spec.name)
        return module

    def exec_module(self, module) -> None:
        pass


# -- __indirect__: modules a .ref file led to (docs/SEMANTICS.md, *.ref chains*) -------------------------------


class _Indirect:
    """A loader of a module that ``.ref`` files took part in locating: ``__indirect__`` is set before the
    module executes (``self.indirect``: a tuple of ref files, or a namespace package's dict)."""

    indirect: object = ()

    def exec_module(self, module) -> None:
        module.__indirect__ = self.indirect
        super().exec_module(module)  # type: ignore[misc]


# typeshed's SourceFileLoader itself needs a type: ignore[misc] (its bases SourceLoader and InspectLoader declare
# source_to_code differently); every subclass inherits the conflict
class IndirectSourceFileLoader(_Indirect, _machinery.SourceFileLoader):  # type: ignore[misc]
    """CPython's ``SourceFileLoader`` for a source file a ``.ref`` file led to."""


class IndirectSourcelessFileLoader(_Indirect, _machinery.SourcelessFileLoader):
    """CPython's ``SourcelessFileLoader`` for a ``.pyc`` file a ``.ref`` file led to."""


class IndirectExtensionFileLoader(_Indirect, _machinery.ExtensionFileLoader):
    """CPython's ``ExtensionFileLoader`` for an extension module a ``.ref`` file led to."""


class IndirectNamespaceLoader(_Indirect, _machinery.NamespaceLoader):
    """CPython's ``NamespaceLoader`` for a namespace package with a portion a ``.ref`` file led to; as CPython
    does for namespace packages, ``__file__`` is None."""

    #: the spec's ``submodule_search_locations``, a list or the finder's ``_NamespacePath`` (set by
    #: ``set_indirect``: ``NamespaceLoader.__init__`` is not run)
    _path: Iterable[str] | None

    def exec_module(self, module) -> None:
        if getattr(module, "__file__", None) is None:
            module.__file__ = None
        super().exec_module(module)


# -- namespace packages with a portion in a mount or a bundle -------------------------------------------------

#: the locations of portions that are no directory of the filesystem: a mount's, a bundle's
_OWN_PORTIONS = ("memory:", "bundle:")


def has_own_portion(locations) -> bool:
    """Whether a namespace package's locations hold a mount's or a bundle's portion."""
    return any(isinstance(p, str) and p.startswith(_OWN_PORTIONS) for p in locations)


def read_portions(spec: ModuleSpec, runtime, locations) -> ModuleSpec:
    """Gives namespace spec ``spec`` (made by the ``sys.meta_path`` finder for the import system) a
    ``MountNamespaceLoader`` when ``locations`` hold a mount's or a bundle's portion. Only there: a namespace
    spec keeps ``loader`` None everywhere else, as CPython's do (``_NamespacePath`` takes a recalculated path only
    from a spec without a loader, and ``PathFinder`` collects portions only from entry finders' specs without
    one)."""
    if has_own_portion(locations):
        spec.loader = MountNamespaceLoader(spec, runtime)
    return spec


class MountNamespaceLoader(_machinery.NamespaceLoader):
    """CPython's ``NamespaceLoader`` for a namespace package with a portion in a mount or a bundle
    (``memory:/op/data``, ``bundle:/app/ns``): CPython's ``NamespaceReader`` takes only directories of the
    filesystem (``MultiplexedPath only supports directories``), so ``get_resource_reader`` gives a reader over
    every portion (``_portions.PortionsPath``). Its path is the spec's ``submodule_search_locations``, read when asked (a
    ``_NamespacePath`` recomputes); as CPython does for namespace packages, ``__file__`` is None."""

    def __init__(self, spec: ModuleSpec, runtime) -> None:  # noqa: D107 - NamespaceLoader's own __init__ not run
        self._spec = spec
        self._runtime = runtime

    @property
    def _path(self):
        return self._spec.submodule_search_locations

    def exec_module(self, module) -> None:
        if getattr(module, "__file__", None) is None:
            module.__file__ = None
        super().exec_module(module)

    def get_resource_reader(self, module=None):
        locations = list(self._path)
        if not has_own_portion(locations):  # only directories (now): CPython's own reader
            return super().get_resource_reader(module)
        from ._portions import PortionsReader  # importlib.resources' machinery, loaded only when asked for

        return PortionsReader(self._runtime, self._spec.name, locations)


def set_indirect(spec: ModuleSpec, indirect) -> ModuleSpec:
    """Gives the file spec ``spec`` (made by the ``sys.meta_path`` finder) a loader that sets
    ``__indirect__`` (the chain of ``.ref`` files that led to it), of the same kind as its loader; for a
    namespace package (``indirect`` a dict, one chain per portion) an ``IndirectNamespaceLoader`` over its
    ``submodule_search_locations``."""
    loader: (IndirectNamespaceLoader | IndirectExtensionFileLoader | IndirectSourcelessFileLoader
             | IndirectSourceFileLoader)
    if spec.loader is None:
        loader = IndirectNamespaceLoader.__new__(IndirectNamespaceLoader)
        loader._path = spec.submodule_search_locations
    else:
        for base, cls in (
            (_machinery.ExtensionFileLoader, IndirectExtensionFileLoader),
            (_machinery.SourcelessFileLoader, IndirectSourcelessFileLoader),
            (_machinery.SourceFileLoader, IndirectSourceFileLoader),
        ):
            if isinstance(spec.loader, base):
                assert spec.origin is not None  # the finder's file specs have their file as origin
                loader = cls(spec.name, spec.origin)
                break
        else:
            return spec
    loader.indirect = indirect
    spec.loader = loader
    return spec


#: ik_kind -> the loader class of a file of that kind
FILE_LOADERS: dict[int, type[SourceFileLoader] | type[SourcelessFileLoader] | type[ExtensionFileLoader]] = {
    _ffi.IK_KIND_SOURCE: SourceFileLoader,
    _ffi.IK_KIND_BYTECODE: SourcelessFileLoader,
    _ffi.IK_KIND_EXTENSION: ExtensionFileLoader,
}

_CACHE_TAG = sys.implementation.cache_tag


def cached_for(kind: int, file: str, from_importkit: str | None) -> str | None:
    """``__cached__`` of a file of ``kind``: importkit's answer when it is what CPython computes now (no
    ``sys.pycache_prefix``, no ``-O``, importkit's ``cpython-311`` tag), else CPython's own computation."""
    if kind == _ffi.IK_KIND_SOURCE:
        if from_importkit is not None and sys.pycache_prefix is None and not sys.flags.optimize \
                and _CACHE_TAG == "cpython-311":
            return from_importkit
        if _CACHE_TAG is None:
            return None
        try:  # never an import here: this runs inside the sys.meta_path finder
            return _bx.cache_from_source(file)
        except NotImplementedError:
            return None
    if kind == _ffi.IK_KIND_BYTECODE:
        return file
    return None


def module_spec(spec, runtime=None) -> ModuleSpec:
    """The ``ModuleSpec`` (with a loader of importkit's) for an importkit ``Spec``. ``runtime`` gives mounted
    trees and natives their loader."""
    kind = spec.kind
    name = spec.name
    if kind == _ffi.IK_KIND_NAMESPACE:
        ms = ModuleSpec(name, None, is_package=True)
        ms.submodule_search_locations = list(spec.locations)
        ms.loader_state = spec
        return ms
    loader: _Loader | None = None
    if kind == _ffi.IK_KIND_NATIVE:
        factory = runtime._native_factories.get(name) if runtime is not None else None
        loader = NativeLoader(name, factory) if factory is not None else None
        ms = ModuleSpec(name, loader, origin=spec.origin, loader_state=spec, is_package=spec.is_package)
    elif spec.origin.startswith("memory:") and runtime is not None:
        from .memory import MountLoader, code_filename, tree_path

        path = tree_path(spec.origin) or ""
        loader = MountLoader(runtime._tree, name, path, code_filename(spec), spec.is_package, spec.file,
                             runtime._virtual_root, bytecode=kind == _ffi.IK_KIND_BYTECODE)
        ms = ModuleSpec(name, loader, origin=spec.file or spec.origin, loader_state=spec,
                        is_package=spec.is_package)
        ms.has_location = spec.file is not None
    elif spec.origin.startswith("bundle:") and runtime is not None:
        from .memory import BundleLoader, code_filename

        loader = BundleLoader(runtime, name, spec.origin[len("bundle:"):].strip("/"), code_filename(spec),
                              spec.is_package, spec.file, runtime._virtual_root,
                              bytecode=kind == _ffi.IK_KIND_BYTECODE)
        ms = ModuleSpec(name, loader, origin=spec.file or spec.origin, loader_state=spec,
                        is_package=spec.is_package)
        ms.has_location = spec.file is not None
    elif spec.file is not None and kind in FILE_LOADERS and not spec.origin.startswith(("host:", "hook:")):
        loader = FILE_LOADERS[kind](name, spec.file)
        ms = ModuleSpec(name, loader, origin=spec.file, loader_state=spec, is_package=spec.is_package)
        ms.has_location = True
        ms.cached = cached_for(kind, spec.file, spec.cached)
    else:
        # a host finder's or path hook's module: bytes it gave (set by the executor), or its file
        from .memory import SourceBytesLoader, code_filename

        loader = SourceBytesLoader(name, code_filename(spec), None, spec.is_package, spec.file,
                                   bytecode=kind == _ffi.IK_KIND_BYTECODE)
        ms = ModuleSpec(name, loader, origin=spec.file or spec.origin, loader_state=spec,
                        is_package=spec.is_package)
        ms.has_location = spec.file is not None
    if spec.is_package:
        ms.submodule_search_locations = list(spec.locations)
    return ms
