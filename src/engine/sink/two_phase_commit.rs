//! `sink = "two_phase_commit"`: each subtask writes into a transaction per
//! checkpoint, pre-commits it at the snapshot (T2) and commits every
//! pending one up to `n` on notify-complete (T3); a restore commits the
//! transactions its state names and aborts the rest (T1). Kafka's
//! transactional producer, Flink's `TwoPhaseCommitSinkFunction`.

use super::client::SinkClient;
use super::transactions::{SinkOut, SinkState, TwoPhaseCommitSink};
use super::{committed, decode, encode, recover_removed, Output, SinkKind, SinkWriter};
use crate::engine::msg::{CheckpointId, Record, TaskError};
use crate::engine::outputs::Outputs;
use crate::engine::task::context::TaskCtx;
use futures::future::LocalBoxFuture;

/// The two-phase-commit kind.
pub struct TwoPhaseCommit;

impl SinkKind for TwoPhaseCommit {
    fn output(&self) -> Output {
        Output::Transactional
    }

    fn open_writer<'a>(
        &'a self,
        ctx: &'a TaskCtx,
        restored: Option<Vec<u8>>,
        removed: Vec<(u16, Vec<u8>)>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn SinkWriter>, TaskError>> {
        Box::pin(async move {
            let core = open_core(ctx, restored, removed, false).await?;
            Ok(Box::new(Writer { core }) as Box<dyn SinkWriter>)
        })
    }
}

/// Opens the 2PC core of a writer subtask: recovers the subtasks a
/// scale-down removed and the transactions its restored state names (T1).
/// `hands_off`: a committer sink's writer, whose pre-committed files stay
/// for the committer rather than pending here.
pub(super) async fn open_core(
    ctx: &TaskCtx,
    restored: Option<Vec<u8>>,
    removed: Vec<(u16, Vec<u8>)>,
    hands_off: bool,
) -> Result<TwoPhaseCommitSink, TaskError> {
    recover_removed(ctx, removed, pending, hands_off).await?;
    let state: Option<SinkState> = restored.as_deref().map(decode).transpose()?;
    let (mut core, out) =
        TwoPhaseCommitSink::open(ctx.id.op, ctx.id.subtask, ctx.attempt, state, ctx.env.bugs.transactions);
    core.hands_off = hands_off;
    SinkClient::of(ctx).carry_out(out, 0, hands_off).await?;
    Ok(core)
}

/// Writes a batch into the core's open transaction.
pub(super) fn write_open(core: &mut TwoPhaseCommitSink, ctx: &TaskCtx, batch: Vec<Record>) {
    for out in core.on_records(batch, crate::sim::now()) {
        if let SinkOut::Write { txn, records } = out {
            SinkClient::of(ctx).write(txn, records);
        }
    }
}

/// Sends the core's batch if it lingered long enough.
pub(super) fn write_lingered(core: &mut TwoPhaseCommitSink, ctx: &TaskCtx, now: std::time::Duration) {
    if let Some(SinkOut::Write { txn, records }) = core.on_timer(now) {
        SinkClient::of(ctx).write(txn, records);
    }
}

/// The transactions a 2PC subtask's state lists as pending.
pub(super) fn pending(state: &[u8]) -> Vec<crate::engine::msg::TxnId> {
    decode::<SinkState>(state).map(|s| s.pending.into_values().collect()).unwrap_or_default()
}

struct Writer {
    core: TwoPhaseCommitSink,
}

impl SinkWriter for Writer {
    fn write(&mut self, ctx: &TaskCtx, batch: Vec<Record>) {
        write_open(&mut self.core, ctx, batch)
    }

    fn next_timer(&self) -> Option<std::time::Duration> {
        self.core.linger_until()
    }

    fn on_timer(&mut self, ctx: &TaskCtx, now: std::time::Duration) {
        write_lingered(&mut self.core, ctx, now)
    }

    fn snapshot<'a>(
        &'a mut self,
        ctx: &'a TaskCtx,
        n: CheckpointId,
        _outputs: &'a mut Outputs,
    ) -> LocalBoxFuture<'a, Result<Vec<u8>, TaskError>> {
        Box::pin(async move {
            let (out, state) = self.core.on_snapshot(n);
            SinkClient::of(ctx).carry_out(out, 0, false).await?;
            Ok(encode(&state))
        })
    }

    fn notify_complete<'a>(
        &'a mut self,
        ctx: &'a TaskCtx,
        n: CheckpointId,
    ) -> LocalBoxFuture<'a, Result<(), TaskError>> {
        Box::pin(async move {
            super::newer_pending(ctx, n, self.core.pending_after(n));
            for out in self.core.on_notify_complete(n) {
                if let SinkOut::Commit { checkpoint, .. } = out {
                    SinkClient::of(ctx).carry_out(vec![out], n, false).await?;
                    self.core.on_committed(checkpoint);
                }
            }
            if self.core.committed_through(n) {
                committed(ctx, n);
            }
            Ok(())
        })
    }
}
