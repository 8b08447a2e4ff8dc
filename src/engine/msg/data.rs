//! The data plane: records, barriers and end-of-data markers between tasks,
//! and the credit receivers give back (flow control). `seq` numbers each
//! channel's messages so the receiver notices a lost one (Flink's buffer
//! sequence numbers); a barrier carries the sequence number of the first
//! data message behind it (its position) and takes none itself.

use crate::scenario::ids::{Attempt, CheckpointId, Origin, TaskId};
use serde::{Deserialize, Serialize};

/// A keyed record, as it flows through the job and into a sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Its key (what keyed operators and `hash` partitioning go by).
    pub key: u64,
    /// Its value (a count, a sum, or the source's value).
    pub value: i64,
    /// The source record it derives from: the oracles match output to the
    /// reference by origin.
    pub origin: Origin,
    /// The attempt whose source emitted it (so fencing can be judged).
    pub attempt: Attempt,
}

/// A message on a channel from one task to another (`to`'s input `input`).
#[derive(Debug, Clone)]
pub enum DataMsg {
    /// A buffer of records; `backlog`: buffers still queued behind it at
    /// the sender (a receiver lends a backlogged channel shared buffers).
    Data { attempt: Attempt, to: TaskId, input: u16, seq: u64, batch: Vec<Record>, backlog: u32 },
    /// Checkpoint `checkpoint`'s barrier, before data message `seq`.
    Barrier { attempt: Attempt, to: TaskId, input: u16, seq: u64, checkpoint: CheckpointId },
    /// No more records will follow on this channel.
    EndOfData { attempt: Attempt, to: TaskId, input: u16, seq: u64 },
    /// Credit (Flink's credit-based flow control): `from`'s input channel
    /// `input` has room for `credit` more buffers from `to`, the sender.
    Credit { attempt: Attempt, to: TaskId, from: TaskId, input: u16, credit: u32 },
}

impl DataMsg {
    /// The task and attempt it is for.
    pub fn address(&self) -> (TaskId, Attempt) {
        match self {
            DataMsg::Data { attempt, to, .. }
            | DataMsg::Barrier { attempt, to, .. }
            | DataMsg::EndOfData { attempt, to, .. }
            | DataMsg::Credit { attempt, to, .. } => (*to, *attempt),
        }
    }

    /// Its input channel and sequence number (credit travels back on the
    /// channel and takes none: 0).
    pub fn channel_seq(&self) -> (u16, u64) {
        match self {
            DataMsg::Data { input, seq, .. }
            | DataMsg::Barrier { input, seq, .. }
            | DataMsg::EndOfData { input, seq, .. } => (*input, *seq),
            DataMsg::Credit { input, .. } => (*input, 0),
        }
    }
}
