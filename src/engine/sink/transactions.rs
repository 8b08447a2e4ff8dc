//! `TwoPhaseCommitSink`: the transaction bookkeeping of one transactional
//! sink subtask (the `two_phase_commit` kind, and the `committer` kind's writers),
//! sans-IO (docs/rules.md T1–T4, T7). It decides which transaction records go
//! to, what to pre-commit at a snapshot and what to commit on
//! notify-complete; the task sends the resulting `SinkOut`s to the sink node.

use super::append::BUFFER;
use crate::engine::msg::{Attempt, CheckpointId, Record, TxnId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long a batch's first record may wait for more: a producer's
/// `linger.ms` (Kafka's default is 5 ms since 4.0, 0 before; deployments
/// raise it to batch more).
pub const LINGER: Duration = Duration::from_millis(20);

/// What the sink subtask checkpoints (T2: {pending}; the current transaction
/// is aborted on restore, so it need not be kept).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SinkState {
    /// Pre-committed transactions waiting for their checkpoint's completion.
    pub pending: BTreeMap<CheckpointId, TxnId>,
}

/// A request for the external sink.
#[derive(Debug, Clone, PartialEq)]
pub enum SinkOut {
    /// T1: fence older attempts, commit these (idempotent), abort the rest.
    Recover { commit: Vec<TxnId> },
    /// Append records to the open transaction.
    Write { txn: TxnId, records: Vec<Record> },
    /// T2: flush `txn` durably; it must hold `records` records.
    PreCommit { txn: TxnId, checkpoint: CheckpointId, records: u64 },
    /// T3: make `txn` visible.
    Commit { txn: TxnId, checkpoint: CheckpointId },
}

/// Planted bugs of the transactions core (`bugs` says what each models).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransactionBugs {
    /// `commit_only_notified`: notify(n) commits only n's transaction.
    pub commit_only_notified: bool,
    /// `pre_commit_before_last_batch`: the snapshot pre-commits without
    /// sending the batch still buffered; it leaves later, in the next transaction.
    pub pre_commit_before_last_batch: bool,
}

/// One sink subtask's transactions.
#[derive(Debug, Clone)]
pub struct TwoPhaseCommitSink {
    sink: u16,
    subtask: u16,
    attempt: Attempt,
    next_seq: u64,
    current: TxnId,
    current_records: u64,
    /// Records of the open transaction not sent yet: like a producer's
    /// batch, they leave once `BUFFER` gathered or the first of them waited
    /// `LINGER`, and all before the transaction is pre-committed.
    buffer: Vec<Record>,
    /// When the batch's first record came.
    first_at: Duration,
    state: SinkState,
    bugs: TransactionBugs,
    /// A committer sink's writer: a pre-committed transaction is a file
    /// handed to the committer, not kept pending here.
    pub hands_off: bool,
}

impl TwoPhaseCommitSink {
    /// Opens the sink for `attempt`, recovering `restored` (T1).
    pub fn open(
        sink: u16,
        subtask: u16,
        attempt: Attempt,
        restored: Option<SinkState>,
        bugs: TransactionBugs,
    ) -> (Self, Vec<SinkOut>) {
        let state = restored.unwrap_or_default();
        let commit = state.pending.values().copied().collect();
        let current = TxnId { sink, subtask, attempt, seq: 0 };
        let sink = TwoPhaseCommitSink {
            sink,
            subtask,
            attempt,
            next_seq: 1,
            current,
            current_records: 0,
            buffer: vec![],
            first_at: Duration::ZERO,
            state,
            bugs,
            hands_off: false,
        };
        (sink, vec![SinkOut::Recover { commit }])
    }

    /// Records for the open transaction, arriving at `now`: a write once a
    /// batch gathered (else it waits, see `linger_until`).
    pub fn on_records(&mut self, records: Vec<Record>, now: Duration) -> Vec<SinkOut> {
        self.current_records += records.len() as u64;
        if self.buffer.is_empty() {
            self.first_at = now;
        }
        self.buffer.extend(records);
        if self.buffer.len() < BUFFER {
            return vec![];
        }
        self.take().into_iter().collect()
    }

    /// Until when the batch may wait for more records: `LINGER` after its
    /// first one; `None` with nothing batched.
    pub fn linger_until(&self) -> Option<Duration> {
        (!self.buffer.is_empty()).then(|| self.first_at + LINGER)
    }

    /// At `now`: the batch as a write, if it has waited `LINGER`.
    pub fn on_timer(&mut self, now: Duration) -> Option<SinkOut> {
        if self.linger_until()? > now {
            return None;
        }
        self.take()
    }

    /// The buffered records, as a write to the open transaction.
    fn take(&mut self) -> Option<SinkOut> {
        if self.buffer.is_empty() {
            return None;
        }
        let records = std::mem::take(&mut self.buffer);
        Some(SinkOut::Write { txn: self.current, records })
    }

    /// T2: snapshot of `n`: pre-commit the open transaction, remember it as
    /// pending for `n`, open the next. Returns the requests and the state to
    /// checkpoint.
    pub fn on_snapshot(&mut self, n: CheckpointId) -> (Vec<SinkOut>, SinkState) {
        let txn = self.current;
        let (mut out, carried): (Vec<SinkOut>, u64) = match self.bugs.pre_commit_before_last_batch {
            // The batch stays behind, counted in the next transaction.
            true => (vec![], self.buffer.len() as u64),
            false => (self.take().into_iter().collect(), 0),
        };
        out.push(SinkOut::PreCommit { txn, checkpoint: n, records: self.current_records - carried });
        if !self.hands_off {
            self.state.pending.insert(n, txn);
        }
        self.current = TxnId { sink: self.sink, subtask: self.subtask, attempt: self.attempt, seq: self.next_seq };
        self.next_seq += 1;
        self.current_records = carried;
        (out, self.state.clone())
    }

    /// T3: `n` completed: commit every pending transaction with id ≤ n, in order.
    pub fn on_notify_complete(&mut self, n: CheckpointId) -> Vec<SinkOut> {
        if self.bugs.commit_only_notified {
            self.state.pending.retain(|c, _| *c >= n);
        }
        self.state.pending.range(..=n).map(|(c, txn)| SinkOut::Commit { txn: *txn, checkpoint: *c }).collect()
    }

    /// The oldest checkpoint after `n` with a pre-committed transaction
    /// pending (what a notification of `n` must leave alone).
    pub fn pending_after(&self, n: CheckpointId) -> Option<CheckpointId> {
        self.state.pending.range(n + 1..).next().map(|(c, _)| *c)
    }

    /// The commit of the transaction pending for `n` is confirmed.
    pub fn on_committed(&mut self, n: CheckpointId) {
        self.state.pending.remove(&n);
    }

    /// Nothing pending up to `n` any more.
    pub fn committed_through(&self, n: CheckpointId) -> bool {
        self.state.pending.range(..=n).next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::msg::Origin;

    fn rec(offset: u64) -> Record {
        Record { key: 1, value: 1, origin: Origin { source: 0, partition: 0, offset }, attempt: 1 }
    }

    #[test]
    fn a_fresh_sink_recovers_nothing_and_writes_to_its_first_transaction() {
        let (mut s, out) = TwoPhaseCommitSink::open(0, 1, 3, None, TransactionBugs::default());
        assert_eq!(out, vec![SinkOut::Recover { commit: vec![] }]);
        let txn = TxnId { sink: 0, subtask: 1, attempt: 3, seq: 0 };
        assert_eq!(s.on_records(vec![rec(0)], Duration::ZERO), vec![], "buffered until a batch gathers");
        let rest: Vec<Record> = (1..BUFFER as u64).map(rec).collect();
        let all: Vec<Record> = (0..BUFFER as u64).map(rec).collect();
        assert_eq!(
            s.on_records(rest, Duration::ZERO),
            vec![SinkOut::Write { txn, records: all }],
            "a full batch leaves"
        );
        assert_eq!(s.on_records(vec![rec(9)], Duration::ZERO), vec![], "the next batch starts");
    }

    #[test]
    fn a_batch_leaves_once_its_first_record_lingered() {
        let (mut s, _) = TwoPhaseCommitSink::open(0, 0, 1, None, TransactionBugs::default());
        assert_eq!(s.linger_until(), None, "nothing batched");
        let ms = Duration::from_millis;
        s.on_records(vec![rec(0)], ms(10));
        s.on_records(vec![rec(1)], ms(12));
        assert_eq!(s.linger_until(), Some(ms(10) + LINGER), "from the first record");
        assert_eq!(s.on_timer(ms(9) + LINGER), None, "not yet");
        let txn = TxnId { sink: 0, subtask: 0, attempt: 1, seq: 0 };
        assert_eq!(s.on_timer(ms(10) + LINGER), Some(SinkOut::Write { txn, records: vec![rec(0), rec(1)] }));
        assert_eq!((s.linger_until(), s.on_timer(ms(99))), (None, None), "sent");
    }

    #[test]
    fn snapshot_pre_commits_and_opens_the_next_transaction_t2() {
        let (mut s, _) = TwoPhaseCommitSink::open(0, 0, 1, None, TransactionBugs::default());
        s.on_records(vec![rec(0), rec(1)], Duration::ZERO);
        let (out, state) = s.on_snapshot(4);
        let t0 = TxnId { sink: 0, subtask: 0, attempt: 1, seq: 0 };
        let write = SinkOut::Write { txn: t0, records: vec![rec(0), rec(1)] };
        assert_eq!(out, vec![write, SinkOut::PreCommit { txn: t0, checkpoint: 4, records: 2 }], "buffer first");
        assert_eq!(state.pending.get(&4), Some(&t0));
        let t1 = TxnId { sink: 0, subtask: 0, attempt: 1, seq: 1 };
        assert_eq!(s.on_records(vec![rec(2)], Duration::ZERO), vec![]);
        assert_eq!(s.on_snapshot(5).0[0], SinkOut::Write { txn: t1, records: vec![rec(2)] });
        let (out, _) = s.on_snapshot(6);
        assert_eq!(
            out,
            vec![SinkOut::PreCommit { txn: TxnId { seq: 2, ..t1 }, checkpoint: 6, records: 0 }],
            "nothing to write"
        );
    }

    #[test]
    fn the_pre_commit_before_last_batch_bug_carries_the_batch_into_the_next_transaction() {
        let bugs = TransactionBugs { pre_commit_before_last_batch: true, ..TransactionBugs::default() };
        let (mut s, _) = TwoPhaseCommitSink::open(0, 0, 1, None, bugs);
        s.on_records(vec![rec(0), rec(1)], Duration::ZERO);
        let (out, _) = s.on_snapshot(4);
        let t0 = TxnId { sink: 0, subtask: 0, attempt: 1, seq: 0 };
        assert_eq!(out, vec![SinkOut::PreCommit { txn: t0, checkpoint: 4, records: 0 }], "no write before it");
        let rest: Vec<Record> = (2..BUFFER as u64).map(rec).collect();
        let t1 = TxnId { seq: 1, ..t0 };
        let all: Vec<Record> = (0..BUFFER as u64).map(rec).collect();
        assert_eq!(
            s.on_records(rest, Duration::ZERO),
            vec![SinkOut::Write { txn: t1, records: all }],
            "4's records in 5's"
        );
        assert_eq!(s.on_snapshot(5).0, vec![SinkOut::PreCommit { txn: t1, checkpoint: 5, records: BUFFER as u64 }]);
    }

    #[test]
    fn notify_commits_every_pending_transaction_up_to_n_in_order_t3_t7() {
        let (mut s, _) = TwoPhaseCommitSink::open(0, 0, 1, None, TransactionBugs::default());
        s.on_snapshot(1);
        s.on_snapshot(2);
        s.on_snapshot(3);
        let out = s.on_notify_complete(2); // notify(2) after snapshot(3): T7
        let ids: Vec<_> = out
            .iter()
            .map(|o| match o {
                SinkOut::Commit { checkpoint, .. } => *checkpoint,
                _ => 0,
            })
            .collect();
        assert_eq!(ids, vec![1, 2]);
        s.on_committed(1);
        assert!(!s.committed_through(2));
        s.on_committed(2);
        assert!(s.committed_through(2) && !s.committed_through(3));
    }

    #[test]
    fn the_commit_only_notified_bug_forgets_older_pending_transactions() {
        let bugs = TransactionBugs { commit_only_notified: true, ..TransactionBugs::default() };
        let (mut s, _) = TwoPhaseCommitSink::open(0, 0, 1, None, bugs);
        s.on_snapshot(1);
        s.on_snapshot(2);
        assert_eq!(s.on_notify_complete(2).len(), 1, "only checkpoint 2's transaction");
        s.on_committed(2);
        assert!(s.committed_through(2), "and checkpoint 1's is forgotten");
    }

    #[test]
    fn restore_commits_the_recorded_pending_transactions_t1() {
        let (mut s, _) = TwoPhaseCommitSink::open(0, 0, 1, None, TransactionBugs::default());
        let (_, state) = s.on_snapshot(5);
        let (_, out) = TwoPhaseCommitSink::open(0, 0, 2, Some(state), TransactionBugs::default());
        assert_eq!(out, vec![SinkOut::Recover { commit: vec![TxnId { sink: 0, subtask: 0, attempt: 1, seq: 0 }] }]);
    }
}
