//! A source subtask: reads its log partitions in fetch-sized batches, keeps
//! the next offset per partition as its state, and on a trigger emits barrier
//! `n` behind every record it already emitted (L4). After its partitions end
//! it sends end-of-data but stays up to take part in checkpoints, so the
//! final checkpoint covers everything (Flink's FLIP-147).

use super::chain::{Chain, Opened};
use super::context::TaskCtx;
use crate::engine::graph::ExecutionGraph;
use crate::engine::msg::{CheckpointMsg, DataMsg, LogMsg, Msg, Origin, Record, TaskError, TaskInput};
use crate::engine::outputs::BarrierMode;
use crate::engine::sink::SinkKind;
use crate::engine::state::TaskState;
use crate::sim::alarm::Alarm;
use crate::trace::{emit, Event};
use futures::channel::mpsc::UnboundedReceiver;
use futures::{FutureExt, StreamExt};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

struct SourceTask {
    ctx: Rc<TaskCtx>,
    /// Next offset per partition.
    offsets: BTreeMap<u32, u64>,
    /// Records per partition.
    ends: BTreeMap<u32, u64>,
    /// The source and the operators chained to it.
    chain: Chain,
    next_partition: usize,
    finished: bool,
}

/// `ctxs` and `sinks`: the chain's members, the source first.
pub(super) async fn run(
    ctxs: Vec<Rc<TaskCtx>>,
    sinks: Vec<Option<Arc<dyn SinkKind>>>,
    mut inbox: UnboundedReceiver<TaskInput>,
) -> Result<(), TaskError> {
    let ctx = ctxs[0].clone();
    let graph = ctx.graph.clone();
    let op = graph.op(ctx.id);
    let partitions = graph.partitions_of(op, ctx.id.subtask);
    let ends = partitions.iter().map(|p| (*p, ExecutionGraph::records_in(op, *p))).collect();
    let mut offsets: BTreeMap<u32, u64> = partitions.iter().map(|p| (*p, 0)).collect();
    let Opened { mut chain, source_state, channels } = Chain::open(ctxs, sinks).await?;
    match source_state {
        Some(TaskState::Source { offsets: restored }) if restored.keys().ne(offsets.keys()) => {
            let detail =
                format!("restored offsets name partitions {:?}, but it reads {:?}", restored.keys(), offsets.keys());
            return Err(TaskError::Other(detail));
        }
        Some(TaskState::Source { offsets: restored }) if !ctx.env.bugs.task.no_offset_restore => offsets = restored,
        Some(TaskState::Source { .. }) | None => {}
        Some(other) => return Err(TaskError::Other(format!("source restored with {other:?}"))),
    }
    // Records an overtaking barrier left behind are sent again first (L10).
    chain.replay(channels).await?;
    let mut task = SourceTask { ctx, offsets, ends, chain, next_partition: 0, finished: false };
    let mut alarm = Alarm::default();
    loop {
        // Control messages are handled between fetches, like Flink's mailbox.
        loop {
            match inbox.try_recv() {
                Ok(msg) => task.on_control(msg).await?,
                Err(e) if e.is_closed() => return Ok(()),
                Err(_) => break,
            }
        }
        // Timers that came due while it was reading (a chained writer's
        // lingering batch, a held snapshot's deadline).
        let now = crate::sim::now();
        if task.chain.next_timer().is_some_and(|at| at <= now) {
            task.chain.on_timer(now);
        }
        // Backpressured (an output queue is full), it reads nothing until
        // credit comes; with every partition read, it waits for the mailbox.
        if task.chain.blocked() || !task.fetch_next().await? {
            let sleep = alarm.until_maybe(task.chain.next_timer());
            futures::select_biased! {
                msg = inbox.next() => match msg {
                    Some(msg) => task.on_control(msg).await?,
                    None => return Ok(()),
                },
                _ = std::pin::pin!(sleep.fuse()) => task.chain.on_timer(crate::sim::now()),
            }
        }
    }
}

impl SourceTask {
    /// Reads and emits one batch; false when every partition is done.
    async fn fetch_next(&mut self) -> Result<bool, TaskError> {
        let open: Vec<u32> = self.offsets.iter().filter(|(p, o)| **o < self.ends[p]).map(|(p, _)| *p).collect();
        if open.is_empty() {
            if !self.finished {
                self.finished = true;
                self.chain.end_of_data();
                emit(
                    &self.ctx.env.worker,
                    Event::SourceFinished { task: self.ctx.name.clone(), attempt: self.ctx.attempt },
                );
            }
            return Ok(false);
        }
        let partition = open[self.next_partition % open.len()];
        self.next_partition += 1;
        let offset = self.offsets[&partition];
        let op = self.ctx.graph.op(self.ctx.id);
        let (source, max) = (op.index, op.fetch_size);
        let fetch = |req| Msg::Log(LogMsg::Fetch { req, source, partition, offset, max });
        let Msg::Log(LogMsg::Records { records, .. }) = self.ctx.env.rpc.call("log", fetch).await? else {
            return Err(TaskError::Other("bad log reply".into()));
        };
        let attempt = self.ctx.attempt;
        let read = records.iter().enumerate().map(|(i, (key, value))| {
            let origin = Origin { source, partition, offset: offset + i as u64 };
            Record { key: *key, value: *value, origin, attempt }
        });
        self.chain.emitted(0, read.collect()).await?;
        self.chain.flush();
        *self.offsets.get_mut(&partition).expect("own partition") += records.len() as u64;
        Ok(true)
    }

    async fn on_control(&mut self, msg: TaskInput) -> Result<(), TaskError> {
        let checkpoint = match msg {
            TaskInput::Checkpoint(CheckpointMsg::Trigger { checkpoint, .. }) => checkpoint,
            TaskInput::Checkpoint(CheckpointMsg::NotifyComplete { checkpoint, to, .. }) => {
                return self.chain.notify_complete(to, checkpoint).await;
            }
            TaskInput::Data(DataMsg::Credit { to, from, input, credit, .. }) => {
                self.chain.credit(to, from, input, credit);
                return Ok(());
            }
            // A source has no input channel to align or cancel an alignment
            // on, and takes no part in acks or commits.
            TaskInput::Data(_)
            | TaskInput::CreditLost { .. }
            | TaskInput::Checkpoint(
                CheckpointMsg::NotifyAborted { .. }
                | CheckpointMsg::Ack { .. }
                | CheckpointMsg::Decline { .. }
                | CheckpointMsg::Committed { .. },
            ) => return Ok(()),
        };
        emit(&self.ctx.env.worker, Event::BarrierReceived { task: self.ctx.name.clone(), checkpoint });
        let state = TaskState::Source { offsets: self.offsets.clone() };
        let mode = if self.ctx.graph.protocol.kind.barriers_overtake() {
            BarrierMode::Overtaking
        } else {
            BarrierMode::InOrder
        };
        let snapshots = self.chain.snapshot(checkpoint, mode, Some(state)).await?;
        let exhausted = self.offsets.iter().all(|(p, o)| *o >= self.ends[p]);
        let end_of_data = exhausted && self.finished;
        match mode {
            BarrierMode::InOrder => self.chain.finish_aligned(checkpoint, snapshots, end_of_data),
            BarrierMode::Overtaking => self.chain.upload_and_ack(checkpoint, snapshots, end_of_data),
        }
        Ok(())
    }
}
