"""importkit as CPython's path finder: ``install()``, ``uninstall()`` and the ``sys.meta_path`` finder.

``install(runtime=None)`` puts an ``ImportKitFinder`` where ``importlib.machinery.PathFinder`` was in
``sys.meta_path`` (PathFinder leaves; ``uninstall()`` puts it back at the same place). From then on every import
that CPython's path finder would have served goes through importkit:

- ``find_spec(name, path=None, target=None)`` is ``PathFinder.find_spec``: the path finder of importkit
  (``ik_runtime_path_find_spec``) over exactly the entries CPython would search, ``sys.path`` for a top-level
  name, else the parent's ``__path__``, as they are at that moment. Entries added, removed or reordered while
  the program runs are followed with no syncing (the converted C array is cached while the entries are
  unchanged). The runtime looks at directories as CPython's ``FileFinder`` does: with the default recheck
  window of 0 it stats each directory on each lookup and lists it again when it changed (set another window
  with ``install(recheck=MS)``; see docs/BENCHMARKS.md).
- ``sys.path_importer_cache`` is the entry-finder cache of the path finder, as in CPython: importkit reaches
  the entries lazily, in search order, and an entry it has no finder for goes to a path hook of ours, which
  does what ``PathFinder._path_importer_cache`` does (``''`` is the current directory; the finder is the
  cache's, else the first of ``sys.path_hooks`` that returns one, stored in the cache, None stored when none
  does). A default ``FileFinder`` there (CPython's class and loaders, for the directory importkit would serve)
  is served by importkit's own directory finder, with the same answers; None means no finder (nothing is
  found there); any other finder (a ``zipimporter``, a program's) is asked as ``PathFinder._get_spec`` asks
  (``find_spec(name, target)``, the legacy methods with CPython's warnings), its module specs returned as they
  are, its namespace portions collected with importkit's. Before each search, the entries importkit has
  finders for are checked against the cache (one identity test each): when one was deleted (``clear()``,
  ``del``, ``invalidate_caches()``), assigned another finder, or the cache dict replaced, importkit forgets
  its entry finders and listings (as every ``FileFinder`` lists its directory again after
  ``invalidate_caches()``); so it does when a default ``FileFinder`` it serves changed (its own
  ``invalidate_caches()`` was called, it got an attribute such as a patched ``find_spec``, or other loaders),
  and the entries are offered to the hooks again as they are reached: a hook added later is called, a zip
  rewritten under the same name gets the ``zipimporter`` the cache now has, a changed ``FileFinder`` is asked
  as a program's finder.
- Files get specs as CPython's ``FileFinder`` makes them (origin, ``has_location``, ``cached``,
  ``submodule_search_locations``) with CPython's own loader classes (``SourceFileLoader``,
  ``SourcelessFileLoader``, ``ExtensionFileLoader`` exactly, not subclasses). ``served`` counts them. Namespace
  packages get a ``_NamespacePath`` whose path finder is this finder: a dynamic ``__path__``, recomputed when
  the parent's path changes or after ``importlib.invalidate_caches()``.
- Mounts and natives of the runtime are importable by plain ``import`` statements. The rule: a name whose
  top-level segment is a mount point (or the first segment of a file or directory of a root mount), or a
  native's, is first looked up by importkit's own finders (``ik_runtime_find_spec``: natives, then mounts, in
  meta path order); only if they do not have it does the path finder search ``sys.path`` or ``__path__``.
  So a mount shadows the filesystem for the modules and regular packages it provides, as a ``sys.meta_path``
  finder placed before PathFinder would; a namespace directory of a mount is a namespace portion, as on the
  path: a module or regular package the path finder finds wins over it, and the path's portions follow the
  mount's in ``__path__`` (docs/SEMANTICS.md, *Resolution order*). (Host finders added with
  ``Runtime.add_finder`` serve ``Runtime.import_module`` only.)
- ``invalidate_caches()`` (called by ``importlib.invalidate_caches()``) calls ``ik_runtime_invalidate`` and
  ``PathFinder.invalidate_caches()`` (``sys.path_importer_cache``'s finders, ``_NamespacePath``'s epoch,
  ``importlib.metadata``'s cache). ``find_distributions`` gives the distributions of the runtime's mounts and
  bundles (``importkit.metadata``), then PathFinder's; ``iter_modules`` lists the mounts' top-level modules
  for ``pkgutil``, and a hook at the end of ``sys.path_hooks`` serves mounted packages' ``__path__`` entries
  (``memory:/...``, ``bundle:/...``) for ``pkgutil`` (docs/SEMANTICS.md, *Distributions*, *Listing*).
- The policy of the runtime applies: a denied name raises ``DeniedError`` (a ``PermissionError``) from the
  import statement.
- Calls importkit cannot answer exactly as CPython would are handed to ``PathFinder.find_spec`` itself: names
  importkit refuses as module names (``import_module("my-module")`` finds ``my-module.py`` in CPython), and
  names or entries that are not valid UTF-8 (undecodable file names in ``sys.path``) or are ``bytes``. Entries
  that are neither ``str`` nor ``bytes`` are skipped, as CPython skips them.
"""

from __future__ import annotations

import _warnings
import os as _os
import stat as _stat
import sys
from _thread import _local, allocate_lock
from operator import is_ as _is_
from ctypes import byref, c_void_p
from importlib.machinery import ModuleSpec, PathFinder

from importlib import _bootstrap_external as _bx

from . import _ffi, _held, errors
from ._found import Found
from .loaders import (_Indirect, ExtensionFileLoader, SourceFileLoader, SourcelessFileLoader, cached_for, module_spec,
                      read_portions, set_indirect)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.abc import Loader
    from typing import Protocol, TypeGuard
    from zipimport import zipimporter

    class _BootstrapPrivate(Protocol):
        """The private names of CPython's ``importlib._bootstrap_external`` used here, which typeshed lacks."""

        _NamespacePath: type

        def _get_supported_file_loaders(self) -> list[tuple[type[Loader], list[str]]]: ...
        def _path_isdir(self, path: str) -> bool: ...
        def _path_isabs(self, path: str) -> bool: ...
        def _path_join(self, *path_parts: str) -> str: ...

    class _DefaultFileFinder(Protocol):
        """A default ``FileFinder`` of ``sys.path_importer_cache`` (``_is_default_finder``), with the private
        attributes ``FileFinder.__init__`` gives it, which typeshed lacks."""

        path: str
        _path_mtime: float
        _loaders: list[tuple[str, type[Loader]]]

    _bx_private: _BootstrapPrivate
else:
    _bx_private = _bx

_NamespacePath = _bx_private._NamespacePath

_zipimporter: type[zipimporter] | None
try:
    from zipimport import zipimporter as _zipimporter
except ImportError:  # pragma: no cover - an interpreter without zipimport
    _zipimporter = None

_OK = _ffi.IK_OK
_NOT_FOUND = _ffi.IK_ERR_NOT_FOUND
_INVALID_NAME = _ffi.IK_ERR_INVALID_NAME
_INVALID_ARGUMENT = _ffi.IK_ERR_INVALID_ARGUMENT
_HOST = _ffi.IK_ERR_HOST
_SOURCE = _ffi.IK_KIND_SOURCE
_BYTECODE = _ffi.IK_KIND_BYTECODE
_EXTENSION = _ffi.IK_KIND_EXTENSION
_NAMESPACE = _ffi.IK_KIND_NAMESPACE

#: the origins importkit gives to what is not a filesystem path: never offered to sys.path_hooks
_OWN_SCHEMES = ("memory:", "bundle:", "builtin:", "namespace:", "host:", "hook:")

_CACHE_EXACT = sys.implementation.cache_tag == "cpython-311"

_MISSING = object()  # not in sys.path_importer_cache

#: the attributes FileFinder.__init__ gives an instance: one with others (a patched find_spec) is a program's
_FILE_FINDER_ATTRS = frozenset(vars(_bx.FileFinder("/")))
#: the _path_mtime importkit gives a FileFinder it serves: FileFinder.invalidate_caches() sets -1, which
#: importkit sees (any value but a real mtime makes the FileFinder itself list its directory, as -1 does)
_ADOPTED = -2.0

# the lock of install()/uninstall(); the finder in sys.meta_path, if any
_lock = allocate_lock()
_installed: ImportKitFinder | None = None


def _default_loaders() -> list[tuple[str, type[Loader]]]:
    return [
        (suffix, loader)
        for loader, suffixes in _bx_private._get_supported_file_loaders()
        for suffix in suffixes
    ]


class _PyEntryFinder:
    """An entry of ``sys.path`` whose finder in ``sys.path_importer_cache`` is not a default ``FileFinder`` (a
    ``zipimporter``, a program's), as an entry finder of importkit's: asked as ``PathFinder._get_spec`` asks
    (``find_spec(fullname, target)``, else the legacy methods); modules come back as
    ``Found(spec=<its ModuleSpec>)``, namespace portions as ``Found(kind=NAMESPACE, locations=...)``."""

    __slots__ = ("finder", "tls")

    def __init__(self, finder, tls) -> None:
        self.finder = finder
        self.tls = tls

    def find(self, name: str):
        try:
            return self._find(name)
        except BaseException as exc:
            self.tls.raised = exc  # raised as it is by the search that asked (see ImportKitFinder._failed)
            raise

    def _find(self, name: str):
        finder = self.finder
        if hasattr(finder, "find_spec"):
            spec = finder.find_spec(name, getattr(self.tls, "target", None))
        else:  # a legacy finder (find_loader/find_module)
            spec = _legacy_spec(finder, name)
        if spec is None:
            return None
        if spec.loader is None:
            portions = spec.submodule_search_locations
            if portions is None:
                raise ImportError("spec missing loader")
            if not portions:
                return None
            return Found(kind=_NAMESPACE, is_package=True, locations=list(portions))
        loader = spec.loader
        if isinstance(loader, _bx.ExtensionFileLoader):
            kind = _EXTENSION
        elif isinstance(loader, _bx.SourcelessFileLoader):
            kind = _BYTECODE
        else:
            kind = _SOURCE
        is_package = spec.submodule_search_locations is not None
        return Found(origin="hook:python", kind=kind, is_package=is_package, spec=spec)

    def invalidate(self) -> None:
        # importlib.invalidate_caches() reaches the finder once, through sys.path_importer_cache
        # (PathFinder.invalidate_caches), as in CPython; not a second time through importkit.
        pass


class _NoFinder:
    """An entry whose ``sys.path_importer_cache`` value is None (no hook took it, or a program said so):
    nothing is found there, though importkit's own hooks would have served it."""

    __slots__ = ()

    def find(self, name: str):
        return None

    def invalidate(self) -> None:
        pass


def _could_serve(entry: str) -> bool:
    """Whether importkit's own hooks could serve ``entry``: it exists, or a file is on its way up (an entry
    inside an archive)."""
    path = entry
    while True:
        try:
            st = _os.stat(path)
        except (OSError, ValueError):
            parent = _os.path.dirname(path)
            if not parent or parent == path:
                return False
            path = parent
            continue
        return path == entry or _stat.S_ISREG(st.st_mode)


def _legacy_spec(finder, name: str):
    """``PathFinder._legacy_get_spec``: a finder without ``find_spec`` asked through ``find_loader`` or
    ``find_module`` (with CPython's ImportWarning)."""
    legacy = getattr(PathFinder, "_legacy_get_spec", None)
    if legacy is not None:
        return legacy(name, finder)
    from importlib._bootstrap import spec_from_loader  # pragma: no cover - a Python without it

    loader = finder.find_module(name)
    return None if loader is None else spec_from_loader(name, loader)


class ImportKitFinder:
    """The ``sys.meta_path`` finder of ``install()`` (see the module docstring). One per installed runtime."""

    def __init__(self, runtime, *, recheck: int = 0) -> None:
        self.runtime = runtime
        state = runtime._state
        runtime.enable_filesystem(True)
        runtime.set_recheck(recheck)
        self._hook_id = runtime.add_path_hook(self._sys_path_hook, name="sys.path_hooks", position=0)
        runtime._hook_ids.discard(self._hook_id)  # the runtime's own hooks are the host's, not this one
        self._state = state
        hot = _ffi.hot()
        self._hot = hot
        self._tls = _local()
        self._arrays: dict[tuple, tuple] = {}
        self._last: tuple = ((), None, 0)
        self._pic = sys.path_importer_cache
        # entry -> the finder of sys.path_importer_cache importkit's entry finder stands for (see _check_entries)
        self._seen: dict[str, object] = {}
        # entry -> the default FileFinder of sys.path_importer_cache importkit's directory finder serves it for
        self._adopted: dict[str, _DefaultFileFinder] = {}
        self._seen_version = 0
        self._checks: dict[tuple, tuple] = {}
        self._defaults = _default_loaders()
        #: how many specs of files importkit's path finder has given (the modules it found itself)
        self.served = 0
        state.pinned += 1
        self._pinned = True
        self._replaced = False  # whether install() put it where PathFinder was
        find = self._make_find()
        self._find = find

        def find_spec(fullname, path=None, target=None):
            spec = find(fullname, path, target, True)
            if target is not None and spec is not None:
                _retarget(spec, target)
            return spec

        find_spec.__doc__ = ImportKitFinder.find_spec.__doc__
        # the instance's own find_spec shadows the method (which documents it), deliberately
        self.find_spec = find_spec  # type: ignore[method-assign]

    def __repr__(self) -> str:
        return f"<importkit.ImportKitFinder of {self.runtime!r}>"

    # -- sys.path_importer_cache and sys.path_hooks -----------------------------------------------------------

    def _sys_path_hook(self, entry: str):
        try:
            return self._entry_finder(entry)
        except BaseException as exc:
            self._tls.raised = exc  # raised as it is by the search that asked (see _failed)
            raise

    def _entry_finder(self, entry: str):
        """importkit's path hook, offered every entry importkit has no finder for (lazily, in search order, as
        CPython's ``PathFinder._path_importer_cache``; ``''`` comes as the current directory). The finder is
        ``sys.path_importer_cache[entry]``, made by ``sys.path_hooks`` and stored there when missing. A
        default ``FileFinder`` is served by importkit's own directory finder (same answers); ``None`` by no
        finder at all; any other finder (a ``zipimporter``, a program's) is asked from Python."""
        cache = sys.path_importer_cache
        try:
            finder = cache[entry]
        except KeyError:
            finder = self._path_hooks(entry)
            cache[entry] = finder
        self._seen[entry] = finder
        self._seen_version += 1
        if entry.startswith(_OWN_SCHEMES):
            # a location of importkit's (memory:/game): cached as CPython caches it (the MountEntryFinder of
            # the hook install() appends), served by importkit itself unless a program put its own finder there
            from ._mount_entry import MountEntryFinder

            if finder is None or type(finder) is MountEntryFinder and finder.runtime is self.runtime:
                return None
            return _PyEntryFinder(finder, self._tls)
        if finder is None:
            return _NoFinder() if _could_serve(entry) else None
        if self._is_default_finder(finder, entry):
            # importkit's directory finder for the same directory; what is done to the FileFinder afterwards
            # (invalidate_caches(), another find_spec or loaders) is checked before each search (_check_entries)
            finder._path_mtime = _ADOPTED
            self._adopted[entry] = finder
            return None
        return _PyEntryFinder(finder, self._tls)

    def _path_hooks(self, entry: str):
        """``PathFinder._path_hooks``: the first finder a hook of ``sys.path_hooks`` returns for ``entry``
        (a hook says no by raising ImportError), or None. ``zipimporter`` is not asked about a directory (it
        raises for every directory)."""
        hooks = sys.path_hooks
        if hooks is not None and not hooks:
            _warnings.warn("sys.path_hooks is empty", ImportWarning)
        is_dir = None
        for hook in hooks:
            if hook is _zipimporter:
                if is_dir is None:
                    is_dir = _bx_private._path_isdir(entry)
                if is_dir:
                    continue
            try:
                return hook(entry)
            except ImportError:
                continue
        return None

    def _is_default_finder(self, finder: object, entry: str) -> TypeGuard[_DefaultFileFinder]:
        """Whether ``finder`` is CPython's ``FileFinder`` with the default loaders for the directory that
        importkit's directory finder serves for ``entry`` (relative entries joined to the current directory,
        as ``FileFinder.__init__`` does)."""
        if type(finder) is not _bx.FileFinder or getattr(finder, "_loaders", None) != self._defaults \
                or vars(finder).keys() != _FILE_FINDER_ATTRS:
            return False
        try:
            if not entry or entry == ".":
                path = _os.getcwd()
            elif not _bx_private._path_isabs(entry):
                path = _bx_private._path_join(_os.getcwd(), entry)
            else:
                path = entry
        except OSError:
            return False
        return finder.path == path

    def _check_entries(self, key: tuple) -> None:
        """Makes importkit's entry finders for the entries ``key`` be the finders of
        ``sys.path_importer_cache``: when an entry importkit has a finder for is no longer in the cache
        (``clear()``, ``del``, ``invalidate_caches()``) or holds another finder (a program's assignment), or
        the cache itself was replaced, importkit forgets its entry finders and offers the entries to the hooks
        again."""
        cache = sys.path_importer_cache
        if cache is not self._pic:
            self._forget(cache)
            return
        version = self._seen_version
        check = self._checks.get(key)
        cwd = None
        if check is not None and check[4] is not None:  # '' is the current directory: it may have moved
            try:
                cwd = _os.getcwd()
            except OSError:
                cwd = ""
        if check is None or check[0] != version or check[4] != cwd:
            seen = self._seen
            listed = []
            cwd = None
            for entry in key:
                if entry == "":
                    try:
                        cwd = entry = _os.getcwd()
                    except OSError:
                        cwd = ""
                        continue
                elif type(entry) is not str:
                    continue
                if entry in seen:
                    listed.append(entry)
            keys = tuple(listed)
            adopted = self._adopted
            check = (version, keys, tuple(seen[k] for k in keys), (_MISSING,) * len(keys), cwd,
                     tuple(adopted[k] for k in keys if k in adopted))
            if len(self._checks) >= 512:
                self._checks.clear()
            self._checks[key] = check
        if check[1] and not all(map(_is_, map(cache.get, check[1], check[3]), check[2])):
            self._forget(cache)
            return
        if check[5]:
            # a FileFinder importkit serves is CPython's as long as it is what _is_default_finder took: after
            # its invalidate_caches() (_path_mtime -1), an attribute of its own (a patched find_spec) or other
            # loaders, importkit forgets its entry finders and the entries are offered to the hooks again
            defaults = self._defaults
            for f in check[5]:
                if vars(f).keys() != _FILE_FINDER_ATTRS or f._path_mtime == -1 or f._loaders != defaults:
                    self._forget(cache)
                    return

    def _forget(self, cache) -> None:
        """importkit forgets every entry finder (and listing): each entry is offered to the hooks again, which
        take the finders ``sys.path_importer_cache`` still has."""
        self._pic = cache
        self._seen.clear()
        self._adopted.clear()
        self._seen_version += 1
        self._checks.clear()
        self.runtime.drop_caches()

    # -- PathFinder's protocol ---------------------------------------------------------------------------------------

    def invalidate_caches(self) -> None:
        """``importlib.invalidate_caches()``: importkit's listings and negative entries, then everything
        ``PathFinder.invalidate_caches`` drops (``sys.path_importer_cache``'s finders, namespace paths)."""
        if not self._state.closed:
            self.runtime.invalidate()
        PathFinder.invalidate_caches()
        for f in self._adopted.values():  # their invalidate_caches() was this one: nothing more to forget
            if getattr(f, "_path_mtime", None) == -1:
                f._path_mtime = _ADOPTED

    def find_distributions(self, context=None, **kwargs):
        """``importlib.metadata``'s distributions: those of the runtime's mounts and bundles
        (``Runtime.find_distributions``, with ``DistributionFinder.Context``'s ``name`` and ``path``), then
        those on ``sys.path`` as PathFinder finds them."""
        from importlib.metadata import DistributionFinder

        if context is None:
            context = DistributionFinder.Context(**kwargs)
        mounted = [] if self._state.closed else self.runtime.find_distributions(context)
        yield from mounted
        yield from PathFinder.find_distributions(context)

    def iter_modules(self, prefix: str = ""):
        """``pkgutil.iter_modules()`` of the meta path: the top-level modules of the runtime's mounts, bundles
        and natives, as ``(prefix + name, ispkg)``; ``sys.path``'s are listed by its own entries' finders."""
        if self._state.closed:
            return
        for info in self.runtime.iter_modules(None):
            if info.name != "__future__":
                yield prefix + info.name, info.ispkg

    def find_spec(self, fullname, path=None, target=None):
        """``PathFinder.find_spec``: the spec of ``fullname`` in ``path`` (None: ``sys.path``), or None.
        (Each instance replaces this method by the same function made with its state in local variables.)"""
        return self._find(fullname, path, target, True)

    def _namespace_spec(self, fullname, parent_path):
        """The path finder of ``_NamespacePath``: a spec whose locations are a plain list."""
        return self._find(fullname, parent_path, None, False)

    def _make_find(self):
        """The body of ``find_spec``, as a closure: every name it needs is a local or a cell (this runs once
        per module a program imports)."""
        finder = self
        runtime = self.runtime
        state = self._state
        hot = self._hot
        path_find_spec = hot.path_find_spec
        spec_kind = hot.spec_kind
        spec_file = hot.spec_file
        spec_cached = hot.spec_cached
        spec_location_count = hot.spec_location_count
        spec_location = hot.spec_location
        spec_host_data = hot.spec_host_data
        spec_ref_count = hot.spec_ref_count
        spec_free = hot.spec_free
        arrays = self._arrays
        convert = self._convert
        tls = self._tls
        held = _held.table.get
        fallback = PathFinder.find_spec
        _sys = sys
        exact = _CACHE_EXACT and not sys.flags.optimize
        check_entries = self._check_entries

        def find(fullname, path, target, dynamic, own=True):
            ptr = state._ptr
            if ptr is None or not finder._pinned:
                # uninstalled (a namespace path made meanwhile recalculates) or closed: CPython's own
                return fallback(fullname, path, target) if dynamic else PathFinder._get_spec(fullname, path)
            if own and runtime._served:
                top = fullname.partition(".")[0]
                if top in runtime._served:
                    spec = finder._find_own(ptr, fullname)
                    if spec is not None:
                        if spec.loader is not None:
                            return spec  # a module or regular package of a mount, bundle or native wins
                        # namespace portions of mounts keep collecting along the path (docs/SEMANTICS.md)
                        return finder._own_namespace(spec, fullname, path, target, dynamic)
            if path is None:
                path = _sys.path
            # a one-shot iterable is read once: the fallbacks below search the entries read here
            path = key = tuple(path)
            try:
                check_entries(key)
            except TypeError:  # an unhashable entry (CPython skips it): CPython's own path finder
                return fallback(fullname, path, target)
            tls.target = target
            tls.raised = None
            last = finder._last
            if last[0] == key:
                array = last[1]
                count = last[2]
            else:
                made = arrays.get(key)
                if made is None:
                    made = convert(key)
                array, count = made
                finder._last = (key, array, count)
            if array is None:  # entries importkit cannot take (not str, not UTF-8): CPython's own path finder
                return fallback(fullname, path, target)
            try:
                name_b = fullname.encode()
            except (UnicodeEncodeError, AttributeError):
                return fallback(fullname, path, target)
            if b"\0" in name_b:  # the C ABI takes NUL-terminated names: CPython's own finder (not found)
                return fallback(fullname, path, target)
            try:
                out, out_ref = tls.out
            except AttributeError:
                out = c_void_p()
                out_ref = byref(out)
                tls.out = (out, out_ref)
            status = path_find_spec(ptr, name_b, array, count, out_ref, None)
            if status:
                if status == _NOT_FOUND:
                    return None
                return finder._failed(status, fullname, path, target, name_b, array, count)
            sp = out.value
            kind = spec_kind(sp)
            if kind == _NAMESPACE:
                portions = [spec_location(sp, i, None).decode() for i in range(spec_location_count(sp))]
                indirect = _portion_refs(hot, sp, portions)
                spec_free(sp)
                spec = ModuleSpec(fullname, None, is_package=True)
                spec.submodule_search_locations = (
                    _NamespacePath(fullname, portions, finder._namespace_spec) if dynamic else portions
                )
                if dynamic and indirect is None:
                    read_portions(spec, runtime, portions)  # a bundle on sys.path: importlib.resources reads it
                return spec if indirect is None else set_indirect(spec, indirect)
            file_b = spec_file(sp, None)
            if file_b is None:
                # an entry finder of Python's (sys.path_hooks, or a path hook of the runtime): its Found is the
                # spec's host data
                found = held(spec_host_data(sp))
                spec_free(sp)
                return _spec_of_found(fullname, found, runtime)
            cached_b = spec_cached(sp, None) if kind == _SOURCE else None
            package = spec_location_count(sp)
            location_b = spec_location(sp, 0, None) if package else None
            found = held(spec_host_data(sp)) if runtime._hook_ids else None
            nrefs = spec_ref_count(sp)  # the .ref files that led to it (__indirect__)
            refs = tuple(hot.spec_ref(sp, i, None).decode() for i in range(nrefs)) if nrefs else None
            spec_free(sp)
            if found is not None and (found.spec is not None or found.source is not None):
                # a path hook of the runtime answered with a file: its own Found wins (e.g. source bytes)
                return _spec_of_found(fullname, found, runtime)
            file = file_b.decode()
            if kind == _SOURCE:
                spec = ModuleSpec(fullname, SourceFileLoader(fullname, file), origin=file, is_package=package)
                if exact and cached_b is not None and _sys.pycache_prefix is None:
                    spec.cached = cached_b.decode()
                else:
                    spec.cached = cached_for(kind, file, None if cached_b is None else cached_b.decode())
            elif kind == _EXTENSION:
                spec = ModuleSpec(fullname, ExtensionFileLoader(fullname, file), origin=file, is_package=package)
            else:
                spec = ModuleSpec(fullname, SourcelessFileLoader(fullname, file), origin=file, is_package=package)
                spec.cached = file
            spec.has_location = True
            if refs:  # .ref files led to it: __indirect__ (docs/SEMANTICS.md)
                set_indirect(spec, refs)
            if package:
                spec.submodule_search_locations = [location_b.decode()]
            finder.served += 1
            return spec

        return find

    def _convert(self, key: tuple):
        """The C array of a tuple of entries, cached. Entries that are neither str nor bytes are skipped, as
        CPython skips them; ``(None, 0)`` (CPython's own path finder for the call) when an entry is bytes or
        not valid UTF-8 (an undecodable file name), which importkit cannot take as it is."""
        import ctypes

        encoded = []
        made: tuple[ctypes.Array[ctypes.c_char_p] | None, int] | None = None
        for entry in key:
            if not isinstance(entry, str):
                if isinstance(entry, bytes):
                    made = (None, 0)
                    break
                continue
            try:
                encoded.append(entry.encode("utf-8"))
            except UnicodeEncodeError:
                made = (None, 0)
                break
            if "\0" in entry:
                made = (None, 0)
                break
        if made is None:
            array = (ctypes.c_char_p * len(encoded))(*encoded)
            made = (array, len(encoded))
        if len(self._arrays) >= 512:
            self._arrays.clear()
        self._arrays[key] = made
        return made

    def _failed(self, status, fullname, path, target, name_b, array, count):
        """A status other than found / not found: CPython's own finder for what importkit refuses as a
        name, else the exception (the Python exception of a hook of ``sys.path_hooks`` as it was raised).

        The hot path asks for no error object (a miss would be explained for nothing). The exception of a
        hook of ``sys.path_hooks`` or a finder of ``sys.path_importer_cache`` is kept by this thread when it is
        raised, and raised again here as it is (they are called once, as by CPython); for anything else the
        search runs again with an error object, whose host data is the exception of a path hook of the
        runtime."""
        if status in (_INVALID_NAME, _INVALID_ARGUMENT):
            return PathFinder.find_spec(fullname, path, target)
        if status == _HOST:
            errors.raise_interrupt()  # a KeyboardInterrupt/SystemExit is not asked for twice
            exc = getattr(self._tls, "raised", None)
            if exc is not None:
                # a hook of sys.path_hooks or a finder of sys.path_importer_cache raised: as with CPython's
                # path finder, its exception, from its one call (the search is not run again to explain it)
                self._tls.raised = None
                raise exc
        out = c_void_p()
        err = c_void_p()
        status = self._hot.path_find_spec(self._state._ptr, name_b, array, count, byref(out), byref(err))
        if status == _OK:
            self._hot.spec_free(out.value)
            return self._find(fullname, path, target, True)
        if status == _NOT_FOUND:
            self._hot.error_free(err.value)
            return None
        if status == _HOST:
            exc = errors.host_exception(err.value)
            if exc is not None:
                self._hot.error_free(err.value)
                errors.raise_interrupt()
                raise exc
        errors.check(status, err)
        return None

    def _own_namespace(self, spec, fullname, path, target, dynamic):
        """A namespace package of importkit's own finders (mounts, bundles) is not final, as a namespace
        portion is not in CPython's path finder: a module or regular package the path finder finds over
        ``path`` wins, and its namespace portions follow the mounts' in ``__path__``
        (docs/SEMANTICS.md, *Resolution order*)."""
        portions = list(spec.submodule_search_locations)
        other = self._find(fullname, path, target, False, False)
        if other is not None:
            if other.loader is not None and not isinstance(other.loader, _bx.NamespaceLoader):
                return other
            found = other.submodule_search_locations
            for portion in getattr(found, "_path", found):  # a _NamespacePath of CPython's fallback
                if portion not in portions:
                    portions.append(portion)
            indirect = getattr(other.loader, "indirect", None)  # the .ref chains of the path's portions
        else:
            indirect = None
        merged = ModuleSpec(fullname, None, is_package=True)
        merged.loader_state = spec.loader_state
        merged.submodule_search_locations = (
            _NamespacePath(fullname, portions, self._namespace_spec) if dynamic else portions
        )
        if indirect:
            merged = set_indirect(merged, {p: indirect.get(p, ()) for p in portions})
        if dynamic:
            read_portions(merged, self.runtime, portions)  # importlib.resources reads every portion
        return merged

    def _find_own(self, ptr, fullname):
        """A name mounts or natives provide: importkit's own finders (``ik_runtime_find_spec``); a namespace
        package's locations are a plain list (see ``_own_namespace``)."""
        from .spec import Spec

        if "\0" in fullname:  # no file or native has a NUL in its name (the C ABI takes NUL-terminated names)
            return None
        hot = self._hot
        out = c_void_p()
        err = c_void_p()
        status = hot.find_spec(ptr, fullname.encode("utf-8", "surrogatepass"), None, byref(out), byref(err))
        if status == _NOT_FOUND:
            hot.error_free(err.value)
            return None
        if status in (_INVALID_NAME, _INVALID_ARGUMENT):
            hot.error_free(err.value)
            return None
        errors.check(status, err)
        try:
            found = Spec.from_ptr(out.value)
        finally:
            hot.spec_free(out.value)
        if found.origin.startswith("fs:"):  # the runtime's own search path (not sys.path) had it: not ours
            return None
        return module_spec(found, self.runtime)

    # -- install / uninstall -------------------------------------------------------------------------------------

    def _release(self) -> None:
        if self._pinned:
            self._pinned = False
            self._state.pinned -= 1
            try:
                self.runtime.remove_path_hook(self._hook_id)
            except Exception:  # noqa: BLE001 - closed meanwhile
                pass


def _retarget(spec, target) -> None:
    """A module found again for ``target`` (``importlib.reload``): when no ``.ref`` file located it this time,
    the ``__indirect__`` an earlier load set goes (only modules a ``.ref`` file located have it, and
    CPython's loaders, which the new spec has, do not remove it)."""
    if not isinstance(spec.loader, _Indirect):
        try:
            del target.__indirect__
        except AttributeError:
            pass


def _portion_refs(hot, sp, portions):
    """``__indirect__`` of a namespace spec: each portion -> the ``.ref`` chain that located it; None when no
    ``.ref`` file led to any (the package is then exactly CPython's)."""
    counts = [hot.spec_location_ref_count(sp, i) for i in range(len(portions))]
    if not any(counts):
        return None
    return {
        p: tuple(hot.spec_location_ref(sp, i, j, None).decode() for j in range(n))
        for i, (p, n) in enumerate(zip(portions, counts))
    }


def _spec_of_found(fullname: str, found, runtime):
    """The ``ModuleSpec`` for what an entry finder written in Python found: the Python finder's own spec (a
    hook of ``sys.path_hooks``), else one made from the ``Found`` of a path hook of the runtime."""
    if found.spec is not None:
        return found.spec
    from .memory import SourceBytesLoader
    from .spec import Kind, Spec

    parent = fullname if found.is_package else fullname.rpartition(".")[0]
    spec = Spec(fullname, found.origin or f"hook:{fullname}", Kind(int(found.kind)), bool(found.is_package),
                tuple(found.locations), found.file, parent)
    ms = module_spec(spec, runtime)
    if found.source is not None and isinstance(ms.loader, SourceBytesLoader):
        source = found.source
        ms.loader._data = source.encode("utf-8") if isinstance(source, str) else bytes(source)
    return ms


def _mount_path_hook(entry):
    """The hook ``install()`` appends to ``sys.path_hooks``: a location of importkit's own (``memory:/game``,
    ``bundle:/app``: a mounted package's ``__path__``) gets a ``MountEntryFinder``; anything else is refused
    (ImportError), as CPython's hooks refuse what they do not serve."""
    runtime = installed()
    if runtime is None or not isinstance(entry, str):
        raise ImportError("not a location of importkit's", path=entry)
    if not entry.startswith(("memory:", "bundle:")):
        # a bundle file on sys.path (or a directory inside one), served as zipimport serves a zip
        from ._mount_entry import BundleFileFinder, bundle_of

        found = bundle_of(entry)
        if found is None:
            raise ImportError("not a location of importkit's nor a bundle", path=entry)
        finder = BundleFileFinder(*found)
        try:
            finder.runtime()  # opened now: a bundle that cannot be is refused, as a zip zipimport cannot read
        except (errors.ImportKitError, OSError) as e:
            raise ImportError(f"cannot serve bundle {found[0]!r}: {e}", path=entry) from e
        return finder
    from ._mount_entry import MountEntryFinder

    return MountEntryFinder(runtime, entry)


def install(runtime=None, *, recheck: int = 0):
    """Makes importkit CPython's path finder (see the module docstring) and returns the runtime it uses: a new
    one with the interpreter's file conventions (``Profile.interpreter()``, taking every module name CPython
    takes: identifier rule ``"any"``) unless ``runtime`` is given.
    Mounts and natives of that runtime become importable by ``import`` statements. ``recheck``: the
    runtime's recheck window in milliseconds (0: a stat per directory per lookup, as CPython). Installing the
    same runtime again does nothing; another one while one is installed raises RuntimeError."""
    global _installed
    from .runtime import Profile, Runtime, recheck_milliseconds

    recheck = recheck_milliseconds(recheck)  # refused before anything is made or changed
    with _lock:
        current = _installed
        if current is not None and current in sys.meta_path:
            if runtime is None or runtime is current.runtime:
                return current.runtime
            raise RuntimeError("importkit is installed with another runtime: call importkit.uninstall() first")
        if runtime is None:
            profile = Profile.interpreter()
            profile.set_identifiers("any")  # every name CPython's import accepts (docs/SEMANTICS.md, Names)
            try:
                runtime = Runtime(profile)
            finally:
                profile.free()
        finder = ImportKitFinder(runtime, recheck=recheck)
        meta = sys.meta_path
        for i, f in enumerate(meta):
            if f is PathFinder:
                meta[i] = finder
                finder._replaced = True
                break
        else:
            meta.append(finder)
        if _mount_path_hook not in sys.path_hooks:
            sys.path_hooks.append(_mount_path_hook)
        _installed = finder
        return runtime


def uninstall() -> None:
    """Puts ``importlib.machinery.PathFinder`` back where importkit's finder is in ``sys.meta_path``. Modules
    imported meanwhile keep their loaders (they work without importkit's finder). Does nothing when importkit
    is not installed."""
    global _installed
    with _lock:
        finder, _installed = _installed, None
        meta = sys.meta_path
        for i, f in enumerate(meta):
            if isinstance(f, ImportKitFinder):
                if PathFinder in meta or not getattr(f, "_replaced", False):
                    del meta[i]
                else:
                    meta[i] = PathFinder
                break
        if _mount_path_hook in sys.path_hooks:
            sys.path_hooks.remove(_mount_path_hook)
        entries = sys.modules.get(__package__ + "._mount_entry")
        if entries is not None:  # the entries of mounted packages go with the hook that made them
            for entry, entry_finder in list(sys.path_importer_cache.items()):
                if isinstance(entry_finder, (entries.MountEntryFinder, entries.BundleFileFinder)):
                    del sys.path_importer_cache[entry]
        if finder is not None:
            finder._release()


def installed():
    """The runtime ``install()`` put in ``sys.meta_path``, or None."""
    finder = _installed
    if finder is not None and finder in sys.meta_path:
        return finder.runtime
    return None
