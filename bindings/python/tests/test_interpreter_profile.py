"""A runtime's Python profile is the running interpreter's (cache tag, extension suffixes), not CPython 3.11's;
any other interpreter's is a profile away."""

from __future__ import annotations

import importlib.machinery
import sys

import importkit
from importkit import Kind


def spec_in(profile, directory, name):
    with importkit.Runtime(profile) as rt:
        rt.enable_filesystem()
        rt.path_append(str(directory))
        return rt.find_spec(name)


def test_a_runtime_has_this_interpreters_cache_tag_and_extension_suffixes(tmp_path):
    (tmp_path / "m.py").write_text("")
    (tmp_path / f"e{importlib.machinery.EXTENSION_SUFFIXES[0]}").write_bytes(b"")
    spec = spec_in("python", tmp_path, "m")
    assert spec.cached == str(tmp_path / "__pycache__" / f"m.{sys.implementation.cache_tag}.pyc")
    assert spec_in("python", tmp_path, "e").kind == Kind.EXTENSION


def test_another_interpreters_profile(tmp_path):
    (tmp_path / "m.py").write_text("")
    (tmp_path / "fast.cpython-313-x86_64-linux-gnu.so").write_bytes(b"")
    p = importkit.Profile("python")
    try:
        p.set_cache_tag("cpython-313")
        p.clear_suffixes(Kind.EXTENSION)
        for suffix in (".cpython-313-x86_64-linux-gnu.so", ".abi3.so", ".so"):
            p.add_suffix(Kind.EXTENSION, suffix)
        assert spec_in(p, tmp_path, "m").cached == str(tmp_path / "__pycache__" / "m.cpython-313.pyc")
        assert spec_in(p, tmp_path, "fast").kind == Kind.EXTENSION
        p.set_cache_tag(None)  # as an interpreter whose sys.implementation.cache_tag is None
        assert spec_in(p, tmp_path, "m").cached is None
    finally:
        p.free()
