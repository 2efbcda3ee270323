"""The C callbacks: ``ik_executor`` and ``ik_native`` vtables whose functions call Python.

No Python exception ever crosses into C. Every callback catches everything and turns it into a status:

- an importkit error raised by a nested import (a module's ``import x`` failed) is passed on unchanged with
  ``ik_report_pass``, so the outer import fails with the inner error (a missing nested module stays a
  ``NotFoundError`` about the nested name);
- any other exception is reported with ``ik_report_error(IK_ERR_EXEC, "ExcType: text", line, column)``,
  the line being the last traceback line in the failing module's own source; the exception itself is kept
  (per thread) and becomes the ``__cause__`` of the ``ExecError`` the import raises;
- a ``KeyboardInterrupt``/``SystemExit`` is reported the same way and re-raised as soon as the importkit call
  returns to Python (``errors.check``).

The callback objects are kept in ``RuntimeState.keepalive`` until the runtime is freed; userdata is unused
(NULL): each vtable's functions are closures over their runtime's state.
"""

from __future__ import annotations

import ctypes
from typing import Callable

from . import _ffi, errors
from .spec import Spec


def describe(exc: BaseException) -> str:
    """``"ExcType: text"``, as the last line of a traceback shows it (``"ExcType"`` without text)."""
    try:
        text = str(exc)
    except Exception:
        text = "<exception str() failed>"
    kind = type(exc).__qualname__
    return f"{kind}: {text}" if text else kind


def _column(tb) -> int:
    """1-based column of the instruction a traceback entry points at (0 when unknown)."""
    try:
        positions = list(tb.tb_frame.f_code.co_positions())
        col = positions[tb.tb_lasti // 2][2]
        return col + 1 if col is not None else 0
    except Exception:
        return 0


def location(exc: BaseException, filename: str | None) -> tuple[int, int]:
    """Line and column of the failure in the source compiled as ``filename`` (0, 0 when unknown)."""
    if filename is None:
        return 0, 0
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        return max(exc.lineno or 0, 0), max(exc.offset or 0, 0)
    line = column = 0
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno or 0
            column = _column(tb)
        tb = tb.tb_next
    return max(line, 0), column


def report(report_ptr: int | None, exc: BaseException, module: str | None, filename: str | None) -> int:
    """Reports ``exc`` on ``report_ptr`` and returns the status the callback must return."""
    lib = _ffi.lib()
    if isinstance(exc, errors.ImportKitError):
        handle = exc._handle
        if handle is not None and handle.ptr:
            if lib.ik_report_pass(report_ptr, handle.ptr, None) == _ffi.IK_OK:
                cause = exc.__cause__
                errors.stash_cause(exc.module, cause)
                return exc.status
        elif exc.status != _ffi.IK_ERR_EXEC:
            # One of our errors made in Python (no ik_error behind it): its status and message go on.
            message = exc.message.replace("\0", "\\0").encode("utf-8", "backslashreplace")
            lib.ik_report_error(report_ptr, exc.status, message, 0, 0, None)
            return exc.status
    if not isinstance(exc, Exception):
        errors.stash_interrupt(exc)
    line, column = location(exc, filename)
    message = describe(exc).replace("\0", "\\0").encode("utf-8", "backslashreplace")
    lib.ik_report_error(report_ptr, _ffi.IK_ERR_EXEC, message, line, column, None)
    errors.stash_cause(module, exc)
    return _ffi.IK_ERR_EXEC


def _guarded(body: Callable[[], int], report_ptr, module_of: Callable[[], tuple[str | None, str | None]]) -> int:
    try:
        return body()
    except BaseException as exc:  # noqa: BLE001 - nothing may cross into C
        try:
            module, filename = module_of()
            return report(report_ptr, exc, module, filename)
        except BaseException:  # noqa: BLE001 - even reporting failed (MemoryError...): a bare status
            return _ffi.IK_ERR_EXEC


def executor_vtable(state, executor) -> _ffi.ik_executor:
    """An ``ik_executor`` whose callbacks run ``executor`` (see ``executor.PythonExecutor``) for ``state``."""

    def create(_userdata, spec_ptr, out_module, report_ptr):
        seen: list[Spec] = []

        def body() -> int:
            spec = Spec.from_ptr(spec_ptr)
            seen.append(spec)
            module = executor.create(spec)
            out_module[0] = state.add(module, spec.name)
            return _ffi.IK_OK

        return _guarded(body, report_ptr, lambda: (seen[0].name, executor.filename(seen[0])) if seen else (None, None))

    def exec_(_userdata, spec_ptr, handle, source, source_len, report_ptr):
        seen: list[Spec] = []

        def body() -> int:
            spec = Spec.from_ptr(spec_ptr)
            seen.append(spec)
            data = ctypes.string_at(source, source_len) if source else None
            executor.exec(spec, state.modules[handle], data)
            return _ffi.IK_OK

        return _guarded(body, report_ptr, lambda: (seen[0].name, executor.filename(seen[0])) if seen else (None, None))

    def bind(_userdata, parent, name, name_len, child):
        try:
            executor.bind(state.modules[parent], ctypes.string_at(name, name_len).decode(), state.modules[child])
            return _ffi.IK_OK
        except BaseException as exc:  # noqa: BLE001 - importkit ignores a failed bind, as CPython warns only
            if not isinstance(exc, Exception):
                errors.stash_interrupt(exc)
            return _ffi.IK_ERR_EXEC

    def has_attr(_userdata, handle, name, name_len):
        try:
            return bool(executor.has_attr(state.modules[handle], ctypes.string_at(name, name_len).decode()))
        except BaseException as exc:  # noqa: BLE001 - hasattr semantics: a failing lookup is "no"
            if not isinstance(exc, Exception):
                errors.stash_interrupt(exc)
            return False

    def all_names(_userdata, handle, out, report_ptr):
        def body() -> int:
            lib = _ffi.lib()
            for x in executor.all_names(state.modules[handle]):
                data = _ffi.encode(x)
                err = ctypes.c_void_p()
                errors.check(lib.ik_strings_push(out, data, len(data), ctypes.byref(err)), err)
            return _ffi.IK_OK

        return _guarded(body, report_ptr, lambda: (state.names.get(handle), None))

    def release(_userdata, handle):
        try:
            state.release(handle)
        except BaseException as exc:  # noqa: BLE001
            if not isinstance(exc, Exception):
                errors.stash_interrupt(exc)

    vt = _ffi.ik_executor()
    vt.size = ctypes.sizeof(_ffi.ik_executor)
    vt.userdata = None
    vt.create = _ffi.CREATE_FN(create)
    vt.exec = _ffi.EXEC_FN(exec_)
    vt.bind = _ffi.BIND_FN(bind)
    vt.has_attr = _ffi.HAS_ATTR_FN(has_attr)
    vt.all_names = _ffi.ALL_NAMES_FN(all_names)
    vt.release = _ffi.RELEASE_MODULE_FN(release)
    vt.release_userdata = _ffi.RELEASE_FN()  # NULL
    state.keepalive.extend([vt.create, vt.exec, vt.bind, vt.has_attr, vt.all_names, vt.release, vt])
    return vt


def native_vtable(state, factory: Callable[[str], object], flags: int) -> _ffi.ik_native:
    """An ``ik_native`` whose ``create`` calls ``factory(spec_name)`` and uses its result as the module."""

    def create(_userdata, spec_ptr, out_module, report_ptr):
        seen: list[str] = []

        def body() -> int:
            name = Spec.from_ptr(spec_ptr).name
            seen.append(name)
            module = factory(name)
            if module is None:
                raise TypeError(f"the factory of native module '{name}' returned None")
            out_module[0] = state.add(module, name)
            return _ffi.IK_OK

        return _guarded(body, report_ptr, lambda: (seen[0] if seen else None, None))

    vt = _ffi.ik_native()
    vt.size = ctypes.sizeof(_ffi.ik_native)
    vt.flags = flags
    vt.userdata = None
    vt.create = _ffi.CREATE_FN(create)
    vt.release_userdata = _ffi.RELEASE_FN()  # NULL
    state.keepalive.extend([vt.create, vt])
    return vt
