#!/usr/bin/env bash
# The soak scenarios (scenarios/soak/): each seed run once under
# /usr/bin/time -v, printing the verdict, the wall time and the peak memory
# (maximum resident set size) the judged run took. The same files run as
# ignored tests: cargo test --release --test scenarios -- --ignored.
# Usage: scripts/soak.sh [SEEDS] [FILE…]   (SEEDS default 1: seed 0 only)
# CKPTSIM=path/to/binary skips the build.
set -uo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-1}
shift || true
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(scenarios/soak/*.toml)
bin=${CKPTSIM:-target/release/ckptsim}
[ -n "${CKPTSIM:-}" ] || cargo build --release -q
status=0
for file in "${files[@]}"; do
  for seed in $(seq 0 $((seeds - 1))); do
    out=$( { /usr/bin/time -v "$bin" run "$file" --seed "$seed" --wall-cap 1800s; } 2>&1 )
    code=$?
    [ $code -eq 0 ] || status=1
    echo "$out" | grep -E '^scenario |^  ✗|^  job |^  faults:'
    echo "$out" | grep -E 'Elapsed \(wall clock\)|Maximum resident set size' | sed 's/^\s*/  /'
  done
done
exit $status
