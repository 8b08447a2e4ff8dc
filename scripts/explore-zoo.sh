#!/usr/bin/env bash
# explore on each planted bug's catalogued scenario (src/bugs/mod.rs) with the
# bug switched on, and on each of those scenarios with the correct engine:
# how many single-fault placements catch each bug, and that none fails
# without one. Usage: scripts/explore-zoo.sh [KINDS] [CHECKPOINTS]
# CKPTSIM=path/to/binary skips the build.
set -uo pipefail
cd "$(dirname "$0")/.."
kinds=${1:-crash,pause,isolate,disk,bit_rot,rescale}
checkpoints=${2:-2}
bin=${CKPTSIM:-target/release/ckptsim}
[ -n "${CKPTSIM:-}" ] || cargo build --release -q
# The first catch of each bug (bug, scenario), as the zoo lists them.
catches=$($bin bugs --catches | awk '!seen[$1]++ {print $1, $2}')
summary() { python3 -c '
import json, sys
d = json.load(sys.stdin)
props = {}
for p in d["placements"]:
    for v in p["violated"]:
        props[v] = props.get(v, 0) + 1
first = next((p for p in d["placements"] if p["violated"]), None)
where = "" if first is None else " · first: checkpoint %d %s%s %s %s" % (first["placement"]["checkpoint"], first["placement"]["phase"], " at " + first["placement"]["task"] if first["placement"]["task"] else "", first["placement"]["kind"], first["placement"]["target"])
print("| %s | %d | %d | %d | %s%s |" % (sys.argv[1], d["tried"], d["fired"], d["failed"], ", ".join("%s %d" % kv for kv in sorted(props.items())), where))
' "$1"; }
echo "| bug or engine | scenario | placements | fired | failing | by property · first failing placement |"
echo "|---|---|---|---|---|---|"
for scenario in $(echo "$catches" | awk '{print $2}' | sort -u); do
  $bin explore "$scenario" --kinds "$kinds" --checkpoints "$checkpoints" --json | summary "correct engine | $(basename "$scenario" .toml)"
done
echo "$catches" | while read -r bug scenario; do
  $bin explore "$scenario" --bug "$bug" --kinds "$kinds" --checkpoints "$checkpoints" --json | summary "\`$bug\` | $(basename "$scenario" .toml)"
done
