#!/usr/bin/env bash
# require() of every Penlight module under plain LuaJIT, under importkit.install() and under install{ bundle = }
# (a bundle of Penlight with its bytecode, built first), in fresh processes alternating
# (benches/lua_require.lua); prints a Markdown table. Needs luajit and lua-penlight (Debian).
#     bash benches/lua_require.sh [RUNS] [CACHED_ROUNDS]
# Measures target/release/libimportkit.so (cargo build --release) unless IMPORTKIT_LIB is set.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f /usr/share/lua/5.1/pl/init.lua ] || { echo "lua-penlight is missing (apt-get install lua-penlight)"; exit 1; }
export IMPORTKIT_LIB="${IMPORTKIT_LIB:-$PWD/target/release/libimportkit.so}"
[ -f "$IMPORTKIT_LIB" ] || { echo "$IMPORTKIT_LIB is missing (cargo build --release)"; exit 1; }
exec luajit benches/lua_require.lua "${1:-21}" "${2:-1000}"
