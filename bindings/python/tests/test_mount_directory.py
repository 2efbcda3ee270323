"""``Runtime.mount(point, directory)``: a directory is read as ``BundleBuilder.add_dir`` reads one (symbolic links
inside followed, links out, loops and special files refused, nothing ever opened that could block), and the same
files give what CPython imports from the directory on ``sys.path``."""

from __future__ import annotations

import json
import os
import stat
import threading

import pytest

import importkit

from conftest import run_python, write


class _FifoWriter:
    """A thread that opens the FIFO ``path`` for writing and closes it at once: a reader that opens the FIFO
    gets end of file instead of waiting forever, so a test of code that wrongly opens it ends (and fails)
    rather than hangs. ``finish()`` wakes the writer if nobody opened the FIFO (the right outcome)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.opened = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        fd = os.open(self.path, os.O_WRONLY)  # blocks until a reader opens the FIFO
        self.opened = True
        os.close(fd)

    def finish(self) -> bool:
        """Whether a reader other than this one opened the FIFO (once its open returned, the writer's had)."""
        opened = self.opened
        if self.thread.is_alive():
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)  # a reader: the writer's open returns
            self.thread.join()
            os.close(fd)
        return opened


@pytest.fixture
def fifo_tree(tmp_path):
    write(tmp_path / "tree", {"p/__init__.py": "X = 1\n"})
    fifo = tmp_path / "tree" / "p" / "pipe"
    os.mkfifo(fifo)
    writer = _FifoWriter(str(fifo))
    yield tmp_path / "tree", writer
    writer.finish()


def test_a_fifo_in_a_mounted_directory_is_refused_never_opened_as_add_dir_refuses_it(rt, fifo_tree):
    tree, writer = fifo_tree
    with pytest.raises(importkit.InvalidArgumentError, match="'p/pipe' is not a regular file, a directory or a"):
        rt.mount("", tree)
    assert rt.mounts == [] and rt._state.borrowed == {}
    with importkit.BundleBuilder() as builder, pytest.raises(importkit.InvalidArgumentError,
                                                             match="'p/pipe' is not a regular file"):
        builder.add_dir(tree)
    assert not writer.finish()  # nobody opened the FIFO


def test_a_file_swapped_for_a_fifo_after_it_was_examined_is_refused_not_waited_on(rt, fifo_tree, monkeypatch):
    tree, writer = fifo_tree
    fifo = str(tree / "p" / "pipe")
    real_lstat = os.lstat

    def lstat(path, *args, **kwargs):  # the FIFO was a regular file when the walk examined it
        st = real_lstat(path, *args, **kwargs)
        if os.fspath(path) == fifo:
            fields = list(st)
            fields[0] = stat.S_IFREG | 0o644
            return os.stat_result(fields)
        return st

    monkeypatch.setattr(os, "lstat", lstat)
    with pytest.raises(importkit.InvalidArgumentError, match="'p/pipe' is no longer a regular file"):
        rt.mount("", tree)
    assert rt.mounts == []


SYMLINKED = {
    "real/__init__.py": "WHO = 'real'\n",
    "real/mod.py": "V = 7\n",
    "real/data/d.txt": "d\n",
}


def _symlinked_tree(root):
    write(root, SYMLINKED)
    os.symlink("real", root / "linked")  # a symlinked package
    os.symlink("real/mod.py", root / "alias.py")  # a symlinked module
    return root


_CPYTHON_SYMLINKED = """
import json, sys
sys.path.insert(0, sys.argv[1])
import linked, linked.mod, alias
print(json.dumps([linked.WHO, linked.mod.V, alias.V]))
"""


def test_a_symlinked_package_in_a_mounted_directory_imports_as_cpython_and_add_dir_import_it(rt, rt2, tmp_path):
    tree = _symlinked_tree(tmp_path / "tree")
    done = run_python(_CPYTHON_SYMLINKED, str(tree), env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 0, done.stderr
    expected = json.loads(done.stdout)
    assert expected == ["real", 7, 7]

    rt.mount("", tree)
    got = [rt.import_module("linked").WHO, rt.import_module("linked.mod").V, rt.import_module("alias").V]
    assert got == expected
    assert rt.read_resource("linked", "data/d.txt") == b"d\n"

    with importkit.BundleBuilder() as builder:
        builder.add_dir(tree)
        rt2.mount_bundle(builder.build())
    assert [rt2.import_module("linked").WHO, rt2.import_module("linked.mod").V, rt2.import_module("alias").V] == got


@pytest.mark.parametrize("make, why", [
    (lambda root: os.symlink("..", root / "real" / "loop"), "a loop"),
    (lambda root: os.symlink(str(root.parent / "outside.py"), root / "out.py"), "out of the"),
    (lambda root: os.symlink("missing.py", root / "dangling.py"), "leads nowhere"),
    (lambda root: os.symlink("real", root / "again"), "second symbolic link"),
])
def test_links_add_dir_refuses_are_refused_by_mount(rt, tmp_path, make, why):
    tree = _symlinked_tree(tmp_path / "tree")
    (tmp_path / "outside.py").write_text("SECRET = 1\n")
    make(tree)
    with importkit.BundleBuilder() as builder, pytest.raises(importkit.InvalidArgumentError, match=why):
        builder.add_dir(tree)
    with pytest.raises(importkit.InvalidArgumentError, match=why):
        rt.mount("", tree)
    assert rt.mounts == []


@pytest.mark.parametrize("data", [5, 0, [104, 105], None, 1.5])
def test_mount_takes_bytes_or_str_as_file_contents_as_add_tree_does(rt, data):
    with importkit.BundleBuilder() as builder, pytest.raises(TypeError, match="must be bytes or str, not"):
        builder.add_tree({"a.txt": data})
    with pytest.raises(TypeError, match=f"file bytes must be bytes or str, not {type(data).__name__}"):
        rt.mount("m", {"__init__.py": "", "a.txt": data})
    assert rt.mounts == [] and rt._state.borrowed == {}
    rt.mount("m", {"__init__.py": "", "a.txt": "hi", "b.bin": bytearray(b"\0\1"), "c.bin": memoryview(b"c")})
    assert [rt.read_resource("m", f) for f in ("a.txt", "b.bin", "c.bin")] == [b"hi", b"\0\1", b"c"]


def test_a_bundle_file_that_cannot_be_opened_is_the_oserror_open_gives(rt, tmp_path):
    missing = str(tmp_path / "missing.ikb")
    with pytest.raises(FileNotFoundError) as by_open:
        open(missing, "rb")
    for mount in (rt.mount_bundle, rt.mount_bundle_appended):
        with pytest.raises(FileNotFoundError) as by_mount:
            mount(missing)
        assert (by_mount.value.errno, by_mount.value.filename) == (by_open.value.errno, by_open.value.filename)
        assert isinstance(by_mount.value.__cause__, importkit.InvalidMountError)
        assert "cannot be opened" in str(by_mount.value)
    with pytest.raises(importkit.InvalidMountError, match="not a regular file"):  # opened, but no bundle file
        rt.mount_bundle(str(tmp_path))
    assert rt.mounts == []
