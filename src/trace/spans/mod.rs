//! The run laid out on lanes: the one place that turns a trace into the
//! spans and marks the timeline (`timeline`) and the Chrome trace (`render`)
//! draw. Pure: a trace in, a `Timeline` out.
//!
//! | span | lane | from | to |
//! |---|---|---|---|
//! | checkpoint n | coordinator | `checkpoint_triggered` | `checkpoint_completed`, `checkpoint_aborted`, the `job_failover` that dropped it, or the coordinator's restart |
//! | alignment | task | `barrier_aligning` | `snapshot_taken`, `alignment_aborted`, `alignment_timed_out` (went unaligned), or the task's failure, a failover, a redeployment |
//! | outage | the nodes a fault touched (`faults` for the whole network) | `fault_crash` / `fault_pause` / `fault_cut` / `fault_link` / `fault_disk` / `fault_network` | the restart, resume or heal of the same fault |
//! | recovery | job | `job_failover` (or a restarted coordinator) | `job_deployed` or `job_failed` |
//! | attempt | task | `task_deployed` | the task's failure, a failover, a redeployment, the end of the job |
//! | backpressure | task | `backpressured` (an output channel full: the task waits for credit) | its `backpressure_relieved`, `lasted_us` after the start; or a failover, a deployment, the end |
//! | slow | task | `fault_slow_task` | its heal |
//!
//! Task lanes are grouped by chain (`task_deployed`'s `chain`, its first
//! deployment): a chain's head, then the operators chained to it.
//!
//! A span still open when the trace ends ends there, `Ending::Open`.
//!
//! - `layout` — the `Builder` the passes fill; lane order, stacked rows
//! - `phases` — the passes that turn protocol phases and faults into spans
//! - `marks`  — the single events worth a glyph: failovers, deployments,
//!   restores, commits, declines, every fault event
//! - `tests`  — span extraction on hand-built traces

mod layout;
mod marks;
mod phases;
#[cfg(test)]
mod tests;

use super::TraceEvent;
use layout::Builder;
use std::time::Duration;

/// A trace laid out on lanes.
#[derive(Debug, Default)]
pub struct Timeline {
    /// In drawing order: job, coordinator, workers, services, faults, tasks.
    pub lanes: Vec<Lane>,
    /// Sorted by lane, then start.
    pub spans: Vec<Span>,
    /// In trace order.
    pub marks: Vec<Mark>,
    /// Simulated time of the last event.
    pub end: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    /// `coordinator`, `worker-2`, `faults`, `count[1]`.
    pub name: String,
    pub kind: LaneKind,
    /// Rows its foreground spans need (overlapping spans stack); at least 1.
    pub rows: usize,
    /// Rows its background spans (outages, attempts) need; at least 1.
    pub background_rows: usize,
    /// A task lane of a chain of several operators: the chain's head task
    /// (its own name for the head itself).
    pub chain: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LaneKind {
    /// `job`: deployments, failovers and recoveries, the end of the job.
    Job,
    Node,
    /// World events, and faults of the whole network.
    Faults,
    Task,
}

/// Something that lasted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// Index into `Timeline::lanes`.
    pub lane: usize,
    /// Row within the lane, among spans of the same layer (foreground or background).
    pub row: usize,
    pub kind: SpanKind,
    pub start: Duration,
    pub end: Duration,
    /// Short text to draw on it (`chk 3`, `crash`).
    pub label: String,
    /// The checkpoint it belongs to, if any.
    pub checkpoint: Option<u64>,
    /// The trace events (indices) that opened and closed it.
    pub events: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    Checkpoint(Ending),
    Alignment(Ending),
    Outage(Outage),
    Recovery,
    Attempt,
    /// A task waited for credit: an output channel was full.
    Backpressure,
}

impl SpanKind {
    /// Background spans (outages, attempts) sit behind the others, full lane height.
    pub fn is_background(self) -> bool {
        matches!(self, SpanKind::Outage(_) | SpanKind::Attempt | SpanKind::Backpressure)
    }

    /// `checkpoint`, `alignment`, `outage`, `recovery`, `attempt`.
    pub fn name(self) -> &'static str {
        match self {
            SpanKind::Checkpoint(_) => "checkpoint",
            SpanKind::Alignment(_) => "alignment",
            SpanKind::Outage(_) => "outage",
            SpanKind::Recovery => "recovery",
            SpanKind::Attempt => "attempt",
            SpanKind::Backpressure => "backpressure",
        }
    }
}

impl Span {
    /// What it was, in words: `checkpoint 3: expired`, `crash`,
    /// `failover: worker_restarted`.
    pub fn describe(&self) -> String {
        match (self.kind, self.checkpoint) {
            (SpanKind::Checkpoint(e), Some(n)) => format!("checkpoint {n}: {}", e.name()),
            (SpanKind::Alignment(Ending::Completed), Some(n)) => format!("alignment for checkpoint {n}: aligned"),
            (SpanKind::Alignment(e), Some(n)) => format!("alignment for checkpoint {n}: {}", e.name()),
            (SpanKind::Outage(_), _) if self.label.is_empty() => "outage".to_string(),
            _ => self.label.clone(),
        }
    }
}

/// How a checkpoint or an alignment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Completed (a checkpoint), or aligned and snapshotted (an alignment).
    Completed,
    /// Aborted for another reason (subsumed, a store failure, a cancel marker).
    Aborted,
    Expired,
    Declined,
    /// The alignment timed out and the checkpoint went unaligned.
    Unaligned,
    /// A failover, a redeployment or a restarted coordinator dropped it.
    Dropped,
    /// Still open when the trace ended.
    Open,
}

impl Ending {
    pub fn name(self) -> &'static str {
        match self {
            Ending::Completed => "completed",
            Ending::Aborted => "aborted",
            Ending::Expired => "expired",
            Ending::Declined => "declined",
            Ending::Unaligned => "went unaligned",
            Ending::Dropped => "dropped",
            Ending::Open => "unfinished",
        }
    }
}

/// What a fault did to the lanes it shades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    Crash,
    Pause,
    /// A partition or isolation: messages held.
    Partition,
    /// A slow or lossy link.
    Link,
    /// Latency or loss on every link.
    Network,
    Disk,
    /// A slow task: each record costs it more.
    Slow,
}

/// One event worth a glyph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub lane: usize,
    pub at: Duration,
    pub kind: MarkKind,
    /// Short text to draw next to it (`↺6`), often empty.
    pub label: String,
    /// The trace event (index).
    pub event: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    /// A fault fired, healed, or was skipped.
    Fault,
    Failover,
    /// A deployment (attempt, restored checkpoint).
    Deployed,
    /// `job_finished` / `job_failed`.
    JobEnd,
    /// A task restored a checkpoint.
    Restored,
    TaskFailed,
    /// A task declined a checkpoint, or a trigger failed.
    Declined,
    Snapshot,
    /// The sink committed a transaction.
    Commit,
    /// The sink aborted a transaction.
    TxnAborted,
    /// Anything else worth a look: lost workers, fenced messages, I/O errors.
    Notice,
}

impl Timeline {
    /// Lays out `trace`.
    pub fn of(trace: &[TraceEvent]) -> Timeline {
        let mut b = Builder::new(trace);
        phases::checkpoints(&mut b);
        phases::alignments(&mut b);
        phases::outages(&mut b);
        phases::recoveries(&mut b);
        phases::attempts(&mut b);
        phases::backpressure(&mut b);
        marks::collect(&mut b);
        b.finish()
    }

    /// The lane of node `node` (`world` events sit in `faults`).
    pub fn node_lane(&self, node: &str) -> Option<usize> {
        let (kind, name) = if node == "world" { (LaneKind::Faults, "faults") } else { (LaneKind::Node, node) };
        self.lanes.iter().position(|l| l.kind == kind && l.name == name)
    }

    /// The lane of task `task`.
    pub fn task_lane(&self, task: &str) -> Option<usize> {
        self.lanes.iter().position(|l| l.kind == LaneKind::Task && l.name == task)
    }
}
