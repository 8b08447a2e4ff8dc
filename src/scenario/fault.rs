//! The `[[faults]]` of a scenario: what to break, and when, by simulated
//! time (`at`) or at a protocol phase (`when`).
//!
//! A file writes a fault as one flat table (`action` plus the fields that
//! action takes); `Fault::kind` turns a validated one into the typed
//! `FaultKind` the world carries out.

use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::duration::dur_opt;

/// One fault, placed at a simulated time (`at`) or at a protocol phase (`when`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Simulated time from the start of the run.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub at: Option<Duration>,
    /// The protocol moment to strike at: the first time it happens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
    pub action: FaultAction,
    /// crash, pause, isolate, disk, bit_rot: the node, a name (`worker-2`,
    /// `coordinator`, `log`, `storage`, `sink`) or `worker-of(op[i])`, the
    /// worker running that task then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// crash: restart the node this long after the crash. Default: never.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub restart_after: Option<Duration>,
    /// pause: resume the node this long after. Default: never.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub resume_after: Option<Duration>,
    /// partition: two groups of node names cut from each other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub between: Option<[Vec<String>; 2]>,
    /// partition: cut only messages from the first group to the second. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_way: Option<bool>,
    /// link: the sending nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Vec<String>>,
    /// link: the receiving nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
    /// partition, isolate, link: only these kinds of message. Default: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<MessageClass>>,
    /// network: new lowest one-way latency; link: lowest added delay.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub latency_min: Option<Duration>,
    /// network: new highest one-way latency; link: highest added delay.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub latency_max: Option<Duration>,
    /// network: new loss probability; link: probability a message is dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// disk: probability a write (or append) fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_error: Option<f64>,
    /// disk: probability an fsync fails (the writes stay unsynced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fsync_error: Option<f64>,
    /// disk: probability a read fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_error: Option<f64>,
    /// disk: shortest fsync while the fault acts.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub fsync_latency_min: Option<Duration>,
    /// disk: longest fsync while the fault acts.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub fsync_latency_max: Option<Duration>,
    /// bit_rot: how many stored copies of the blob to damage. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copies: Option<usize>,
    /// bit_rot: which blob of the latest checkpoint. Default `any`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<BlobKind>,
    /// partition, isolate, link, network, disk: heal (restore) this long
    /// after. Default: never.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub heal_after: Option<Duration>,
    /// rescale: the operator whose parallelism changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// rescale: its new parallelism.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<usize>,
}

/// A protocol moment: `when = { checkpoint = 3, phase = "aligning", task = "count[1]" }`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// Only this checkpoint id. Default: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<u64>,
    pub phase: Phase,
    /// Only at this task, `op[i]` (phases that happen at a task). Default: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    /// Every ack is in and the coordinator is writing the metadata.
    MetadataWriting,
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
    /// Every phase, in lifecycle order.
    pub const ALL: [Phase; 12] = [
        Phase::Triggered,
        Phase::BarrierReceived,
        Phase::Aligning,
        Phase::SnapshotTaken,
        Phase::SnapshotDurable,
        Phase::Acked,
        Phase::MetadataWriting,
        Phase::Completed,
        Phase::Notified,
        Phase::PreCommitted,
        Phase::Committed,
        Phase::Restoring,
    ];

    /// The name a scenario file writes.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Triggered => "triggered",
            Phase::BarrierReceived => "barrier-received",
            Phase::Aligning => "aligning",
            Phase::SnapshotTaken => "snapshot-taken",
            Phase::SnapshotDurable => "snapshot-durable",
            Phase::Acked => "acked",
            Phase::MetadataWriting => "metadata-writing",
            Phase::Completed => "completed",
            Phase::Notified => "notified",
            Phase::PreCommitted => "pre-committed",
            Phase::Committed => "committed",
            Phase::Restoring => "restoring",
        }
    }

    /// Whether the phase happens at a task (so `task` can narrow it).
    pub fn at_a_task(self) -> bool {
        !matches!(self, Phase::Triggered | Phase::MetadataWriting | Phase::Completed | Phase::Committed)
    }

    /// Whether the phase can happen at a task of this kind of operator:
    /// sinks pre-commit; sources never align (they have no input).
    pub fn happens_at(self, kind: super::OperatorKind) -> bool {
        use super::OperatorKind::{Sink, Source};
        match self {
            Phase::PreCommitted => kind == Sink,
            Phase::Aligning => kind != Source,
            _ => self.at_a_task(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FaultAction {
    /// Kill a node: its memory and unsynced disk writes are lost.
    Crash,
    /// Stop a node's tasks; it keeps its memory and comes back as it was.
    Pause,
    /// Cut every link between two groups of nodes (or one way only).
    Partition,
    /// Cut one node from every other, both ways.
    Isolate,
    /// Slow down or drop messages in one direction between nodes.
    Link,
    /// Change the global latency/loss settings.
    Network,
    /// Make a node's disk fail or slow down.
    Disk,
    /// Flip a bit in stored copies of a checkpoint blob.
    BitRot,
    /// Stop the job and restore it from the latest completed checkpoint with
    /// a new parallelism for one operator (an operator's rescale, L21).
    Rescale,
}

impl FaultAction {
    /// The name a scenario file writes.
    pub fn name(self) -> &'static str {
        match self {
            FaultAction::Crash => "crash",
            FaultAction::Pause => "pause",
            FaultAction::Partition => "partition",
            FaultAction::Isolate => "isolate",
            FaultAction::Link => "link",
            FaultAction::Network => "network",
            FaultAction::Disk => "disk",
            FaultAction::BitRot => "bit_rot",
            FaultAction::Rescale => "rescale",
        }
    }
}

/// The kinds of message a network fault can be narrowed to.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum MessageClass {
    /// Record buffers between tasks.
    Data,
    /// Checkpoint barriers between tasks (in line with the data).
    Barrier,
    /// End-of-data markers between tasks.
    EndOfData,
    /// Worker heartbeats and the coordinator's replies.
    Heartbeat,
    /// Task deployments.
    Deploy,
    /// Task cancellations.
    Cancel,
    /// Task failure reports.
    TaskFailed,
    /// Checkpoint triggers to sources.
    Trigger,
    /// Checkpoint acknowledgements.
    Ack,
    /// Checkpoint declines.
    Decline,
    /// Notifications that a checkpoint completed.
    NotifyComplete,
    /// Notifications (cancel markers) that a checkpoint was aborted.
    NotifyAborted,
    /// Sink tasks' committed-through reports.
    Committed,
    /// The job's client's rescale requests and the coordinator's answers.
    Rescale,
    /// Requests to and replies from the `log`.
    Log,
    /// Requests to and replies from `storage`.
    Storage,
    /// Requests to and replies from the `sink`.
    Sink,
}

impl MessageClass {
    /// The name files and traces write (`notify_complete`).
    pub fn name(self) -> String {
        super::names::name_of(&self)
    }
}

impl std::fmt::Display for MessageClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// Which blob of a checkpoint a bit-rot fault damages.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BlobKind {
    /// A task's snapshot.
    Snapshot,
    /// The checkpoint's metadata.
    Metadata,
    /// Either.
    #[default]
    Any,
}

impl Fault {
    /// An empty fault of `action`, to fill in with struct-update syntax.
    pub fn new(action: FaultAction) -> Fault {
        Fault {
            at: None,
            when: None,
            action,
            node: None,
            restart_after: None,
            resume_after: None,
            between: None,
            one_way: None,
            from: None,
            to: None,
            messages: None,
            latency_min: None,
            latency_max: None,
            loss: None,
            write_error: None,
            fsync_error: None,
            read_error: None,
            fsync_latency_min: None,
            fsync_latency_max: None,
            copies: None,
            blob: None,
            heal_after: None,
            operator: None,
            parallelism: None,
        }
    }

    /// How long the fault goes on acting after it strikes (restart, resume or heal delay).
    pub fn aftermath(&self) -> Duration {
        self.restart_after.unwrap_or_default()
            + self.resume_after.unwrap_or_default()
            + self.heal_after.unwrap_or_default()
    }
}
