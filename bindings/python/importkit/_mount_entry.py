"""The path entry finder of importkit's own locations (``memory:/game``, ``bundle:/app/core``: the ``__path__``
of mounted packages), which ``install()`` puts at the end of ``sys.path_hooks`` so that
``pkgutil.get_importer``, ``pkgutil.iter_modules(pkg.__path__)`` and ``pkgutil.walk_packages`` see mounted
packages as they see zip archives through ``zipimporter``."""

from __future__ import annotations

from importlib import _bootstrap_external as _bx

from .errors import ImportKitError, NotFoundError

# The path hook runs inside imports: no import statement below (a program may have dropped ``os`` from
# sys.modules); the posix module import machinery itself uses.
TYPE_CHECKING = False
if TYPE_CHECKING:  # typeshed does not declare _bx._os: it is posix (nt on Windows), whose functions os has
    import os as _os
else:
    _os = _bx._os
_S_IFMT, _S_IFREG = 0o170000, 0o100000

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


#: the first 8 bytes of every bundle (docs/BUNDLE.md)
BUNDLE_MAGIC = b"IKBUNDL\0"

#: bundle file -> (its stat identity, the private runtime it is mounted in at the root)
_bundles: dict = {}


def bundle_of(entry: str) -> tuple[str, str] | None:
    """For a ``sys.path`` entry that is a bundle file (``/a/app.ikb``) or a directory inside one
    (``/a/app.ikb/pkg``, zipimport's rule): the bundle's path and the prefix inside it; else None."""
    if not entry.startswith("/"):  # a relative entry names the bundle where it is now (zipimporter's rule)
        try:
            entry = _os.getcwd() + "/" + entry
        except OSError:
            return None
    # "." and empty segments out, as zipimporter's absolute path has none ("..", which a symbolic link
    # gives another meaning, is left to the system)
    path, prefix = "/" + "/".join(seg for seg in entry.split("/") if seg not in ("", ".")), ""
    while path:
        try:
            st = _os.stat(path)
        except OSError:
            head, _, tail = path.rpartition("/")
            if not tail or not head:
                return None
            path, prefix = head, (tail + "/" + prefix if prefix else tail)
            continue
        if st.st_mode & _S_IFMT != _S_IFREG:
            return None
        try:
            with open(path, "rb") as f:
                magic = f.read(len(BUNDLE_MAGIC))
        except OSError:
            return None
        return (path, prefix) if magic == BUNDLE_MAGIC else None
    return None


def _bundle_runtime(path: str):
    """The private runtime serving bundle file ``path`` (mounted at its root, with the bundle's path as the
    virtual root: modules' ``__file__`` is ``/a/app.ikb/pkg/mod.py``, as zipimport's), made again when the
    file changed."""
    from .runtime import Profile, Runtime

    st = _os.stat(path)
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    held = _bundles.get(path)
    if held is not None and held[0] == key:
        return held[1]
    profile = Profile.interpreter()
    try:
        profile.set_identifiers("any")
        rt = Runtime(profile)
    finally:
        profile.free()
    rt.set_virtual_root(path)
    rt.mount_bundle(path)
    # The runtime it replaces is not closed: modules imported from it keep reading through their loaders
    # (source, resources) until they go.
    _bundles[path] = (key, rt)
    return rt


class BundleFileFinder:
    """The entry finder of a bundle file on ``sys.path`` (``/a/app.ikb``) or of a package directory inside
    one (``/a/app.ikb/pkg``), as ``zipimporter`` is for a zip: it finds the modules directly in that directory,
    from the bundle's code when it has code for this interpreter, with ``__file__`` inside the bundle's path
    and packages' ``__path__`` the directories inside it."""

    def __init__(self, bundle: str, prefix: str) -> None:
        self.bundle = bundle
        self.prefix = prefix.strip("/")
        self.path = bundle + ("/" + self.prefix if self.prefix else "")

    def __repr__(self) -> str:
        return f"<importkit BundleFileFinder {self.path!r}>"

    def runtime(self):
        """The private runtime the bundle is mounted in (opened again when the file changed)."""
        return _bundle_runtime(self.bundle)

    def _name(self, fullname: str) -> str:
        """The name in the bundle of the module ``fullname`` would be in this directory."""
        tail = fullname.rpartition(".")[2]
        return f"{self.prefix.replace('/', '.')}.{tail}" if self.prefix else tail

    def find_spec(self, fullname: str, target=None):
        from .loaders import module_spec

        name = self._name(fullname)
        if name != fullname:
            return None  # a directory of the bundle put on sys.path as a top level: not served
        try:
            rt = self.runtime()
        except (ImportKitError, OSError):
            return None  # the bundle is gone or no bundle now: nothing found in it, as zipimport's listing
        try:
            spec = rt.find_spec(name)
        except (NotFoundError, ValueError):
            return None
        if not spec.origin.startswith("bundle:"):
            return None
        ms = module_spec(spec, rt)
        if ms.submodule_search_locations is not None:
            # a package's directories inside the bundle's path: its submodules come through this hook again
            ms.submodule_search_locations = [f"{self.bundle}/{name.replace('.', '/')}"]
        return ms

    def invalidate_caches(self) -> None:
        _bundles.pop(self.bundle, None)

    def iter_modules(self, prefix: str = ""):
        """``pkgutil.iter_modules`` of this directory of the bundle."""
        try:
            rt = self.runtime()
        except (ImportKitError, OSError):
            return
        try:
            infos = rt.iter_modules(self.prefix.replace("/", ".") or None)
        except ImportKitError:
            return
        for info in infos:
            if not self.prefix and info.name == "__future__":
                continue
            yield prefix + info.name, info.ispkg
