//! `commit_on_snapshot`, as a sink: it wraps a correct transactional sink
//! and, at every snapshot, right after the pre-commit, does what only
//! notify-complete may do — commits. Output of a checkpoint that may still
//! fail is visible at once. It takes the place of `two_phase_commit`.

use crate::engine::msg::{CheckpointId, Record, TaskError};
use crate::engine::outputs::Outputs;
use crate::engine::sink::{Output, SinkKind, SinkWriter};
use crate::engine::task::context::TaskCtx;
use crate::scenario::validate::Check;
use crate::scenario::Scenario;
use futures::future::LocalBoxFuture;
use std::sync::Arc;

/// A sink that commits at pre-commit, around the `inner` one.
pub(crate) struct CommitOnSnapshot(pub Arc<dyn SinkKind>);

impl SinkKind for CommitOnSnapshot {
    fn output(&self) -> Output {
        self.0.output()
    }

    fn check(&self, s: &Scenario, i: usize) -> Check {
        self.0.check(s, i)
    }

    fn not_rescalable(&self) -> Option<&'static str> {
        self.0.not_rescalable()
    }

    fn open_writer<'a>(
        &'a self,
        ctx: &'a TaskCtx,
        restored: Option<Vec<u8>>,
        removed: Vec<(u16, Vec<u8>)>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn SinkWriter>, TaskError>> {
        Box::pin(async move {
            let inner = self.0.open_writer(ctx, restored, removed).await?;
            Ok(Box::new(Eager(inner)) as Box<dyn SinkWriter>)
        })
    }
}

struct Eager(Box<dyn SinkWriter>);

impl SinkWriter for Eager {
    fn write(&mut self, ctx: &TaskCtx, batch: Vec<Record>) {
        self.0.write(ctx, batch)
    }

    fn next_timer(&self) -> Option<std::time::Duration> {
        self.0.next_timer()
    }

    fn on_timer(&mut self, ctx: &TaskCtx, now: std::time::Duration) {
        self.0.on_timer(ctx, now)
    }

    fn snapshot<'a>(
        &'a mut self,
        ctx: &'a TaskCtx,
        n: CheckpointId,
        outputs: &'a mut Outputs,
    ) -> LocalBoxFuture<'a, Result<Vec<u8>, TaskError>> {
        Box::pin(async move {
            let state = self.0.snapshot(ctx, n, outputs).await?;
            self.0.notify_complete(ctx, n).await?; // the bug: commit before `n` completes
            Ok(state)
        })
    }

    fn notify_complete<'a>(
        &'a mut self,
        ctx: &'a TaskCtx,
        n: CheckpointId,
    ) -> LocalBoxFuture<'a, Result<(), TaskError>> {
        self.0.notify_complete(ctx, n)
    }
}
