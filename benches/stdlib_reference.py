"""CPython side of benches/stdlib_resolve.rs. Writes every standard-library name with the path its parent
gives (tab-separated; `-` for a name whose parent is not a package) to the file named by argv[1], then
times CPython's `PathFinder.find_spec(name, path)` over all of them, warm (finders and listings cached) and
cold (`sys.path_importer_cache` cleared before each pass). Prints `key = nanoseconds per lookup` lines."""

import importlib.machinery
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "differential"))
from stdlib_names import candidate_names, search_paths  # noqa: E402

names = candidate_names()
paths = search_paths(names)
lookups = [(n, p) for n, (p, _) in paths.items() if p is not None]
with open(sys.argv[1], "w") as out:
    for name, path in lookups:
        out.write(name + "\t" + "\t".join(path) + "\n")

find = importlib.machinery.PathFinder._get_spec


def one_pass():
    t = time.perf_counter_ns()
    for name, path in lookups:
        find(name, path)
    return (time.perf_counter_ns() - t) / len(lookups)


def cold_pass():
    sys.path_importer_cache.clear()
    return one_pass()


one_pass()
warm = min(one_pass() for _ in range(5))
cold = min(cold_pass() for _ in range(5))
print(f"lookups = {len(lookups)}")
print(f"warm = {warm:.1f}")
print(f"cold = {cold:.1f}")
