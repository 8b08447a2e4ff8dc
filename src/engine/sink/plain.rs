//! `sink = "plain"`: rows appended and visible at once, flushed at every
//! snapshot; after a failure the rows since the last checkpoint are written
//! again, so the output is at-least-once. Its writer (`AppendWriter`)
//! drives the shared `Appender`; `upsert` writes through it by key.

use super::append::Appender;
use super::client::SinkClient;
use super::{committed, recover_removed, Output, SinkKind, SinkWriter};
use crate::engine::msg::{CheckpointId, Record, TaskError};
use crate::engine::outputs::Outputs;
use crate::engine::task::context::TaskCtx;
use futures::future::LocalBoxFuture;

/// The plain (append) kind.
pub struct Plain;

impl SinkKind for Plain {
    fn output(&self) -> Output {
        Output::Appended
    }

    fn open_writer<'a>(
        &'a self,
        ctx: &'a TaskCtx,
        _restored: Option<Vec<u8>>,
        removed: Vec<(u16, Vec<u8>)>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn SinkWriter>, TaskError>> {
        Box::pin(AppendWriter::open(ctx, removed, false))
    }
}

/// A writer of rows visible at once: appended, or (`upsert`) written by key.
pub(super) struct AppendWriter {
    core: Appender,
    upsert: bool,
}

impl AppendWriter {
    /// Recovers removed subtasks (fencing them), then fences older attempts of this one.
    pub(super) async fn open(
        ctx: &TaskCtx,
        removed: Vec<(u16, Vec<u8>)>,
        upsert: bool,
    ) -> Result<Box<dyn SinkWriter>, TaskError> {
        recover_removed(ctx, removed, |_| vec![], false).await?;
        SinkClient::of(ctx).recover(ctx.id.subtask, vec![], false).await?;
        let core = Appender::new(ctx.id.op, ctx.id.subtask, ctx.attempt, ctx.env.bugs.append);
        Ok(Box::new(AppendWriter { core, upsert }))
    }
}

impl SinkWriter for AppendWriter {
    fn write(&mut self, ctx: &TaskCtx, batch: Vec<Record>) {
        if let Some((txn, rows)) = self.core.on_records(batch) {
            SinkClient::of(ctx).append(txn, rows, self.upsert);
        }
    }

    fn snapshot<'a>(
        &'a mut self,
        ctx: &'a TaskCtx,
        _n: CheckpointId,
        _outputs: &'a mut Outputs,
    ) -> LocalBoxFuture<'a, Result<Vec<u8>, TaskError>> {
        Box::pin(async move {
            let (last, flush) = self.core.on_snapshot();
            if let Some((txn, rows)) = last {
                SinkClient::of(ctx).append(txn, rows, self.upsert);
            }
            if flush {
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
