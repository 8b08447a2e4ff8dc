//! The coordinator's durable record (its "HA store", like Flink's ZooKeeper
//! store): the job attempt, the checkpoint id counter, the completed
//! checkpoint store (ids of the retained checkpoints; their metadata lives
//! in storage) and whether the job finished. Written whole and fsynced; what
//! a crash leaves is the last synced record.

use super::msg::{Attempt, CheckpointId};
use crate::sim::disk::{DiskError, SimDisk};
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
    /// The completed checkpoint store: retained checkpoints, oldest first.
    pub completed: Vec<CheckpointId>,
    /// The checkpoint the job finished with.
    pub finished: Option<CheckpointId>,
    /// Parallelisms changed by rescales, by operator id.
    #[serde(default)]
    pub parallelism: std::collections::BTreeMap<String, usize>,
    /// The faults whose rescale requests were applied (a request sent again
    /// is accepted, not applied twice).
    #[serde(default)]
    pub rescales: std::collections::BTreeSet<usize>,
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
    pub fn load(&self) -> Result<DurableMeta, DiskError> {
        let bytes = self.disk.read(FILE)?;
        let meta: DurableMeta = bytes.and_then(|b| bincode::deserialize(&b).ok()).unwrap_or_default();
        *self.current.borrow_mut() = meta.clone();
        Ok(meta)
    }

    pub fn get(&self) -> DurableMeta {
        self.current.borrow().clone()
    }

    /// Replaces the record and waits until it is durable. On an error the
    /// in-memory copy keeps the old record (what a restart would read).
    pub async fn persist(&self, meta: DurableMeta) -> Result<(), DiskError> {
        let bytes = bincode::serialize(&meta).expect("meta serializes");
        self.disk.write(FILE, bytes)?;
        self.disk.fsync(FILE).await?;
        *self.current.borrow_mut() = meta;
        Ok(())
    }

    /// The record as it is durably on disk (for oracles, after the run).
    pub fn read_durable(disk: &SimDisk) -> Option<DurableMeta> {
        disk.read_durable(FILE).and_then(|b| bincode::deserialize(&b).ok())
    }
}
