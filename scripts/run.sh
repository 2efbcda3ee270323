#!/usr/bin/env bash
# The main job: build importkit (release) and run the example C host in examples/host.c against it.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "run.sh: cargo is missing (install Rust with rustup)" >&2; exit 1; }
command -v cc >/dev/null || { echo "run.sh: a C compiler is missing (apt-get install gcc)" >&2; exit 1; }
cargo build --release --quiet
mkdir -p target/examples
cc -std=c99 -Wall -Wextra -Werror -Iinclude examples/host.c -Ltarget/release -limportkit \
  -Wl,-rpath,"$PWD/target/release" -o target/examples/host
exec target/examples/host "$@"
