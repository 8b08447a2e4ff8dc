//! What a run left behind, in the shape the properties need: checkpoint
//! events from the trace, committed transactions from the sink's durable WAL,
//! and completed checkpoints' metadata and state from storage's durable disk.

use crate::engine::meta::MetaStore;
use crate::engine::msg::{CheckpointId, CheckpointMeta};
use crate::engine::services::sink::{committed_output, CommittedTxn};
use crate::engine::state::{decode, TaskState};
use crate::sim::world::RunRecord;
use crate::trace::TraceEvent;
use std::collections::BTreeMap;
use std::time::Duration;

/// The facts the properties judge.
pub struct Evidence<'a> {
    pub record: &'a RunRecord,
    /// checkpoint id → simulated time it completed (first completion).
    pub completed: BTreeMap<CheckpointId, Duration>,
    pub committed: Vec<CommittedTxn>,
    /// The checkpoint the job finished with, per the coordinator's durable record.
    pub finished_with: Option<CheckpointId>,
}

impl<'a> Evidence<'a> {
    pub fn gather(record: &'a RunRecord) -> Self {
        let mut completed = BTreeMap::new();
        for e in events(record, "checkpoint_completed") {
            if let Some(n) = e.num("checkpoint") {
                completed.entry(n).or_insert(e.time);
            }
        }
        let committed = committed_output(&record.disks["sink"]);
        let finished_with = MetaStore::read_durable(&record.disks["coordinator"]).and_then(|m| m.finished);
        Evidence { record, completed, committed, finished_with }
    }

    /// The metadata of checkpoint `n` as durably stored.
    pub fn metadata(&self, n: CheckpointId) -> Option<CheckpointMeta> {
        let bytes = self.record.disks["storage"].read_durable(&format!("chk-{n}/_metadata"))?;
        bincode::deserialize(&bytes).ok()
    }

    /// A task's state in a checkpoint, fetched and checked like a restore would.
    pub fn state(&self, meta: &CheckpointMeta, task: crate::engine::msg::TaskId) -> Result<TaskState, String> {
        let handle = meta.states.get(&task).ok_or_else(|| "no state handle in the metadata".to_string())?;
        let bytes = self.record.disks["storage"]
            .read_durable(&handle.key)
            .ok_or_else(|| format!("{} missing from storage", handle.key))?;
        decode(&bytes, handle)
    }
}

/// The trace events of one kind.
pub fn events<'r>(record: &'r RunRecord, kind: &'r str) -> impl Iterator<Item = &'r TraceEvent> + 'r {
    record.events.iter().filter(move |e| e.kind == kind)
}
