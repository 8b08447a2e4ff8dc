//! What a fault kind draws a swarm fault with: the seed's random stream,
//! the scenario, the window, and picks of nodes and tasks weighted the way
//! every kind shares.

use crate::engine::registry::Registry;
use crate::scenario::{Phase, Scenario, When};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// One seed's drawing of faults.
pub struct Drawer<'s> {
    pub scenario: &'s Scenario,
    /// The components the scenario's names resolve to.
    pub registry: &'s Registry,
    /// Faults strike and heal within `[0, window)`.
    pub window: Duration,
    pub rng: ChaCha8Rng,
    /// At most one (survivable) bit rot per plan, so two can never destroy
    /// every copy of one blob between them.
    pub rotted: bool,
}

impl Drawer<'_> {
    /// A duration in `[min, max]`, in whole milliseconds (`min` if the range is empty).
    pub fn between(&mut self, min: Duration, max: Duration) -> Duration {
        if max <= min {
            return min;
        }
        let ms = self.rng.gen_range(min.as_millis() as u64..=max.as_millis() as u64);
        Duration::from_millis(ms)
    }

    /// A protocol moment of one of the first checkpoints of the window.
    pub fn when(&mut self) -> When {
        let checkpoints = (self.window.as_millis() / self.scenario.checkpoint.interval.as_millis().max(1)).max(2);
        let phase = *Phase::ALL.choose(&mut self.rng).expect("phases");
        let task = if phase.at_a_task() && self.rng.gen_bool(0.5) { self.task_for(phase) } else { None };
        When { checkpoint: Some(self.rng.gen_range(1..=checkpoints as u64)), phase, task }
    }

    /// Any task of the job.
    pub fn task(&mut self) -> Option<String> {
        self.task_for(Phase::Triggered)
    }

    /// A task where `phase` can happen (any task for a coordinator phase).
    pub fn task_for(&mut self, phase: Phase) -> Option<String> {
        let ops: Vec<_> =
            self.scenario.job.operators.iter().filter(|o| !phase.at_a_task() || phase.happens_at(&o.kind)).collect();
        let op = *ops.choose(&mut self.rng)?;
        let p = self.scenario.parallelism_of(op);
        Some(format!("{}[{}]", op.id, self.rng.gen_range(0..p)))
    }

    /// Every node of the cluster: the services, then the workers.
    pub fn nodes(&self) -> Vec<String> {
        super::targets::nodes(self.scenario)
    }

    /// A node to crash, pause, isolate: weighted toward the nodes that hold
    /// the most protocol state (the coordinator, the services), and now and
    /// then (when `worker_of`) the worker of a task.
    pub fn node(&mut self, worker_of: bool) -> String {
        if worker_of && self.rng.gen_bool(0.3) {
            if let Some(task) = self.task() {
                return format!("worker-of({task})");
            }
        }
        match self.rng.gen_range(0..20) {
            0..=4 => "coordinator".into(),
            5..=6 => "storage".into(),
            7..=8 => "sink".into(),
            9 => "log".into(),
            _ => crate::engine::cluster::worker_name(self.rng.gen_range(1..=self.scenario.cluster.workers)),
        }
    }

    /// A node whose disk the job uses: checkpoint storage, the sink store,
    /// or the coordinator's durable record.
    pub fn disk_node(&mut self) -> String {
        ["storage", "sink", "coordinator"].choose(&mut self.rng).expect("nodes").to_string()
    }
}
