"""Exceptions: every ``ik_status`` other than ``IK_OK`` becomes one of the classes below, carrying the details
of the ``ik_error`` object (message, module, attempts, host message, line, column).

Hierarchy::

    ImportKitError(Exception)                 every error of importkit; the details live here
    ├── InvalidArgumentError(ValueError)      IK_ERR_INVALID_ARGUMENT
    ├── InvalidNameError(ValueError)          IK_ERR_INVALID_NAME
    ├── DeniedError(PermissionError)          IK_ERR_DENIED (the runtime's policy refused the name)
    ├── IoError(OSError)                      IK_ERR_IO (a file the caller named could not be read or written)
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

The ``__cause__`` of an error is the Python exception that failed (a module's code, a finder, a hook): the
callback that caught it attached it to its report as host data (``ik_report_host_data``), and it comes back
on the error object (``ik_error_host_data``), the very same object, on whichever thread the error is read. An
error passed on keeps it, so the outer import's error has the inner module's exception as ``__cause__``.
"""

from __future__ import annotations

import ctypes
from _thread import _local

from . import _ffi, _held


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


class IoError(ImportKitError, OSError):
    """Reading or writing a file the caller named failed (a bundle being written, a cache directory). The
    message names the file and the system's reason."""

    status = _ffi.IK_ERR_IO


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
        IoError,
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


# The one piece of per-thread state: a BaseException that is not an Exception (KeyboardInterrupt, SystemExit)
# a callback of this thread caught. It is re-raised as soon as control is back in Python, instead of whatever
# importkit made of it. Host data cannot carry it everywhere: `bind`, `has_attr`, the executor's `release` and
# `invalidate` have no report (importkit ignores their failure, or cannot have one), and module code may
# swallow the error an interrupt caused (`except BaseException`), yet the interrupt must reach the program,
# whatever importkit or the module does with the status. Exceptions themselves (the `__cause__` of
# ExecError and HostError) travel on the error object: see `report_exception` and `from_error`.
_interrupt = _local()


def stash_interrupt(exc: BaseException) -> None:
    if getattr(_interrupt, "exc", None) is None:
        _interrupt.exc = exc


def raise_interrupt() -> None:
    """Re-raises a KeyboardInterrupt/SystemExit a callback of this thread caught, if there is one."""
    exc = getattr(_interrupt, "exc", None)
    if exc is not None:
        _interrupt.exc = None
        raise exc


def report_exception(report_ptr, exc: BaseException) -> None:
    """Attaches ``exc`` to the report of the failing callback (``ik_report_host_data``): it comes back on the
    error the failing call returns (``host_exception``), and on every error passing that one on."""
    _ffi.lib().ik_report_host_data(report_ptr, _held.hold(exc), _held.RELEASE, None)


def host_exception(ptr: int | None) -> BaseException | None:
    """The Python exception a callback attached to the error ``ptr`` (``ik_error_host_data``), or None."""
    if not ptr:
        return None
    exc = _held.get(_ffi.lib().ik_error_host_data(ptr))
    return exc if isinstance(exc, BaseException) else None


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
    # The exception of the Python code that failed (a module's, a finder's), carried by the error itself
    cause = host_exception(ptr)
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
    if status == _ffi.IK_OK and getattr(_interrupt, "exc", None) is None:
        return
    exc = from_error(status, err.value) if status != _ffi.IK_OK else None
    raise_interrupt()
    assert exc is not None
    raise exc
