//! The coordinator's durable record (its "HA store"): job attempt, checkpoint
//! id counter, latest completed checkpoint, and whether the job finished.
//! Written whole and fsynced; what a crash leaves is the last synced record.

use super::msg::{Attempt, CheckpointId, CheckpointMeta};
use crate::sim::disk::SimDisk;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;

const FILE: &str = "coordinator.meta";

/// What survives a coordinator crash.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DurableMeta {
    /// The latest attempt deployed (0: never).
    pub attempt: Attempt,
    /// One past every checkpoint id ever triggered.
    pub next_checkpoint: CheckpointId,
    pub latest: Option<CheckpointMeta>,
    /// The checkpoint the job finished with.
    pub finished: Option<CheckpointId>,
}

/// The in-memory copy and the disk it is persisted to; clones share both.
#[derive(Clone)]
pub struct MetaStore {
    disk: SimDisk,
    current: Rc<RefCell<DurableMeta>>,
}

impl MetaStore {
    pub fn new(disk: SimDisk) -> Self {
        MetaStore { disk, current: Rc::default() }
    }

    /// Reads the record from disk (a fresh one if none).
    pub fn load(&self) -> DurableMeta {
        let meta: DurableMeta = self.disk.read(FILE).and_then(|b| bincode::deserialize(&b).ok()).unwrap_or_default();
        *self.current.borrow_mut() = meta.clone();
        meta
    }

    pub fn get(&self) -> DurableMeta {
        self.current.borrow().clone()
    }

    /// Replaces the record and waits until it is durable.
    pub async fn persist(&self, meta: DurableMeta) {
        let bytes = bincode::serialize(&meta).expect("meta serializes");
        *self.current.borrow_mut() = meta;
        self.disk.write(FILE, bytes);
        self.disk.fsync(FILE).await;
    }

    /// The record as it is durably on disk (for oracles, after the run).
    pub fn read_durable(disk: &SimDisk) -> Option<DurableMeta> {
        disk.read_durable(FILE).and_then(|b| bincode::deserialize(&b).ok())
    }
}
