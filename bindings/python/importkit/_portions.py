"""``importlib.resources`` of a namespace package with a portion in a mount or a bundle
(``loaders.MountNamespaceLoader``): CPython's ``NamespaceReader`` and ``MultiplexedPath`` take only directories
of the filesystem, so these take any ``Traversable`` per portion. Loaded only when a program asks for such a
package's files."""

from __future__ import annotations

import pathlib

try:  # Python 3.11+
    from importlib.resources.abc import Traversable, TraversableResources
except ImportError:  # pragma: no cover - Python 3.9/3.10
    from importlib.abc import Traversable, TraversableResources  # type: ignore[no-redef]

from ._tree import tree_path
from ._resources import MountedPath, RuntimePath


def portion_paths(runtime, name: str, locations: list) -> list:
    """A ``Traversable`` per portion of namespace package ``name``, in order: a mount's (``MountedPath``), the
    bundles' (one ``RuntimePath`` of the package, which reads every portion through the runtime), a
    directory's (``pathlib.Path``; anything else refused as CPython's ``MultiplexedPath`` refuses it)."""
    paths: list = []
    bundled = False
    for location in locations:
        inner = tree_path(location) if isinstance(location, str) else None
        if inner is not None:
            paths.append(MountedPath(runtime._tree, inner))
        elif isinstance(location, str) and location.startswith("bundle:"):
            if not bundled:
                bundled = True
                paths.append(RuntimePath(runtime, name))
        else:
            path = pathlib.Path(location)
            if not path.is_dir():
                raise NotADirectoryError("MultiplexedPath only supports directories")
            paths.append(path)
    return paths


class PortionsPath(Traversable):
    """CPython's ``MultiplexedPath`` over the portions of a namespace package, whatever serves each: a directory
    whose entries are the portions' (the first of each name, in portion order); ``joinpath`` of a name no
    portion has gives the first portion's (a path that does not exist); ``joinpath("a/b")`` walks from the
    portion that has ``a``."""

    def __init__(self, paths: list) -> None:
        if not paths:
            raise FileNotFoundError("MultiplexedPath must contain at least one path")
        self._paths = paths

    def iterdir(self):
        seen = set()
        for path in self._paths:
            for child in path.iterdir():
                if child.name not in seen:
                    seen.add(child.name)
                    yield child

    def joinpath(self, *descendants):
        parts = [part for d in descendants for part in str(d).split("/") if part]
        if not parts:
            return self
        for child in self.iterdir():  # the portion that has the first name walks the rest (as 3.12's)
            if child.name == parts[0]:
                return child.joinpath(*parts[1:]) if parts[1:] else child
        return self._paths[0].joinpath(*parts)

    def __truediv__(self, child):
        return self.joinpath(child)

    def read_bytes(self):
        raise FileNotFoundError(f"{self} is not a file")

    def read_text(self, *args, **kwargs):
        raise FileNotFoundError(f"{self} is not a file")

    def open(self, *args, **kwargs):
        raise FileNotFoundError(f"{self} is not a file")

    def is_dir(self) -> bool:
        return True

    def is_file(self) -> bool:
        return False

    @property
    def name(self) -> str:
        return self._paths[0].name

    def __repr__(self) -> str:
        paths = ", ".join(f"'{path}'" for path in self._paths)
        return f"MultiplexedPath({paths})"


class PortionsReader(TraversableResources):
    """The reader of a namespace package over its portions: ``files()`` is their ``PortionsPath``."""

    def __init__(self, runtime, name: str, locations: list) -> None:
        self._files = PortionsPath(portion_paths(runtime, name, locations))

    def files(self) -> PortionsPath:
        return self._files
