#!/usr/bin/env bash
# c-tests/run.sh [LIBDIR]: builds and runs the C tests of importkit against LIBDIR/libimportkit.so
# (default: target/debug of this repository, built with `cargo build` when the library is missing).
#
# Every test_*.c is compiled as C99 with -Wall -Wextra -Werror and run under valgrind (a leak or a memory
# error fails it); the thread tests are also built with AddressSanitizer and run natively. The header is also compiled as C++17, and a check makes sure the bad-arguments test
# calls every function the header declares. The last line is `c-tests: N passed, M failed`.

set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

# LIBDIR is taken relative to the caller's directory; everything else happens at the repository root.
libdir="${1:-$root/target/debug}"
case "$libdir" in /*) ;; *) libdir="$PWD/$libdir" ;; esac
cd "$root" || exit 2
build="$here/build"
header="$root/include/importkit.h"
mkdir -p "$build"

die() {
    echo "run.sh: $*" >&2
    echo "c-tests: 0 passed, 1 failed"
    exit 1
}

# ----- the library -----
if [ ! -f "$libdir/libimportkit.so" ]; then
    case "$(realpath -m "$libdir")" in
        "$(realpath -m "$root/target/debug")") echo "run.sh: no $libdir/libimportkit.so: cargo build" ; cargo build >&2 || die "cargo build failed" ;;
        "$(realpath -m "$root/target/release")") echo "run.sh: no $libdir/libimportkit.so: cargo build --release" ; cargo build --release >&2 || die "cargo build --release failed" ;;
        *) die "no libimportkit.so in '$libdir' (build it, or give the directory that holds it)" ;;
    esac
fi
[ -f "$libdir/libimportkit.so" ] || die "no libimportkit.so in '$libdir' even after building"
libdir="$(cd "$libdir" && pwd)"
# The library's SONAME (libimportkit.so.MAJOR) is what the programs will ask for: a link to the built file.
bash "$root/scripts/soname-link.sh" "$libdir/libimportkit.so" || die "cannot link the SONAME in $libdir"

# ----- valgrind -----
if ! command -v valgrind >/dev/null 2>&1; then
    if [ "${CI:-}" = "true" ]; then
        echo "run.sh: installing valgrind (CI=true)"
        { apt-get update && apt-get install -y valgrind; } >&2 || die "could not install valgrind"
    else
        die "valgrind is not installed: install it (apt-get install valgrind) or run with CI=true to let this script install it"
    fi
fi

CC="${CC:-cc}"
CXX="${CXX:-g++}"
CFLAGS=(-std=c99 -Wall -Wextra -Werror -g -I "$root/include" -I "$here")
LINK=(-L "$libdir" -limportkit "-Wl,-rpath,$libdir")
VALGRIND=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
          --show-leak-kinds=definite,indirect --track-origins=yes --fair-sched=yes)
TIMEOUT="${CTESTS_TIMEOUT:-600}"

passed=0
failed=0
failures=()

pass() { passed=$((passed + 1)); echo "PASS $1${2:+  ($2)}"; }
# fail NAME WHY [LOG [FILTER]]: counts a failure and shows the start of LOG (only the lines matching the
# extended regex FILTER, when one is given).
fail() {
    failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1: $2"
    if [ -n "${3:-}" ] && [ -f "$3" ]; then
        grep -E -- "${4:-.}" "$3" | sed -n '1,80p' | sed 's/^/    | /'
    fi
}

# The valgrind verdict of a log: errors and definitely/indirectly lost bytes, on one line.
valgrind_summary() {
    local errors lost indirect
    errors="$(grep -h 'ERROR SUMMARY' "$1" | tail -n 1 | sed 's/^==[0-9]*== //')"
    lost="$(grep -h 'definitely lost:' "$1" | tail -n 1 | sed 's/^==[0-9]*== *//')"
    indirect="$(grep -h 'indirectly lost:' "$1" | tail -n 1 | sed 's/^==[0-9]*== *//')"
    echo "${errors:-no summary}${lost:+; $lost}${indirect:+; $indirect}"
}

# Runs a built program under valgrind; counts it as passed or failed.
run_test() {
    local name="$1" exe="$2" log="$build/$1.log" status
    timeout "$TIMEOUT" "${VALGRIND[@]}" "$exe" >"$log" 2>&1
    status=$?
    case $status in
        0) pass "$name" "$(valgrind_summary "$log")" ;;
        99) fail "$name" "valgrind found errors or leaks: $(valgrind_summary "$log")" "$log" ;;
        124) fail "$name" "timed out after ${TIMEOUT}s (a hang or a deadlock)" "$log" '^[^=]|^$' ;;
        *) fail "$name" "exit status $status; $(valgrind_summary "$log")" "$log" '^[^=]' ;;
    esac
}

# ----- every function of the header is exercised by the bad-arguments test -----
# Declared functions: `ik_name(` outside comments. Used: the name as a word in the test's code (comments
# stripped), since the test also passes functions to its BAD(...) macros without calling them literally.
functions="$(grep -v '^[[:space:]]*//' "$header" | grep -oE '\bik_[a-z0-9_]+\(' | tr -d '(' | sort -u)"
test_code="$(sed -e 's://.*$::' -e 's:/\*.*\*/::g' "$here/test_bad_args.c")"
missing=""
for fn in $functions; do
    grep -qw "$fn" <<<"$test_code" || missing="$missing $fn"
done
if [ -z "$functions" ]; then
    fail "header-coverage" "found no function declarations in $header"
elif [ -n "$missing" ]; then
    fail "header-coverage" "test_bad_args.c does not call:$missing"
else
    pass "header-coverage" "$(echo "$functions" | wc -l) functions, all called by test_bad_args.c"
fi

# ----- the header as C++ -----
if "$CXX" -std=c++17 -Wall -Wextra -Werror -g -I "$root/include" "$here/header_cxx.cpp" "${LINK[@]}" \
        -o "$build/header_cxx" >"$build/header_cxx.build.log" 2>&1; then
    run_test header_cxx "$build/header_cxx"
else
    fail header_cxx "does not compile as C++17" "$build/header_cxx.build.log"
fi

# ----- the C++ wrapper (importkit.hpp) -----
# cpp_wrapper.cpp with exceptions (also under ASan below), cpp_noexcept.cpp with -fno-exceptions, and
# cpp_mixed: one program of a unit with exceptions and one without.
CXXFLAGS=(-std=c++17 -Wall -Wextra -Werror -pedantic -g -I "$root/include")
if "$CXX" "${CXXFLAGS[@]}" -fno-exceptions -c "$here/cpp_mixed_noexc.cpp" -o "$build/cpp_mixed_noexc.o" \
        >"$build/cpp_mixed.build.log" 2>&1 &&
    "$CXX" "${CXXFLAGS[@]}" "$here/cpp_mixed.cpp" "$build/cpp_mixed_noexc.o" "${LINK[@]}" -o "$build/cpp_mixed" \
        >>"$build/cpp_mixed.build.log" 2>&1; then
    run_test cpp_mixed "$build/cpp_mixed"
else
    fail cpp_mixed "does not compile or link" "$build/cpp_mixed.build.log"
fi
for name in cpp_wrapper cpp_noexcept; do
    extra=()
    [ "$name" = cpp_noexcept ] && extra=(-fno-exceptions)
    if "$CXX" "${CXXFLAGS[@]}" "${extra[@]}" "$here/$name.cpp" "${LINK[@]}" -o "$build/$name" \
            >"$build/$name.build.log" 2>&1; then
        run_test "$name" "$build/$name"
    else
        fail "$name" "does not compile as C++17 (-pedantic ${extra[*]})" "$build/$name.build.log"
    fi
done

# ----- the C tests -----
# The thread tests run for STRESS_MS under valgrind (which serialises threads) and again natively.
export STRESS_MS="${STRESS_MS:-1000}"
for src in "$here"/test_*.c; do
    name="$(basename "$src" .c)"
    if "$CC" "${CFLAGS[@]}" -pthread "$src" "$here/executor.c" "${LINK[@]}" -o "$build/$name" \
            >"$build/$name.build.log" 2>&1; then
        run_test "$name" "$build/$name"
    else
        fail "$name" "does not compile" "$build/$name.build.log"
    fi
done

# ----- the thread tests under AddressSanitizer, natively (both cores race for real) -----
# A module released while a callback still uses it shows as a heap-use-after-free in the test executor.
ASAN_FLAGS=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
for name in test_stress test_hardening test_threads test_code_cache cpp_wrapper; do
    exe="$build/${name}_asan"
    log="$build/${name}_asan.log"
    if [ "$name" = cpp_wrapper ]; then
        compile=("$CXX" "${CXXFLAGS[@]}" "${ASAN_FLAGS[@]}" "$here/$name.cpp")
    else
        compile=("$CC" "${CFLAGS[@]}" "${ASAN_FLAGS[@]}" -pthread "$here/$name.c" "$here/executor.c")
    fi
    if ! "${compile[@]}" "${LINK[@]}" -o "$exe" >"$build/${name}_asan.build.log" 2>&1; then
        fail "${name}_asan" "does not compile with -fsanitize=address,undefined" "$build/${name}_asan.build.log"
        continue
    fi
    STRESS_MS=$((STRESS_MS * 3)) ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 timeout "$TIMEOUT" "$exe" >"$log" 2>&1
    status=$?
    if [ "$status" -eq 0 ]; then
        pass "${name}_asan" "$(grep -E '^(test_|cpp_)' "$log" | tr '\n' ' ')"
    else
        fail "${name}_asan" "exit status $status under AddressSanitizer" "$log" 'ERROR|SUMMARY|#[0-9] |^test_|^cpp_|c:[0-9]+:'
    fi
done

[ "$failed" -eq 0 ] || echo "failed: ${failures[*]}"
echo "c-tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
