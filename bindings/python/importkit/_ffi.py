"""The C ABI of importkit, declared for ctypes: locating the library, the structs, the callback types and
the argtypes/restype of every function of ``include/importkit.h``. Nothing here has logic beyond that.

The library is looked up, first hit wins:

1. ``$IMPORTKIT_LIB`` (a path to the shared library; when set, nothing else is tried);
2. beside the package: inside the ``importkit`` directory, then in the directory that holds it;
3. the repository's ``target/release`` then ``target/debug`` (relative to this file: the package lives in
   ``<repo>/bindings/python/importkit``).

The values of the enums ``ik_status`` and ``ik_kind`` (``IK_OK``, ``IK_ERR_NOT_FOUND``, ``IK_KIND_SOURCE``...)
are read from ``importkit.h`` when this module is imported, never copied into it; without a header, from the
library's ``ik_status_name`` and ``ik_kind_name`` (see "Enumerations" at the end).

Pointers to importkit objects (``ik_runtime *``, ``ik_error *``, ``const ik_spec *``...) are ``c_void_p``;
strings importkit hands out come back as ``c_void_p`` plus a length (``text``) so embedded content is never
cut at a NUL and nothing is decoded twice.

``hot()`` gives a second, separately declared set of the few functions the ``sys.meta_path`` finder calls on
every import (``ik_runtime_path_find_spec`` and the spec accessors), declared for speed: the spec accessors
come from a ``ctypes.PyDLL`` handle of the same library (they run no host code, so keeping the GIL is safe and
saves its release and re-acquisition; the one callback ``ik_spec_free`` and ``ik_error_free`` may make, the
release of host data, is a ctypes callback that takes the GIL this thread already holds) and return ``c_char_p`` (bytes,
read up to the NUL that importkit puts after every spec string). ``ik_runtime_path_find_spec`` keeps the GIL released (it stats
directories and may call path hooks written in Python).

The module imports nothing heavier than ``ctypes`` and ``os``: it is on the start-up path of every program
that calls ``importkit.install()``.
"""

from __future__ import annotations

import ctypes
import os
import sys
from _thread import allocate_lock
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_int,
    c_int32,
    c_size_t,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
)

# The version this binding was written against. 0.x: major and minor must both match.
ABI_MAJOR = 0
ABI_MINOR = 1

# The values of the header's enums, ik_status (IK_OK, IK_ERR_*) and ik_kind (IK_KIND_*), are not written
# here: they are read from the header when this module is imported (see "Enumerations" at the end), and
# STATUS_NAMES maps each status value to its C name.
#
# For the type checker, each of their names is declared here without a value: an annotation alone makes no
# global (they exist once the header is read), so nothing below is a copy of a value. The names are those of
# the header, in its order; tests/test_enums.py fails when the header and these declarations differ.

# ik_status
IK_OK: int
IK_ERR_INVALID_ARGUMENT: int
IK_ERR_INVALID_NAME: int
IK_ERR_NOT_FOUND: int
IK_ERR_IMPORT: int
IK_ERR_DENIED: int
IK_ERR_EXEC: int
IK_ERR_HOST: int
IK_ERR_DEADLOCK: int
IK_ERR_EXISTS: int
IK_ERR_INVALID_MOUNT: int
IK_ERR_UNAVAILABLE: int
IK_ERR_INTERNAL: int
IK_ERR_IO: int
# ik_kind
IK_KIND_SOURCE: int
IK_KIND_BYTECODE: int
IK_KIND_EXTENSION: int
IK_KIND_NATIVE: int
IK_KIND_NAMESPACE: int

IK_NATIVE_POWERFUL = 1
IK_NATIVE_PACKAGE = 2

IK_MODULE_INITIALIZING = 0
IK_MODULE_READY = 1

IK_MOUNT_BORROW = 1
IK_MOUNT_REPLACE = 2
IK_BUNDLE_READ = 4
IK_SHA256_LEN = 32

IK_CODE_WHOLE_NAME = 1
IK_CODE_FILES = 2

IK_PROFILE_PYTHON = 0
IK_PROFILE_LUA = 1
IK_PROFILE_EMPTY = 2

IK_IDENT_PYTHON = 0
IK_IDENT_LUA = 1
IK_IDENT_ANY = 2

# ---------------------------------------------------------------------------------------------------------
# Callback types. Every pointer argument is c_void_p (arrives in Python as an int, or None for NULL).

# void (*ik_release_fn)(void *userdata)
RELEASE_FN = CFUNCTYPE(None, c_void_p)
# int32_t (*create)(void *userdata, const ik_spec *spec, void **out_module, ik_report *report)
CREATE_FN = CFUNCTYPE(c_int32, c_void_p, c_void_p, POINTER(c_void_p), c_void_p)
# int32_t (*exec)(void *userdata, const ik_spec *spec, void *module, const uint8_t *source,
#                 size_t source_len, ik_report *report)
EXEC_FN = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p)
# int32_t (*bind)(void *userdata, void *parent, const char *name, size_t name_len, void *child)
BIND_FN = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p)
# bool (*has_attr)(void *userdata, void *module, const char *name, size_t name_len)
HAS_ATTR_FN = CFUNCTYPE(c_bool, c_void_p, c_void_p, c_void_p, c_size_t)
# int32_t (*all_names)(void *userdata, void *module, ik_strings *out, ik_report *report)
ALL_NAMES_FN = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_void_p, c_void_p)
# int32_t (*compile)(void *userdata, const ik_spec *spec, const uint8_t *source, size_t source_len,
#                    ik_bytes *out, ik_report *report)
COMPILE_FN = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p, c_void_p)
# int32_t (*exec_code)(void *userdata, const ik_spec *spec, void *module, const uint8_t *code, size_t code_len,
#                      ik_report *report)
EXEC_CODE_FN = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p)
# void (*release)(void *userdata, void *module)
RELEASE_MODULE_FN = CFUNCTYPE(None, c_void_p, c_void_p)
# int32_t (*find)(void *userdata, const char *name, size_t name_len, const char *const *path,
#                 size_t path_count, ik_found *found, ik_report *report)
FIND_FN = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_size_t, c_void_p, c_size_t, c_void_p, c_void_p)
# void (*invalidate)(void *userdata)
INVALIDATE_FN = CFUNCTYPE(None, c_void_p)
# int32_t (*find)(void *ud, const char *name, size_t len, ik_found *found, ik_report *report)  [entry finder]
ENTRY_FIND_FN = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_size_t, c_void_p, c_void_p)
# int32_t (*hook)(void *ud, const char *entry, size_t len, ik_entry_finder *out, bool *claimed, ik_report *r)
PATH_HOOK_FN = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_size_t, c_void_p, POINTER(c_bool), c_void_p)
# int32_t (*read_resource)(void *ud, const char *package, size_t package_len, const char *resource,
#                          size_t resource_len, ik_bytes *out, ik_report *report)  [host finder]
READ_RESOURCE_FN = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_size_t, c_void_p, c_size_t, c_void_p, c_void_p)
# int32_t (*resources)(void *ud, const char *package, size_t package_len, ik_strings *out, ik_report *report)
RESOURCES_FN = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_size_t, c_void_p, c_void_p)
# int32_t (*iter_modules)(void *ud, const char *package, size_t package_len, ik_modules *out, ik_report *report)
#                         (package NULL and 0: the top level)
ITER_MODULES_FN = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_size_t, c_void_p, c_void_p)
# int32_t (*read_resource)(void *ud, const char *resource, size_t len, ik_bytes *out, ik_report *r)  [entry finder]
ENTRY_READ_RESOURCE_FN = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_size_t, c_void_p, c_void_p)
# int32_t (*resources)(void *ud, ik_strings *out, ik_report *report)  [entry finder]
ENTRY_RESOURCES_FN = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_void_p)
# int32_t (*iter_modules)(void *ud, ik_modules *out, ik_report *report)  [entry finder]
ENTRY_ITER_MODULES_FN = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_void_p)


class ik_mount_file(Structure):
    _fields_ = [
        ("path", c_char_p),
        ("path_len", c_size_t),
        ("data", POINTER(c_uint8)),
        ("data_len", c_size_t),
    ]


class ik_executor(Structure):
    # The second layout of ik_executor: the first (up to release_userdata) and the code cache's compile and
    # exec_code. This binding sets exec_code (compiled code for the runtime's cache tag, a bundle's code entry,
    # runs as it is) and leaves compile NULL (source is compiled by the loaders, with __pycache__).
    _fields_ = [
        ("size", c_uint32),
        ("userdata", c_void_p),
        ("create", CREATE_FN),
        ("exec", EXEC_FN),
        ("bind", BIND_FN),
        ("has_attr", HAS_ATTR_FN),
        ("all_names", ALL_NAMES_FN),
        ("release", RELEASE_MODULE_FN),
        ("release_userdata", RELEASE_FN),
        ("compile", COMPILE_FN),
        ("exec_code", EXEC_CODE_FN),
    ]


class ik_code_cache_stats(Structure):
    # The code cache's counters (the executor takes compiled code: hits_source counts a bundle's code run).
    _fields_ = [("size", c_uint32), ("reserved", c_uint32)] + [
        (name, c_uint64)
        for name in (
            "compiles", "hits_source", "hits_memory", "hits_directory", "misses", "rejected", "stores",
            "store_failures", "evictions", "entries", "bytes", "limit",
        )
    ]


class ik_spec_fields(Structure):
    """Every field of a spec at once (``ik_spec_get_fields``); strings are borrowed from the spec."""

    _fields_ = [
        ("size", c_uint32),
        ("kind", c_uint32),
        ("is_package", c_bool),
        ("name", c_void_p),
        ("name_len", c_size_t),
        ("origin", c_void_p),
        ("origin_len", c_size_t),
        ("file", c_void_p),
        ("file_len", c_size_t),
        ("cached", c_void_p),
        ("cached_len", c_size_t),
        ("parent", c_void_p),
        ("parent_len", c_size_t),
        ("location_count", c_size_t),
        ("ref_count", c_size_t),
        ("host_data", c_void_p),
    ]


class ik_native(Structure):
    _fields_ = [
        ("size", c_uint32),
        ("flags", c_uint32),
        ("userdata", c_void_p),
        ("create", CREATE_FN),
        ("release_userdata", RELEASE_FN),
    ]


class ik_finder(Structure):
    _fields_ = [
        ("size", c_uint32),
        ("name", c_char_p),
        ("userdata", c_void_p),
        ("find", FIND_FN),
        ("invalidate", INVALIDATE_FN),
        ("release_userdata", RELEASE_FN),
        # the second layout (the first one ends here: ``FINDER_SIZE_V1``)
        ("read_resource", READ_RESOURCE_FN),
        ("resources", RESOURCES_FN),
        ("iter_modules", ITER_MODULES_FN),
    ]


class ik_entry_finder(Structure):
    _fields_ = [
        ("size", c_uint32),
        ("userdata", c_void_p),
        ("find", ENTRY_FIND_FN),
        ("invalidate", INVALIDATE_FN),
        ("release_userdata", RELEASE_FN),
        # the second layout (the first one ends here: ``ENTRY_FINDER_SIZE_V1``)
        ("read_resource", ENTRY_READ_RESOURCE_FN),
        ("resources", ENTRY_RESOURCES_FN),
        ("iter_modules", ENTRY_ITER_MODULES_FN),
    ]


#: ``size`` of the first layouts of ``ik_finder`` and ``ik_entry_finder`` (without the resource callbacks),
#: which importkit still accepts; the binding fills the whole current layout (``sizeof``).
FINDER_SIZE_V1 = ik_finder.read_resource.offset
ENTRY_FINDER_SIZE_V1 = ik_entry_finder.read_resource.offset


class ik_path_hook(Structure):
    _fields_ = [
        ("size", c_uint32),
        ("name", c_char_p),
        ("userdata", c_void_p),
        ("hook", PATH_HOOK_FN),
        ("release_userdata", RELEASE_FN),
    ]


# ---------------------------------------------------------------------------------------------------------
# Function signatures: name -> (restype, argtypes). `status` functions return ik_status (a C enum: int).

_status = c_int
_err = POINTER(c_void_p)  # ik_error **out_error
_len = POINTER(c_size_t)  # size_t *len_out

SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "ik_version": (c_char_p, []),
    "ik_version_number": (c_uint32, []),
    "ik_status_name": (c_char_p, [c_int32]),
    "ik_kind_name": (c_char_p, [c_uint32]),
    # callbacks' context objects
    "ik_report_error": (_status, [c_void_p, c_int32, c_char_p, c_uint32, c_uint32, _err]),
    "ik_report_pass": (_status, [c_void_p, c_void_p, _err]),
    "ik_found_set": (_status, [c_void_p, c_char_p, c_uint32, c_bool, _err]),
    "ik_found_add_location": (_status, [c_void_p, c_char_p, _err]),
    "ik_found_set_file": (_status, [c_void_p, c_char_p, _err]),
    "ik_found_set_source": (_status, [c_void_p, c_void_p, c_size_t, _err]),
    "ik_found_set_code": (_status, [c_void_p, c_char_p, c_void_p, c_size_t, _err]),
    "ik_strings_push": (_status, [c_void_p, c_char_p, c_size_t, _err]),
    "ik_bytes_set": (_status, [c_void_p, c_void_p, c_size_t, _err]),
    "ik_modules_push": (_status, [c_void_p, c_char_p, c_size_t, c_bool, _err]),
    "ik_found_set_host_data": (_status, [c_void_p, c_void_p, RELEASE_FN, _err]),
    "ik_report_host_data": (_status, [c_void_p, c_void_p, RELEASE_FN, _err]),
    # errors
    "ik_error_free": (None, [c_void_p]),
    "ik_error_status": (_status, [c_void_p]),
    "ik_error_message": (c_void_p, [c_void_p, _len]),
    "ik_error_module": (c_void_p, [c_void_p, _len]),
    "ik_error_attempt_count": (c_size_t, [c_void_p]),
    "ik_error_attempt_place": (c_void_p, [c_void_p, c_size_t, _len]),
    "ik_error_attempt_reason": (c_void_p, [c_void_p, c_size_t, _len]),
    "ik_error_host_message": (c_void_p, [c_void_p, _len]),
    "ik_error_host_data": (c_void_p, [c_void_p]),
    "ik_error_line": (c_uint32, [c_void_p]),
    "ik_error_column": (c_uint32, [c_void_p]),
    # importing and the module table
    "ik_runtime_import": (_status, [c_void_p, c_char_p, c_char_p, POINTER(c_void_p), _err]),
    "ik_runtime_import_n": (
        _status,
        [c_void_p, c_char_p, c_size_t, c_char_p, c_size_t, POINTER(c_void_p), _err],
    ),
    "ik_runtime_import_from": (
        _status,
        [c_void_p, c_char_p, c_char_p, c_uint32, POINTER(c_char_p), c_size_t, POINTER(c_void_p), _err],
    ),
    "ik_runtime_find_spec": (_status, [c_void_p, c_char_p, c_char_p, POINTER(c_void_p), _err]),
    "ik_runtime_reload": (_status, [c_void_p, c_char_p, POINTER(c_void_p), _err]),
    "ik_runtime_get_module": (_status, [c_void_p, c_char_p, POINTER(c_void_p), POINTER(c_uint32), _err]),
    "ik_runtime_module_spec": (_status, [c_void_p, c_char_p, POINTER(c_void_p), _err]),
    "ik_runtime_contains": (_status, [c_void_p, c_char_p, POINTER(c_bool), _err]),
    "ik_runtime_remove_module": (_status, [c_void_p, c_char_p, _err]),
    "ik_runtime_insert_module": (_status, [c_void_p, c_char_p, c_void_p, _err]),
    "ik_runtime_insert_package": (_status, [c_void_p, c_char_p, c_void_p, POINTER(c_char_p), c_size_t, _err]),
    "ik_runtime_list_modules": (_status, [c_void_p, POINTER(c_void_p), _err]),
    "ik_name_list_count": (c_size_t, [c_void_p]),
    "ik_name_list_get": (c_void_p, [c_void_p, c_size_t, _len]),
    "ik_name_list_is_package": (c_int32, [c_void_p, c_size_t]),
    "ik_name_list_free": (None, [c_void_p]),
    # mounts
    "ik_runtime_mount": (
        _status,
        [
            c_void_p,
            c_char_p,
            POINTER(ik_mount_file),
            c_size_t,
            c_uint32,
            RELEASE_FN,
            c_void_p,
            POINTER(c_uint64),
            _err,
        ],
    ),
    "ik_runtime_unmount": (_status, [c_void_p, c_char_p, _err]),
    # bundles
    "ik_runtime_mount_bundle": (
        _status, [c_void_p, c_char_p, c_char_p, c_uint32, POINTER(c_uint8), POINTER(c_uint64), _err]
    ),
    "ik_runtime_mount_bundle_bytes": (
        _status,
        [c_void_p, c_char_p, POINTER(c_uint8), c_size_t, c_uint32, POINTER(c_uint8), RELEASE_FN, c_void_p,
         POINTER(c_uint64), _err],
    ),
    "ik_runtime_mount_bundle_appended": (
        _status, [c_void_p, c_char_p, c_char_p, c_uint32, POINTER(c_uint8), POINTER(c_uint64), _err]
    ),
    "ik_bundle_verify": (_status, [c_char_p, POINTER(c_uint8), _err]),
    "ik_bundle_builder_new": (_status, [c_void_p, POINTER(c_void_p), _err]),
    "ik_bundle_builder_free": (None, [c_void_p]),
    "ik_bundle_builder_set_compress": (_status, [c_void_p, c_bool, _err]),
    "ik_bundle_builder_add_tree": (_status, [c_void_p, POINTER(ik_mount_file), c_size_t, _err]),
    "ik_bundle_builder_add_dir": (_status, [c_void_p, c_char_p, POINTER(c_char_p), c_size_t, _err]),
    "ik_bundle_builder_modules": (_status, [c_void_p, c_uint32, POINTER(c_void_p), _err]),
    "ik_bundle_builder_add_module": (
        _status, [c_void_p, c_char_p, c_char_p, c_uint32, c_bool, POINTER(c_uint8), c_size_t, _err]
    ),
    "ik_bundle_builder_add_code": (_status, [c_void_p, c_char_p, c_char_p, POINTER(c_uint8), c_size_t, _err]),
    "ik_bundle_builder_add_file": (_status, [c_void_p, c_char_p, c_char_p, POINTER(c_uint8), c_size_t, _err]),
    "ik_bundle_builder_build": (_status, [c_void_p, POINTER(c_void_p), _err]),
    "ik_bundle_builder_write": (_status, [c_void_p, c_char_p, _err]),
    # resources and listing
    "ik_runtime_read_resource": (_status, [c_void_p, c_char_p, c_char_p, POINTER(c_void_p), _err]),
    "ik_resource_data": (c_void_p, [c_void_p, _len]),
    "ik_resource_free": (None, [c_void_p]),
    "ik_runtime_resources": (_status, [c_void_p, c_char_p, POINTER(c_void_p), _err]),
    "ik_runtime_iter_modules": (_status, [c_void_p, c_char_p, POINTER(c_void_p), _err]),
    "ik_runtime_read_file": (_status, [c_void_p, c_char_p, POINTER(c_void_p), _err]),
    "ik_runtime_distributions": (_status, [c_void_p, POINTER(c_void_p), _err]),
    # profiles
    "ik_profile_new": (_status, [c_uint32, c_char_p, POINTER(c_void_p), _err]),
    "ik_profile_free": (None, [c_void_p]),
    "ik_profile_add_suffix": (_status, [c_void_p, c_uint32, c_char_p, _err]),
    "ik_profile_clear_suffixes": (_status, [c_void_p, c_uint32, _err]),
    "ik_profile_set_init_stem": (_status, [c_void_p, c_char_p, _err]),
    "ik_profile_set_cache_tag": (_status, [c_void_p, c_char_p, _err]),
    "ik_profile_set_namespace_dirs": (_status, [c_void_p, c_bool, _err]),
    "ik_profile_set_identifiers": (_status, [c_void_p, c_uint32, _err]),
    # runtimes
    "ik_runtime_new": (_status, [c_void_p, POINTER(c_void_p), _err]),
    "ik_runtime_free": (None, [c_void_p]),
    "ik_runtime_set_executor": (_status, [c_void_p, POINTER(ik_executor), _err]),
    "ik_runtime_set_virtual_root": (_status, [c_void_p, c_char_p, _err]),
    "ik_runtime_register_native": (_status, [c_void_p, c_char_p, POINTER(ik_native), _err]),
    "ik_runtime_unregister_native": (_status, [c_void_p, c_char_p, _err]),
    "ik_runtime_add_finder": (_status, [c_void_p, POINTER(ik_finder), c_size_t, POINTER(c_uint64), _err]),
    "ik_runtime_remove_finder": (_status, [c_void_p, c_uint64, _err]),
    "ik_runtime_allow": (_status, [c_void_p, c_char_p, _err]),
    "ik_runtime_deny": (_status, [c_void_p, c_char_p, _err]),
    "ik_runtime_clear_policy": (_status, [c_void_p, _err]),
    "ik_runtime_invalidate": (_status, [c_void_p, _err]),
    # the filesystem side
    "ik_runtime_enable_filesystem": (_status, [c_void_p, c_bool, _err]),
    "ik_runtime_path_append": (_status, [c_void_p, c_char_p, _err]),
    "ik_runtime_path_insert": (_status, [c_void_p, c_size_t, c_char_p, _err]),
    "ik_runtime_path_remove": (_status, [c_void_p, c_char_p, _err]),
    "ik_runtime_path_set": (_status, [c_void_p, POINTER(c_char_p), c_size_t, _err]),
    "ik_runtime_path_list": (_status, [c_void_p, POINTER(c_void_p), _err]),
    "ik_runtime_add_path_hook": (_status, [c_void_p, POINTER(ik_path_hook), c_size_t, POINTER(c_uint64), _err]),
    "ik_runtime_remove_path_hook": (_status, [c_void_p, c_uint64, _err]),
    "ik_runtime_set_recheck": (_status, [c_void_p, c_uint32, _err]),
    "ik_runtime_confine": (_status, [c_void_p, c_char_p, _err]),
    "ik_runtime_clear_confinement": (_status, [c_void_p, _err]),
    "ik_runtime_drop_caches": (_status, [c_void_p, _err]),
    # the code cache (docs/CODE_CACHE.md)
    "ik_runtime_get_code": (
        _status,
        [c_void_p, c_char_p, c_size_t, c_uint32, POINTER(c_void_p), POINTER(c_void_p), POINTER(c_bool), _err],
    ),
    "ik_runtime_set_code_cache_dir": (_status, [c_void_p, c_char_p, _err]),
    "ik_runtime_set_code_cache_limit": (_status, [c_void_p, c_uint64, _err]),
    "ik_runtime_code_cache_stats": (_status, [c_void_p, POINTER(ik_code_cache_stats), _err]),
    "ik_runtime_namespace_locations": (_status, [c_void_p, c_char_p, POINTER(c_void_p), _err]),
    "ik_runtime_path_find_spec": (
        _status,
        [c_void_p, c_char_p, POINTER(c_char_p), c_size_t, POINTER(c_void_p), _err],
    ),
    # specs
    "ik_spec_name": (c_void_p, [c_void_p, _len]),
    "ik_spec_origin": (c_void_p, [c_void_p, _len]),
    "ik_spec_file": (c_void_p, [c_void_p, _len]),
    "ik_spec_cached": (c_void_p, [c_void_p, _len]),
    "ik_spec_parent": (c_void_p, [c_void_p, _len]),
    "ik_spec_kind": (c_uint32, [c_void_p]),
    "ik_spec_is_package": (c_bool, [c_void_p]),
    "ik_spec_location_count": (c_size_t, [c_void_p]),
    "ik_spec_location": (c_void_p, [c_void_p, c_size_t, _len]),
    "ik_spec_ref_count": (c_size_t, [c_void_p]),
    "ik_spec_ref": (c_void_p, [c_void_p, c_size_t, _len]),
    "ik_spec_location_ref_count": (c_size_t, [c_void_p, c_size_t]),
    "ik_spec_location_ref": (c_void_p, [c_void_p, c_size_t, c_size_t, _len]),
    "ik_spec_host_data": (c_void_p, [c_void_p]),
    "ik_spec_get_fields": (_status, [c_void_p, POINTER(ik_spec_fields), _err]),
    "ik_spec_free": (None, [c_void_p]),
}


def library_file_names() -> list[str]:
    """The file names the shared library has on this platform."""
    if sys.platform == "win32":
        return ["importkit.dll"]
    if sys.platform == "darwin":
        return ["libimportkit.dylib"]
    return ["libimportkit.so"]


def candidate_paths() -> list[str]:
    """Where the library is looked for, in order (see the module docstring)."""
    env = os.environ.get("IMPORTKIT_LIB")
    if env:
        return [env]
    package_dir = os.path.dirname(os.path.realpath(__file__))
    names = library_file_names()
    parent = os.path.dirname(package_dir)
    paths = [os.path.join(package_dir, n) for n in names] + [os.path.join(parent, n) for n in names]
    repo = os.path.dirname(os.path.dirname(parent))  # <repo>/bindings/python/importkit
    for profile in ("release", "debug"):
        paths += [os.path.join(repo, "target", profile, n) for n in names]
    return paths


class _Loaded:
    lib: ctypes.CDLL | None = None
    path: str | None = None
    hot: Hot | None = None


_lock = allocate_lock()


def _declare(lib: ctypes.CDLL) -> None:
    for name, (restype, argtypes) in SIGNATURES.items():
        fn = getattr(lib, name)  # AttributeError: the library lacks a function of the header
        fn.restype = restype
        fn.argtypes = argtypes


def lib() -> ctypes.CDLL:
    """The loaded library, with every function declared (loaded once, on first use)."""
    loaded = _Loaded.lib
    if loaded is not None:
        return loaded
    with _lock:
        if _Loaded.lib is not None:
            return _Loaded.lib
        tried = candidate_paths()
        path = next((p for p in tried if os.path.isfile(p)), None)
        if path is None:
            shown = ", ".join(str(p) for p in tried)
            raise OSError(
                f"importkit: shared library not found (tried {shown}); build it with `cargo build` "
                "or set IMPORTKIT_LIB to its path"
            )
        handle = ctypes.CDLL(path)
        _declare(handle)
        number = handle.ik_version_number()
        major, minor = number // 10000, number // 100 % 100
        if (major, minor) != (ABI_MAJOR, ABI_MINOR):
            raise OSError(
                f"importkit: {path} is version {handle.ik_version().decode()}, but this binding was written "
                f"for {ABI_MAJOR}.{ABI_MINOR}.x"
            )
        _check_enums(handle, path)
        _Loaded.lib, _Loaded.path = handle, path
        return handle


def library_path() -> str:
    """The path of the loaded library (loading it if needed)."""
    lib()
    assert _Loaded.path is not None
    return _Loaded.path


def text(fn, *args) -> str | None:
    """Calls an accessor `fn(*args, size_t *len_out) -> const char *` and decodes the result (None for NULL).

    The string is owned by the object the accessor reads; it is copied here before that object can go.
    """
    n = c_size_t(0)
    p = fn(*args, ctypes.byref(n))
    if not p:
        return None
    return ctypes.string_at(p, n.value).decode("utf-8", "replace")


def take_resource(resource) -> bytes:
    """The bytes of an ``ik_resource *`` (an int, a ``c_void_p``), copied, and the resource freed."""
    handle = lib()
    try:
        n = c_size_t(0)
        at = handle.ik_resource_data(resource, ctypes.byref(n))
        return ctypes.string_at(at, n.value) if n.value else b""
    finally:
        handle.ik_resource_free(resource)


def encode(s: str) -> bytes:
    """A str as the UTF-8 bytes importkit validates itself (lone surrogates pass through so that importkit,
    not Python, refuses them)."""
    return s.encode("utf-8", "surrogatepass")


class Hot:
    """The functions of the import hot path, declared for speed (see the module docstring). Attributes are
    the ctypes function objects; a caller copies the ones it needs into locals."""

    __slots__ = (
        "path_find_spec",
        "find_spec",
        "spec_kind",
        "spec_file",
        "spec_origin",
        "spec_cached",
        "spec_location_count",
        "spec_location",
        "spec_is_package",
        "spec_host_data",
        "spec_ref_count",
        "spec_ref",
        "spec_location_ref_count",
        "spec_location_ref",
        "spec_free",
        "error_free",
    )

    def __init__(self, path: str) -> None:
        gil = ctypes.CDLL(path)  # releases the GIL around each call
        keep = ctypes.PyDLL(path)  # keeps it: only for functions that never call back into Python

        def declare(handle, name, restype, argtypes):
            fn = getattr(handle, name)
            fn.restype = restype
            fn.argtypes = argtypes
            return fn

        pp = POINTER(c_void_p)
        self.path_find_spec = declare(
            gil, "ik_runtime_path_find_spec", c_int, [c_void_p, c_char_p, c_void_p, c_size_t, pp, pp]
        )
        self.find_spec = declare(gil, "ik_runtime_find_spec", c_int, [c_void_p, c_char_p, c_char_p, pp, pp])
        self.spec_kind = declare(keep, "ik_spec_kind", c_uint32, [c_void_p])
        self.spec_file = declare(keep, "ik_spec_file", c_char_p, [c_void_p, c_void_p])
        self.spec_origin = declare(keep, "ik_spec_origin", c_char_p, [c_void_p, c_void_p])
        self.spec_cached = declare(keep, "ik_spec_cached", c_char_p, [c_void_p, c_void_p])
        self.spec_location_count = declare(keep, "ik_spec_location_count", c_size_t, [c_void_p])
        self.spec_location = declare(keep, "ik_spec_location", c_char_p, [c_void_p, c_size_t, c_void_p])
        self.spec_is_package = declare(keep, "ik_spec_is_package", c_bool, [c_void_p])
        self.spec_host_data = declare(keep, "ik_spec_host_data", c_void_p, [c_void_p])
        self.spec_ref_count = declare(keep, "ik_spec_ref_count", c_size_t, [c_void_p])
        self.spec_ref = declare(keep, "ik_spec_ref", c_char_p, [c_void_p, c_size_t, c_void_p])
        self.spec_location_ref_count = declare(keep, "ik_spec_location_ref_count", c_size_t, [c_void_p, c_size_t])
        self.spec_location_ref = declare(
            keep, "ik_spec_location_ref", c_char_p, [c_void_p, c_size_t, c_size_t, c_void_p]
        )
        self.spec_free = declare(keep, "ik_spec_free", None, [c_void_p])
        self.error_free = declare(keep, "ik_error_free", None, [c_void_p])


def hot() -> Hot:
    """The hot-path declarations (the library is loaded first if needed)."""
    h = _Loaded.hot
    if h is not None:
        return h
    path = library_path()
    with _lock:
        if _Loaded.hot is None:
            _Loaded.hot = Hot(path)
        return _Loaded.hot


# ---------------------------------------------------------------------------------------------------------
# Enumerations. The values of ik_status and ik_kind come from the header's `typedef enum { NAME = VALUE, ...
# } ik_status;` blocks, read here at import (no library needed, so importing the package loads nothing). The
# header is looked for beside the package and beside the library (``header_candidates``). A package installed
# without it still works: the values then come from the library itself, whose ik_status_name and
# ik_kind_name name every value (probed from 0 up: the values are small numbers that never change), which
# loads the library at import. A header that does not match the library loaded later (a header of another
# build) is refused when it is loaded (``_check_enums``).

#: Values probed when there is no header: above every status and kind value.
_PROBED = 256


def header_candidates() -> list[str]:
    """Where ``importkit.h`` is looked for, in order: ``$IMPORTKIT_HEADER`` (when set, nothing else is
    tried); beside the package (inside the ``importkit`` directory, then the directory that holds it); beside
    the library that ``lib()`` would load, as an install prefix has it (``PREFIX/lib``,
    ``PREFIX/include/importkit``) or as cargo's ``target/<profile>`` has it (``<repo>/include``); the
    repository's ``include/``."""
    env = os.environ.get("IMPORTKIT_HEADER")
    if env:
        return [env]
    package_dir = os.path.dirname(os.path.realpath(__file__))
    parent = os.path.dirname(package_dir)
    paths = [os.path.join(package_dir, "importkit.h"), os.path.join(parent, "importkit.h")]
    library = next((p for p in candidate_paths() if os.path.isfile(p)), None)
    if library is not None:
        lib_dir = os.path.dirname(os.path.realpath(library))
        paths.append(os.path.join(lib_dir, os.pardir, "include", "importkit", "importkit.h"))
        paths.append(os.path.join(lib_dir, os.pardir, os.pardir, "include", "importkit.h"))
    paths.append(os.path.join(os.path.dirname(os.path.dirname(parent)), "include", "importkit.h"))
    return paths


def enum_values(header: str, name: str) -> dict[str, int]:
    """The members of the header's ``typedef enum { ... } name;``, as ``{"IK_OK": 0, ...}`` ({} if none)."""
    end = "} " + name + ";"
    for block in header.split("typedef enum {")[1:]:
        if end in block:
            members = {}
            for line in block[: block.index(end)].splitlines():
                line = line.strip()
                if line and not line.startswith("//"):
                    member, _, value = line.rstrip(",").partition(" = ")
                    members[member.strip()] = int(value)
            return members
    return {}


# Each enum with the library function that names its values and the name it gives to other values.
_NAMERS = {"ik_status": ("ik_status_name", "IK_UNKNOWN_STATUS"), "ik_kind": ("ik_kind_name", "IK_UNKNOWN_KIND")}


class _Enums:
    #: the header the values were read from; None when the library named them
    header: str | None = None
    #: enum name -> {member name: value}
    values: dict[str, dict[str, int]] = {}


def _read_enums() -> None:
    for path in header_candidates():
        try:
            with open(path, encoding="utf-8") as f:
                header = f.read()
        except OSError:
            continue
        values = {enum: enum_values(header, enum) for enum in _NAMERS}
        if all(values.values()):
            _Enums.header, _Enums.values = os.path.realpath(path), values
            return
    handle = lib()
    for enum, (function, unknown) in _NAMERS.items():
        name_of = getattr(handle, function)
        names = ((name_of(value).decode(), value) for value in range(_PROBED))
        _Enums.values[enum] = {name: value for name, value in names if name != unknown}


def _check_enums(handle: ctypes.CDLL, path: str) -> None:
    """Refuses a library that names the header's values otherwise (a header of another build)."""
    for enum, members in _Enums.values.items():
        name_of = getattr(handle, _NAMERS[enum][0])
        for name, value in members.items():
            if name_of(value).decode() != name:
                raise OSError(
                    f"importkit: {path} does not match the header {_Enums.header}: {enum} value {value} is "
                    f"{name_of(value).decode()} there, {name} in the header; set IMPORTKIT_HEADER to its header"
                )


_read_enums()
# IK_OK, IK_ERR_INVALID_ARGUMENT ... IK_ERR_INTERNAL and IK_KIND_SOURCE ... IK_KIND_NAMESPACE, as module globals.
globals().update(_Enums.values["ik_status"])
globals().update(_Enums.values["ik_kind"])
STATUS_NAMES: dict[int, str] = {value: name for name, value in _Enums.values["ik_status"].items()}
