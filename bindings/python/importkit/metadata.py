"""``importlib.metadata`` over memory mounts and bundles: the distributions whose ``*.dist-info`` or
``*.egg-info`` directory a mount or a bundle holds (docs/SEMANTICS.md, *Distributions*).

``MountedDistribution`` is an ``importlib.metadata.Distribution``: everything of the base class works on it
(``metadata``, ``version``, ``name``, ``entry_points``, ``files``, ``requires``, ``read_text``, ``locate_file``)
because it answers the two questions the base class asks, ``read_text(filename)`` (a file of its metadata
directory, read through ``Runtime.read_file``) and ``locate_file(path)`` (a ``TreeFile``: a file of the tree of
mounts, relative to the directory holding the metadata directory, as a site-packages directory holds it).

``find_distributions(runtime, context)`` applies ``DistributionFinder.Context``'s semantics: ``name`` None
gives every distribution, a name only those whose directory names it (compared normalised, as PEP 503 and
``importlib.metadata`` compare them); ``path`` is where to look: the mounts and bundles are searched when it is
``sys.path`` (the default) or holds an entry of importkit's own (``memory:/...``, ``bundle:/...``, or under the
runtime's virtual root), never for other explicit paths, which name directories of the filesystem.

This module imports ``importlib.metadata`` (and so ``email``, ``csv``...): it is loaded only when a program
asks for distributions, never by ``import importkit``.
"""

from __future__ import annotations

import posixpath
import re
import sys
from importlib.metadata import Distribution, DistributionFinder

try:  # Python 3.11+
    from importlib.resources.abc import Traversable
except ImportError:  # pragma: no cover - Python 3.9/3.10
    from importlib.abc import Traversable  # type: ignore[no-redef]

from ._tree import ReadOnlyFile
from .errors import InvalidArgumentError, NotFoundError

__all__ = ["MountedDistribution", "TreeFile", "find_distributions", "normalize"]

_METADATA_SUFFIXES = (".dist-info", ".egg-info")
_OWN_ENTRIES = ("memory:", "bundle:")


def normalize(name: str) -> str:
    """A distribution name as names are compared (PEP 503, with ``_``): ``Foo.Bar-baz`` -> ``foo_bar_baz``."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _name_of(directory: str) -> str:
    """The distribution name a metadata directory's name gives: ``foo_bar-1.0.dist-info`` -> ``foo_bar``."""
    stem = posixpath.basename(directory)
    for suffix in _METADATA_SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return stem.partition("-")[0]


def _searches_mounts(runtime, path) -> bool:
    if path is sys.path:
        return True
    entries = list(path)
    if entries == sys.path:
        return True
    root = runtime._virtual_root
    for entry in entries:
        if not isinstance(entry, str):
            continue
        if entry.startswith(_OWN_ENTRIES) or (root is not None and (entry == root or entry.startswith(root + "/"))):
            return True
    return False


def find_distributions(runtime, context=None) -> list[MountedDistribution]:
    """The distributions of the runtime's mounts and bundles that ``context`` asks for (see the module
    docstring), in meta path order."""
    if context is None:
        context = DistributionFinder.Context()
    path = context.path
    if path is not sys.path and iter(path) is path:
        # a one-shot iterator (``distributions(path=iter(...))``): read once here, so the finders after this one
        # (PathFinder) are handed the same entries, not an exhausted iterator
        path = list(path)
        try:
            vars(context)["path"] = path
        except TypeError:  # a context without a __dict__
            context.path = path
    if not _searches_mounts(runtime, path):
        return []
    wanted = None if context.name is None else normalize(context.name)
    return [
        MountedDistribution(runtime, d)
        for d in runtime.distributions()
        if wanted is None or normalize(_name_of(d)) == wanted
    ]


class MountedDistribution(Distribution):
    """A distribution whose metadata directory (``directory``: its path in the tree of mounts,
    ``foo-1.0.dist-info`` or ``app/foo-1.0.dist-info``) a mount or a bundle of ``runtime`` holds."""

    def __init__(self, runtime, directory: str) -> None:
        self._runtime = runtime
        self._directory = directory

    def __repr__(self) -> str:
        return f"<MountedDistribution {self._directory!r}>"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, MountedDistribution) and other._runtime is self._runtime
                and other._directory == self._directory)

    def __hash__(self) -> int:
        return hash((id(self._runtime), self._directory))

    @property
    def _normalized_name(self) -> str:
        """The normalised name ``importlib.metadata`` tells distributions apart by (``entry_points()``,
        ``packages_distributions()``): from the metadata directory's name, as CPython's ``PathDistribution``
        takes it, so a METADATA without ``Name`` breaks nothing; else from ``Name``; else ``""``, where CPython's
        base class would raise TypeError (a directory named ``-1.0.dist-info`` without a Name)."""
        stem = _name_of(self._directory)
        if stem:
            return normalize(stem)
        name = self.name
        return normalize(name) if isinstance(name, str) else ""

    @property
    def directory(self) -> str:
        """The metadata directory's path in the tree of mounts."""
        return self._directory

    def read_text(self, filename) -> str | None:
        """The text of file ``filename`` of the metadata directory (``METADATA``, ``RECORD``,
        ``entry_points.txt``), or None when it has none."""
        try:
            data = self._runtime.read_file(f"{self._directory}/{filename}")
        except (NotFoundError, InvalidArgumentError):
            return None
        return data.decode("utf-8")

    def locate_file(self, path) -> TreeFile:
        """The file ``path`` (relative to the directory that holds the metadata directory, as RECORD names
        files) in the tree of mounts."""
        base = posixpath.dirname(self._directory)
        return TreeFile(self._runtime, posixpath.join(base, str(path)) if base else str(path))


class TreeFile(ReadOnlyFile, Traversable):
    """A file of the tree of mounts (a mount's or a bundle's), read through ``Runtime.read_file``: what
    ``MountedDistribution.locate_file`` gives, so that ``PackagePath.read_text()`` works. ``str()`` is its
    virtual path (under the runtime's virtual root) or ``memory:/<path>`` without one."""

    _what = "files of mounts and bundles"

    def __init__(self, runtime, path: str) -> None:
        self._runtime = runtime
        self._path = posixpath.normpath(path).lstrip("/") if path else ""

    def __repr__(self) -> str:
        return f"TreeFile({self._path!r})"

    def __str__(self) -> str:
        root = self._runtime._virtual_root
        if root is None:
            return f"memory:/{self._path}"
        return f"{root}/{self._path}" if self._path else root  # the top of the tree: no '/' after it

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TreeFile) and other._runtime is self._runtime and other._path == self._path

    def __hash__(self) -> int:
        return hash((id(self._runtime), self._path))

    @property
    def name(self) -> str:
        return posixpath.basename(self._path)

    @property
    def parent(self) -> TreeFile:
        return TreeFile(self._runtime, posixpath.dirname(self._path))

    def joinpath(self, *descendants) -> TreeFile:
        return TreeFile(self._runtime, posixpath.join(self._path, *(str(d) for d in descendants)))

    def __truediv__(self, child) -> TreeFile:
        return self.joinpath(child)

    def read_bytes(self) -> bytes:
        if not self._path or self._path == ".." or self._path.startswith("../"):
            raise FileNotFoundError(f"{self}: outside the tree of mounts")
        try:
            return self._runtime.read_file(self._path)
        except (NotFoundError, InvalidArgumentError):
            raise FileNotFoundError(f"{self}: no mount or bundle holds this file") from None


    def exists(self) -> bool:
        return self.is_file()

    def is_file(self) -> bool:
        try:
            self.read_bytes()
        except FileNotFoundError:
            return False
        return True

    def is_dir(self) -> bool:
        return False

    def iterdir(self):
        raise NotADirectoryError(f"{self}: a TreeFile lists no directory")
