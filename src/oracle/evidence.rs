//! What a run left behind, in the shape the properties need: checkpoint
//! events from the trace, committed transactions from the sink's durable WAL,
//! and completed checkpoints' metadata and state from storage's durable disk.

use super::violation::Violation;
use crate::engine::keys;
use crate::engine::meta::MetaStore;
use crate::engine::msg::{CheckpointId, CheckpointMeta};
use crate::engine::services::blobs::{self, BlobRead};
use crate::engine::services::sink::{committed_output, CommittedTxn};
use crate::engine::state::{decode, Snapshot, TaskState};
use crate::oracle::record::RunRecord;
use crate::trace::fault_act::Effect;
use crate::trace::Event;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::time::Duration;

/// The facts the properties judge.
pub struct Evidence<'a> {
    pub record: &'a RunRecord,
    /// checkpoint id → simulated time it completed (first completion).
    pub completed: BTreeMap<CheckpointId, Duration>,
    pub committed: Vec<CommittedTxn>,
    /// The checkpoint the job finished with, per the coordinator's durable record.
    pub finished_with: Option<CheckpointId>,
    /// Copies storage keeps of every blob.
    pub replicas: usize,
    /// Metadata and snapshots already read and decoded (several properties
    /// read each checkpoint), up to `CACHE_BYTES` of blobs.
    cache: Cache,
}

/// Blob bytes the decoded-checkpoint cache may hold: a run with more
/// checkpoint data reads the rest again when asked (memory stays bounded
/// by this, not by the number of checkpoints).
const CACHE_BYTES: usize = 64 << 20;

#[derive(Default)]
struct Cache {
    metadata: RefCell<BTreeMap<CheckpointId, Rc<CheckpointMeta>>>,
    snapshots: RefCell<HashMap<String, Rc<Snapshot>>>,
    /// Blob bytes behind what the maps hold.
    bytes: Cell<usize>,
}

impl Cache {
    /// Whether `len` more bytes' worth may be kept (and counts them if so).
    fn admit(&self, len: usize) -> bool {
        let fits = self.bytes.get() + len <= CACHE_BYTES;
        if fits {
            self.bytes.set(self.bytes.get() + len);
        }
        fits
    }
}

impl<'a> Evidence<'a> {
    pub fn gather(record: &'a RunRecord, replicas: usize) -> Self {
        let mut completed = BTreeMap::new();
        for e in &record.events {
            if let Event::CheckpointCompleted { checkpoint, .. } = e.event {
                completed.entry(checkpoint).or_insert(e.time);
            }
        }
        let committed = committed_output(&record.disks["sink"]);
        let finished_with = MetaStore::read_durable(&record.disks["coordinator"]).and_then(|m| m.finished);
        Evidence { record, completed, committed, finished_with, replicas, cache: Cache::default() }
    }

    /// Transactions committed more than once (only a planted bug does that):
    /// a reader of the output must see their records again.
    pub fn committed_again(&self) -> std::collections::BTreeSet<crate::engine::msg::TxnId> {
        let mut once = std::collections::BTreeSet::new();
        self.committed.iter().filter(|t| t.transactional && !once.insert(t.txn)).map(|t| t.txn).collect()
    }

    /// `v`, located at checkpoint `n` (and at its completion, if it completed).
    pub fn at_checkpoint(&self, n: CheckpointId, v: Violation) -> Violation {
        match self.completed.get(&n) {
            Some(done) => v.checkpoint(n).at(*done),
            None => v.checkpoint(n),
        }
    }

    /// A blob as durably stored (deleted ones included), through its first healthy copy.
    pub fn blob(&self, key: &str) -> BlobRead {
        blobs::read_durable(&self.record.disks["storage"], key, self.replicas)
    }

    /// When each of the `replicas` copies of `key` became durable (its last
    /// fsync), or `None` for a copy never fsynced.
    pub fn copies_durable_at(&self, key: &str) -> Vec<Option<Duration>> {
        let disk = &self.record.disks["storage"];
        (0..self.replicas).map(|r| disk.synced_at(&blobs::copy_path(key, r))).collect()
    }

    /// Whether an injected fault rotted copies of `key` (so an unreadable
    /// blob is the fault's doing, not the engine's).
    pub fn rotted(&self, key: &str) -> bool {
        self.record.events.iter().any(|e| match &e.event {
            Event::Fault(act) => act.strike().is_some_and(|s| matches!(&s.effect, Effect::Rot { key: k } if k == key)),
            _ => false,
        })
    }

    /// The metadata of checkpoint `n` as durably stored.
    pub fn metadata(&self, n: CheckpointId) -> Result<Rc<CheckpointMeta>, Unreadable> {
        if let Some(meta) = self.cache.metadata.borrow().get(&n) {
            return Ok(meta.clone());
        }
        let key = keys::metadata(n);
        let bytes = self.readable(&key)?;
        let meta: Rc<CheckpointMeta> = bincode::deserialize(&bytes)
            .map(Rc::new)
            .map_err(|e| Unreadable::Broken(format!("{key} undecodable: {e}")))?;
        if self.cache.admit(bytes.len()) {
            self.cache.metadata.borrow_mut().insert(n, meta.clone());
        }
        Ok(meta)
    }

    /// A task's state in a checkpoint, fetched and checked like a restore would.
    pub fn state(&self, meta: &CheckpointMeta, task: crate::engine::msg::TaskId) -> Result<TaskState, Unreadable> {
        self.snapshot(meta, task).map(|s| s.state.clone())
    }

    /// A task's whole snapshot (state and channel state) in a checkpoint.
    pub fn snapshot(
        &self,
        meta: &CheckpointMeta,
        task: crate::engine::msg::TaskId,
    ) -> Result<Rc<Snapshot>, Unreadable> {
        let handle =
            meta.states.get(&task).ok_or_else(|| Unreadable::Broken("no state handle in the metadata".to_string()))?;
        if let Some(snapshot) = self.cache.snapshots.borrow().get(&handle.key) {
            return Ok(snapshot.clone());
        }
        let bytes = self.readable(&handle.key)?;
        let snapshot = Rc::new(decode(&bytes, handle, true).map_err(|e| Unreadable::Broken(e.to_string()))?);
        if self.cache.admit(bytes.len()) {
            self.cache.snapshots.borrow_mut().insert(handle.key.clone(), snapshot.clone());
        }
        Ok(snapshot)
    }

    fn readable(&self, key: &str) -> Result<Vec<u8>, Unreadable> {
        let read = self.blob(key);
        match read.content {
            Some(bytes) => Ok(bytes),
            None if self.rotted(key) => Err(Unreadable::Rotted(format!("{key}: {}", read.describe_bad()))),
            None if read.missing() => Err(Unreadable::Broken(format!("{key} missing from storage"))),
            None => Err(Unreadable::Broken(format!("{key} has no healthy copy: {}", read.describe_bad()))),
        }
    }
}

/// Why a checkpoint's blob cannot be judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// Injected bit rot destroyed every copy: nothing to judge, no violation.
    Rotted(String),
    /// Missing or broken with no fault to blame: a violation.
    Broken(String),
}

impl Unreadable {
    /// The same, prefixed with what was being read (`count[1]: …`).
    pub fn context(self, what: &str) -> Self {
        match self {
            Unreadable::Rotted(s) => Unreadable::Rotted(format!("{what}: {s}")),
            Unreadable::Broken(s) => Unreadable::Broken(format!("{what}: {s}")),
        }
    }
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreadable::Rotted(s) => write!(f, "destroyed by injected bit rot ({s})"),
            Unreadable::Broken(s) => f.write_str(s),
        }
    }
}
