//! A task's output side: routes records to downstream subtasks by the edge's
//! partitioning, batches them into buffers, and sends them as the receiver's
//! credit allows (Flink's credit-based flow control): a buffer leaves only
//! when the receiver has announced room for it, and waits in its channel's
//! queue meanwhile. Barriers and the end-of-data marker need no credit but
//! keep their place in the queue (FIFO per channel) — or, for an unaligned
//! checkpoint, a barrier goes ahead of everything queued, and what it
//! overtook becomes output channel state. A task whose queue on some channel
//! holds `buffers_per_channel` buffers stops taking input until credit
//! comes (`blocked`): backpressure, which spreads upstream to the sources.
//! Every data and end-of-data message carries the channel's next sequence
//! number; a barrier carries the number of the first data message behind
//! it (its position) and takes none itself.

use super::graph::{subtask_for_key, ExecutionGraph, OutputEdge};
use super::msg::{Attempt, CheckpointId, DataMsg, Msg, Record, TaskId};
use crate::scenario::Partitioning;
use crate::sim::net::Net;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// How a barrier travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarrierMode {
    /// Behind every record sent before it.
    InOrder,
    /// Ahead of the records waiting in the output buffers and queues and in
    /// the network's send queue (they stay behind it, in order).
    Overtaking,
}

/// Where an operator's records go: its output channels (`Outputs`), or a
/// batch for the operators chained to it (`Vec<Record>`).
pub trait Emit {
    /// Passes one record on.
    fn emit(&mut self, record: Record);
}

impl Emit for Vec<Record> {
    fn emit(&mut self, record: Record) {
        self.push(record);
    }
}

impl Emit for Outputs {
    fn emit(&mut self, record: Record) {
        Outputs::emit(self, record);
    }
}

/// What sending a barrier did.
#[derive(Debug, Default)]
pub struct BarrierSent {
    /// The records it overtook (unsent records and queued buffers), per
    /// downstream operator (`TaskId::op`): output channel state.
    pub overtaken: BTreeMap<u16, Vec<Record>>,
    /// Buffers it overtook that were waiting for credit.
    pub overtook: usize,
    /// Buffers waiting for credit that it queued behind (in order).
    pub behind: usize,
}

/// One output channel.
#[derive(Debug, Default)]
struct Channel {
    /// Records not yet in a buffer.
    open: Vec<Record>,
    /// Buffers the receiver has room for: announced credit not yet used.
    credit: u32,
    /// What waits to leave, in order: buffers wait for credit, barriers and
    /// end-of-data only for what is ahead of them.
    queue: VecDeque<DataMsg>,
    /// The buffers among `queue`.
    queued: usize,
    /// The next message's sequence number.
    seq: u64,
}

/// Buffers and channels of one operator subtask's outputs (the edges to
/// operators not chained to it).
pub struct Outputs {
    attempt: Attempt,
    net: Net<Msg>,
    placement: Arc<BTreeMap<TaskId, String>>,
    edges: Vec<OutputEdge>,
    /// Per edge: whether a barrier may overtake its buffers (not into an
    /// operator that aligns, `graph::forced_aligned`).
    overtakable: Vec<bool>,
    /// Per output edge: whether a barrier queued there may time out and
    /// overtake (`overtake_queued`): the overtakable edges, unless the
    /// planted bug `timeout_ignores_forced_aligned` says every edge.
    times_out: Vec<bool>,
    /// Per edge, per target.
    channels: Vec<Vec<Channel>>,
    round_robin: usize,
    buffer_records: usize,
    /// Queued buffers on one channel at which the task stops taking input.
    queue_limit: usize,
    max_parallelism: usize,
}

impl Outputs {
    /// `aligns`: whether a downstream subtask aligns (its channels carry
    /// in-order barriers even in an unaligned checkpoint).
    pub(crate) fn new(
        graph: &ExecutionGraph,
        task: TaskId,
        attempt: Attempt,
        net: Net<Msg>,
        placement: Arc<BTreeMap<TaskId, String>>,
        aligns: &dyn Fn(TaskId) -> bool,
    ) -> Self {
        let edges = graph.task(task).outputs.clone();
        let overtakable: Vec<bool> =
            edges.iter().map(|e| e.targets.first().is_some_and(|(to, _)| !aligns(*to))).collect();
        let channels = edges.iter().map(|e| e.targets.iter().map(|_| Channel::default()).collect()).collect();
        Outputs {
            attempt,
            net,
            placement,
            edges,
            times_out: overtakable.clone(),
            overtakable,
            channels,
            round_robin: 0,
            buffer_records: graph.buffer_records,
            queue_limit: graph.buffers_per_channel as usize,
            max_parallelism: graph.max_parallelism,
        }
    }

    /// Routes one record to one target of every output edge.
    pub fn emit(&mut self, record: Record) {
        for e in 0..self.edges.len() {
            self.emit_on(e, record);
        }
    }

    /// Whether it has any output channel.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// Routes one record to one target of the edge to operator `op`
    /// (`TaskId::op`); false if no channel leads there.
    pub fn emit_to(&mut self, op: u16, record: Record) -> bool {
        match self.edges.iter().position(|e| e.targets.first().is_some_and(|(t, _)| t.op == op)) {
            Some(e) => {
                self.emit_on(e, record);
                true
            }
            None => false,
        }
    }

    /// Routes one record to one target of output edge `e`.
    fn emit_on(&mut self, e: usize, record: Record) {
        let n = self.edges[e].targets.len();
        if self.edges[e].partitioning == Partitioning::Broadcast {
            for t in 0..n {
                self.buffer(e, t, record);
            }
            return;
        }
        let t = match self.edges[e].partitioning {
            Partitioning::Hash => subtask_for_key(record.key, n, self.max_parallelism),
            Partitioning::Forward => 0,
            Partitioning::Rebalance => {
                self.round_robin += 1;
                self.round_robin % n
            }
            Partitioning::Broadcast => unreachable!("handled above"),
        };
        self.buffer(e, t, record);
    }

    fn buffer(&mut self, e: usize, t: usize, record: Record) {
        let open = &mut self.channels[e][t].open;
        open.push(record);
        if open.len() >= self.buffer_records {
            self.flush_one(e, t);
        }
    }

    fn flush_one(&mut self, e: usize, t: usize) {
        let open = &mut self.channels[e][t].open;
        if open.is_empty() {
            return;
        }
        // The next batch is likely as long as this one: one allocation
        // instead of a doubling per power of two.
        let next = Vec::with_capacity(open.len());
        let batch = std::mem::replace(open, next);
        self.send(e, t, |attempt, to, input, seq| DataMsg::Data { attempt, to, input, seq, batch, backlog: 0 });
    }

    /// Sends `make(attempt, to, input, seq)` on channel `t` of edge `e`, or
    /// queues it behind what waits there (a buffer: until credit comes).
    fn send(&mut self, e: usize, t: usize, make: impl FnOnce(Attempt, TaskId, u16, u64) -> DataMsg) {
        let (to, input) = self.edges[e].targets[t];
        let c = &mut self.channels[e][t];
        let msg = make(self.attempt, to, input, c.seq);
        if !matches!(msg, DataMsg::Barrier { .. }) {
            c.seq += 1; // a barrier takes no sequence number
        }
        let data = matches!(msg, DataMsg::Data { .. });
        if c.queue.is_empty() && (!data || c.credit > 0) {
            c.credit -= u32::from(data);
            self.net.send(&self.placement[&to], Msg::Data(msg));
        } else {
            c.queued += usize::from(data);
            c.queue.push_back(msg);
        }
    }

    /// Sends what credit lets leave channel `t` of edge `e`.
    fn pump(&mut self, e: usize, t: usize) {
        let to = &self.placement[&self.edges[e].targets[t].0];
        let c = &mut self.channels[e][t];
        while let Some(front) = c.queue.front() {
            let data = matches!(front, DataMsg::Data { .. });
            if data && c.credit == 0 {
                return;
            }
            let mut msg = c.queue.pop_front().expect("a front");
            if let DataMsg::Data { backlog, .. } = &mut msg {
                c.credit -= 1;
                c.queued -= 1;
                *backlog = c.queued as u32;
            }
            self.net.send(to, Msg::Data(msg));
        }
    }

    /// Receiver `from`'s input `input` has room for `credit` more buffers.
    pub fn credit(&mut self, from: TaskId, input: u16, credit: u32) {
        for e in 0..self.edges.len() {
            if let Some(t) = self.edges[e].targets.iter().position(|x| *x == (from, input)) {
                self.channels[e][t].credit += credit;
                self.pump(e, t);
                return;
            }
        }
    }

    /// Whether some channel's queue is full: the task must take no input
    /// until credit comes (backpressure).
    pub fn blocked(&self) -> bool {
        self.channels.iter().flatten().any(|c| c.queued >= self.queue_limit)
    }

    /// The downstream subtask of the first channel whose queue is full.
    pub fn blocked_on(&self) -> Option<TaskId> {
        let (e, t) = (0..self.edges.len())
            .flat_map(|e| (0..self.edges[e].targets.len()).map(move |t| (e, t)))
            .find(|&(e, t)| self.channels[e][t].queued >= self.queue_limit)?;
        Some(self.edges[e].targets[t].0)
    }

    /// Ships every open buffer (into the queues, where credit lacks).
    pub fn flush(&mut self) {
        for e in 0..self.edges.len() {
            for t in 0..self.edges[e].targets.len() {
                self.flush_one(e, t);
            }
        }
    }

    /// Flushes, then sends one message on every output channel.
    fn broadcast(&mut self, make: impl Fn(Attempt, TaskId, u16, u64) -> DataMsg) {
        self.flush();
        for e in 0..self.edges.len() {
            for t in 0..self.edges[e].targets.len() {
                self.send(e, t, &make);
            }
        }
    }

    /// Barrier `n` on every output channel. In order, it follows every
    /// record emitted before, queued behind the buffers waiting for credit;
    /// overtaking, it goes ahead of the records not yet sent — open and
    /// queued — which stay behind it and are returned as output channel
    /// state. On the edges where it may not overtake it stays in order.
    pub fn barrier(&mut self, checkpoint: CheckpointId, mode: BarrierMode) -> BarrierSent {
        let mut sent = BarrierSent::default();
        for e in 0..self.edges.len() {
            let overtakes = mode == BarrierMode::Overtaking && self.overtakable[e];
            for t in 0..self.edges[e].targets.len() {
                let (to, input) = self.edges[e].targets[t];
                if !overtakes {
                    self.flush_one(e, t);
                    sent.behind += self.channels[e][t].queued;
                    self.send(e, t, |attempt, to, input, seq| DataMsg::Barrier { attempt, to, input, seq, checkpoint });
                    continue;
                }
                let c = &mut self.channels[e][t];
                let records = sent.overtaken.entry(to.op).or_default();
                let mut position = c.seq;
                for msg in &c.queue {
                    match msg {
                        DataMsg::Data { seq, batch, .. } => {
                            position = position.min(*seq);
                            records.extend_from_slice(batch);
                        }
                        DataMsg::EndOfData { seq, .. } => position = position.min(*seq),
                        DataMsg::Barrier { .. } | DataMsg::Credit { .. } => {}
                    }
                }
                records.extend_from_slice(&c.open);
                sent.overtook += c.queued;
                let msg = DataMsg::Barrier { attempt: self.attempt, to, input, seq: position, checkpoint };
                self.net.send_priority(&self.placement[&to], Msg::Data(msg));
            }
        }
        sent.overtaken.retain(|_, records| !records.is_empty());
        self.flush();
        sent
    }

    /// Barrier `n`, still queued behind buffers waiting for credit, goes
    /// ahead of them now (an aligned checkpoint that timed out, L11): the
    /// buffers it overtook are returned as output channel state.
    pub fn overtake_queued(&mut self, checkpoint: CheckpointId) -> BarrierSent {
        let mut sent = BarrierSent::default();
        // Barriers into an operator that aligns never time out (forced aligned).
        let channels = self.channels.iter_mut().zip(&self.times_out).filter(|(_, o)| **o).flat_map(|(c, _)| c);
        for c in channels {
            let Some(at) = c.queue.iter().position(|m| is_barrier(m, checkpoint)) else { continue };
            let Some(DataMsg::Barrier { attempt, to, input, seq, .. }) = c.queue.remove(at) else { continue };
            let mut position = seq;
            let records = sent.overtaken.entry(to.op).or_default();
            for msg in c.queue.range(..at) {
                match msg {
                    DataMsg::Data { seq, batch, .. } => {
                        position = position.min(*seq);
                        records.extend_from_slice(batch);
                        sent.overtook += 1;
                    }
                    DataMsg::EndOfData { seq, .. } => position = position.min(*seq),
                    DataMsg::Barrier { .. } | DataMsg::Credit { .. } => {}
                }
            }
            let msg = DataMsg::Barrier { attempt, to, input, seq: position, checkpoint };
            self.net.send_priority(&self.placement[&to], Msg::Data(msg));
        }
        sent.overtaken.retain(|_, records| !records.is_empty());
        sent
    }

    /// Planted bug `timeout_ignores_forced_aligned`: barriers queued on
    /// every edge time out, those into operators that align too.
    pub(crate) fn time_out_on_every_edge(&mut self) {
        self.times_out.iter_mut().for_each(|t| *t = true);
    }

    /// Whether barrier `n` still waits in some channel's queue.
    pub fn holds_barrier(&self, checkpoint: CheckpointId) -> bool {
        self.channels.iter().flatten().any(|c| c.queue.iter().any(|m| is_barrier(m, checkpoint)))
    }

    /// No more records will follow on any output.
    pub fn end_of_data(&mut self) {
        self.broadcast(|attempt, to, input, seq| DataMsg::EndOfData { attempt, to, input, seq });
    }
}

fn is_barrier(msg: &DataMsg, checkpoint: CheckpointId) -> bool {
    matches!(msg, DataMsg::Barrier { checkpoint: n, .. } if *n == checkpoint)
}
