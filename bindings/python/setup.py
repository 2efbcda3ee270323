"""Builds importkit's wheel: the shared library made by cargo from the repository's crate (two directories up)
and put inside the package, so an installed importkit needs no ``IMPORTKIT_LIB``. The wheel is tagged
``py3-none-<platform>``: the library is native code for this platform, loaded with ctypes, and depends on no
Python ABI. Metadata is in pyproject.toml.

    pip wheel bindings/python          # from a checkout; CARGO and CARGO_TARGET_DIR are honoured
"""

import os
import shutil
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools before 70.1 has it in the wheel package
    from wheel.bdist_wheel import bdist_wheel

HERE = os.path.dirname(os.path.abspath(__file__))
CRATE = os.path.normpath(os.path.join(HERE, "..", ".."))


def library_name() -> str:
    if sys.platform == "win32":
        return "importkit.dll"
    if sys.platform == "darwin":
        return "libimportkit.dylib"
    return "libimportkit.so"


class BuildWithLibrary(build_py):
    """The package's modules, then the library: ``cargo build --release --lib``, copied into the package."""

    def run(self):
        super().run()
        manifest = os.path.join(CRATE, "Cargo.toml")
        if not os.path.isfile(manifest):
            raise SystemExit(
                f"importkit's wheel is built from a checkout of the importkit repository: no crate at {manifest}"
            )
        cargo = os.environ.get("CARGO", "cargo")
        command = [cargo, "build", "--release", "--lib", "--manifest-path", manifest]
        try:
            subprocess.run(command, check=True)
        except FileNotFoundError:
            raise SystemExit(f"importkit's wheel needs Rust's cargo to build the library: {cargo!r} is not found")
        except subprocess.CalledProcessError as e:
            raise SystemExit(f"building importkit's library failed ({' '.join(command)}: exit {e.returncode})")
        target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(CRATE, "target")
        built = os.path.join(target, "release", library_name())
        package = os.path.join(self.build_lib, "importkit")
        os.makedirs(package, exist_ok=True)
        shutil.copyfile(built, os.path.join(package, library_name()))


class NativeDistribution(Distribution):
    """A distribution with native code: its wheel is for one platform, installed in platlib."""

    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    """``py3-none-<platform>``: any Python 3, no Python ABI, this platform's library."""

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(distclass=NativeDistribution, cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": PlatformWheel})
