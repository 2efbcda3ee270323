"""Bundles (``.ikb``, docs/BUNDLE.md) from Python: building one (``BundleBuilder``), checking one
(``verify_bundle``), and mounting one into a runtime (``Runtime.mount_bundle``, ``Runtime.mount_bundle_appended``).

A bundle is one file of modules, compiled code, resources and metadata, opened in O(1) (the file is mapped) and
checked blob by blob before any byte reaches an executor::

    b = BundleBuilder()
    b.add_tree("src")                       # a directory, or a mapping of relative paths to bytes
    b.write("app.ikb")                      # atomically
    digest = verify_bundle("app.ikb")       # the SHA-256 to pin
    rt.mount_bundle("app.ikb", "app", sha256=digest)
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Mapping

from . import _ffi
from .errors import InvalidArgumentError, check, cstr

SHA256_LEN = 32


def _bytes(data: bytes | str, what: str) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"{what} must be bytes or str, not {type(data).__name__}")


def _digest(sha256: bytes | str | None):
    """A pinned digest as the C call takes it: NULL, or 32 bytes (given as bytes or as 64 hex digits)."""
    if sha256 is None:
        return None
    if isinstance(sha256, str):
        try:
            sha256 = bytes.fromhex(sha256)
        except ValueError:
            raise InvalidArgumentError("sha256 must be 32 bytes or 64 hexadecimal digits",
                                       status=_ffi.IK_ERR_INVALID_ARGUMENT) from None
    if not isinstance(sha256, (bytes, bytearray)) or len(sha256) != SHA256_LEN:
        raise InvalidArgumentError("sha256 must be 32 bytes or 64 hexadecimal digits", status=_ffi.IK_ERR_INVALID_ARGUMENT)
    return (ctypes.c_uint8 * SHA256_LEN).from_buffer_copy(bytes(sha256))


def _call(function: str, *args) -> None:
    err = ctypes.c_void_p()
    check(getattr(_ffi.lib(), function)(*args, ctypes.byref(err)), err)


def verify_bundle(path: str | os.PathLike) -> bytes:
    """Checks the whole bundle file at ``path`` (every record, every blob's CRC-32) and gives its SHA-256 digest
    (32 bytes), to pin with ``Runtime.mount_bundle(..., sha256=...)``."""
    out = (ctypes.c_uint8 * SHA256_LEN)()
    _call("ik_bundle_verify", cstr(os.fspath(path), "path"), out)
    return bytes(out)


class BundleBuilder:
    """Collects a bundle's modules, code and files and writes it (``ik_bundle_builder_*``): the same additions,
    in any order, give the same bytes. One thread at a time. ``profile`` tells modules apart from other files;
    by default the running interpreter's conventions with every name CPython's import accepts, as
    ``install()``'s runtime has them (``Profile.interpreter()`` with identifier rule ``"any"``), so a bundle
    serves what the same files on ``sys.path`` would."""

    def __init__(self, profile=None) -> None:
        own = None
        if profile is None:
            from .runtime import Profile

            profile = own = Profile.interpreter()
            own.set_identifiers("any")
        out = ctypes.c_void_p()
        try:
            _call("ik_bundle_builder_new", profile._ptr, ctypes.byref(out))
        finally:
            if own is not None:
                own.free()
        self._ptr: int | None = out.value

    def _handle(self) -> int:
        if self._ptr is None:
            raise ValueError("the bundle builder is closed")
        return self._ptr

    def close(self) -> None:
        ptr, self._ptr = self._ptr, None
        if ptr:
            _ffi.lib().ik_bundle_builder_free(ptr)

    def __enter__(self) -> BundleBuilder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def set_compress(self, on: bool) -> None:
        """Deflate blobs where that makes them smaller (off by default: stored blobs are read in place)."""
        _call("ik_bundle_builder_set_compress", self._handle(), bool(on))

    def add_tree(self, files: Mapping[str, bytes | str] | str | os.PathLike) -> None:
        """Adds a tree of files (relative ``/`` paths to bytes, or a directory read now, as ``add_dir`` reads
        one), its modules told apart as a mount of the same files would tell them."""
        if isinstance(files, (str, os.PathLike)):
            self.add_dir(files)
            return
        items = [(cstr(p, "path"), _bytes(d, "file bytes")) for p, d in files.items()]
        array = (_ffi.ik_mount_file * len(items))()
        for i, (p, d) in enumerate(items):
            array[i].path = p
            array[i].path_len = len(p)
            array[i].data = ctypes.cast(ctypes.c_char_p(d), ctypes.POINTER(ctypes.c_uint8))
            array[i].data_len = len(d)
        _call("ik_bundle_builder_add_tree", self._handle(), array, len(items))

    def add_dir(self, directory: str | os.PathLike, exclude: tuple[str, ...] | list[str] = ("__pycache__",)) -> None:
        """Adds the files of ``directory`` as one tree, read as ``importkit bundle build`` reads a directory
        (``ik_bundle_builder_add_dir``: symbolic links followed when they lead inside it; a link out of it, a
        loop, a special file refused), names matching a pattern of ``exclude`` left out (one path segment each,
        ``*`` any run of characters; CPython's ``__pycache__`` by default)."""
        patterns = [cstr(p, "exclude pattern") for p in exclude]
        array = (ctypes.c_char_p * max(len(patterns), 1))(*patterns)
        _call("ik_bundle_builder_add_dir", self._handle(), cstr(os.fspath(directory), "directory"), array,
              len(patterns))

    def modules(self, kind: int) -> list[tuple[str, bool]]:
        """The modules of ``kind`` (``Kind.SOURCE``, ...) added so far, sorted: ``(name, is_package)`` each, the
        names relative to the bundle's root (``""`` for the root package). What a host that compiles walks."""
        out = ctypes.c_void_p()
        _call("ik_bundle_builder_modules", self._handle(), int(kind), ctypes.byref(out))
        lib = _ffi.lib()
        try:
            n = ctypes.c_size_t()
            found = []
            for i in range(lib.ik_name_list_count(out)):
                name = lib.ik_name_list_get(out, i, ctypes.byref(n))
                found.append((ctypes.string_at(name, n.value).decode("utf-8"), lib.ik_name_list_is_package(out, i) == 1))
            return found
        finally:
            lib.ik_name_list_free(out)

    def add_module(self, name: str, path: str, kind: int, is_package: bool = False,
                   source: bytes | str | None = None) -> None:
        """Adds one module: its name relative to the bundle's root, its file's path, its kind (``Kind.SOURCE``,
        ...), package flag and file bytes (None: the file is added with ``add_file``, or a namespace package)."""
        data = None if source is None else _bytes(source, "source")
        buf = None if data is None else ctypes.cast(ctypes.c_char_p(data), ctypes.POINTER(ctypes.c_uint8))
        _call("ik_bundle_builder_add_module", self._handle(), cstr(name), cstr(path, "path"), int(kind),
              bool(is_package), buf, 0 if data is None else len(data))

    def add_code(self, name: str, cache_tag: str, code: bytes) -> None:
        """Adds compiled code for ``cache_tag`` (``sys.implementation.cache_tag``) to the module ``name``."""
        data = _bytes(code, "code")
        buf = ctypes.cast(ctypes.c_char_p(data), ctypes.POINTER(ctypes.c_uint8))
        _call("ik_bundle_builder_add_code", self._handle(), cstr(name), cstr(cache_tag, "cache tag"), buf, len(data))

    def add_file(self, path: str, data: bytes | str, package: str | None = None) -> None:
        """Adds a file at ``path`` from the bundle's root, or (with ``package``) from that package's directory."""
        raw = _bytes(data, "data")
        buf = ctypes.cast(ctypes.c_char_p(raw), ctypes.POINTER(ctypes.c_uint8))
        _call("ik_bundle_builder_add_file", self._handle(), None if package is None else cstr(package, "package"),
              cstr(path, "path"), buf, len(raw))

    def build(self) -> bytes:
        """The bundle's bytes."""
        out = ctypes.c_void_p()
        _call("ik_bundle_builder_build", self._handle(), ctypes.byref(out))
        return _ffi.take_resource(out)

    def write(self, path: str | os.PathLike) -> None:
        """Writes the bundle to ``path`` atomically (a temporary file renamed over it)."""
        _call("ik_bundle_builder_write", self._handle(), cstr(os.fspath(path), "path"))
