//! `Committer`: the committing half of the `committer` sink, sans-IO, and
//! the committables the writers hand it. It files each committable under
//! the checkpoint it was produced for (its tag), keeps them in its state,
//! and hands back the ones due once their checkpoint completes — or, on
//! restore, the ones the restored checkpoint already covers.

use crate::engine::msg::{Attempt, CheckpointId, Origin, Record, TxnId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A writer's flushed file for a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Committable {
    pub file: TxnId,
    pub checkpoint: CheckpointId,
    pub records: u64,
}

/// Attempts fit in the top bits of an origin offset (file sequence numbers
/// stay far below 2^40).
const ATTEMPT_SHIFT: u32 = 40;

impl Committable {
    /// Committables travel on data channels as records: key = checkpoint,
    /// value = record count, origin = the file (writer operator, subtask,
    /// attempt and sequence).
    pub fn to_record(self, attempt: Attempt) -> Record {
        let f = self.file;
        let origin =
            Origin { source: f.sink, partition: u32::from(f.subtask), offset: f.seq | (f.attempt << ATTEMPT_SHIFT) };
        Record { key: self.checkpoint, value: self.records as i64, origin, attempt }
    }

    pub fn from_record(r: &Record) -> Committable {
        let o = r.origin;
        let file = TxnId {
            sink: o.source,
            subtask: o.partition as u16,
            attempt: o.offset >> ATTEMPT_SHIFT,
            seq: o.offset & ((1 << ATTEMPT_SHIFT) - 1),
        };
        Committable { file, checkpoint: r.key, records: r.value as u64 }
    }
}

/// What the committer checkpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitterState {
    /// Committables waiting for their checkpoint to complete, by checkpoint.
    pub pending: BTreeMap<CheckpointId, Vec<Committable>>,
    /// Committables received per tag (each writer sends one per checkpoint).
    pub received: BTreeMap<CheckpointId, u32>,
    /// The highest checkpoint known complete.
    pub completed: CheckpointId,
}

#[derive(Debug, Clone)]
pub struct Committer {
    writers: u32,
    state: CommitterState,
    snapshotted: CheckpointId,
    assume_aligned: bool,
    commits_newer: bool,
}

/// Planted bugs of the committer (`bugs` says what each models).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitterBugs {
    /// `committer_assumes_aligned`: committables are filed by arrival.
    pub assume_aligned: bool,
    /// `committer_commits_newer`: a notification commits every committable filed, newer checkpoints' too.
    pub commits_newer: bool,
}

impl Committer {
    /// Opens with the restored state of checkpoint `restored` (complete by
    /// definition); answers what must be committed now.
    pub fn open(
        writers: u32,
        restored: Option<(CommitterState, CheckpointId)>,
        bugs: CommitterBugs,
    ) -> (Committer, Vec<Committable>) {
        let assume_aligned = bugs.assume_aligned;
        let (mut state, id) = restored.unwrap_or_default();
        state.completed = state.completed.max(id);
        let mut c = Committer { writers, state, snapshotted: id, assume_aligned, commits_newer: bugs.commits_newer };
        let now = c.take_through(c.state.completed);
        (c, now)
    }

    /// A committable arrived; answers it if its checkpoint is complete already.
    pub fn on_committable(&mut self, c: Committable) -> Vec<Committable> {
        *self.state.received.entry(c.checkpoint).or_default() += 1;
        let tag = if self.assume_aligned { self.snapshotted + 1 } else { c.checkpoint };
        if tag <= self.state.completed {
            return vec![c];
        }
        self.state.pending.entry(tag).or_default().push(c);
        vec![]
    }

    /// The last checkpoint the committer snapshotted.
    pub fn snapshotted(&self) -> CheckpointId {
        self.snapshotted
    }

    pub fn on_snapshot(&mut self, n: CheckpointId) -> CommitterState {
        self.snapshotted = n;
        self.state.clone()
    }

    /// `n` completed: everything filed up to `n` is to be committed (T3).
    pub fn on_notify_complete(&mut self, n: CheckpointId) -> Vec<Committable> {
        self.state.completed = self.state.completed.max(n);
        // Planted bug `committer_commits_newer`: what is filed under newer checkpoints goes too.
        let through = if self.commits_newer { CheckpointId::MAX } else { n };
        self.take_through(through)
    }

    /// The oldest checkpoint after `n` with committables filed (what a
    /// notification of `n` must leave alone).
    pub fn pending_after(&self, n: CheckpointId) -> Option<CheckpointId> {
        self.state.pending.range(n + 1..).next().map(|(c, _)| *c)
    }

    fn take_through(&mut self, n: CheckpointId) -> Vec<Committable> {
        let later = n.checked_add(1).map(|m| self.state.pending.split_off(&m)).unwrap_or_default();
        let due = std::mem::replace(&mut self.state.pending, later);
        due.into_values().flatten().collect()
    }

    /// Everything produced for checkpoints up to `n` arrived and is committed.
    pub fn committed_through(&self, n: CheckpointId) -> bool {
        let all_in = self.assume_aligned || self.state.received.get(&n).copied().unwrap_or(0) >= self.writers;
        all_in && self.state.pending.range(..=n).next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(subtask: u16, seq: u64) -> TxnId {
        TxnId { sink: 2, subtask, attempt: 3, seq }
    }

    fn c(subtask: u16, n: CheckpointId) -> Committable {
        Committable { file: file(subtask, n), checkpoint: n, records: 5 }
    }

    #[test]
    fn a_committable_travels_as_a_record_and_back() {
        let x = Committable { file: TxnId { sink: 4, subtask: 1, attempt: 7, seq: 12 }, checkpoint: 9, records: 33 };
        assert_eq!(Committable::from_record(&x.to_record(8)), x);
    }

    #[test]
    fn committables_are_committed_when_their_checkpoint_completes() {
        let (mut k, now) = Committer::open(2, None, CommitterBugs::default());
        assert!(now.is_empty());
        assert_eq!(k.on_committable(c(0, 1)), vec![]);
        k.on_snapshot(1);
        // Unaligned: the other writer's committable for 1 arrives after the snapshot.
        assert_eq!(k.on_committable(c(1, 1)), vec![]);
        assert!(!k.committed_through(1));
        assert_eq!(k.on_notify_complete(1), vec![c(0, 1), c(1, 1)]);
        assert!(k.committed_through(1));
    }

    #[test]
    fn a_committable_of_a_completed_checkpoint_is_committed_on_arrival() {
        let state = CommitterState { pending: [(4, vec![c(0, 4)])].into(), received: [(4, 1)].into(), completed: 3 };
        let (mut k, now) = Committer::open(2, Some((state, 4)), CommitterBugs::default());
        assert_eq!(now, vec![c(0, 4)], "the restored checkpoint is complete");
        assert_eq!(k.on_committable(c(1, 4)), vec![c(1, 4)], "replayed channel state");
        assert!(k.committed_through(4));
    }

    #[test]
    fn the_aligned_assumption_files_a_late_committable_under_the_next_checkpoint() {
        let (mut k, _) = Committer::open(2, None, CommitterBugs { assume_aligned: true, ..Default::default() });
        k.on_committable(c(0, 1));
        k.on_snapshot(1);
        k.on_committable(c(1, 1));
        assert_eq!(k.on_notify_complete(1), vec![c(0, 1)], "c(1, 1) waits for checkpoint 2");
        assert!(k.committed_through(1), "and nobody notices");
    }

    #[test]
    fn a_notification_leaves_newer_checkpoints_committables_filed() {
        let (mut k, _) = Committer::open(1, None, CommitterBugs::default());
        k.on_committable(c(0, 1));
        k.on_committable(c(0, 2));
        assert_eq!(k.pending_after(1), Some(2));
        assert_eq!(k.on_notify_complete(1), vec![c(0, 1)], "checkpoint 2 has not completed");
        assert_eq!(k.on_notify_complete(2), vec![c(0, 2)]);
        assert_eq!(k.pending_after(2), None);
    }

    #[test]
    fn the_commits_newer_bug_commits_a_newer_checkpoints_committables_early() {
        let (mut k, _) = Committer::open(1, None, CommitterBugs { commits_newer: true, ..Default::default() });
        k.on_committable(c(0, 1));
        k.on_committable(c(0, 2));
        assert_eq!(k.on_notify_complete(1), vec![c(0, 1), c(0, 2)]);
    }
}
