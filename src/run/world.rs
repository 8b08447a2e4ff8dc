//! One run: a fresh thread and madsim runtime for the seed, the cluster's
//! nodes with their disks, the fault injector, and a supervisor that stops
//! when the job ends or the time budget runs out.

use super::budget::Halt;
use super::client::Client;
use super::faults::{self, context::FaultCtx};
use super::swarm::Plan;
use crate::bugs::Bug;
use crate::engine::cluster::{self, Boot};
use crate::engine::registry::Registry;
use crate::oracle::record::{RunEnd, RunRecord};
use crate::scenario::{Fault, Scenario};
use crate::sim::disk::{DiskOptions, SimDisk};
use crate::sim::link_rules::LinkRules;
use crate::sim::net::Addresses;
use crate::sim::rng::SeedTree;
use crate::sim::slow_tasks::SlowTasks;
use crate::trace::live::JobEnd;
use crate::trace::recorder::with_recording;
use crate::trace::{emit, Event, Recorder};
use madsim::runtime::{Handle, Runtime};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Slack past the liveness budget before madsim's own time limit trips.
const HARD_LIMIT_MARGIN: Duration = Duration::from_secs(600);

/// Runs `scenario` under `seed` on the calling thread (use a fresh thread
/// per seed: madsim's determinism needs it).
/// `stop` set from outside ends the run at once (the wall-clock cap).
pub fn run(
    scenario: Arc<Scenario>,
    registry: Arc<Registry>,
    seed: u64,
    bug: Option<Bug>,
    stop: Arc<Halt>,
) -> RunRecord {
    let seeds = SeedTree::new(seed);
    let plan = plan_of(&scenario, &registry, seed);
    let n = &scenario.network;
    let mut config = madsim::Config::default();
    config.net.send_latency = n.latency_min..n.latency_max.max(n.latency_min + Duration::from_nanos(1));
    config.net.packet_loss_rate = n.loss;
    let recorder = Recorder::default();
    let disks = make_disks(&scenario, &seeds);
    // Everything the run emits, from the runtime's start to its drop, is recorded.
    let (end, sim_time, deadline) = with_recording(&recorder, || {
        let mut runtime = Runtime::with_seed_and_config(seed, config);
        runtime.add_simulator::<LinkRules>();
        runtime.add_simulator::<Addresses>();
        runtime.add_simulator::<SlowTasks>();
        // A last resort against a run that outlives every budget (madsim then
        // panics, which the caller reports as an internal error).
        runtime.set_time_limit(faults_end(&plan.faults) + scenario.expect.finish_within * 2 + HARD_LIMIT_MARGIN);
        let run = Supervised {
            scenario: scenario.clone(),
            registry,
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
        memory_budget: 0,
    }
}

/// When the last time-placed fault stops acting (its restart, resume or
/// heal); phase-placed ones extend this when they fire.
fn faults_end(faults: &[Fault]) -> Duration {
    faults.iter().filter_map(|f| f.at.map(|at| at + f.aftermath())).max().unwrap_or_default()
}

/// The run's faults: the scenario's own, then the ones its swarm draws for `seed`.
pub fn plan_of(scenario: &Scenario, registry: &Registry, seed: u64) -> Plan {
    let mut faults = scenario.faults.clone();
    let drawn = scenario.swarm.as_ref().map(|swarm| super::swarm::draw(scenario, registry, swarm, seed));
    let expect_failure = drawn.as_ref().is_some_and(|p| p.expect_failure);
    faults.extend(drawn.map(|p| p.faults).unwrap_or_default());
    Plan { faults, expect_failure }
}

fn make_disks(scenario: &Scenario, seeds: &SeedTree) -> BTreeMap<String, SimDisk> {
    let d = &scenario.disk;
    let options = DiskOptions {
        fsync_latency_min: d.fsync_latency_min,
        fsync_latency_max: d.fsync_latency_max,
        torn_write_probability: d.torn_write_probability,
    };
    cluster::node_names(scenario.cluster.workers)
        .into_iter()
        .map(|n| (n.clone(), SimDisk::new(options.clone(), seeds.stream(&format!("disk:{n}")))))
        .collect()
}

/// One run's world, inside its runtime.
struct Supervised {
    scenario: Arc<Scenario>,
    registry: Arc<Registry>,
    seeds: SeedTree,
    bug: Option<Bug>,
    disks: BTreeMap<String, SimDisk>,
    recorder: Recorder,
    stop: Arc<Halt>,
}

impl Supervised {
    async fn supervise(self, faults: Vec<Fault>) -> (RunEnd, Duration, Duration) {
        let Supervised { scenario, registry, seeds, bug, disks, recorder, stop } = self;
        let _clock = crate::sim::hold_clock();
        LinkRules::current().seed(seeds.seed() ^ 0x6c69_6e6b);
        if scenario.swarm.as_ref().is_some_and(|w| w.max_concurrent.is_some()) {
            emit("world", Event::SwarmMaxConcurrent { max_concurrent: scenario.checkpoint.max_concurrent });
        }
        for (i, fault) in faults.iter().enumerate().skip(scenario.faults.len()) {
            emit("world", Event::SwarmFault { fault: i, plan: inline_toml(fault) });
        }
        let graph = Arc::new(crate::engine::job::graph(&scenario, &registry));
        cluster::boot(Boot {
            scenario: &scenario,
            graph: &graph,
            registry: &registry,
            seeds,
            bugs: crate::bugs::bugs_of(bug),
            disks: &disks,
        });
        let client = Client::default();
        let ctx = FaultCtx {
            network: scenario.network.clone(),
            disks: disks.clone(),
            recorder: recorder.clone(),
            seeds,
            client: client.clone(),
        };
        let injectors = faults::spawn_all(&faults, &ctx);
        let faults_end = faults_end(&faults);
        let outcome = loop {
            madsim::time::sleep(Duration::from_millis(10)).await;
            let t = crate::sim::now();
            // Liveness budget: from the last fault's end (time- or phase-placed).
            let deadline = faults_end.max(recorder.faults_until()) + scenario.expect.finish_within;
            match recorder.job_ended() {
                Some(JobEnd::Finished) => break (RunEnd::Finished, t, deadline),
                Some(JobEnd::Failed) => break (RunEnd::Failed, t, deadline),
                None if t >= deadline => break (RunEnd::TimedOut, t, deadline),
                None => {
                    if let Some(end) = stop.stopped() {
                        break (end, t, deadline);
                    }
                }
            }
        };
        // Tear the cluster down inside the runtime: killed tasks are dropped when
        // the executor next runs, which frees their memory (tasks parked on each
        // other's channels would otherwise outlive the runtime).
        let handle = Handle::current();
        for name in cluster::node_names(scenario.cluster.workers) {
            handle.kill(name.as_str());
        }
        if client.started() {
            handle.kill(cluster::CLIENT);
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
