//! A task's output side: routes records to downstream subtasks by the edge's
//! partitioning, batches them into buffers, and sends barriers and the
//! end-of-data marker in line behind them (FIFO per channel), or — for an
//! unaligned checkpoint — sends the barrier ahead of everything queued.
//! Every data and end-of-data message carries the channel's next sequence
//! number; a barrier carries the number of the first data message behind
//! it (its position) and takes none itself.

use super::graph::{forced_aligned, subtask_for_key, ExecutionGraph, OutputEdge};
use super::msg::{Attempt, CheckpointId, DataMsg, Msg, Record, TaskId};
use crate::scenario::Partitioning;
use crate::sim::net::Net;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How a barrier travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarrierMode {
    /// Behind every record sent before it.
    InOrder,
    /// Ahead of the records waiting in the output buffers and in the
    /// network's send queue (they stay behind it, in order).
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
    /// Per edge, per target: records not yet sent.
    buffers: Vec<Vec<Vec<Record>>>,
    /// Per edge, per target: the next message's sequence number.
    seqs: Vec<Vec<u64>>,
    round_robin: usize,
    batch_size: usize,
    max_parallelism: usize,
}

impl Outputs {
    pub(crate) fn new(
        graph: &ExecutionGraph,
        task: TaskId,
        attempt: Attempt,
        net: Net<Msg>,
        placement: Arc<BTreeMap<TaskId, String>>,
    ) -> Self {
        let edges = graph.task(task).outputs.clone();
        let protocol = &*graph.protocol.kind;
        let overtakable = edges
            .iter()
            .map(|e| e.targets.first().is_some_and(|(to, _)| !forced_aligned(graph.op(*to), protocol)))
            .collect();
        let buffers = edges.iter().map(|e| vec![vec![]; e.targets.len()]).collect();
        let seqs = edges.iter().map(|e| vec![0; e.targets.len()]).collect();
        let (batch_size, max_parallelism) = (graph.batch_size, graph.max_parallelism);
        Outputs {
            attempt,
            net,
            placement,
            edges,
            overtakable,
            buffers,
            seqs,
            round_robin: 0,
            batch_size,
            max_parallelism,
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
        self.buffers[e][t].push(record);
        if self.buffers[e][t].len() >= self.batch_size {
            self.flush_one(e, t);
        }
    }

    fn flush_one(&mut self, e: usize, t: usize) {
        let batch = std::mem::take(&mut self.buffers[e][t]);
        if !batch.is_empty() {
            self.send(e, t, |attempt, to, input, seq| DataMsg::Data { attempt, to, input, seq, batch });
        }
    }

    /// Sends `make(attempt, to, input, seq)` on channel `t` of edge `e`.
    fn send(&mut self, e: usize, t: usize, make: impl FnOnce(Attempt, TaskId, u16, u64) -> DataMsg) {
        let (to, input) = self.edges[e].targets[t];
        let seq = self.seqs[e][t];
        self.seqs[e][t] += 1;
        self.net.send(&self.placement[&to], Msg::Data(make(self.attempt, to, input, seq)));
    }

    /// Sends every buffered record.
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
    /// record emitted before; overtaking, it goes ahead of the records still
    /// in the output buffers, which are returned per downstream operator
    /// (`TaskId::op`: output channel state) and sent right behind it — on
    /// the edges where it may overtake; on the others it stays in order.
    pub fn barrier(&mut self, checkpoint: CheckpointId, mode: BarrierMode) -> BTreeMap<u16, Vec<Record>> {
        let mut overtaken = BTreeMap::new();
        for e in 0..self.edges.len() {
            let overtakes = mode == BarrierMode::Overtaking && self.overtakable[e];
            if !overtakes {
                (0..self.edges[e].targets.len()).for_each(|t| self.flush_one(e, t));
            }
            let records: Vec<Record> = self.buffers[e].iter().flatten().copied().collect();
            if let (false, Some((to, _))) = (records.is_empty(), self.edges[e].targets.first()) {
                overtaken.insert(to.op, records);
            }
            for t in 0..self.edges[e].targets.len() {
                let (to, input) = self.edges[e].targets[t];
                let (attempt, seq) = (self.attempt, self.seqs[e][t]);
                let msg = Msg::Data(DataMsg::Barrier { attempt, to, input, seq, checkpoint });
                match overtakes {
                    false => self.net.send(&self.placement[&to], msg),
                    true => self.net.send_priority(&self.placement[&to], msg),
                }
            }
        }
        self.flush();
        overtaken
    }

    /// No more records will follow on any output.
    pub fn end_of_data(&mut self) {
        self.broadcast(|attempt, to, input, seq| DataMsg::EndOfData { attempt, to, input, seq });
    }
}
