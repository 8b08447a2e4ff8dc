//! Sinks: where a job's output leaves it, every kind behind one trait
//! (`SinkKind`), one file per kind, shaped like Flink's Sink V2 — a writer
//! per subtask (`SinkWriter`), and, for kinds that commit in a stage of
//! their own, one committer after the writers (`SinkCommitter`).
//!
//! The kinds, listed under their names in `builtins`:
//!
//! - `two_phase_commit` — a transaction per checkpoint, pre-committed at the
//!   snapshot and committed on notify-complete (Kafka-style; T1–T4)
//! - `committer` — writers flush a file per checkpoint and hand it to a
//!   committer that commits it once the checkpoint completes (Iceberg, Paimon)
//! - `plain` — rows appended and visible at once (at-least-once)
//! - `upsert` — rows written into a table by key (an exactly-once effect
//!   without transactions, judged on the final table)
//!
//! What kinds work with: `client` (the external store's client API: every
//! request a sink makes goes through it), and the sans-IO cores:
//! `transactions` (the 2PC core the transactional kinds share),
//! `committables` (the `committer` kind's committer), `append` (the
//! buffered appender the non-transactional kinds share).
//!
//! A sink's state in a snapshot is its own: bytes it encodes and decodes.

pub(crate) mod append;
pub mod client;
pub(crate) mod committables;
pub(crate) mod committer;
pub(crate) mod plain;
pub(crate) mod transactions;
pub(crate) mod two_phase_commit;
pub(crate) mod upsert;

use crate::engine::msg::{CheckpointId, CheckpointMsg, Record, TaskError};
use crate::engine::outputs::Outputs;
use crate::engine::task::context::TaskCtx;
use crate::scenario::validate::Check;
use crate::scenario::Scenario;
use futures::future::LocalBoxFuture;
use std::sync::Arc;

/// How a sink's output is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Committed by checkpoint: exactly-once (at-least-once under an
    /// at-least-once protocol).
    Transactional,
    /// Visible as soon as written: at-least-once.
    Appended,
    /// An upsert table, judged on its final content.
    Table,
}

/// A kind of sink, by the name a file gives as `sink = "…"`.
pub trait SinkKind: Send + Sync {
    /// How its output is judged.
    fn output(&self) -> Output;

    /// Whether it commits in a committer of its own, one task after the
    /// writers (Sink V2); the writers then report no commits.
    fn has_committer(&self) -> bool {
        false
    }

    /// Checks the sink operator `i` of `s` against what this kind needs.
    fn check(&self, _s: &Scenario, _i: usize) -> Check {
        Ok(())
    }

    /// Why it cannot be rescaled, if it cannot.
    fn not_rescalable(&self) -> Option<&'static str> {
        None
    }

    /// Opens a writer subtask from its restored state, recovering first
    /// (T1) — and, after a scale-down, the subtasks that no longer exist.
    fn open_writer<'a>(
        &'a self,
        ctx: &'a TaskCtx,
        restored: Option<Vec<u8>>,
        removed: Vec<(u16, Vec<u8>)>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn SinkWriter>, TaskError>>;

    /// Opens the committer from its restored state (kinds with a committer).
    fn open_committer<'a>(
        &'a self,
        _ctx: &'a TaskCtx,
        _restored: Option<Vec<u8>>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn SinkCommitter>, TaskError>> {
        Box::pin(async { Err(TaskError::Other("this kind of sink has no committer".into())) })
    }
}

/// One sink subtask's writer.
pub trait SinkWriter {
    /// Records to write.
    fn write(&mut self, ctx: &TaskCtx, batch: Vec<Record>);

    /// The synchronous part of the snapshot of `n` (L12): flush or
    /// pre-commit what was written, send committables downstream, and
    /// return the state to checkpoint.
    fn snapshot<'a>(
        &'a mut self,
        ctx: &'a TaskCtx,
        n: CheckpointId,
        outputs: &'a mut Outputs,
    ) -> LocalBoxFuture<'a, Result<Vec<u8>, TaskError>>;

    /// `n` completed: commit what it covers (T3), report how far the
    /// output is committed.
    fn notify_complete<'a>(
        &'a mut self,
        ctx: &'a TaskCtx,
        n: CheckpointId,
    ) -> LocalBoxFuture<'a, Result<(), TaskError>>;

    /// When the writer wants `on_timer` called (a batch that may not wait
    /// longer), if ever. The default: never.
    fn next_timer(&self) -> Option<std::time::Duration> {
        None
    }

    /// The time `next_timer` asked for has come (simulated time `now`).
    fn on_timer(&mut self, _ctx: &TaskCtx, _now: std::time::Duration) {}
}

/// A sink's committer (Sink V2's committing stage).
pub trait SinkCommitter {
    /// Committables that came from the writers.
    fn committables<'a>(
        &'a mut self,
        ctx: &'a TaskCtx,
        batch: Vec<Record>,
    ) -> LocalBoxFuture<'a, Result<(), TaskError>>;

    /// The state to checkpoint at `n`.
    fn snapshot(&mut self, n: CheckpointId) -> Vec<u8>;

    /// `n` completed: commit what it covers, report how far it committed.
    fn notify_complete<'a>(
        &'a mut self,
        ctx: &'a TaskCtx,
        n: CheckpointId,
    ) -> LocalBoxFuture<'a, Result<(), TaskError>>;
}

/// The built-in kinds of sink, under the names files give them (what
/// `Registry::builtin` registers).
pub(crate) fn builtins() -> Vec<(&'static str, Arc<dyn SinkKind>)> {
    vec![
        ("two_phase_commit", Arc::new(two_phase_commit::TwoPhaseCommit)),
        ("upsert", Arc::new(upsert::Upsert)),
        ("plain", Arc::new(plain::Plain)),
        ("committer", Arc::new(committer::CommitterSink)),
    ]
}

/// A sink state as bytes.
pub fn encode<T: serde::Serialize>(state: &T) -> Vec<u8> {
    bincode::serialize(state).expect("sink state serializes")
}

/// A sink state from bytes.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, TaskError> {
    bincode::deserialize(bytes).map_err(|e| TaskError::Other(format!("undecodable sink state: {e}")))
}

/// Tells the coordinator the subtask committed its output through `n`.
pub fn committed(ctx: &TaskCtx, n: CheckpointId) {
    let msg = CheckpointMsg::Committed { attempt: ctx.attempt, task: ctx.id, checkpoint: n };
    let msg = crate::engine::msg::Msg::Checkpoint(msg);
    ctx.env.net.send("coordinator", msg);
}

/// Traces that a notification of `n` reached a sink task holding a
/// transaction or committable of a newer checkpoint, `newer`.
pub fn newer_pending(ctx: &TaskCtx, n: CheckpointId, newer: Option<CheckpointId>) {
    if let Some(newer) = newer {
        let task = ctx.name.clone();
        crate::trace::emit(&ctx.env.worker, crate::trace::Event::NewerCheckpointPending { task, checkpoint: n, newer });
    }
}

/// After a scale-down, subtask 0 recovers the sink subtasks that no longer
/// exist: fences them, commits the transactions their state lists as
/// pending (`pending`, T1), aborts the rest (`keep_pre_committed`: a
/// committer sink's flushed files stay for the committer).
pub async fn recover_removed(
    ctx: &TaskCtx,
    removed: Vec<(u16, Vec<u8>)>,
    pending: fn(&[u8]) -> Vec<crate::engine::msg::TxnId>,
    keep_pre_committed: bool,
) -> Result<(), TaskError> {
    for (subtask, state) in removed {
        // Planted bug `removed_pending_aborted`: the removed subtask's pending transactions are aborted.
        let commit = if ctx.env.bugs.rescale.aborts_removed_pending { vec![] } else { pending(&state) };
        client::SinkClient::of(ctx).recover(subtask, commit, keep_pre_committed).await?;
        let task = ctx.name.clone();
        crate::trace::emit(&ctx.env.worker, crate::trace::Event::SinkSubtaskRecovered { task, subtask });
    }
    Ok(())
}
