"""The C callbacks: ``ik_executor``, ``ik_native``, ``ik_finder``, ``ik_path_hook`` and ``ik_entry_finder``
vtables whose functions call Python.

No Python exception ever crosses into C. Every callback catches everything and turns it into a status:

- an importkit error raised by a nested import (a module's ``import x`` failed) is passed on unchanged with
  ``ik_report_pass``, so the outer import fails with the inner error (a missing nested module stays a
  ``NotFoundError`` about the nested name);
- any other exception is reported with ``ik_report_error(IK_ERR_EXEC, "ExcType: text", line, column)``,
  the line being the last traceback line in the failing module's own source; the exception itself goes with
  the report as host data (``ik_report_host_data``) and comes back on the error object, where it becomes the
  ``__cause__`` of the ``ExecError`` the import raises (``errors.from_error``);
- a ``KeyboardInterrupt``/``SystemExit`` is reported the same way and re-raised as soon as the importkit call
  returns to Python (``errors.check``; the one piece of per-thread state, see ``errors``).

Host finders and path hooks (``Runtime.add_finder``, ``Runtime.add_path_hook``) report a failure as
``IK_ERR_HOST`` with ``"ExcType: text"`` and the exception as host data: it becomes the ``__cause__`` of the
``HostError`` (or is raised again as it is by the ``sys.meta_path`` finder). Their vtables are the second
layout of ``ik_finder`` and ``ik_entry_finder``: ``read_resource``, ``resources`` and ``iter_modules`` call
the finder's methods of those names (filling ``ik_bytes_set``, ``ik_strings_push``, ``ik_modules_push``), and
are NULL for a finder without them, so importkit treats it as serving no resources and listing nothing.

When a finder written in Python (a host finder, the entry finder of a path hook) finds a module, its ``Found``
goes with what it found as host data (``ik_found_set_host_data``) and comes back on every spec of that module
(``ik_spec_host_data``, ``Spec.found``): the ``sys.meta_path`` finder of ``install()`` reads it from the spec
importkit answers with, so it can return the Python finder's own ``ModuleSpec`` (a ``zipimporter``'s) or make
a loader for the bytes. Keys and objects live in ``_held``, until importkit releases the key.

The callback objects are kept in ``RuntimeState.keepalive`` until the runtime is freed. Executor, native and
finder vtables use no userdata (NULL): their functions are closures over their runtime's state. Entry finders
share one set of functions per runtime; their userdata is a small integer key into
``RuntimeState.entry_finders``, dropped by ``release_userdata``.
"""

from __future__ import annotations

import ctypes

from . import _ffi, _held, errors
from ._found import Found

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

    from .spec import Spec


def _spec_class():
    from .spec import Spec

    return Spec


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
            # the very same error goes on, with the exception it carries (its __cause__) as host data
            if lib.ik_report_pass(report_ptr, handle.ptr, None) == _ffi.IK_OK:
                return exc.status
        elif exc.status != _ffi.IK_ERR_EXEC:
            # One of our errors made in Python (no ik_error behind it): its status and message go on.
            message = exc.message.replace("\0", "\\0").encode("utf-8", "backslashreplace")
            lib.ik_report_error(report_ptr, exc.status, message, 0, 0, None)
            errors.report_exception(report_ptr, exc)
            return exc.status
    if not isinstance(exc, Exception):
        errors.stash_interrupt(exc)
    line, column = location(exc, filename)
    message = describe(exc).replace("\0", "\\0").encode("utf-8", "backslashreplace")
    lib.ik_report_error(report_ptr, _ffi.IK_ERR_EXEC, message, line, column, None)
    errors.report_exception(report_ptr, exc)
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
            spec = _spec_class().from_ptr(spec_ptr)
            seen.append(spec)
            module = executor.create(spec)
            handle = state.add(module, spec.name)
            state.unexecuted.add(handle)
            out_module[0] = handle
            return _ffi.IK_OK

        return _guarded(body, report_ptr, lambda: (seen[0].name, executor.filename(seen[0])) if seen else (None, None))

    def exec_(_userdata, spec_ptr, handle, source, source_len, report_ptr):
        seen: list[Spec] = []

        def body() -> int:
            spec = _spec_class().from_ptr(spec_ptr)
            seen.append(spec)
            data = ctypes.string_at(source, source_len) if source else None
            # a module executed before (or inserted by the host) is being reloaded
            reload = handle not in state.unexecuted
            state.unexecuted.discard(handle)
            executor.exec(spec, state.modules[handle], data, reload)
            return _ffi.IK_OK

        return _guarded(body, report_ptr, lambda: (seen[0].name, executor.filename(seen[0])) if seen else (None, None))

    def exec_code(_userdata, spec_ptr, handle, code, code_len, report_ptr):
        seen: list[Spec] = []

        def body() -> int:
            spec = _spec_class().from_ptr(spec_ptr)
            seen.append(spec)
            reload = handle not in state.unexecuted
            state.unexecuted.discard(handle)
            executor.exec_code(spec, state.modules[handle], ctypes.string_at(code, code_len), reload)
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
    vt.compile = _ffi.COMPILE_FN()  # NULL: source is compiled by the loaders (with __pycache__)
    vt.exec_code = _ffi.EXEC_CODE_FN(exec_code)  # compiled code for the runtime's cache tag (a bundle's)
    state.keepalive.extend([vt.create, vt.exec, vt.bind, vt.has_attr, vt.all_names, vt.release, vt.exec_code, vt])
    return vt


def native_vtable(state, factory: Callable[[str], object], flags: int) -> _ffi.ik_native:
    """An ``ik_native`` whose ``create`` calls ``factory(spec_name)`` and uses its result as the module."""

    def create(_userdata, spec_ptr, out_module, report_ptr):
        seen: list[str] = []

        def body() -> int:
            name = _spec_class().from_ptr(spec_ptr).name
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


# -- host finders, path hooks, entry finders ----------------------------------------------------------------------

def host_failure(report_ptr, exc: BaseException) -> int:
    """Reports the exception of a host finder or hook as ``IK_ERR_HOST``, with the exception as host data."""
    try:
        if not isinstance(exc, Exception):
            errors.stash_interrupt(exc)
        message = describe(exc).replace("\0", "\\0").encode("utf-8", "backslashreplace")
        _ffi.lib().ik_report_error(report_ptr, _ffi.IK_ERR_HOST, message, 0, 0, None)
        errors.report_exception(report_ptr, exc)
    except BaseException:  # noqa: BLE001 - nothing may cross into C
        pass
    return _ffi.IK_ERR_HOST


def _encode(value: str, what: str) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    return errors.cstr(value, what)


def fill_found(found_ptr, result: Found) -> None:
    """Describes ``result`` on an ``ik_found`` (raises on a value importkit refuses), with ``result`` itself as
    host data (a module; a namespace portion only adds its locations to the namespace package)."""
    if not isinstance(result, Found):
        raise TypeError(f"a finder must return importkit.Found or None, not {type(result).__name__}")
    lib = _ffi.lib()
    err = ctypes.c_void_p()
    kind = int(result.kind)
    errors.check(
        lib.ik_found_set(found_ptr, _encode(result.origin, "origin"), kind, bool(result.is_package),
                         ctypes.byref(err)),
        err,
    )
    for location in result.locations:
        errors.check(lib.ik_found_add_location(found_ptr, _encode(location, "location"), ctypes.byref(err)), err)
    if result.file is not None:
        errors.check(lib.ik_found_set_file(found_ptr, _encode(result.file, "file"), ctypes.byref(err)), err)
    if result.source is not None:
        data = result.source.encode("utf-8") if isinstance(result.source, str) else bytes(result.source)
        errors.check(lib.ik_found_set_source(found_ptr, data, len(data), ctypes.byref(err)), err)
    if result.code is not None:
        tag, code = result.code
        errors.check(lib.ik_found_set_code(found_ptr, _encode(tag, "cache tag"), bytes(code), len(code),
                                           ctypes.byref(err)), err)
    if kind != _ffi.IK_KIND_NAMESPACE:
        # released by importkit if refused: nothing to undo here
        errors.check(
            lib.ik_found_set_host_data(found_ptr, _held.hold(result), _held.RELEASE, ctypes.byref(err)), err
        )


def answer(report_ptr, ask: Callable, give: Callable, out_ptr) -> int:
    """Runs a host's resource or listing callback: ``give(out_ptr, value)`` with what ``ask()`` returns (nothing
    for None); an exception is reported as the host's failure."""
    try:
        value = ask()
        if value is not None:
            give(out_ptr, value)
        return _ffi.IK_OK
    except BaseException as exc:  # noqa: BLE001 - nothing may cross into C
        return host_failure(report_ptr, exc)


def set_bytes(out_ptr, data) -> None:
    """Gives the bytes a ``read_resource`` returned on an ``ik_bytes`` (str is encoded as UTF-8)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
    else:
        raise TypeError(f"read_resource must return bytes, str or None, not {type(data).__name__}")
    err = ctypes.c_void_p()
    errors.check(_ffi.lib().ik_bytes_set(out_ptr, data, len(data), ctypes.byref(err)), err)


def push_names(out_ptr, names) -> None:
    """Pushes the names a ``resources`` returned (an iterable of str) on an ``ik_strings``."""
    if isinstance(names, (str, bytes)):
        raise TypeError(f"resources must return an iterable of str or None, not {type(names).__name__}")
    lib = _ffi.lib()
    err = ctypes.c_void_p()
    for x in names:
        data = _encode(x, "resource name")
        errors.check(lib.ik_strings_push(out_ptr, data, len(data), ctypes.byref(err)), err)


def push_modules(out_ptr, modules) -> None:
    """Pushes what an ``iter_modules`` returned on an ``ik_modules``: ``(name, is_package)`` pairs, or objects
    with ``name`` and ``ispkg`` (``pkgutil.ModuleInfo``)."""
    if isinstance(modules, (str, bytes)):
        raise TypeError(f"iter_modules must return an iterable of (name, is_package) or None, "
                        f"not {type(modules).__name__}")
    lib = _ffi.lib()
    err = ctypes.c_void_p()
    for item in modules:
        if hasattr(item, "name") and hasattr(item, "ispkg"):
            name, is_package = item.name, item.ispkg
        else:
            try:
                name, is_package = item
            except (TypeError, ValueError):
                raise TypeError(f"iter_modules must give (name, is_package) pairs or pkgutil.ModuleInfo, "
                                f"not {item!r}") from None
        data = _encode(name, "module name")
        errors.check(lib.ik_modules_push(out_ptr, data, len(data), bool(is_package), ctypes.byref(err)), err)


def _text(p, n: int) -> str:
    return ctypes.string_at(p, n).decode("utf-8")


def finder_methods(finder) -> dict[str, Callable | None]:
    """The optional methods of a finder written in Python (``invalidate``, ``read_resource``, ``resources``,
    ``iter_modules``), None for those it lacks."""
    out = {}
    for attr in ("invalidate", "read_resource", "resources", "iter_modules"):
        method = getattr(finder, attr, None)
        out[attr] = method if callable(method) else None
    return out


def finder_vtable(state, find: Callable, invalidate: Callable | None, name: str,
                  read_resource: Callable | None = None, resources: Callable | None = None,
                  iter_modules: Callable | None = None) -> _ffi.ik_finder:
    """An ``ik_finder`` whose ``find`` calls ``find(name, path)`` (``path``: the parent's locations, None for
    a top-level name) and describes the ``Found`` it returns. The resource callbacks are set only for the
    functions given: ``read_resource(package, resource)`` (bytes, str or None: no such file),
    ``resources(package)`` (names, or None: none listed) and ``iter_modules(package)`` (``package`` None for
    the top level; ``(name, is_package)`` pairs or ``pkgutil.ModuleInfo``, or None)."""

    def c_find(_userdata, name_p, name_len, path_pp, path_count, found_ptr, report_ptr):
        try:
            fullname = ctypes.string_at(name_p, name_len).decode("utf-8")
            if path_pp:
                array = ctypes.cast(path_pp, ctypes.POINTER(ctypes.c_char_p))
                path = [array[i].decode("utf-8") for i in range(path_count)]
            else:
                path = None
            result = find(fullname, path)
            if result is not None:
                fill_found(found_ptr, result)
            return _ffi.IK_OK
        except BaseException as exc:  # noqa: BLE001 - nothing may cross into C
            return host_failure(report_ptr, exc)

    def c_invalidate(_userdata):
        try:
            if invalidate is not None:
                invalidate()
        except BaseException as exc:  # noqa: BLE001
            if not isinstance(exc, Exception):
                errors.stash_interrupt(exc)

    def c_read_resource(_userdata, package_p, package_len, resource_p, resource_len, out, report_ptr):
        ask = lambda: read_resource(_text(package_p, package_len), _text(resource_p, resource_len))  # noqa: E731
        return answer(report_ptr, ask, set_bytes, out)

    def c_resources(_userdata, package_p, package_len, out, report_ptr):
        return answer(report_ptr, lambda: resources(_text(package_p, package_len)), push_names, out)

    def c_iter_modules(_userdata, package_p, package_len, out, report_ptr):
        ask = lambda: iter_modules(_text(package_p, package_len) if package_p else None)  # noqa: E731
        return answer(report_ptr, ask, push_modules, out)

    vt = _ffi.ik_finder()
    vt.size = ctypes.sizeof(_ffi.ik_finder)
    encoded = name.encode("utf-8")
    vt.name = encoded
    vt.userdata = None
    vt.find = _ffi.FIND_FN(c_find)
    vt.invalidate = _ffi.INVALIDATE_FN(c_invalidate)
    vt.release_userdata = _ffi.RELEASE_FN()  # NULL
    # NULL for what the finder does not serve
    vt.read_resource = _ffi.READ_RESOURCE_FN(c_read_resource) if read_resource else _ffi.READ_RESOURCE_FN()
    vt.resources = _ffi.RESOURCES_FN(c_resources) if resources else _ffi.RESOURCES_FN()
    vt.iter_modules = _ffi.ITER_MODULES_FN(c_iter_modules) if iter_modules else _ffi.ITER_MODULES_FN()
    state.keepalive.extend([vt.find, vt.invalidate, vt.read_resource, vt.resources, vt.iter_modules, vt, encoded])
    return vt


def _entry_callbacks(state):
    """The functions every entry finder of ``state`` shares (made once per runtime)."""
    made = getattr(state, "entry_callbacks", None)
    if made is not None:
        return made

    def c_find(userdata, name_p, name_len, found_ptr, report_ptr):
        try:
            finder = state.entry_finders[userdata]
            fullname = ctypes.string_at(name_p, name_len).decode("utf-8")
            find = getattr(finder, "find", None) or finder
            result = find(fullname)
            if result is not None:
                fill_found(found_ptr, result)
            return _ffi.IK_OK
        except BaseException as exc:  # noqa: BLE001 - nothing may cross into C
            return host_failure(report_ptr, exc)

    def c_invalidate(userdata):
        try:
            finder = state.entry_finders.get(userdata)
            invalidate = getattr(finder, "invalidate", None)
            if invalidate is not None:
                invalidate()
        except BaseException as exc:  # noqa: BLE001
            if not isinstance(exc, Exception):
                errors.stash_interrupt(exc)

    def c_release(userdata):
        try:
            state.entry_finders.pop(userdata, None)
        except BaseException:  # noqa: BLE001
            pass

    def c_read_resource(userdata, resource_p, resource_len, out, report_ptr):
        ask = lambda: state.entry_finders[userdata].read_resource(_text(resource_p, resource_len))  # noqa: E731
        return answer(report_ptr, ask, set_bytes, out)

    def c_resources(userdata, out, report_ptr):
        return answer(report_ptr, lambda: state.entry_finders[userdata].resources(), push_names, out)

    def c_iter_modules(userdata, out, report_ptr):
        return answer(report_ptr, lambda: state.entry_finders[userdata].iter_modules(), push_modules, out)

    made = (
        _ffi.ENTRY_FIND_FN(c_find),
        _ffi.INVALIDATE_FN(c_invalidate),
        _ffi.RELEASE_FN(c_release),
        _ffi.ENTRY_READ_RESOURCE_FN(c_read_resource),
        _ffi.ENTRY_RESOURCES_FN(c_resources),
        _ffi.ENTRY_ITER_MODULES_FN(c_iter_modules),
    )
    state.keepalive.extend(made)
    state.entry_callbacks = made
    return made


def path_hook_vtable(state, hook: Callable, name: str) -> _ffi.ik_path_hook:
    """An ``ik_path_hook`` whose ``hook`` calls ``hook(entry)``: None for "not mine", else an entry finder
    (an object with ``find(name) -> Found | None`` and optionally ``invalidate()``, ``read_resource(resource)``,
    ``resources()`` and ``iter_modules()``, or a callable ``find``). The resource callbacks of its
    ``ik_entry_finder`` are set only for the methods it has."""
    find_fn, invalidate_fn, release_fn, read_fn, resources_fn, iter_fn = _entry_callbacks(state)

    def c_hook(_userdata, entry_p, entry_len, out_ptr, claimed, report_ptr):
        try:
            entry = ctypes.string_at(entry_p, entry_len).decode("utf-8")
            finder = hook(entry)
            if finder is None:
                return _ffi.IK_OK
            key = state.add_entry_finder(finder)
            out = ctypes.cast(out_ptr, ctypes.POINTER(_ffi.ik_entry_finder)).contents
            out.size = ctypes.sizeof(_ffi.ik_entry_finder)
            out.userdata = key
            out.find = find_fn
            out.invalidate = invalidate_fn
            out.release_userdata = release_fn
            methods = finder_methods(finder)
            out.read_resource = read_fn if methods["read_resource"] else _ffi.ENTRY_READ_RESOURCE_FN()
            out.resources = resources_fn if methods["resources"] else _ffi.ENTRY_RESOURCES_FN()
            out.iter_modules = iter_fn if methods["iter_modules"] else _ffi.ENTRY_ITER_MODULES_FN()
            claimed[0] = True
            return _ffi.IK_OK
        except BaseException as exc:  # noqa: BLE001 - nothing may cross into C
            return host_failure(report_ptr, exc)

    vt = _ffi.ik_path_hook()
    vt.size = ctypes.sizeof(_ffi.ik_path_hook)
    encoded = name.encode("utf-8")
    vt.name = encoded
    vt.userdata = None
    vt.hook = _ffi.PATH_HOOK_FN(c_hook)
    vt.release_userdata = _ffi.RELEASE_FN()  # NULL
    state.keepalive.extend([vt.hook, vt, encoded])
    return vt
