"""``Runtime``: one isolated import world (an ``ik_runtime``) with the Python executor installed, and
``Profile``, the file conventions a runtime is made with."""

from __future__ import annotations

import __future__
import ctypes
import errno
import os
import sys
from stat import S_ISDIR, S_ISLNK, S_ISREG
from . import _callbacks, _ffi
from ._state import RuntimeState
from ._tree import MountTree
from .errors import check, cstr
from .executor import PythonExecutor

TYPE_CHECKING = False
if TYPE_CHECKING:
    import pkgutil

    from .spec import Spec
    from typing import Callable, Iterable, Mapping

PROFILES = {
    "python": _ffi.IK_PROFILE_PYTHON,
    "lua": _ffi.IK_PROFILE_LUA,
    "empty": _ffi.IK_PROFILE_EMPTY,
}

IDENTIFIERS = {"python": _ffi.IK_IDENT_PYTHON, "lua": _ffi.IK_IDENT_LUA, "any": _ffi.IK_IDENT_ANY}

_MOUNT_SKIP_DIRS = frozenset({"__pycache__"})


class Profile:
    """The file conventions of a language (an ``ik_profile``), fixed into each runtime made with it.

    ``Profile("python")`` (CPython 3.11's), ``"lua"`` or ``"empty"``, then adjust::

        p = Profile("empty", name="tl")
        p.add_suffix(Kind.SOURCE, ".tl")
        p.set_init_stem("init")
        rt = Runtime(p)

    ``Profile.interpreter()`` is the running interpreter's: CPython's conventions with the suffixes of
    ``importlib.machinery`` (the profile of ``Runtime("python")``; ``install()``'s runtime has it too, with
    every name CPython's import accepts: identifier rule ``"any"``).
    """

    def __init__(self, base: str = "python", name: str | None = None) -> None:
        if base not in PROFILES:
            raise ValueError(f"base must be one of {sorted(PROFILES)}, not {base!r}")
        self.base = base
        lib = _ffi.lib()
        out = ctypes.c_void_p()
        err = ctypes.c_void_p()
        encoded = None if name is None else cstr(name, "profile name")
        check(lib.ik_profile_new(PROFILES[base], encoded, ctypes.byref(out), ctypes.byref(err)), err)
        self._ptr: int | None = out.value
        self._free = lib.ik_profile_free

    @classmethod
    def interpreter(cls) -> Profile:
        """CPython's conventions with this interpreter's suffixes (``importlib.machinery``); names are
        identifiers (``set_identifiers("any")`` takes every name CPython's import takes, as ``install()``'s
        runtime does)."""
        from importlib import machinery

        p = cls("python")
        for kind, suffixes in (
            (_ffi.IK_KIND_EXTENSION, machinery.EXTENSION_SUFFIXES),
            (_ffi.IK_KIND_SOURCE, machinery.SOURCE_SUFFIXES),
            (_ffi.IK_KIND_BYTECODE, machinery.BYTECODE_SUFFIXES),
        ):
            p.clear_suffixes(kind)
            for suffix in suffixes:
                p.add_suffix(kind, suffix)
        p.set_cache_tag(sys.implementation.cache_tag)
        return p

    def _call(self, function: str, *args) -> None:
        if self._ptr is None:
            raise ValueError("the profile is freed")
        err = ctypes.c_void_p()
        check(getattr(_ffi.lib(), function)(self._ptr, *args, ctypes.byref(err)), err)

    def add_suffix(self, kind: int, suffix: str) -> None:
        """Adds a file suffix of a kind (``Kind.SOURCE``, ``Kind.BYTECODE``, ``Kind.EXTENSION``)."""
        self._call("ik_profile_add_suffix", int(kind), cstr(suffix, "suffix"))

    def clear_suffixes(self, kind: int) -> None:
        """Removes every suffix of a kind."""
        self._call("ik_profile_clear_suffixes", int(kind))

    def set_init_stem(self, stem: str) -> None:
        """The stem of a package's init file (``"__init__"``, ``"init"``)."""
        self._call("ik_profile_set_init_stem", cstr(stem, "stem"))

    def set_cache_tag(self, tag: str | None) -> None:
        """The tag of compiled files in ``__pycache__`` (``sys.implementation.cache_tag``); None: no cache."""
        self._call("ik_profile_set_cache_tag", None if tag is None else cstr(tag, "cache tag"))

    def set_namespace_dirs(self, enabled: bool) -> None:
        """Whether a directory without an init file is a namespace package (PEP 420)."""
        self._call("ik_profile_set_namespace_dirs", bool(enabled))

    def set_identifiers(self, rule: str) -> None:
        """What a name segment may contain: ``"python"`` (identifiers: ``str.isidentifier()``), ``"lua"`` (ASCII
        letters, digits, ``_``, ``-``) or ``"any"`` (whatever CPython's import accepts: any text but an empty
        segment, ``/``, ``\\`` or NUL, which every rule refuses)."""
        if rule not in IDENTIFIERS:
            raise ValueError(f"rule must be one of {sorted(IDENTIFIERS)}, not {rule!r}")
        self._call("ik_profile_set_identifiers", IDENTIFIERS[rule])

    def free(self) -> None:
        ptr, self._ptr = self._ptr, None
        if ptr:
            self._free(ptr)

    def __del__(self) -> None:
        try:
            self.free()
        except Exception:
            pass


def default_virtual_root() -> str | None:
    """The virtual root every runtime of this binding starts with (docs/SEMANTICS.md, *Files of mounted
    modules*): the running program's executable, ``sys.executable``, so that a mounted module has a
    ``__file__`` (``<executable>/game/core.py``), as zipimport roots an archive's modules in the archive's path
    and PyOxidizer its packages' ``__path__`` in the executable. A path inside a regular file names nothing any
    filesystem call can open, so no file on disk is ever taken for a mounted one. None (no files) when
    ``sys.executable`` is not the absolute path of a regular file."""
    exe = sys.executable
    if exe and os.path.isabs(exe) and os.path.isfile(exe):
        return exe
    return None


class _EveryName:
    """``Runtime._served`` while a bundle is mounted at the root: every top-level name but ``but``."""

    __slots__ = ("but",)

    def __init__(self, but: frozenset[str]) -> None:
        self.but = but

    def __bool__(self) -> bool:
        return True

    def __contains__(self, name: object) -> bool:
        return name not in self.but


def _read_directory(root: str | os.PathLike) -> dict[str, bytes]:
    """The files of directory ``root``, read as ``BundleBuilder.add_dir`` reads one (``ik_bundle_builder_add_dir``,
    docs/BUNDLE.md): symbolic links followed when they lead inside it (a linked file's bytes, a linked
    directory walked, under the link's own path); a link out of it, a dangling link, a link to a directory
    that holds it (a loop), a second link to a directory walked already, a special file (FIFO, socket,
    device) and a name that is not UTF-8 refused (``InvalidArgumentError``), never opened; ``__pycache__``
    left out. A file is opened non-blocking without following a link and must still be a regular file once
    open, so a FIFO swapped in meanwhile is refused, never waited on."""
    from .errors import InvalidArgumentError

    shown = os.fspath(root)
    try:
        st = os.stat(shown)
    except OSError as e:
        raise type(e)(e.errno, f"cannot mount directory {shown!r}: {e.strerror}", shown) from None
    if not S_ISDIR(st.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, f"cannot mount {shown!r}: not a directory", shown)
    real_root = os.path.realpath(shown)
    files: dict[str, bytes] = {}
    linked: dict[str, str] = {}  # canonical directory walked through a link -> that link's path

    def refuse(rel: str, what: str):
        return InvalidArgumentError(f"cannot mount directory {shown!r}: {rel!r} {what}",
                                    status=_ffi.IK_ERR_INVALID_ARGUMENT)

    def read(at: str, rel: str) -> None:
        try:
            fd = os.open(at, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as e:
            raise type(e)(e.errno, f"cannot mount directory {shown!r}: {rel!r} cannot be read: {e.strerror}",
                          at) from None
        with open(fd, "rb", closefd=True) as f:
            if not S_ISREG(os.fstat(fd).st_mode):  # swapped for something else since it was examined
                raise refuse(rel, "is no longer a regular file")
            files[rel] = f.read()

    def walk(directory: str, rel: str, stack: list[str]) -> None:
        for name in sorted(os.listdir(directory)):
            child = f"{rel}/{name}" if rel else name
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                raise refuse(child, "has a name that is not UTF-8") from None
            if name in _MOUNT_SKIP_DIRS:
                continue
            at = os.path.join(directory, name)
            mode = os.lstat(at).st_mode
            if S_ISLNK(mode):
                try:
                    target = os.path.realpath(at, strict=True)
                except OSError as e:
                    raise refuse(child, f"is a symbolic link that leads nowhere ({e.strerror}): refused") from None
                if target != real_root and not target.startswith(real_root.rstrip(os.sep) + os.sep):
                    raise refuse(child, f"is a symbolic link out of the directory (to {target!r}): refused")
                mode = os.stat(target).st_mode
                if S_ISDIR(mode):
                    if target in stack:
                        raise refuse(child, "is a symbolic link to a directory that holds it (a loop): refused")
                    if target in linked:
                        raise refuse(child, f"is a second symbolic link to {target!r} (included already through "
                                            f"the link {linked[target]!r}): refused")
                    linked[target] = child
                    walk(target, child, stack + [target])
                elif S_ISREG(mode):
                    read(target, child)
                else:
                    raise refuse(child, "is a symbolic link to something that is not a regular file or a directory")
            elif S_ISDIR(mode):
                walk(at, child, stack + [os.path.realpath(at)])
            elif S_ISREG(mode):
                read(at, child)
            else:
                raise refuse(child, "is not a regular file, a directory or a symbolic link")

    walk(real_root, "", [real_root])
    return files


def _opening_failed(exc: BaseException, path: str | None) -> BaseException:
    """The error of a bundle file importkit could not open (``cannot be opened: ... (os error 2)``) as the
    ``OSError`` the system gave (``FileNotFoundError``, ``PermissionError``... with ``errno`` and ``filename``;
    importkit's error as its cause); any other error as it is."""
    from .errors import InvalidMountError

    message = str(exc)
    at = message.rfind("(os error ")
    if not isinstance(exc, InvalidMountError) or "cannot be opened: " not in message or not message.endswith(")"):
        return exc
    code = message[at + len("(os error "):-1]
    if at < 0 or not code.isdigit():
        return exc
    failed = OSError(int(code), message, path)
    failed.__cause__ = exc
    return failed


def _releaser(state: RuntimeState):
    def released(key) -> None:
        try:
            state.borrowed.pop(key, None)
        except BaseException:  # noqa: BLE001 - a C callback: nothing may cross into C
            pass

    return released



def recheck_milliseconds(value) -> int:
    """``value`` as a recheck window for ``ik_runtime_set_recheck`` (a ``uint32_t`` of milliseconds): an int
    (not a bool, not a float) from 0 to 2**32 - 1, else TypeError or ValueError saying so."""
    from operator import index

    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise TypeError(f"recheck must be an int of milliseconds, not {type(value).__name__}")
    value = index(value)
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"recheck must be from 0 to {0xFFFFFFFF} milliseconds, not {value}")
    return value

class Runtime:
    """An importkit runtime: its own module table, search path, mounts, natives, finders, path hooks and
    policy; nothing is shared with another runtime, nor with ``sys.modules``.

    ``profile`` picks the file conventions: ``"python"`` (``.py``, ``__init__``, and this interpreter's cache
    tag and extension suffixes: ``Profile.interpreter()``), ``"lua"`` (``.lua``, ``init``), ``"empty"``, or a
    ``Profile``. The executor always runs Python code, whatever the profile.

    Two ways to use it:

    - full import mode: ``rt.import_module("game")`` executes modules into module objects of the runtime's
      own table. Executed code sees no module of the interpreter's but ``__future__`` (a native of every
      runtime). Expose others as natives: ``rt.register_native("json", importlib.import_module)``. Turn the
      filesystem on (``enable_filesystem``, ``path_append``) to import files.
    - ``importkit.install(rt)``: the runtime becomes CPython's path finder (``sys.meta_path``); its mounts and
      natives become importable by plain ``import`` statements.

    Free it with ``close()`` (or a ``with`` block, or by dropping it). Modules already imported stay usable
    as Python objects, but their ``import`` statements fail with ``UnavailableError`` once it is closed.
    """

    def __init__(self, profile: str | Profile = "python") -> None:
        lib = _ffi.lib()
        err = ctypes.c_void_p()
        own = None
        if isinstance(profile, Profile):
            prof = profile
            self.profile = profile.base
        else:
            if profile not in PROFILES:
                raise ValueError(f"profile must be one of {sorted(PROFILES)}, not {profile!r}")
            # "python" is this interpreter's conventions (its cache tag and extension suffixes), not 3.11's.
            prof = own = Profile.interpreter() if profile == "python" else Profile(profile)
            self.profile = profile
        try:
            rt = ctypes.c_void_p()
            check(lib.ik_runtime_new(prof._ptr, ctypes.byref(rt), ctypes.byref(err)), err)
        finally:
            if own is not None:
                own.free()
        assert rt.value is not None  # ik_runtime_new succeeded: it wrote the runtime
        self._state = state = RuntimeState(rt.value)
        self._tree = MountTree()
        self._native_factories: dict[str, Callable[[str], object]] = {}
        #: top-level names mounts and natives provide: install()'s finder asks importkit's own finders first
        self._served: frozenset[str] | _EveryName = frozenset()
        self._virtual_root: str | None = None
        #: ids of the path hooks the host added (install()'s finder then checks their answers)
        self._hook_ids: set[int] = set()
        try:
            self._executor = PythonExecutor(state, self)
            vt = _callbacks.executor_vtable(state, self._executor)
            with state.using() as ptr:
                check(lib.ik_runtime_set_executor(ptr, ctypes.byref(vt), ctypes.byref(err)), err)
            # `from __future__ import x` executes an import at run time too; CPython's module serves it.
            self.register_native("__future__", lambda name: __future__)
            root = default_virtual_root()
            if root is not None:  # mounted modules have files (set_virtual_root(None): none)
                self.set_virtual_root(root)
            # the release callback of borrowed mounts (shared; its userdata is the mount's key)
            self._release_mount = _ffi.RELEASE_FN(_releaser(state))
            state.keepalive.append(self._release_mount)
        except BaseException:
            state.close()
            raise

    # -- lifetime -------------------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._state.closed

    def close(self) -> None:
        """Frees the runtime (every module of its table is released). Idempotent. Called from a module's own
        code, it takes effect when the running import returns. Refused (RuntimeError) while the runtime is
        installed in ``sys.meta_path``."""
        self._state.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self._state.close()
        except Exception:  # interpreter shutdown, or __init__ failed before _state existed
            pass

    def __repr__(self) -> str:
        return f"<importkit.Runtime profile={self.profile!r}{' closed' if self.closed else ''}>"

    # -- mounts, natives, finders ------------------------------------------------------------------------------

    def mount(self, point: str, files: Mapping[str, bytes | str] | str | os.PathLike, *,
              replace: bool = False) -> int:
        """Mounts a tree of files at ``point``: a top-level name (``"game"``: ``__init__.py`` is ``game``,
        ``core.py`` is ``game.core``) or ``""`` for the root (``game/__init__.py`` is ``game``).

        ``files`` maps relative ``/`` paths to bytes (str is encoded as UTF-8), or is a directory whose files
        are read now, as ``BundleBuilder.add_dir`` reads one: ``__pycache__`` left out, symbolic links followed
        when they lead inside the directory; a link out of it, a loop, a special file (a FIFO, a socket, a
        device: never opened) refused with ``InvalidArgumentError``, nothing mounted. importkit borrows the bytes, which this object
        keeps (they also serve ``get_source``, ``get_data`` and ``importlib.resources``). ``replace``
        replaces a tree mounted at the same point, in its place. Returns the mount's finder id."""
        from . import memory, spec  # noqa: F401 - loaded now, not inside the first import of a mounted module

        if isinstance(files, (str, os.PathLike)):
            files = _read_directory(files)
        point_b = cstr(point, "mount point")
        items = []
        for path, data in files.items():
            p = cstr(path, "mount path")
            if isinstance(data, str):
                d = data.encode("utf-8")
            elif isinstance(data, (bytes, bytearray, memoryview)):
                d = bytes(data)
            else:  # bytes(5) would be five NUL bytes: the rule of BundleBuilder.add_tree
                raise TypeError(f"file bytes must be bytes or str, not {type(data).__name__} (at {path!r})")
            items.append((path, p, d))
        array = (_ffi.ik_mount_file * len(items))()
        for i, (_, p, d) in enumerate(items):
            array[i].path = p
            array[i].path_len = len(p)
            array[i].data = ctypes.cast(ctypes.c_char_p(d), ctypes.POINTER(ctypes.c_uint8))
            array[i].data_len = len(d)
        key = next(self._state._ids)
        self._state.borrowed[key] = items  # the bytes importkit reads until it calls release(key)
        flags = _ffi.IK_MOUNT_BORROW | (_ffi.IK_MOUNT_REPLACE if replace else 0)
        out_id = ctypes.c_uint64()
        err = ctypes.c_void_p()
        lib = _ffi.lib()
        with self._state.using() as ptr:
            status = lib.ik_runtime_mount(
                ptr, point_b, array, len(items), flags, self._release_mount, key, ctypes.byref(out_id),
                ctypes.byref(err),
            )
        check(status, err)
        self._tree.add(point, {path: d for path, _, d in items}, out_id.value, replace)
        self._served_changed()
        return out_id.value

    def mount_bundle(self, source: str | os.PathLike | bytes, point: str = "", *, read: bool = False,
                     sha256: bytes | str | None = None, replace: bool = False) -> int:
        """Mounts a bundle (docs/BUNDLE.md) at ``point`` (a top-level name, or ``""`` for the root): ``source`` is
        the path of an ``.ikb`` file (mapped; ``read=True`` reads it whole instead) or the bundle's bytes
        (copied). ``sha256`` pins the bundle's digest (32 bytes or 64 hex digits; ``verify_bundle`` gives it):
        any other bundle is refused. Unmounted with ``unmount``. Returns the mount's finder id."""
        from . import bundle, memory, spec  # noqa: F401 - loaded now, not inside the first import of a mounted module

        pin = bundle._digest(sha256)
        flags = _ffi.IK_MOUNT_REPLACE if replace else 0
        out_id = ctypes.c_uint64()
        err = ctypes.c_void_p()
        lib = _ffi.lib()
        point_b = cstr(point, "mount point")
        with self._state.using() as ptr:
            if isinstance(source, (bytes, bytearray, memoryview)):
                data = bytes(source)
                buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data) if data else (ctypes.c_uint8 * 1)()
                status = lib.ik_runtime_mount_bundle_bytes(
                    ptr, point_b, buf, len(data), flags, pin, _ffi.RELEASE_FN(), None, ctypes.byref(out_id),
                    ctypes.byref(err),
                )
            else:
                flags |= _ffi.IK_BUNDLE_READ if read else 0
                status = lib.ik_runtime_mount_bundle(
                    ptr, point_b, cstr(os.fspath(source), "path"), flags, pin, ctypes.byref(out_id), ctypes.byref(err)
                )
        try:
            check(status, err)
        except BaseException as exc:
            path = None if isinstance(source, (bytes, bytearray, memoryview)) else os.fspath(source)
            failed = exc if path is None else _opening_failed(exc, path)
            if failed is exc:
                raise
            raise failed from exc
        self._tree.add(point, {}, out_id.value, replace, bundle=True)
        self._served_changed()
        return out_id.value

    def mount_bundle_appended(self, path: str | os.PathLike | None = None, point: str = "", *, read: bool = False,
                              sha256: bytes | str | None = None, replace: bool = False) -> int:
        """Mounts the bundle appended to the file ``path`` (``importkit bundle append``), or with ``path`` None to
        the running program's own executable, at ``point``, as ``mount_bundle`` mounts a file."""
        from . import bundle, memory, spec  # noqa: F401 - loaded now, not inside the first import of a mounted module

        pin = bundle._digest(sha256)
        flags = (_ffi.IK_MOUNT_REPLACE if replace else 0) | (_ffi.IK_BUNDLE_READ if read else 0)
        out_id = ctypes.c_uint64()
        encoded = None if path is None else cstr(os.fspath(path), "path")
        try:
            self._call("ik_runtime_mount_bundle_appended", cstr(point, "mount point"), encoded, flags, pin,
                       ctypes.byref(out_id))
        except BaseException as exc:
            failed = _opening_failed(exc, sys.executable if path is None else os.fspath(path))
            if failed is exc:
                raise
            raise failed from exc
        self._tree.add(point, {}, out_id.value, replace, bundle=True)
        self._served_changed()
        return out_id.value

    def unmount(self, point: str) -> None:
        """Unmounts the tree at ``point``; modules imported from it stay (in the table, or ``sys.modules``)."""
        self._call("ik_runtime_unmount", cstr(point, "mount point"))
        self._tree.remove(point)
        self._served_changed()

    @property
    def mounts(self) -> list[str]:
        """The mount points, in meta path order."""
        return self._tree.points

    def set_virtual_root(self, root: str | None) -> None:
        """Gives modules of mounted trees and bundles a virtual file under ``root`` (``root/game/core.py``: their
        ``__file__``, ``get_filename``, the filename of their code and ``get_data``'s paths); None: no file. A
        runtime starts with ``default_virtual_root()`` (``sys.executable``). Modules already imported keep
        theirs."""
        self._call("ik_runtime_set_virtual_root", None if root is None else cstr(os.fspath(root), "root"))
        self._virtual_root = None if root is None else os.fspath(root)

    def register_native(
        self, name: str, factory: Callable[[str], object], *, powerful: bool = False, package: bool = False
    ) -> None:
        """Registers a native module: importing ``name`` calls ``factory(name)`` once and uses what it returns
        as the module. A powerful native is denied unless ``allow(name)``; ``package`` makes it a package
        before native submodules are registered."""
        if not callable(factory):
            raise TypeError("factory must be callable")
        if self._native_factories:
            from . import spec  # noqa: F401 - loaded now, not inside the import of a native
        flags = (_ffi.IK_NATIVE_POWERFUL if powerful else 0) | (_ffi.IK_NATIVE_PACKAGE if package else 0)
        vt = _callbacks.native_vtable(self._state, factory, flags)
        self._call("ik_runtime_register_native", cstr(name), ctypes.byref(vt))
        self._native_factories[name] = factory
        self._served_changed()

    def unregister_native(self, name: str) -> None:
        """Unregisters a native; a module it made stays in the table."""
        self._call("ik_runtime_unregister_native", cstr(name))
        self._native_factories.pop(name, None)
        self._served_changed()

    def add_finder(self, find: Callable[[str, list[str] | None], object], *, name: str = "finder",
                   position: int | None = None, invalidate: Callable[[], None] | None = None,
                   read_resource: Callable[[str, str], bytes | str | None] | None = None,
                   resources: Callable[[str], Iterable[str] | None] | None = None,
                   iter_modules: Callable[[str | None], Iterable[object] | None] | None = None) -> int:
        """Puts a host finder on the runtime's meta path (``position`` 0 first; None last): ``find(name,
        path)`` (``path``: the parent's search locations, None for a top-level name) returns an
        ``importkit.Found`` or None. ``invalidate()`` is called by ``invalidate()``. Returns its id.

        ``find`` may also be an object with a ``find(name, path)`` method. The finder serves resources and
        listings (``read_resource``, ``resources``, ``iter_modules`` of the runtime) if it opts in, with
        these keyword arguments or methods of the same names on ``find``: ``read_resource(package,
        resource)`` gives the bytes (or str) of a file of a package it found, or None when there is none;
        ``resources(package)`` the names directly in such a package; ``iter_modules(package)`` the modules
        directly in it (``package`` None: the top-level ones) as ``(name, is_package)`` pairs or
        ``pkgutil.ModuleInfo``. An exception in any of them becomes a ``HostError`` (its ``__cause__``).

        A finder written in Python serves this runtime's ``import_module``; programs that import through
        ``install()`` put their own finders on ``sys.meta_path`` as usual."""
        methods = _callbacks.finder_methods(find)
        if not callable(find):
            find = getattr(find, "find", None)
            if not callable(find):
                raise TypeError("find must be callable or have a find(name, path) method")
        vt = _callbacks.finder_vtable(
            self._state, find, invalidate or methods["invalidate"], name,
            read_resource or methods["read_resource"], resources or methods["resources"],
            iter_modules or methods["iter_modules"],
        )
        out = ctypes.c_uint64()
        pos = ctypes.c_size_t(-1).value if position is None else position
        self._call("ik_runtime_add_finder", ctypes.byref(vt), pos, ctypes.byref(out))
        return out.value

    def remove_finder(self, finder_id: int) -> None:
        """Removes a host finder or a mount from the meta path by its id."""
        self._call("ik_runtime_remove_finder", finder_id)
        for point in [m.point for m in self._tree._mounts if m.id == finder_id]:
            self._tree.remove(point)
        self._served_changed()

    def _served_changed(self) -> None:
        natives = {n.partition(".")[0] for n in self._native_factories if n != "__future__"}
        if self._tree.root_bundle:  # a bundle at the root may serve any name: ask importkit first for every one
            self._served = _EveryName(frozenset({"__future__"}))
        else:
            self._served = frozenset(natives | self._tree.top_names)

    # -- policy -----------------------------------------------------------------------------------------------

    def allow(self, name: str) -> None:
        """Allows a top-level name (``"*"``: all but powerful natives); once anything is allowed, every name
        not allowed is denied (``DeniedError``, a ``PermissionError``)."""
        self._call("ik_runtime_allow", cstr(name))

    def deny(self, name: str) -> None:
        """Denies a top-level name (``"*"``: every name); deny wins over allow."""
        self._call("ik_runtime_deny", cstr(name))

    def clear_policy(self) -> None:
        """Back to the default policy: everything allowed but powerful natives."""
        self._call("ik_runtime_clear_policy")

    # -- the filesystem ----------------------------------------------------------------------------------------

    def enable_filesystem(self, enabled: bool = True) -> None:
        """Turns the path finder on or off (off, the default: no filesystem call at all)."""
        self._call("ik_runtime_enable_filesystem", bool(enabled))

    @property
    def path(self) -> list[str]:
        """The search path (a copy); assign a list to replace it."""
        return self._list("ik_runtime_path_list")

    @path.setter
    def path(self, entries: Iterable[str]) -> None:
        encoded = [cstr(os.fspath(e), "entry") for e in entries]
        array = (ctypes.c_char_p * len(encoded))(*encoded)
        self._call("ik_runtime_path_set", array, len(encoded))

    def path_append(self, entry: str) -> None:
        """Appends an entry to the search path: a directory, ``""`` (the current directory) or an entry a
        path hook serves."""
        self._call("ik_runtime_path_append", cstr(os.fspath(entry), "entry"))

    def path_insert(self, index: int, entry: str) -> None:
        self._call("ik_runtime_path_insert", index, cstr(os.fspath(entry), "entry"))

    def path_remove(self, entry: str) -> None:
        """Removes the first entry equal to ``entry`` (``UnavailableError`` if there is none)."""
        self._call("ik_runtime_path_remove", cstr(os.fspath(entry), "entry"))

    def add_path_hook(self, hook: Callable[[str], object], *, name: str = "hook", position: int | None = None) -> int:
        """Adds a path hook (before the built-in directory hook): ``hook(entry)`` returns None ("not mine") or
        an entry finder, an object with ``find(name) -> Found | None`` (or a callable doing that) and
        optionally ``invalidate()``, and, to serve resources and listings of what it finds there,
        ``read_resource(resource)`` (bytes or str of the file ``resource`` of the entry, None when there is
        none), ``resources()`` (the names directly in the entry) and ``iter_modules()`` (the modules directly
        in it, ``(name, is_package)`` pairs or ``pkgutil.ModuleInfo``). Answers are cached per entry until
        ``invalidate()``. Returns its id.
        Path hooks also serve ``install()``'s finder, since they are part of the path finder."""
        if not callable(hook):
            raise TypeError("hook must be callable")
        vt = _callbacks.path_hook_vtable(self._state, hook, name)
        out = ctypes.c_uint64()
        pos = ctypes.c_size_t(-1).value if position is None else position
        self._call("ik_runtime_add_path_hook", ctypes.byref(vt), pos, ctypes.byref(out))
        self._hook_ids.add(out.value)
        return out.value

    def remove_path_hook(self, hook_id: int) -> None:
        self._call("ik_runtime_remove_path_hook", hook_id)
        self._hook_ids.discard(hook_id)

    def set_recheck(self, milliseconds: int) -> None:
        """How long a directory listing is trusted before the directory is checked again (default 1000 ms;
        0: a stat per directory per lookup, as CPython's FileFinder). An int from 0 to 2**32 - 1 (the C ABI's
        ``uint32_t``)."""
        self._call("ik_runtime_set_recheck", recheck_milliseconds(milliseconds))

    def confine(self, root: str) -> None:
        """Confines the path finder to ``root`` (call again to allow several)."""
        self._call("ik_runtime_confine", cstr(os.fspath(root), "root"))

    def clear_confinement(self) -> None:
        self._call("ik_runtime_clear_confinement")

    def drop_caches(self) -> None:
        """Forgets every directory listing and entry finder: the next search starts cold."""
        self._call("ik_runtime_drop_caches")

    def invalidate(self) -> None:
        """Drops the finders' caches (``importlib.invalidate_caches()``)."""
        self._call("ik_runtime_invalidate")

    # -- the code cache (docs/CODE_CACHE.md) ----------------------------------------------------------------

    # This binding's executor accepts compiled code (``exec_code``; no ``compile``: the loaders compile source,
    # with ``__pycache__``): a bundle's code entry for the runtime's cache tag runs as it is (``hits_source``),
    # and code kept in the cache directory is used; the settings are the C ABI's, translated.

    def set_code_cache_dir(self, directory: str | None) -> None:
        """Keeps compiled code in ``directory`` across runs (None: in memory only)."""
        encoded = None if directory is None else cstr(os.fspath(directory), "dir")
        self._call("ik_runtime_set_code_cache_dir", encoded)

    def set_code_cache_limit(self, nbytes: int) -> None:
        """Bounds the compiled code kept in memory to ``nbytes`` (0: none)."""
        nbytes = int(nbytes)
        if not 0 <= nbytes < 2**64:
            raise ValueError(f"a code cache limit is 0 to 2**64 - 1 bytes, not {nbytes}")
        self._call("ik_runtime_set_code_cache_limit", nbytes)

    def code_cache_stats(self) -> dict[str, int]:
        """The code cache's counters (``compiles``, ``hits_source``, ``hits_memory``, ``misses``...)."""
        stats = _ffi.ik_code_cache_stats()
        stats.size = ctypes.sizeof(stats)
        self._call("ik_runtime_code_cache_stats", ctypes.byref(stats))
        return {name: getattr(stats, name) for name, *_ in stats._fields_ if name not in ("size", "reserved")}

    def namespace_locations(self, name: str) -> list[str]:
        """The current search locations of namespace package ``name`` of the module table."""
        return self._list("ik_runtime_namespace_locations", cstr(name))

    # -- finding ----------------------------------------------------------------------------------------------

    def find_spec(self, name: str, package: str | None = None) -> Spec:
        """The spec of ``name`` (relative with leading dots, against ``package``) without executing anything.
        Raises ``NotFoundError`` (a ``ModuleNotFoundError`` carrying ``attempts``) when no finder knows it."""
        pkg = None if package is None else cstr(package, "package")
        return self._spec("ik_runtime_find_spec", cstr(name), pkg)

    def path_find_spec(self, name: str, entries: Iterable[str] | None = None) -> Spec:
        """CPython's ``PathFinder.find_spec(name, entries)``: the path finder alone over ``entries`` (None:
        the search path); nothing else asked, no parent resolved. The filesystem must be on."""
        if entries is None:
            return self._spec("ik_runtime_path_find_spec", cstr(name), None, 0)
        encoded = [cstr(os.fspath(e), "entry") for e in entries]
        array = (ctypes.c_char_p * len(encoded))(*encoded)
        return self._spec("ik_runtime_path_find_spec", cstr(name), array, len(encoded))

    def module_spec(self, name: str) -> Spec:
        """The spec of the module under ``name`` in the table (``NotFoundError`` if it is not there)."""
        return self._spec("ik_runtime_module_spec", cstr(name))

    # -- importing and the module table ----------------------------------------------------------------------

    def import_module(self, name: str, package: str | None = None) -> object:
        """``importlib.import_module(name, package)`` in this runtime: the module object."""
        lib = _ffi.lib()
        out = ctypes.c_void_p()
        err = ctypes.c_void_p()
        encoded = cstr(name)
        pkg = None if package is None else cstr(package, "package")
        with self._state.using() as ptr:
            if pkg is None:
                status = lib.ik_runtime_import(ptr, encoded, None, ctypes.byref(out), ctypes.byref(err))
            else:
                status = lib.ik_runtime_import_n(
                    ptr, encoded, len(encoded), pkg, len(pkg), ctypes.byref(out), ctypes.byref(err)
                )
        check(status, err)
        return self._state.module(out.value)

    def import_from(self, name: str, fromlist: Iterable[str] = (), level: int = 0,
                    package: str | None = None) -> object:
        """What an import statement asks for (``__import__``): ``import a.b`` is ``import_from("a.b")`` (the
        top-level package ``a``); ``from .x import y`` is ``import_from("x", ["y"], 1, package)``."""
        handle = self._state.import_from(name, package, tuple(fromlist), level)
        return self._state.module(handle)

    def get_module(self, name: str, default: object = None) -> object:
        """The module under ``name`` in the table (partly initialised ones included), else ``default``.
        Nothing is imported."""
        handle = self._state.get_handle(name)
        if handle is None or handle not in self._state.modules:
            return default
        return self._state.modules[handle]

    def module_state(self, name: str) -> str | None:
        """``"initializing"``, ``"ready"``, or None when ``name`` is not in the table."""
        lib = _ffi.lib()
        out = ctypes.c_void_p()
        state = ctypes.c_uint32()
        err = ctypes.c_void_p()
        with self._state.using() as ptr:
            status = lib.ik_runtime_get_module(ptr, cstr(name), ctypes.byref(out), ctypes.byref(state),
                                               ctypes.byref(err))
        if status == _ffi.IK_ERR_NOT_FOUND:
            lib.ik_error_free(err.value)
            return None
        check(status, err)
        return "ready" if state.value == _ffi.IK_MODULE_READY else "initializing"

    def insert_module(self, name: str, module: object, locations: Iterable[str] | None = None) -> None:
        """Puts a module object into the table under ``name``, ready (``sys.modules[name] = module``). With
        ``locations`` it is a package whose submodules are found there (``module.__path__``)."""
        encoded_name = cstr(name)
        if locations is not None:
            encoded = [cstr(os.fspath(x), "location") for x in locations]
            array = (ctypes.c_char_p * len(encoded))(*encoded)
        handle = self._state.add(module, name)
        try:
            if locations is None:
                self._call("ik_runtime_insert_module", encoded_name, handle)
            else:
                self._call("ik_runtime_insert_package", encoded_name, handle, array, len(encoded))
        except BaseException:
            self._state.release(handle)
            raise

    def remove_module(self, name: str) -> None:
        """Removes ``name`` from the table (``del sys.modules[name]``); ``NotFoundError`` if it is not there."""
        self._call("ik_runtime_remove_module", cstr(name))

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        lib = _ffi.lib()
        out = ctypes.c_bool()
        err = ctypes.c_void_p()
        with self._state.using() as ptr:
            status = lib.ik_runtime_contains(ptr, cstr(name), ctypes.byref(out), ctypes.byref(err))
        check(status, err)
        return bool(out.value)

    def modules(self) -> list[str]:
        """The names in the module table, sorted."""
        return self._list("ik_runtime_list_modules")

    def reload(self, name: str) -> object:
        """``importlib.reload``: finds module ``name`` of the table again and executes it again in the same
        module object (its attributes follow the new spec, as CPython's ``reload`` sets them); returns the
        module now under ``name``. ``NotFoundError`` when ``name`` is not in the table; a failure (not found
        again, its code raised: ``ExecError``) leaves the module in the table, the same object."""
        lib = _ffi.lib()
        out = ctypes.c_void_p()
        err = ctypes.c_void_p()
        encoded = cstr(name)
        with self._state.using() as ptr:
            status = lib.ik_runtime_reload(ptr, encoded, ctypes.byref(out), ctypes.byref(err))
        check(status, err)
        return self._state.module(out.value)

    # -- resources and listing ------------------------------------------------------------------------------

    def get_code(self, name: str, *, whole_name: bool = False, files: bool = False,
                 spec: bool = True) -> tuple[Spec | None, bytes | None, bool]:
        """``ik_runtime_get_code`` (``InspectLoader.get_code``): what importing ``name`` would hand the executor,
        nothing executed or imported: its spec, its bytes, and whether they are compiled code for the runtime's
        cache tag (a bundle's code entry for ``sys.implementation.cache_tag``) rather than source;
        None for a module without bytes (a file the host reads itself, a namespace package, a native).
        ``whole_name``: a dotted name found whole, as Lua's ``require`` finds one, its parent not asked;
        ``files``: a file of the search path read too (for an executor that takes code); ``spec=False``: the
        spec is not copied (None in its place), for a loader that has it already."""
        flags = (_ffi.IK_CODE_WHOLE_NAME if whole_name else 0) | (_ffi.IK_CODE_FILES if files else 0)
        encoded = cstr(name)
        lib = _ffi.lib()
        spec_ptr, bytes_ptr, is_code = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_bool()
        err = ctypes.c_void_p()
        with self._state.using() as ptr:
            status = lib.ik_runtime_get_code(ptr, encoded, len(encoded), flags, ctypes.byref(spec_ptr),
                                             ctypes.byref(bytes_ptr), ctypes.byref(is_code), ctypes.byref(err))
        check(status, err)
        from .spec import Spec

        try:
            data = _ffi.take_resource(bytes_ptr.value) if bytes_ptr.value else None
            found = None
            if spec:
                assert spec_ptr.value is not None  # ik_runtime_get_code succeeded: it wrote the spec
                found = Spec.from_ptr(spec_ptr.value)
            return found, data, bool(is_code.value)
        finally:
            lib.ik_spec_free(spec_ptr.value)

    def read_resource(self, package: str, resource: str) -> bytes:
        """``importlib.resources.files(package).joinpath(resource).read_bytes()``: the bytes of file
        ``resource`` (a relative ``/`` path: ``data/level1.txt``) of package ``package``, from whichever source
        serves the package now (a mount, the filesystem, a zip archive, a host finder). Nothing is imported.
        ``NotFoundError`` when the package or the file is not there, ``ImportKitImportError`` when ``package``
        is a module, not a package, ``InvalidArgumentError`` for a bad path (``..``, ``/abs``, empty
        segments)."""
        lib = _ffi.lib()
        out = ctypes.c_void_p()
        err = ctypes.c_void_p()
        pkg = cstr(package, "package")
        res = cstr(resource, "resource")
        with self._state.using() as ptr:
            status = lib.ik_runtime_read_resource(ptr, pkg, res, ctypes.byref(out), ctypes.byref(err))
        check(status, err)
        return _ffi.take_resource(out.value)

    def read_file(self, path: str) -> bytes:
        """The bytes of the file at ``path`` in the logical tree of mounts (``foo-1.0.dist-info/METADATA``,
        ``game/data/level.txt``), from the first memory mount or bundle that holds it (``ik_runtime_read_file``);
        ``NotFoundError`` when none does, ``InvalidArgumentError`` for a bad path. The filesystem is not asked."""
        lib = _ffi.lib()
        out = ctypes.c_void_p()
        err = ctypes.c_void_p()
        encoded = cstr(path, "path")
        with self._state.using() as ptr:
            status = lib.ik_runtime_read_file(ptr, encoded, ctypes.byref(out), ctypes.byref(err))
        check(status, err)
        return _ffi.take_resource(out.value)

    def distributions(self) -> list[str]:
        """The distribution metadata directories of the mounts and bundles, by their path in the tree of mounts
        (``foo-1.0.dist-info`` at the top of a root mount, ``app/foo-1.0.dist-info`` in a bundle mounted at
        ``app``), in meta path order (``ik_runtime_distributions``)."""
        return self._list("ik_runtime_distributions")

    def find_distributions(self, context=None) -> list:
        """``importlib.metadata``'s ``find_distributions`` over the mounts and bundles: their distributions
        (``importkit.metadata.MountedDistribution``) that ``context`` (a ``DistributionFinder.Context``; None:
        all) asks for, by its ``name`` and ``path`` (docs/SEMANTICS.md, *Distributions*)."""
        from .metadata import find_distributions

        return find_distributions(self, context)

    def resources(self, package: str) -> list[str]:
        """The names of the files and directories directly in package ``package`` (modules included), sorted
        (``importlib.resources.files(package).iterdir()`` by name); a namespace package's from every portion.
        Errors as ``read_resource``."""
        return self._list("ik_runtime_resources", cstr(package, "package"))

    def iter_modules(self, package: str | None = None) -> list[pkgutil.ModuleInfo]:
        """``pkgutil.iter_modules``: the modules and packages directly in package ``package``, or the top-level
        ones for None, from every source in meta path order (names the policy denies left out; each name once),
        as ``pkgutil.ModuleInfo(module_finder, name, ispkg)`` tuples whose ``module_finder`` is this runtime.
        Nothing is imported. Errors as ``read_resource``."""
        import pkgutil

        lib = _ffi.lib()
        out = ctypes.c_void_p()
        err = ctypes.c_void_p()
        pkg = None if package is None else cstr(package, "package")
        with self._state.using() as ptr:
            status = lib.ik_runtime_iter_modules(ptr, pkg, ctypes.byref(out), ctypes.byref(err))
        check(status, err)
        try:
            infos = []
            for i in range(lib.ik_name_list_count(out.value)):
                name = _ffi.text(lib.ik_name_list_get, out.value, i) or ""
                is_package = lib.ik_name_list_is_package(out.value, i) == 1
                # module_finder is this runtime (as documented), not a finder of the import protocols typeshed
                # types it as
                infos.append(pkgutil.ModuleInfo(self, name, is_package))  # type: ignore[arg-type]
            return infos
        finally:
            lib.ik_name_list_free(out.value)

    # -- helpers --------------------------------------------------------------------------------------------

    def _call(self, function: str, *args) -> None:
        """Calls ``ik_runtime_<...>(rt, *args, &err)`` and raises on failure."""
        fn = getattr(_ffi.lib(), function)
        err = ctypes.c_void_p()
        with self._state.using() as ptr:
            status = fn(ptr, *args, ctypes.byref(err))
        check(status, err)

    def _spec(self, function: str, *args) -> Spec:
        """Calls a function writing an owned ``const ik_spec *`` and copies the spec."""
        lib = _ffi.lib()
        out = ctypes.c_void_p()
        err = ctypes.c_void_p()
        with self._state.using() as ptr:
            status = getattr(lib, function)(ptr, *args, ctypes.byref(out), ctypes.byref(err))
        check(status, err)
        from .spec import Spec

        try:
            assert out.value is not None  # the call succeeded: it wrote the spec
            return Spec.from_ptr(out.value)
        finally:
            lib.ik_spec_free(out.value)

    def _list(self, function: str, *args) -> list[str]:
        """Calls a function writing an ``ik_name_list *`` and copies the names."""
        lib = _ffi.lib()
        out = ctypes.c_void_p()
        err = ctypes.c_void_p()
        with self._state.using() as ptr:
            status = getattr(lib, function)(ptr, *args, ctypes.byref(out), ctypes.byref(err))
        check(status, err)
        try:
            return [
                _ffi.text(lib.ik_name_list_get, out.value, i) or "" for i in range(lib.ik_name_list_count(out.value))
            ]
        finally:
            lib.ik_name_list_free(out.value)
