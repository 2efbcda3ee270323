"""The Python side of a runtime's mounted trees (``MountTree``): light, so that making a runtime imports
nothing heavy; the loaders and ``importlib.resources`` support of mounted modules are in ``memory``."""

from __future__ import annotations

from _thread import allocate_lock

MEMORY_SCHEME = "memory:"
BUNDLE_SCHEME = "bundle:"


def tree_path(location: str) -> str | None:
    """``memory:/game/core.py`` -> ``game/core.py`` (``memory:/`` -> ``""``); None for other schemes."""
    if not location.startswith(MEMORY_SCHEME):
        return None
    return location[len(MEMORY_SCHEME) :].strip("/")


class ReadOnlyFile:
    """``read_text`` and ``open`` of a read-only ``Traversable`` made from its ``read_bytes`` (mounted files,
    bundles' files): text is UTF-8 unless an encoding is given, and only reading modes are taken (``_what``
    names the files in the error)."""

    _what = "these files"

    def read_text(self, encoding: str | None = None, errors: str | None = None) -> str:
        return self.read_bytes().decode(encoding or "utf-8", errors or "strict")  # type: ignore[attr-defined]

    def open(self, mode: str = "r", *args, **kwargs):
        import io

        if mode not in ("r", "rb", "rt"):
            raise ValueError(f"{self._what} are read-only: mode {mode!r}")
        stream = io.BytesIO(self.read_bytes())  # type: ignore[attr-defined]
        if mode == "rb":
            return stream
        if args and "encoding" not in kwargs:
            kwargs["encoding"] = args[0]
        if kwargs.get("encoding") is None:
            kwargs["encoding"] = "utf-8"
        return io.TextIOWrapper(stream, **kwargs)


class _Mount:
    __slots__ = ("point", "files", "dirs", "id", "bundle")

    def __init__(self, point: str, files: dict[str, bytes], mount_id: int, bundle: bool = False) -> None:
        self.point = point
        self.id = mount_id
        self.bundle = bundle  # a bundle: its files are importkit's, not held here
        prefix = point + "/" if point else ""
        self.files = {prefix + path: data for path, data in files.items()}
        dirs = {""}
        for path in self.files:
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:i]))
        self.dirs = frozenset(dirs)


class MountTree:
    """Every tree mounted on one runtime, as one logical tree (as importkit sees them): tree paths
    (``game/core.py``) -> bytes. Earlier mounts win where two hold the same path. Changes replace the list of
    mounts as a whole, so readers never lock."""

    def __init__(self) -> None:
        self._lock = allocate_lock()
        self._mounts: tuple[_Mount, ...] = ()
        #: top-level module names the mounts may provide (``install()`` asks importkit's finders for them)
        self.top_names: frozenset[str] = frozenset()
        #: whether a bundle is mounted at the root (its top-level names are not known here)
        self.root_bundle = False

    def add(self, point: str, files: dict[str, bytes], mount_id: int, replace: bool, bundle: bool = False) -> None:
        mount = _Mount(point, files, mount_id, bundle)
        with self._lock:
            mounts = list(self._mounts)
            for i, m in enumerate(mounts):
                if m.point == point and replace:
                    mounts[i] = mount
                    break
            else:
                mounts.append(mount)
            self._set(mounts)

    def remove(self, point: str) -> None:
        with self._lock:
            self._set([m for m in self._mounts if m.point != point])

    def _set(self, mounts: list[_Mount]) -> None:
        self._mounts = tuple(mounts)
        self.root_bundle = any(m.bundle and not m.point for m in mounts)
        names = set()
        for m in mounts:
            if m.point:
                names.add(m.point)
                continue
            for path in m.files:
                head, sep, _ = path.partition("/")
                names.add(head if sep else head.partition(".")[0])
        self.top_names = frozenset(names)

    @property
    def points(self) -> list[str]:
        return [m.point for m in self._mounts]

    def get(self, path: str) -> bytes | None:
        for m in self._mounts:
            data = m.files.get(path)
            if data is not None:
                return data
        return None

    def is_dir(self, path: str) -> bool:
        return any(path in m.dirs for m in self._mounts)

    def children(self, path: str) -> list[str]:
        """Names directly inside directory ``path``, sorted."""
        prefix = path + "/" if path else ""
        out = set()
        for m in self._mounts:
            for p in list(m.files) + list(m.dirs):
                if p and p.startswith(prefix) and p != path:
                    out.add(p[len(prefix) :].split("/", 1)[0])
        return sorted(out)
