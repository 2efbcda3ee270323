"""``Runtime``: one isolated import world (an ``ik_runtime``) with the Python executor installed."""

from __future__ import annotations

import __future__
import ctypes
from typing import Callable, Mapping

from . import _callbacks, _ffi
from ._state import RuntimeState
from .errors import check, cstr
from .executor import PythonExecutor
from .spec import Spec

PROFILES = {
    "python": _ffi.IK_PROFILE_PYTHON,
    "lua": _ffi.IK_PROFILE_LUA,
    "empty": _ffi.IK_PROFILE_EMPTY,
}


class Runtime:
    """An importkit runtime: its own module table, mounts, natives and policy; nothing is shared with another
    runtime, nor with ``sys.modules``.

    ``profile`` picks the file conventions (``"python"``: ``.py``, ``__init__``; ``"lua"``: ``.lua``,
    ``init``; ``"empty"``). The executor always runs Python source, whatever the profile.

    The runtime sees no module of the interpreter's but ``__future__`` (registered as a native, so that
    ``from __future__ import annotations`` works). Expose others as natives:
    ``rt.register_native("json", importlib.import_module)``.

    Free it with ``close()`` (or a ``with`` block, or by dropping it). Modules already imported stay usable
    as Python objects, but their ``import`` statements fail with ``UnavailableError`` once it is closed.
    """

    def __init__(self, profile: str = "python") -> None:
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {sorted(PROFILES)}, not {profile!r}")
        self.profile = profile
        lib = _ffi.lib()
        prof = ctypes.c_void_p()
        err = ctypes.c_void_p()
        check(lib.ik_profile_new(PROFILES[profile], None, ctypes.byref(prof), ctypes.byref(err)), err)
        try:
            rt = ctypes.c_void_p()
            check(lib.ik_runtime_new(prof, ctypes.byref(rt), ctypes.byref(err)), err)
        finally:
            lib.ik_profile_free(prof)
        self._state = state = RuntimeState(rt.value)
        try:
            self._executor = PythonExecutor(state)
            vt = _callbacks.executor_vtable(state, self._executor)
            with state.using() as ptr:
                check(lib.ik_runtime_set_executor(ptr, ctypes.byref(vt), ctypes.byref(err)), err)
            # `from __future__ import x` executes an import at run time too; CPython's module serves it.
            self.register_native("__future__", lambda name: __future__)
        except BaseException:
            state.close()
            raise

    # -- lifetime -------------------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._state.closed

    def close(self) -> None:
        """Frees the runtime (every module of its table is released). Idempotent. Called from a module's own
        code, it takes effect when the running import returns."""
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

    # -- setting up -----------------------------------------------------------------------------------------

    def mount(self, point: str, files: Mapping[str, bytes | str], *, replace: bool = False) -> int:
        """Mounts a tree of files (relative ``/`` paths -> bytes, or str as UTF-8) at ``point``: a top-level
        name (``"game"``: ``__init__.py`` is ``game``, ``core.py`` is ``game.core``) or ``""`` for the root.
        The bytes are copied. Returns the mount's finder id."""
        keep: list[bytes] = []
        array = (_ffi.ik_mount_file * len(files))()
        for i, (path, data) in enumerate(files.items()):
            p = cstr(path, "mount path")
            d = data.encode("utf-8") if isinstance(data, str) else bytes(data)
            keep += [p, d]
            array[i].path = p
            array[i].path_len = len(p)
            array[i].data = ctypes.cast(ctypes.c_char_p(d), ctypes.POINTER(ctypes.c_uint8))
            array[i].data_len = len(d)
        flags = _ffi.IK_MOUNT_REPLACE if replace else 0
        out_id = ctypes.c_uint64()
        err = ctypes.c_void_p()
        lib = _ffi.lib()
        with self._state.using() as ptr:
            status = lib.ik_runtime_mount(
                ptr,
                cstr(point, "mount point"),
                array,
                len(files),
                flags,
                _ffi.RELEASE_FN(),
                None,
                ctypes.byref(out_id),
                ctypes.byref(err),
            )
        check(status, err)
        del keep  # copied by importkit before ik_runtime_mount returned
        return out_id.value

    def unmount(self, point: str) -> None:
        """Unmounts the tree at ``point``; modules imported from it stay in the table."""
        self._call("ik_runtime_unmount", cstr(point, "mount point"))

    def register_native(
        self, name: str, factory: Callable[[str], object], *, powerful: bool = False, package: bool = False
    ) -> None:
        """Registers a native module: importing ``name`` calls ``factory(name)`` once and uses what it returns
        as the module. A powerful native is denied unless ``allow(name)``; ``package`` makes it a package
        before native submodules are registered."""
        if not callable(factory):
            raise TypeError("factory must be callable")
        flags = (_ffi.IK_NATIVE_POWERFUL if powerful else 0) | (_ffi.IK_NATIVE_PACKAGE if package else 0)
        vt = _callbacks.native_vtable(self._state, factory, flags)
        self._call("ik_runtime_register_native", cstr(name), ctypes.byref(vt))

    def unregister_native(self, name: str) -> None:
        """Unregisters a native; a module it made stays in the table."""
        self._call("ik_runtime_unregister_native", cstr(name))

    def allow(self, name: str) -> None:
        """Allows a top-level name (``"*"``: all but powerful natives); once anything is allowed, every name
        not allowed is denied."""
        self._call("ik_runtime_allow", cstr(name))

    def deny(self, name: str) -> None:
        """Denies a top-level name; deny wins over allow."""
        self._call("ik_runtime_deny", cstr(name))

    def clear_policy(self) -> None:
        """Back to the default policy: everything allowed but powerful natives."""
        self._call("ik_runtime_clear_policy")

    def invalidate(self) -> None:
        """Drops the finders' caches (``importlib.invalidate_caches()``)."""
        self._call("ik_runtime_invalidate")

    # -- importing ------------------------------------------------------------------------------------------

    def find_spec(self, name: str, package: str | None = None) -> Spec:
        """The spec of ``name`` (relative with leading dots, against ``package``) without executing anything.
        Raises ``NotFoundError`` (a ``ModuleNotFoundError``) when no finder knows it."""
        lib = _ffi.lib()
        out = ctypes.c_void_p()
        err = ctypes.c_void_p()
        pkg = None if package is None else cstr(package, "package")
        with self._state.using() as ptr:
            status = lib.ik_runtime_find_spec(ptr, cstr(name), pkg, ctypes.byref(out), ctypes.byref(err))
        check(status, err)
        try:
            return Spec.from_ptr(out.value)
        finally:
            lib.ik_spec_free(out.value)

    def import_module(self, name: str, package: str | None = None) -> object:
        """``importlib.import_module(name, package)`` in this runtime: the module object."""
        lib = _ffi.lib()
        out = ctypes.c_void_p()
        err = ctypes.c_void_p()
        pkg = None if package is None else cstr(package, "package")
        with self._state.using() as ptr:
            status = lib.ik_runtime_import(ptr, cstr(name), pkg, ctypes.byref(out), ctypes.byref(err))
        check(status, err)
        return self._state.module(out.value)

    def get_module(self, name: str, default: object = None) -> object:
        """The module under ``name`` in the table (partly initialised ones included), else ``default``.
        Nothing is imported."""
        handle = self._state.get_handle(name)
        if handle is None or handle not in self._state.modules:
            return default
        return self._state.modules[handle]

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
        lib = _ffi.lib()
        out = ctypes.c_void_p()
        err = ctypes.c_void_p()
        with self._state.using() as ptr:
            status = lib.ik_runtime_list_modules(ptr, ctypes.byref(out), ctypes.byref(err))
        check(status, err)
        try:
            return [
                _ffi.text(lib.ik_name_list_get, out.value, i) or "" for i in range(lib.ik_name_list_count(out.value))
            ]
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
