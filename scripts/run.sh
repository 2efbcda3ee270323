#!/usr/bin/env bash
# The main job: build importkit (release) and run its command-line tool.
#   bash scripts/run.sh                      resolve a few names against the installed python3's stdlib
#   bash scripts/run.sh resolve [options] NAME...   the same as `importkit resolve ...` (see --help)
#   bash scripts/run.sh example-host         build and run the example C host (examples/host.c)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "run.sh: cargo is missing (install Rust with rustup)" >&2; exit 1; }
cargo build --release --quiet
if [ "${1:-}" = "example-host" ]; then
  command -v cc >/dev/null || { echo "run.sh: a C compiler is missing (apt-get install gcc)" >&2; exit 1; }
  mkdir -p target/examples
  bash scripts/soname-link.sh target/release/libimportkit.so
  cc -std=c99 -Wall -Wextra -Werror -Iinclude examples/host.c -Ltarget/release -limportkit \
    -Wl,-rpath,"$PWD/target/release" -o target/examples/host
  exec target/examples/host
fi
if [ $# -eq 0 ]; then
  stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
  set -- resolve --path "$stdlib" --path "$stdlib/lib-dynload" \
    json json.decoder email.mime.text xml.etree.ElementTree _json concurrent
  echo "+ importkit $*" >&2
fi
exec target/release/importkit "$@"
