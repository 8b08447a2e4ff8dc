//! Which single events get a glyph on the timeline, in which lane, with
//! which label (the spans are in `spans`).

use super::layout::Builder;
use super::{LaneKind, MarkKind};
use crate::trace::TraceEvent;

/// Where a mark goes.
enum Place {
    /// The lane of the event's node.
    Node,
    /// The lane of its `task` field.
    Task,
    /// The lane of its `task` field if it has one, else its node's.
    TaskOrNode,
    Faults,
    Job,
}

/// Every event worth a glyph, in trace order.
pub(super) fn collect(b: &mut Builder) {
    for (i, e) in b.trace.iter().enumerate() {
        let Some((kind, place)) = classify(e) else { continue };
        let task = e.field("task").filter(|t| *t != "-");
        let lane = match (place, task) {
            (Place::Faults, _) => b.lane(LaneKind::Faults, "faults"),
            (Place::Job, _) => b.lane(LaneKind::Job, "job"),
            (Place::Task | Place::TaskOrNode, Some(task)) => b.lane(LaneKind::Task, task),
            (Place::Task, None) => continue,
            (Place::Node | Place::TaskOrNode, _) => b.lane(LaneKind::Node, &e.node),
        };
        b.mark(lane, i, kind, label(kind, e));
    }
}

fn classify(e: &TraceEvent) -> Option<(MarkKind, Place)> {
    if e.node == "world" {
        return Some((MarkKind::Fault, Place::Faults));
    }
    Some(match e.kind.as_str() {
        "job_failover" => (MarkKind::Failover, Place::Job),
        "job_deployed" => (MarkKind::Deployed, Place::Job),
        "job_finished" | "job_failed" => (MarkKind::JobEnd, Place::Job),
        "task_restored" => (MarkKind::Restored, Place::Task),
        "task_failed" => (MarkKind::TaskFailed, Place::Task),
        "checkpoint_declined" => (MarkKind::Declined, Place::Task),
        "checkpoint_trigger_failed" => (MarkKind::Declined, Place::Node),
        "snapshot_taken" => (MarkKind::Snapshot, Place::Task),
        "txn_committed" | "txn_recover_already_committed" => (MarkKind::Commit, Place::Node),
        "txn_aborted" => (MarkKind::TxnAborted, Place::Node),
        "worker_started" if e.num("boot").unwrap_or(1) > 1 => (MarkKind::Notice, Place::Node),
        "worker_lost"
        | "worker_restarted"
        | "coordinator_lost"
        | "restore_loaded"
        | "stale_message_fenced"
        | "message_dropped"
        | "sink_write_lost"
        | "storage_read_failed"
        | "storage_read_fallback"
        | "wal_recovery_failed"
        | "coordinator_disk_error"
        | "sink_subtask_recovered" => (MarkKind::Notice, Place::TaskOrNode),
        _ => return None,
    })
}

/// The short text next to a glyph (the full event is in its hover text).
fn label(kind: MarkKind, e: &TraceEvent) -> String {
    let field = |name| e.field(name).unwrap_or("?");
    match kind {
        // The recovery span that starts here carries the cause.
        MarkKind::Failover => String::new(),
        MarkKind::Deployed => match e.num("restore") {
            Some(n) if n > 0 => format!("attempt {} ← chk {n}", field("attempt")),
            _ => format!("attempt {}", field("attempt")),
        },
        MarkKind::JobEnd => e.kind.trim_start_matches("job_").to_string(),
        MarkKind::Restored => format!("↺{}", field("checkpoint")),
        MarkKind::TaskFailed => "failed".to_string(),
        MarkKind::Fault => fault_label(e),
        _ => String::new(),
    }
}

/// `crash worker-2`, `disk healed sink`, `rescale count→3`.
fn fault_label(e: &TraceEvent) -> String {
    let what = e.field("action").unwrap_or(&e.kind);
    let what = what.trim_start_matches("fault_").replace('_', " ");
    match e.kind.as_str() {
        "fault_rescale" => {
            format!("rescale {}→{}", e.field("operator").unwrap_or("?"), e.field("parallelism").unwrap_or("?"))
        }
        "fault_phase_reached" | "fault_skipped" | "swarm_fault" => String::new(),
        _ => match e.field("target").or(e.field("link")) {
            Some(on) => format!("{what} {on}"),
            None => what.to_string(),
        },
    }
}
