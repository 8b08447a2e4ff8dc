//! Faults: every kind behind one trait (`kind`), one file per kind, and the
//! injector that carries a run's faults out at their time or phase.
//!
//! The kinds, registered in `KINDS`:
//!
//! - `crash`, `pause` — a node dies (and may restart), or stalls (and may
//!   come back a zombie)
//! - `partition`, `isolate`, `link` — link rules: cut, held, slowed or lossy
//!   messages (`links` is what they share)
//! - `network` — madsim's own latency and loss for every message
//! - `disk` — a node's disk fails or slows down
//! - `disk_full` — a node's disk refuses to grow past a capacity (ENOSPC)
//! - `bit_rot` — stored copies of a checkpoint blob rot
//! - `rescale` — the job's client asks for an operator's rescale
//! - `slow_task` — one operator subtask takes longer per record for a while
//!
//! What kinds work with: `kind` (the traits), `context` (what a strike
//! gets, and how it traces its acts), `draw` (a swarm seed's drawing),
//! `targets` (node names checked against the cluster), `phases` (a phase
//! placement the file's own protocol can reach).
//!
//! Every event a fault emits carries its index in the run's plan, so a
//! verdict can say which faults fired and which did not.

pub mod bit_rot;
pub(crate) mod context;
pub mod crash;
pub mod disk;
pub mod disk_full;
pub(crate) mod draw;
pub mod isolate;
pub(crate) mod kind;
pub mod link;
mod links;
pub mod network;
pub mod partition;
pub mod pause;
pub(crate) mod phases;
pub mod rescale;
pub mod slow_task;
pub(crate) mod targets;

use crate::scenario::duration::format_duration;
use crate::scenario::Fault;
use crate::trace::event::OrDash;
use crate::trace::watch::moment;
use crate::trace::{emit, Event, Recorder};
use context::FaultCtx;
use kind::FaultKind;

/// Every kind of fault, by the `action` a file names it with.
pub const KINDS: &[&dyn FaultKind] = &[
    &crash::Crash,
    &pause::Pause,
    &partition::Partition,
    &isolate::Isolate,
    &link::Link,
    &network::Network,
    &disk::Disk,
    &disk_full::DiskFull,
    &bit_rot::BitRot,
    &rescale::Rescale,
    &slow_task::SlowTask,
];

/// The kind registered for `action`.
pub fn kind_of(action: &str) -> Option<&'static dyn FaultKind> {
    KINDS.iter().copied().find(|k| k.action() == action)
}

/// The kind of a validated fault.
fn kind(fault: &Fault) -> &'static dyn FaultKind {
    kind_of(&fault.action).unwrap_or_else(|| panic!("unvalidated fault action `{}`", fault.action))
}

/// One line for verdicts: `crash worker-of(count[1]) at 700ms, restart after 500ms`.
pub fn label(fault: &Fault) -> String {
    let mut s = kind(fault).label(fault);
    match (&fault.at, &fault.when) {
        (Some(at), _) => s += &format!(" at {}", format_duration(*at)),
        (None, Some(w)) => {
            s += &format!(" when {}", w.phase.name());
            if let Some(n) = w.checkpoint {
                s += &format!(" of checkpoint {n}");
            }
            if let Some(t) = &w.task {
                s += &format!(" at {t}");
            }
        }
        (None, None) => {}
    }
    for (name, d) in fault.delays() {
        s += &format!(", {} after {}", name.trim_end_matches("_after"), format_duration(d));
    }
    s
}

/// Starts one background task per fault; `faults[i]` is fault `i`. The
/// world aborts them when the run ends (a fault still waiting for its phase
/// holds the disks, and must not outlive the run).
pub fn spawn_all(faults: &[Fault], ctx: &FaultCtx) -> Vec<madsim::task::JoinHandle<()>> {
    let spawn = |(i, fault): (usize, &Fault)| {
        let (fault, ctx) = (fault.clone(), ctx.clone());
        madsim::task::spawn_local(async move {
            if !strike_time(i, &fault, &ctx.recorder).await {
                return;
            }
            ctx.recorder.faults_act_until(crate::sim::now() + fault.aftermath());
            kind(&fault).strike(&fault, i, &ctx).await;
        })
    };
    faults.iter().enumerate().map(spawn).collect()
}

/// Waits for the fault's time or phase; false if the phase never comes.
async fn strike_time(i: usize, fault: &Fault, recorder: &Recorder) -> bool {
    if let Some(at) = fault.at {
        madsim::time::sleep(at).await;
        return true;
    }
    let Some(when) = &fault.when else { return false };
    let Ok(e) = recorder.watch(when.phase, when.checkpoint, when.task.clone()).await else {
        return false;
    };
    let (checkpoint, task) = match moment(&e.event) {
        Some((_, checkpoint, task)) => (Some(checkpoint), task.map(str::to_string)),
        None => (None, None),
    };
    let (checkpoint, task) = (OrDash(checkpoint), OrDash(task));
    emit("world", Event::FaultPhaseReached { fault: i, phase: e.kind(), checkpoint, task, on: e.node.clone() });
    true
}
