"""CPython side of benches/memory_tree.rs: the same tree shape served by a dict-backed meta-path finder
(the usual in-memory importer), measured in the same units. Prints `key = nanoseconds` lines."""

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import time

packages, per_package = int(sys.argv[1]), int(sys.argv[2])


class DictFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Index: module name -> (path, is_package), built once from (path, bytes) pairs."""

    def __init__(self, point, files):
        self.files = dict(files)
        self.index = {}
        for path in self.files:
            if not path.endswith(".py"):
                continue
            parts = path[:-3].split("/")
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            self.index[".".join([point] + parts)] = (path, is_package)

    def find_spec(self, name, path=None, target=None):
        hit = self.index.get(name)
        if hit is None:
            return None
        spec = importlib.machinery.ModuleSpec(name, self, origin="memory:/" + hit[0], is_package=hit[1])
        if hit[1]:
            spec.submodule_search_locations = ["memory:/" + name.replace(".", "/")]
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        pass


files = [("__init__.py", b"")]
names = []
for p in range(packages):
    files.append((f"p{p}/__init__.py", b"# package\n"))
    for m in range(per_package):
        files.append((f"p{p}/m{m}.py", f"value = {m}\n".encode()))
        names.append(f"bench.p{p}.m{m}")


def best(runs, f):
    return min(f() for _ in range(runs))


def mount():
    t = time.perf_counter_ns()
    finder = DictFinder("bench", files)
    return (time.perf_counter_ns() - t) / len(files), finder


mount_ns = best(3, lambda: mount()[0])
finder = mount()[1]
sys.meta_path.insert(0, finder)


def find_all():
    t = time.perf_counter_ns()
    for n in names:
        finder.find_spec(n)
    return (time.perf_counter_ns() - t) / len(names)


find_ns = best(5, find_all)
for n in names:
    importlib.import_module(n)


def cached():
    sample = names[::7]
    t = time.perf_counter_ns()
    for _ in range(5):
        for n in sample:
            importlib.import_module(n)
    return (time.perf_counter_ns() - t) / (5 * len(sample))


cached_ns = best(3, cached)
print(f"mount_per_file = {mount_ns:.1f}")
print(f"find_spec = {find_ns:.1f}")
print(f"cached_import = {cached_ns:.1f}")
