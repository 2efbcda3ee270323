"""Exceptions: every ``ik_status`` other than ``IK_OK`` becomes one of the classes below, carrying the details
of the ``ik_error`` object (message, module, attempts, host message, line, column).

Hierarchy::

    ImportKitError(Exception)                 every error of importkit; the details live here
    ├── InvalidArgumentError(ValueError)      IK_ERR_INVALID_ARGUMENT
    ├── InvalidNameError(ValueError)          IK_ERR_INVALID_NAME
    ├── DeniedError(PermissionError)          IK_ERR_DENIED (the runtime's policy refused the name)
    └── ImportKitImportError(ImportError)     IK_ERR_IMPORT, and base of the import-flavoured ones:
        ├── NotFoundError(ModuleNotFoundError)  IK_ERR_NOT_FOUND (.name is the missing module)
        ├── ExecError                           IK_ERR_EXEC (__cause__: the Python exception, when known)
        ├── HostError                           IK_ERR_HOST (__cause__: the exception of a Python finder/hook)
        ├── DeadlockError                       IK_ERR_DEADLOCK
        ├── ExistsError                         IK_ERR_EXISTS
        ├── InvalidMountError                   IK_ERR_INVALID_MOUNT
        ├── UnavailableError                    IK_ERR_UNAVAILABLE
        └── InternalError                       IK_ERR_INTERNAL

Every class has the same detail attributes: ``message``, ``status``/``status_name``, ``module`` (also as
``name``), ``attempts`` (``(place, reason)`` pairs: every place a failed search tried), ``host_message``,
``line``, ``column``.

``DeniedError`` is a ``PermissionError`` (an ``OSError``), not an ``ImportError``: a refused module is a
decision of the host, not a missing file, and ``except ImportError`` guards around optional imports do not
swallow it. (A class cannot be both: ``OSError`` and ``ImportError`` have incompatible instance layouts.)
A host that wants a sandboxed script to treat refused modules as absent catches ``PermissionError`` around
the script, or ``(ImportError, importkit.DeniedError)`` inside it.

An exception made from an ``ik_error`` keeps that object alive (``_handle``) until the exception is garbage
collected, then frees it: a callback that catches it (a nested import failed inside a module's code) passes the
very same error on with ``ik_report_pass``, so a missing nested module stays a ``NotFoundError`` about the
nested name, with its attempts.
"""

from __future__ import annotations

import ctypes
from _thread import _local

from . import _ffi


class ImportKitError(Exception):
    """An importkit call failed. ``str(e)`` is importkit's message."""

    status: int = _ffi.IK_ERR_INTERNAL

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        module: str | None = None,
        attempts: list[tuple[str, str]] | None = None,
        host_message: str | None = None,
        line: int = 0,
        column: int = 0,
    ) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.message = message
        self.module = module
        self.attempts = list(attempts or [])
        self.host_message = host_message
        self.line = line
        self.column = column
        self._handle: _ErrorHandle | None = None
        self.name = module

    @property
    def status_name(self) -> str:
        """``"IK_ERR_NOT_FOUND"``... (``ik_status_name``)."""
        try:
            return _ffi.lib().ik_status_name(self.status).decode()
        except OSError:  # no library: the binding's own table
            return _ffi.STATUS_NAMES.get(self.status, "IK_UNKNOWN_STATUS")

    def __str__(self) -> str:
        return self.message


class InvalidArgumentError(ImportKitError, ValueError):
    status = _ffi.IK_ERR_INVALID_ARGUMENT


class InvalidNameError(ImportKitError, ValueError):
    status = _ffi.IK_ERR_INVALID_NAME


class ImportKitImportError(ImportKitError, ImportError):
    status = _ffi.IK_ERR_IMPORT


class NotFoundError(ImportKitImportError, ModuleNotFoundError):
    status = _ffi.IK_ERR_NOT_FOUND


class DeniedError(ImportKitError, PermissionError):
    """The runtime's policy refuses the name (``allow``/``deny``, powerful natives). Nothing was created or
    called. A ``PermissionError``: see the module docstring."""

    status = _ffi.IK_ERR_DENIED


class ExecError(ImportKitImportError):
    status = _ffi.IK_ERR_EXEC


class HostError(ImportKitImportError):
    status = _ffi.IK_ERR_HOST


class DeadlockError(ImportKitImportError):
    status = _ffi.IK_ERR_DEADLOCK


class ExistsError(ImportKitImportError):
    status = _ffi.IK_ERR_EXISTS


class InvalidMountError(ImportKitImportError):
    status = _ffi.IK_ERR_INVALID_MOUNT


class UnavailableError(ImportKitImportError):
    status = _ffi.IK_ERR_UNAVAILABLE


class InternalError(ImportKitImportError):
    status = _ffi.IK_ERR_INTERNAL


CLASSES: dict[int, type[ImportKitError]] = {
    cls.status: cls
    for cls in (
        InvalidArgumentError,
        InvalidNameError,
        ImportKitImportError,
        NotFoundError,
        DeniedError,
        ExecError,
        HostError,
        DeadlockError,
        ExistsError,
        InvalidMountError,
        UnavailableError,
        InternalError,
    )
}


class _ErrorHandle:
    """Owns one ``ik_error *`` and frees it exactly once (on ``free()`` or when collected)."""

    __slots__ = ("ptr", "_free")

    def __init__(self, ptr: int, lib) -> None:
        self.ptr: int | None = ptr
        self._free = lib.ik_error_free

    def free(self) -> None:
        ptr, self.ptr = self.ptr, None
        if ptr:
            self._free(ptr)

    def __del__(self) -> None:
        try:
            self.free()
        except Exception:  # interpreter shutdown: nothing sensible left to do
            pass


# Per-thread state the callbacks leave for the Python side of the C call that is unwinding:
# - `causes`: module name -> the Python exception that failed that module (becomes ExecError.__cause__);
# - `interrupt`: a BaseException that is not an Exception (KeyboardInterrupt, SystemExit) caught at a
#   callback boundary; it is re-raised as soon as control is back in Python, instead of an importkit error.
_pending = _local()


def stash_cause(module: str | None, exc: BaseException | None) -> None:
    if module is None or exc is None:
        return
    causes = getattr(_pending, "causes", None)
    if causes is None:
        causes = _pending.causes = {}
    causes[module] = exc


def stash_host(exc: BaseException) -> None:
    """Keeps the exception a Python finder or path hook raised (its callback returned ``IK_ERR_HOST``): the
    call that is unwinding raises it again (the ``sys.meta_path`` finder) or makes it the ``__cause__`` of
    the ``HostError``."""
    _pending.host = exc  # the latest failure of this thread: the one its call is unwinding from


def pop_host() -> BaseException | None:
    exc = getattr(_pending, "host", None)
    if exc is not None:
        _pending.host = None
    return exc


def stash_interrupt(exc: BaseException) -> None:
    if getattr(_pending, "interrupt", None) is None:
        _pending.interrupt = exc


def _pop_cause(module: str | None) -> BaseException | None:
    causes = getattr(_pending, "causes", None)
    if not causes or module is None:
        return None
    return causes.pop(module, None)


def raise_interrupt() -> None:
    """Re-raises a KeyboardInterrupt/SystemExit a callback of this thread caught, if there is one."""
    exc = getattr(_pending, "interrupt", None)
    if exc is not None:
        _pending.interrupt = None
        raise exc


def from_error(status: int, ptr: int | None) -> ImportKitError:
    """The exception for a failed call: reads the ``ik_error`` (if any) and takes ownership of it."""
    lib = _ffi.lib()
    if not ptr:
        cls = CLASSES.get(status, InternalError)
        return cls(f"importkit call failed with {_ffi.STATUS_NAMES.get(status, status)}", status=status)
    handle = _ErrorHandle(ptr, lib)
    try:
        status = lib.ik_error_status(ptr)
        attempts = []
        for i in range(lib.ik_error_attempt_count(ptr)):
            place = _ffi.text(lib.ik_error_attempt_place, ptr, i) or ""
            reason = _ffi.text(lib.ik_error_attempt_reason, ptr, i) or ""
            attempts.append((place, reason))
        cls = CLASSES.get(status, InternalError)
        exc = cls(
            _ffi.text(lib.ik_error_message, ptr) or "",
            status=status,
            module=_ffi.text(lib.ik_error_module, ptr),
            attempts=attempts,
            host_message=_ffi.text(lib.ik_error_host_message, ptr),
            line=lib.ik_error_line(ptr),
            column=lib.ik_error_column(ptr),
        )
    except BaseException:
        handle.free()
        raise
    exc._handle = handle
    if status == _ffi.IK_ERR_EXEC:
        cause = _pop_cause(exc.module)
    elif status == _ffi.IK_ERR_HOST:
        cause = pop_host()
    else:
        cause = None
        pop_host()  # a host failure that did not end the call (passed over): not this error's cause
    if cause is not None:
        exc.__cause__ = cause
    return exc


def cstr(value: str, what: str = "name") -> bytes:
    """A str argument as a NUL-terminated C string: TypeError for a non-str, InvalidArgumentError for an
    embedded NUL (ctypes would silently cut the string there). Invalid UTF-8 is left to importkit."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if "\0" in value:
        raise InvalidArgumentError(f"{what} contains a NUL character", status=_ffi.IK_ERR_INVALID_ARGUMENT)
    return _ffi.encode(value)


def check(status: int, err: ctypes.c_void_p) -> None:
    """Raises for a failed call (``err`` is the ``ik_error *`` out-parameter the call wrote).

    A pending KeyboardInterrupt/SystemExit of this thread wins over the importkit error it caused.
    """
    if status == _ffi.IK_OK and getattr(_pending, "interrupt", None) is None:
        return
    exc = from_error(status, err.value) if status != _ffi.IK_OK else None
    raise_interrupt()
    assert exc is not None
    raise exc
