"""``Found``: what a finder written in Python answers (light: no import beyond ``_ffi``)."""

from __future__ import annotations

from . import _ffi


class Found:
    """What a host finder (``Runtime.add_finder``) or a path hook's entry finder (``Runtime.add_path_hook``)
    returns for a module it has: importkit makes the spec from it (``ik_found_set`` and friends).

    ``origin``: a string with a scheme of the host's (``""``: importkit makes ``host:FINDER/NAME``); ``kind``: a
    ``Kind`` (not ``NATIVE``; a plain ``ik_kind`` int also works); ``locations``: a package's search locations (``__path__``); ``file``:
    ``__file__`` if the module has one; ``source``: its bytes (str is encoded as UTF-8), handed to the
    executor (without them, a module with a file is read from it). A namespace portion is
    ``Found(kind=Kind.NAMESPACE, locations=[...])``. ``code``: ``(cache_tag, bytes)``, compiled code given with
    ``source`` for an executor that runs code (``ik_found_set_code``). ``spec``: a ready ``importlib.machinery.ModuleSpec`` the
    ``sys.meta_path`` finder of ``install()`` returns as it is when importkit picks this result.

    The object itself comes back on every spec of the module (``Spec.found``): importkit carries it as the
    spec's host data.
    """

    __slots__ = ("origin", "kind", "is_package", "locations", "file", "source", "code", "spec")

    def __init__(
        self,
        origin: str = "",
        kind: int = _ffi.IK_KIND_SOURCE,
        is_package: bool = False,
        locations=(),
        file: str | None = None,
        source: bytes | str | None = None,
        spec=None,
        code: tuple[str, bytes] | None = None,
    ) -> None:
        self.origin = origin
        self.kind = kind
        self.is_package = is_package or kind == _ffi.IK_KIND_NAMESPACE
        self.locations = tuple(locations)
        self.file = file
        self.source = source
        self.code = code
        self.spec = spec

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__slots__ if getattr(self, f) not in (None, ()))
        return f"Found({inner})"
