//! Determinism: the same seed gives the same trace (hash and events) every
//! time, and different seeds give different traces, for every scenario.

mod common;

use ckptsim::run::{run_seed, RunSpec};

fn twice(spec: &RunSpec, seed: u64) -> (ckptsim::run::RunReport, ckptsim::run::RunReport) {
    let spec = RunSpec { seed, ..spec.clone() };
    (run_seed(&spec), run_seed(&spec))
}

#[test]
fn the_same_seed_gives_the_same_trace_hash_in_every_scenario() {
    for path in common::scenario_files() {
        let spec = common::spec(&path);
        for seed in [0, 7] {
            let (a, b) = twice(&spec, seed);
            assert_eq!(a.trace_hash, b.trace_hash, "{} seed {seed} diverged; replay: {}", path.display(), a.replay);
            assert_eq!(a.trace, b.trace, "{} seed {seed}: same hash, different events", path.display());
        }
    }
}

#[test]
fn different_seeds_give_different_traces() {
    for path in common::scenario_files() {
        let spec = common::spec(&path);
        let hashes: std::collections::BTreeSet<String> =
            (0..4).map(|seed| run_seed(&RunSpec { seed, ..spec.clone() }).trace_hash).collect();
        assert_eq!(hashes.len(), 4, "{}: seeds 0..4 share a trace hash", path.display());
    }
}

#[test]
fn a_run_on_a_busy_thread_pool_matches_a_run_alone() {
    // Seeds run concurrently on several threads must not disturb each other.
    let spec = common::spec(std::path::Path::new("scenarios/worker-crash.toml"));
    let alone: Vec<String> = (0..6).map(|seed| run_seed(&RunSpec { seed, ..spec.clone() }).trace_hash).collect();
    let together: Vec<String> = common::run_seeds(&spec, (0..6).collect()).into_iter().map(|r| r.trace_hash).collect();
    assert_eq!(alone, together);
}
