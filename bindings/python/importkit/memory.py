"""Modules that are not files: mounted trees, natives and what host finders hand over as bytes.

- ``MountTree`` (in ``_tree``): the Python side of a runtime's mounted trees. The binding passes the bytes to
  importkit borrowed (``IK_MOUNT_BORROW``), so it keeps them anyway; the tree answers ``get_source``,
  ``get_data`` and ``importlib.resources`` from the same objects.
- ``MountLoader``: the loader of a mounted module (what ``importlib.abc.InspectLoader`` answers, as
  ``zipimporter`` does, without deriving from it: ``isinstance(loader, importlib.abc.InspectLoader)`` is
  False, since deriving would import ``importlib.resources`` at every mount): ``exec_module``,
  ``get_code``/``get_source``/``is_package`` (so ``linecache``, tracebacks and ``inspect`` show the mounted
  text), ``get_filename`` and ``get_data`` (only when the runtime has a virtual root, which gives mounted
  modules a file path), and ``get_resource_reader``/``files()`` over the mounted tree
  (``importlib.resources.files("game").joinpath("data/level.txt").read_text()``).
- ``SourceBytesLoader``: a module whose bytes a host finder or path hook gave (``Found(source=...)``).

The code of a module that is not a file is compiled with its virtual file (``<root>/game/core.py``) as filename
when the runtime has a virtual root, else with its origin (``memory:/game/core.py``); the loader registers that
name with ``linecache`` lazily, so tracebacks show the source even for modules outside ``sys.modules``.
"""

from __future__ import annotations

import linecache
import marshal
import posixpath
from importlib import _bootstrap_external as _bx
from importlib._abc import Loader as _Loader  # importlib.abc.Loader, without importing importlib.abc

from ._tree import BUNDLE_SCHEME, MEMORY_SCHEME, MountTree, tree_path
from .loaders import code_object

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._resources import MountedPath, MountReader, RuntimePath, RuntimeReader

__all__ = ["BundleLoader", "MountLoader", "MountReader", "MountTree", "MountedPath", "RuntimePath", "RuntimeReader",
           "SourceBytesLoader"]

#: What ``importlib.resources`` traverses lives in ``_resources``, imported when a program first asks for
#: resources (it needs ``importlib.resources``, whose loading pulls in tempfile, pathlib, shutil... : about 12
#: ms a process, paid then, from wherever the program's modules come from, not when a tree is mounted).
_RESOURCES = ("MountedPath", "MountReader", "RuntimePath", "RuntimeReader")


def __getattr__(name: str):
    if name in _RESOURCES:
        from . import _resources

        return getattr(_resources, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _magic() -> bytes:
    return _bx.MAGIC_NUMBER


class SourceBytesLoader(_Loader):
    """Loads a module from bytes held in memory: Python source, or compiled code (``.pyc`` bytes, checked for
    the interpreter's magic number). ``filename`` is what the code is compiled with (``co_filename``);
    ``file`` is the module's ``__file__`` or None. It answers what ``importlib.abc.InspectLoader`` does
    (``is_package``, ``get_source``, ``get_code``, ``source_to_code``, ``exec_module``), as CPython's
    ``zipimporter`` does, without deriving from it (importing ``importlib.abc`` loads ``importlib.resources``)."""

    def __init__(self, name: str, filename: str, data: bytes | None, is_package: bool, file: str | None = None,
                 bytecode: bool = False) -> None:
        self.name = name
        self.filename = filename
        self.file = file
        self._data = data
        self._package = is_package
        self._bytecode = bytecode

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __hash__(self) -> int:
        return hash((type(self), self.name, self.filename))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} from {self.filename!r}>"

    def data(self) -> bytes:
        if self._data is None:
            if self.file is None:
                raise ImportError(f"no bytes for module {self.name!r}", name=self.name)
            with open(self.file, "rb") as f:
                self._data = f.read()
        return self._data

    def _check(self, fullname: str | None) -> None:
        # "__main__": the module run as the program (``python -m``, runpy), whose globals linecache asks with
        # that name (Python 3.11's linecache.lazycache passes ``__name__``, not ``__spec__.name``)
        if fullname is not None and fullname != self.name and fullname != "__main__":
            raise ImportError(f"loader for {self.name!r} cannot handle {fullname!r}", name=fullname)

    def is_package(self, fullname: str) -> bool:
        self._check(fullname)
        return self._package

    def get_source(self, fullname: str) -> str | None:
        self._check(fullname)
        if self._bytecode:
            return None
        return _bx.decode_source(self.data())

    def get_code(self, fullname: str):
        self._check(fullname)
        return self._code(self.data())

    def _code(self, data: bytes):
        """The code object of the module's bytes: its ``.pyc`` (bytecode), else its source compiled."""
        if self._bytecode:
            if len(data) < 16 or data[:4] != _magic():
                raise ImportError(f"bad magic number in {self.filename!r}", name=self.name, path=self.filename)
            return marshal.loads(memoryview(data)[16:])
        # bytes, not str: compile() honours a PEP 263 coding line and a BOM, as CPython's loaders do
        return compile(data, self.filename, "exec", dont_inherit=True)

    @staticmethod
    def source_to_code(data, path="<string>"):
        """``InspectLoader.source_to_code``: code compiled from source bytes or text."""
        return compile(data, path, "exec", dont_inherit=True)

    def exec_module(self, module) -> None:
        code = self.get_code(module.__name__)
        if not self._bytecode:
            # tracebacks and inspect find the text of modules that are not files (lazily, through get_source);
            # the last module executed under a filename wins (two runtimes may mount the same origin)
            linecache.cache.pop(self.filename, None)
            linecache.lazycache(self.filename, module.__dict__)
        exec(code, module.__dict__)  # noqa: S102 - executing the module is the loader's job

    def get_filename(self, fullname: str) -> str:
        self._check(fullname)
        if self.file is None:
            raise ImportError(f"module {self.name!r} has no file", name=self.name)
        return self.file


class MountLoader(SourceBytesLoader):
    """The loader of a module of a mounted tree (see the module docstring). ``path`` is its tree path
    (``game/core.py``); ``root`` the runtime's virtual root (None: no files)."""

    def __init__(self, tree: MountTree, name: str, path: str, filename: str, is_package: bool,
                 file: str | None, root: str | None, bytecode: bool = False) -> None:
        super().__init__(name, filename, None, is_package, file, bytecode)
        self.tree = tree
        self.path = path
        self.root = root

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and other.tree is self.tree and other.name == self.name
                and other.path == self.path)

    def __hash__(self) -> int:
        return hash((type(self), self.name, self.path))

    def data(self) -> bytes:
        data = self.tree.get(self.path)
        if data is None:
            raise ImportError(f"{MEMORY_SCHEME}/{self.path} is no longer mounted", name=self.name)
        return data

    def _tree_path(self, path: str) -> str | None:
        path = str(path)
        inner = tree_path(path)
        if inner is not None:
            return inner
        if self.root is not None:
            root = self.root.rstrip("/") + "/"
            if path.startswith(root):
                return posixpath.normpath(path[len(root) :]).strip("/")
        return None

    def get_data(self, path: str) -> bytes:
        """The bytes of a mounted file, by its virtual path (under the virtual root) or ``memory:/...``."""
        inner = self._tree_path(path)
        data = None if inner is None else self.tree.get(inner)
        if data is None:
            raise FileNotFoundError(f"{path}: not a mounted file")
        return data

    def get_resource_reader(self, fullname: str | None = None) -> MountReader:
        from ._resources import MountReader

        return MountReader(self.tree, posixpath.dirname(self.path))

    def files(self) -> MountedPath:
        from ._resources import MountedPath

        return MountedPath(self.tree, posixpath.dirname(self.path))


class BundleLoader(SourceBytesLoader):
    """The loader of a module of a mounted bundle, read through the runtime when it executes
    (``Runtime.get_code``: checked blob by blob). When the bundle has the module's code for the runtime's cache
    tag (``sys.implementation.cache_tag``: what ``python -m importkit freeze`` stores), ``get_code`` is that
    code, unmarshalled, its ``co_filename`` made ``filename``; else the source is compiled as ``filename``.
    ``get_source`` is the module's source file in the bundle either way (``Runtime.read_file``), so tracebacks
    and ``linecache`` show its lines. ``get_data`` reads a file of the bundle by its virtual path (under the
    runtime's virtual root) or ``bundle:/...``. ``path`` is the module's path in the tree of mounts
    (``app/core.py``)."""

    def __init__(self, runtime, name: str, path: str, filename: str, is_package: bool, file: str | None,
                 root: str | None, bytecode: bool = False) -> None:
        super().__init__(name, filename, None, is_package, file, bytecode)
        self.runtime = runtime
        self.path = path
        self.root = root

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and other.runtime is self.runtime
                and other.name == self.name and other.path == self.path)

    def __hash__(self) -> int:
        return hash((type(self), self.name, self.path))

    def data(self) -> bytes:
        """The module's file in the bundle (its source; a ``.pyc`` for a module of kind bytecode), read each time
        (``Runtime.read_file``), unless the executor handed the loader its bytes."""
        if self._data is not None:
            return self._data
        from .errors import InvalidArgumentError, NotFoundError

        try:
            return self.runtime.read_file(self.path)
        except (NotFoundError, InvalidArgumentError):
            raise ImportError(f"module {self.name!r} ({BUNDLE_SCHEME}/{self.path}) has no file in the bundle",
                              name=self.name) from None

    def get_code(self, fullname: str):
        self._check(fullname)
        if self._data is not None:  # bytes the executor handed over (full import mode)
            return self._code(self._data)
        _, data, is_code = self.runtime.get_code(self.name, spec=False)
        if data is None:
            raise ImportError(f"module {self.name!r} ({BUNDLE_SCHEME}/{self.path}) has no bytes", name=self.name)
        if is_code:  # the bundle's code entry for the runtime's cache tag: runs as it is
            return code_object(self.name, data, self.filename)
        return self._code(data)

    def get_resource_reader(self, fullname: str | None = None) -> RuntimeReader | None:
        """``importlib.resources`` of a bundled package: its directory in the bundle, read through the runtime."""
        from ._resources import RuntimeReader

        return RuntimeReader(self.runtime, self.name) if self._package else None

    def get_data(self, path: str) -> bytes:
        """The bytes of a file of the bundle, by its virtual path or ``bundle:/...``."""
        from .errors import InvalidArgumentError, NotFoundError

        inner = virtual_tree_path(str(path), self.root, BUNDLE_SCHEME)
        if inner is None:
            raise FileNotFoundError(f"{path}: not a file of a mounted bundle")
        try:
            return self.runtime.read_file(inner)
        except (NotFoundError, InvalidArgumentError):
            raise FileNotFoundError(f"{path}: not a file of a mounted bundle") from None




def virtual_tree_path(path: str, root: str | None, scheme: str) -> str | None:
    """The path in the tree of mounts of ``path``: ``<scheme>/a/b`` or ``<root>/a/b`` (normalised) -> ``a/b``;
    None for a path that is neither."""
    if path.startswith(scheme):
        return path[len(scheme):].strip("/")
    if root is not None:
        prefix = root.rstrip("/") + "/"
        if path.startswith(prefix):
            return posixpath.normpath(path[len(prefix):]).strip("/")
    return None


def code_filename(spec) -> str:
    """What a module that is not a file is compiled as: its (virtual) file, else its origin."""
    return spec.file if spec.file is not None else spec.origin
