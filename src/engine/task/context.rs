//! What a running subtask is: its identity, its worker's shared handles,
//! what it restores from, and what every task does the same way — restore
//! its snapshot, upload a snapshot and ack it, report a failure.

use crate::engine::coordinator::CoordinatorBugs;
use crate::engine::graph::ExecutionGraph;
use crate::engine::keys;
use crate::engine::msg::{
    Attempt, CheckpointId, CheckpointMsg, ControlMsg, Msg, StateHandle, StorageError, TaskError, TaskId,
};
use crate::engine::outputs::Outputs;
use crate::engine::protocol::ProtocolBugs;
use crate::engine::rescale::RescaleBugs;
use crate::engine::rescale::{self, Restored};
use crate::engine::rpc::Rpc;
use crate::engine::services::sink::SinkStoreBugs;
use crate::engine::services::storage::StorageBugs;
use crate::engine::sink::append::AppendBugs;
use crate::engine::sink::committables::CommitterBugs;
use crate::engine::sink::transactions::TransactionBugs;
use crate::engine::state::{self, Snapshot};
use crate::sim::net::Net;
use crate::trace::event::SnapshotKeys;
use crate::trace::{emit, Event};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

/// Every core's planted bugs for one run, as `bugs` switches them on;
/// each core takes its own part. The task context carries them to the cores
/// a task runs (protocol, rescale, sinks); the cluster hands the rest to
/// the coordinator and the services.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Bugs {
    pub coordinator: CoordinatorBugs,
    pub protocol: ProtocolBugs,
    pub task: TaskBugs,
    pub rescale: RescaleBugs,
    pub transactions: TransactionBugs,
    pub committer: CommitterBugs,
    pub append: AppendBugs,
    pub sink_store: SinkStoreBugs,
    pub storage: StorageBugs,
}

/// Planted bugs of the task runtime (`bugs` says what each models).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TaskBugs {
    /// `no_offset_restore`: sources ignore the restored offsets.
    pub no_offset_restore: bool,
    /// `ignore_sequence_gaps`: input channels do not check sequence numbers.
    pub ignore_sequence_gaps: bool,
    /// `ack_before_durable`: ack before the snapshot upload is durable.
    pub ack_before_durable: bool,
    /// `abort_drops_buffered`: an abandoned alignment drops what blocked inputs buffered.
    pub abort_drops_buffered: bool,
    /// `ignore_checksum`: a restored snapshot is not verified.
    pub ignore_checksum: bool,
    /// `chain_snapshot_late`: a chain's last operator snapshots one input buffer late.
    pub chain_snapshot_late: bool,
    /// `credit_lost_on_reconnect`: a re-established channel gets no initial credit.
    pub credit_lost_on_reconnect: bool,
    /// `unaligned_pointwise`: pointwise and broadcast channels go unaligned too.
    pub unaligned_pointwise: bool,
    /// `timeout_ignores_forced_aligned`: queued barriers time out on pointwise and broadcast channels too.
    pub timeout_ignores_forced_aligned: bool,
}

impl TaskBugs {
    /// Whether operator `op` aligns although `graph`'s checkpoints are
    /// unaligned (`graph::forced_aligned`), unless `unaligned_pointwise`
    /// lets its channels go unaligned too.
    pub(crate) fn forced_aligned(&self, graph: &ExecutionGraph, op: TaskId) -> bool {
        !self.unaligned_pointwise && crate::engine::graph::forced_aligned(graph.op(op), &*graph.protocol.kind)
    }
}

/// What every task on a worker shares.
pub(crate) struct WorkerEnv {
    pub worker: String,
    pub net: Net<Msg>,
    pub rpc: Rpc,
    /// The planted bugs switched on in this run.
    pub bugs: Bugs,
}

/// One deployed subtask, as a component running in it sees it: which
/// subtask it is, and of which attempt of the job.
pub struct TaskCtx {
    pub(crate) env: Rc<WorkerEnv>,
    /// The job as this deployment runs it (parallelisms change on rescale).
    pub(crate) graph: Arc<ExecutionGraph>,
    /// The operator (`id.op`, its index in the job) and the subtask (`id.subtask`).
    pub id: TaskId,
    /// `op[i]`, as traces and scenario files name the subtask.
    pub name: String,
    /// The attempt of the job this subtask belongs to; every restart or
    /// rescale starts a new one, and the sink store fences older ones.
    pub attempt: Attempt,
    pub(crate) placement: Arc<BTreeMap<TaskId, String>>,
    /// The checkpoint restored from, if any.
    pub(crate) restore: Option<Restore>,
}

/// What a task restores: the checkpoint, and the snapshots of its
/// operator's subtasks in it (its own; after a rescale, all of them, to be
/// redistributed).
#[derive(Debug, Clone)]
pub(crate) struct Restore {
    pub checkpoint: CheckpointId,
    pub handles: Vec<(TaskId, StateHandle)>,
    /// The operator's parallelism in the checkpoint differs from now.
    pub rescaled: bool,
}

impl TaskCtx {
    pub(crate) fn outputs(&self) -> Outputs {
        let forced = |to: TaskId| self.env.bugs.task.forced_aligned(&self.graph, to);
        let mut outputs =
            Outputs::new(&self.graph, self.id, self.attempt, self.env.net.clone(), self.placement.clone(), &forced);
        if self.env.bugs.task.timeout_ignores_forced_aligned {
            outputs.time_out_on_every_edge();
        }
        outputs
    }

    /// Fetches and checks this task's restored snapshot, if any. After a
    /// rescale it is rebuilt from every old subtask's (key groups by range,
    /// partitions by assignment, channel state by owner, L21); `removed` then
    /// holds the states of old subtasks that no longer exist, for subtask 0
    /// to recover (their sink transactions).
    pub(crate) async fn restore_state(&self) -> Result<Option<Restored>, TaskError> {
        let Some(restore) = &self.restore else { return Ok(None) };
        let n = restore.checkpoint;
        let mut old = vec![];
        for (task, handle) in &restore.handles {
            if !restore.rescaled && *task != self.id {
                continue;
            }
            let snapshot = self
                .fetch_state(handle)
                .await
                .map_err(|detail| TaskError::Restore { checkpoint: n, detail: Box::new(detail) })?;
            old.push((*task, snapshot));
        }
        let keys: Vec<String> = restore
            .handles
            .iter()
            .filter(|(t, _)| restore.rescaled || *t == self.id)
            .map(|(_, h)| h.key.clone())
            .collect();
        let state = SnapshotKeys(keys);
        emit(
            &self.env.worker,
            Event::TaskRestored { task: self.name.clone(), attempt: self.attempt, checkpoint: n, state },
        );
        if !restore.rescaled {
            return Ok(old.pop().map(|(_, snapshot)| Restored { snapshot: Some(snapshot), removed: vec![] }));
        }
        Ok(Some(rescale::redistribute(&self.graph, self.id, old, self.env.bugs.rescale)))
    }

    async fn fetch_state(&self, handle: &StateHandle) -> Result<Snapshot, TaskError> {
        let bytes = self.env.rpc.storage_get(handle.key.clone()).await?;
        let bytes = bytes.ok_or_else(|| TaskError::storage(StorageError::Missing(handle.key.clone())))?;
        let checked = !self.env.bugs.task.ignore_checksum;
        Ok(state::decode(&bytes, handle, checked)?)
    }

    /// The synchronous part of the snapshot of `n` is done (L12).
    pub(crate) fn snapshot_taken(&self, n: CheckpointId) {
        emit(&self.env.worker, Event::SnapshotTaken { task: self.name.clone(), checkpoint: n, attempt: self.attempt });
    }

    /// Uploads the snapshot of `n` in the background; acks once durable (L7,
    /// L12), declines if the upload fails.
    pub(crate) fn upload_and_ack(self: &Rc<Self>, n: CheckpointId, state: Snapshot, end_of_data: bool) {
        let ctx = self.clone();
        madsim::task::spawn_local(async move {
            let (bytes, checksum) = state::encode(&state);
            let key = keys::snapshot(n, &ctx.name, ctx.attempt);
            let handle = StateHandle { key: key.clone(), checksum, len: bytes.len() as u64 };
            let early = ctx.env.bugs.task.ack_before_durable;
            if early {
                ctx.ack(n, handle.clone(), end_of_data);
            }
            match ctx.env.rpc.storage_put(key, Arc::new(bytes)).await {
                Ok(()) => {
                    emit(
                        &ctx.env.worker,
                        Event::SnapshotDurable { task: ctx.name.clone(), checkpoint: n, key: handle.key.clone() },
                    );
                    if !early {
                        ctx.ack(n, handle, end_of_data);
                    }
                }
                Err(error) => {
                    let reason = error.to_string();
                    emit(
                        &ctx.env.worker,
                        Event::CheckpointDeclined { task: ctx.name.clone(), checkpoint: n, reason: reason.clone() },
                    );
                    let attempt = ctx.attempt;
                    ctx.env.net.send(
                        "coordinator",
                        Msg::Checkpoint(CheckpointMsg::Decline { attempt, checkpoint: n, reason }),
                    );
                }
            }
        });
    }

    fn ack(&self, n: CheckpointId, handle: StateHandle, end_of_data: bool) {
        let (attempt, task) = (self.attempt, self.id);
        emit(&self.env.worker, Event::CheckpointAcked { task: self.name.clone(), checkpoint: n, attempt });
        self.env.net.send(
            "coordinator",
            Msg::Checkpoint(CheckpointMsg::Ack { attempt, task, checkpoint: n, handle, end_of_data }),
        );
    }

    /// Reports a task failure to the coordinator.
    pub(crate) fn fail(&self, error: TaskError) {
        emit(
            &self.env.worker,
            Event::TaskFailed {
                task: self.name.clone(),
                attempt: self.attempt,
                error: error.kind(),
                reason: error.to_string(),
            },
        );
        let msg = Msg::Control(ControlMsg::TaskFailed { attempt: self.attempt, task: self.id, error });
        self.env.net.send("coordinator", msg);
    }
}
