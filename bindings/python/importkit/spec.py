"""Module specs: a Python copy of an ``ik_spec`` (importkit's ``ModuleSpec``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from . import _ffi


class Kind(enum.IntEnum):
    """``ik_kind``: what the host is asked to do with a module."""

    SOURCE = _ffi.IK_KIND_SOURCE
    BYTECODE = _ffi.IK_KIND_BYTECODE
    EXTENSION = _ffi.IK_KIND_EXTENSION
    NATIVE = _ffi.IK_KIND_NATIVE
    NAMESPACE = _ffi.IK_KIND_NAMESPACE


@dataclass(frozen=True)
class Spec:
    """What a finder found for a module. Used as the module's ``__spec__`` by the Python executor.

    ``locations`` are the submodule search locations (``__path__``) of a package; ``file`` is ``None`` when no
    real file exists (memory mounts without a virtual root, natives, namespace packages); ``parent`` is
    ``__package__``.
    """

    name: str
    origin: str
    kind: Kind
    is_package: bool
    locations: tuple[str, ...]
    file: str | None
    parent: str
    cached: str | None = None
    refs: tuple[str, ...] = ()

    # The attributes code written against importlib.machinery.ModuleSpec reads.
    loader = None
    loader_state = None

    @property
    def submodule_search_locations(self) -> list[str] | None:
        return list(self.locations) if self.is_package else None

    @property
    def has_location(self) -> bool:
        return self.file is not None

    @classmethod
    def from_ptr(cls, ptr: int) -> Spec:
        """Copies a ``const ik_spec *`` (borrowed: the caller keeps or frees it)."""
        lib = _ffi.lib()
        t = _ffi.text
        kind = lib.ik_spec_kind(ptr)
        return cls(
            name=t(lib.ik_spec_name, ptr) or "",
            origin=t(lib.ik_spec_origin, ptr) or "",
            kind=Kind(kind),
            is_package=bool(lib.ik_spec_is_package(ptr)),
            locations=tuple(
                t(lib.ik_spec_location, ptr, i) or "" for i in range(lib.ik_spec_location_count(ptr))
            ),
            file=t(lib.ik_spec_file, ptr),
            parent=t(lib.ik_spec_parent, ptr) or "",
            cached=t(lib.ik_spec_cached, ptr),
            refs=tuple(t(lib.ik_spec_ref, ptr, i) or "" for i in range(lib.ik_spec_ref_count(ptr))),
        )
