//! The logic of non-source operators: stateless map and filter, keyed
//! operators (whichever kind the job names, `engine::keyed`), and the
//! sinks — a sink's writer, or its committer, whichever kind of sink it is
//! (`engine::sink`).

use super::keyed::KeyedOperator;
use super::msg::{CheckpointId, Record, TaskError};
use super::outputs::{Emit, Outputs};
use super::sink::{SinkCommitter, SinkKind, SinkWriter};
use super::state::TaskState;
use super::task::context::TaskCtx;
use crate::scenario::{Function, OperatorKind};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A non-source operator with its state.
pub enum Operator {
    /// Map or filter: no state.
    Stateless { func: Function },
    /// A keyed operator: a value per key; emits `(key, new value)` per
    /// record. `union`: its inputs are one stream (every record on port 0).
    Keyed { op: Box<dyn KeyedOperator>, union: bool },
    /// A sink subtask's writer.
    Writer(Box<dyn SinkWriter>),
    /// A sink's committer (for the kinds that commit in a stage of their own).
    Committer(Box<dyn SinkCommitter>),
}

impl Operator {
    /// Opens the operator from its restored state (sinks recover their
    /// transactions first, T1); `removed` holds the states of subtasks a
    /// scale-down removed, for subtask 0 to recover.
    pub async fn open(
        ctx: &TaskCtx,
        sink: Option<Arc<dyn SinkKind>>,
        restored: Option<TaskState>,
        removed: Vec<(u16, TaskState)>,
    ) -> Result<Operator, TaskError> {
        let spec = ctx.graph.op(ctx.id);
        let sink = || sink.clone().ok_or_else(|| TaskError::Other(format!("{}: no kind of sink", spec.id)));
        match (&spec.kind, restored) {
            (OperatorKind::Sink, state) => {
                let removed = removed.into_iter().map(|(subtask, s)| (subtask, sink_bytes(s))).collect();
                let writer = sink()?.open_writer(ctx, state.map(sink_bytes), removed).await?;
                Ok(Operator::Writer(writer))
            }
            (OperatorKind::Committer, state) => {
                Ok(Operator::Committer(sink()?.open_committer(ctx, state.map(sink_bytes)).await?))
            }
            (OperatorKind::Map | OperatorKind::Filter, None | Some(TaskState::Stateless)) => {
                Ok(Operator::Stateless { func: spec.func })
            }
            (OperatorKind::Keyed(_), state @ (None | Some(TaskState::Keyed { .. }))) => {
                let kind =
                    spec.keyed.as_ref().ok_or_else(|| TaskError::Other(format!("{}: no keyed kind", spec.id)))?;
                let values = match state {
                    Some(TaskState::Keyed { values }) => values,
                    _ => BTreeMap::new(),
                };
                Ok(Operator::Keyed { op: kind.kind.open(values), union: kind.kind.ports() == 1 })
            }
            (kind, other) => Err(TaskError::Other(format!("{kind:?} operator restored with {other:?}"))),
        }
    }

    /// Processes a batch of records that came in on the operator's input
    /// `port` (0 = the first it lists); what it emits goes to `outputs` (its
    /// channels, or the operators chained to it).
    /// When a sink writer wants its timer (a lingering batch), if ever.
    pub fn next_timer(&self) -> Option<Duration> {
        match self {
            Operator::Writer(writer) => writer.next_timer(),
            _ => None,
        }
    }

    /// A sink writer's timer came due.
    pub fn on_timer(&mut self, ctx: &TaskCtx, now: Duration) {
        if let Operator::Writer(writer) = self {
            writer.on_timer(ctx, now);
        }
    }

    pub async fn process(
        &mut self,
        ctx: &TaskCtx,
        port: usize,
        batch: Vec<Record>,
        outputs: &mut impl Emit,
    ) -> Result<(), TaskError> {
        match self {
            Operator::Stateless { func } if func.is_map() => {
                batch.into_iter().for_each(|r| outputs.emit(Record { value: func.map(r.value), ..r }))
            }
            Operator::Stateless { func } => {
                batch.into_iter().filter(|r| func.keeps(r.key, r.value)).for_each(|r| outputs.emit(r))
            }
            Operator::Keyed { op, union } => {
                let port = if *union { 0 } else { port };
                for r in batch {
                    let value = op.process(port, r.key, r.value);
                    outputs.emit(Record { value, ..r });
                }
            }
            Operator::Writer(writer) => writer.write(ctx, batch),
            Operator::Committer(committer) => committer.committables(ctx, batch).await?,
        }
        Ok(())
    }

    /// The synchronous part of the snapshot of `n` (L12); a sink's writer
    /// flushes or pre-commits, and a failed request fails the task.
    pub async fn snapshot(
        &mut self,
        ctx: &TaskCtx,
        n: CheckpointId,
        outputs: &mut Outputs,
    ) -> Result<TaskState, TaskError> {
        match self {
            Operator::Stateless { .. } => Ok(TaskState::Stateless),
            Operator::Keyed { op, .. } => Ok(TaskState::Keyed { values: op.snapshot() }),
            Operator::Writer(writer) => Ok(TaskState::Sink(writer.snapshot(ctx, n, outputs).await?)),
            Operator::Committer(committer) => Ok(TaskState::Sink(committer.snapshot(n))),
        }
    }

    /// `n` completed: sinks commit what it covers (T3) and tell the
    /// coordinator how far their output is committed.
    pub async fn notify_complete(&mut self, ctx: &TaskCtx, n: CheckpointId) -> Result<(), TaskError> {
        match self {
            Operator::Writer(writer) => writer.notify_complete(ctx, n).await,
            Operator::Committer(committer) => committer.notify_complete(ctx, n).await,
            Operator::Stateless { .. } | Operator::Keyed { .. } => Ok(()),
        }
    }
}

/// A sink's snapshot state as its bytes (none before its first snapshot).
fn sink_bytes(state: TaskState) -> Vec<u8> {
    match state {
        TaskState::Sink(bytes) => bytes,
        _ => vec![],
    }
}
