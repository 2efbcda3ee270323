"""Modules that are not files: mounted trees, natives and what host finders hand over as bytes.

- ``MountTree`` (in ``_tree``): the Python side of a runtime's mounted trees. The binding passes the bytes to
  importkit borrowed (``IK_MOUNT_BORROW``), so it keeps them anyway; the tree answers ``get_source``,
  ``get_data`` and ``importlib.resources`` from the same objects.
- ``MountLoader``: the loader of a mounted module (``importlib.abc.InspectLoader``): ``exec_module``,
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

import errno
import linecache
import marshal
import posixpath
from importlib import _bootstrap_external as _bx
from importlib import abc as _abc

from ._tree import MEMORY_SCHEME, MountTree, ReadOnlyFile, tree_path
from .loaders import code_object

__all__ = ["BundleLoader", "MountLoader", "MountReader", "MountTree", "MountedPath", "RuntimePath", "RuntimeReader",
           "SourceBytesLoader"]

try:  # Python 3.11+
    from importlib.resources.abc import Traversable, TraversableResources
except ImportError:  # pragma: no cover - Python 3.9/3.10
    from importlib.abc import Traversable, TraversableResources  # type: ignore[no-redef]


def _magic() -> bytes:
    return _bx.MAGIC_NUMBER


# -- resources ---------------------------------------------------------------------------------------------------


class MountedPath(ReadOnlyFile, Traversable):
    """A file or directory of a mounted tree, as ``importlib.resources`` traverses it (a ``Traversable``)."""

    _what = "mounted files"

    def __init__(self, tree: MountTree, path: str) -> None:
        self._tree = tree
        self._path = path.strip("/")

    def __repr__(self) -> str:
        return f"MountedPath({MEMORY_SCHEME}/{self._path!s})"

    def __str__(self) -> str:
        return f"{MEMORY_SCHEME}/{self._path}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MountedPath) and other._tree is self._tree and other._path == self._path

    def __hash__(self) -> int:
        return hash((id(self._tree), self._path))

    @property
    def name(self) -> str:
        return posixpath.basename(self._path)

    def is_file(self) -> bool:
        return self._tree.get(self._path) is not None

    def is_dir(self) -> bool:
        return self._tree.is_dir(self._path)

    def exists(self) -> bool:
        return self.is_file() or self.is_dir()

    def iterdir(self):
        if not self.is_dir():
            raise NotADirectoryError(str(self))
        for child in self._tree.children(self._path):
            yield MountedPath(self._tree, posixpath.join(self._path, child))

    def joinpath(self, *descendants) -> MountedPath:
        path = self._path
        for d in descendants:
            for part in str(d).split("/"):
                if part in ("", "."):
                    continue
                if part == "..":
                    path = posixpath.dirname(path)
                else:
                    path = posixpath.join(path, part) if path else part
        return MountedPath(self._tree, path)

    def __truediv__(self, child) -> MountedPath:
        return self.joinpath(child)

    def read_bytes(self) -> bytes:
        data = self._tree.get(self._path)
        if data is None:
            raise (IsADirectoryError if self.is_dir() else FileNotFoundError)(str(self))
        return data



class MountReader(TraversableResources):
    """``get_resource_reader`` of a mounted package: its directory of the mounted tree."""

    def __init__(self, tree: MountTree, directory: str) -> None:
        self._files = MountedPath(tree, directory)

    def files(self) -> MountedPath:
        return self._files


# -- loaders -----------------------------------------------------------------------------------------------------


class SourceBytesLoader(_abc.InspectLoader):
    """Loads a module from bytes held in memory: Python source, or compiled code (``.pyc`` bytes, checked for
    the interpreter's magic number). ``filename`` is what the code is compiled with (``co_filename``);
    ``file`` is the module's ``__file__`` or None."""

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
        return MountReader(self.tree, posixpath.dirname(self.path))

    def files(self) -> MountedPath:
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


BUNDLE_SCHEME = "bundle:"


class RuntimePath(ReadOnlyFile, Traversable):
    """A file or directory inside package ``package`` of a runtime (``rel``: a relative ``/`` path, ``""`` for
    the package's directory), read through the runtime (``Runtime.read_resource``, ``Runtime.resources``), from
    whichever source serves the package: a bundle's resources as ``importlib.resources`` traverses them. A
    directory below the package is listed as the package (or namespace package) of that name."""

    _what = "bundled files"

    def __init__(self, runtime, package: str, rel: str = "") -> None:
        self._runtime = runtime
        self._package = package
        self._rel = posixpath.normpath(rel).strip("/") if rel else ""
        if self._rel == ".":
            self._rel = ""

    def __repr__(self) -> str:
        return f"RuntimePath({self._package!r}, {self._rel!r})"

    def __str__(self) -> str:
        root = self._runtime._virtual_root
        base = self._package.replace(".", "/")
        inner = f"{base}/{self._rel}" if self._rel else base
        return f"{root}/{inner}" if root is not None else f"{BUNDLE_SCHEME}/{inner}"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, RuntimePath) and other._runtime is self._runtime
                and (other._package, other._rel) == (self._package, self._rel))

    def __hash__(self) -> int:
        return hash((id(self._runtime), self._package, self._rel))

    @property
    def name(self) -> str:
        return posixpath.basename(self._rel) if self._rel else self._package.rpartition(".")[2]

    def _outside(self) -> bool:
        """Whether the path leads out of the package's directory (a ``..`` segment; ``..x`` is a name)."""
        return self._rel == ".." or self._rel.startswith("../")

    def _listing(self) -> list[str] | None:
        """The names in this directory, when the runtime can list it: the package's own directory, or one below
        it whose path names a package (``data/sub``: ``pkg.data.sub``); None for anything else, which includes
        a directory with a ``.`` in its path (``v1.0``, ``en_US.UTF-8``: no package has that name, and
        ``pkg.v1.0`` would be ``v1/0``)."""
        from .errors import ImportKitError

        if self._outside() or any("." in part for part in self._rel.split("/")):
            return None
        dotted = self._package + ("." + self._rel.replace("/", ".") if self._rel else "")
        try:
            return self._runtime.resources(dotted)
        except (ImportKitError, ValueError):
            return None

    def _listed_in_parent(self) -> bool | None:
        """Whether the directory holding this path lists its name; None when that directory cannot be listed."""
        names = RuntimePath(self._runtime, self._package, posixpath.dirname(self._rel))._listing()
        return None if names is None else self.name in names

    def is_dir(self) -> bool:
        if not self._rel:
            return True
        try:
            self.read_bytes()
        except IsADirectoryError:
            return True
        except FileNotFoundError:
            return False
        return False

    def is_file(self) -> bool:
        try:
            self.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return False
        return True

    def exists(self) -> bool:
        return self.is_file() or self.is_dir()

    def iterdir(self):
        names = self._listing()
        if names is None:
            if self._rel and not self._outside() and self.is_dir():
                raise OSError(errno.EOPNOTSUPP, f"{self}: a directory whose path names no package (a '.' in "
                                                "it, a name that is no identifier) cannot be listed: the runtime "
                                                "lists packages' directories; its files are read by name",
                                                str(self))
            raise NotADirectoryError(str(self))
        if self._rel and self.is_file():
            raise NotADirectoryError(str(self))
        for child in names:
            yield RuntimePath(self._runtime, self._package, posixpath.join(self._rel, child))

    def joinpath(self, *descendants) -> RuntimePath:
        return RuntimePath(self._runtime, self._package, posixpath.join(self._rel, *(str(d) for d in descendants)))

    def __truediv__(self, child) -> RuntimePath:
        return self.joinpath(child)

    def read_bytes(self) -> bytes:
        """The file's bytes. Only "not there" (and a path no file can have) is ``FileNotFoundError`` (or
        ``IsADirectoryError``); any other failure of the runtime (a blob failing its CRC check: the bundle is
        corrupt) is raised as the runtime raised it, as ``Runtime.read_resource`` and ``get_data`` raise it, and
        so are ``is_file()`` and ``exists()`` (as ``pathlib`` lets ``PermissionError`` through)."""
        from .errors import InvalidArgumentError, NotFoundError

        if not self._rel:
            raise IsADirectoryError(str(self))
        if self._outside():
            raise FileNotFoundError(f"{self}: outside the package")
        try:
            return self._runtime.read_resource(self._package, self._rel)
        except (NotFoundError, InvalidArgumentError, ValueError):
            pass
        # not a file: a directory when the directory holding it lists it (or it lists as a package itself)
        listed = self._listed_in_parent()
        if listed is None:
            listed = self._listing() is not None
        raise (IsADirectoryError if listed else FileNotFoundError)(f"{self}: no such resource")



class RuntimeReader(TraversableResources):
    """``get_resource_reader`` of a bundled package: ``files()`` is its ``RuntimePath``."""

    def __init__(self, runtime, package: str) -> None:
        self._files = RuntimePath(runtime, package)

    def files(self) -> RuntimePath:
        return self._files


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
