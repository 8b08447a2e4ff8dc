//! One run: a fresh thread and madsim runtime for the seed, the cluster's
//! nodes with their disks, the fault injector, and a supervisor that stops
//! when the job ends or the time budget runs out.

use super::disk::{DiskOptions, SimDisk};
use super::faults::{self, FaultCtx};
use super::link_rules::LinkRules;
use super::net::ip_of;
use super::rng::SeedTree;
use crate::bugs::Bug;
use crate::emit;
use crate::engine::graph::ExecutionGraph;
use crate::engine::services::log::LogData;
use crate::engine::services::storage::StorageOptions;
use crate::engine::worker::WorkerConfig;
use crate::engine::{jobmaster, services, worker};
use crate::run::swarm::Plan;
use crate::scenario::{Fault, Scenario};
use crate::trace::layer::with_recording;
use crate::trace::{Recorder, TraceEvent};
use madsim::runtime::{Handle, Runtime};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Slack past the liveness budget before madsim's own time limit trips.
const HARD_LIMIT_MARGIN: Duration = Duration::from_secs(600);

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// The coordinator declared the job finished.
    Finished,
    /// The coordinator gave up (restart strategy exhausted).
    Failed,
    /// The simulated-time budget ran out first.
    TimedOut,
    /// The wall-clock cap ran out first (the run was stopped from outside).
    WallClockCap,
}

/// Everything a run leaves behind for the oracles.
pub struct RunRecord {
    /// The faults the run was given: the scenario's, then those its swarm drew.
    pub faults: Vec<Fault>,
    /// The drawn plan destroys a checkpoint for good: the job must fail.
    pub expect_failure: bool,
    pub events: Vec<TraceEvent>,
    /// Every node's disk as the run left it.
    pub disks: BTreeMap<String, SimDisk>,
    pub end: RunEnd,
    /// Simulated time when the run stopped.
    pub sim_time: Duration,
    /// The simulated time budget: last fault + `finish_within`.
    pub deadline: Duration,
}

/// Runs `scenario` under `seed` on the calling thread (use a fresh thread
/// per seed: madsim's determinism needs it).
/// `stop` set from outside ends the run at once (the wall-clock cap).
pub fn run(scenario: Arc<Scenario>, seed: u64, bug: Option<Bug>, stop: Arc<AtomicBool>) -> RunRecord {
    let seeds = SeedTree::new(seed);
    let plan = plan_of(&scenario, seed);
    let n = &scenario.network;
    let mut config = madsim::Config::default();
    config.net.send_latency = n.latency_min..n.latency_max.max(n.latency_min + Duration::from_nanos(1));
    config.net.packet_loss_rate = n.loss;
    let recorder = Recorder::default();
    let disks = make_disks(&scenario, &seeds);
    // The runtime is made (and dropped) under the run's subscriber: madsim
    // creates spans for its nodes, and they must belong to it.
    let (end, sim_time, deadline) = with_recording(&recorder, || {
        let mut runtime = Runtime::with_seed_and_config(seed, config);
        runtime.add_simulator::<LinkRules>();
        runtime.add_simulator::<super::job_control::JobControl>();
        // A last resort against a run that outlives every budget (madsim then
        // panics, which the caller reports as an internal error).
        runtime.set_time_limit(faults_end(&plan.faults) + scenario.expect.finish_within * 2 + HARD_LIMIT_MARGIN);
        let run = Supervised {
            scenario: scenario.clone(),
            seeds,
            bug,
            disks: disks.clone(),
            recorder: recorder.clone(),
            stop,
        };
        runtime.block_on(run.supervise(plan.faults.clone()))
    });
    RunRecord {
        faults: plan.faults,
        expect_failure: plan.expect_failure,
        events: recorder.take(),
        disks,
        end,
        sim_time,
        deadline,
    }
}

/// When the last time-placed fault stops acting (its restart, resume or
/// heal); phase-placed ones extend this when they fire.
fn faults_end(faults: &[Fault]) -> Duration {
    faults.iter().filter_map(|f| f.at.map(|at| at + f.aftermath())).max().unwrap_or_default()
}

/// The run's faults: the scenario's own, then the ones its swarm draws for `seed`.
pub fn plan_of(scenario: &Scenario, seed: u64) -> Plan {
    let mut faults = scenario.faults.clone();
    let drawn = scenario.swarm.as_ref().map(|swarm| crate::run::swarm::draw(scenario, swarm, seed));
    let expect_failure = drawn.as_ref().is_some_and(|p| p.expect_failure);
    faults.extend(drawn.map(|p| p.faults).unwrap_or_default());
    Plan { faults, expect_failure }
}

fn node_names(scenario: &Scenario) -> Vec<String> {
    let mut names: Vec<String> = ["coordinator", "log", "storage", "sink"].map(String::from).into();
    names.extend((1..=scenario.cluster.workers).map(|k| format!("worker-{k}")));
    names
}

fn make_disks(scenario: &Scenario, seeds: &SeedTree) -> BTreeMap<String, SimDisk> {
    let d = &scenario.disk;
    let options = DiskOptions {
        fsync_latency_min: d.fsync_latency_min,
        fsync_latency_max: d.fsync_latency_max,
        torn_write_probability: d.torn_write_probability,
    };
    node_names(scenario)
        .into_iter()
        .map(|n| (n.clone(), SimDisk::new(options.clone(), seeds.stream(&format!("disk:{n}")))))
        .collect()
}

/// One run's world, inside its runtime.
struct Supervised {
    scenario: Arc<Scenario>,
    seeds: SeedTree,
    bug: Option<Bug>,
    disks: BTreeMap<String, SimDisk>,
    recorder: Recorder,
    stop: Arc<AtomicBool>,
}

impl Supervised {
    async fn supervise(self, faults: Vec<Fault>) -> (RunEnd, Duration, Duration) {
        let Supervised { scenario, seeds, bug, disks, recorder, stop } = self;
        LinkRules::current().seed(seeds.seed() ^ 0x6c69_6e6b);
        for (i, fault) in faults.iter().enumerate().skip(scenario.faults.len()) {
            emit!("world", "swarm_fault", fault = i, plan = inline_toml(fault));
        }
        let graph = Arc::new(ExecutionGraph::build(&scenario));
        start_nodes(&scenario, &graph, seeds, bug, &disks);
        let ctx =
            FaultCtx { network: scenario.network.clone(), disks: disks.clone(), recorder: recorder.clone(), seeds };
        let injectors = faults::spawn_all(&faults, &ctx);
        let faults_end = faults_end(&faults);
        let outcome = loop {
            madsim::time::sleep(Duration::from_millis(10)).await;
            let t = super::now();
            // Liveness budget: from the last fault's end (time- or phase-placed).
            let deadline = faults_end.max(recorder.faults_until()) + scenario.expect.finish_within;
            match recorder.job_ended().as_deref() {
                Some("job_finished") => break (RunEnd::Finished, t, deadline),
                Some(_) => break (RunEnd::Failed, t, deadline),
                None if t >= deadline => break (RunEnd::TimedOut, t, deadline),
                None if stop.load(Ordering::Relaxed) => break (RunEnd::WallClockCap, t, deadline),
                None => {}
            }
        };
        // Tear the cluster down inside the runtime: killed tasks are dropped when
        // the executor next runs, which frees their memory (tasks parked on each
        // other's channels would otherwise outlive the runtime).
        let handle = Handle::current();
        for name in node_names(&scenario) {
            handle.kill(name.as_str());
        }
        injectors.iter().for_each(|injector| injector.abort());
        recorder.drop_watches();
        madsim::time::sleep(Duration::from_millis(1)).await;
        outcome
    }
}

/// A fault as one inline TOML table, for the trace.
pub fn inline_toml(fault: &Fault) -> String {
    toml::Value::try_from(fault).map(|v| v.to_string()).unwrap_or_default()
}

fn start_nodes(
    scenario: &Arc<Scenario>,
    graph: &Arc<ExecutionGraph>,
    seeds: SeedTree,
    bug: Option<Bug>,
    disks: &BTreeMap<String, SimDisk>,
) {
    let handle = Handle::current();
    let node = |name: &str| handle.create_node().name(name).ip(ip_of(name));
    let env = Arc::new(jobmaster::CoordinatorEnv {
        scenario: scenario.clone(),
        graph: graph.clone(),
        disk: disks["coordinator"].clone(),
        seeds,
        bug,
    });
    let boots = Arc::new(AtomicU64::new(0));
    node("coordinator").init(move || jobmaster::run(env.clone(), boots.fetch_add(1, Ordering::Relaxed) + 1)).build();
    let (g, data) = (graph.clone(), LogData::new(seeds.seed()));
    node("log").init(move || services::log::run(g.clone(), data)).build();
    let d = disks["storage"].clone();
    let options =
        StorageOptions { replicas: scenario.storage.replicas, ignore_checksum: bug == Some(Bug::IgnoreChecksum) };
    node("storage").init(move || services::storage::run(d.clone(), options)).build();
    let d = disks["sink"].clone();
    let no_fencing = bug == Some(Bug::NoFencing);
    let options = services::sink::SinkOptions {
        no_fencing,
        recover_rejects_committed: bug == Some(Bug::RecoverRejectsCommitted),
        non_idempotent_commit: bug == Some(Bug::NonIdempotentCommit),
    };
    node("sink").init(move || services::sink::run(d.clone(), options)).build();
    for k in 1..=scenario.cluster.workers {
        let name = format!("worker-{k}");
        let config =
            Arc::new(WorkerConfig { name: name.clone(), cluster: scenario.cluster.clone(), graph: graph.clone(), bug });
        let boots = Arc::new(AtomicU64::new(0));
        node(&name).init(move || worker::run(config.clone(), boots.fetch_add(1, Ordering::Relaxed) + 1)).build();
    }
}
