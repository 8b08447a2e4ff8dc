//! The `log` node: a partitioned, replayable, append-only source log. Its
//! content is a pure function of the seed (ChaCha stream per partition,
//! seekable by offset), so any offset can be re-read after any failure and
//! the reference model reads exactly the same records.

use crate::engine::graph::{ExecutionGraph, OpSpec};
use crate::engine::msg::{LogMsg, Msg};
use crate::sim::net::{Net, NetEvent};
use futures::StreamExt;
use rand::RngCore;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

/// The log's content: records of every partition of every source.
#[derive(Debug, Clone, Copy)]
pub struct LogData {
    seed: u64,
}

impl LogData {
    pub fn new(seed: u64) -> Self {
        LogData { seed }
    }

    /// Records `[offset, offset + max)` of `partition` of source `op`, cut at
    /// the partition's end. Each record is `(key, value)` with key < keys and
    /// value in 1..=10.
    pub fn read(&self, op: &OpSpec, partition: u32, offset: u64, max: usize) -> Vec<(u64, i64)> {
        let end = ExecutionGraph::records_in(op, partition).min(offset + max as u64);
        if offset >= end {
            return vec![];
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0x6c6f_675f_6461_7461);
        rng.set_stream((u64::from(op.index) << 32) | u64::from(partition));
        rng.set_word_pos(u128::from(offset) * 2);
        (offset..end)
            .map(|_| {
                let x = rng.next_u64();
                (x % op.keys, ((x >> 40) % 10) as i64 + 1)
            })
            .collect()
    }
}

/// The `log` node's main loop: answers fetches.
pub async fn run(graph: Arc<ExecutionGraph>, data: LogData) {
    let (net, mut inbox) = Net::<Msg>::bind("log").await;
    while let Some(event) = inbox.next().await {
        if let NetEvent::Message { from, msg: Msg::Log(LogMsg::Fetch { req, source, partition, offset, max }) } = event
        {
            let records = data.read(&graph.ops[source as usize], partition, offset, max);
            net.send(&from, Msg::Log(LogMsg::Records { req, records }));
        }
    }
}
