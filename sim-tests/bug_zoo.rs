//! The bug zoo: each planted bug is caught within 64 seeds of a stock
//! scenario, by the property that guards against it, while the correct engine
//! passes those same seeds. An oracle no bug trips proves nothing.

mod common;

use ckptsim::bugs::Bug;
use ckptsim::run::{run_seed, RunSpec};
use std::path::Path;

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
    caught(Bug::SkipAlignment, "scenarios/worker-crash.toml", "exactly_once_state");
}

#[test]
fn skip_alignment_breaks_the_consistent_cut_even_without_faults() {
    caught(Bug::SkipAlignment, "scenarios/no-faults.toml", "consistent_cut");
}

#[test]
fn commit_on_snapshot_is_caught_by_commit_only_completed() {
    caught(Bug::CommitOnSnapshot, "scenarios/worker-crash.toml", "commit_only_completed");
}

#[test]
fn no_offset_restore_is_caught_by_exactly_once_output() {
    caught(Bug::NoOffsetRestore, "scenarios/worker-crash.toml", "exactly_once_output");
}

#[test]
fn complete_without_all_acks_is_caught_by_checkpoint_monotonic() {
    caught(Bug::CompleteWithoutAllAcks, "scenarios/worker-crash.toml", "checkpoint_monotonic");
}

#[test]
fn every_planted_bug_has_a_test_here_for_each_catalogued_catch() {
    let source = include_str!("bug_zoo.rs");
    for bug in Bug::ALL {
        assert!(source.contains(&format!("fn {}_is_caught_by", bug.name())), "{bug} has no bug-zoo test");
        for c in bug.catches() {
            let call = format!("caught(Bug::{bug:?}, \"{}\", \"{}\")", c.scenario, c.property);
            assert!(source.contains(&call), "{bug}: no test calls {call}");
        }
    }
}

#[test]
fn ignore_sequence_gaps_is_caught_by_exactly_once_output() {
    caught(Bug::IgnoreSequenceGaps, "scenarios/lossy-network-start.toml", "exactly_once_output");
}

#[test]
fn ack_before_durable_is_caught_by_checkpoint_monotonic() {
    caught(Bug::AckBeforeDurable, "scenarios/storage-slow-crash.toml", "checkpoint_monotonic");
}

#[test]
fn metadata_before_data_is_caught_by_checkpoint_monotonic() {
    caught(Bug::MetadataBeforeData, "scenarios/metadata-write-lost.toml", "checkpoint_monotonic");
}

#[test]
fn no_fencing_is_caught_by_attempt_fencing() {
    caught(Bug::NoFencing, "scenarios/pause-zombie.toml", "attempt_fencing");
}

#[test]
fn ignore_checksum_is_caught_by_exactly_once_output() {
    caught(Bug::IgnoreChecksum, "scenarios/bit-rot-one-copy.toml", "exactly_once_output");
}

#[test]
fn fallback_to_older_checkpoint_is_caught_by_checkpoint_monotonic() {
    caught(Bug::FallbackToOlderCheckpoint, "scenarios/bit-rot-all-copies.toml", "checkpoint_monotonic");
}

#[test]
fn fallback_to_older_checkpoint_is_caught_by_exactly_once_output() {
    caught(Bug::FallbackToOlderCheckpoint, "scenarios/bit-rot-all-copies.toml", "exactly_once_output");
}

#[test]
fn recover_rejects_committed_is_caught_by_explained_failovers() {
    caught(Bug::RecoverRejectsCommitted, "scenarios/worker-crash.toml", "explained_failovers");
}

#[test]
fn success_before_store_is_caught_by_tolerable_failures() {
    caught(Bug::SuccessBeforeStore, "scenarios/coordinator-disk-errors.toml", "tolerable_failures");
}

#[test]
fn abort_drops_buffered_is_caught_by_exactly_once_output() {
    caught(Bug::AbortDropsBuffered, "scenarios/alignment-expires.toml", "exactly_once_output");
}

#[test]
fn pointer_to_aborted_checkpoint_is_caught_by_aborted_never_completes() {
    caught(Bug::PointerToAbortedCheckpoint, "scenarios/late-metadata-write.toml", "aborted_never_completes");
}

#[test]
fn commit_only_notified_is_caught_by_exactly_once_output() {
    caught(Bug::CommitOnlyNotified, "scenarios/notify-lost.toml", "exactly_once_output");
}

#[test]
fn discard_before_complete_is_caught_by_explained_failovers() {
    caught(Bug::DiscardBeforeComplete, "scenarios/worker-crash.toml", "explained_failovers");
}

#[test]
fn stale_barrier_accepted_is_caught_by_consistent_cut() {
    caught(Bug::StaleBarrierAccepted, "scenarios/stale-barriers.toml", "consistent_cut");
}

#[test]
fn unaligned_drop_inflight_is_caught_by_exactly_once_output() {
    caught(Bug::UnalignedDropInflight, "scenarios/unaligned-worker-crash.toml", "exactly_once_output");
}

#[test]
fn unaligned_drop_inflight_is_caught_by_consistent_cut() {
    caught(Bug::UnalignedDropInflight, "scenarios/unaligned-worker-crash.toml", "consistent_cut");
}

#[test]
fn at_least_once_early_snapshot_is_caught_by_at_least_once_output() {
    caught(Bug::AtLeastOnceEarlySnapshot, "scenarios/at-least-once-crash.toml", "at_least_once_output");
}

#[test]
fn sink_no_flush_on_snapshot_is_caught_by_at_least_once_output() {
    caught(Bug::SinkNoFlushOnSnapshot, "scenarios/plain-sink-crash.toml", "at_least_once_output");
}

#[test]
fn non_idempotent_commit_is_caught_by_exactly_once_output() {
    caught(Bug::NonIdempotentCommit, "scenarios/worker-crash.toml", "exactly_once_output");
}

#[test]
fn committer_assumes_aligned_is_caught_by_exactly_once_output() {
    caught(Bug::CommitterAssumesAligned, "scenarios/committer-unaligned.toml", "exactly_once_output");
}

/// The iceberg#15846 shape: the same committer bug is invisible under
/// aligned checkpoints (every committable reaches the committer before its
/// barrier) and loses data under unaligned ones.
#[test]
fn committer_assumes_aligned_passes_aligned_checkpoints() {
    let spec = common::spec(Path::new("scenarios/committer-crash.toml"));
    let reports = common::run_seeds(&RunSpec { bug: Some(Bug::CommitterAssumesAligned), ..spec }, (0..32).collect());
    let failures: Vec<String> = reports.iter().filter(|r| !r.passed()).map(common::describe).collect();
    assert!(failures.is_empty(), "the aligned committer scenario failed with the bug:{}", failures.concat());
}

#[test]
fn rescale_key_group_off_by_one_is_caught_by_exactly_once_state() {
    caught(Bug::RescaleKeyGroupOffByOne, "scenarios/rescale-aligned.toml", "exactly_once_state");
}

#[test]
fn rescale_drops_inflight_is_caught_by_exactly_once_output() {
    caught(Bug::RescaleDropsInflight, "scenarios/rescale-unaligned.toml", "exactly_once_output");
}
