//! The fault injector: carries out each scenario fault at its time or phase.
//! Faults are data (`scenario::Fault`, typed as `FaultKind`); this is the one
//! place that acts on them, one family per file:
//!
//! - `process` — crash (and restart), pause (and resume)
//! - `network` — partition, one-way partition, isolate, link, global network
//! - `storage` — disk errors and slow fsyncs, bit rot
//! - rescale — a request to the coordinator, sent by the job's client (`run::client`)
//!
//! Every event a fault emits carries `fault = i` (its index in the plan), so
//! a verdict can say which faults fired and which did not.

mod network;
mod process;
mod storage;

use super::client::{Client, RescaleRequest};
use crate::scenario::{Fault, FaultKind, Network};
use crate::sim::disk::SimDisk;
use crate::sim::rng::SeedTree;
use crate::trace::event::OrDash;
use crate::trace::fault_act::{Effect, FaultAct, Step, Strike};
use crate::trace::watch::moment;
use crate::trace::{emit, Event, Recorder};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// What the injector works with.
#[derive(Clone)]
pub struct FaultCtx {
    /// The scenario's own network settings, restored when a network fault heals.
    pub network: Network,
    pub disks: BTreeMap<String, SimDisk>,
    pub recorder: Recorder,
    pub seeds: SeedTree,
    /// Sends the job's rescale requests.
    pub client: Client,
}

/// Starts one background task per fault; `faults[i]` is fault `i`. The
/// world aborts them when the run ends (a fault still waiting for its phase
/// holds the disks, and must not outlive the run).
pub fn spawn_all(faults: &[Fault], ctx: &FaultCtx) -> Vec<madsim::task::JoinHandle<()>> {
    let spawn = |(i, fault): (usize, &Fault)| {
        let (fault, ctx) = (Arc::new(fault.clone()), ctx.clone());
        madsim::task::spawn(async move {
            if !strike_time(i, &fault, &ctx.recorder).await {
                return;
            }
            ctx.recorder.faults_act_until(crate::sim::now() + fault.aftermath());
            strike(i, &fault, &ctx).await;
        })
    };
    faults.iter().enumerate().map(spawn).collect()
}

/// Carries out fault `i`, through its heal if it has one.
async fn strike(i: usize, fault: &Fault, ctx: &FaultCtx) {
    match fault.kind() {
        FaultKind::Crash { node, restart_after } => process::crash(i, &node, restart_after, ctx).await,
        FaultKind::Pause { node, resume_after } => process::pause(i, &node, resume_after, ctx).await,
        kind @ (FaultKind::Partition { .. } | FaultKind::Isolate { .. } | FaultKind::Link { .. }) => {
            network::cut_or_degrade(i, kind, fault.heal_after, ctx).await
        }
        FaultKind::Network { latency_min, latency_max, loss } => {
            network::reconfigure(i, latency_min, latency_max, loss, fault.heal_after, &ctx.network).await
        }
        FaultKind::Disk { node, faults } => storage::disk(i, &node, faults, fault.heal_after, ctx).await,
        FaultKind::BitRot { node, copies, blob } => storage::bit_rot(i, &node, copies, blob, ctx),
        FaultKind::Rescale { operator, parallelism } => {
            let strike = Step::Struck(Strike { effect: Effect::Rescale, linger: Duration::ZERO });
            let details = vec![("operator", operator.clone()), ("parallelism", parallelism.to_string())];
            act(i, "fault_rescale", "rescale", format!("{operator}→{parallelism}"), strike, details);
            ctx.client.request(RescaleRequest { fault: i, operator, parallelism });
        }
    }
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

/// `worker-of(op[i])` → the worker running that task now; other names as they are.
fn resolve(i: usize, node: &str, recorder: &Recorder) -> Option<String> {
    match node.strip_prefix("worker-of(").and_then(|s| s.strip_suffix(')')) {
        Some(task) => {
            let worker = recorder.worker_of(task);
            if worker.is_none() {
                skipped(i, node, "task not deployed");
            }
            worker
        }
        None => Some(node.to_string()),
    }
}

/// Traces one act of fault `i`: `name` is its trace kind, `what` and `on`
/// label it, `details` are its fields after `fault`.
fn act(i: usize, name: &'static str, what: &'static str, on: String, step: Step, details: Vec<(&'static str, String)>) {
    emit("world", Event::Fault(FaultAct { fault: i, name, what, on, step, details }));
}

/// Fault `i` could not strike `target`, for `reason`.
fn skipped(i: usize, target: &str, reason: &str) {
    emit("world", Event::FaultSkipped { fault: i, target: target.to_string(), reason: reason.to_string() });
}
