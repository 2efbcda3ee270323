"""The Python side of one ``ik_runtime``: its pointer, the module handles, and the guard that keeps the
runtime alive while calls on it run.

Module handles crossing the C boundary are small integers (1, 2, ...), keys of ``modules`` (never
``PyObject`` pointers): the module table of importkit owns one handle per entry and gives it back through
the executor's ``release`` callback, which drops the entry here.
"""

from __future__ import annotations

import ctypes
import itertools
from _thread import allocate_lock

from . import _ffi
from .errors import ImportKitImportError, UnavailableError, check, cstr

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Sequence


class _Using:
    __slots__ = ("_state",)

    def __init__(self, state: RuntimeState) -> None:
        self._state = state

    def __enter__(self) -> int:
        return self._state._enter()

    def __exit__(self, *exc_info) -> None:
        self._state._exit()


class RuntimeState:
    def __init__(self, ptr: int) -> None:
        self._ptr: int | None = ptr
        self._lock = allocate_lock()
        self._active = 0
        self._closing = False
        self._ids = itertools.count(1)
        #: handle -> module object (the host's module objects the table holds)
        self.modules: dict[int, object] = {}
        #: handle -> the full name the module was made for
        self.names: dict[int, str] = {}
        #: handles the executor made and has not executed yet (an ``exec`` of any other is a reload)
        self.unexecuted: set[int] = set()
        #: ctypes callback objects that must outlive every call importkit may make into them
        self.keepalive: list[object] = []
        #: key (an entry finder's userdata) -> the Python entry finder a path hook made
        self.entry_finders: dict[int, object] = {}
        #: mount id -> the bytes importkit borrows from that mount, until its release callback runs
        self.borrowed: dict[int, object] = {}
        #: how many sys.meta_path finders use the runtime (install()): close() is refused meanwhile
        self.pinned = 0

    # -- lifetime -------------------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._ptr is None or self._closing

    def using(self) -> _Using:
        """``with state.using() as ptr``: the runtime pointer, valid for the block; raises UnavailableError
        once closed. A close requested meanwhile happens when the last block ends."""
        return _Using(self)

    def _enter(self) -> int:
        with self._lock:
            if self._ptr is None or self._closing:
                raise UnavailableError("the importkit runtime is closed", status=_ffi.IK_ERR_UNAVAILABLE)
            self._active += 1
            return self._ptr

    def _exit(self) -> None:
        ptr: int | None = None  # the pointer to free: this was the last call of a close requested meanwhile
        with self._lock:
            self._active -= 1
            if self._closing and self._active == 0 and self._ptr is not None:
                ptr, self._ptr = self._ptr, None
        if ptr is not None:
            self._free(ptr)

    def close(self) -> None:
        """Frees the runtime now, or, if calls on it are running (a module's code closed it), as soon as the
        last one returns. New calls are refused from now on."""
        with self._lock:
            if self._ptr is None:
                return
            if self.pinned:
                raise RuntimeError("the runtime is installed in sys.meta_path: call importkit.uninstall() first")
            self._closing = True
            if self._active:
                return
            ptr, self._ptr = self._ptr, None
        self._free(ptr)

    def _free(self, ptr: int) -> None:
        # Releases every module through the executor's `release` (which empties `modules`), then userdata.
        _ffi.lib().ik_runtime_free(ptr)
        self.modules.clear()
        self.names.clear()
        self.unexecuted.clear()
        self.entry_finders.clear()
        self.borrowed.clear()
        self.keepalive.clear()

    @property
    def ptr(self) -> int | None:
        """The runtime pointer, unguarded (None once closed): for the ``sys.meta_path`` finder, which pins
        the runtime (``close()`` is refused while it is installed)."""
        return None if self._closing else self._ptr

    # -- module handles -------------------------------------------------------------------------------------

    def add_entry_finder(self, finder: object) -> int:
        key = next(self._ids)
        self.entry_finders[key] = finder
        return key

    def add(self, module: object, name: str) -> int:
        handle = next(self._ids)
        self.modules[handle] = module
        self.names[handle] = name
        return handle

    def release(self, handle: int) -> None:
        self.modules.pop(handle, None)
        self.names.pop(handle, None)
        self.unexecuted.discard(handle)

    def module(self, handle: int | None) -> object:
        if handle is not None:
            try:
                return self.modules[handle]
            except KeyError:
                pass
        raise ImportKitImportError(
            f"importkit returned module handle {handle}, which this runtime does not hold "
            "(it was released meanwhile)",
            status=_ffi.IK_ERR_IMPORT,
        ) from None

    # -- calls the executor's import statement needs --------------------------------------------------------

    def import_from(self, name: str, package: str | None, fromlist: Sequence[str], level: int) -> int:
        """``ik_runtime_import_from``; returns the module handle."""
        lib = _ffi.lib()
        names = [cstr(x, "fromlist item") for x in fromlist]
        array = (ctypes.c_char_p * len(names))(*names) if names else None
        out = ctypes.c_void_p()
        err = ctypes.c_void_p()
        with self.using() as ptr:
            status = lib.ik_runtime_import_from(
                ptr,
                cstr(name),
                None if package is None else cstr(package, "package"),
                level,
                array,
                len(names),
                ctypes.byref(out),
                ctypes.byref(err),
            )
        check(status, err)
        assert out.value is not None  # ik_runtime_import_from succeeded: it wrote the handle
        return out.value

    def get_handle(self, name: str) -> int | None:
        """The handle under ``name`` in the module table (partly initialised included), or None."""
        lib = _ffi.lib()
        out = ctypes.c_void_p()
        err = ctypes.c_void_p()
        with self.using() as ptr:
            status = lib.ik_runtime_get_module(ptr, cstr(name), ctypes.byref(out), None, ctypes.byref(err))
        if status == _ffi.IK_ERR_NOT_FOUND:
            lib.ik_error_free(err.value)
            return None
        check(status, err)
        return out.value
