//! Failover: why the job restarts (`FailoverCause`, recorded in the trace
//! for the `explained_failovers` oracle), the restart strategy's decision,
//! and recovery's reading of the checkpoint to restore.

use super::{Internal, JobMaster, JobStatus};
use crate::bugs::Bug;
use crate::emit;
use crate::engine::msg::{CheckpointId, CheckpointMeta, Msg, TaskError};
use crate::engine::restart::RestartDecision;
use crate::sim::now;

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
    RecoveryFailed { checkpoint: CheckpointId, reason: String },
}

impl FailoverCause {
    /// `(cause, node, detail)` for the trace.
    fn describe(&self) -> (&'static str, String, String) {
        match self {
            FailoverCause::WorkerLost { worker } => ("worker_lost", worker.clone(), "no heartbeat".into()),
            FailoverCause::WorkerRestarted { worker } => ("worker_restarted", worker.clone(), "new boot".into()),
            FailoverCause::TasksLost { worker } => {
                ("tasks_lost", worker.clone(), "it cancelled its tasks on losing the coordinator".into())
            }
            FailoverCause::TaskFailed { task, worker, error } => {
                ("task_failed", worker.clone(), format!("task {task} failed: {error}"))
            }
            FailoverCause::CheckpointFailures(reason) => ("checkpoint_failures", "coordinator".into(), reason.clone()),
            FailoverCause::RecoveryFailed { checkpoint, reason } => {
                ("recovery_failed", "storage".into(), format!("cannot read checkpoint {checkpoint}: {reason}"))
            }
        }
    }
}

impl FailoverCause {
    /// For a task failure: `(task, error kind, service, upstream task,
    /// checkpoint)`, `-` where they do not apply.
    fn task_fields(&self) -> (String, &'static str, String, String, String) {
        let dash = || "-".to_string();
        let (FailoverCause::TaskFailed { task, error, .. }, _) = (self, ()) else {
            let checkpoint = match self {
                FailoverCause::RecoveryFailed { checkpoint, .. } => checkpoint.to_string(),
                _ => dash(),
            };
            return (dash(), "-", dash(), dash(), checkpoint);
        };
        let service = error.service().map_or_else(dash, str::to_string);
        let (upstream, checkpoint) = match error {
            TaskError::LostMessages { from, .. } => (from.clone(), dash()),
            TaskError::Restore { checkpoint, .. } => (dash(), checkpoint.to_string()),
            _ => (dash(), dash()),
        };
        (task.clone(), error.kind(), service, upstream, checkpoint)
    }
}

impl JobMaster {
    /// An operator's rescale (L21): the new parallelism is made durable,
    /// every task stops, and the job is scheduled again at once with the new
    /// graph, restoring the latest completed checkpoint; the restart
    /// strategy is not asked (nothing failed).
    pub(super) async fn rescale(&mut self, request: super::RescaleRequest) {
        let mut durable = self.meta.get();
        durable.parallelism.insert(request.operator.clone(), request.parallelism);
        durable.rescales.insert(request.fault);
        if let Err(e) = self.meta.persist(durable.clone()).await {
            emit!("coordinator", "coordinator_disk_error", error = e);
            self.rescales.push_front(request); // try again next tick
            return;
        }
        self.net.send(&request.from, Msg::RescaleAccepted { fault: request.fault });
        let attempt = self.attempt();
        let dropped = self.checkpoints.stop();
        for w in self.workers.keys() {
            self.net.send(w, Msg::Cancel { attempt });
        }
        self.graph =
            std::sync::Arc::new(super::super::graph::ExecutionGraph::build_with(&self.scenario, &durable.parallelism));
        emit!(
            "coordinator",
            "job_failover",
            attempt = attempt,
            cause = "rescale",
            peer = "-",
            task = "-",
            error = "-",
            service = "-",
            upstream = "-",
            checkpoint = "-",
            reason = format!(
                "{} rescaled to parallelism {} (fault {})",
                request.operator, request.parallelism, request.fault
            ),
            failures = self.restart.failures(),
            dropped_checkpoints = format!("{dropped:?}")
        );
        self.status = JobStatus::Scheduling { not_before: now() };
    }

    /// Every task fails over: cancel, ask the restart strategy, reschedule.
    pub(super) async fn failover(&mut self, cause: FailoverCause) {
        let attempt = self.attempt();
        let dropped = self.checkpoints.stop();
        for w in self.workers.keys() {
            self.net.send(w, Msg::Cancel { attempt });
        }
        if let FailoverCause::TaskFailed { error: TaskError::Restore { checkpoint, .. }, .. } = &cause {
            self.maybe_fall_back(*checkpoint);
        }
        let t = now();
        let decision = self.restart.on_failure(t);
        let (kind, node, reason) = cause.describe();
        let (task, error, service, upstream, checkpoint) = cause.task_fields();
        emit!(
            "coordinator",
            "job_failover",
            attempt = attempt,
            cause = kind,
            peer = node,
            task = task,
            error = error,
            service = service,
            upstream = upstream,
            checkpoint = checkpoint,
            reason = reason,
            failures = self.restart.failures(),
            dropped_checkpoints = format!("{dropped:?}")
        );
        match decision {
            RestartDecision::RestartAfter(delay) => self.status = JobStatus::Scheduling { not_before: t + delay },
            RestartDecision::Fail(why) => {
                self.status = JobStatus::Failed;
                emit!(
                    "coordinator",
                    "job_failed",
                    attempt = attempt,
                    reason = format!("{why}; last failure: {reason}")
                );
            }
        }
    }

    /// Planted bug `fallback_to_older_checkpoint`: a checkpoint that failed
    /// to restore is dropped and the one before it used instead.
    fn maybe_fall_back(&mut self, failed: CheckpointId) -> bool {
        if self.bug != Some(Bug::FallbackToOlderCheckpoint) {
            return false;
        }
        self.checkpoints.forget(failed)
    }

    /// Reads checkpoint `id`'s metadata back from storage, in the background.
    pub(super) fn load_restore(&mut self, id: CheckpointId) {
        self.status = JobStatus::Restoring;
        let (rpc, internal) = (self.rpc.clone(), self.internal.clone());
        madsim::task::spawn_local(async move {
            let result = rpc.storage_get(format!("chk-{id}/_metadata")).await.map_err(|e| e.to_string());
            let event = match result.and_then(|b| b.ok_or_else(|| "its metadata is missing".to_string())) {
                Ok(bytes) => match bincode::deserialize::<CheckpointMeta>(&bytes) {
                    Ok(meta) if meta.id == id => Internal::RestoreLoaded(meta),
                    Ok(other) => Internal::RestoreFailed(id, format!("metadata names checkpoint {}", other.id)),
                    Err(e) => Internal::RestoreFailed(id, format!("undecodable metadata: {e}")),
                },
                Err(reason) => Internal::RestoreFailed(id, reason),
            };
            let _ = internal.unbounded_send(event);
        });
    }

    /// The restore's metadata arrived, or could not be read.
    pub(super) async fn on_restore_read(&mut self, result: Result<CheckpointMeta, (CheckpointId, String)>) {
        if self.status != JobStatus::Restoring {
            return;
        }
        match result {
            Ok(meta) => {
                emit!("coordinator", "restore_loaded", checkpoint = meta.id);
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
