//! A task's output side: routes records to downstream subtasks by the edge's
//! partitioning, batches them into buffers, and sends barriers and the
//! end-of-data marker in line behind them (FIFO per channel).

use super::graph::{subtask_for_key, ExecutionGraph, OutputEdge};
use super::msg::{Attempt, CheckpointId, Msg, Record, TaskId};
use crate::scenario::Partitioning;
use crate::sim::net::Net;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Buffers and channels of one task's outputs.
pub struct Outputs {
    attempt: Attempt,
    net: Net<Msg>,
    placement: Arc<BTreeMap<TaskId, String>>,
    edges: Vec<OutputEdge>,
    /// Per edge, per target: records not yet sent.
    buffers: Vec<Vec<Vec<Record>>>,
    round_robin: usize,
    batch_size: usize,
    max_parallelism: usize,
}

impl Outputs {
    pub fn new(
        graph: &ExecutionGraph,
        task: TaskId,
        attempt: Attempt,
        net: Net<Msg>,
        placement: Arc<BTreeMap<TaskId, String>>,
    ) -> Self {
        let edges = graph.task(task).outputs.clone();
        let buffers = edges.iter().map(|e| vec![vec![]; e.targets.len()]).collect();
        Outputs {
            attempt,
            net,
            placement,
            edges,
            buffers,
            round_robin: 0,
            batch_size: graph.batch_size,
            max_parallelism: graph.max_parallelism,
        }
    }

    /// Routes one record to one target of every output edge.
    pub fn emit(&mut self, record: Record) {
        for e in 0..self.edges.len() {
            let n = self.edges[e].targets.len();
            let t = match self.edges[e].partitioning {
                Partitioning::Hash => subtask_for_key(record.key, n, self.max_parallelism),
                Partitioning::Forward => 0,
                Partitioning::Rebalance => {
                    self.round_robin += 1;
                    self.round_robin % n
                }
            };
            self.buffers[e][t].push(record);
            if self.buffers[e][t].len() >= self.batch_size {
                self.flush_one(e, t);
            }
        }
    }

    fn flush_one(&mut self, e: usize, t: usize) {
        let batch = std::mem::take(&mut self.buffers[e][t]);
        if batch.is_empty() {
            return;
        }
        let (to, input) = self.edges[e].targets[t];
        let msg = Msg::Data { attempt: self.attempt, to, input, batch };
        self.net.send(&self.placement[&to], msg);
    }

    /// Sends every buffered record.
    pub fn flush(&mut self) {
        for e in 0..self.edges.len() {
            for t in 0..self.edges[e].targets.len() {
                self.flush_one(e, t);
            }
        }
    }

    fn broadcast(&mut self, make: impl Fn(TaskId, u16) -> Msg) {
        self.flush();
        for edge in &self.edges {
            for &(to, input) in &edge.targets {
                self.net.send(&self.placement[&to], make(to, input));
            }
        }
    }

    /// Barrier `n` on every output channel, behind every record sent before.
    pub fn barrier(&mut self, checkpoint: CheckpointId) {
        let attempt = self.attempt;
        self.broadcast(|to, input| Msg::Barrier { attempt, to, input, checkpoint });
    }

    /// No more records will follow on any output.
    pub fn end_of_data(&mut self) {
        let attempt = self.attempt;
        self.broadcast(|to, input| Msg::EndOfData { attempt, to, input });
    }
}
