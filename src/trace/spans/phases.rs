//! The passes that turn the trace's protocol phases and faults into spans:
//! checkpoints, alignments, outages, recoveries, attempts (the table in
//! `spans`).

use super::layout::{Builder, Opening};
use super::{Ending, LaneKind, Outage, SpanKind};
use crate::trace::TraceEvent;
use std::collections::BTreeMap;

/// Checkpoints on the coordinator, trigger to completion or abort.
pub(super) fn checkpoints(b: &mut Builder) {
    let mut pending: BTreeMap<u64, Opening> = BTreeMap::new();
    for (i, e) in b.trace.iter().enumerate() {
        let n = e.num("checkpoint");
        let ending = match (e.kind.as_str(), n) {
            ("checkpoint_triggered", Some(n)) => {
                let lane = b.lane(LaneKind::Node, &e.node);
                pending.insert(n, b.open(lane, i, format!("chk {n}"), Some(n)));
                continue;
            }
            ("checkpoint_completed", Some(n)) => vec![(n, Ending::Completed)],
            ("checkpoint_aborted", Some(n)) => vec![(n, Ending::of_abort(e.field("reason").unwrap_or("")))],
            ("job_failover", _) => dropped(e).into_iter().map(|n| (n, Ending::Dropped)).collect(),
            // A restarted coordinator has forgotten every pending checkpoint.
            ("coordinator_started", _) => pending.keys().map(|n| (*n, Ending::Dropped)).collect(),
            _ => continue,
        };
        for (n, ending) in ending {
            if let Some(o) = pending.remove(&n) {
                b.close(o, Some(i), SpanKind::Checkpoint(ending));
            }
        }
    }
    pending.into_values().for_each(|o| b.close(o, None, SpanKind::Checkpoint(Ending::Open)));
}

/// The checkpoints a `job_failover` dropped: `dropped_checkpoints=[7, 8]`.
fn dropped(e: &TraceEvent) -> Vec<u64> {
    let list = e.field("dropped_checkpoints").unwrap_or("[]");
    list.trim_matches(|c| c == '[' || c == ']').split(',').filter_map(|n| n.trim().parse().ok()).collect()
}

/// A task running on a worker in one attempt.
struct TaskRun {
    task: String,
    worker: String,
    attempt: Option<u64>,
}

impl TaskRun {
    /// Whether `e` ends what it was doing: it failed, the job failed over or
    /// was redeployed or ended, its worker lost the coordinator, or the
    /// coordinator restarted. (A zombie of an older attempt failing does not
    /// end the task's current run.)
    fn ended_by(&self, e: &TraceEvent) -> bool {
        match e.kind.as_str() {
            "task_failed" => {
                e.field("task") == Some(self.task.as_str()) && self.attempt.is_none_or(|a| e.num("attempt") == Some(a))
            }
            "job_failover" | "job_deployed" | "coordinator_started" | "job_finished" | "job_failed" => true,
            "coordinator_lost" => e.node == self.worker,
            _ => false,
        }
    }
}

/// Alignments per task, from the first barrier to the snapshot.
pub(super) fn alignments(b: &mut Builder) {
    // (task, checkpoint) → the alignment and the task's run.
    let mut pending: BTreeMap<(String, u64), (Opening, TaskRun)> = BTreeMap::new();
    // task → its latest deployed attempt
    let mut deployed: BTreeMap<String, u64> = BTreeMap::new();
    for (i, e) in b.trace.iter().enumerate() {
        let key = e.field("task").zip(e.num("checkpoint")).map(|(t, n)| (t.to_string(), n));
        let ending = match e.kind.as_str() {
            "task_deployed" => {
                let (Some(task), Some(a)) = (e.field("task"), e.num("attempt")) else { continue };
                deployed.insert(task.to_string(), a);
                Ending::Dropped
            }
            "barrier_aligning" => {
                let Some((task, n)) = key else { continue };
                let lane = b.lane(LaneKind::Task, &task);
                let run = TaskRun { attempt: deployed.get(&task).copied(), task: task.clone(), worker: e.node.clone() };
                pending.insert((task, n), (b.open(lane, i, n.to_string(), Some(n)), run));
                continue;
            }
            "snapshot_taken" => Ending::Completed,
            "alignment_aborted" => Ending::Aborted,
            "alignment_timed_out" => Ending::Unaligned,
            _ => Ending::Dropped,
        };
        let ended: Vec<(String, u64)> = match (ending, key) {
            (Ending::Dropped, _) => {
                pending.iter().filter(|(_, (_, run))| run.ended_by(e)).map(|(k, _)| k.clone()).collect()
            }
            (_, Some(key)) => vec![key],
            (_, None) => vec![],
        };
        for key in ended {
            if let Some((o, _)) = pending.remove(&key) {
                b.close(o, Some(i), SpanKind::Alignment(ending));
            }
        }
    }
    pending.into_values().for_each(|(o, _)| b.close(o, None, SpanKind::Alignment(Ending::Open)));
}

/// What a fault's first event does, and the event kind that ends it.
fn outage_of(e: &TraceEvent) -> Option<(Outage, &'static str)> {
    Some(match e.kind.as_str() {
        "fault_crash" => (Outage::Crash, "fault_restart"),
        "fault_pause" => (Outage::Pause, "fault_resume"),
        "fault_cut" => (Outage::Partition, "fault_heal"),
        "fault_link" => (Outage::Link, "fault_heal"),
        "fault_network" => (Outage::Network, "fault_network_healed"),
        "fault_disk" => (Outage::Disk, "fault_disk_healed"),
        _ => return None,
    })
}

/// The nodes a fault event names: its `target`, or every node of its
/// `link` (`worker-2 -> worker-1,worker-3`); none for the whole network.
fn touched(e: &TraceEvent) -> Vec<&str> {
    let names = e.field("target").or(e.field("link")).unwrap_or("");
    let nodes: Vec<&str> = names.split([' ', ',']).filter(|n| !n.is_empty() && *n != "->" && *n != "<->").collect();
    if nodes.contains(&"*") {
        return vec![];
    }
    nodes
}

/// Fault windows, shading the lanes of the nodes they touched.
pub(super) fn outages(b: &mut Builder) {
    // fault index → (what it does, the kind that ends it, one opening per lane)
    let mut pending: BTreeMap<String, (Outage, &str, Vec<Opening>)> = BTreeMap::new();
    for (i, e) in b.trace.iter().enumerate() {
        let Some(fault) = e.field("fault") else { continue };
        if let Some((outage, until)) = outage_of(e) {
            let label = match (outage, e.field("action")) {
                (Outage::Partition, Some(action)) => action.trim_start_matches("fault_").to_string(),
                _ => outage.name().to_string(),
            };
            let nodes = touched(e);
            let lanes: Vec<usize> = match (outage, nodes.is_empty()) {
                (Outage::Network, _) | (_, true) => vec![b.lane(LaneKind::Faults, "faults")],
                _ => nodes.iter().map(|n| b.lane(LaneKind::Node, n)).collect(),
            };
            let openings = lanes.into_iter().map(|l| b.open(l, i, label.clone(), None)).collect();
            pending.insert(fault.to_string(), (outage, until, openings));
        } else if pending.get(fault).is_some_and(|(_, until, _)| *until == e.kind) {
            let (outage, _, openings) = pending.remove(fault).expect("just seen");
            openings.into_iter().for_each(|o| b.close(o, Some(i), SpanKind::Outage(outage)));
        }
    }
    for (outage, _, openings) in pending.into_values() {
        openings.into_iter().for_each(|o| b.close(o, None, SpanKind::Outage(outage)));
    }
}

/// From a failover (or a restarted coordinator) to the next deployment.
pub(super) fn recoveries(b: &mut Builder) {
    let mut pending: Option<Opening> = None;
    for (i, e) in b.trace.iter().enumerate() {
        let label = match e.kind.as_str() {
            "job_failover" => format!("failover: {}", e.field("cause").unwrap_or("?")),
            "coordinator_started" if e.num("attempt").unwrap_or(0) > 0 => "coordinator recovery".to_string(),
            "job_deployed" | "job_failed" => {
                if let Some(o) = pending.take() {
                    b.close(o, Some(i), SpanKind::Recovery);
                }
                continue;
            }
            _ => continue,
        };
        if let Some(o) = pending.take() {
            b.close(o, Some(i), SpanKind::Recovery);
        }
        let lane = b.lane(LaneKind::Job, "job");
        pending = Some(b.open(lane, i, label, None));
    }
    pending.into_iter().for_each(|o| b.close(o, None, SpanKind::Recovery));
}

/// Each task's deployments, from `task_deployed` until its work ends.
pub(super) fn attempts(b: &mut Builder) {
    // task → its current run
    let mut pending: BTreeMap<String, (Opening, TaskRun)> = BTreeMap::new();
    for (i, e) in b.trace.iter().enumerate() {
        let ended: Vec<String> =
            pending.iter().filter(|(_, (_, run))| run.ended_by(e)).map(|(t, _)| t.clone()).collect();
        for task in ended {
            let (o, _) = pending.remove(&task).expect("just seen");
            b.close(o, Some(i), SpanKind::Attempt);
        }
        if e.kind != "task_deployed" {
            continue;
        }
        let (Some(task), Some(worker)) = (e.field("task"), e.field("worker")) else { continue };
        let lane = b.lane(LaneKind::Task, task);
        let label = format!("attempt {} on {worker}", e.field("attempt").unwrap_or("?"));
        let o = b.open(lane, i, label, None);
        let run = TaskRun { task: task.to_string(), worker: worker.to_string(), attempt: e.num("attempt") };
        if let Some((old, _)) = pending.insert(task.to_string(), (o, run)) {
            b.close(old, Some(i), SpanKind::Attempt);
        }
    }
    pending.into_values().for_each(|(o, _)| b.close(o, None, SpanKind::Attempt));
}
