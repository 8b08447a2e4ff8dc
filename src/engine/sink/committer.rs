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
use super::committables::{Committable, Committer, CommitterState};
use super::transactions::{SinkOut, TwoPhaseCommitSink};
use super::{committed, decode, encode, Output, SinkCommitter, SinkKind, SinkWriter};
use crate::engine::msg::{CheckpointId, Record, TaskError};
use crate::engine::outputs::Outputs;
use crate::engine::task::context::TaskCtx;
use crate::trace::{emit, Event};
use futures::future::LocalBoxFuture;

/// The committer kind.
pub struct CommitterSink;

impl SinkKind for CommitterSink {
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
            let core = super::two_phase_commit::open_core(ctx, restored, removed, true).await?;
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
        super::two_phase_commit::write_open(&mut self.core, ctx, batch)
    }

    fn next_timer(&self) -> Option<std::time::Duration> {
        self.core.linger_until()
    }

    fn on_timer(&mut self, ctx: &TaskCtx, now: std::time::Duration) {
        super::two_phase_commit::write_lingered(&mut self.core, ctx, now)
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
            super::newer_pending(ctx, n, self.core.pending_after(n));
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
