//! Flink's transactional-sink unit tests, mirrored against ckptsim's sans-IO
//! sink cores: `TwoPhaseCommitSink` (`engine::sink::transactions`, T1–T4,
//! T7) for `TwoPhaseCommitSinkFunctionTest`, and `Committer`
//! (`engine::sink::committables`) for the Sink V2 committer tests. One
//! module per Flink test class with at least one case that applies, one
//! test per Flink test method mirrored; `docs/conformance.md` lists
//! every method, with the ones that do not apply and where ckptsim differs.
//!
//! Flink's tests check which records end up in the target directory (or how
//! many commits the committer made); the mirrors check the requests the
//! core hands out: `SinkOut::Commit` and `Recover` for the transactions,
//! the committables answered for committing for the committer.

use crate::engine::msg::{CheckpointId, Origin, Record, TxnId};
use crate::engine::sink::committables::{Committable, Committer, CommitterBugs};
use crate::engine::sink::transactions::{SinkOut, TransactionBugs, TwoPhaseCommitSink};
use std::time::Duration;

fn rec(offset: u64) -> Record {
    Record { key: 1, value: 1, origin: Origin { source: 0, partition: 0, offset }, attempt: 1 }
}

/// Transaction `seq` of sink 0, subtask 0, opened in `attempt`.
fn txn(attempt: u64, seq: u64) -> TxnId {
    TxnId { sink: 0, subtask: 0, attempt, seq }
}

/// A fresh sink subtask of attempt 1.
fn sink() -> TwoPhaseCommitSink {
    TwoPhaseCommitSink::open(0, 0, 1, None, TransactionBugs::default()).0
}

/// The checkpoints whose transactions `out` commits, in order.
fn commits(out: &[SinkOut]) -> Vec<CheckpointId> {
    out.iter()
        .filter_map(|o| match o {
            SinkOut::Commit { checkpoint, .. } => Some(*checkpoint),
            _ => None,
        })
        .collect()
}

/// Writer `subtask`'s committable for checkpoint `n`.
fn file(subtask: u16, n: CheckpointId) -> Committable {
    Committable { file: TxnId { sink: 2, subtask, attempt: 3, seq: n }, checkpoint: n, records: 5 }
}

/// `TwoPhaseCommitSinkFunctionTest` (the legacy `TwoPhaseCommitSinkFunction`).
mod two_phase_commit_sink_function_test {
    use super::*;

    /// Flink: three checkpoints are snapshotted, each with one record; the
    /// notification of the last arrives before that of the one before it.
    /// All three records are committed exactly once and only the open
    /// transaction is left. Mirror (ids 1–3 for Flink's 0–2): the
    /// notification of 3 commits the transactions of 1, 2 and 3 in order
    /// (T3); once they are confirmed, the late notification of 2 commits
    /// nothing (T7); new records go to the transaction opened at the last
    /// snapshot.
    #[test]
    fn test_subsumed_notification_of_previous_checkpoint() {
        let mut s = sink();
        for (n, r) in [(1, 42), (2, 43), (3, 44)] {
            s.on_records(vec![rec(r)], Duration::ZERO);
            let (out, _) = s.on_snapshot(n);
            let write = SinkOut::Write { txn: txn(1, n - 1), records: vec![rec(r)] };
            assert_eq!(out, vec![write, SinkOut::PreCommit { txn: txn(1, n - 1), checkpoint: n, records: 1 }]);
        }
        let out = s.on_notify_complete(3);
        assert_eq!(
            out,
            vec![
                SinkOut::Commit { txn: txn(1, 0), checkpoint: 1 },
                SinkOut::Commit { txn: txn(1, 1), checkpoint: 2 },
                SinkOut::Commit { txn: txn(1, 2), checkpoint: 3 },
            ]
        );
        for n in 1..=3 {
            s.on_committed(n);
        }
        assert!(s.committed_through(3));
        assert_eq!(s.on_notify_complete(2), vec![], "subsumed: nothing left to commit");
        assert_eq!(s.on_records(vec![rec(45)], Duration::ZERO), vec![], "batched");
        assert_eq!(s.on_snapshot(4).0[0], SinkOut::Write { txn: txn(1, 3), records: vec![rec(45)] });
    }

    /// Flink: three checkpoints are snapshotted and only the second is
    /// notified: the records of the first two are committed, the third
    /// checkpoint's transaction and the open one are left in the temporary
    /// directory. Mirror: the notification of 2 commits 1's and 2's
    /// transactions and leaves 3's pending (T3, T7).
    #[test]
    fn test_notify_of_completed_checkpoint() {
        let mut s = sink();
        for (n, r) in [(1, 42), (2, 43), (3, 44)] {
            s.on_records(vec![rec(r)], Duration::ZERO);
            s.on_snapshot(n);
        }
        assert_eq!(commits(&s.on_notify_complete(2)), vec![1, 2]);
        assert_eq!(s.pending_after(2), Some(3), "3's transaction stays pre-committed");
        s.on_committed(1);
        s.on_committed(2);
        assert!(s.committed_through(2));
        assert!(!s.committed_through(3));
    }

    /// Flink: two checkpoints are snapshotted, the third fails to
    /// pre-commit (the directory is not writable) and the sink is restored
    /// from the second's state: the records of both snapshotted checkpoints
    /// are committed and no temporary file is left. Mirror: reopening with
    /// the second snapshot's state answers `Recover` committing both
    /// pending transactions in order and aborting the rest (T1, T4), and
    /// the new attempt writes to a transaction of its own.
    #[test]
    fn test_fail_before_notify() {
        let mut s = sink();
        s.on_records(vec![rec(42)], Duration::ZERO);
        s.on_snapshot(1);
        s.on_records(vec![rec(43)], Duration::ZERO);
        let (out, state) = s.on_snapshot(2);
        let write = SinkOut::Write { txn: txn(1, 1), records: vec![rec(43)] };
        assert_eq!(out, vec![write, SinkOut::PreCommit { txn: txn(1, 1), checkpoint: 2, records: 1 }]);
        // 44 goes to the open transaction's batch; the task fails before snapshot 3.
        assert_eq!(s.on_records(vec![rec(44)], Duration::ZERO), vec![]);

        let (mut restored, out) = TwoPhaseCommitSink::open(0, 0, 2, Some(state), TransactionBugs::default());
        assert_eq!(out, vec![SinkOut::Recover { commit: vec![txn(1, 0), txn(1, 1)] }]);
        restored.on_records(vec![rec(44)], Duration::ZERO);
        assert_eq!(restored.on_snapshot(3).0[0], SinkOut::Write { txn: txn(2, 0), records: vec![rec(44)] });
    }
}

/// `CommitterOperatorTestBase` (Sink V2 `CommitterOperator`).
mod committer_operator_test_base {
    use super::*;

    /// Flink: a committable of checkpoint 1 arrives and the notification of
    /// 1 commits it (once; with a post-commit topology it is also emitted
    /// downstream). Mirror: the committable is filed under 1 and answered
    /// for committing at the notification of 1; nothing is left (T3).
    #[test]
    fn test_emit_committables() {
        let (mut k, now) = Committer::open(1, None, CommitterBugs::default());
        assert_eq!(now, vec![]);
        assert_eq!(k.on_committable(file(0, 1)), vec![]);
        assert!(!k.committed_through(1));
        assert_eq!(k.on_notify_complete(1), vec![file(0, 1)]);
        assert!(k.committed_through(1));
        assert_eq!(k.on_notify_complete(1), vec![], "committed once");
    }

    /// Flink: committables of one checkpoint from two writer subtasks are
    /// snapshotted uncommitted; a committer restored from that snapshot
    /// (with another subtask id and parallelism) commits both at once.
    /// Mirror (checkpoint 1 for Flink's 0): the committer opened with the
    /// snapshot's state answers both committables — the restored checkpoint
    /// is complete by definition — and counts checkpoint 1 as done (T1).
    #[test]
    fn test_state_restore() {
        let (mut k, _) = Committer::open(2, None, CommitterBugs::default());
        k.on_committable(file(0, 1));
        k.on_committable(file(1, 1));
        let state = k.on_snapshot(1);

        let (restored, now) = Committer::open(2, Some((state, 1)), CommitterBugs::default());
        assert_eq!(now, vec![file(0, 1), file(1, 1)]);
        assert!(restored.committed_through(1));
        assert_eq!(restored.snapshotted(), 1);
    }
}

/// `CommitterOperatorTest` (the older form of the committer operator tests;
/// its cases shared with `CommitterOperatorTestBase` are mirrored there).
mod committer_operator_test {
    use super::*;

    /// Flink: the notification of checkpoint 1 arrives before its
    /// committable (possible with unaligned checkpoints); the committable
    /// is committed as soon as it arrives. Mirror: the notification answers
    /// nothing, the committable is answered for committing on arrival, and
    /// checkpoint 1 is then fully committed.
    #[test]
    fn test_immediately_commit_late_committables() {
        let (mut k, _) = Committer::open(1, None, CommitterBugs::default());
        assert_eq!(k.on_notify_complete(1), vec![]);
        assert!(!k.committed_through(1), "its committable has not arrived");
        assert_eq!(k.on_committable(file(0, 1)), vec![file(0, 1)]);
        assert!(k.committed_through(1));
    }
}

/// `CommittableCollectorTest` (the committer's committables by checkpoint).
mod committable_collector_test {
    use super::*;

    /// Flink: with committables of checkpoints 1, 2 and 3 collected, those
    /// up to 2 are two checkpoints' worth. Mirror: the notification of 2
    /// answers exactly the committables of 1 and 2, and 3's stay filed
    /// (T3, T7).
    #[test]
    fn test_get_checkpoint_committables_up_to() {
        let (mut k, _) = Committer::open(1, None, CommitterBugs::default());
        for n in 1..=3 {
            assert_eq!(k.on_committable(file(0, n)), vec![]);
        }
        assert_eq!(k.on_notify_complete(2), vec![file(0, 1), file(0, 2)]);
        assert_eq!(k.pending_after(2), Some(3));
        assert!(!k.committed_through(3));
    }
}
