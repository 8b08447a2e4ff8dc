//! Swarm testing (FoundationDB, TigerBeetle): a `[swarm]` section names the
//! fault kinds to draw from, a window and a most; each seed then draws its own
//! subset of kinds, its own number of faults (zero included: quiet seeds) and
//! their times, targets, durations and, for some, protocol phases. Every
//! drawn fault heals inside the window, so the liveness phase follows.
//!
//! A drawn plan never makes correct recovery impossible, except for the rare
//! deliberate "fatal" plan (every copy of a snapshot rotted, then a crash
//! that forces a restore from it), for which the run is expected to fail
//! cleanly (`Plan::expect_failure`).

use crate::scenario::{BlobKind, Fault, FaultAction, MessageClass, Phase, Scenario, Swarm, SwarmKind, When};
use crate::sim::rng::SeedTree;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// One seed's drawn faults.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub faults: Vec<Fault>,
    /// The plan destroys a checkpoint for good: the job must fail cleanly.
    pub expect_failure: bool,
}

/// Chance that a seed drawing `bit_rot` draws the fatal plan instead.
const FATAL_CHANCE: f64 = 0.05;
/// Chance that a fault that can be is placed at a protocol phase.
const PHASE_CHANCE: f64 = 0.3;
/// Chance that a time-placed fault is tied to an earlier one: striking
/// while it acts, or right as it ends (a crash during a storage slowdown, or
/// just after a partition heals). Races that need two faults together live
/// here.
const CASCADE_CHANCE: f64 = 0.4;
/// How soon after the earlier fault ends a cascading one strikes, at most.
const CASCADE_GAP: Duration = Duration::from_millis(150);

/// Draws the plan of `seed` (deterministic: the same seed, the same plan).
pub fn draw(scenario: &Scenario, swarm: &Swarm, seed: u64) -> Plan {
    let mut rng = SeedTree::new(seed).stream("swarm");
    let mut kinds: Vec<SwarmKind> = swarm.faults.iter().copied().filter(|_| rng.gen_bool(0.5)).collect();
    if kinds.is_empty() {
        kinds.push(*swarm.faults.choose(&mut rng).expect("validated: swarm.faults is not empty"));
    }
    if kinds.contains(&SwarmKind::BitRot) && rng.gen_bool(FATAL_CHANCE) {
        return fatal_plan(scenario);
    }
    let count = rng.gen_range(0..=swarm.max_faults);
    let mut drawer = Drawer { scenario, window: swarm.window, rng, rotted: false };
    let mut faults: Vec<Fault> = (0..count).filter_map(|_| drawer.fault(&kinds)).collect();
    drawer.cascade(&mut faults);
    Plan { faults, expect_failure: false }
}

/// Every copy of one snapshot of checkpoint 2 rots the moment it completes,
/// and a worker running a sink dies then: the restore must fail, for good.
fn fatal_plan(scenario: &Scenario) -> Plan {
    let when = || Some(When { checkpoint: Some(2), phase: Phase::Completed, task: None });
    let sink =
        scenario.job.operators.iter().find(|o| o.kind == crate::scenario::OperatorKind::Sink).expect("validated");
    let rot = Fault {
        when: when(),
        node: Some("storage".into()),
        copies: Some(scenario.storage.replicas),
        blob: Some(BlobKind::Snapshot),
        ..Fault::new(FaultAction::BitRot)
    };
    let crash = Fault {
        when: when(),
        node: Some(format!("worker-of({}[0])", sink.id)),
        restart_after: Some(Duration::from_millis(200)),
        ..Fault::new(FaultAction::Crash)
    };
    Plan { faults: vec![rot, crash], expect_failure: true }
}

struct Drawer<'s> {
    scenario: &'s Scenario,
    window: Duration,
    rng: ChaCha8Rng,
    /// At most one (survivable) bit rot per plan, so two can never destroy
    /// every copy of one blob between them.
    rotted: bool,
}

impl Drawer<'_> {
    /// Moves some time-placed faults into, or to just after, another one.
    fn cascade(&mut self, faults: &mut [Fault]) {
        for i in 1..faults.len() {
            if faults[i].at.is_none() || !self.rng.gen_bool(CASCADE_CHANCE) {
                continue;
            }
            let Some(j) = (0..i).filter(|&j| faults[j].at.is_some()).collect::<Vec<_>>().choose(&mut self.rng).copied()
            else {
                continue;
            };
            let starts = faults[j].at.expect("time-placed");
            let ends = starts + faults[j].aftermath();
            let at = if self.rng.gen_bool(0.5) {
                self.between(starts, ends)
            } else {
                ends + self.between(Duration::ZERO, CASCADE_GAP)
            };
            if at + faults[i].aftermath() <= self.window {
                faults[i].at = Some(at);
            }
        }
    }

    fn fault(&mut self, kinds: &[SwarmKind]) -> Option<Fault> {
        let kind = *kinds.choose(&mut self.rng).expect("at least one kind");
        let mut fault = match kind {
            SwarmKind::Crash => Fault { node: Some(self.node(true)), ..Fault::new(FaultAction::Crash) },
            SwarmKind::Pause => Fault { node: Some(self.node(true)), ..Fault::new(FaultAction::Pause) },
            SwarmKind::Partition | SwarmKind::OneWay => self.partition(kind == SwarmKind::OneWay),
            SwarmKind::Isolate => Fault { node: Some(self.node(false)), ..Fault::new(FaultAction::Isolate) },
            SwarmKind::Link => self.link(),
            SwarmKind::DiskError => self.disk_error(),
            SwarmKind::SlowFsync => self.slow_fsync(),
            SwarmKind::BitRot if self.rotted || self.scenario.storage.replicas < 2 => return None,
            SwarmKind::BitRot => self.bit_rot(),
            SwarmKind::Rescale => self.rescale()?,
        };
        let by_phase = !matches!(kind, SwarmKind::Link | SwarmKind::DiskError | SwarmKind::SlowFsync)
            && self.rng.gen_bool(PHASE_CHANCE);
        let latest = if by_phase {
            fault.when = Some(self.when());
            self.window / 2
        } else {
            let at = self.between(Duration::ZERO, self.window * 3 / 4);
            fault.at = Some(at);
            self.window - at
        };
        self.duration(&mut fault, kind, latest);
        Some(fault)
    }

    /// How long the fault acts, ending by `latest` after it strikes.
    fn duration(&mut self, fault: &mut Fault, kind: SwarmKind, latest: Duration) {
        let latest = latest.max(Duration::from_millis(20));
        let longest = |d: Duration| d.min(latest);
        match kind {
            SwarmKind::Crash => fault.restart_after = Some(self.between(Duration::from_millis(10), longest(latest))),
            SwarmKind::Pause => {
                // Long enough, often, to miss heartbeats: the zombie path.
                let long = self.scenario.cluster.heartbeat_timeout * 5 / 2;
                fault.resume_after = Some(self.between(Duration::from_millis(10), longest(long)));
            }
            SwarmKind::BitRot | SwarmKind::Rescale => {}
            _ => fault.heal_after = Some(self.between(Duration::from_millis(10), longest(latest))),
        }
    }

    fn between(&mut self, min: Duration, max: Duration) -> Duration {
        if max <= min {
            return min;
        }
        let ms = self.rng.gen_range(min.as_millis() as u64..=max.as_millis() as u64);
        Duration::from_millis(ms)
    }

    /// A protocol moment of one of the first checkpoints of the window.
    fn when(&mut self) -> When {
        let checkpoints = (self.window.as_millis() / self.scenario.checkpoint.interval.as_millis().max(1)).max(2);
        let phase = *Phase::ALL.choose(&mut self.rng).expect("phases");
        let task = if phase.at_a_task() && self.rng.gen_bool(0.5) { self.task_for(phase) } else { None };
        When { checkpoint: Some(self.rng.gen_range(1..=checkpoints as u64)), phase, task }
    }

    fn task(&mut self) -> Option<String> {
        self.task_for(Phase::Triggered)
    }

    /// A task where `phase` can happen (any task for a coordinator phase).
    fn task_for(&mut self, phase: Phase) -> Option<String> {
        let ops: Vec<_> =
            self.scenario.job.operators.iter().filter(|o| !phase.at_a_task() || phase.happens_at(o.kind)).collect();
        let op = *ops.choose(&mut self.rng)?;
        let p = self.scenario.parallelism_of(op);
        Some(format!("{}[{}]", op.id, self.rng.gen_range(0..p)))
    }

    fn nodes(&self) -> Vec<String> {
        let mut nodes: Vec<String> = ["coordinator", "log", "storage", "sink"].map(String::from).into();
        nodes.extend((1..=self.scenario.cluster.workers).map(|k| format!("worker-{k}")));
        nodes
    }

    /// A node to crash, pause, isolate: weighted toward the nodes that hold
    /// the most protocol state (the coordinator, the services), and now and
    /// then (when `worker_of`) the worker of a task.
    fn node(&mut self, worker_of: bool) -> String {
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
            _ => format!("worker-{}", self.rng.gen_range(1..=self.scenario.cluster.workers)),
        }
    }

    /// An operator that may be rescaled, to a parallelism the cluster allows.
    fn rescale(&mut self) -> Option<Fault> {
        let s = self.scenario;
        let slots = s.cluster.workers * s.cluster.slots_per_worker;
        let ops: Vec<&crate::scenario::Operator> = s
            .job
            .operators
            .iter()
            .filter(|o| {
                o.partition != Some(crate::scenario::Partitioning::Broadcast)
                    && o.sink != Some(crate::scenario::SinkKind::Upsert)
            })
            .collect();
        let op = *ops.choose(&mut self.rng)?;
        let mut most = slots.min(s.job.max_parallelism);
        if op.kind == crate::scenario::OperatorKind::Source {
            most = most.min(op.partitions());
        }
        let parallelism = self.rng.gen_range(1..=most.max(1));
        Some(Fault {
            operator: Some(op.id.clone()),
            parallelism: Some(parallelism),
            ..Fault::new(FaultAction::Rescale)
        })
    }

    /// Two disjoint groups of one or two nodes.
    fn partition(&mut self, one_way: bool) -> Fault {
        let mut nodes = self.nodes();
        nodes.shuffle(&mut self.rng);
        let (na, nb) = (self.rng.gen_range(1..=2), self.rng.gen_range(1..=2));
        let a = nodes[..na].to_vec();
        let b = nodes[na..na + nb].to_vec();
        Fault { between: Some([a, b]), one_way: one_way.then_some(true), ..Fault::new(FaultAction::Partition) }
    }

    /// A slow or lossy link: between any two nodes, on the control plane
    /// (coordinator ↔ a worker, one kind of message), or between workers
    /// (the data plane).
    fn link(&mut self) -> Fault {
        let mut nodes = self.nodes();
        nodes.shuffle(&mut self.rng);
        let workers: Vec<String> = nodes.iter().filter(|n| n.starts_with("worker-")).cloned().collect();
        let (from, to, messages) = match self.rng.gen_range(0..10) {
            0..=2 => (nodes[0].clone(), nodes[1].clone(), None),
            // The storage plane: uploads and metadata writes, slow like a
            // congested object store (past the checkpoint timeout, often).
            3..=4 => {
                let writer = ["coordinator".to_string(), format!("worker-{}", self.rng.gen_range(1..=workers.len()))]
                    .choose(&mut self.rng)
                    .expect("writers")
                    .clone();
                let latency = self.between(Duration::from_millis(100), Duration::from_millis(2500));
                return Fault {
                    from: Some(vec![writer]),
                    to: Some(vec!["storage".into()]),
                    messages: Some(vec![MessageClass::Storage]),
                    latency_min: Some(latency / 2),
                    latency_max: Some(latency),
                    ..Fault::new(FaultAction::Link)
                };
            }
            5..=7 => {
                // Lost notifications and triggers reach the rarest paths
                // (T3's later commit, L6's newer barrier): weighted up.
                let control = [
                    MessageClass::NotifyComplete,
                    MessageClass::NotifyComplete,
                    MessageClass::NotifyComplete,
                    MessageClass::Trigger,
                    MessageClass::Trigger,
                    MessageClass::Trigger,
                    MessageClass::Ack,
                    MessageClass::NotifyAborted,
                    MessageClass::Heartbeat,
                    MessageClass::Deploy,
                ];
                let class = *control.choose(&mut self.rng).expect("classes");
                let (c, w) = ("coordinator".to_string(), workers[0].clone());
                let (from, to) = if class == MessageClass::Ack || self.rng.gen_bool(0.1) { (w, c) } else { (c, w) };
                (from, to, Some(vec![class]))
            }
            8..=9 if workers.len() >= 2 => {
                let data = [MessageClass::Data, MessageClass::Barrier];
                let messages = self.rng.gen_bool(0.5).then(|| vec![*data.choose(&mut self.rng).expect("classes")]);
                (workers[0].clone(), workers[1].clone(), messages)
            }
            _ => (nodes[0].clone(), nodes[1].clone(), None),
        };
        let slow = self.rng.gen_bool(0.5);
        let lossy = !slow || self.rng.gen_bool(0.4);
        let loss = if messages.is_some() { self.rng.gen_range(20..=100u32) } else { self.rng.gen_range(1..=40u32) };
        Fault {
            from: Some(vec![from]),
            to: Some(vec![to]),
            latency_max: slow.then(|| self.between(Duration::from_millis(5), Duration::from_millis(300))),
            loss: lossy.then(|| f64::from(loss) / 100.0),
            messages,
            ..Fault::new(FaultAction::Link)
        }
    }

    /// A node whose disk the job uses.
    fn disk_node(&mut self) -> String {
        ["storage", "sink", "coordinator"].choose(&mut self.rng).expect("nodes").to_string()
    }

    fn disk_error(&mut self) -> Fault {
        let p = |rng: &mut ChaCha8Rng| rng.gen_bool(0.5).then(|| f64::from(rng.gen_range(5..=60u32)) / 100.0);
        let (write_error, fsync_error, mut read_error) = (p(&mut self.rng), p(&mut self.rng), p(&mut self.rng));
        if write_error.is_none() && fsync_error.is_none() && read_error.is_none() {
            read_error = Some(0.5);
        }
        Fault { node: Some(self.disk_node()), write_error, fsync_error, read_error, ..Fault::new(FaultAction::Disk) }
    }

    fn slow_fsync(&mut self) -> Fault {
        let min = self.between(Duration::from_millis(10), Duration::from_millis(500));
        let max = self.between(min, Duration::from_millis(3000));
        Fault {
            node: Some(self.disk_node()),
            fsync_latency_min: Some(min),
            fsync_latency_max: Some(max),
            ..Fault::new(FaultAction::Disk)
        }
    }

    fn bit_rot(&mut self) -> Fault {
        self.rotted = true;
        let copies = self.rng.gen_range(1..self.scenario.storage.replicas);
        let blob = *[BlobKind::Snapshot, BlobKind::Metadata, BlobKind::Any].choose(&mut self.rng).expect("kinds");
        Fault {
            node: Some("storage".into()),
            copies: Some(copies),
            blob: Some(blob),
            ..Fault::new(FaultAction::BitRot)
        }
    }
}

#[cfg(test)]
#[path = "swarm_tests.rs"]
mod tests;
