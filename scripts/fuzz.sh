#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] [TARGET...]: runs importkit's coverage-guided fuzz targets (fuzz/fuzz_targets)
# for SECONDS each (default 10), starting from the committed seeds (fuzz/seeds/TARGET) and the corpus this
# machine kept from earlier runs (fuzz/corpus/TARGET, not committed). Without TARGET, every target.
#
# Prints one line per target, `fuzz TARGET: N execs in S s (R/s), corpus C inputs, coverage K`, then
# `fuzz: N passed, M failed`; exits non-zero when a target finds a crash, a hang (an input over 10 s), a leak
# or an input that takes more than 2 GiB (the input is kept in fuzz/artifacts/TARGET, and the line says how
# to replay it).
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`, done here when missing) and the nightly flags it
# passes to rustc, which this stable toolchain accepts with RUSTC_BOOTSTRAP=1. Long runs for the figures in
# docs/SECURITY.md: `bash scripts/fuzz.sh 1800 refs`.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

seconds="${1:-10}"
shift || true
case "$seconds" in '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;; esac
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=()
  for f in fuzz/fuzz_targets/*.rs; do
    t="$(basename "$f" .rs)"
    [ "$t" = common ] || targets+=("$t")
  done
fi

export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet || { echo "fuzz.sh: cannot install cargo-fuzz"; echo "fuzz: 0 passed, 1 failed"; exit 1; }
fi

triple="$(rustc -vV | sed -n 's/^host: //p')"
echo "fuzz.sh: building ${targets[*]} (cargo fuzz build -O, AddressSanitizer)"
if ! (cd fuzz && for t in "${targets[@]}"; do cargo fuzz build -O "$t" || exit 1; done) >fuzz/build.log 2>&1; then
  tail -n 30 fuzz/build.log
  echo "fuzz: 0 passed, ${#targets[@]} failed"
  exit 1
fi

passed=0
failed=0
for t in "${targets[@]}"; do
  bin="fuzz/target/$triple/release/$t"
  corpus="fuzz/corpus/$t"
  artifacts="fuzz/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  log="fuzz/$t.log"
  "$bin" "$corpus" "fuzz/seeds/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
  status=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  secs="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)"
  cov="$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)"
  inputs="$(find "$corpus" -type f | wc -l)"
  rate=$(( ${execs:-0} / (${secs:-1} > 0 ? ${secs:-1} : 1) ))
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
    echo "fuzz $t: ${execs:-?} execs in ${secs:-?} s (${rate}/s), corpus $inputs inputs, coverage ${cov:-?}"
  else
    failed=$((failed + 1))
    echo "fuzz $t: FAILED (exit $status) after ${execs:-?} execs; the input is in $artifacts/"
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -n 12 | sed 's/^/    | /'
    echo "    replay: RUSTC_BOOTSTRAP=1 cargo fuzz run -O $t $artifacts/<file> (in fuzz/)"
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
