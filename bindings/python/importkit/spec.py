"""Module specs: ``Spec``, a Python copy of an ``ik_spec`` (what importkit found), and ``Kind``.

A ``Spec`` is importkit's own description of a module (origin with a scheme, kind, ``.ref`` chain). Module
objects do not carry it as ``__spec__``: they get an ``importlib.machinery.ModuleSpec`` with a loader (see
``loaders.module_spec``), whose ``loader_state`` is the ``Spec`` for modules importkit executes or mounts.
"""

from __future__ import annotations

import ctypes
import enum

from . import _ffi, _held, errors
from ._found import Found

__all__ = ["Found", "Kind", "Spec"]


class Kind(enum.IntEnum):
    """``ik_kind``: what the host is asked to do with a module."""

    SOURCE = _ffi.IK_KIND_SOURCE
    BYTECODE = _ffi.IK_KIND_BYTECODE
    EXTENSION = _ffi.IK_KIND_EXTENSION
    NATIVE = _ffi.IK_KIND_NATIVE
    NAMESPACE = _ffi.IK_KIND_NAMESPACE


class Spec:
    """What a finder found for a module (read-only).

    ``origin`` has a scheme (``fs:/lib/json/__init__.py``, ``memory:/game/core.py``, ``builtin:time``,
    ``namespace:pkg``, a host's own); ``file`` is the module's file (``__file__``), ``None`` when no real file
    exists (memory mounts without a virtual root, natives, namespace packages); ``cached`` is ``__cached__``;
    ``parent`` is ``__package__``; ``locations`` are the submodule search locations (``__path__``) of a
    package; ``refs`` the chain of ``.ref`` files that led to the module (docs/REF_FILES.md);
    ``location_refs`` the chain that led to each location of a namespace package (one tuple per location, empty
    for a location no ref file led to; ``()`` when none has one, and for other modules). ``found`` is the
    ``Found`` a finder written in Python returned for the module (``Runtime.add_finder``, the entry finder of a
    path hook), the very same object, whichever thread found it; None for what importkit found itself. It is
    not shown by ``repr``; two specs are equal only if they have the same ``found`` (as importkit's specs are
    equal only if they share their host data).
    """

    __slots__ = ("name", "origin", "kind", "is_package", "locations", "file", "parent", "cached", "refs",
                 "location_refs", "found")
    _SHOWN = __slots__[:-1]

    # the slots, set once by __init__ (through object.__setattr__: the class refuses assignment)
    name: str
    origin: str
    kind: Kind
    is_package: bool
    locations: tuple[str, ...]
    file: str | None
    parent: str
    cached: str | None
    refs: tuple[str, ...]
    location_refs: tuple[tuple[str, ...], ...]
    found: Found | None

    def __init__(
        self,
        name: str,
        origin: str,
        kind: Kind,
        is_package: bool,
        locations: tuple[str, ...],
        file: str | None,
        parent: str,
        cached: str | None = None,
        refs: tuple[str, ...] = (),
        found: Found | None = None,
        location_refs: tuple[tuple[str, ...], ...] = (),
    ) -> None:
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "origin", origin)
        set_(self, "kind", kind)
        set_(self, "is_package", is_package)
        set_(self, "locations", tuple(locations))
        set_(self, "file", file)
        set_(self, "parent", parent)
        set_(self, "cached", cached)
        set_(self, "refs", tuple(refs))
        set_(self, "location_refs", tuple(tuple(r) for r in location_refs))
        set_(self, "found", found)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Spec is read-only (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Spec is read-only (cannot delete {name!r})")

    def _fields(self) -> tuple:
        return tuple(getattr(self, f) for f in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._SHOWN)
        return f"Spec({inner})"

    @property
    def submodule_search_locations(self) -> list[str] | None:
        return list(self.locations) if self.is_package else None

    @property
    def has_location(self) -> bool:
        return self.file is not None

    @property
    def indirect(self):
        """``__indirect__`` of the module (docs/SEMANTICS.md, *.ref chains*): the chain of ``.ref`` files that
        led to it (a tuple, empty when none), or for a namespace package a dict mapping each portion to the
        chain that located it."""
        if self.kind == Kind.NAMESPACE:
            chains = self.location_refs
            return {loc: chains[i] if i < len(chains) else () for i, loc in enumerate(self.locations)}
        return self.refs

    @classmethod
    def from_ptr(cls, ptr: int) -> Spec:
        """Copies a ``const ik_spec *`` (borrowed: the caller keeps or frees it), its fields read in one call
        (``ik_spec_get_fields``); ``found`` is read from its host data."""
        lib = _ffi.lib()
        f = _ffi.ik_spec_fields()
        f.size = ctypes.sizeof(f)
        err = ctypes.c_void_p()
        errors.check(lib.ik_spec_get_fields(ptr, ctypes.byref(f), ctypes.byref(err)), err)
        t = _ffi.text

        def s(p: int | None, n: int) -> str | None:
            return ctypes.string_at(p, n).decode("utf-8", "replace") if p else None

        found = _held.get(f.host_data)
        # a spec's host data is always the Found of a finder of this binding (see _held)
        assert found is None or isinstance(found, Found)
        return cls(
            name=s(f.name, f.name_len) or "",
            origin=s(f.origin, f.origin_len) or "",
            kind=Kind(f.kind),
            is_package=bool(f.is_package),
            locations=tuple(t(lib.ik_spec_location, ptr, i) or "" for i in range(f.location_count)),
            file=s(f.file, f.file_len),
            parent=s(f.parent, f.parent_len) or "",
            cached=s(f.cached, f.cached_len),
            refs=tuple(t(lib.ik_spec_ref, ptr, i) or "" for i in range(f.ref_count)),
            location_refs=location_refs(lib, ptr) if f.kind == Kind.NAMESPACE else (),
            found=found,
        )


def location_refs(lib, ptr: int) -> tuple[tuple[str, ...], ...]:
    """The ``.ref`` chain of each location of a namespace spec (``ik_spec_location_ref``); ``()`` when no
    location has one."""
    chains = []
    for i in range(lib.ik_spec_location_count(ptr)):
        n = lib.ik_spec_location_ref_count(ptr, i)
        chains.append(tuple(_ffi.text(lib.ik_spec_location_ref, ptr, i, j) or "" for j in range(n)))
    return tuple(chains) if any(chains) else ()
