//! The bug zoo: each planted bug is caught within 64 seeds of a stock
//! scenario, by the property that guards against it, while the correct engine
//! passes those same seeds. An oracle no bug trips proves nothing.

mod common;

use ckptsim::bugs::Bug;
use ckptsim::run::{run_seed, RunSpec};
use std::path::Path;

/// The planted bug named `name`.
fn bug(name: &str) -> Bug {
    name.parse().unwrap_or_else(|e| panic!("{e}"))
}

/// Seeds a bug gets to show itself in.
const BUDGET: u64 = 64;

fn caught(bug: Bug, scenario: &str, property: &str) {
    let spec = common::spec(Path::new(scenario));
    let mut tried = vec![];
    for chunk in (0..BUDGET).collect::<Vec<_>>().chunks(8) {
        let buggy = common::run_seeds(&RunSpec { bug: Some(bug), ..spec.clone() }, chunk.to_vec());
        tried.extend_from_slice(chunk);
        if let Some(hit) = buggy.iter().find(|r| r.violations.iter().any(|v| v.property == property)) {
            for seed in &tried {
                let clean = run_seed(&RunSpec { seed: *seed, ..spec.clone() });
                assert!(clean.passed(), "the correct engine fails seed {seed}:{}", common::describe(&clean));
            }
            eprintln!("{bug} caught by {property} on seed {} of {scenario}", hit.seed);
            return;
        }
    }
    panic!("{bug} was not caught by {property} within {BUDGET} seeds of {scenario}");
}

#[test]
fn skip_alignment_is_caught_by_exactly_once_state() {
    caught(bug("skip_alignment"), "scenarios/worker-crash.toml", "exactly_once_state");
}

#[test]
fn skip_alignment_breaks_the_consistent_cut_even_without_faults() {
    caught(bug("skip_alignment"), "scenarios/no-faults.toml", "consistent_cut");
}

#[test]
fn commit_on_snapshot_is_caught_by_commit_only_completed() {
    caught(bug("commit_on_snapshot"), "scenarios/worker-crash.toml", "commit_only_completed");
}

#[test]
fn no_offset_restore_is_caught_by_exactly_once_output() {
    caught(bug("no_offset_restore"), "scenarios/worker-crash.toml", "exactly_once_output");
}

#[test]
fn complete_without_all_acks_is_caught_by_checkpoint_monotonic() {
    caught(bug("complete_without_all_acks"), "scenarios/worker-crash.toml", "checkpoint_monotonic");
}

#[test]
fn every_planted_bug_has_a_test_here_for_each_catalogued_catch() {
    let source = include_str!("bug_zoo.rs");
    for bug in Bug::all() {
        assert!(source.contains(&format!("fn {}_is_caught_by", bug.name())), "{bug} has no bug-zoo test");
        for c in bug.catches() {
            let call = format!("caught(bug(\"{bug}\"), \"{}\", \"{}\")", c.scenario, c.property);
            assert!(source.contains(&call), "{bug}: no test calls {call}");
        }
    }
}

#[test]
fn ignore_sequence_gaps_is_caught_by_exactly_once_output() {
    caught(bug("ignore_sequence_gaps"), "scenarios/lossy-network-start.toml", "exactly_once_output");
}

#[test]
fn ack_before_durable_is_caught_by_checkpoint_monotonic() {
    caught(bug("ack_before_durable"), "scenarios/storage-slow-crash.toml", "checkpoint_monotonic");
}

#[test]
fn metadata_before_data_is_caught_by_checkpoint_monotonic() {
    caught(bug("metadata_before_data"), "scenarios/metadata-write-lost.toml", "checkpoint_monotonic");
}

#[test]
fn no_fencing_is_caught_by_attempt_fencing() {
    caught(bug("no_fencing"), "scenarios/pause-zombie.toml", "attempt_fencing");
}

#[test]
fn ignore_checksum_is_caught_by_exactly_once_output() {
    caught(bug("ignore_checksum"), "scenarios/bit-rot-one-copy.toml", "exactly_once_output");
}

#[test]
fn fallback_to_older_checkpoint_is_caught_by_checkpoint_monotonic() {
    caught(bug("fallback_to_older_checkpoint"), "scenarios/bit-rot-all-copies.toml", "checkpoint_monotonic");
}

#[test]
fn fallback_to_older_checkpoint_is_caught_by_exactly_once_output() {
    caught(bug("fallback_to_older_checkpoint"), "scenarios/bit-rot-all-copies.toml", "exactly_once_output");
}

#[test]
fn recover_rejects_committed_is_caught_by_explained_failovers() {
    caught(bug("recover_rejects_committed"), "scenarios/worker-crash.toml", "explained_failovers");
}

#[test]
fn success_before_store_is_caught_by_tolerable_failures() {
    caught(bug("success_before_store"), "scenarios/coordinator-disk-errors.toml", "tolerable_failures");
}

#[test]
fn abort_drops_buffered_is_caught_by_exactly_once_output() {
    caught(bug("abort_drops_buffered"), "scenarios/alignment-expires.toml", "exactly_once_output");
}

#[test]
fn pointer_to_aborted_checkpoint_is_caught_by_aborted_never_completes() {
    caught(bug("pointer_to_aborted_checkpoint"), "scenarios/late-metadata-write.toml", "aborted_never_completes");
}

#[test]
fn commit_only_notified_is_caught_by_exactly_once_output() {
    caught(bug("commit_only_notified"), "scenarios/notify-lost.toml", "exactly_once_output");
}

#[test]
fn discard_before_complete_is_caught_by_explained_failovers() {
    caught(bug("discard_before_complete"), "scenarios/worker-crash.toml", "explained_failovers");
}

#[test]
fn stale_barrier_accepted_is_caught_by_consistent_cut() {
    caught(bug("stale_barrier_accepted"), "scenarios/stale-barriers.toml", "consistent_cut");
}

#[test]
fn unaligned_drop_inflight_is_caught_by_exactly_once_output() {
    caught(bug("unaligned_drop_inflight"), "scenarios/unaligned-worker-crash.toml", "exactly_once_output");
}

#[test]
fn unaligned_drop_inflight_is_caught_by_consistent_cut() {
    caught(bug("unaligned_drop_inflight"), "scenarios/unaligned-worker-crash.toml", "consistent_cut");
}

#[test]
fn at_least_once_early_snapshot_is_caught_by_at_least_once_output() {
    caught(bug("at_least_once_early_snapshot"), "scenarios/at-least-once-crash.toml", "at_least_once_output");
}

#[test]
fn sink_no_flush_on_snapshot_is_caught_by_at_least_once_output() {
    caught(bug("sink_no_flush_on_snapshot"), "scenarios/plain-sink-crash.toml", "at_least_once_output");
}

#[test]
fn non_idempotent_commit_is_caught_by_exactly_once_output() {
    caught(bug("non_idempotent_commit"), "scenarios/worker-crash.toml", "exactly_once_output");
}

#[test]
fn committer_assumes_aligned_is_caught_by_exactly_once_output() {
    caught(bug("committer_assumes_aligned"), "scenarios/committer-unaligned.toml", "exactly_once_output");
}

/// The iceberg#15846 shape: the same committer bug is invisible under
/// aligned checkpoints (every committable reaches the committer before its
/// barrier) and loses data under unaligned ones.
#[test]
fn committer_assumes_aligned_passes_aligned_checkpoints() {
    let spec = common::spec(Path::new("scenarios/committer-crash.toml"));
    let reports =
        common::run_seeds(&RunSpec { bug: Some(bug("committer_assumes_aligned")), ..spec }, (0..32).collect());
    let failures: Vec<String> = reports.iter().filter(|r| !r.passed()).map(common::describe).collect();
    assert!(failures.is_empty(), "the aligned committer scenario failed with the bug:{}", failures.concat());
}

#[test]
fn rescale_key_group_off_by_one_is_caught_by_exactly_once_state() {
    caught(bug("rescale_key_group_off_by_one"), "scenarios/rescale-aligned.toml", "exactly_once_state");
}

#[test]
fn rescale_drops_inflight_is_caught_by_exactly_once_output() {
    caught(bug("rescale_drops_inflight"), "scenarios/rescale-unaligned.toml", "exactly_once_output");
}
