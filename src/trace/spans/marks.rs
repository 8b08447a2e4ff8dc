//! Which single events get a glyph on the timeline, in which lane, with
//! which label (the spans are in `spans`).

use super::layout::Builder;
use super::{LaneKind, MarkKind};
use crate::trace::event::Event;
use crate::trace::TraceEvent;

/// Where a mark goes.
enum Place<'e> {
    /// The lane of the event's node.
    Node,
    /// The lane of this task.
    Task(&'e str),
    Faults,
    Job,
}

/// Every event worth a glyph, in trace order.
pub(super) fn collect(b: &mut Builder) {
    for (i, e) in b.trace.iter().enumerate() {
        let Some((kind, place)) = classify(e) else { continue };
        let lane = match place {
            Place::Faults => b.lane(LaneKind::Faults, "faults"),
            Place::Job => b.lane(LaneKind::Job, "job"),
            Place::Task(task) => b.lane(LaneKind::Task, task),
            Place::Node => b.lane(LaneKind::Node, &e.node),
        };
        b.mark(lane, i, kind, label(kind, e));
    }
}

fn classify(e: &TraceEvent) -> Option<(MarkKind, Place<'_>)> {
    if e.node == "world" {
        return Some((MarkKind::Fault, Place::Faults));
    }
    Some(match &e.event {
        Event::JobFailover { .. } => (MarkKind::Failover, Place::Job),
        Event::JobDeployed { .. } => (MarkKind::Deployed, Place::Job),
        Event::JobFinished { .. } | Event::JobFailed { .. } => (MarkKind::JobEnd, Place::Job),
        Event::TaskRestored { task, .. } => (MarkKind::Restored, Place::Task(task)),
        Event::TaskFailed { task, .. } => (MarkKind::TaskFailed, Place::Task(task)),
        Event::CheckpointDeclined { task, .. } => (MarkKind::Declined, Place::Task(task)),
        Event::CheckpointTriggerFailed { .. } => (MarkKind::Declined, Place::Node),
        Event::SnapshotTaken { task, .. } => (MarkKind::Snapshot, Place::Task(task)),
        Event::TxnCommitted { .. } | Event::TxnRecoverAlreadyCommitted { .. } => (MarkKind::Commit, Place::Node),
        Event::TxnAborted { .. } => (MarkKind::TxnAborted, Place::Node),
        Event::WorkerStarted { boot } if *boot > 1 => (MarkKind::Notice, Place::Node),
        Event::SinkSubtaskRecovered { task, .. } => (MarkKind::Notice, Place::Task(task)),
        Event::WorkerLost { .. }
        | Event::WorkerRestarted { .. }
        | Event::CoordinatorLost { .. }
        | Event::RestoreLoaded { .. }
        | Event::StaleAtCoordinator { .. }
        | Event::StaleAtWorker { .. }
        | Event::StaleAtSink { .. }
        | Event::MessageDropped { .. }
        | Event::SinkWriteLost { .. }
        | Event::StorageReadFailed { .. }
        | Event::StorageWriteFailed { .. }
        | Event::StorageReadFallback { .. }
        | Event::WalRecoveryFailed { .. }
        | Event::CoordinatorDiskError { .. } => (MarkKind::Notice, Place::Node),
        _ => return None,
    })
}

/// The short text next to a glyph (the full event is in its hover text).
fn label(kind: MarkKind, e: &TraceEvent) -> String {
    match (kind, &e.event) {
        (MarkKind::Deployed, Event::JobDeployed { attempt, restore }) if *restore > 0 => {
            format!("attempt {attempt} ← chk {restore}")
        }
        (MarkKind::Deployed, Event::JobDeployed { attempt, .. }) => format!("attempt {attempt}"),
        (MarkKind::JobEnd, Event::JobFinished { .. }) => "finished".to_string(),
        (MarkKind::JobEnd, Event::JobFailed { .. }) => "failed".to_string(),
        (MarkKind::Restored, Event::TaskRestored { checkpoint, .. }) => format!("↺{checkpoint}"),
        (MarkKind::TaskFailed, _) => "failed".to_string(),
        // `crash worker-2`, `disk healed sink`, `rescale count→3`.
        (MarkKind::Fault, Event::Fault(act)) if act.on.is_empty() => act.what.to_string(),
        (MarkKind::Fault, Event::Fault(act)) => format!("{} {}", act.what, act.on),
        // The recovery span that starts at a failover carries its cause;
        // phase marks, skipped and drawn faults go unlabelled.
        _ => String::new(),
    }
}
