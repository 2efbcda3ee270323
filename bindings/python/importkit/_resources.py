"""What ``importlib.resources`` traverses for modules that are not files: ``MountedPath`` and ``MountReader``
over a mounted tree (the binding's own copy of its bytes), ``RuntimePath`` and ``RuntimeReader`` over whatever
serves a package in a runtime (a bundle, a mount: asked through ``ik_runtime_resources`` and
``ik_runtime_read_resource``). Imported when a program first asks for resources (``memory`` and ``loaders``
hand these out), since it needs ``importlib.resources`` itself."""

from __future__ import annotations

import errno
import posixpath

from ._tree import BUNDLE_SCHEME, MEMORY_SCHEME, MountTree, ReadOnlyFile

try:  # Python 3.11+
    from importlib.resources.abc import Traversable, TraversableResources
except ImportError:  # pragma: no cover - Python 3.9/3.10
    from importlib.abc import Traversable, TraversableResources  # type: ignore[no-redef]

__all__ = ["MountReader", "MountedPath", "RuntimePath", "RuntimeReader"]


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
