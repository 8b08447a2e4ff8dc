//! `CheckpointCoordinator`: triggering, ack collection, completion and
//! failure counting, sans-IO (docs/rules.md L1–L3, L13, L14, L16–L18). Time is
//! given as simulated time since the run started; effects come back as
//! `CoordinatorOut` for the coordinator node to carry out.
//!
//! Completion follows L14: every ack in → write the metadata to storage →
//! store the pointer in the completed-checkpoint store (the coordinator's
//! disk) → only then complete: record it, subsume older pending ones,
//! discard checkpoints past `retained`, notify. A checkpoint aborted while
//! its metadata write is under way never completes, however late the write
//! lands.

use super::msg::{Attempt, CheckpointId, CheckpointMeta, StateHandle, TaskId};
use crate::trace::event::AbortReason;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

/// Checkpointing knobs (Flink names) and planted bugs of the coordinator.
#[derive(Debug, Clone)]
pub struct CoordinatorConfig {
    pub interval: Duration,
    pub timeout: Duration,
    pub max_concurrent: usize,
    pub min_pause: Duration,
    pub tolerable_failures: u32,
    /// Completed checkpoints kept; older ones are discarded.
    pub retained: usize,
    /// The planted bugs switched on in the coordinator.
    pub bugs: CoordinatorBugs,
}

/// Planted bugs of the checkpoint coordinator and its node (`bugs` says
/// what each models).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CoordinatorBugs {
    /// `complete_without_all_acks`: complete when all but one task acked.
    pub complete_without_all_acks: bool,
    /// `metadata_before_data`: complete before the metadata write is durable.
    pub metadata_before_data: bool,
    /// `success_before_store`: count success before the store, never count a failed store.
    pub success_before_store: bool,
    /// `pointer_to_aborted_checkpoint`: store a late metadata write of an aborted checkpoint.
    pub store_aborted: bool,
    /// `discard_before_complete`: discard the previous checkpoint at the next trigger.
    pub discard_on_trigger: bool,
    /// `fallback_to_older_checkpoint`: restore the one before an unreadable latest checkpoint.
    pub fallback_to_older: bool,
    /// `restart_gives_up_early`: the restart strategy gives up one failure early.
    pub restart_gives_up_early: bool,
    /// `restart_gives_up_late`: the restart strategy gives up one failure late.
    pub restart_gives_up_late: bool,
    /// `tolerance_fails_early`: fail over at `tolerable_failures` counted failures, not past it.
    pub tolerance_fails_early: bool,
    /// `tolerance_fails_late`: fail over one counted failure past the first one past `tolerable_failures`.
    pub tolerance_fails_late: bool,
}

/// An effect the coordinator node must carry out.
#[derive(Debug, Clone, PartialEq)]
pub enum CoordinatorOut {
    /// Persist the id counter, then send `Trigger(n)` to every source task.
    Trigger(CheckpointId),
    /// Every needed ack is in: write the metadata to storage, then call
    /// `on_metadata_written` (or `on_metadata_failed`).
    WriteMetadata(CheckpointMeta),
    /// The metadata is durable: store the pointer durably (the completed
    /// checkpoint store), then call `on_stored` (or `on_store_failed`).
    Store(CheckpointMeta),
    /// `n` completed: tell every task (best effort, L19).
    NotifyComplete(CheckpointId),
    /// `n` was aborted (L16): tell every task, best effort (a cancel marker).
    NotifyAborted(CheckpointId, AbortReason),
    /// A trigger failed before it left (its id could not be made durable);
    /// the id is given back, nothing to tell the tasks.
    TriggerFailed(String),
    /// Delete checkpoint `n`'s data: it fell out of `retained`.
    Discard(CheckpointId),
    /// Counted failures exceeded `tolerable_failures` (L18): fail over.
    FailJob(String),
}

#[derive(Debug, Clone)]
struct Pending {
    triggered_at: Duration,
    acks: BTreeMap<TaskId, (StateHandle, bool)>,
    /// Every ack is in; the metadata is being written.
    finalizing: bool,
}

/// The checkpoint coordinator of one job.
#[derive(Debug)]
pub struct CheckpointCoordinator {
    config: CoordinatorConfig,
    /// The running attempt and the tasks that must ack, or `None` while the
    /// job is not running.
    running: Option<(Attempt, BTreeSet<TaskId>)>,
    next_id: CheckpointId,
    pending: BTreeMap<CheckpointId, Pending>,
    next_trigger: Duration,
    last_completion: Option<Duration>,
    /// The completed checkpoint store: retained ids, oldest first.
    completed: VecDeque<CheckpointId>,
    /// The latest completed checkpoint's metadata, once known.
    latest: Option<CheckpointMeta>,
    consecutive_failures: u32,
    /// Planted bug `metadata_before_data`: completed before the metadata write ended.
    unconfirmed: BTreeSet<CheckpointId>,
}

impl CheckpointCoordinator {
    /// `next_id`: first id to use (one past every id used before, L2);
    /// `completed`: the completed checkpoint store as recovered from disk.
    pub fn new(config: CoordinatorConfig, next_id: CheckpointId, completed: Vec<CheckpointId>) -> Self {
        CheckpointCoordinator {
            config,
            running: None,
            next_id: next_id.max(1),
            pending: BTreeMap::new(),
            next_trigger: Duration::ZERO,
            last_completion: None,
            completed: completed.into(),
            latest: None,
            consecutive_failures: 0,
            unconfirmed: BTreeSet::new(),
        }
    }

    /// The latest completed checkpoint's metadata, if loaded.
    pub fn latest_completed(&self) -> Option<&CheckpointMeta> {
        self.latest.as_ref()
    }

    /// The completed checkpoint store's ids, oldest first.
    pub fn completed_ids(&self) -> Vec<CheckpointId> {
        self.completed.iter().copied().collect()
    }

    /// The latest completed checkpoint was read back from storage (after a
    /// coordinator restart), or recovery falls back to `meta`.
    pub fn set_latest(&mut self, meta: CheckpointMeta) {
        self.completed.retain(|id| *id <= meta.id);
        self.latest = Some(meta);
    }

    /// Drops `id` from the completed store so recovery uses the one before
    /// it; false if there is none (planted bug `fallback_to_older_checkpoint`).
    pub fn forget(&mut self, id: CheckpointId) -> bool {
        if !self.completed.iter().any(|c| *c < id) {
            return false;
        }
        self.completed.retain(|c| *c != id);
        self.latest = None;
        true
    }

    /// One past the highest id ever triggered.
    pub fn next_id(&self) -> CheckpointId {
        self.next_id
    }

    /// Checkpoints pending now.
    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// A new attempt runs `tasks`; the first trigger comes one interval later.
    pub fn start(&mut self, attempt: Attempt, tasks: BTreeSet<TaskId>, now: Duration) {
        self.running = Some((attempt, tasks));
        self.pending.clear();
        self.next_trigger = now + self.config.interval;
        self.consecutive_failures = 0;
    }

    /// The job stopped (failover): pending checkpoints are dropped (L17).
    pub fn stop(&mut self) -> Vec<CheckpointId> {
        self.running = None;
        std::mem::take(&mut self.pending).into_keys().collect()
    }

    /// Timers: expire pending checkpoints, trigger a new one when due (L1).
    pub fn tick(&mut self, now: Duration) -> Vec<CoordinatorOut> {
        let mut out = vec![];
        if self.running.is_none() {
            return out;
        }
        let expired: Vec<_> = self
            .pending
            .iter()
            .filter(|(_, p)| now >= p.triggered_at + self.config.timeout)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            self.abort(id, AbortReason::Expired, true, &mut out);
        }
        let paused = self.last_completion.is_some_and(|t| now < t + self.config.min_pause);
        if now >= self.next_trigger && self.pending.len() < self.config.max_concurrent && !paused {
            let id = self.next_id;
            self.next_id += 1;
            // L3: the pending checkpoint exists before any trigger leaves.
            self.pending.insert(id, Pending { triggered_at: now, acks: BTreeMap::new(), finalizing: false });
            self.next_trigger = now + self.config.interval;
            out.push(CoordinatorOut::Trigger(id));
            if self.config.bugs.discard_on_trigger {
                // Planted bug: make room for `id` before it has completed.
                while self.completed.len() >= self.config.retained {
                    let dropped = self.completed.pop_front().expect("at least retained");
                    out.push(CoordinatorOut::Discard(dropped));
                }
            }
        }
        out
    }

    /// Triggering `id` failed (its id could not be persisted): a counted
    /// failure (an I/O error at the coordinator, L18). Nothing left with the
    /// id, so it is given back: the durable counter never skips ahead of, or
    /// falls behind, the ids really used (L2).
    pub fn on_trigger_failed(&mut self, id: CheckpointId, reason: String) -> Vec<CoordinatorOut> {
        let mut out = vec![];
        if self.pending.remove(&id).is_none() {
            return out;
        }
        if self.next_id == id + 1 {
            self.next_id = id;
        }
        let reason = format!("trigger failed: {reason}");
        out.push(CoordinatorOut::TriggerFailed(reason.clone()));
        self.count_failure(id, &reason, &mut out);
        out
    }

    /// A task acked `id` with its durable snapshot (L13).
    pub fn on_ack(
        &mut self,
        attempt: Attempt,
        task: TaskId,
        id: CheckpointId,
        handle: StateHandle,
        end_of_data: bool,
    ) -> Vec<CoordinatorOut> {
        let Some((running, tasks)) = &self.running else { return vec![] };
        if attempt != *running || !tasks.contains(&task) {
            return vec![]; // unknown attempt or task: discarded
        }
        let needed =
            if self.config.bugs.complete_without_all_acks { tasks.len().saturating_sub(1).max(1) } else { tasks.len() };
        let all = tasks.len();
        let Some(p) = self.pending.get_mut(&id) else { return vec![] }; // expired or unknown
        if p.finalizing {
            return vec![];
        }
        p.acks.entry(task).or_insert((handle, end_of_data));
        if p.acks.len() < needed {
            return vec![];
        }
        p.finalizing = true;
        let meta = CheckpointMeta {
            id,
            attempt,
            states: p.acks.iter().map(|(t, (h, _))| (*t, h.clone())).collect(),
            end_of_data: p.acks.len() == all && p.acks.values().all(|(_, eod)| *eod),
        };
        if self.config.bugs.success_before_store {
            self.consecutive_failures = 0;
        }
        if self.config.bugs.metadata_before_data {
            self.unconfirmed.insert(id);
            return vec![CoordinatorOut::Store(meta.clone()), CoordinatorOut::WriteMetadata(meta)];
        }
        vec![CoordinatorOut::WriteMetadata(meta)]
    }

    /// The metadata of `meta.id` is durable in storage: store it, unless the
    /// checkpoint was aborted meanwhile (its data then stays: the write's
    /// outcome was unknown when it was aborted, L14).
    pub fn on_metadata_written(&mut self, meta: CheckpointMeta) -> Vec<CoordinatorOut> {
        if self.unconfirmed.remove(&meta.id) {
            return vec![];
        }
        if !self.pending.contains_key(&meta.id) && !self.config.bugs.store_aborted {
            return vec![];
        }
        vec![CoordinatorOut::Store(meta)]
    }

    /// Writing the metadata of `id` failed: a counted failure (L14, L18).
    pub fn on_metadata_failed(&mut self, id: CheckpointId, reason: String) -> Vec<CoordinatorOut> {
        let mut out = vec![];
        let reason = AbortReason::MetadataWriteFailed(reason);
        if self.unconfirmed.remove(&id) {
            // Planted bug: announced complete, now it fails after all.
            out.push(CoordinatorOut::NotifyAborted(id, reason));
            return out;
        }
        let counted = !self.config.bugs.success_before_store;
        self.abort(id, reason, counted, &mut out);
        out
    }

    /// The pointer to `meta` is durable in the completed checkpoint store:
    /// `meta.id` is complete (L14).
    pub fn on_stored(&mut self, meta: CheckpointMeta, now: Duration) -> Vec<CoordinatorOut> {
        let id = meta.id;
        if self.pending.remove(&id).is_none() {
            return vec![]; // aborted while the pointer was being written
        }
        self.completed.push_back(id);
        self.latest = Some(meta);
        self.last_completion = Some(now);
        self.consecutive_failures = 0;
        let mut out = vec![];
        let subsumed: Vec<_> = self.pending.range(..id).map(|(k, _)| *k).collect();
        for old in subsumed {
            self.abort(old, AbortReason::Subsumed, false, &mut out);
        }
        out.push(CoordinatorOut::NotifyComplete(id));
        while self.completed.len() > self.config.retained {
            let dropped = self.completed.pop_front().expect("more than retained");
            out.push(CoordinatorOut::Discard(dropped));
        }
        out
    }

    /// Storing the pointer to `id` failed: the checkpoint fails (L14), a
    /// counted failure (FLINK-32347).
    pub fn on_store_failed(&mut self, id: CheckpointId, reason: String) -> Vec<CoordinatorOut> {
        let mut out = vec![];
        let counted = !self.config.bugs.success_before_store;
        self.abort(id, AbortReason::StoreFailed(reason), counted, &mut out);
        out
    }

    /// A task declined `id` (L16).
    pub fn on_decline(&mut self, attempt: Attempt, id: CheckpointId, reason: String) -> Vec<CoordinatorOut> {
        let mut out = vec![];
        if self.running.as_ref().is_some_and(|(a, _)| *a == attempt) {
            self.abort(id, AbortReason::Declined(reason), true, &mut out);
        }
        out
    }

    /// Aborts pending `id`; a `counted` failure may fail the job (L18).
    fn abort(&mut self, id: CheckpointId, reason: AbortReason, counted: bool, out: &mut Vec<CoordinatorOut>) {
        if self.pending.remove(&id).is_none() {
            return;
        }
        out.push(CoordinatorOut::NotifyAborted(id, reason.clone()));
        if counted {
            self.count_failure(id, &reason, out);
        }
    }

    /// L18: a counted failure of `id`; past `tolerable_failures` it fails
    /// the job. Flink ignores failures of checkpoints older than the last
    /// success; here none can be reported: only pending checkpoints fail,
    /// and a completion subsumes every older pending one (`on_stored`).
    fn count_failure(&mut self, id: CheckpointId, reason: &dyn std::fmt::Display, out: &mut Vec<CoordinatorOut>) {
        self.consecutive_failures += 1;
        let tolerable = match (self.config.bugs.tolerance_fails_early, self.config.bugs.tolerance_fails_late) {
            (true, _) => self.config.tolerable_failures.saturating_sub(1),
            (_, true) => self.config.tolerable_failures + 1,
            _ => self.config.tolerable_failures,
        };
        if self.consecutive_failures > tolerable {
            out.push(CoordinatorOut::FailJob(format!(
                "checkpoint {id} {reason}; {} consecutive failures > tolerable {}",
                self.consecutive_failures, self.config.tolerable_failures
            )));
        }
    }
}

#[cfg(test)]
#[path = "coordinator_tests.rs"]
mod tests;
