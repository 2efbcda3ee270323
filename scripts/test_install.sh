#!/usr/bin/env bash
# scripts/test_install.sh: installs importkit into a temporary prefix (scripts/install.sh) and uses it from
# outside the repository as a C or C++ developer would:
#   - the C example (examples/host.c) built with `pkg-config --cflags --libs importkit` (shared) and with
#     `pkg-config --static --cflags --libs importkit-static` (static), both run under valgrind;
#   - the C++ example (examples/cpp) built with CMake `find_package(importkit)`, shared and static, run under
#     valgrind;
#   - the installed library's SONAME and links, its exports (only ik_*), the installed headers equal to the
#     committed ones, the static programs free of libimportkit.so, and a plugin that links the static library
#     without re-exporting its symbols (-Wl,--exclude-libs).
# Ends with `install: N passed, M failed`.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/importkit-install-XXXXXX")"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
passed=0
failed=0
check() {
  local what=$1
  shift
  if "$@" >"$work/last.log" 2>&1; then
    passed=$((passed + 1))
    echo "ok   $what"
  else
    failed=$((failed + 1))
    echo "FAIL $what"
    sed -n '1,40p' "$work/last.log" | sed 's/^/    | /'
  fi
}
valgrind_run() {
  valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$@"
}

for tool in pkg-config cmake valgrind readelf nm; do
  command -v "$tool" >/dev/null || { echo "test_install.sh: $tool is missing"; echo "install: 0 passed, 1 failed"; exit 1; }
done

check "scripts/install.sh $prefix" bash "$root/scripts/install.sh" "$prefix"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"
major="${version%%.*}"
lib="$prefix/lib"

# ----- what was installed -----
check "libimportkit.so.$version has SONAME libimportkit.so.$major" \
  bash -c "readelf -d '$lib/libimportkit.so.$version' | grep -q 'Library soname: \[libimportkit.so.$major\]'"
check "libimportkit.so -> libimportkit.so.$major -> libimportkit.so.$version" \
  bash -c "[ \"\$(readlink '$lib/libimportkit.so')\" = libimportkit.so.$major ] && [ \"\$(readlink '$lib/libimportkit.so.$major')\" = libimportkit.so.$version ]"
exports() { nm -D --defined-only "$lib/libimportkit.so.$version" | awk '{print $3}'; }
check "the shared library exports only ik_* symbols" bash -c "! nm -D --defined-only '$lib/libimportkit.so.$version' | awk '{print \$3}' | grep -v '^ik_'"
check "the shared library exports every function of the header" bash -c "
  want=\$(grep -v '^[[:space:]]*//' '$root/include/importkit.h' | grep -oE '\bik_[a-z0-9_]+\(' | tr -d '(' | sort -u)
  got=\$(nm -D --defined-only '$lib/libimportkit.so.$version' | awk '{print \$3}' | sort -u)
  [ \"\$want\" = \"\$got\" ]"
check "the shipped libraries carry no debug info" bash -c "
  ! readelf -S '$lib/libimportkit.so.$version' | grep -q '\.debug_info' &&
  ! readelf -S '$lib/libimportkit.a' 2>/dev/null | grep -q '\.debug_info'"
check "the installed headers equal the committed ones" bash -c "
  cmp '$root/include/importkit.h' '$prefix/include/importkit/importkit.h' &&
  cmp '$root/include/importkit.hpp' '$prefix/include/importkit/importkit.hpp'"

# ----- from outside the repository -----
cd "$work" || exit 1
cp "$root/examples/host.c" "$work/host.c"
cp -r "$root/examples/cpp" "$work/cpp"
export PKG_CONFIG_PATH="$lib/pkgconfig"

check "C example with pkg-config (shared)" bash -c "
  cc -std=c99 -Wall -Wextra -Werror host.c \$(pkg-config --cflags --libs importkit) -Wl,-rpath,'$lib' -o host_shared &&
  readelf -d host_shared | grep -q 'NEEDED.*libimportkit.so.$major'"
check "  runs under valgrind" valgrind_run ./host_shared
check "C example with pkg-config --static (importkit-static)" bash -c "
  cc -std=c99 -Wall -Wextra -Werror host.c \$(pkg-config --static --cflags --libs importkit-static) -o host_static &&
  ! readelf -d host_static | grep -q libimportkit"
check "  runs under valgrind" valgrind_run ./host_static
check "  prints what the shared one prints" bash -c "cmp <(./host_shared) <(./host_static)"

for mode in shared static; do
  flag=OFF
  [ "$mode" = static ] && flag=ON
  check "C++ example with CMake find_package(importkit), $mode" bash -c "
    cmake -S cpp -B build-$mode -DCMAKE_PREFIX_PATH='$prefix' -DIMPORTKIT_STATIC=$flag -DCMAKE_BUILD_TYPE=Release &&
    cmake --build build-$mode"
  check "  runs under valgrind" valgrind_run "./build-$mode/game_host"
done
check "  the static C++ program needs no libimportkit.so" bash -c "! readelf -d build-static/game_host | grep -q libimportkit"
check "  both print the same" bash -c "cmp <(./build-shared/game_host) <(./build-static/game_host)"
check "find_package(importkit 9.0) is refused" bash -c "
  mkdir -p v && printf 'cmake_minimum_required(VERSION 3.19)\nproject(v C)\nfind_package(importkit 9.0 REQUIRED)\n' > v/CMakeLists.txt &&
  ! cmake -S v -B build-v -DCMAKE_PREFIX_PATH='$prefix'"
check "find_package(importkit 0.0...0.5) is accepted, 0.2...0.5 refused" bash -c "
  mkdir -p r1 r2 &&
  printf 'cmake_minimum_required(VERSION 3.19)\nproject(r C)\nfind_package(importkit 0.0...0.5 REQUIRED)\n' > r1/CMakeLists.txt &&
  printf 'cmake_minimum_required(VERSION 3.19)\nproject(r C)\nfind_package(importkit 0.2...0.5 REQUIRED)\n' > r2/CMakeLists.txt &&
  cmake -S r1 -B build-r1 -DCMAKE_PREFIX_PATH='$prefix' && ! cmake -S r2 -B build-r2 -DCMAKE_PREFIX_PATH='$prefix'"
check "the installed tree works after a move (relocatable)" bash -c "
  cp -a '$prefix' '$work/moved prefix' &&
  cmake -S cpp -B build-moved -DCMAKE_PREFIX_PATH='$work/moved prefix' && cmake --build build-moved &&
  LD_LIBRARY_PATH='$work/moved prefix/lib' ./build-moved/game_host >/dev/null &&
  cp -a '$prefix' '$work/moved-prefix' &&
  cc -std=c99 host.c \$(PKG_CONFIG_PATH='$work/moved-prefix/lib/pkgconfig' pkg-config --static --cflags --libs importkit-static) -o host_moved &&
  ./host_moved >/dev/null"
check "both include forms work: <importkit.hpp> and <importkit/importkit.hpp>" bash -c "
  printf '#include <importkit/importkit.hpp>\n#include <importkit.hpp>\nint main() { importkit::Runtime rt; return rt.contains(\"x\"); }\n' > inc.cpp &&
  g++ -std=c++17 -Wall -Wextra -Werror inc.cpp \$(pkg-config --cflags --libs importkit) -Wl,-rpath,'$lib' -o inc && ./inc"

# ----- a plugin that links the static library -----
cat >plugin.c <<'EOF'
#include "importkit.h"
const char *plugin_version(void) { return ik_version(); }
EOF
check "a plugin linking libimportkit.a exports ik_* by default" bash -c "
  cc -shared -fPIC plugin.c \$(pkg-config --cflags importkit) '$lib/libimportkit.a' -lpthread -ldl -lm -o plugin_default.so &&
  nm -D --defined-only plugin_default.so | grep -q ' ik_version'"
check "  and none with -Wl,--exclude-libs,libimportkit.a" bash -c "
  cc -shared -fPIC plugin.c \$(pkg-config --cflags importkit) '$lib/libimportkit.a' -lpthread -ldl -lm \
     -Wl,--exclude-libs,libimportkit.a -o plugin_hidden.so &&
  ! nm -D --defined-only plugin_hidden.so | grep -q ' ik_' &&
  nm -D --defined-only plugin_hidden.so | grep -q ' plugin_version'"

echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
