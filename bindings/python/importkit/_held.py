"""Host data: the Python objects importkit carries for the binding, under integer keys (never ``PyObject``
pointers).

- A finder written in Python (``Runtime.add_finder``, the entry finder of a path hook) attaches the ``Found``
  it returned to what it found (``ik_found_set_host_data``): it comes back on every spec of that module
  (``ik_spec_host_data``), on whichever thread holds the spec, for as long as one does.
- A callback that caught an exception attaches it to its report (``ik_report_host_data``): it comes back on
  the error the failing call returns (``ik_error_host_data``), and on every error passing that one on.

``hold(obj)`` puts an object under a new key (1, 2, ...; 0 would be NULL, "no host data"). importkit calls
``RELEASE(key)`` once, when the last spec or error holding the key goes (or at once when it refuses the key, or
when the callback succeeds after all), which drops the entry: ``table`` holds exactly the objects some spec or
error of importkit's still carries.

Every spec and error a runtime of this binding hands out was made by this binding's own callbacks, so a host
data pointer read from one is always one of these keys.
"""

from __future__ import annotations

import ctypes
import itertools

from . import _ffi

#: key -> the object importkit carries under that key
table: dict[int, object] = {}
_keys = itertools.count(1)


def hold(obj: object) -> int:
    """A new key for ``obj``, to hand to importkit with ``RELEASE``."""
    key = next(_keys)
    table[key] = obj
    return key


def get(key: int | None) -> object | None:
    """The object under a key read from a spec or an error (None for NULL)."""
    return table.get(key) if key else None


def _release(key, _pop=table.pop):
    # A C callback: it runs on whichever thread drops the last spec or error holding the key (ctypes takes the
    # GIL), maybe at interpreter shutdown, when this module's globals are already cleared: it uses nothing but
    # its default argument, and nothing may escape into C.
    try:
        _pop(key, None)
    except:  # noqa: E722 - this late even the name BaseException may be gone
        pass


#: The ``ik_release_fn`` of every key. Never freed: importkit may release a key after this module is torn down
#: (a runtime freed at interpreter shutdown, a spec dropped by another thread), and a freed ctypes callback
#: would leave importkit a dangling function pointer.
RELEASE = _ffi.RELEASE_FN(_release)
ctypes.pythonapi.Py_IncRef(ctypes.py_object(RELEASE))
