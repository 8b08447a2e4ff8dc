#!/usr/bin/env bash
# Mutation testing of the sans-IO cores with cargo-mutants: every mutant of
# the coordinator, the barrier protocols, the transactional sinks, the
# restart strategies and rescaling must be killed by the crate's own unit
# tests (the Flink conformance mirrors among them, `src/engine/conformance/`).
#
#   scripts/mutants.sh                 every core (about 380 mutants; ~40 min on 2 cores)
#   scripts/mutants.sh FILE [FILE...]  only these files
#
# Installs cargo-mutants if it is missing. Builds and runs the library's unit
# tests only (`--lib`: the cores' tests live there), in the `mutants` profile
# (no optimisation, no debug info: a mutant is a ~5 s incremental rebuild
# instead of ~35 s); results land in mutants.out/
# (caught.txt, missed.txt, timeout.txt, unviable.txt). docs/conformance.md
# ("Mutation score") lists the survivors and why each is equivalent, or the
# test that now kills it.
set -euo pipefail
cd "$(dirname "$0")/.."

CORES=(
  src/engine/coordinator.rs
  src/engine/protocol/mod.rs
  src/engine/protocol/aligned.rs
  src/engine/protocol/unaligned.rs
  src/engine/protocol/aligned_timeout.rs
  src/engine/protocol/at_least_once.rs
  src/engine/sink/transactions.rs
  src/engine/sink/committables.rs
  src/engine/restart.rs
  src/engine/rescale.rs
)
files=("$@")
[ ${#files[@]} -eq 0 ] && files=("${CORES[@]}")

command -v cargo-mutants >/dev/null || cargo install --locked cargo-mutants

args=()
for f in "${files[@]}"; do args+=(--file "$f"); done
# Never set RUSTFLAGS here: .cargo/config.toml's --cfg madsim must stay.
cargo mutants --timeout 60 --profile mutants --cargo-arg=--lib "${args[@]}"
