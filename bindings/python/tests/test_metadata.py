"""``importlib.metadata`` under ``install()`` over mounts and bundles (``importkit.metadata``), compared with what
CPython finds in the same files on disk."""

from __future__ import annotations

import json
import sys

import pytest

import importkit

from conftest import run_python, write

NAMELESS = {
    # a broken distribution: its METADATA has no Name (CPython names it after its directory)
    "iknameless-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nVersion: 1.0\n",
    "iknameless-1.0.dist-info/entry_points.txt": "[ik.meta.tests]\nfrom_nameless = iknameless:run\n",
    # and one that is fine
    "ikgood-2.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: IKGood\nVersion: 2.0\n",
    "ikgood-2.0.dist-info/entry_points.txt": "[ik.meta.tests]\nfrom_good = ikgood:run\n",
}

_ENTRY_POINTS = """
import importlib.metadata as md, json, sys
{setup}
eps = md.entry_points(group="ik.meta.tests")
print(json.dumps(sorted([e.name, e.value, e.dist._normalized_name] for e in eps)))
"""


def _entry_points_in(setup: str, *args: str) -> list:
    done = run_python(_ENTRY_POINTS.format(setup=setup), *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_entry_points_survive_a_distribution_without_a_name_as_in_cpython(tmp_path):
    write(tmp_path / "site", NAMELESS)
    expected = _entry_points_in("sys.path.insert(0, sys.argv[1])", str(tmp_path / "site"))
    assert expected == [["from_good", "ikgood:run", "ikgood"], ["from_nameless", "iknameless:run", "iknameless"]]
    mounted = _entry_points_in(f"import importkit; importkit.install().mount('', {NAMELESS!r})")
    assert mounted == expected
    with importkit.BundleBuilder() as builder:
        builder.add_tree(NAMELESS)
        builder.write(tmp_path / "site.ikb")
    bundled = _entry_points_in("import importkit; importkit.install(); importkit.mount_bundle(sys.argv[1])",
                               str(tmp_path / "site.ikb"))
    assert bundled == expected


_DISTRIBUTIONS_ON = """
import importlib.metadata as md, json, sys
{setup}
print(json.dumps([sorted(str(d.metadata["Name"]) for d in md.distributions(path=iter(entries)))
                  for entries in ([sys.argv[1]], [sys.argv[1], sys.executable])]))
"""


@pytest.mark.parametrize("setup, also", [
    ("", []),
    ("import importkit; importkit.install()", []),
    ("import importkit; importkit.install().mount('', {'ikmounted-1.0.dist-info/METADATA': "
     "'Metadata-Version: 2.1\\nName: IKMounted\\nVersion: 1.0\\n'})", ["IKMounted"]),
])
def test_distributions_on_a_path_given_as_an_iterator_as_in_cpython(tmp_path, setup, also):
    write(tmp_path / "site", NAMELESS)
    done = run_python(_DISTRIBUTIONS_ON.format(setup=setup), str(tmp_path / "site"))
    assert done.returncode == 0, done.stderr
    on_disk = ["IKGood", "None"]  # the nameless one too
    # the virtual root (sys.executable) names the mounts' tree; to CPython it is a file, which holds none
    assert json.loads(done.stdout) == [on_disk, sorted(on_disk + also)]


def test_locate_file_of_the_empty_path_is_the_directory_holding_the_metadata_as_in_cpython(installed, tmp_path):
    import importlib.metadata as md

    write(tmp_path / "site", NAMELESS)
    on_disk = next(d for d in md.PathDistribution.discover(path=[str(tmp_path / "site")])
                   if d.metadata["Name"] == "IKGood")
    assert str(on_disk.locate_file("")) == str(tmp_path / "site")  # no '/' after it
    installed.mount("", NAMELESS)
    mounted = next(d for d in installed.find_distributions() if d.metadata["Name"] == "IKGood")
    assert str(mounted.locate_file("")) == installed._virtual_root == sys.executable
    assert str(mounted.locate_file("a/b.txt")) == f"{sys.executable}/a/b.txt"
    installed.set_virtual_root(None)
    assert str(mounted.locate_file("")) == "memory:/"
