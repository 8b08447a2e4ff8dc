//! Failover: why the job restarts (`FailoverCause`, recorded in the trace
//! for the `explained_failovers` oracle), the restart strategy's decision,
//! and recovery's reading of the checkpoint to restore.

use super::{Internal, JobMaster, JobStatus};
use crate::engine::keys;
use crate::engine::msg::{Attempt, CheckpointId, CheckpointMeta, ClientMsg, ControlMsg, Msg, TaskError};
use crate::engine::restart::RestartDecision;
use crate::sim::now;
use crate::trace::event::{FailoverKind, IdList, OrDash};
use crate::trace::{emit, Event};

/// Why the job fails over.
#[derive(Debug, Clone)]
pub enum FailoverCause {
    /// The worker's heartbeats stopped arriving.
    WorkerLost { worker: String },
    /// The worker came back with a new boot: it lost its tasks.
    WorkerRestarted { worker: String },
    /// The worker cancelled its tasks of this attempt (it lost us).
    TasksLost { worker: String },
    /// A task reported a failure.
    TaskFailed { task: String, worker: String, error: TaskError },
    /// Counted checkpoint failures went past `tolerable_failures` (L18).
    CheckpointFailures(String),
    /// The checkpoint to restore could not be read (L20).
    RecoveryFailed { checkpoint: CheckpointId, reason: RecoveryError },
}

/// Why the checkpoint to restore could not be read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RecoveryError {
    /// Storage did not answer, or answered with an error.
    #[error(transparent)]
    Read(#[from] TaskError),
    #[error("its metadata is missing")]
    Missing,
    /// The metadata under this checkpoint's key is another checkpoint's.
    #[error("metadata names checkpoint {0}")]
    WrongCheckpoint(CheckpointId),
    #[error("undecodable metadata: {0}")]
    Undecodable(String),
}

impl FailoverCause {
    /// What the trace calls it, and the node it points at.
    fn kind_and_peer(&self) -> (FailoverKind, &str) {
        match self {
            FailoverCause::WorkerLost { worker } => (FailoverKind::WorkerLost, worker),
            FailoverCause::WorkerRestarted { worker } => (FailoverKind::WorkerRestarted, worker),
            FailoverCause::TasksLost { worker } => (FailoverKind::TasksLost, worker),
            FailoverCause::TaskFailed { worker, .. } => (FailoverKind::TaskFailed, worker),
            FailoverCause::CheckpointFailures(_) => (FailoverKind::CheckpointFailures, "coordinator"),
            FailoverCause::RecoveryFailed { .. } => (FailoverKind::RecoveryFailed, "storage"),
        }
    }

    /// Why, in words.
    fn reason(&self) -> String {
        match self {
            FailoverCause::WorkerLost { .. } => "no heartbeat".into(),
            FailoverCause::WorkerRestarted { .. } => "new boot".into(),
            FailoverCause::TasksLost { .. } => "it cancelled its tasks on losing the coordinator".into(),
            FailoverCause::TaskFailed { task, error, .. } => format!("task {task} failed: {error}"),
            FailoverCause::CheckpointFailures(reason) => reason.clone(),
            FailoverCause::RecoveryFailed { checkpoint, reason } => {
                format!("cannot read checkpoint {checkpoint}: {reason}")
            }
        }
    }

    /// The trace event of this failover of `attempt`.
    fn event(&self, attempt: Attempt, failures: u32, dropped: Vec<CheckpointId>) -> Event {
        let some = |s: &str| OrDash(Some(s.to_string()));
        let (cause, peer) = self.kind_and_peer();
        let (mut task, mut error, mut service, mut upstream) = (OrDash(None), OrDash(None), OrDash(None), OrDash(None));
        let mut checkpoint = OrDash(None);
        match self {
            FailoverCause::TaskFailed { task: t, error: e, .. } => {
                task = some(t);
                error = OrDash(Some(e.kind()));
                service = OrDash(e.service().map(str::to_string));
                match e {
                    TaskError::LostMessages { from, .. } => upstream = some(from),
                    TaskError::Restore { checkpoint: n, .. } => checkpoint = OrDash(Some(*n)),
                    _ => {}
                }
            }
            FailoverCause::RecoveryFailed { checkpoint: n, .. } => checkpoint = OrDash(Some(*n)),
            _ => {}
        }
        let dropped_checkpoints = IdList(dropped);
        Event::JobFailover {
            attempt,
            cause,
            peer: some(peer),
            task,
            error,
            service,
            upstream,
            checkpoint,
            reason: self.reason(),
            failures,
            dropped_checkpoints,
        }
    }
}

impl JobMaster {
    /// An operator's rescale (L21): the new parallelism is made durable,
    /// every task stops, and the job is scheduled again at once with the new
    /// graph (or once a restart delay still running is over), restoring the
    /// latest completed checkpoint; the restart strategy is not asked
    /// (nothing failed).
    pub(super) async fn rescale(&mut self, request: super::RescaleRequest) {
        let mut durable = self.meta.get();
        durable.parallelism.insert(request.operator.clone(), request.parallelism);
        durable.rescales.insert(request.fault);
        if let Err(e) = self.meta.persist(durable.clone()).await {
            emit("coordinator", Event::CoordinatorDiskError { error: e.clone() });
            self.rescales.push_front(request); // try again next tick
            return;
        }
        self.net.send(&request.from, Msg::Client(ClientMsg::RescaleAccepted { fault: request.fault }));
        let attempt = self.attempt();
        let dropped = self.checkpoints.stop();
        for w in self.workers.keys() {
            self.net.send(w, Msg::Control(ControlMsg::Cancel { attempt }));
        }
        self.graph =
            std::sync::Arc::new(crate::engine::job::graph_with(&self.scenario, &self.registry, &durable.parallelism));
        let reason =
            format!("{} rescaled to parallelism {} (fault {})", request.operator, request.parallelism, request.fault);
        emit(
            "coordinator",
            Event::JobFailover {
                attempt,
                cause: FailoverKind::Rescale,
                peer: OrDash(None),
                task: OrDash(None),
                error: OrDash(None),
                service: OrDash(None),
                upstream: OrDash(None),
                checkpoint: OrDash(None),
                reason,
                failures: self.restart.failures(),
                dropped_checkpoints: IdList(dropped),
            },
        );
        // A rescale while a failure's restart delay is still running does
        // not cut it short: the job redeploys once the delay is over, as
        // Flink's Restarting state waits out its backoff before it acts on
        // new requirements.
        let not_before = match self.status {
            JobStatus::Scheduling { not_before } => not_before.max(now()),
            _ => now(),
        };
        self.status = JobStatus::Scheduling { not_before };
    }

    /// Every task fails over: cancel, ask the restart strategy, reschedule.
    pub(super) async fn failover(&mut self, cause: FailoverCause) {
        let attempt = self.attempt();
        let dropped = self.checkpoints.stop();
        for w in self.workers.keys() {
            self.net.send(w, Msg::Control(ControlMsg::Cancel { attempt }));
        }
        if let FailoverCause::TaskFailed { error: TaskError::Restore { checkpoint, .. }, .. } = &cause {
            self.maybe_fall_back(*checkpoint);
        }
        let t = now();
        let decision = self.restart.on_failure(t);
        emit("coordinator", cause.event(attempt, self.restart.failures(), dropped));
        let reason = cause.reason();
        match decision {
            RestartDecision::RestartAfter(delay) => self.status = JobStatus::Scheduling { not_before: t + delay },
            RestartDecision::Fail(why) => {
                self.status = JobStatus::Failed;
                emit("coordinator", Event::JobFailed { attempt, reason: format!("{why}; last failure: {reason}") });
            }
        }
    }

    /// Planted bug `fallback_to_older_checkpoint`: a checkpoint that failed
    /// to restore is dropped and the one before it used instead.
    fn maybe_fall_back(&mut self, failed: CheckpointId) -> bool {
        if !self.bugs.fallback_to_older {
            return false;
        }
        self.checkpoints.forget(failed)
    }

    /// Reads checkpoint `id`'s metadata back from storage, in the background.
    pub(super) fn load_restore(&mut self, id: CheckpointId) {
        self.status = JobStatus::Restoring;
        let (rpc, internal) = (self.rpc.clone(), self.internal.clone());
        madsim::task::spawn_local(async move {
            let event = match read_metadata(&rpc, id).await {
                Ok(meta) => Internal::RestoreLoaded(meta),
                Err(reason) => Internal::RestoreFailed(id, reason),
            };
            let _ = internal.unbounded_send(event);
        });
    }

    /// The restore's metadata arrived, or could not be read.
    pub(super) async fn on_restore_read(&mut self, result: Result<CheckpointMeta, (CheckpointId, RecoveryError)>) {
        if self.status != JobStatus::Restoring {
            return;
        }
        match result {
            Ok(meta) => {
                emit("coordinator", Event::RestoreLoaded { checkpoint: meta.id });
                self.checkpoints.set_latest(meta);
                self.status = JobStatus::Scheduling { not_before: now() };
            }
            Err((id, reason)) if self.maybe_fall_back(id) => {
                let _ = reason; // the planted bug skips it without a word
                self.status = JobStatus::Scheduling { not_before: now() };
            }
            Err((checkpoint, reason)) => self.failover(FailoverCause::RecoveryFailed { checkpoint, reason }).await,
        }
    }
}

/// Checkpoint `id`'s metadata, read back from storage.
async fn read_metadata(rpc: &crate::engine::rpc::Rpc, id: CheckpointId) -> Result<CheckpointMeta, RecoveryError> {
    let bytes = rpc.storage_get(keys::metadata(id)).await?.ok_or(RecoveryError::Missing)?;
    match bincode::deserialize::<CheckpointMeta>(&bytes) {
        Ok(meta) if meta.id == id => Ok(meta),
        Ok(other) => Err(RecoveryError::WrongCheckpoint(other.id)),
        Err(e) => Err(RecoveryError::Undecodable(e.to_string())),
    }
}
