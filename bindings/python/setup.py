"""Builds importkit's wheel: the shared library made by cargo from the repository's crate (two directories up)
and put inside the package with the C header (so that an installed importkit needs no ``IMPORTKIT_LIB`` and
reads the ABI's enumerations without loading the library at import). The wheel is tagged
``py3-none-<platform>``: the library is native code for this platform, loaded with ctypes, and depends on no
Python ABI. Metadata is in pyproject.toml.

    pip wheel bindings/python          # from a checkout; cargo's own settings (CARGO, CARGO_TARGET_DIR,
    pip install bindings/python        # .cargo/config.toml...) are honoured: the library is the file cargo
    pip install -e bindings/python     # names as built; an editable install keeps it in importkit/ here

There is no source distribution: the package is built from the repository, whose crate it needs.
"""

import json
import os
import shutil
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist
from setuptools.dist import Distribution

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools before 70.1 has it in the wheel package
    from wheel.bdist_wheel import bdist_wheel

HERE = os.path.dirname(os.path.abspath(__file__))
CRATE = os.path.normpath(os.path.join(HERE, "..", ".."))
HEADER = os.path.join(CRATE, "include", "importkit.h")


def library_name() -> str:
    if sys.platform == "win32":
        return "importkit.dll"
    if sys.platform == "darwin":
        return "libimportkit.dylib"
    return "libimportkit.so"


def check_crate(manifest: str) -> None:
    """The crate two directories up must be importkit's (this file lives in its bindings/python)."""
    try:
        with open(manifest, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        raise SystemExit(
            f"importkit's wheel is built from a checkout of the importkit repository: no crate at {manifest}"
        ) from None
    if 'name = "importkit"' not in text or not os.path.isfile(HEADER):
        raise SystemExit(f"{manifest} is not importkit's crate (with include/importkit.h): build from its checkout")


def build_library() -> str:
    """``cargo build --release --lib``; the path of the shared library cargo reports it built."""
    manifest = os.path.join(CRATE, "Cargo.toml")
    check_crate(manifest)
    cargo = os.environ.get("CARGO", "cargo")
    command = [cargo, "build", "--release", "--lib", "--manifest-path", manifest,
               "--message-format=json-render-diagnostics"]
    try:
        done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    except FileNotFoundError:
        raise SystemExit(f"importkit's wheel needs Rust's cargo to build the library: {cargo!r} is not found") from None
    except subprocess.CalledProcessError as e:
        raise SystemExit(f"building importkit's library failed ({' '.join(command)}: exit {e.returncode})") from None
    built = []
    for line in done.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        target = message.get("target") or {}
        if message.get("reason") == "compiler-artifact" and target.get("name") == "importkit" \
                and "cdylib" in target.get("kind", []):
            built += [f for f in message.get("filenames", []) if os.path.basename(f) == library_name()]
    if len(built) != 1:
        raise SystemExit(f"cargo built no {library_name()} for importkit (its messages named {built or 'none'})")
    return built[0]


class BuildWithLibrary(build_py):
    """The package's modules, then the library and the header, copied into the package (into the source tree
    for an editable install)."""

    def run(self):
        package = os.path.join(self.build_lib, "importkit")
        if not getattr(self, "editable_mode", False):
            shutil.rmtree(package, ignore_errors=True)  # no module removed since an earlier build comes back
        super().run()
        library = build_library()
        if getattr(self, "editable_mode", False):
            package = os.path.join(HERE, "importkit")
        os.makedirs(package, exist_ok=True)
        shutil.copyfile(library, os.path.join(package, library_name()))
        shutil.copyfile(HEADER, os.path.join(package, "importkit.h"))


class NoSdist(sdist):
    def run(self):
        raise SystemExit("importkit has no source distribution: build its wheel from a checkout of the repository")


class NativeDistribution(Distribution):
    """A distribution with native code: its wheel is for one platform, installed in platlib."""

    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    """``py3-none-<platform>``: any Python 3, no Python ABI, this platform's library."""

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    distclass=NativeDistribution,
    cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": PlatformWheel, "sdist": NoSdist},
)
