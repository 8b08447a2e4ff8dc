//! The passes that turn the trace's protocol phases and faults into spans:
//! checkpoints, alignments, outages, recoveries, attempts, backpressure
//! (the table in `spans`).

use super::layout::{Builder, Opening};
use super::{Ending, LaneKind, Outage, SpanKind};
use crate::scenario::ids::{Attempt, CheckpointId};
use crate::trace::event::{AbortReason, Event};
use crate::trace::fault_act::{Effect, Step};
use crate::trace::TraceEvent;
use std::collections::BTreeMap;
use std::time::Duration;

/// Checkpoints on the coordinator, trigger to completion or abort.
pub(super) fn checkpoints(b: &mut Builder) {
    let mut pending: BTreeMap<CheckpointId, Opening> = BTreeMap::new();
    for (i, e) in b.trace.iter().enumerate() {
        let ending = match &e.event {
            Event::CheckpointTriggered { checkpoint: n, .. } => {
                let lane = b.lane(LaneKind::Node, &e.node);
                pending.insert(*n, b.open(lane, i, format!("chk {n}"), Some(*n)));
                continue;
            }
            Event::CheckpointCompleted { checkpoint: n, .. } => vec![(*n, Ending::Completed)],
            Event::CheckpointAborted { checkpoint: n, reason } => vec![(*n, Ending::of_abort(reason))],
            Event::JobFailover { dropped_checkpoints, .. } => {
                dropped_checkpoints.0.iter().map(|n| (*n, Ending::Dropped)).collect()
            }
            // A restarted coordinator has forgotten every pending checkpoint.
            Event::CoordinatorStarted { .. } => pending.keys().map(|n| (*n, Ending::Dropped)).collect(),
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

/// A task running on a worker in one attempt.
struct TaskRun {
    task: String,
    worker: String,
    attempt: Option<Attempt>,
}

impl TaskRun {
    /// Whether `e` ends what it was doing: it failed, the job failed over or
    /// was redeployed or ended, its worker lost the coordinator, or the
    /// coordinator restarted. (A zombie of an older attempt failing does not
    /// end the task's current run.)
    fn ended_by(&self, e: &TraceEvent) -> bool {
        match &e.event {
            Event::TaskFailed { task, attempt, .. } => *task == self.task && self.attempt.is_none_or(|a| *attempt == a),
            Event::JobFailover { .. }
            | Event::JobDeployed { .. }
            | Event::CoordinatorStarted { .. }
            | Event::JobFinished { .. }
            | Event::JobFailed { .. } => true,
            Event::CoordinatorLost { .. } => e.node == self.worker,
            _ => false,
        }
    }
}

/// What an event does to an alignment: opens it, ends one (of a task and
/// checkpoint) with an ending, or may end every run it ends (`Dropped`).
enum AlignmentStep<'e> {
    Open(&'e str, CheckpointId),
    End(&'e str, CheckpointId, Ending),
    Deployed(&'e str, Attempt),
    Other,
}

fn alignment_step(e: &Event) -> AlignmentStep<'_> {
    match e {
        Event::BarrierAligning { task, checkpoint, .. } => AlignmentStep::Open(task, *checkpoint),
        Event::SnapshotTaken { task, checkpoint, .. } => AlignmentStep::End(task, *checkpoint, Ending::Completed),
        Event::AlignmentAborted { task, checkpoint, .. } => AlignmentStep::End(task, *checkpoint, Ending::Aborted),
        Event::AlignmentTimedOut { task, checkpoint } => AlignmentStep::End(task, *checkpoint, Ending::Unaligned),
        Event::TaskDeployed { task, attempt, .. } => AlignmentStep::Deployed(task, *attempt),
        _ => AlignmentStep::Other,
    }
}

/// Alignments per task, from the first barrier to the snapshot.
pub(super) fn alignments(b: &mut Builder) {
    // (task, checkpoint) → the alignment and the task's run.
    let mut pending: BTreeMap<(String, CheckpointId), (Opening, TaskRun)> = BTreeMap::new();
    // task → its latest deployed attempt
    let mut deployed: BTreeMap<String, Attempt> = BTreeMap::new();
    for (i, e) in b.trace.iter().enumerate() {
        let (ending, ended): (Ending, Vec<(String, CheckpointId)>) = match alignment_step(&e.event) {
            AlignmentStep::Open(task, n) => {
                let lane = b.lane(LaneKind::Task, task);
                let run =
                    TaskRun { attempt: deployed.get(task).copied(), task: task.to_string(), worker: e.node.clone() };
                pending.insert((task.to_string(), n), (b.open(lane, i, n.to_string(), Some(n)), run));
                continue;
            }
            AlignmentStep::End(task, n, ending) => (ending, vec![(task.to_string(), n)]),
            step => {
                if let AlignmentStep::Deployed(task, a) = step {
                    deployed.insert(task.to_string(), a);
                }
                let ended = pending.iter().filter(|(_, (_, run))| run.ended_by(e)).map(|(k, _)| k.clone()).collect();
                (Ending::Dropped, ended)
            }
        };
        for key in ended {
            if let Some((o, _)) = pending.remove(&key) {
                b.close(o, Some(i), SpanKind::Alignment(ending));
            }
        }
    }
    pending.into_values().for_each(|(o, _)| b.close(o, None, SpanKind::Alignment(Ending::Open)));
}

/// What a strike's effect shades on the timeline, if anything.
fn outage_of(effect: &Effect) -> Option<Outage> {
    Some(match effect {
        Effect::Stopped { crash: true, .. } => Outage::Crash,
        Effect::Stopped { crash: false, .. } => Outage::Pause,
        Effect::Cut { .. } | Effect::Isolated { .. } => Outage::Partition,
        Effect::Degraded { .. } => Outage::Link,
        Effect::Global { .. } => Outage::Network,
        Effect::Disk { .. } => Outage::Disk,
        Effect::Slowed { .. } => Outage::Slow,
        Effect::Rot { .. } | Effect::Rescale => return None,
    })
}

/// Fault windows, shading the lanes of the nodes they touched.
pub(super) fn outages(b: &mut Builder) {
    // fault index → (what it does, one opening per lane)
    let mut pending: BTreeMap<usize, (Outage, Vec<Opening>)> = BTreeMap::new();
    for (i, e) in b.trace.iter().enumerate() {
        let Event::Fault(act) = &e.event else { continue };
        match &act.step {
            Step::Struck(strike) => {
                let Some(outage) = outage_of(&strike.effect) else { continue };
                let nodes = strike.effect.nodes();
                let lanes: Vec<usize> = match (&strike.effect, outage, nodes.is_empty()) {
                    (Effect::Slowed { task }, ..) => vec![b.lane(LaneKind::Task, task)],
                    (_, Outage::Network, _) | (_, _, true) => vec![b.lane(LaneKind::Faults, "faults")],
                    _ => nodes.iter().map(|n| b.lane(LaneKind::Node, n)).collect(),
                };
                let openings = lanes.into_iter().map(|l| b.open(l, i, act.what.to_string(), None)).collect();
                pending.insert(act.fault, (outage, openings));
            }
            Step::Ended { .. } => {
                if let Some((outage, openings)) = pending.remove(&act.fault) {
                    openings.into_iter().for_each(|o| b.close(o, Some(i), SpanKind::Outage(outage)));
                }
            }
        }
    }
    for (outage, openings) in pending.into_values() {
        openings.into_iter().for_each(|o| b.close(o, None, SpanKind::Outage(outage)));
    }
}

/// From a failover (or a restarted coordinator) to the next deployment.
pub(super) fn recoveries(b: &mut Builder) {
    let mut pending: Option<Opening> = None;
    for (i, e) in b.trace.iter().enumerate() {
        let label = match &e.event {
            Event::JobFailover { cause, .. } => format!("failover: {cause}"),
            Event::CoordinatorStarted { attempt, .. } if *attempt > 0 => "coordinator recovery".to_string(),
            Event::JobDeployed { .. } | Event::JobFailed { .. } => {
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
        let Event::TaskDeployed { task, worker, attempt, .. } = &e.event else { continue };
        let lane = b.lane(LaneKind::Task, task);
        let o = b.open(lane, i, format!("attempt {attempt} on {worker}"), None);
        let run = TaskRun { task: task.clone(), worker: worker.clone(), attempt: Some(*attempt) };
        if let Some((old, _)) = pending.insert(task.clone(), (o, run)) {
            b.close(old, Some(i), SpanKind::Attempt);
        }
    }
    pending.into_values().for_each(|(o, _)| b.close(o, None, SpanKind::Attempt));
}

/// Backpressure periods per task: from `backpressured` for the
/// `lasted_us` its `backpressure_relieved` says; a period the trace never
/// closes ends at the next failover or deployment, or the end.
pub(super) fn backpressure(b: &mut Builder) {
    let mut pending: BTreeMap<String, Opening> = BTreeMap::new();
    for (i, e) in b.trace.iter().enumerate() {
        match &e.event {
            Event::Backpressured { task, on } => {
                let lane = b.lane(LaneKind::Task, task);
                let label = if on.is_empty() { "backpressured".to_string() } else { format!("backpressured by {on}") };
                if let Some(o) = pending.insert(task.clone(), b.open(lane, i, label, None)) {
                    b.close(o, Some(i), SpanKind::Backpressure);
                }
            }
            Event::BackpressureRelieved { task, lasted_us, .. } => {
                if let Some(o) = pending.remove(task) {
                    let end = o.start() + Duration::from_micros(*lasted_us);
                    b.close_at(o, i, end, SpanKind::Backpressure);
                }
            }
            Event::JobFailover { .. } | Event::JobDeployed { .. } => {
                std::mem::take(&mut pending).into_values().for_each(|o| b.close(o, Some(i), SpanKind::Backpressure));
            }
            _ => {}
        }
    }
    pending.into_values().for_each(|o| b.close(o, None, SpanKind::Backpressure));
}

impl Ending {
    /// From the reason of an abort.
    fn of_abort(reason: &AbortReason) -> Ending {
        match reason {
            AbortReason::Expired => Ending::Expired,
            AbortReason::Declined(_) => Ending::Declined,
            _ => Ending::Aborted,
        }
    }
}
