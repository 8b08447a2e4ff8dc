//! The logic of non-source operators: stateless map and filter, keyed
//! aggregates (count, sum, the two-input co-sum), and the sinks — the
//! two-phase-commit sink (driving `TwoPhaseCommitSink`), a committer sink's
//! file writers and committer (`Committer`), and the plain and upsert
//! writers — each against the sink node.

use super::committer::{Committable, Committer};
use super::msg::{CheckpointId, Msg, Record, TaskError, TxnId};
use super::outputs::Outputs;
use super::state::TaskState;
use super::task::context::TaskCtx;
use super::twopc::{SinkOut, TwoPhaseCommitSink};
use crate::bugs::Bug;
use crate::scenario::{Function, OperatorKind, SinkKind};
use crate::trace::{emit, Event};
use std::collections::BTreeMap;

/// Rows a plain or upsert writer buffers before it sends them.
const APPEND_BUFFER: usize = 256;

/// A non-source operator with its state.
pub enum Operator {
    /// Map or filter: no state.
    Stateless { func: Function },
    /// Keyed count, sum or co-sum: value per key; emits `(key, new value)` per record.
    Keyed { kind: OperatorKind, values: BTreeMap<u64, i64> },
    /// Exactly-once sink through two-phase commit.
    Sink { twopc: TwoPhaseCommitSink },
    /// A committer sink's writer: a file per checkpoint, flushed at the
    /// snapshot and handed to the committer as a committable.
    FileWriter { twopc: TwoPhaseCommitSink },
    /// A committer sink's committer.
    Committer { core: Committer, notified: CheckpointId },
    /// A plain (append) or upsert writer: rows buffered, sent in batches,
    /// flushed at every snapshot.
    Appender { upsert: bool, buffer: Vec<Record>, seq: u64 },
}

impl Operator {
    /// Opens the operator from its restored state (sinks recover their
    /// transactions first, T1).
    pub async fn open(
        ctx: &TaskCtx,
        restored: Option<TaskState>,
        removed: Vec<(u16, TaskState)>,
    ) -> Result<Operator, TaskError> {
        let spec = ctx.graph.op(ctx.id);
        if spec.kind == OperatorKind::Sink {
            recover_removed(ctx, removed, spec.sink == SinkKind::Committer).await?;
        }
        match (spec.kind, restored) {
            (OperatorKind::Sink, state) if matches!(spec.sink, SinkKind::TwoPhaseCommit | SinkKind::Committer) => {
                let state = match state {
                    Some(TaskState::Sink(s)) => Some(s),
                    None => None,
                    Some(other) => return Err(TaskError::Other(format!("sink restored with {other:?}"))),
                };
                let commit_on_snapshot = ctx.bug(Bug::CommitOnSnapshot);
                let (mut twopc, out) =
                    TwoPhaseCommitSink::open(ctx.id.op, ctx.id.subtask, ctx.attempt, state, commit_on_snapshot);
                twopc.commit_only_notified = ctx.bug(Bug::CommitOnlyNotified);
                let writer = spec.sink == SinkKind::Committer;
                twopc.hands_off = writer;
                send_all(ctx, out, 0, writer).await?;
                Ok(if writer { Operator::FileWriter { twopc } } else { Operator::Sink { twopc } })
            }
            (OperatorKind::Sink, None | Some(TaskState::Stateless)) => {
                // Fence older attempts of this writer.
                send_all(ctx, vec![SinkOut::Recover { commit: vec![] }], 0, false).await?;
                Ok(Operator::Appender { upsert: spec.sink == SinkKind::Upsert, buffer: vec![], seq: 0 })
            }
            (OperatorKind::Committer, state) => {
                let restored = match (state, &ctx.restore) {
                    (Some(TaskState::Committer(s)), Some(r)) => Some((s, r.checkpoint)),
                    (None, _) => None,
                    (other, _) => return Err(TaskError::Other(format!("committer restored with {other:?}"))),
                };
                let writers = ctx.graph.ops[spec.inputs[0] as usize].parallelism as u32;
                let (core, now) = Committer::open(writers, restored, ctx.bug(Bug::CommitterAssumesAligned));
                let restored_id = ctx.restore.as_ref().map_or(0, |r| r.checkpoint);
                commit_files(ctx, &now, restored_id).await?;
                Ok(Operator::Committer { core, notified: restored_id })
            }
            (OperatorKind::Map | OperatorKind::Filter, None | Some(TaskState::Stateless)) => {
                Ok(Operator::Stateless { func: spec.func })
            }
            (kind, Some(TaskState::Keyed { values })) if kind.is_keyed() => Ok(Operator::Keyed { kind, values }),
            (kind, None) if kind.is_keyed() => Ok(Operator::Keyed { kind, values: BTreeMap::new() }),
            (kind, other) => Err(TaskError::Other(format!("{kind:?} operator restored with {other:?}"))),
        }
    }

    /// Processes a batch of records that came in on the operator's input
    /// `port` (0 = the first it lists).
    pub async fn process(
        &mut self,
        ctx: &TaskCtx,
        port: usize,
        batch: Vec<Record>,
        outputs: &mut Outputs,
    ) -> Result<(), TaskError> {
        match self {
            Operator::Stateless { func } if func.is_map() => {
                batch.into_iter().for_each(|r| outputs.emit(Record { value: func.map(r.value), ..r }))
            }
            Operator::Stateless { func } => {
                batch.into_iter().filter(|r| func.keeps(r.key, r.value)).for_each(|r| outputs.emit(r))
            }
            Operator::Keyed { kind, values } => {
                let second = *kind == OperatorKind::KeyedCoSum && port == 1;
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
            Operator::Sink { twopc } | Operator::FileWriter { twopc } => {
                for out in twopc.on_records(batch) {
                    if let SinkOut::Write { txn, records } = out {
                        ctx.env.net.send("sink", Msg::SinkWrite { txn, records });
                    }
                }
            }
            Operator::Appender { upsert, buffer, seq } => {
                buffer.extend(batch);
                if buffer.len() >= APPEND_BUFFER {
                    send_appends(ctx, *upsert, buffer, seq);
                }
            }
            Operator::Committer { core, notified } => {
                let mut due = vec![];
                for r in &batch {
                    let c = Committable::from_record(r);
                    if c.checkpoint <= core.snapshotted() {
                        // Overtaken by its barrier: it belongs to a snapshot already taken.
                        emit(
                            &ctx.env.worker,
                            Event::CommittableAfterSnapshot {
                                task: ctx.name.clone(),
                                checkpoint: c.checkpoint,
                                file: c.file,
                            },
                        );
                    }
                    due.extend(core.on_committable(c));
                }
                commit_files(ctx, &due, *notified).await?;
                report_committed(ctx, core, *notified);
            }
        }
        Ok(())
    }

    /// The synchronous part of the snapshot of `n` (L12): the 2PC sink
    /// pre-commits, a file writer flushes its file and sends the committable
    /// downstream (before the barrier), a plain or upsert writer flushes; a
    /// failed request fails the task.
    pub async fn snapshot(
        &mut self,
        ctx: &TaskCtx,
        n: CheckpointId,
        outputs: &mut Outputs,
    ) -> Result<TaskState, TaskError> {
        match self {
            Operator::Stateless { .. } => Ok(TaskState::Stateless),
            Operator::Keyed { values, .. } => Ok(TaskState::Keyed { values: values.clone() }),
            Operator::Sink { twopc } => {
                let (out, state) = twopc.on_snapshot(n);
                send_all(ctx, out, 0, false).await?;
                Ok(TaskState::Sink(state))
            }
            Operator::FileWriter { twopc } => {
                let (out, state) = twopc.on_snapshot(n);
                let committable = out.iter().find_map(|o| match o {
                    SinkOut::PreCommit { txn, checkpoint, records } => {
                        Some(Committable { file: *txn, checkpoint: *checkpoint, records: *records })
                    }
                    _ => None,
                });
                send_all(ctx, out, 0, true).await?;
                if let Some(c) = committable {
                    outputs.emit(c.to_record(ctx.attempt));
                }
                Ok(TaskState::Sink(state))
            }
            Operator::Appender { upsert, buffer, seq } => {
                if !ctx.bug(Bug::SinkNoFlushOnSnapshot) {
                    send_appends(ctx, *upsert, buffer, seq);
                    let (sink, subtask, fence) = (ctx.id.op, ctx.id.subtask, ctx.attempt);
                    expect_ok(ctx.env.rpc.call("sink", |req| Msg::SinkFlush { req, sink, subtask, fence }).await?)?;
                }
                Ok(TaskState::Stateless)
            }
            Operator::Committer { core, .. } => Ok(TaskState::Committer(core.on_snapshot(n))),
        }
    }

    /// `n` completed: sinks commit what it covers (T3) and tell the
    /// coordinator how far their output is committed.
    pub async fn notify_complete(&mut self, ctx: &TaskCtx, n: CheckpointId) -> Result<(), TaskError> {
        match self {
            Operator::Sink { twopc } => {
                for out in twopc.on_notify_complete(n) {
                    if let SinkOut::Commit { checkpoint, .. } = out {
                        send_all(ctx, vec![out], n, false).await?;
                        twopc.on_committed(checkpoint);
                    }
                }
                if twopc.committed_through(n) {
                    committed(ctx, n);
                }
            }
            Operator::Committer { core, notified } => {
                *notified = (*notified).max(n);
                let due = core.on_notify_complete(n);
                commit_files(ctx, &due, n).await?;
                report_committed(ctx, core, *notified);
            }
            Operator::Appender { .. } => committed(ctx, n),
            _ => {}
        }
        Ok(())
    }
}

/// After a rescale down, subtask 0 recovers the sink subtasks that no
/// longer exist: fences them, commits the transactions their state lists as
/// pending (T1), aborts the rest (a committer sink's flushed files stay for
/// the committer).
async fn recover_removed(ctx: &TaskCtx, removed: Vec<(u16, TaskState)>, writer: bool) -> Result<(), TaskError> {
    for (subtask, state) in removed {
        let commit: Vec<TxnId> = match state {
            TaskState::Sink(s) => s.pending.into_values().collect(),
            _ => vec![],
        };
        let (sink, fence) = (ctx.id.op, ctx.attempt);
        let make = move |req| Msg::SinkRecover { req, sink, subtask, fence, commit, keep_pre_committed: writer };
        expect_ok(ctx.env.rpc.call("sink", make).await?)?;
        emit(&ctx.env.worker, Event::SinkSubtaskRecovered { task: ctx.name.clone(), subtask });
    }
    Ok(())
}

fn committed(ctx: &TaskCtx, n: CheckpointId) {
    let msg = Msg::Committed { attempt: ctx.attempt, task: ctx.id, checkpoint: n };
    ctx.env.net.send("coordinator", msg);
}

fn report_committed(ctx: &TaskCtx, core: &Committer, notified: CheckpointId) {
    if notified > 0 && core.committed_through(notified) {
        committed(ctx, notified);
    }
}

/// Commits a committer sink's files, in order.
async fn commit_files(ctx: &TaskCtx, files: &[Committable], notified: CheckpointId) -> Result<(), TaskError> {
    let outs = files.iter().map(|c| SinkOut::Commit { txn: c.file, checkpoint: c.checkpoint }).collect();
    send_all(ctx, outs, notified, false).await
}

/// Sends a plain or upsert writer's buffered rows as one batch.
fn send_appends(ctx: &TaskCtx, upsert: bool, buffer: &mut Vec<Record>, seq: &mut u64) {
    if buffer.is_empty() {
        return;
    }
    let txn = TxnId { sink: ctx.id.op, subtask: ctx.id.subtask, attempt: ctx.attempt, seq: *seq };
    *seq += 1;
    ctx.env.net.send("sink", Msg::SinkAppend { txn, records: std::mem::take(buffer), upsert });
}

fn expect_ok(reply: Msg) -> Result<(), TaskError> {
    match reply {
        Msg::SinkReply { result, .. } => result.map_err(|detail| TaskError::Service { service: "sink".into(), detail }),
        other => Err(TaskError::Other(format!("bad sink reply {other:?}"))),
    }
}

/// Carries out sink requests in order, waiting for each reply; commits are
/// for notified checkpoint `notified`; a file writer's recovery keeps its
/// flushed files for the committer.
async fn send_all(ctx: &TaskCtx, outs: Vec<SinkOut>, notified: CheckpointId, writer: bool) -> Result<(), TaskError> {
    let (sink, subtask, fence) = (ctx.id.op, ctx.id.subtask, ctx.attempt);
    let mut pre_commit = None;
    for out in outs {
        let make: Box<dyn FnOnce(u64) -> Msg> = match out {
            SinkOut::Write { txn, records } => {
                ctx.env.net.send("sink", Msg::SinkWrite { txn, records });
                continue;
            }
            SinkOut::Recover { commit } => {
                Box::new(move |req| Msg::SinkRecover { req, sink, subtask, fence, commit, keep_pre_committed: writer })
            }
            SinkOut::PreCommit { txn, checkpoint, records } => {
                pre_commit = Some((txn, checkpoint, records));
                Box::new(move |req| Msg::SinkPreCommit { req, txn, checkpoint, records })
            }
            SinkOut::Commit { txn, .. } => Box::new(move |req| Msg::SinkCommit { req, txn, fence, notified }),
        };
        expect_ok(ctx.env.rpc.call("sink", make).await?)?;
        if let Some((txn, checkpoint, records)) = pre_commit.take() {
            emit(&ctx.env.worker, Event::TxnPreCommitted { task: ctx.name.clone(), txn, checkpoint, records });
        }
    }
    Ok(())
}
