//! The `[[faults]]` of a scenario: what to break, and when, by simulated
//! time (`at`) or at a protocol phase (`when`).

use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::duration::dur_opt;

/// One fault, placed at a simulated time (`at`) or at a protocol phase (`when`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Simulated time from the start of the run.
    #[serde(default, with = "dur_opt")]
    pub at: Option<Duration>,
    /// The protocol moment to strike at: the first time it happens.
    #[serde(default)]
    pub when: Option<When>,
    pub action: FaultAction,
    /// crash: the node, a name (`worker-2`, `coordinator`, `log`, `storage`,
    /// `sink`) or `worker-of(op[i])`, the worker running that task then.
    #[serde(default)]
    pub node: Option<String>,
    /// crash: restart the node this long after the crash. Default: never.
    #[serde(default, with = "dur_opt")]
    pub restart_after: Option<Duration>,
    /// partition: two groups of node names cut from each other.
    #[serde(default)]
    pub between: Option<[Vec<String>; 2]>,
    /// partition / network: heal (restore) this long after. Default: never.
    #[serde(default, with = "dur_opt")]
    pub heal_after: Option<Duration>,
    /// network: new lowest one-way latency.
    #[serde(default, with = "dur_opt")]
    pub latency_min: Option<Duration>,
    /// network: new highest one-way latency.
    #[serde(default, with = "dur_opt")]
    pub latency_max: Option<Duration>,
    /// network: new loss probability.
    #[serde(default)]
    pub loss: Option<f64>,
}

/// A protocol moment: `when = { checkpoint = 3, phase = "aligning", task = "count[1]" }`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// Only this checkpoint id. Default: any.
    #[serde(default)]
    pub checkpoint: Option<u64>,
    pub phase: Phase,
    /// Only at this task, `op[i]` (phases that happen at a task). Default: any.
    #[serde(default)]
    pub task: Option<String>,
}

/// Where in a checkpoint's life a fault can strike.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// The coordinator triggered the checkpoint.
    Triggered,
    /// A task got its first barrier (a source: the trigger).
    BarrierReceived,
    /// A task blocked an input to align.
    Aligning,
    /// A task took its snapshot (synchronous part).
    SnapshotTaken,
    /// A task's snapshot is durable in storage.
    SnapshotDurable,
    /// A task sent its ack.
    Acked,
    /// The coordinator completed the checkpoint.
    Completed,
    /// A task received notify-complete.
    Notified,
    /// A sink task's pre-commit was confirmed.
    PreCommitted,
    /// The sink committed a transaction of the checkpoint.
    Committed,
    /// A task restored from the checkpoint.
    Restoring,
}

impl Phase {
    /// The trace event that marks the phase.
    pub fn event_kind(self) -> &'static str {
        match self {
            Phase::Triggered => "checkpoint_triggered",
            Phase::BarrierReceived => "barrier_received",
            Phase::Aligning => "barrier_aligning",
            Phase::SnapshotTaken => "snapshot_taken",
            Phase::SnapshotDurable => "snapshot_durable",
            Phase::Acked => "checkpoint_acked",
            Phase::Completed => "checkpoint_completed",
            Phase::Notified => "checkpoint_notified",
            Phase::PreCommitted => "txn_pre_committed",
            Phase::Committed => "txn_committed",
            Phase::Restoring => "task_restored",
        }
    }

    /// Whether the phase happens at a task (so `task` can narrow it).
    pub fn at_a_task(self) -> bool {
        !matches!(self, Phase::Triggered | Phase::Completed | Phase::Committed)
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FaultAction {
    /// Kill a node: its memory and unsynced disk writes are lost.
    Crash,
    /// Cut every link between two groups of nodes, both ways.
    Partition,
    /// Change the global latency/loss settings.
    Network,
}

impl Fault {
    /// How long the fault goes on acting after it strikes (restart or heal delay).
    pub fn aftermath(&self) -> Duration {
        self.restart_after.unwrap_or_default() + self.heal_after.unwrap_or_default()
    }
}
