//! The ids every layer shares: checkpoints, job attempts, subtasks, records'
//! origins and sink transactions. Plain data, so the simulator, the trace,
//! the engine and the oracles can all name the same things.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A job attempt (Flink's execution attempt / job epoch). Every deployment
/// gets a higher one; messages of older attempts are dropped, and the sink
/// fences commits by it.
pub type Attempt = u64;

/// A checkpoint id; strictly increasing over the job's life (L2).
pub type CheckpointId = u64;

/// A subtask: operator index (topological) and subtask index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TaskId {
    /// The operator's index in topological order.
    pub op: u16,
    /// The subtask, `0..parallelism`.
    pub subtask: u16,
}

/// Where a record came from: its source operator, log partition and offset.
/// Carried through every operator so oracles can name the exact record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Origin {
    /// The source operator's index.
    pub source: u16,
    /// The log partition.
    pub partition: u32,
    /// The record's offset in the partition.
    pub offset: u64,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}p{}@{}", self.source, self.partition, self.offset)
    }
}

/// A transaction at the external sink: which sink subtask opened it, in
/// which attempt, and its sequence number there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TxnId {
    /// The sink operator's index.
    pub sink: u16,
    /// The subtask (or, for a transactional id shared wrongly, whatever id the sink chose).
    pub subtask: u16,
    /// The job attempt that opened it.
    pub attempt: Attempt,
    /// Its number among the transactions that subtask opened in that attempt.
    pub seq: u64,
}

impl fmt::Display for TxnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "txn-{}.{}-a{}-{}", self.sink, self.subtask, self.attempt, self.seq)
    }
}
