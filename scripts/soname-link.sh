#!/usr/bin/env bash
# scripts/soname-link.sh LIB: puts the link LIB's SONAME (libimportkit.so.MAJOR) -> LIB beside a freshly built
# library, so programs linked with -limportkit against target/{debug,release} find it at run time (an install
# makes these links itself: scripts/install.sh).
set -euo pipefail
lib="$1"
soname="$(readelf -d "$lib" 2>/dev/null | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')"
[ -n "$soname" ] || exit 0
dir="$(dirname "$lib")"
base="$(basename "$lib")"
[ "$soname" = "$base" ] || ln -sfn "$base" "$dir/$soname"
