//! `CheckpointCoordinator`: triggering, ack collection, completion and
//! failure counting, sans-IO (FLINK-SPEC L1–L3, L13, L14, L16–L18). Time is
//! given as simulated time since the run started; effects come back as
//! `CoordinatorOut` for the coordinator node to carry out.

use super::msg::{Attempt, CheckpointId, CheckpointMeta, StateHandle, TaskId};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Checkpointing knobs (Flink names).
#[derive(Debug, Clone)]
pub struct CoordinatorConfig {
    pub interval: Duration,
    pub timeout: Duration,
    pub max_concurrent: usize,
    pub min_pause: Duration,
    pub tolerable_failures: u32,
    /// Planted bug `complete_without_all_acks`.
    pub complete_without_all_acks: bool,
}

/// An effect the coordinator node must carry out.
#[derive(Debug, Clone, PartialEq)]
pub enum CoordinatorOut {
    /// Persist the id counter, then send `Trigger(n)` to every source task.
    Trigger(CheckpointId),
    /// Every needed ack is in: write the metadata durably, then call
    /// `on_metadata_durable` (L14: data before metadata).
    WriteMetadata(CheckpointMeta),
    /// `n` completed: tell every task (best effort, L19).
    NotifyComplete(CheckpointId),
    /// `n` was aborted (L16): tell every task, best effort.
    NotifyAborted(CheckpointId, String),
    /// Counted failures exceeded `tolerable_failures` (L18): fail over.
    FailJob(String),
}

#[derive(Debug, Clone)]
struct Pending {
    triggered_at: Duration,
    acks: BTreeMap<TaskId, (StateHandle, bool)>,
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
    latest: Option<CheckpointMeta>,
    consecutive_failures: u32,
}

impl CheckpointCoordinator {
    /// `next_id`: first id to use (one past every id used before, L2);
    /// `latest`: the latest completed checkpoint, if recovered from disk.
    pub fn new(config: CoordinatorConfig, next_id: CheckpointId, latest: Option<CheckpointMeta>) -> Self {
        CheckpointCoordinator {
            config,
            running: None,
            next_id: next_id.max(1),
            pending: BTreeMap::new(),
            next_trigger: Duration::ZERO,
            last_completion: None,
            latest,
            consecutive_failures: 0,
        }
    }

    pub fn latest_completed(&self) -> Option<&CheckpointMeta> {
        self.latest.as_ref()
    }

    /// One past the highest id ever triggered.
    pub fn next_id(&self) -> CheckpointId {
        self.next_id
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
            self.abort(id, "expired".into(), &mut out);
        }
        let paused = self.last_completion.is_some_and(|t| now < t + self.config.min_pause);
        if now >= self.next_trigger && self.pending.len() < self.config.max_concurrent && !paused {
            let id = self.next_id;
            self.next_id += 1;
            // L3: the pending checkpoint exists before any trigger leaves.
            self.pending.insert(id, Pending { triggered_at: now, acks: BTreeMap::new(), finalizing: false });
            self.next_trigger = now + self.config.interval;
            out.push(CoordinatorOut::Trigger(id));
        }
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
            if self.config.complete_without_all_acks { tasks.len().saturating_sub(1).max(1) } else { tasks.len() };
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
            end_of_data: p.acks.len() == tasks.len() && p.acks.values().all(|(_, eod)| *eod),
        };
        vec![CoordinatorOut::WriteMetadata(meta)]
    }

    /// The metadata of `id` is durable: complete it (L14).
    pub fn on_metadata_durable(&mut self, meta: CheckpointMeta, now: Duration) -> Vec<CoordinatorOut> {
        let id = meta.id;
        if self.pending.remove(&id).is_none() {
            return vec![]; // aborted meanwhile; its data stays (outcome was unknown)
        }
        self.latest = Some(meta);
        self.last_completion = Some(now);
        self.consecutive_failures = 0;
        let mut out = vec![];
        let subsumed: Vec<_> = self.pending.range(..id).map(|(k, _)| *k).collect();
        for old in subsumed {
            self.pending.remove(&old);
            out.push(CoordinatorOut::NotifyAborted(old, "subsumed".into()));
        }
        out.push(CoordinatorOut::NotifyComplete(id));
        out
    }

    /// Writing the metadata of `id` failed: a counted failure (L14, L18).
    pub fn on_metadata_failed(&mut self, id: CheckpointId, reason: String) -> Vec<CoordinatorOut> {
        let mut out = vec![];
        self.abort(id, format!("metadata write failed: {reason}"), &mut out);
        out
    }

    /// A task declined `id` (L16).
    pub fn on_decline(&mut self, attempt: Attempt, id: CheckpointId, reason: String) -> Vec<CoordinatorOut> {
        let mut out = vec![];
        if self.running.as_ref().is_some_and(|(a, _)| *a == attempt) {
            self.abort(id, format!("declined: {reason}"), &mut out);
        }
        out
    }

    fn abort(&mut self, id: CheckpointId, reason: String, out: &mut Vec<CoordinatorOut>) {
        if self.pending.remove(&id).is_none() {
            return;
        }
        out.push(CoordinatorOut::NotifyAborted(id, reason.clone()));
        // L18: only failures newer than the last success count.
        if self.latest.as_ref().is_some_and(|l| l.id > id) {
            return;
        }
        self.consecutive_failures += 1;
        if self.consecutive_failures > self.config.tolerable_failures {
            out.push(CoordinatorOut::FailJob(format!(
                "checkpoint {id} {reason}; {} consecutive failures > tolerable {}",
                self.consecutive_failures, self.config.tolerable_failures
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn config() -> CoordinatorConfig {
        CoordinatorConfig {
            interval: 100 * MS,
            timeout: 1000 * MS,
            max_concurrent: 1,
            min_pause: Duration::ZERO,
            tolerable_failures: 0,
            complete_without_all_acks: false,
        }
    }

    fn tasks(n: u16) -> BTreeSet<TaskId> {
        (0..n).map(|s| TaskId { op: 0, subtask: s }).collect()
    }

    fn handle() -> StateHandle {
        StateHandle { key: "k".into(), checksum: 0, len: 0 }
    }

    fn running(config: CoordinatorConfig, n: u16) -> CheckpointCoordinator {
        let mut c = CheckpointCoordinator::new(config, 1, None);
        c.start(1, tasks(n), Duration::ZERO);
        c
    }

    fn ack_all(c: &mut CheckpointCoordinator, id: CheckpointId, n: u16) -> Vec<CoordinatorOut> {
        (0..n).flat_map(|s| c.on_ack(1, TaskId { op: 0, subtask: s }, id, handle(), false)).collect()
    }

    #[test]
    fn triggers_every_interval_with_increasing_ids_l1_l2() {
        let mut c = running(config(), 1);
        assert_eq!(c.tick(50 * MS), vec![]);
        assert_eq!(c.tick(100 * MS), vec![CoordinatorOut::Trigger(1)]);
        assert_eq!(c.tick(200 * MS), vec![], "max_concurrent = 1 holds the next trigger");
        let meta = match &ack_all(&mut c, 1, 1)[..] {
            [CoordinatorOut::WriteMetadata(m)] => m.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(c.on_metadata_durable(meta, 210 * MS), vec![CoordinatorOut::NotifyComplete(1)]);
        assert_eq!(c.tick(210 * MS), vec![CoordinatorOut::Trigger(2)]);
    }

    #[test]
    fn min_pause_postpones_the_next_trigger_l1() {
        let mut c = running(CoordinatorConfig { min_pause: 300 * MS, ..config() }, 1);
        c.tick(100 * MS);
        let out = ack_all(&mut c, 1, 1);
        let CoordinatorOut::WriteMetadata(meta) = out[0].clone() else { panic!() };
        c.on_metadata_durable(meta, 120 * MS);
        assert_eq!(c.tick(300 * MS), vec![]);
        assert_eq!(c.tick(420 * MS), vec![CoordinatorOut::Trigger(2)]);
    }

    #[test]
    fn completes_only_when_every_task_acked_l13() {
        let mut c = running(config(), 3);
        c.tick(100 * MS);
        assert_eq!(c.on_ack(1, TaskId { op: 0, subtask: 0 }, 1, handle(), false), vec![]);
        assert_eq!(c.on_ack(1, TaskId { op: 0, subtask: 0 }, 1, handle(), false), vec![], "duplicate");
        assert_eq!(c.on_ack(0, TaskId { op: 0, subtask: 1 }, 1, handle(), false), vec![], "old attempt");
        assert_eq!(c.on_ack(1, TaskId { op: 0, subtask: 1 }, 9, handle(), false), vec![], "unknown id");
        assert_eq!(c.on_ack(1, TaskId { op: 0, subtask: 1 }, 1, handle(), false), vec![]);
        let out = c.on_ack(1, TaskId { op: 0, subtask: 2 }, 1, handle(), false);
        assert!(matches!(&out[..], [CoordinatorOut::WriteMetadata(m)] if m.states.len() == 3));
    }

    #[test]
    fn the_planted_bug_completes_one_ack_short() {
        let mut c = running(CoordinatorConfig { complete_without_all_acks: true, ..config() }, 3);
        c.tick(100 * MS);
        c.on_ack(1, TaskId { op: 0, subtask: 0 }, 1, handle(), false);
        let out = c.on_ack(1, TaskId { op: 0, subtask: 1 }, 1, handle(), false);
        assert!(matches!(&out[..], [CoordinatorOut::WriteMetadata(m)] if m.states.len() == 2));
    }

    #[test]
    fn expiry_is_a_counted_failure_that_fails_the_job_past_tolerance_l16_l18() {
        let mut c = running(CoordinatorConfig { tolerable_failures: 1, ..config() }, 1);
        c.tick(100 * MS);
        let out = c.tick(1100 * MS);
        assert_eq!(out[0], CoordinatorOut::NotifyAborted(1, "expired".into()));
        assert!(!out.iter().any(|o| matches!(o, CoordinatorOut::FailJob(_))));
        c.tick(1200 * MS);
        let out = c.tick(2200 * MS);
        assert!(out.iter().any(|o| matches!(o, CoordinatorOut::FailJob(_))));
    }

    #[test]
    fn a_late_metadata_write_after_abort_does_not_complete() {
        let mut c = running(config(), 1);
        c.tick(100 * MS);
        let CoordinatorOut::WriteMetadata(meta) = ack_all(&mut c, 1, 1)[0].clone() else { panic!() };
        c.on_decline(1, 1, "x".into());
        assert_eq!(c.on_metadata_durable(meta, 300 * MS), vec![]);
        assert!(c.latest_completed().is_none());
    }

    #[test]
    fn stop_drops_pending_checkpoints_l17() {
        let mut c = running(config(), 2);
        c.tick(100 * MS);
        assert_eq!(c.stop(), vec![1]);
        assert_eq!(c.tick(500 * MS), vec![]);
        assert_eq!(c.next_id(), 2, "ids are never reused");
    }
}
