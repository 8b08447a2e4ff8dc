//! The control plane: workers and the coordinator (heartbeats, deployments,
//! cancellations, task failures), and the job's client asking the
//! coordinator to rescale.

use super::checkpoint::CheckpointMeta;
use super::error::TaskError;
use crate::engine::graph::ExecutionGraph;
use crate::scenario::ids::{Attempt, TaskId};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Between a worker and the coordinator.
#[derive(Debug, Clone)]
pub enum ControlMsg {
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
    /// Stop every task of attempt `attempt` and older.
    Cancel {
        attempt: Attempt,
    },
    TaskFailed {
        attempt: Attempt,
        task: TaskId,
        error: TaskError,
    },
}

/// Between the job's client and the coordinator.
#[derive(Debug, Clone)]
pub enum ClientMsg {
    /// Rescale `operator` to `parallelism` (asked by fault `fault`).
    Rescale { fault: usize, operator: String, parallelism: usize },
    /// The rescale asked by fault `fault` is durably decided.
    RescaleAccepted { fault: usize },
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
    pub graph: Arc<ExecutionGraph>,
}
