"""CPython side of benches/bundle.rs: zipimport over a zip archive of the same tree as the bundle's
(`p<k>/m<i>.py` in packages of 1,000 modules and an init file each, stored), at argv[2] modules, written to
argv[1]. Times, as zipimport's user meets them: opening the archive (`zipimporter(archive)` with zipimport's
directory cache cleared: the whole central directory is read and parsed), the process's memory after it,
and `zipimporter(entry).find_spec(name)` per module in a fixed shuffled order, warm (importers made and the
directory read beforehand), once as it is (3.11's find_spec reads the member and compiles it) and once with
compiling stubbed out. Prints `key = value` lines (nanoseconds, KiB)."""

import random
import statistics
import sys
import time
import zipfile
import zipimport

archive, size = sys.argv[1], int(sys.argv[2])
PER_PACKAGE = 1000
packages = (size + PER_PACKAGE - 1) // PER_PACKAGE
with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
    z.writestr("__init__.py", "")
    for p in range(packages):
        z.writestr(f"p{p}/__init__.py", "# package\n")
        for m in range(min(PER_PACKAGE, size - p * PER_PACKAGE)):
            z.writestr(f"p{p}/m{m}.py", f"value = {m}\n")
lookups = [(f"p{p}.m{m}", f"{archive}/p{p}") for p in range(packages) for m in range(min(PER_PACKAGE, size - p * PER_PACKAGE))]
random.Random(7).shuffle(lookups)


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_once():
    zipimport._zip_directory_cache.clear()
    t = time.perf_counter_ns()
    zipimport.zipimporter(archive)
    return time.perf_counter_ns() - t


runs = 3 if size >= 1_000_000 else 11
zipimport._zip_directory_cache.clear()
before = rss_kib()
zipimport.zipimporter(archive)
name, entry = lookups[0]
if zipimport.zipimporter(entry).find_spec(name) is None:
    # CPython before 3.13 reads no zip64 archive (more than 65,535 members): it sees none of them.
    print(f"unsupported = zipimport of CPython {sys.version.split()[0]} finds no module in a zip64 archive")
    sys.exit(0)
print(f"rss_after_open = {rss_kib() - before}")
opens = sorted(open_once() for _ in range(runs))
print(f"open_median = {statistics.median(opens):.0f}")
print(f"open_best = {opens[0]:.0f}")

# Lookups: at most 100,000 of them (a pass over 1M names would take minutes).
lookups = lookups[:100_000]
importers = {entry: zipimport.zipimporter(entry) for _, entry in lookups}
calls = [(importers[entry].find_spec, name) for name, entry in lookups]


def one_pass():
    t = time.perf_counter_ns()
    for find, name in calls:
        find(name)
    return (time.perf_counter_ns() - t) / len(calls)


passes = sorted(one_pass() for _ in range(3))
print(f"find_spec_median = {statistics.median(passes):.1f}")
empty = compile("", "<empty>", "exec")
zipimport._compile_source = lambda pathname, source: empty
passes = sorted(one_pass() for _ in range(3))
print(f"find_spec_no_compile_median = {statistics.median(passes):.1f}")
