//! Flink's checkpoint coordinator tests, mirrored against ckptsim's sans-IO
//! `CheckpointCoordinator` (`engine/coordinator.rs`): one module per Flink
//! test class, one test per Flink test method that applies.
//!
//! Flink drives its coordinator through futures, timers and an execution
//! graph; here the same situations are set up with `tick(now)` for the timers
//! (periodic trigger, expiry) and the `on_*` calls for what tasks and storage
//! answer, and the outcome is read off the `CoordinatorOut` effects. Flink's
//! "fail job" callback is the `FailJob` effect; its pending/retained counts are
//! `pending_count()` and `completed_ids()`. Rule codes are docs/rules.md's.
//! `docs/conformance.md` lists every Flink case, mirrored or not.

use crate::engine::coordinator::{CheckpointCoordinator, CoordinatorBugs, CoordinatorConfig, CoordinatorOut};
use crate::engine::msg::{Attempt, CheckpointId, CheckpointMeta, StateHandle, TaskId};
use crate::trace::event::AbortReason;
use std::collections::BTreeSet;
use std::time::Duration;

pub(crate) const MS: Duration = Duration::from_millis(1);

/// The one job attempt the tests run (Flink's tests use one execution graph).
const ATTEMPT: Attempt = 1;

/// Flink's defaults where they matter: one checkpoint at a time, no pause, no
/// tolerated failures, one retained checkpoint.
pub(crate) fn config() -> CoordinatorConfig {
    CoordinatorConfig {
        interval: 100 * MS,
        timeout: 1000 * MS,
        max_concurrent: 1,
        min_pause: Duration::ZERO,
        tolerable_failures: 0,
        retained: 1,
        bugs: CoordinatorBugs::default(),
    }
}

pub(crate) fn task(subtask: u16) -> TaskId {
    TaskId { op: 0, subtask }
}

pub(crate) fn tasks(n: u16) -> BTreeSet<TaskId> {
    (0..n).map(task).collect()
}

pub(crate) fn handle() -> StateHandle {
    StateHandle { key: "k".into(), checksum: 0, len: 0 }
}

/// A coordinator whose job runs `n` tasks since time zero.
pub(crate) fn running(config: CoordinatorConfig, n: u16) -> CheckpointCoordinator {
    let mut c = CheckpointCoordinator::new(config, 1, vec![]);
    c.start(ATTEMPT, tasks(n), Duration::ZERO);
    c
}

/// Task `subtask` acks checkpoint `id`.
pub(crate) fn ack(c: &mut CheckpointCoordinator, id: CheckpointId, subtask: u16) -> Vec<CoordinatorOut> {
    c.on_ack(ATTEMPT, task(subtask), id, handle(), false)
}

/// Every one of `n` tasks acks checkpoint `id`.
pub(crate) fn ack_all(c: &mut CheckpointCoordinator, id: CheckpointId, n: u16) -> Vec<CoordinatorOut> {
    let mut out = vec![];
    for s in 0..n {
        out.extend(ack(c, id, s));
    }
    out
}

/// The metadata the last ack asks to write (L14), or a panic.
pub(crate) fn metadata(out: &[CoordinatorOut]) -> CheckpointMeta {
    match out {
        [CoordinatorOut::WriteMetadata(m)] => m.clone(),
        other => panic!("expected one WriteMetadata, got {other:?}"),
    }
}

/// The rest of L14 once every ack is in: the metadata is durable, then the
/// pointer is stored. Returns what storing it yields.
pub(crate) fn finish(c: &mut CheckpointCoordinator, meta: CheckpointMeta, now: Duration) -> Vec<CoordinatorOut> {
    assert_eq!(c.on_metadata_written(meta.clone()), vec![CoordinatorOut::Store(meta.clone())]);
    c.on_stored(meta, now)
}

/// Every task acks `id`, the metadata is written and stored (L13, L14).
pub(crate) fn complete(c: &mut CheckpointCoordinator, id: CheckpointId, n: u16, now: Duration) -> Vec<CoordinatorOut> {
    let meta = metadata(&ack_all(c, id, n));
    finish(c, meta, now)
}

/// How many times the effects fail the job over (Flink: fail-job callback calls).
fn fail_jobs(out: &[CoordinatorOut]) -> usize {
    out.iter().filter(|o| matches!(o, CoordinatorOut::FailJob(_))).count()
}

/// The checkpoints the effects trigger, in order.
fn triggers(out: &[CoordinatorOut]) -> Vec<CheckpointId> {
    out.iter()
        .filter_map(|o| match o {
            CoordinatorOut::Trigger(n) => Some(*n),
            _ => None,
        })
        .collect()
}

/// The abort notice for a checkpoint declined with `why` (L16).
fn declined(id: CheckpointId, why: &str) -> CoordinatorOut {
    CoordinatorOut::NotifyAborted(id, AbortReason::Declined(why.to_string()))
}

/// Flink's `CheckpointFailureManagerTest`. Flink tests its failure manager on
/// its own; ckptsim counts failures inside the coordinator (L18), so each
/// sequence of reported failures is produced by real checkpoints ending.
mod checkpoint_failure_manager_test {
    use super::*;

    /// Flink: with two failures tolerated, failures of checkpoints older than
    /// the last success are ignored and the success resets the count, so the
    /// job is never failed. Mirror (L18): 1 and 2 are declined, 4 completes
    /// (subsuming 3, uncounted), a late decline of the past checkpoint 3
    /// changes nothing, and two more declines stay within the tolerance.
    #[test]
    fn test_ignores_past_checkpoints() {
        let mut c = running(CoordinatorConfig { max_concurrent: 10, tolerable_failures: 2, ..config() }, 1);
        let mut out: Vec<CoordinatorOut> = vec![];
        for t in 1..=5u32 {
            out.extend(c.tick(t * 100 * MS));
        }
        assert_eq!(triggers(&out), vec![1, 2, 3, 4, 5]);
        out.extend(c.on_decline(ATTEMPT, 1, "x".into()));
        out.extend(c.on_decline(ATTEMPT, 2, "x".into()));
        assert_eq!(
            complete(&mut c, 4, 1, 550 * MS),
            vec![CoordinatorOut::NotifyAborted(3, AbortReason::Subsumed), CoordinatorOut::NotifyComplete(4)]
        );
        assert_eq!(c.on_decline(ATTEMPT, 3, "late".into()), vec![], "a past checkpoint's failure is ignored");
        out.extend(c.on_decline(ATTEMPT, 5, "x".into()));
        out.extend(c.tick(600 * MS));
        out.extend(c.on_decline(ATTEMPT, 6, "x".into()));
        assert_eq!(fail_jobs(&out), 0, "{out:?}");
    }

    /// Flink: with two failures tolerated, three counted failures in a row
    /// (with an uncounted report in between) fail the job exactly once.
    /// Mirror (L16, L18): declines of 1, 2 and 4 count; the report for 3 is a
    /// decline from a superseded attempt, which ckptsim ignores (ckptsim has
    /// no region failover reason; its failovers start a new attempt).
    #[test]
    fn test_continuous_failure() {
        let mut c = running(CoordinatorConfig { max_concurrent: 10, tolerable_failures: 2, ..config() }, 1);
        for t in 1..=4u32 {
            c.tick(t * 100 * MS);
        }
        let mut out: Vec<CoordinatorOut> = vec![];
        out.extend(c.on_decline(ATTEMPT, 1, "x".into()));
        out.extend(c.on_decline(ATTEMPT, 2, "x".into()));
        assert_eq!(fail_jobs(&out), 0, "two failures are tolerable");
        assert_eq!(c.on_decline(ATTEMPT - 1, 3, "stale".into()), vec![], "not counted");
        assert_eq!(c.pending_count(), 2, "3 and 4 still pend");
        let last = c.on_decline(ATTEMPT, 4, "x".into());
        assert_eq!(last.first(), Some(&declined(4, "x")));
        assert_eq!(fail_jobs(&last), 1, "the third counted failure fails the job: {last:?}");
    }

    /// Flink: an I/O error and a decline, then a success, then an expiry:
    /// the success breaks the run, so two tolerable failures are never
    /// exceeded. Mirror (L14, L18): a failed metadata write of 1 and a
    /// decline of 2 count, a stale report for 3 does not, 4 completes and
    /// resets the count, then 5 expires: one failure since the success.
    #[test]
    fn test_break_continuous_failure() {
        let mut c = running(CoordinatorConfig { max_concurrent: 10, tolerable_failures: 2, ..config() }, 1);
        for t in 1..=5u32 {
            c.tick(t * 100 * MS);
        }
        let mut out: Vec<CoordinatorOut> = vec![];
        metadata(&ack_all(&mut c, 1, 1));
        out.extend(c.on_metadata_failed(1, "EIO".into()));
        out.extend(c.on_decline(ATTEMPT, 2, "x".into()));
        out.extend(c.on_decline(ATTEMPT - 1, 3, "stale".into()));
        out.extend(complete(&mut c, 4, 1, 550 * MS));
        out.extend(c.tick(1500 * MS));
        assert!(out.contains(&CoordinatorOut::NotifyAborted(1, AbortReason::MetadataWriteFailed("EIO".into()))));
        assert!(out.contains(&CoordinatorOut::NotifyComplete(4)));
        assert!(out.contains(&CoordinatorOut::NotifyAborted(5, AbortReason::Expired)));
        assert_eq!(fail_jobs(&out), 0, "{out:?}");
    }

    /// Flink: with no failure tolerated, reporting every failure reason once
    /// fails the job once per counted reason (I/O error, decline, finalize
    /// failure, expiry, async failure) and never for the others. Mirror
    /// (L18): every way a ckptsim checkpoint can end is walked through once;
    /// the counted ones (failed trigger, decline, expiry, failed metadata
    /// write, failed store) each fail the job once, the uncounted ones
    /// (subsumption, being dropped by a failover, L17) never.
    #[test]
    fn test_total_count_value() {
        let mut c = running(CoordinatorConfig { max_concurrent: 2, ..config() }, 1);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(c.tick(200 * MS), vec![CoordinatorOut::Trigger(2)]);
        let subsumed = complete(&mut c, 2, 1, 210 * MS);
        assert!(subsumed.contains(&CoordinatorOut::NotifyAborted(1, AbortReason::Subsumed)));
        assert_eq!(fail_jobs(&subsumed), 0, "subsumption is not counted");

        assert_eq!(c.tick(300 * MS), vec![CoordinatorOut::Trigger(3)]);
        let trigger_failed = c.on_trigger_failed(3, "EIO".into());
        assert_eq!(fail_jobs(&trigger_failed), 1, "failed trigger: {trigger_failed:?}");

        assert_eq!(c.tick(400 * MS), vec![CoordinatorOut::Trigger(3)], "the unused id is given back (L2)");
        let decline = c.on_decline(ATTEMPT, 3, "x".into());
        assert_eq!(fail_jobs(&decline), 1, "decline: {decline:?}");

        assert_eq!(c.tick(500 * MS), vec![CoordinatorOut::Trigger(4)]);
        let expired = c.tick(1500 * MS);
        assert_eq!(expired[0], CoordinatorOut::NotifyAborted(4, AbortReason::Expired));
        assert_eq!(fail_jobs(&expired), 1, "expiry: {expired:?}");
        assert_eq!(triggers(&expired), vec![5]);

        metadata(&ack_all(&mut c, 5, 1));
        let metadata_failed = c.on_metadata_failed(5, "EIO".into());
        assert_eq!(fail_jobs(&metadata_failed), 1, "metadata write: {metadata_failed:?}");

        assert_eq!(c.tick(1600 * MS), vec![CoordinatorOut::Trigger(6)]);
        let meta = metadata(&ack_all(&mut c, 6, 1));
        assert_eq!(c.on_metadata_written(meta.clone()), vec![CoordinatorOut::Store(meta)]);
        let store_failed = c.on_store_failed(6, "EIO".into());
        assert_eq!(fail_jobs(&store_failed), 1, "store: {store_failed:?}");

        assert_eq!(c.tick(1700 * MS), vec![CoordinatorOut::Trigger(7)]);
        assert_eq!(c.stop(), vec![7], "a failover drops 7 without reporting a failure");
    }

    /// Flink: a failure reported twice for the same checkpoint counts once,
    /// so two tolerable failures are not exceeded. Mirror (L18): with two
    /// tasks, both decline checkpoint 2; the second decline finds nothing
    /// left to abort and counts nothing.
    #[test]
    fn test_ignore_one_checkpoint_repeatedly_count_multi_times() {
        let mut c = running(CoordinatorConfig { max_concurrent: 10, tolerable_failures: 2, ..config() }, 2);
        for t in 1..=3u32 {
            c.tick(t * 100 * MS);
        }
        let mut out: Vec<CoordinatorOut> = vec![];
        out.extend(c.on_decline(ATTEMPT, 1, "x".into()));
        out.extend(c.on_decline(ATTEMPT, 2, "x".into()));
        out.extend(c.on_decline(ATTEMPT - 1, 3, "stale".into()));
        assert_eq!(c.on_decline(ATTEMPT, 2, "again".into()), vec![], "one checkpoint counts once");
        assert_eq!(out, vec![declined(1, "x"), declined(2, "x")]);
        assert_eq!(c.pending_count(), 1);
    }
}

/// Flink's `CheckpointRequestDeciderTest`. Flink queues trigger requests and
/// decides when each may run; ckptsim has only periodic triggers, decided
/// afresh at every `tick` (L1). Only the periodic-checkpoint cases apply.
mod checkpoint_request_decider_test {
    use super::*;

    /// Flink: a periodic checkpoint request arriving while the maximum of
    /// checkpoints pends is held back, and runs as soon as one finishes.
    /// Mirror (L1): with one checkpoint pending and `max_concurrent` 1, the
    /// trigger due at 200 ms is held; the first tick after 1 completes
    /// triggers 2 at once, without waiting another interval.
    #[test]
    fn test_enqueue_on_too_many_pending() {
        let mut c = running(config(), 1);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(c.tick(200 * MS), vec![], "due, but one checkpoint already pends");
        assert_eq!(complete(&mut c, 1, 1, 250 * MS), vec![CoordinatorOut::NotifyComplete(1)]);
        assert_eq!(c.tick(250 * MS), vec![CoordinatorOut::Trigger(2)]);
    }

    /// Flink: a periodic checkpoint request inside the minimum pause after
    /// the last completion is not run (and the failure it gets is not a
    /// counted one); a manual checkpoint would run at once. Mirror (L1, L18),
    /// periodic half only (ckptsim has no manual checkpoints): ticks inside
    /// the pause trigger nothing and report nothing; the first tick after it
    /// triggers.
    #[test]
    fn test_checkpoint_timing() {
        let mut c = running(CoordinatorConfig { min_pause: 300 * MS, ..config() }, 1);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(complete(&mut c, 1, 1, 120 * MS), vec![CoordinatorOut::NotifyComplete(1)]);
        for t in [200u32, 300, 400, 419] {
            assert_eq!(c.tick(t * MS), vec![], "inside the pause at {t} ms");
        }
        assert_eq!(c.pending_count(), 0);
        assert_eq!(c.tick(420 * MS), vec![CoordinatorOut::Trigger(2)]);
    }
}

/// Flink's `CheckpointCoordinatorTest`: the cases about triggering, acks,
/// completion, declines, expiry, subsumption, concurrency and failure
/// counting.
mod checkpoint_coordinator_test {
    use super::*;

    /// Flink: after a checkpoint completes, the next one waits out the
    /// minimum pause even though a trigger is already due; halfway through
    /// the pause nothing pends, later the next checkpoint starts. Mirror
    /// (L1): interval 100 ms, pause 1000 ms.
    #[test]
    fn test_min_checkpoint_pause() {
        let config = CoordinatorConfig { min_pause: 1000 * MS, timeout: Duration::from_secs(3600), ..config() };
        let mut c = running(config, 1);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(complete(&mut c, 1, 1, 150 * MS), vec![CoordinatorOut::NotifyComplete(1)]);
        assert_eq!(c.tick(650 * MS), vec![]);
        assert_eq!(c.pending_count(), 0);
        assert_eq!(c.tick(1149 * MS), vec![]);
        assert_eq!(c.tick(1150 * MS), vec![CoordinatorOut::Trigger(2)]);
    }

    /// Flink: a checkpoint cannot start while the tasks are not running;
    /// nothing pends and nothing completes. Mirror (L1, L3): a coordinator
    /// whose job never started triggers nothing, whatever the time, and uses
    /// no id.
    #[test]
    fn test_checkpoint_aborts_if_trigger_tasks_are_not_executed() {
        let mut c = CheckpointCoordinator::new(config(), 1, vec![]);
        assert_eq!(c.tick(100 * MS), vec![]);
        assert_eq!(c.tick(10_000 * MS), vec![]);
        assert_eq!(c.pending_count(), 0);
        assert!(c.completed_ids().is_empty());
        assert_eq!(c.next_id(), 1);
    }

    /// Flink: with no failure tolerated, one task acks and the other
    /// declines: the decline fails the job. Mirror (L16, L18): the decline
    /// aborts 1 and yields `FailJob`.
    #[test]
    fn test_trigger_and_decline_checkpoint_then_failure_manager_throws_exception() {
        let mut c = running(config(), 2);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(ack(&mut c, 1, 1), vec![]);
        assert_eq!(c.pending_count(), 1, "one ack is not enough");
        let out = c.on_decline(ATTEMPT, 1, "declined".into());
        assert_eq!(out[0], declined(1, "declined"));
        assert_eq!(fail_jobs(&out), 1, "{out:?}");
        assert_eq!(c.pending_count(), 0);
    }

    /// Flink: with no failure tolerated, aborting the pending checkpoint for
    /// an I/O error fails the job. Mirror (L14, L18): the coordinator's I/O
    /// error is the failed metadata write of a fully acked checkpoint.
    #[test]
    fn test_io_exception_checkpoint_exceeds_tolerable_failure_number() {
        let mut c = running(config(), 2);
        c.tick(100 * MS);
        metadata(&ack_all(&mut c, 1, 2));
        let out = c.on_metadata_failed(1, "EIO".into());
        assert_eq!(out[0], CoordinatorOut::NotifyAborted(1, AbortReason::MetadataWriteFailed("EIO".into())));
        assert_eq!(fail_jobs(&out), 1, "{out:?}");
    }

    /// Flink: storage failing while a trigger is set up fails the job (no
    /// failure tolerated), and the pending checkpoint had been created
    /// first. Mirror (L3, L18): the pending checkpoint exists as soon as the
    /// trigger is decided; the failed trigger removes it and fails the job.
    #[test]
    fn test_trigger_checkpoint_after_checkpoint_storage_io_exception() {
        let mut c = running(config(), 1);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(c.pending_count(), 1, "pending before the trigger leaves");
        let out = c.on_trigger_failed(1, "disk is broken".into());
        assert_eq!(out[0], CoordinatorOut::TriggerFailed("trigger failed: disk is broken".into()));
        assert_eq!(fail_jobs(&out), 1, "{out:?}");
        assert_eq!(c.pending_count(), 0);
    }

    /// Flink: with no failure tolerated, a checkpoint aborted as expired
    /// fails the job. Mirror (L3, L16, L18): 1 is not acked within the
    /// timeout; the tick that expires it also fails the job.
    #[test]
    fn test_expired_checkpoint_exceeds_tolerable_failure_number() {
        let mut c = running(config(), 2);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        let out = c.tick(1100 * MS);
        assert_eq!(out[0], CoordinatorOut::NotifyAborted(1, AbortReason::Expired));
        assert_eq!(fail_jobs(&out), 1, "{out:?}");
    }

    /// Both decline cases: one task acks (twice, the repeat changing
    /// nothing), the other declines: the checkpoint is aborted, nothing pends
    /// or completed, and further declines of it do nothing; with no failure
    /// tolerated the job fails exactly once.
    fn trigger_and_decline_simple(reason: &str) {
        let mut c = running(CoordinatorConfig { max_concurrent: 100, ..config() }, 2);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(c.pending_count(), 1);
        assert_eq!(ack(&mut c, 1, 1), vec![]);
        assert_eq!(ack(&mut c, 1, 1), vec![], "a repeated ack changes nothing");
        let out = c.on_decline(ATTEMPT, 1, reason.into());
        assert_eq!(out[0], declined(1, reason));
        assert_eq!(c.pending_count(), 0);
        assert!(c.completed_ids().is_empty());
        assert_eq!(c.on_decline(ATTEMPT, 1, reason.into()), vec![]);
        assert_eq!(c.on_decline(ATTEMPT, 1, reason.into()), vec![], "the other task's decline");
        assert_eq!(fail_jobs(&out), 1, "{out:?}");
    }

    /// Flink: a checkpoint declined for a failure in a task's synchronous
    /// snapshot part is aborted and counted once. Mirror (L16, L18): see
    /// `trigger_and_decline_simple`. (In ckptsim a synchronous-part failure
    /// fails the task, L12; a decline as such is what is checked here.)
    #[test]
    fn test_trigger_and_decline_sync_checkpoint_failure_simple() {
        trigger_and_decline_simple("checkpoint declined");
    }

    /// Flink: the same with a failure in the asynchronous part. Mirror (L12,
    /// L16, L18): a failed upload declines the checkpoint; see
    /// `trigger_and_decline_simple`.
    #[test]
    fn test_trigger_and_decline_async_checkpoint_failure_simple() {
        trigger_and_decline_simple("async snapshot upload failed");
    }

    /// Flink: with two checkpoints pending, a decline of the first aborts
    /// only the first (every task is told once), the second stays pending
    /// and untouched, and repeated declines notify nobody again. Mirror
    /// (L16): failures are tolerated here so only the aborts show.
    #[test]
    fn test_trigger_and_decline_checkpoint_complex() {
        let mut c = running(CoordinatorConfig { max_concurrent: 100, tolerable_failures: 5, ..config() }, 2);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(c.tick(200 * MS), vec![CoordinatorOut::Trigger(2)]);
        assert_eq!(c.pending_count(), 2);
        assert_eq!(c.on_decline(ATTEMPT, 1, "x".into()), vec![declined(1, "x")]);
        assert_eq!(c.pending_count(), 1);
        assert_eq!(c.on_decline(ATTEMPT, 1, "x".into()), vec![], "no second abort notice");
        assert_eq!(c.on_decline(ATTEMPT, 1, "y".into()), vec![]);
        let meta = metadata(&ack_all(&mut c, 2, 2));
        assert_eq!(meta.id, 2, "the second checkpoint was untouched");
        assert_eq!(meta.states.len(), 2);
    }

    /// Flink: a checkpoint completes only when both tasks acked (a repeated
    /// ack changes nothing); then it is retained, nothing pends, every task
    /// is notified; a second checkpoint replaces it in a store that retains
    /// one. Mirror (L13, L14): the last ack asks for the metadata write with
    /// both snapshots; storing it notifies completion; the second completion
    /// discards the first.
    #[test]
    fn test_trigger_and_confirm_simple_checkpoint() {
        let mut c = running(CoordinatorConfig { max_concurrent: 100, ..config() }, 2);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(ack(&mut c, 1, 1), vec![]);
        assert_eq!(ack(&mut c, 1, 1), vec![], "a repeated ack changes nothing");
        let meta = metadata(&ack(&mut c, 1, 0));
        assert_eq!((meta.id, meta.attempt, meta.states.len()), (1, ATTEMPT, 2));
        assert_eq!(finish(&mut c, meta, 150 * MS), vec![CoordinatorOut::NotifyComplete(1)]);
        assert_eq!(c.pending_count(), 0);
        assert_eq!(c.completed_ids(), vec![1]);
        assert_eq!(c.latest_completed().map(|m| m.id), Some(1));

        assert_eq!(c.tick(200 * MS), vec![CoordinatorOut::Trigger(2)]);
        assert_eq!(
            complete(&mut c, 2, 2, 250 * MS),
            vec![CoordinatorOut::NotifyComplete(2), CoordinatorOut::Discard(1)]
        );
        assert_eq!(c.completed_ids(), vec![2]);
        assert_eq!(c.pending_count(), 0);
    }

    /// Flink: two checkpoints pend at once, with acks interleaved; the first
    /// completes first (the second still pends), then the second; both are
    /// retained and each completion is notified. Mirror (L1, L13, L14):
    /// three tasks, `max_concurrent` unbounded, two retained.
    #[test]
    fn test_multiple_concurrent_checkpoints() {
        let mut c = running(CoordinatorConfig { max_concurrent: 100, retained: 2, ..config() }, 3);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(ack(&mut c, 1, 1), vec![]);
        assert_eq!(c.tick(200 * MS), vec![CoordinatorOut::Trigger(2)]);
        assert_eq!(c.pending_count(), 2);
        assert_eq!(ack(&mut c, 1, 2), vec![]);
        assert_eq!(ack(&mut c, 2, 0), vec![]);
        let first = metadata(&ack(&mut c, 1, 0));
        assert_eq!(ack(&mut c, 2, 1), vec![]);
        assert_eq!(finish(&mut c, first, 250 * MS), vec![CoordinatorOut::NotifyComplete(1)]);
        assert_eq!(c.pending_count(), 1);
        assert_eq!(c.completed_ids(), vec![1]);
        let second = metadata(&ack(&mut c, 2, 2));
        assert_eq!(finish(&mut c, second, 260 * MS), vec![CoordinatorOut::NotifyComplete(2)]);
        assert_eq!(c.pending_count(), 0);
        assert_eq!(c.completed_ids(), vec![1, 2]);
    }

    /// Flink: the second checkpoint completes while the first is partly
    /// acked: the first is dropped (subsumed), only the second is retained
    /// and notified, and a late ack for the first does nothing. Mirror (L2,
    /// L13, L14): subsumption comes before the completion notice and is not a
    /// counted failure (none tolerated here). Flink also checks the first
    /// one's snapshots are deleted; ckptsim deletes no snapshot of an
    /// unfinished checkpoint (see the doc).
    #[test]
    fn test_successful_checkpoint_subsumes_unsuccessful() {
        let mut c = running(CoordinatorConfig { max_concurrent: 100, retained: 10, ..config() }, 3);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(ack(&mut c, 1, 1), vec![]);
        assert_eq!(c.tick(200 * MS), vec![CoordinatorOut::Trigger(2)]);
        assert_eq!(ack(&mut c, 2, 2), vec![]);
        assert_eq!(ack(&mut c, 2, 0), vec![]);
        assert_eq!(ack(&mut c, 1, 0), vec![]);
        let second = metadata(&ack(&mut c, 2, 1));
        assert_eq!(
            finish(&mut c, second, 250 * MS),
            vec![CoordinatorOut::NotifyAborted(1, AbortReason::Subsumed), CoordinatorOut::NotifyComplete(2)]
        );
        assert_eq!(c.pending_count(), 0);
        assert_eq!(c.completed_ids(), vec![2]);
        assert_eq!(ack(&mut c, 1, 2), vec![], "a late ack for the subsumed checkpoint");
    }

    /// Flink: a partly acked checkpoint times out: it is aborted, nothing
    /// pends or completes, and no task hears of a completion. Mirror (L3,
    /// L16): a long interval keeps the next trigger out of the picture; one
    /// failure is tolerated so the expiry shows alone.
    #[test]
    fn test_checkpoint_timeout_isolated() {
        let config = CoordinatorConfig { interval: 10_000 * MS, tolerable_failures: 1, retained: 2, ..config() };
        let mut c = running(config, 2);
        assert_eq!(c.tick(10_000 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(ack(&mut c, 1, 0), vec![]);
        assert_eq!(c.tick(10_999 * MS), vec![], "not yet");
        assert_eq!(c.tick(11_000 * MS), vec![CoordinatorOut::NotifyAborted(1, AbortReason::Expired)]);
        assert_eq!(c.pending_count(), 0);
        assert!(c.completed_ids().is_empty());
        assert_eq!(ack(&mut c, 1, 1), vec![], "the missing ack, too late");
    }

    /// Flink: acks for another job, for an unknown checkpoint, or from an
    /// unknown task are dropped without error. Mirror (L13): an ack from
    /// another attempt (the nearest thing to another job), one for an id
    /// never triggered and one from a task the job does not run all yield
    /// nothing, and none of them counts towards the pending checkpoint.
    #[test]
    fn test_handle_messages_for_non_existing_checkpoints() {
        let mut c = running(config(), 2);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(c.on_ack(ATTEMPT + 1, task(0), 1, handle(), false), vec![], "another attempt");
        assert_eq!(c.on_ack(ATTEMPT, task(0), 7, handle(), false), vec![], "unknown checkpoint");
        assert_eq!(c.on_ack(ATTEMPT, TaskId { op: 9, subtask: 0 }, 1, handle(), false), vec![], "unknown task");
        assert_eq!(ack(&mut c, 1, 0), vec![], "the junk acks did not count");
        assert_eq!(metadata(&ack(&mut c, 1, 1)).states.len(), 2);
    }

    /// Flink (`testMaxConcurrentAttempts`): with `max_concurrent` n, n
    /// periodic triggers go out and no more; once the first completes,
    /// exactly one more goes out. Mirror (L1): ticks every 10 ms.
    fn max_concurrent_attempts(n: usize) {
        let config = CoordinatorConfig {
            interval: 10 * MS,
            timeout: Duration::from_secs(200),
            max_concurrent: n,
            retained: 2,
            ..config()
        };
        let mut c = running(config, 1);
        let mut triggered = vec![];
        for k in 1..=n as u32 {
            triggered.extend(triggers(&c.tick(k * 10 * MS)));
        }
        assert_eq!(triggered, (1..=n as u64).collect::<Vec<_>>());
        let mut t = (n as u32 + 1) * 10;
        assert_eq!(c.tick(t * MS), vec![], "{n} pending: no further trigger");
        assert_eq!(complete(&mut c, 1, 1, t * MS), vec![CoordinatorOut::NotifyComplete(1)]);
        t += 10;
        assert_eq!(c.tick(t * MS), vec![CoordinatorOut::Trigger(n as u64 + 1)]);
        t += 10;
        assert_eq!(c.tick(t * MS), vec![]);
        assert_eq!(c.next_id(), n as u64 + 2);
    }

    /// Flink: `testMaxConcurrentAttempts(1)`; see `max_concurrent_attempts`.
    #[test]
    fn test_max_concurrent_attempts1() {
        max_concurrent_attempts(1);
    }

    /// Flink: `testMaxConcurrentAttempts(2)`; see `max_concurrent_attempts`.
    #[test]
    fn test_max_concurrent_attempts2() {
        max_concurrent_attempts(2);
    }

    /// Flink: `testMaxConcurrentAttempts(5)`; see `max_concurrent_attempts`.
    #[test]
    fn test_max_concurrent_attempts5() {
        max_concurrent_attempts(5);
    }

    /// Flink: with two allowed at once, 1 and 2 pend; completing 2 subsumes
    /// 1, which frees both places, so 3 and 4 are triggered next. Mirror
    /// (L1, L14).
    #[test]
    fn test_max_concurrent_attempts_with_subsumption() {
        let config = CoordinatorConfig {
            interval: 10 * MS,
            timeout: Duration::from_secs(200),
            max_concurrent: 2,
            retained: 2,
            ..config()
        };
        let mut c = running(config, 1);
        assert_eq!(c.tick(10 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(c.tick(20 * MS), vec![CoordinatorOut::Trigger(2)]);
        assert_eq!(
            complete(&mut c, 2, 1, 25 * MS),
            vec![CoordinatorOut::NotifyAborted(1, AbortReason::Subsumed), CoordinatorOut::NotifyComplete(2)]
        );
        assert_eq!(c.tick(30 * MS), vec![CoordinatorOut::Trigger(3)]);
        assert_eq!(c.tick(40 * MS), vec![CoordinatorOut::Trigger(4)]);
        assert_eq!(c.pending_count(), 2);
        assert_eq!(c.tick(50 * MS), vec![]);
    }

    /// Flink: the periodic scheduler starts no checkpoint while the tasks
    /// are not yet running, and does once they are. Mirror (L1): before
    /// `start` no tick triggers; after it, the first trigger comes one
    /// interval later.
    #[test]
    fn test_periodic_scheduling_with_inactive_tasks() {
        let mut c = CheckpointCoordinator::new(CoordinatorConfig { max_concurrent: 2, ..config() }, 1, vec![]);
        assert_eq!(c.tick(100 * MS), vec![], "tasks not running yet");
        c.start(ATTEMPT, tasks(1), 150 * MS);
        assert_eq!(c.tick(200 * MS), vec![]);
        assert_eq!(c.tick(250 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert!(c.pending_count() > 0);
    }

    /// Flink: a periodic trigger whose scheduler was stopped meanwhile does
    /// not go out. Mirror (L1, L17): once the coordinator is stopped no tick
    /// triggers, no failure is reported and no id is used.
    #[test]
    fn test_trigger_checkpoint_after_stopping() {
        let mut c = running(config(), 1);
        assert_eq!(c.stop(), Vec::<CheckpointId>::new());
        assert_eq!(c.tick(100 * MS), vec![]);
        assert_eq!(c.tick(1000 * MS), vec![]);
        assert_eq!(c.pending_count(), 0);
        assert_eq!(c.next_id(), 1);
    }

    /// Flink: the id counter failing with an I/O error fails the trigger
    /// and, with no failure tolerated, the job; no pending checkpoint is
    /// left. Mirror (L2, L18): persisting the id counter failed, so the
    /// checkpoint is dropped, the tasks hear nothing, the id is given back,
    /// and the job fails.
    #[test]
    fn test_trigger_checkpoint_with_counter_io_exception() {
        let mut c = running(config(), 1);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        let out = c.on_trigger_failed(1, "disk is error!".into());
        assert_eq!(out[0], CoordinatorOut::TriggerFailed("trigger failed: disk is error!".into()));
        assert_eq!(fail_jobs(&out), 1, "{out:?}");
        assert!(!out.iter().any(|o| matches!(o, CoordinatorOut::NotifyAborted(..))), "tasks hear nothing");
        assert_eq!(c.pending_count(), 0);
        assert_eq!(c.next_id(), 1, "the id was never used");
    }

    /// Flink (FLINK-32347): storing a finished checkpoint in the completed
    /// checkpoint store fails: the checkpoint fails, the failure reaches the
    /// failure manager (the job fails, none tolerated), nothing completes.
    /// Mirror (L14, L18): the store write fails after the metadata is
    /// durable.
    #[test]
    fn test_exception_in_storing_completed_checkpoint_is_reported_to_failure_manager() {
        let mut c = running(config(), 1);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        let meta = metadata(&ack_all(&mut c, 1, 1));
        assert_eq!(c.on_metadata_written(meta.clone()), vec![CoordinatorOut::Store(meta)]);
        let out = c.on_store_failed(1, "Test store exception.".into());
        assert_eq!(out[0], CoordinatorOut::NotifyAborted(1, AbortReason::StoreFailed("Test store exception.".into())));
        assert_eq!(fail_jobs(&out), 1, "{out:?}");
        assert_eq!(c.pending_count(), 0);
        assert!(c.completed_ids().is_empty());
        assert!(c.latest_completed().is_none());
    }
}

/// Flink's `CheckpointCoordinatorTriggeringTest`: the periodic scheduler and
/// trigger failures.
mod checkpoint_coordinator_triggering_test {
    use super::*;

    /// Flink: the periodic scheduler triggers checkpoints with increasing
    /// ids; once stopped, nothing more; started again, it triggers again,
    /// ids still increasing. Mirror (L1, L2, L17): five ticks, `stop` (which
    /// drops the five pending checkpoints), quiet ticks, a new attempt's
    /// `start`, five more ticks.
    #[test]
    fn test_periodic_triggering() {
        let config = CoordinatorConfig {
            interval: 10 * MS,
            timeout: Duration::from_secs(200),
            max_concurrent: 100,
            retained: 2,
            ..config()
        };
        let mut c = running(config, 1);
        let mut first = vec![];
        for k in 1..=5u32 {
            first.extend(triggers(&c.tick(k * 10 * MS)));
        }
        assert_eq!(first, vec![1, 2, 3, 4, 5]);
        assert_eq!(c.stop(), vec![1, 2, 3, 4, 5]);
        assert_eq!(c.tick(60 * MS), vec![]);
        assert_eq!(c.tick(70 * MS), vec![]);

        c.start(ATTEMPT + 1, tasks(1), 70 * MS);
        let mut second = vec![];
        for k in 8..=12u32 {
            second.extend(triggers(&c.tick(k * 10 * MS)));
        }
        assert_eq!(second, vec![6, 7, 8, 9, 10], "ids keep growing");
        assert_eq!(c.stop().len(), 5);
        assert_eq!(c.tick(200 * MS), vec![]);
    }

    /// Flink: with interval 12 ms and a 50 ms minimum pause, the checkpoint
    /// after a completion comes no sooner than 50 ms after it, and has id 2.
    /// Mirror (L1): ticks every 12 ms after 1 completes at 15 ms; the first
    /// one that triggers is the first at or after 65 ms.
    #[test]
    fn test_min_time_between_checkpoints_interval() {
        let config =
            CoordinatorConfig { interval: 12 * MS, timeout: Duration::from_secs(200), min_pause: 50 * MS, ..config() };
        let mut c = running(config, 1);
        assert_eq!(c.tick(12 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(complete(&mut c, 1, 1, 15 * MS), vec![CoordinatorOut::NotifyComplete(1)]);
        let mut t = 12u32;
        let next = loop {
            t += 12;
            assert!(t < 1000, "no second checkpoint");
            let out = c.tick(t * MS);
            if !out.is_empty() {
                break out;
            }
        };
        assert_eq!(next, vec![CoordinatorOut::Trigger(2)]);
        assert!(t >= 15 + 50, "came too early, at {t} ms");
        assert_eq!(t, 72);
    }

    /// Flink: a periodic trigger request while the scheduler is not running
    /// fails and starts nothing (a manual one would still go). Mirror (L1),
    /// periodic half only: after `stop`, ticks trigger nothing and report no
    /// failure.
    #[test]
    fn test_stop_periodic_scheduler() {
        let mut c = running(config(), 1);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(c.stop(), vec![1]);
        assert_eq!(c.tick(200 * MS), vec![]);
        assert_eq!(c.tick(300 * MS), vec![]);
        assert_eq!(c.next_id(), 2, "ids are never reused");
    }

    /// Flink: shutting the coordinator down fails the checkpoint that was
    /// being triggered. Mirror (L14, L17): a fully acked checkpoint whose
    /// metadata is being written is dropped by `stop`; the late write and
    /// store outcomes complete nothing, and no failure is counted.
    #[test]
    fn test_trigger_checkpoint_with_shutting_down_coordinator() {
        let mut c = running(config(), 1);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        let meta = metadata(&ack_all(&mut c, 1, 1));
        assert_eq!(c.stop(), vec![1]);
        assert_eq!(c.on_metadata_written(meta.clone()), vec![], "no pointer for a dropped checkpoint");
        assert_eq!(c.on_stored(meta, 200 * MS), vec![]);
        assert!(c.completed_ids().is_empty());
        assert!(c.latest_completed().is_none());
    }

    /// Flink: three trigger requests; the first fails in the id counter, the
    /// two after it still go out and succeed. Mirror (L1, L2, L18): the
    /// first trigger fails and gives its id back; the next two ticks trigger
    /// 1 (reusing the id never used) and 2, both pending.
    #[test]
    fn test_trigger_checkpoint_request_queued_with_failure() {
        let mut c = running(CoordinatorConfig { max_concurrent: 2, tolerable_failures: 5, ..config() }, 1);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(
            c.on_trigger_failed(1, "by design".into()),
            vec![CoordinatorOut::TriggerFailed("trigger failed: by design".into())]
        );
        assert_eq!(c.tick(200 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(c.tick(300 * MS), vec![CoordinatorOut::Trigger(2)]);
        assert_eq!(c.pending_count(), 2);
    }

    /// Flink: the first periodic trigger fails while initialising (id
    /// counter); the coordinator is not stuck: the next periodic trigger
    /// goes out and succeeds. Mirror (L2, L14, L18): one failure tolerated;
    /// the failed trigger leaves nothing pending, the next completes.
    #[test]
    fn test_trigger_checkpoint_initialization_failed() {
        let mut c = running(CoordinatorConfig { tolerable_failures: 1, ..config() }, 1);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        let out = c.on_trigger_failed(1, "by design".into());
        assert_eq!(out, vec![CoordinatorOut::TriggerFailed("trigger failed: by design".into())]);
        assert_eq!(c.pending_count(), 0);
        assert_eq!(c.tick(200 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(complete(&mut c, 1, 1, 250 * MS), vec![CoordinatorOut::NotifyComplete(1)]);
        assert_eq!(c.pending_count(), 0);
    }
}
