//! The coordinator node carrying out its `CheckpointCoordinator`'s effects:
//! triggers (after the id counter is durable, L2), the metadata write to
//! storage in the background, the pointer write to the completed checkpoint
//! store, notifications (best effort, L19), discards past `retained`.

use super::failover::FailoverCause;
use super::{Internal, JobMaster, JobStatus};
use crate::engine::coordinator::CoordinatorOut;
use crate::engine::keys;
use crate::engine::msg::{CheckpointId, CheckpointMeta, CheckpointMsg, Msg, StorageMsg};
use crate::scenario::OperatorKind;
use crate::sim::now;
use crate::trace::event::AbortReason;
use crate::trace::{emit, Event};
use std::sync::Arc;

impl JobMaster {
    /// Carries out the checkpoint coordinator's effects, in order.
    pub(super) async fn carry_out(&mut self, outs: Vec<CoordinatorOut>) {
        for out in outs {
            match out {
                CoordinatorOut::Trigger(n) => self.trigger(n).await,
                CoordinatorOut::WriteMetadata(meta) => self.write_metadata(meta),
                CoordinatorOut::Store(meta) => self.store(meta).await,
                CoordinatorOut::NotifyComplete(n) => self.notify_complete(n),
                CoordinatorOut::NotifyAborted(n, reason) => self.notify_aborted(n, reason),
                CoordinatorOut::TriggerFailed(reason) => {
                    emit("coordinator", Event::CheckpointTriggerFailed { reason });
                }
                CoordinatorOut::Discard(n) => {
                    emit("coordinator", Event::CheckpointDiscard { checkpoint: n });
                    self.net.send("storage", Msg::Storage(StorageMsg::Delete { prefix: keys::prefix(n) }));
                }
                CoordinatorOut::FailJob(reason) => {
                    if self.status == JobStatus::Running {
                        Box::pin(self.failover(FailoverCause::CheckpointFailures(reason))).await;
                    }
                }
            }
        }
    }

    /// L2: the id counter is durable before the trigger leaves, so a
    /// restarted coordinator never reuses an id.
    async fn trigger(&mut self, n: CheckpointId) {
        let mut durable = self.meta.get();
        durable.next_checkpoint = self.checkpoints.next_id();
        if let Err(e) = self.meta.persist(durable).await {
            let outs = self.checkpoints.on_trigger_failed(n, e.to_string());
            return Box::pin(self.carry_out(outs)).await;
        }
        let attempt = self.attempt();
        let pending = self.checkpoints.pending_count();
        emit("coordinator", Event::CheckpointTriggered { checkpoint: n, attempt, pending });
        for (&to, w) in &self.placement {
            if self.graph.op(to).kind == OperatorKind::Source {
                self.net.send(w, Msg::Checkpoint(CheckpointMsg::Trigger { attempt, to, checkpoint: n }));
            }
        }
    }

    /// L14: every ack is in; the metadata goes to storage in the background.
    fn write_metadata(&self, meta: CheckpointMeta) {
        emit("coordinator", Event::CheckpointMetadataWriting { checkpoint: meta.id, attempt: meta.attempt });
        let (rpc, internal) = (self.rpc.clone(), self.internal.clone());
        madsim::task::spawn_local(async move {
            let key = keys::metadata(meta.id);
            let bytes = Arc::new(bincode::serialize(&meta).expect("metadata serializes"));
            let event = match rpc.storage_put(key, bytes).await {
                Ok(()) => Internal::MetadataWritten(meta),
                Err(e) => Internal::MetadataFailed(meta.id, e),
            };
            let _ = internal.unbounded_send(event);
        });
    }

    /// L14: the metadata is durable; the completed checkpoint store (our
    /// disk) gets the pointer, keeping the newest `retained`; only then is
    /// the checkpoint complete.
    async fn store(&mut self, meta: CheckpointMeta) {
        let mut durable = self.meta.get();
        let mut completed = self.checkpoints.completed_ids();
        completed.push(meta.id);
        let keep = completed.len().saturating_sub(self.scenario.checkpoint.retained);
        durable.completed = completed.split_off(keep);
        let outs = match self.meta.persist(durable).await {
            Ok(()) => self.checkpoints.on_stored(meta, now()),
            Err(e) => self.checkpoints.on_store_failed(meta.id, e.to_string()),
        };
        Box::pin(self.carry_out(outs)).await;
    }

    pub(super) async fn on_internal(&mut self, event: Internal) {
        let outs = match event {
            Internal::MetadataWritten(meta) => self.checkpoints.on_metadata_written(meta),
            Internal::MetadataFailed(n, error) => self.checkpoints.on_metadata_failed(n, error.to_string()),
            Internal::RestoreLoaded(meta) => return self.on_restore_read(Ok(meta)).await,
            Internal::RestoreFailed(n, reason) => return self.on_restore_read(Err((n, reason))).await,
        };
        self.carry_out(outs).await;
    }

    fn notify_complete(&mut self, n: CheckpointId) {
        let attempt = self.attempt();
        let latest = self.checkpoints.latest_completed().expect("just completed");
        let end_of_data = latest.end_of_data && latest.attempt == attempt;
        emit(
            "coordinator",
            Event::CheckpointCompleted {
                checkpoint: n,
                attempt,
                acks: latest.states.len(),
                end_of_data: latest.end_of_data,
            },
        );
        if end_of_data {
            self.final_checkpoint = Some(n);
        }
        for (&to, w) in &self.placement {
            self.net.send(w, Msg::Checkpoint(CheckpointMsg::NotifyComplete { attempt, to, checkpoint: n }));
        }
    }

    fn notify_aborted(&self, n: CheckpointId, reason: AbortReason) {
        emit("coordinator", Event::CheckpointAborted { checkpoint: n, reason });
        let attempt = self.attempt();
        for (&to, w) in &self.placement {
            self.net.send(w, Msg::Checkpoint(CheckpointMsg::NotifyAborted { attempt, to, checkpoint: n }));
        }
    }
}
