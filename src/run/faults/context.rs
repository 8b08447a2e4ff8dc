//! What a fault kind strikes with: the run's disks, its recorder (the live
//! view, for targets like `worker-of(count[1])`), its seed streams and the
//! job's client; and how it traces what it did.

use crate::run::client::Client;
use crate::scenario::Network;
use crate::sim::disk::SimDisk;
use crate::sim::rng::SeedTree;
use crate::trace::fault_act::{FaultAct, Step};
use crate::trace::{emit, Event, Recorder};
use std::collections::BTreeMap;

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

impl FaultCtx {
    /// `worker-of(op[i])` → the worker running that task now; other names as
    /// they are. `None` (and a `fault_skipped` event) when the task is not
    /// deployed.
    pub fn resolve(&self, i: usize, node: &str) -> Option<String> {
        match node.strip_prefix("worker-of(").and_then(|s| s.strip_suffix(')')) {
            Some(task) => {
                let worker = self.recorder.worker_of(task);
                if worker.is_none() {
                    skipped(i, node, "task not deployed");
                }
                worker
            }
            None => Some(node.to_string()),
        }
    }
}

/// Traces one act of fault `i`: `name` is its trace kind (`fault_crash`),
/// `what` and `on` label it, `details` are its fields after `fault`.
pub fn act(
    i: usize,
    name: &'static str,
    what: &'static str,
    on: String,
    step: Step,
    details: Vec<(&'static str, String)>,
) {
    emit("world", Event::Fault(FaultAct { fault: i, name, what, on, step, details }));
}

/// Fault `i` stopped acting (`name`: `fault_heal`, `what`: `heal`).
pub fn ended(i: usize, name: &'static str, what: &'static str, on: String, details: Vec<(&'static str, String)>) {
    act(i, name, what, on, Step::Ended { zombie: None }, details);
}

/// Fault `i` could not strike `target`, for `reason`.
pub fn skipped(i: usize, target: &str, reason: &str) {
    emit("world", Event::FaultSkipped { fault: i, target: target.to_string(), reason: reason.to_string() });
}
