"""The path entry finder of importkit's own locations (``memory:/game``, ``bundle:/app/core``: the ``__path__``
of mounted packages), which ``install()`` puts at the end of ``sys.path_hooks`` so that
``pkgutil.get_importer``, ``pkgutil.iter_modules(pkg.__path__)`` and ``pkgutil.walk_packages`` see mounted
packages as they see zip archives through ``zipimporter``."""

from __future__ import annotations

from .errors import ImportKitError, NotFoundError

#: the schemes of importkit's own locations
SCHEMES = ("memory:", "bundle:")


def package_of(location: str) -> str | None:
    """The package a location of importkit's serves: ``memory:/game/sub`` -> ``game.sub``, the root
    (``memory:/``) -> None (the top level)."""
    for scheme in SCHEMES:
        if location.startswith(scheme):
            inner = location[len(scheme):].strip("/")
            return inner.replace("/", ".") if inner else None
    raise ValueError(f"{location!r} is not a location of importkit's")


class MountEntryFinder:
    """The entry finder of one location of a mount or bundle of ``runtime``: finds and lists the modules
    directly inside its package (``find_spec``, ``iter_modules``, as CPython's ``FileFinder``)."""

    def __init__(self, runtime, location: str) -> None:
        self.runtime = runtime
        self.path = location
        self.package = package_of(location)

    def __repr__(self) -> str:
        return f"<importkit MountEntryFinder {self.path!r}>"

    def find_spec(self, fullname: str, target=None):
        from .loaders import module_spec

        if fullname.rpartition(".")[0] != (self.package or ""):
            return None
        try:
            spec = self.runtime.find_spec(fullname)
        except (NotFoundError, ValueError):
            return None
        if not spec.origin.startswith(SCHEMES) and not spec.origin.startswith("namespace:"):
            return None  # not a mount's or bundle's
        return module_spec(spec, self.runtime)

    def invalidate_caches(self) -> None:
        pass

    def iter_modules(self, prefix: str = ""):
        """``pkgutil.iter_modules`` of this location: ``(prefix + name, ispkg)`` for each module."""
        try:
            infos = self.runtime.iter_modules(self.package)
        except ImportKitError:
            return
        for info in infos:
            if self.package is None and info.name == "__future__":
                continue  # the runtime's own native, not a module of a mount
            yield prefix + info.name, info.ispkg
