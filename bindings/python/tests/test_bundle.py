"""Bundles from Python: built with BundleBuilder (a directory, a mapping, modules, compiled code, files),
verified with its digest, mounted into a Runtime from the file, from bytes and appended to a file, pinned;
bad bundles and bad arguments refused with importkit's errors."""

import hashlib
import importlib.resources
import marshal
import sys

import pytest

import importkit
from importkit import BundleBuilder, verify_bundle
from importkit.spec import Kind


def built(tmp_path):
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "__init__.py").write_text("WHERE = 'bundle'\n")
    (src / "pkg" / "mod.py").write_text("def f():\n    return 42\n")
    (src / "pkg" / "data.txt").write_text("DATA")
    (src / "__pycache__").mkdir()
    (src / "__pycache__" / "x.pyc").write_bytes(b"left out")
    b = BundleBuilder()
    b.add_tree(src)
    b.add_module("extra", "extra.py", Kind.SOURCE, False, "VALUE = 7\n")
    b.add_code("extra", sys.implementation.cache_tag, marshal.dumps(compile("VALUE = 7\n", "extra.py", "exec")))
    b.add_file("more.txt", b"MORE", package="pkg")
    return b


def test_built_verified_mounted_and_imported(rt, tmp_path):
    b = built(tmp_path)
    one, two = b.build(), b.build()
    assert one == two and one[:8] == b"IKBUNDL\0"
    path = tmp_path / "app.ikb"
    b.write(path)
    assert path.read_bytes() == one
    digest = verify_bundle(path)
    assert digest == hashlib.sha256(one).digest()
    rt.mount_bundle(path, "app", sha256=digest.hex())
    mod = rt.import_module("app.pkg.mod")
    assert mod.f() == 42
    assert rt.import_module("app.pkg").WHERE == "bundle"
    assert rt.import_module("app.extra").VALUE == 7
    assert rt.find_spec("app.pkg.mod").origin == "bundle:/app/pkg/mod.py"
    assert rt.read_resource("app.pkg", "more.txt") == b"MORE"
    assert sorted(rt.resources("app.pkg")) == ["__init__.py", "data.txt", "mod.py", "more.txt"]
    with pytest.raises(importkit.NotFoundError):
        rt.find_spec("app.__pycache__")
    rt.unmount("app")
    # From bytes (copied), read whole, replaced.
    rt.mount_bundle(one, "copied")
    assert rt.import_module("copied.pkg.mod").f() == 42
    rt.mount_bundle(path, "copied", read=True, replace=True)
    b.close()
    with pytest.raises(ValueError):
        b.build()


def test_appended_to_a_file(rt, tmp_path):
    bundle = built(tmp_path).build()
    exe = tmp_path / "program"
    exe.write_bytes(b"#!/bin/sh\n")
    subprocess_free = tmp_path / "with-bundle"
    offset = (len(exe.read_bytes()) + 7) // 8 * 8
    import struct
    import zlib

    head = b"IKBTRAIL" + struct.pack("<QQI", offset, len(bundle), 1)
    trailer = head + struct.pack("<I", zlib.crc32(head))
    subprocess_free.write_bytes(exe.read_bytes().ljust(offset, b"\0") + bundle + trailer)
    rt.mount_bundle_appended(subprocess_free, "app")
    assert rt.import_module("app.extra").VALUE == 7
    with pytest.raises(importkit.InvalidMountError, match="no bundle is appended"):
        rt.mount_bundle_appended(exe, "other")
    with pytest.raises(importkit.InvalidMountError, match="no bundle is appended"):
        rt.mount_bundle_appended(None, "other")  # this interpreter carries none


def test_bad_bundles_and_arguments(rt, tmp_path):
    bundle = bytearray(built(tmp_path).build())
    with pytest.raises(importkit.InvalidMountError, match="SHA-256"):
        rt.mount_bundle(bytes(bundle), "app", sha256=b"\0" * 32)
    with pytest.raises(importkit.InvalidArgumentError, match="sha256"):
        rt.mount_bundle(bytes(bundle), "app", sha256="not hex")
    with pytest.raises(importkit.InvalidMountError):
        rt.mount_bundle(b"IKBUNDL\0 and nothing more", "app")
    with pytest.raises(FileNotFoundError, match="absent.ikb"):  # the OSError, importkit's error its cause
        rt.mount_bundle(tmp_path / "absent.ikb", "app")
    with pytest.raises(importkit.InvalidMountError):
        verify_bundle(tmp_path)
    b = BundleBuilder()
    with pytest.raises(importkit.InvalidArgumentError, match="'missing'"):
        b.add_code("missing", "tag", b"x")
    with pytest.raises(importkit.InvalidArgumentError):
        b.add_module("a", "elsewhere/a.py", Kind.SOURCE, False, "")
    with pytest.raises(importkit.IoError, match="no-such-dir"):
        b.write(tmp_path / "no-such-dir" / "x.ikb")
    with pytest.raises(TypeError):
        b.add_file("x.txt", 42)


def test_a_directory_is_read_by_the_library_and_get_code_executes_nothing(rt, tmp_path):
    src = tmp_path / "tree"
    (src / "pkg" / "sub").mkdir(parents=True)
    (src / "pkg" / "__init__.py").write_text("RAN = True\n")
    (src / "pkg" / "mod.py").write_text("X = 1\n")
    (src / "pkg" / "sub" / "leaf.py").write_text("Y = 2\n")
    (src / "pkg" / "scratch.tmp").write_text("left out")
    (src / "pkg" / "outside.txt").symlink_to("/etc/hostname")
    b = BundleBuilder()
    with pytest.raises(importkit.InvalidArgumentError, match="out of the source"):
        b.add_dir(src)
    (src / "pkg" / "outside.txt").unlink()
    b.add_dir(src, exclude=["*.tmp"])
    assert b.modules(Kind.SOURCE) == [("pkg", True), ("pkg.mod", False), ("pkg.sub.leaf", False)]
    assert b.modules(Kind.NAMESPACE) == [("", True), ("pkg.sub", True)]  # the root, a directory without init
    rt.mount_bundle(b.build(), "app")
    with pytest.raises(importkit.NotFoundError):
        rt.read_resource("app.pkg", "scratch.tmp")
    spec, data, is_code = rt.get_code("app.pkg.mod")
    assert (spec.origin, data, is_code) == ("bundle:/app/pkg/mod.py", b"X = 1\n", False)
    assert "app.pkg" not in rt.modules() and "app.pkg.mod" not in rt.modules()
    spec, data, is_code = rt.get_code("app.pkg.sub")
    assert (spec.kind, data, is_code) == (Kind.NAMESPACE, None, False)
    with pytest.raises(importkit.NotFoundError):
        rt.get_code("app.pkg.absent")

