//! Tests of `coordinator`.
use super::*;

use crate::engine::conformance::coordinator::{ack_all, complete, config, handle, running, MS};

#[test]
fn triggers_every_interval_with_increasing_ids_l1_l2() {
    // (`conformance::coordinator`'s `test_enqueue_on_too_many_pending`
    // covers the trigger held back by max_concurrent.)
    let mut c = running(CoordinatorConfig { max_concurrent: 3, ..config() }, 1);
    assert_eq!(c.tick(50 * MS), vec![], "not before one interval");
    assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
    assert_eq!(c.tick(150 * MS), vec![], "nor between intervals");
    assert_eq!(c.tick(200 * MS), vec![CoordinatorOut::Trigger(2)]);
    assert_eq!(c.next_id(), 3);
}

#[test]
fn max_concurrent_lets_several_checkpoints_pend_l1() {
    let mut c = running(CoordinatorConfig { max_concurrent: 2, ..config() }, 1);
    assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
    assert_eq!(c.tick(200 * MS), vec![CoordinatorOut::Trigger(2)]);
    assert_eq!(c.tick(300 * MS), vec![]);
    assert_eq!(c.pending_count(), 2);
}

#[test]
fn a_newer_completion_subsumes_older_pending_checkpoints_l2_l14() {
    let mut c = running(CoordinatorConfig { max_concurrent: 2, ..config() }, 1);
    c.tick(100 * MS);
    c.tick(200 * MS);
    let out = complete(&mut c, 2, 1, 250 * MS);
    assert_eq!(
        out,
        vec![CoordinatorOut::NotifyAborted(1, AbortReason::Subsumed), CoordinatorOut::NotifyComplete(2)],
        "subsumed first, then notify (L14), and subsumption is not a counted failure"
    );
}

#[test]
fn min_pause_postpones_the_next_trigger_l1() {
    let mut c = running(CoordinatorConfig { min_pause: 300 * MS, ..config() }, 1);
    c.tick(100 * MS);
    complete(&mut c, 1, 1, 120 * MS);
    assert_eq!(c.tick(300 * MS), vec![]);
    assert_eq!(c.tick(420 * MS), vec![CoordinatorOut::Trigger(2)]);
}

#[test]
fn completes_only_when_every_task_acked_l13() {
    let mut c = running(config(), 3);
    c.tick(100 * MS);
    assert_eq!(c.on_ack(1, TaskId { op: 0, subtask: 0 }, 1, handle(), false), vec![]);
    assert_eq!(c.on_ack(1, TaskId { op: 0, subtask: 0 }, 1, handle(), false), vec![], "duplicate");
    assert_eq!(c.on_ack(0, TaskId { op: 0, subtask: 1 }, 1, handle(), false), vec![], "old attempt");
    assert_eq!(c.on_ack(1, TaskId { op: 0, subtask: 1 }, 9, handle(), false), vec![], "unknown id");
    assert_eq!(c.on_ack(1, TaskId { op: 0, subtask: 1 }, 1, handle(), false), vec![]);
    let out = c.on_ack(1, TaskId { op: 0, subtask: 2 }, 1, handle(), false);
    assert!(matches!(&out[..], [CoordinatorOut::WriteMetadata(m)] if m.states.len() == 3));
}

#[test]
fn the_planted_bug_completes_one_ack_short() {
    let mut c = running(
        CoordinatorConfig {
            bugs: CoordinatorBugs { complete_without_all_acks: true, ..Default::default() },
            ..config()
        },
        3,
    );
    c.tick(100 * MS);
    c.on_ack(1, TaskId { op: 0, subtask: 0 }, 1, handle(), false);
    let out = c.on_ack(1, TaskId { op: 0, subtask: 1 }, 1, handle(), false);
    assert!(matches!(&out[..], [CoordinatorOut::WriteMetadata(m)] if m.states.len() == 2));
}

#[test]
fn expiry_is_a_counted_failure_that_fails_the_job_past_tolerance_l16_l18() {
    let mut c = running(CoordinatorConfig { tolerable_failures: 1, ..config() }, 1);
    c.tick(100 * MS);
    let out = c.tick(1100 * MS);
    assert_eq!(out[0], CoordinatorOut::NotifyAborted(1, AbortReason::Expired));
    assert!(!out.iter().any(|o| matches!(o, CoordinatorOut::FailJob(_))));
    c.tick(1200 * MS);
    let out = c.tick(2200 * MS);
    assert!(out.iter().any(|o| matches!(o, CoordinatorOut::FailJob(_))));
}

#[test]
fn a_late_metadata_write_after_abort_does_not_complete_l14() {
    let mut c = running(config(), 1);
    c.tick(100 * MS);
    let CoordinatorOut::WriteMetadata(meta) = ack_all(&mut c, 1, 1)[0].clone() else { panic!() };
    c.tick(1100 * MS); // expires while the metadata write is held
    assert_eq!(c.on_metadata_written(meta.clone()), vec![], "no pointer for an aborted checkpoint");
    assert_eq!(c.on_stored(meta, 1200 * MS), vec![]);
    assert!(c.latest_completed().is_none() && c.completed_ids().is_empty());
}

#[test]
fn a_failed_metadata_or_store_write_aborts_and_counts_l14_l18() {
    let mut c = running(CoordinatorConfig { tolerable_failures: 1, ..config() }, 1);
    c.tick(100 * MS);
    ack_all(&mut c, 1, 1);
    let out = c.on_metadata_failed(1, "EIO".into());
    assert_eq!(out, vec![CoordinatorOut::NotifyAborted(1, AbortReason::MetadataWriteFailed("EIO".into()))]);
    c.tick(200 * MS);
    let CoordinatorOut::WriteMetadata(meta) = ack_all(&mut c, 2, 1)[0].clone() else { panic!() };
    c.on_metadata_written(meta);
    let out = c.on_store_failed(2, "EIO".into());
    assert!(out.iter().any(|o| matches!(o, CoordinatorOut::FailJob(_))), "second counted failure: {out:?}");
}

#[test]
fn the_success_before_store_bug_never_counts_a_failed_store() {
    let mut c = running(
        CoordinatorConfig { bugs: CoordinatorBugs { success_before_store: true, ..Default::default() }, ..config() },
        1,
    );
    c.tick(100 * MS);
    ack_all(&mut c, 1, 1);
    assert_eq!(c.on_metadata_failed(1, "EIO".into()).len(), 1, "aborted, but not counted: no FailJob");
}

#[test]
fn the_metadata_before_data_bug_completes_before_the_write() {
    let mut c = running(
        CoordinatorConfig { bugs: CoordinatorBugs { metadata_before_data: true, ..Default::default() }, ..config() },
        1,
    );
    c.tick(100 * MS);
    let out = ack_all(&mut c, 1, 1);
    assert!(matches!(&out[..], [CoordinatorOut::Store(_), CoordinatorOut::WriteMetadata(_)]), "{out:?}");
}

#[test]
fn retained_keeps_the_newest_and_discards_older_ones_only_after_a_completion() {
    let mut c = running(CoordinatorConfig { retained: 2, ..config() }, 1);
    for (n, t) in [(1, 100), (2, 200)] {
        c.tick(t * MS);
        assert!(!complete(&mut c, n, 1, t * MS + 5 * MS).iter().any(|o| matches!(o, CoordinatorOut::Discard(_))));
    }
    c.tick(300 * MS);
    let out = complete(&mut c, 3, 1, 305 * MS);
    assert_eq!(out.last(), Some(&CoordinatorOut::Discard(1)));
    assert_eq!(c.completed_ids(), vec![2, 3]);
}

#[test]
fn a_failed_trigger_gives_its_id_back_and_counts_l2_l18() {
    let mut c = running(CoordinatorConfig { tolerable_failures: 1, ..config() }, 1);
    assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
    let out = c.on_trigger_failed(1, "EIO".into());
    assert_eq!(out, vec![CoordinatorOut::TriggerFailed("trigger failed: EIO".into())], "tasks hear nothing");
    assert_eq!(c.next_id(), 1, "the id was never used");
    assert_eq!(c.tick(200 * MS), vec![CoordinatorOut::Trigger(1)]);
    assert!(c.on_trigger_failed(1, "EIO".into()).iter().any(|o| matches!(o, CoordinatorOut::FailJob(_))));
}

#[test]
fn stop_drops_pending_checkpoints_l17() {
    let mut c = running(config(), 2);
    c.tick(100 * MS);
    assert_eq!(c.stop(), vec![1]);
    assert_eq!(c.tick(500 * MS), vec![]);
    assert_eq!(c.next_id(), 2, "ids are never reused");
}

#[test]
fn recovery_reads_back_the_latest_or_falls_back_to_an_older_one() {
    let meta = |id| CheckpointMeta { id, attempt: 1, states: BTreeMap::new(), end_of_data: false };
    // The store recovered from disk holds 3, 4 and 5; 5 turns out unreadable
    // and recovery reads 4: the store keeps nothing newer than what it read.
    let mut c = CheckpointCoordinator::new(config(), 6, vec![3, 4, 5]);
    assert_eq!(c.latest_completed(), None, "nothing read back yet");
    c.set_latest(meta(4));
    assert_eq!(c.completed_ids(), vec![3, 4]);
    assert_eq!(c.latest_completed().map(|m| m.id), Some(4));
    // Planted bug `fallback_to_older_checkpoint` forgets 4 to use 3.
    assert!(c.forget(4), "3 is older");
    assert_eq!(c.completed_ids(), vec![3]);
    assert_eq!(c.latest_completed(), None, "the one read back is gone");
    assert!(!c.forget(3), "nothing older than 3");
    assert_eq!(c.completed_ids(), vec![3]);
    // An id the store does not hold: older ones exist, nothing is removed.
    let mut c = CheckpointCoordinator::new(config(), 6, vec![3, 4]);
    assert!(c.forget(5));
    assert_eq!(c.completed_ids(), vec![3, 4]);
}

#[test]
fn the_job_fails_at_the_first_counted_failure_past_tolerable_and_every_one_after_l18() {
    let mut c = running(CoordinatorConfig { tolerable_failures: 2, max_concurrent: 4, ..config() }, 1);
    let mut fails = vec![];
    for n in 1..=4 {
        assert_eq!(c.tick(n as u32 * 100 * MS), vec![CoordinatorOut::Trigger(n)]);
        let out = c.on_decline(1, n, "no".into());
        fails.push(out.iter().any(|o| matches!(o, CoordinatorOut::FailJob(_))));
    }
    assert_eq!(fails, [false, false, true, true], "2 tolerated; the 3rd and 4th fail the job");
}

/// The planted bugs `tolerance_fails_early` / `_late` move the boundary by one.
#[test]
fn the_tolerance_bugs_fail_one_counted_failure_early_or_late() {
    let early = CoordinatorBugs { tolerance_fails_early: true, ..Default::default() };
    let late = CoordinatorBugs { tolerance_fails_late: true, ..Default::default() };
    for (bugs, first) in [(early, 2), (late, 4)] {
        let mut c = running(CoordinatorConfig { tolerable_failures: 2, max_concurrent: 5, bugs, ..config() }, 1);
        let failed_at = (1..=5).find(|n| {
            c.tick(*n as u32 * 100 * MS);
            c.on_decline(1, *n, "no".into()).iter().any(|o| matches!(o, CoordinatorOut::FailJob(_)))
        });
        assert_eq!(failed_at, Some(first), "{bugs:?}");
    }
}

#[test]
fn the_metadata_says_end_of_data_only_when_every_task_saw_it() {
    for (eods, want) in [([true, true], true), ([true, false], false), ([false, false], false)] {
        let mut c = running(config(), 2);
        c.tick(100 * MS);
        let mut out = vec![];
        for (s, eod) in eods.into_iter().enumerate() {
            out = c.on_ack(1, TaskId { op: 0, subtask: s as u16 }, 1, handle(), eod);
        }
        let [CoordinatorOut::WriteMetadata(meta)] = &out[..] else { panic!("{out:?}") };
        assert_eq!(meta.end_of_data, want, "{eods:?}");
    }
    // One ack short (planted bug): never the end of data, whatever was acked.
    let bug = CoordinatorBugs { complete_without_all_acks: true, ..Default::default() };
    let mut c = running(CoordinatorConfig { bugs: bug, ..config() }, 2);
    c.tick(100 * MS);
    let out = c.on_ack(1, TaskId { op: 0, subtask: 0 }, 1, handle(), true);
    let [CoordinatorOut::WriteMetadata(meta)] = &out[..] else { panic!("{out:?}") };
    assert!(!meta.end_of_data, "a task never acked");
}

#[test]
fn the_discard_before_complete_bug_discards_at_the_next_trigger() {
    let bug = CoordinatorBugs { discard_on_trigger: true, ..Default::default() };
    let mut c = running(CoordinatorConfig { bugs: bug, retained: 2, ..config() }, 1);
    for n in 1..=2 {
        assert_eq!(c.tick(n as u32 * 100 * MS), vec![CoordinatorOut::Trigger(n)], "room for it: nothing discarded");
        complete(&mut c, n, 1, (n as u32 * 100 + 5) * MS);
    }
    assert_eq!(c.tick(300 * MS), vec![CoordinatorOut::Trigger(3), CoordinatorOut::Discard(1)]);
    assert_eq!(c.completed_ids(), vec![2], "before 3 completed");
}
