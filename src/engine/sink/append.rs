//! What the non-transactional sinks share: a writer that buffers rows,
//! sends them in batches that are visible at once (appended, or upserted
//! by key), and makes them durable at every snapshot (Flink's
//! `SinkWriter.flush`), so a completed checkpoint covers only rows the
//! store holds.

use super::client::SinkClient;
use super::{committed, recover_removed, SinkWriter};
use crate::engine::msg::{CheckpointId, Record, TaskError, TxnId};
use crate::engine::outputs::Outputs;
use crate::engine::task::context::TaskCtx;
use futures::future::LocalBoxFuture;

/// Planted bugs of the appending writers (`bugs.rs` says what each models).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppendBugs {
    /// `sink_no_flush_on_snapshot`: the snapshot does not flush the buffered rows.
    pub no_flush_on_snapshot: bool,
}

/// Rows a writer buffers before it sends them.
const BUFFER: usize = 256;

/// Opens an appending writer: recovers removed subtasks (fencing them), then
/// fences older attempts of this one.
pub async fn open(ctx: &TaskCtx, removed: Vec<(u16, Vec<u8>)>, upsert: bool) -> Result<Box<dyn SinkWriter>, TaskError> {
    recover_removed(ctx, removed, |_| vec![], false).await?;
    SinkClient::of(ctx).recover(ctx.id.subtask, vec![], false).await?;
    Ok(Box::new(Appender { upsert, buffer: vec![], seq: 0 }))
}

/// A plain or upsert writer: rows buffered, sent in batches, flushed at
/// every snapshot.
struct Appender {
    upsert: bool,
    buffer: Vec<Record>,
    /// The next batch's sequence number.
    seq: u64,
}

impl Appender {
    /// Sends the buffered rows as one batch.
    fn send(&mut self, ctx: &TaskCtx) {
        if self.buffer.is_empty() {
            return;
        }
        let txn = TxnId { sink: ctx.id.op, subtask: ctx.id.subtask, attempt: ctx.attempt, seq: self.seq };
        self.seq += 1;
        SinkClient::of(ctx).append(txn, std::mem::take(&mut self.buffer), self.upsert);
    }
}

impl SinkWriter for Appender {
    fn write(&mut self, ctx: &TaskCtx, batch: Vec<Record>) {
        self.buffer.extend(batch);
        if self.buffer.len() >= BUFFER {
            self.send(ctx);
        }
    }

    fn snapshot<'a>(
        &'a mut self,
        ctx: &'a TaskCtx,
        _n: CheckpointId,
        _outputs: &'a mut Outputs,
    ) -> LocalBoxFuture<'a, Result<Vec<u8>, TaskError>> {
        Box::pin(async move {
            if !ctx.env.bugs.append.no_flush_on_snapshot {
                self.send(ctx);
                SinkClient::of(ctx).flush().await?;
            }
            Ok(vec![])
        })
    }

    fn notify_complete<'a>(
        &'a mut self,
        ctx: &'a TaskCtx,
        n: CheckpointId,
    ) -> LocalBoxFuture<'a, Result<(), TaskError>> {
        committed(ctx, n);
        Box::pin(async { Ok(()) })
    }
}
