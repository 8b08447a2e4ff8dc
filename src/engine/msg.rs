//! Everything that travels between nodes, and the ids it is addressed by.

pub use crate::scenario::ids::{Attempt, CheckpointId, Origin, TaskId, TxnId};
use crate::scenario::MessageClass;
use crate::sim::net::Classify;
use crate::trace::event::ErrorKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A keyed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub key: u64,
    pub value: i64,
    pub origin: Origin,
    /// The attempt whose source emitted it (so fencing can be judged).
    pub attempt: Attempt,
}

/// A snapshot stored in checkpoint storage: its key and integrity data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateHandle {
    pub key: String,
    pub checksum: u32,
    pub len: u64,
}

/// A completed checkpoint's metadata (written after all its data, L14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    pub id: CheckpointId,
    pub attempt: Attempt,
    pub states: BTreeMap<TaskId, StateHandle>,
    /// Every task had seen the end of its input when it snapshotted.
    pub end_of_data: bool,
}

/// Why a task failed: what the coordinator's failover records, so the
/// oracles can tell a failure a fault explains from one nothing explains.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// A request to `service` got no answer within the RPC timeout.
    #[error("{service} did not answer within {timeout}")]
    Timeout { service: String, timeout: String },
    /// A service answered with an error.
    #[error("{service} failed: {detail}")]
    Service { service: String, detail: String },
    /// Messages from an upstream task were lost (a sequence gap).
    #[error("lost messages from {from}: {detail}")]
    LostMessages { from: String, detail: String },
    /// The task's state in checkpoint `checkpoint` could not be read.
    #[error("cannot restore from checkpoint {checkpoint}: {detail}")]
    Restore { checkpoint: CheckpointId, detail: Box<TaskError> },
    /// Anything else: a broken engine invariant.
    #[error("{0}")]
    Other(String),
}

impl TaskError {
    /// What kind of error it is, for traces.
    pub fn kind(&self) -> ErrorKind {
        match self {
            TaskError::Timeout { .. } => ErrorKind::Timeout,
            TaskError::Service { .. } => ErrorKind::Service,
            TaskError::LostMessages { .. } => ErrorKind::LostMessages,
            TaskError::Restore { .. } => ErrorKind::Restore,
            TaskError::Other(_) => ErrorKind::Other,
        }
    }

    /// The service a timeout or service error came from (through a restore).
    pub fn service(&self) -> Option<&str> {
        match self {
            TaskError::Timeout { service, .. } | TaskError::Service { service, .. } => Some(service),
            TaskError::Restore { detail, .. } => detail.service(),
            _ => None,
        }
    }
}

impl From<String> for TaskError {
    fn from(detail: String) -> Self {
        TaskError::Other(detail)
    }
}

/// Request ids, unique per requesting node incarnation.
pub type ReqId = u64;

/// A message between nodes.
#[derive(Debug, Clone)]
pub enum Msg {
    // ---- data plane: task → task; `seq` numbers each channel's messages so
    // the receiver notices a lost one (Flink's buffer sequence numbers) ----
    Data {
        attempt: Attempt,
        to: TaskId,
        input: u16,
        seq: u64,
        batch: Vec<Record>,
    },
    Barrier {
        attempt: Attempt,
        to: TaskId,
        input: u16,
        seq: u64,
        checkpoint: CheckpointId,
    },
    EndOfData {
        attempt: Attempt,
        to: TaskId,
        input: u16,
        seq: u64,
    },

    // ---- worker ↔ coordinator ----
    /// Also registers the worker (and its slots) with a coordinator that does
    /// not know it yet; `boot` changes when the worker restarted; `cancelled`
    /// is the attempt whose tasks it cancelled on losing the coordinator.
    Heartbeat {
        boot: u64,
        slots: usize,
        cancelled: Option<Attempt>,
    },
    HeartbeatReply,
    Deploy(Arc<Deployment>),
    Cancel {
        attempt: Attempt,
    },
    TaskFailed {
        attempt: Attempt,
        task: TaskId,
        error: TaskError,
    },

    // ---- checkpointing ----
    Trigger {
        attempt: Attempt,
        to: TaskId,
        checkpoint: CheckpointId,
    },
    Ack {
        attempt: Attempt,
        task: TaskId,
        checkpoint: CheckpointId,
        handle: StateHandle,
        end_of_data: bool,
    },
    Decline {
        attempt: Attempt,
        task: TaskId,
        checkpoint: CheckpointId,
        reason: String,
    },
    NotifyComplete {
        attempt: Attempt,
        to: TaskId,
        checkpoint: CheckpointId,
    },
    NotifyAborted {
        attempt: Attempt,
        to: TaskId,
        checkpoint: CheckpointId,
    },
    /// A sink subtask committed everything up to `checkpoint`.
    Committed {
        attempt: Attempt,
        task: TaskId,
        checkpoint: CheckpointId,
    },

    // ---- the job's client ↔ coordinator ----
    /// Rescale `operator` to `parallelism` (asked by fault `fault`).
    Rescale {
        fault: usize,
        operator: String,
        parallelism: usize,
    },
    /// The rescale asked by fault `fault` is durably decided.
    RescaleAccepted {
        fault: usize,
    },

    // ---- services: requests carry a `req` echoed by the reply ----
    LogFetch {
        req: ReqId,
        source: u16,
        partition: u32,
        offset: u64,
        max: usize,
    },
    LogRecords {
        req: ReqId,
        records: Vec<(u64, i64)>,
    },
    StoragePut {
        req: ReqId,
        key: String,
        bytes: Arc<Vec<u8>>,
    },
    StorageGet {
        req: ReqId,
        key: String,
    },
    /// Removes every blob under `prefix` (no reply).
    StorageDelete {
        prefix: String,
    },
    StorageReply {
        req: ReqId,
        result: Result<Option<Arc<Vec<u8>>>, String>,
    },
    SinkWrite {
        txn: TxnId,
        records: Vec<Record>,
    },
    SinkPreCommit {
        req: ReqId,
        txn: TxnId,
        checkpoint: CheckpointId,
        records: u64,
    },
    /// `notified`: the completed checkpoint whose notification asked for it.
    SinkCommit {
        req: ReqId,
        txn: TxnId,
        fence: Attempt,
        notified: CheckpointId,
    },
    /// `keep_pre_committed`: a committer sink's writer recovers: its
    /// flushed files wait for the committer, only open ones are aborted.
    SinkRecover {
        req: ReqId,
        sink: u16,
        subtask: u16,
        fence: Attempt,
        commit: Vec<TxnId>,
        keep_pre_committed: bool,
    },
    /// Plain or upsert rows, visible at once (no reply); `txn` names the
    /// writer's batch (sink, subtask, attempt, sequence).
    SinkAppend {
        txn: TxnId,
        records: Vec<Record>,
        upsert: bool,
    },
    /// Makes every earlier append of this writer durable (the flush of a
    /// snapshot).
    SinkFlush {
        req: ReqId,
        sink: u16,
        subtask: u16,
        fence: Attempt,
    },
    SinkReply {
        req: ReqId,
        result: Result<(), String>,
    },
}

/// What a worker must run for one attempt.
#[derive(Debug)]
pub struct Deployment {
    pub attempt: Attempt,
    /// Every task of the job → the worker it runs on.
    pub placement: BTreeMap<TaskId, String>,
    /// The checkpoint to restore from, if any.
    pub restore: Option<CheckpointMeta>,
    /// The job as this attempt runs it (parallelisms change on rescale).
    pub graph: Arc<crate::engine::graph::ExecutionGraph>,
}

impl Msg {
    /// The task and attempt a task-addressed message is for.
    pub fn task_address(&self) -> Option<(TaskId, Attempt)> {
        match self {
            Msg::Data { attempt, to, .. }
            | Msg::Barrier { attempt, to, .. }
            | Msg::EndOfData { attempt, to, .. }
            | Msg::Trigger { attempt, to, .. }
            | Msg::NotifyComplete { attempt, to, .. }
            | Msg::NotifyAborted { attempt, to, .. } => Some((*to, *attempt)),
            _ => None,
        }
    }

    /// A data-plane message's input channel and sequence number.
    pub fn channel_seq(&self) -> Option<(u16, u64)> {
        match self {
            Msg::Data { input, seq, .. } | Msg::Barrier { input, seq, .. } | Msg::EndOfData { input, seq, .. } => {
                Some((*input, *seq))
            }
            _ => None,
        }
    }

    /// The reply correlation id, if this is a service reply.
    pub fn reply_id(&self) -> Option<ReqId> {
        match self {
            Msg::LogRecords { req, .. } | Msg::StorageReply { req, .. } | Msg::SinkReply { req, .. } => Some(*req),
            _ => None,
        }
    }
}

impl Classify for Msg {
    fn class(&self) -> MessageClass {
        match self {
            Msg::Data { .. } => MessageClass::Data,
            Msg::Barrier { .. } => MessageClass::Barrier,
            Msg::EndOfData { .. } => MessageClass::EndOfData,
            Msg::Heartbeat { .. } | Msg::HeartbeatReply => MessageClass::Heartbeat,
            Msg::Deploy(_) => MessageClass::Deploy,
            Msg::Cancel { .. } => MessageClass::Cancel,
            Msg::TaskFailed { .. } => MessageClass::TaskFailed,
            Msg::Trigger { .. } => MessageClass::Trigger,
            Msg::Ack { .. } => MessageClass::Ack,
            Msg::Decline { .. } => MessageClass::Decline,
            Msg::NotifyComplete { .. } => MessageClass::NotifyComplete,
            Msg::NotifyAborted { .. } => MessageClass::NotifyAborted,
            Msg::Committed { .. } => MessageClass::Committed,
            Msg::Rescale { .. } | Msg::RescaleAccepted { .. } => MessageClass::Rescale,
            Msg::LogFetch { .. } | Msg::LogRecords { .. } => MessageClass::Log,
            Msg::StoragePut { .. } | Msg::StorageGet { .. } | Msg::StorageDelete { .. } | Msg::StorageReply { .. } => {
                MessageClass::Storage
            }
            Msg::SinkWrite { .. }
            | Msg::SinkAppend { .. }
            | Msg::SinkFlush { .. }
            | Msg::SinkPreCommit { .. }
            | Msg::SinkCommit { .. }
            | Msg::SinkRecover { .. }
            | Msg::SinkReply { .. } => MessageClass::Sink,
        }
    }

    fn dropped(from: &str, to: &str, class: MessageClass) {
        crate::trace::emit(from, crate::trace::Event::MessageDropped { to: to.to_string(), msg: class });
    }
}
