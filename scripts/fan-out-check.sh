#!/usr/bin/env bash
# Checks the fan-out recipes in deploy/ as far as a machine without a
# cluster or a GitHub runner can: parses both YAML files, runs each one's
# shard command exactly as written (the pod's shell command with
# JOB_COMPLETION_INDEX set; the matrix step with ${{ matrix.shard }}
# substituted) over a small seed range, merges the shards, and compares the
# merge with an unsharded sweep of the same seeds. Needs python3 with PyYAML.
# Usage: scripts/fan-out-check.sh [SEEDS]   (default 0..48)
# CKPTSIM=path/to/binary skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-0..48}
bin=${CKPTSIM:-$PWD/target/release/ckptsim}
[ -n "${CKPTSIM:-}" ] || cargo build --release -q
work=$(mktemp -d)
mkdir -p "$work/bin" && ln -s "$bin" "$work/bin/ckptsim"
export PATH="$work/bin:$PATH"
read_yaml() { python3 -c "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# Kubernetes: the container's command, once per completion index.
k8s=deploy/k8s-sweep-job.yaml
shards=$(read_yaml $k8s "d['spec']['completions']")
cmd=$(read_yaml $k8s "d['spec']['template']['spec']['containers'][0]['command'][2]")
scenario=$(read_yaml $k8s "[e['value'] for e in d['spec']['template']['spec']['containers'][0]['env'] if e['name'] == 'SCENARIO'][0]")
for i in $(seq 0 $((shards - 1))); do
  JOB_COMPLETION_INDEX=$i SCENARIO=$scenario SEEDS=$seeds SHARDS=$shards sh -c "$cmd" > "$work/k8s-$i.jsonl"
done
ckptsim merge "$work"/k8s-*.jsonl --coverage --scenario "$scenario" > "$work/k8s.txt" || true

# GitHub Actions: the matrix step, once per matrix entry.
gh=deploy/github-actions-sweep.yml
matrix=$(read_yaml $gh "' '.join(str(s) for s in d['jobs']['sweep']['strategy']['matrix']['shard'])")
step=$(read_yaml $gh "[s['run'] for s in d['jobs']['sweep']['steps'] if 'sweep' in s.get('run', '')][0]")
step=${step//target\/release\/ckptsim/ckptsim}
for k in $matrix; do
  (cd "$work" && ln -sfn "$OLDPWD/scenarios" scenarios && SCENARIO=$scenario SEEDS=$seeds SHARDS=$(echo $matrix | wc -w) \
    bash -c "${step//\$\{\{ matrix.shard \}\}/$k}")
done
ckptsim merge "$work"/shard-*.jsonl --coverage --scenario "$scenario" > "$work/gh.txt" || true

# The same seeds, unsharded.
ckptsim sweep "$scenario" --seeds "$seeds" --json > "$work/all.jsonl" || true
ckptsim merge "$work/all.jsonl" --coverage --scenario "$scenario" > "$work/all.txt" || true
diff "$work/all.txt" "$work/k8s.txt" && echo "kubernetes: $shards shards merged = the unsharded sweep"
diff "$work/all.txt" "$work/gh.txt" && echo "github actions: $(echo $matrix | wc -w) shards merged = the unsharded sweep"
tail -1 "$work/all.txt"
