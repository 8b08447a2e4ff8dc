//! The `[[faults]]` of a scenario: what to break (`action` and the fields
//! that action takes), and when, by simulated time (`at`) or at a protocol
//! phase (`when`).
//!
//! The file format knows only the placement; an action's own fields stay
//! as written (`params`) until the fault kind registered under that action
//! checks them and carries them out (`run::faults`). A new kind of fault
//! needs nothing here.

use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::duration::{dur_opt, parse_duration};

/// One fault, placed at a simulated time (`at`) or at a protocol phase (`when`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Fault {
    /// Simulated time from the start of the run.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub at: Option<Duration>,
    /// The protocol moment to strike at: the first time it happens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
    /// The kind of fault (`crash`, `partition`, …).
    pub action: String,
    /// Every other field, as written: what the action's kind takes.
    #[serde(flatten)]
    pub params: toml::Table,
}

/// A protocol moment: `when = { checkpoint = 3, phase = "aligning", task = "count[1]" }`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// Only this checkpoint id. Default: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<u64>,
    /// The moment of the checkpoint's life.
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

    /// The name a scenario file writes (`barrier-received`).
    pub fn name(self) -> String {
        super::names::name_of(&self)
    }

    /// Whether the phase happens at a task (so `task` can narrow it).
    pub fn at_a_task(self) -> bool {
        !matches!(self, Phase::Triggered | Phase::MetadataWriting | Phase::Completed | Phase::Committed)
    }

    /// Whether the phase can happen at a task of this kind of operator:
    /// sinks pre-commit; sources never align (they have no input).
    pub fn happens_at(self, kind: &super::OperatorKind) -> bool {
        use super::OperatorKind::{Sink, Source};
        match self {
            Phase::PreCommitted => *kind == Sink,
            Phase::Aligning => *kind != Source,
            _ => self.at_a_task(),
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
    /// Credit a task gives back to the tasks sending to it (flow control).
    Credit,
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

impl Fault {
    /// A fault of `action` with `params` (a kind's fields; anything serde
    /// writes as a table), placed nowhere yet.
    pub fn of(action: &str, params: impl Serialize) -> Fault {
        let params = match toml::Value::try_from(params) {
            Ok(toml::Value::Table(table)) => table,
            _ => toml::Table::new(),
        };
        Fault { at: None, when: None, action: action.to_string(), params }
    }

    /// How long the fault goes on acting after it strikes: the sum of its
    /// delays (every field named `…_after`: a restart, resume or heal).
    pub fn aftermath(&self) -> Duration {
        self.delays().map(|(_, d)| d).sum()
    }

    /// Its delays (`restart_after`, `heal_after`, …) with their values.
    pub fn delays(&self) -> impl Iterator<Item = (&str, Duration)> {
        self.params.iter().filter(|(k, _)| k.ends_with("_after")).filter_map(|(k, v)| {
            let d = v.as_str().and_then(|s| parse_duration(s).ok())?;
            Some((k.as_str(), d))
        })
    }

    /// Sets delay `name` (e.g. `heal_after`) to `d`.
    pub fn set_delay(&mut self, name: &str, d: Duration) {
        self.params.insert(name.to_string(), toml::Value::String(super::duration::format_duration(d)));
    }
}
