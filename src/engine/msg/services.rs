//! The external services' planes: the `log`, checkpoint `storage` and the
//! `sink` store. Requests carry a `req` id that the reply echoes.

use super::data::Record;
use super::error::{SinkError, StorageError};
use crate::scenario::ids::{Attempt, CheckpointId, TxnId};
use std::sync::Arc;

/// Request ids, unique per requesting node incarnation.
pub type ReqId = u64;

/// To and from the `log`.
#[derive(Debug, Clone)]
pub enum LogMsg {
    /// Read up to `max` records of `partition` of source `source` from `offset`.
    Fetch { req: ReqId, source: u16, partition: u32, offset: u64, max: usize },
    /// The records read, as `(key, value)`.
    Records { req: ReqId, records: Vec<(u64, i64)> },
}

/// To and from checkpoint `storage`.
#[derive(Debug, Clone)]
pub enum StorageMsg {
    Put {
        req: ReqId,
        key: String,
        bytes: Arc<Vec<u8>>,
    },
    Get {
        req: ReqId,
        key: String,
    },
    /// Removes every blob under `prefix` (no reply).
    Delete {
        prefix: String,
    },
    /// A get's blob (`None`: never stored), or a put's `None`.
    Reply {
        req: ReqId,
        result: Result<Option<Arc<Vec<u8>>>, StorageError>,
    },
}

/// To and from the `sink` store.
#[derive(Debug, Clone)]
pub enum SinkMsg {
    /// Records for an open transaction (no reply).
    Write {
        txn: TxnId,
        records: Vec<Record>,
    },
    PreCommit {
        req: ReqId,
        txn: TxnId,
        checkpoint: CheckpointId,
        records: u64,
    },
    /// `notified`: the completed checkpoint whose notification asked for it.
    Commit {
        req: ReqId,
        txn: TxnId,
        fence: Attempt,
        notified: CheckpointId,
    },
    /// `keep_pre_committed`: a committer sink's writer recovers: its
    /// flushed files wait for the committer, only open ones are aborted.
    Recover {
        req: ReqId,
        sink: u16,
        subtask: u16,
        fence: Attempt,
        commit: Vec<TxnId>,
        keep_pre_committed: bool,
    },
    /// Plain or upsert rows, visible at once (no reply); `txn` names the
    /// writer's batch (sink, subtask, attempt, sequence).
    Append {
        txn: TxnId,
        records: Vec<Record>,
        upsert: bool,
    },
    /// Makes every earlier append of this writer durable (the flush of a snapshot).
    Flush {
        req: ReqId,
        sink: u16,
        subtask: u16,
        fence: Attempt,
    },
    Reply {
        req: ReqId,
        result: Result<(), SinkError>,
    },
}
