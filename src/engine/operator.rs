//! The logic of non-source operators: stateless map and filter, keyed
//! aggregates (count, sum, the two-input co-sum) and the two-phase-commit
//! sink, which drives `TwoPhaseCommitSink` against the sink node.

use super::msg::{CheckpointId, Msg, Record, TaskError};
use super::outputs::Outputs;
use super::state::TaskState;
use super::task::TaskCtx;
use super::twopc::{SinkOut, TwoPhaseCommitSink};
use crate::bugs::Bug;
use crate::emit;
use crate::scenario::{Function, OperatorKind};
use std::collections::BTreeMap;

/// A non-source operator with its state.
pub enum Operator {
    /// Map or filter: no state.
    Stateless { func: Function },
    /// Keyed count, sum or co-sum: value per key; emits `(key, new value)` per record.
    Keyed { kind: OperatorKind, values: BTreeMap<u64, i64> },
    /// Exactly-once sink through two-phase commit.
    Sink { twopc: TwoPhaseCommitSink },
}

impl Operator {
    /// Opens the operator from its restored state (the sink recovers its
    /// transactions first, T1).
    pub async fn open(ctx: &TaskCtx, restored: Option<TaskState>) -> Result<Operator, TaskError> {
        let kind = ctx.env.graph.op(ctx.id).kind;
        match (kind, restored) {
            (OperatorKind::Sink, state) => {
                let state = match state {
                    Some(TaskState::Sink(s)) => Some(s),
                    None => None,
                    Some(other) => return Err(TaskError::Other(format!("sink restored with {other:?}"))),
                };
                let commit_on_snapshot = ctx.bug(Bug::CommitOnSnapshot);
                let (mut twopc, out) =
                    TwoPhaseCommitSink::open(ctx.id.op, ctx.id.subtask, ctx.attempt, state, commit_on_snapshot);
                twopc.commit_only_notified = ctx.bug(Bug::CommitOnlyNotified);
                send_all(ctx, out, 0).await?;
                Ok(Operator::Sink { twopc })
            }
            (OperatorKind::Map | OperatorKind::Filter, None | Some(TaskState::Stateless)) => {
                Ok(Operator::Stateless { func: ctx.env.graph.op(ctx.id).func })
            }
            (kind, Some(TaskState::Keyed { values })) if kind.is_keyed() => Ok(Operator::Keyed { kind, values }),
            (kind, None) if kind.is_keyed() => Ok(Operator::Keyed { kind, values: BTreeMap::new() }),
            (kind, other) => Err(TaskError::Other(format!("{kind:?} operator restored with {other:?}"))),
        }
    }

    /// Processes a batch of records that came in on input channel `input`.
    pub fn process(&mut self, ctx: &TaskCtx, input: u16, batch: Vec<Record>, outputs: &mut Outputs) {
        match self {
            Operator::Stateless { func } if func.is_map() => {
                batch.into_iter().for_each(|r| outputs.emit(Record { value: func.map(r.value), ..r }))
            }
            Operator::Stateless { func } => {
                batch.into_iter().filter(|r| func.keeps(r.key, r.value)).for_each(|r| outputs.emit(r))
            }
            Operator::Keyed { kind, values } => {
                let second = *kind == OperatorKind::KeyedCoSum && ctx.env.graph.input_port(ctx.id, input) == 1;
                for r in batch {
                    let v = values.entry(r.key).or_insert(0);
                    *v += match kind {
                        OperatorKind::KeyedCount => 1,
                        _ if second => -r.value,
                        _ => r.value,
                    };
                    outputs.emit(Record { value: *v, ..r });
                }
            }
            Operator::Sink { twopc } => {
                for out in twopc.on_records(batch) {
                    if let SinkOut::Write { txn, records } = out {
                        ctx.env.net.send("sink", Msg::SinkWrite { txn, records });
                    }
                }
            }
        }
    }

    /// The synchronous part of the snapshot of `n` (L12); the sink
    /// pre-commits here, and a failed pre-commit fails the task.
    pub async fn snapshot(&mut self, ctx: &TaskCtx, n: CheckpointId) -> Result<TaskState, TaskError> {
        match self {
            Operator::Stateless { .. } => Ok(TaskState::Stateless),
            Operator::Keyed { values, .. } => Ok(TaskState::Keyed { values: values.clone() }),
            Operator::Sink { twopc } => {
                let (out, state) = twopc.on_snapshot(n);
                send_all(ctx, out, 0).await?;
                Ok(TaskState::Sink(state))
            }
        }
    }

    /// `n` completed: the sink commits its pending transactions (T3) and
    /// tells the coordinator how far its output is committed.
    pub async fn notify_complete(&mut self, ctx: &TaskCtx, n: CheckpointId) -> Result<(), TaskError> {
        let Operator::Sink { twopc } = self else { return Ok(()) };
        for out in twopc.on_notify_complete(n) {
            if let SinkOut::Commit { checkpoint, .. } = out {
                send_all(ctx, vec![out], n).await?;
                twopc.on_committed(checkpoint);
            }
        }
        if twopc.committed_through(n) {
            let msg = Msg::Committed { attempt: ctx.attempt, task: ctx.id, checkpoint: n };
            ctx.env.net.send("coordinator", msg);
        }
        Ok(())
    }
}

/// Carries out sink requests in order, waiting for each reply; commits are
/// for notified checkpoint `notified`.
async fn send_all(ctx: &TaskCtx, outs: Vec<SinkOut>, notified: CheckpointId) -> Result<(), TaskError> {
    let (sink, subtask, fence) = (ctx.id.op, ctx.id.subtask, ctx.attempt);
    let mut pre_commit = None;
    for out in outs {
        let make: Box<dyn FnOnce(u64) -> Msg> = match out {
            SinkOut::Write { txn, records } => {
                ctx.env.net.send("sink", Msg::SinkWrite { txn, records });
                continue;
            }
            SinkOut::Recover { commit } => Box::new(move |req| Msg::SinkRecover { req, sink, subtask, fence, commit }),
            SinkOut::PreCommit { txn, checkpoint, records } => {
                pre_commit = Some((txn, checkpoint, records));
                Box::new(move |req| Msg::SinkPreCommit { req, txn, checkpoint, records })
            }
            SinkOut::Commit { txn, .. } => Box::new(move |req| Msg::SinkCommit { req, txn, fence, notified }),
        };
        match ctx.env.rpc.call("sink", make).await? {
            Msg::SinkReply { result, .. } => {
                result.map_err(|detail| TaskError::Service { service: "sink".into(), detail })?
            }
            other => return Err(TaskError::Other(format!("bad sink reply {other:?}"))),
        }
        if let Some((txn, checkpoint, records)) = pre_commit.take() {
            emit!(
                ctx.env.worker,
                "txn_pre_committed",
                task = ctx.name,
                txn = txn,
                checkpoint = checkpoint,
                records = records
            );
        }
    }
    Ok(())
}
