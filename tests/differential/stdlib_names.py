"""The standard library's importable names, and CPython's own PathFinder answer for each, computed without
importing anything. Shared by the differential test and the path-finder benchmark."""

import importlib.machinery
import os
import sysconfig

STDLIB = sysconfig.get_paths()["stdlib"]
ENTRIES = [STDLIB, os.path.join(STDLIB, "lib-dynload")]
SUFFIXES = importlib.machinery.all_suffixes()


def module_stem(file_name):
    """The module name of a file under CPython's suffixes (the longest suffix wins), or None."""
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if file_name.endswith(suffix) and len(file_name) > len(suffix):
            return file_name[: -len(suffix)]
    return None


def candidate_names(entries=ENTRIES):
    """Every name under the entries whose segments are identifiers: modules, packages, namespace dirs."""
    names = set()
    for entry in entries:
        for dirpath, dirnames, filenames in os.walk(entry):
            rel = os.path.relpath(dirpath, entry)
            parts = [] if rel == "." else rel.split(os.sep)
            if not all(p.isidentifier() for p in parts):
                dirnames[:] = []
                continue
            if parts:
                names.add(".".join(parts))
            for f in filenames:
                stem = module_stem(f)
                if stem and stem.isidentifier() and stem != "__init__":
                    names.add(".".join(parts + [stem]))
    return sorted(names)


def path_finder(name, path):
    """`PathFinder.find_spec(name, path)` without the last step that wraps a namespace package's locations in
    a `_NamespacePath` (whose constructor looks its parent up in sys.modules, which holds nothing here): the
    same search, the same answer."""
    spec = importlib.machinery.PathFinder._get_spec(name, path)
    if spec is None:
        return None
    if spec.loader is None:
        if not spec.submodule_search_locations:
            return None
        spec.origin = None
    return spec


def search_paths(names, entries=ENTRIES):
    """name -> (the path its parent gives, its spec): parents resolved through their own locations."""
    memo = {}

    def resolve(name):
        if name in memo:
            return memo[name]
        parent, _, _ = name.rpartition(".")
        if not parent:
            path = list(entries)
        else:
            parent_spec = resolve(parent)[1]
            locations = None if parent_spec is None else parent_spec.submodule_search_locations
            path = None if locations is None else list(locations)
        spec = None if path is None else path_finder(name, path)
        memo[name] = (path, spec)
        return memo[name]

    return {n: resolve(n) for n in names}


def zip_stdlib(archive, directory_entries, compression):
    """Writes the standard library's Python sources (not site-packages, lib-dynload or __pycache__) into the
    zip `archive`, with an explicit entry for every directory or none (zipimport's namespace portions need
    one), and returns the archive's path."""
    import zipfile

    with zipfile.ZipFile(archive, "w", compression) as z:
        for dirpath, dirnames, filenames in os.walk(STDLIB):
            rel = os.path.relpath(dirpath, STDLIB)
            dirnames[:] = sorted(d for d in dirnames
                                 if d != "__pycache__" and not (rel == "." and d in ("site-packages", "lib-dynload")))
            if rel != "." and directory_entries:
                z.writestr(zipfile.ZipInfo(rel.replace(os.sep, "/") + "/"), b"")
            for f in sorted(filenames):
                if f.endswith(".py"):
                    name = f if rel == "." else os.path.join(rel, f).replace(os.sep, "/")
                    z.write(os.path.join(dirpath, f), name)
    return str(archive)
