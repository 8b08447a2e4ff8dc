//! Checkpointing: triggers to sources, acks and declines from tasks,
//! notifications from the coordinator, sinks' commit reports — and what a
//! completed checkpoint's metadata names.

use crate::scenario::ids::{Attempt, CheckpointId, TaskId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Between the coordinator and the tasks.
#[derive(Debug, Clone)]
pub enum CheckpointMsg {
    /// To a source: take checkpoint `checkpoint` (L4).
    Trigger { attempt: Attempt, to: TaskId, checkpoint: CheckpointId },
    /// From a task: its snapshot of `checkpoint` is durable (L7).
    Ack { attempt: Attempt, task: TaskId, checkpoint: CheckpointId, handle: StateHandle, end_of_data: bool },
    /// From a task: its snapshot upload failed (L16).
    Decline { attempt: Attempt, checkpoint: CheckpointId, reason: String },
    /// To a task: `checkpoint` completed (best effort, L19).
    NotifyComplete { attempt: Attempt, to: TaskId, checkpoint: CheckpointId },
    /// To a task: `checkpoint` was aborted (a cancel marker, L7).
    NotifyAborted { attempt: Attempt, to: TaskId, checkpoint: CheckpointId },
    /// From a sink subtask: it committed everything up to `checkpoint`.
    Committed { attempt: Attempt, task: TaskId, checkpoint: CheckpointId },
}

impl CheckpointMsg {
    /// The task and attempt a message to a task is for.
    pub fn task_address(&self) -> Option<(TaskId, Attempt)> {
        match self {
            CheckpointMsg::Trigger { attempt, to, .. }
            | CheckpointMsg::NotifyComplete { attempt, to, .. }
            | CheckpointMsg::NotifyAborted { attempt, to, .. } => Some((*to, *attempt)),
            CheckpointMsg::Ack { .. } | CheckpointMsg::Decline { .. } | CheckpointMsg::Committed { .. } => None,
        }
    }
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
