//! What can go wrong, typed: a task's failure (what the coordinator's
//! failover records, so the oracles can tell a failure a fault explains
//! from one nothing explains), and the errors the services answer with.
//! Each renders the message traces show.

use crate::scenario::ids::{Attempt, CheckpointId, TxnId};
use crate::sim::disk::DiskError;
use crate::trace::event::ErrorKind;

/// Why a task failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// A request to `service` got no answer within the RPC timeout.
    #[error("{service} did not answer within {timeout}")]
    Timeout {
        /// The node asked (`storage`, `sink`, `log`).
        service: String,
        /// The RPC timeout, as a duration is written (`500ms`).
        timeout: String,
    },
    /// A service answered with an error.
    #[error("{service} failed: {error}")]
    Service {
        /// The node that answered.
        service: String,
        /// What it answered.
        error: ServiceError,
    },
    /// Messages from an upstream task were lost (a sequence gap).
    #[error("lost messages from {from}: {detail}")]
    LostMessages {
        /// The upstream task (`count[1]`).
        from: String,
        /// The gap: what was expected, what came.
        detail: String,
    },
    /// The task's state in checkpoint `checkpoint` could not be read.
    #[error("cannot restore from checkpoint {checkpoint}: {detail}")]
    Restore {
        /// The checkpoint being restored.
        checkpoint: CheckpointId,
        /// Why its state could not be read.
        detail: Box<TaskError>,
    },
    /// A snapshot that does not decode, or fails its checksum.
    #[error(transparent)]
    State(#[from] StateError),
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
            TaskError::State(_) | TaskError::Other(_) => ErrorKind::Other,
        }
    }

    /// The service a timeout or service error came from (through a restore).
    pub fn service(&self) -> Option<&str> {
        match self {
            TaskError::Timeout { service, .. } | TaskError::Service { service, .. } => Some(service),
            TaskError::Restore { detail, .. } => detail.service(),
            TaskError::LostMessages { .. } | TaskError::State(_) | TaskError::Other(_) => None,
        }
    }

    /// `storage` answered with `error`.
    pub fn storage(error: StorageError) -> TaskError {
        TaskError::Service { service: "storage".into(), error: ServiceError::Storage(error) }
    }

    /// `sink` answered with `error`.
    pub fn sink(error: SinkError) -> TaskError {
        TaskError::Service { service: "sink".into(), error: ServiceError::Sink(error) }
    }
}

/// What a service answered with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// Checkpoint storage's answer.
    #[error(transparent)]
    Storage(StorageError),
    /// The sink store's answer.
    #[error(transparent)]
    Sink(SinkError),
}

/// Why checkpoint storage could not serve a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// Its disk failed a write, fsync or read.
    #[error(transparent)]
    Disk(#[from] DiskError),
    /// Every copy of the blob is missing, unreadable or corrupt.
    #[error("no healthy copy of {key}: {bad}")]
    NoHealthyCopy {
        /// The blob's key.
        key: String,
        /// What was wrong with each copy (`r0 corrupt, r1 missing`).
        bad: String,
    },
    /// A restore asked for a snapshot that was never stored.
    #[error("snapshot {0} missing")]
    Missing(String),
}

/// Why the sink store refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// A flush by an attempt the subtask's fence is past (a zombie).
    #[error("flush of {sink}.{subtask} by attempt {attempt} fenced")]
    FlushFenced {
        /// The sink operator.
        sink: u16,
        /// Its subtask.
        subtask: u16,
        /// The fenced attempt.
        attempt: Attempt,
    },
    /// A pre-commit by a fenced attempt.
    #[error("{0} fenced")]
    PreCommitFenced(TxnId),
    /// A pre-commit of a transaction a recovery had aborted.
    #[error("{0} was aborted")]
    Aborted(TxnId),
    /// The writer sent more records than the store holds (some were lost).
    #[error("{txn} holds {have} records, writer sent {expected}")]
    Incomplete {
        /// The transaction.
        txn: TxnId,
        /// Records the store holds for it.
        have: u64,
        /// Records the writer says it wrote.
        expected: u64,
    },
    /// A commit by a fenced attempt.
    #[error("commit of {txn} by attempt {attempt} fenced")]
    CommitFenced {
        /// The transaction.
        txn: TxnId,
        /// The fenced attempt that asked.
        attempt: Attempt,
    },
    /// Neither pre-committed nor committed (`state`: its status, if known).
    #[error("cannot commit {txn}: {state}")]
    NotCommittable {
        /// The transaction.
        txn: TxnId,
        /// Its status in the store.
        state: String,
    },
    /// A recovery by an attempt older than the subtask's fence.
    #[error("recover of sink {sink}.{subtask} by attempt {attempt} fenced")]
    RecoverFenced {
        /// The sink operator.
        sink: u16,
        /// Its subtask.
        subtask: u16,
        /// The fenced attempt.
        attempt: Attempt,
    },
    /// The planted bug `recover_rejects_committed`.
    #[error("{0} is already committed")]
    AlreadyCommitted(TxnId),
    /// Its disk failed to log or sync the request.
    #[error(transparent)]
    Disk(#[from] DiskError),
}

/// Why a snapshot cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Its bytes do not match the checksum and length the checkpoint recorded.
    #[error("snapshot {key} corrupt: checksum {actual:08x} len {len} (expected {checksum:08x} len {expected_len})")]
    Corrupt {
        /// The snapshot's key in storage.
        key: String,
        /// The checksum of the bytes read.
        actual: u32,
        /// Their length.
        len: u64,
        /// The checksum the checkpoint recorded.
        checksum: u32,
        /// The length it recorded.
        expected_len: u64,
    },
    /// The bytes check out but do not decode.
    #[error("snapshot {key} undecodable: {error}")]
    Undecodable {
        /// The snapshot's key in storage.
        key: String,
        /// The decoder's complaint.
        error: String,
    },
}
