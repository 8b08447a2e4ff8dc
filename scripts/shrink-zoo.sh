#!/usr/bin/env bash
# Shrinks each planted bug's first failure on the scenario that catches it
# (src/bugs/mod.rs) into scenarios/regressions/<scenario>-<bug>.toml, and prints
# before/after sizes. Usage: scripts/shrink-zoo.sh [BUDGET]   (default 30s)
# CKPTSIM=path/to/binary skips the build.
set -uo pipefail
cd "$(dirname "$0")/.."
budget=${1:-30s}
bin=${CKPTSIM:-target/release/ckptsim}
[ -n "${CKPTSIM:-}" ] || cargo build --release -q
# The first catch of each bug (bug, scenario, property), as the zoo lists them.
$bin bugs --catches | awk '!seen[$1]++' > /tmp/zoo-catches.txt
while read -r bug scenario property; do
  first=$($bin sweep "$scenario" --seeds 0..64 --bug "$bug" --until-failure | sed -n 's/^first failing seed: //p')
  if [ -z "$first" ]; then echo "== $bug: no failing seed in 0..64 of $scenario"; continue; fi
  out="scenarios/regressions/$(basename "$scenario" .toml)-${bug//_/-}.toml"
  echo "== $bug on $scenario seed $first ($property)"
  $bin shrink "$scenario" --seed "$first" --bug "$bug" --property "$property" --budget "$budget" -o "$out" --force \
    || $bin shrink "$scenario" --seed "$first" --bug "$bug" --budget "$budget" -o "$out" --force
done < /tmp/zoo-catches.txt
