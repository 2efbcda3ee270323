"""CPython side of benches/zip_lookup.rs. Writes a zip of 10,000 members (100 packages of 99 modules and an
init file each, deflated) to argv[1] and the lookups to argv[2] (name, then the entry its parent gives:
the archive for a package, `archive/pN` for a module; tab-separated, in a fixed shuffled order), then times
CPython's zipimport on the same lookups: `zipimporter(entry).find_spec(name)` warm (importers made and the
directory read beforehand), once as it is (its find_spec reads and compiles the member, through
`get_filename`) and once with compiling stubbed out; and the time to read the archive's directory
(`zipimporter(archive)` with zipimport's directory cache cleared). Prints `key = nanoseconds` lines."""

import random
import sys
import time
import zipfile
import zipimport

archive, lookups_file = sys.argv[1], sys.argv[2]
PACKAGES, MODULES = 100, 99
with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
    for p in range(PACKAGES):
        z.writestr(f"p{p}/__init__.py", "")
        for m in range(MODULES):
            z.writestr(f"p{p}/m{m}.py", f"value = {m}\n")
lookups = [(f"p{p}", archive) for p in range(PACKAGES)]
lookups += [(f"p{p}.m{m}", f"{archive}/p{p}") for p in range(PACKAGES) for m in range(MODULES)]
random.Random(7).shuffle(lookups)
with open(lookups_file, "w") as out:
    for name, entry in lookups:
        out.write(f"{name}\t{entry}\n")

importers = {entry: zipimport.zipimporter(entry) for _, entry in lookups}
calls = [(importers[entry].find_spec, name) for name, entry in lookups]


def one_pass():
    t = time.perf_counter_ns()
    for find, name in calls:
        find(name)
    return (time.perf_counter_ns() - t) / len(calls)


def best(n, f):
    return min(f() for _ in range(n))


print(f"members = {PACKAGES * (MODULES + 1)}")
print(f"lookups = {len(calls)}")
print(f"find_spec = {best(3, one_pass):.1f}")
empty = compile("", "<empty>", "exec")
zipimport._compile_source = lambda pathname, source: empty
print(f"find_spec_no_compile = {best(3, one_pass):.1f}")


def index_once():
    zipimport._zip_directory_cache.clear()
    t = time.perf_counter_ns()
    zipimport.zipimporter(archive)
    return time.perf_counter_ns() - t


print(f"index = {best(20, index_once):.0f}")
