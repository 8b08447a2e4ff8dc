//! `sink = "committer"`: Flink's Sink V2, the shape of Iceberg's and
//! Paimon's sinks. Parallel writers
//! flush their files at each snapshot and send one *committable* per
//! checkpoint downstream — a file reference tagged with the checkpoint it
//! was produced for — to a single committer, which keeps them in its state
//! per checkpoint and commits them once that checkpoint completes,
//! recovering the uncommitted ones on restore.
//!
//! Under unaligned checkpoints a committable for `n` can overtake nothing:
//! the barrier overtakes *it*, so it reaches the committer after the
//! committer's own snapshot of `n` (as channel state). Filing it by its tag
//! keeps it with `n`; filing it by arrival (planted bug
//! `committer_assumes_aligned`) puts it under `n+1`, which is right only
//! when barriers are aligned — the iceberg#15846 shape.

use super::client::SinkClient;
use super::transactions::{SinkOut, SinkState, TwoPhaseCommitSink};
use super::{committed, decode, encode, recover_removed, Output, SinkCommitter, SinkKind, SinkWriter};
use crate::engine::msg::{Attempt, CheckpointId, Origin, Record, TaskError, TxnId};
use crate::engine::outputs::Outputs;
use crate::engine::task::context::TaskCtx;
use crate::trace::{emit, Event};
use futures::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The committer kind.
pub struct CommitterSink;

impl SinkKind for CommitterSink {
    fn name(&self) -> &'static str {
        "committer"
    }

    fn output(&self) -> Output {
        Output::Transactional
    }

    fn has_committer(&self) -> bool {
        true
    }

    /// A file writer: a transaction per checkpoint, flushed at the snapshot
    /// and handed to the committer as a committable; its recovery keeps the
    /// flushed files for the committer.
    fn open_writer<'a>(
        &'a self,
        ctx: &'a TaskCtx,
        restored: Option<Vec<u8>>,
        removed: Vec<(u16, Vec<u8>)>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn SinkWriter>, TaskError>> {
        Box::pin(async move {
            recover_removed(ctx, removed, super::two_phase_commit::pending, true).await?;
            let state: Option<SinkState> = restored.as_deref().map(decode).transpose()?;
            let (mut core, out) =
                TwoPhaseCommitSink::open(ctx.id.op, ctx.id.subtask, ctx.attempt, state, ctx.env.bugs.transactions);
            core.hands_off = true;
            SinkClient::of(ctx).carry_out(out, 0, true).await?;
            Ok(Box::new(FileWriter { core }) as Box<dyn SinkWriter>)
        })
    }

    fn open_committer<'a>(
        &'a self,
        ctx: &'a TaskCtx,
        restored: Option<Vec<u8>>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn SinkCommitter>, TaskError>> {
        Box::pin(async move {
            let restored_id = ctx.restore.as_ref().map_or(0, |r| r.checkpoint);
            let state: Option<CommitterState> = restored.as_deref().map(decode).transpose()?;
            let writer_op = ctx.graph.op(ctx.id).inputs[0];
            let writers = ctx.graph.ops[writer_op as usize].parallelism as u32;
            let restored = state.map(|s| (s, restored_id));
            let (core, now) = Committer::open(writers, restored, ctx.env.bugs.committer);
            commit_files(ctx, &now, restored_id).await?;
            Ok(Box::new(CommitterTask { core, notified: restored_id }) as Box<dyn SinkCommitter>)
        })
    }
}

/// A committer sink's writer.
struct FileWriter {
    core: TwoPhaseCommitSink,
}

impl SinkWriter for FileWriter {
    fn write(&mut self, ctx: &TaskCtx, batch: Vec<Record>) {
        for out in self.core.on_records(batch) {
            if let SinkOut::Write { txn, records } = out {
                SinkClient::of(ctx).write(txn, records);
            }
        }
    }

    /// Flushes the checkpoint's file and sends its committable downstream
    /// (before the barrier).
    fn snapshot<'a>(
        &'a mut self,
        ctx: &'a TaskCtx,
        n: CheckpointId,
        outputs: &'a mut Outputs,
    ) -> LocalBoxFuture<'a, Result<Vec<u8>, TaskError>> {
        Box::pin(async move {
            let (out, state) = self.core.on_snapshot(n);
            let committable = out.iter().find_map(|o| match o {
                SinkOut::PreCommit { txn, checkpoint, records } => {
                    Some(Committable { file: *txn, checkpoint: *checkpoint, records: *records })
                }
                _ => None,
            });
            SinkClient::of(ctx).carry_out(out, 0, true).await?;
            if let Some(c) = committable {
                outputs.emit(c.to_record(ctx.attempt));
            }
            Ok(encode(&state))
        })
    }

    /// The committer commits: nothing to do here.
    fn notify_complete<'a>(
        &'a mut self,
        _ctx: &'a TaskCtx,
        _n: CheckpointId,
    ) -> LocalBoxFuture<'a, Result<(), TaskError>> {
        Box::pin(async { Ok(()) })
    }
}

/// The committer task: the `Committer` core and the highest checkpoint it
/// was notified of.
struct CommitterTask {
    core: Committer,
    notified: CheckpointId,
}

impl SinkCommitter for CommitterTask {
    fn committables<'a>(
        &'a mut self,
        ctx: &'a TaskCtx,
        batch: Vec<Record>,
    ) -> LocalBoxFuture<'a, Result<(), TaskError>> {
        Box::pin(async move {
            let mut due = vec![];
            for r in &batch {
                let c = Committable::from_record(r);
                if c.checkpoint <= self.core.snapshotted() {
                    // Overtaken by its barrier: it belongs to a snapshot already taken.
                    let (task, checkpoint, file) = (ctx.name.clone(), c.checkpoint, c.file);
                    emit(&ctx.env.worker, Event::CommittableAfterSnapshot { task, checkpoint, file });
                }
                due.extend(self.core.on_committable(c));
            }
            commit_files(ctx, &due, self.notified).await?;
            self.report(ctx);
            Ok(())
        })
    }

    fn snapshot(&mut self, n: CheckpointId) -> Vec<u8> {
        encode(&self.core.on_snapshot(n))
    }

    fn notify_complete<'a>(
        &'a mut self,
        ctx: &'a TaskCtx,
        n: CheckpointId,
    ) -> LocalBoxFuture<'a, Result<(), TaskError>> {
        Box::pin(async move {
            self.notified = self.notified.max(n);
            let due = self.core.on_notify_complete(n);
            commit_files(ctx, &due, n).await?;
            self.report(ctx);
            Ok(())
        })
    }
}

impl CommitterTask {
    /// Reports how far the output is committed, once it is through the latest notification.
    fn report(&self, ctx: &TaskCtx) {
        if self.notified > 0 && self.core.committed_through(self.notified) {
            committed(ctx, self.notified);
        }
    }
}

/// Commits a committer sink's files, in order, for notified checkpoint `notified`.
async fn commit_files(ctx: &TaskCtx, files: &[Committable], notified: CheckpointId) -> Result<(), TaskError> {
    let outs = files.iter().map(|c| SinkOut::Commit { txn: c.file, checkpoint: c.checkpoint }).collect();
    SinkClient::of(ctx).carry_out(outs, notified, false).await
}

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
}

/// Planted bugs of the committer (`bugs.rs` says what each models).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitterBugs {
    /// `committer_assumes_aligned`: committables are filed by arrival.
    pub assume_aligned: bool,
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
        let mut c = Committer { writers, state, snapshotted: id, assume_aligned };
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
        self.take_through(n)
    }

    fn take_through(&mut self, n: CheckpointId) -> Vec<Committable> {
        let later = self.state.pending.split_off(&(n + 1));
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
        let (mut k, _) = Committer::open(2, None, CommitterBugs { assume_aligned: true });
        k.on_committable(c(0, 1));
        k.on_snapshot(1);
        k.on_committable(c(1, 1));
        assert_eq!(k.on_notify_complete(1), vec![c(0, 1)], "c(1, 1) waits for checkpoint 2");
        assert!(k.committed_through(1), "and nobody notices");
    }
}
