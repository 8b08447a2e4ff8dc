//! One seeded run end to end: world → record → oracles → `RunReport`, each
//! seed on a fresh thread under a wall-clock cap, and the one command that
//! replays it.
//!
//! - `world`   — one seed's cluster on a fresh madsim runtime, supervised to the end
//! - `faults`  — the fault injector that carries out a scenario's faults
//! - `client`  — the job's client node: rescale requests to the coordinator
//! - `swarm`   — the faults a `[swarm]` draws per seed
//! - `testbed` — the registered kinds, and loading scenario files against them
//! - `outcome` — which faults fired, and why the others did not
//! - `coverage` — the whole coverage catalogue: the engine's paths and the fault kinds'

pub mod budget;
pub(crate) mod client;
pub mod coverage;
pub mod faults;
pub mod outcome;
pub(crate) mod swarm;
pub mod testbed;
pub(crate) mod world;

use crate::bugs::Bug;
use crate::engine::registry::Registry;
use crate::engine::services::log::LogData;
use crate::oracle::evidence::Evidence;
use crate::oracle::record::RunEnd;
use crate::oracle::{properties, reference, Violation};
use crate::scenario::{Fault, Scenario};
use crate::trace::hash::trace_hash;
use crate::trace::timings::Timings;
use crate::trace::{Event, TraceEvent};
use budget::Halt;
use outcome::FaultOutcome;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;
use testbed::Testbed;

/// The default wall-clock cap of one run: a last resort against a run that
/// makes simulated time crawl (its verdict says so).
pub const DEFAULT_WALL_CAP: Duration = Duration::from_secs(120);

/// What to run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The validated scenario.
    pub scenario: Arc<Scenario>,
    /// The scenario file, for the replay command.
    pub path: PathBuf,
    /// The seed: it decides everything else.
    pub seed: u64,
    /// `--bug`, overriding the scenario's `bug`.
    pub bug: Option<Bug>,
    /// Wall-clock time a run may take before it is stopped.
    pub wall_cap: Duration,
    /// Resident memory the process may hold before a run is stopped, in
    /// bytes (`budget`).
    pub max_memory: u64,
    /// The components the scenario's names resolve to.
    pub testbed: Testbed,
}

impl RunSpec {
    /// A run of `scenario` on the built-in components.
    pub fn new(scenario: Arc<Scenario>, path: PathBuf, seed: u64, bug: Option<Bug>) -> RunSpec {
        RunSpec {
            scenario,
            path,
            seed,
            bug,
            wall_cap: DEFAULT_WALL_CAP,
            max_memory: budget::default_memory(),
            testbed: Testbed::new(),
        }
    }
}

/// The verdict of one seeded run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    /// The scenario's `name`.
    pub scenario: String,
    /// The seed it ran under.
    pub seed: u64,
    /// `pass`, `fail` (a property was violated) or `error` (internal error).
    pub verdict: String,
    /// Every property that did not hold, with evidence (empty on a pass).
    pub violations: Vec<Violation>,
    /// Hex XXH64 of the canonical trace.
    pub trace_hash: String,
    /// Simulated time the run took, in milliseconds.
    pub sim_time_ms: u64,
    /// Trace events recorded.
    pub events: usize,
    /// Checkpoints that completed.
    pub checkpoints_completed: usize,
    /// Failovers (and rescales) the job went through.
    pub recoveries: usize,
    /// The planted bug switched on, if any.
    pub bug: Option<String>,
    /// How the job ended: finished, failed, timed_out, wall_clock_cap.
    pub end: String,
    /// Why the job failed, when its restart strategy gave up.
    pub failure: Option<String>,
    /// Every fault of the run (drawn ones included) and whether it fired.
    pub faults: Vec<FaultOutcome>,
    /// The catalogued protocol paths the run took.
    pub coverage: Vec<String>,
    /// The command that runs this seed again, with its trace.
    pub replay: String,
    /// The faults `[swarm]` drew for this seed (empty without a swarm).
    pub drawn: Vec<Fault>,
    /// The `[checkpoint] max_concurrent` `[swarm]` drew for this seed, if it draws one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drawn_max_concurrent: Option<usize>,
    /// How long its checkpoints and alignments took.
    #[serde(default)]
    pub timings: Timings,
    /// The whole trace (not in the JSON report).
    #[serde(skip)]
    pub trace: Vec<TraceEvent>,
}

impl RunReport {
    /// Whether every property held.
    pub fn passed(&self) -> bool {
        self.verdict == "pass"
    }
}

/// The command that reproduces a run, starting as `testbed`'s command line does.
pub fn replay_command(testbed: &Testbed, path: &Path, seed: u64, bug: Option<Bug>) -> String {
    let bug = bug.map(|b| format!(" --bug {b}")).unwrap_or_default();
    format!("{} run {} --seed {seed}{bug} --trace", testbed.invoked_as(), path.display())
}

/// How often the thread watching a run looks at the clock and the memory.
const WATCH_EVERY: Duration = Duration::from_millis(20);

/// Watches a run until it is done: stops it at the wall-clock cap or once
/// the process holds more than the memory budget, and abandons judging
/// `JUDGING_GRACE` after that (at once if memory is still over the budget).
fn watch(spec: &RunSpec, done: &mpsc::Receiver<()>, stop: &Halt, abandon: &AtomicBool) {
    let started = std::time::Instant::now();
    let mut stopped_at: Option<std::time::Instant> = None;
    loop {
        // Up to the next look, or the cap (or the grace's end) if sooner.
        let until = match stopped_at {
            None => spec.wall_cap.saturating_sub(started.elapsed()),
            Some(at) => JUDGING_GRACE.saturating_sub(at.elapsed()),
        };
        if done.recv_timeout(until.min(WATCH_EVERY)) != Err(mpsc::RecvTimeoutError::Timeout) {
            return;
        }
        let over_memory = budget::resident().is_some_and(|held| held > spec.max_memory);
        match stopped_at {
            None if over_memory || started.elapsed() >= spec.wall_cap => {
                stop.stop(if over_memory { RunEnd::MemoryBudget } else { RunEnd::WallClockCap });
                stopped_at = Some(std::time::Instant::now());
            }
            Some(at) if over_memory || at.elapsed() >= JUDGING_GRACE => {
                abandon.store(true, Ordering::Relaxed);
                let _ = done.recv();
                return;
            }
            _ => {}
        }
    }
}

/// How long judging may go on once the wall-clock cap stopped the
/// simulation; past it the oracles still to run are left unjudged and the
/// verdict says so, so a capped run ends about this long after its cap.
const JUDGING_GRACE: Duration = Duration::from_secs(1);

/// Runs one seed on a fresh thread; an engine panic becomes an `error`
/// verdict, and a run past the wall-clock cap is stopped (`wall_clock_cap`):
/// the simulation at the cap, judging `JUDGING_GRACE` later.
pub fn run_seed(spec: &RunSpec) -> RunReport {
    let bug = spec.bug.or_else(|| spec.scenario.bug.as_deref().and_then(|b| b.parse().ok()));
    let (scenario, seed, registry) = (spec.scenario.clone(), spec.seed, spec.testbed.registry().clone());
    let (stop, abandon) = (Arc::new(Halt::default()), Arc::new(AtomicBool::new(false)));
    let (done_tx, done_rx) = mpsc::channel();
    let (flag, judging, max_memory) = (stop.clone(), abandon.clone(), spec.max_memory);
    let thread = std::thread::Builder::new()
        .name(format!("seed-{seed}"))
        .spawn(move || {
            let report = judge(&scenario, &registry, seed, bug, &flag, &judging, max_memory);
            let _ = done_tx.send(());
            report
        })
        .expect("spawn run thread");
    watch(spec, &done_rx, &stop, &abandon);
    let outcome = thread.join();
    let replay = replay_command(&spec.testbed, &spec.path, seed, bug);
    match outcome {
        Ok(mut report) => {
            report.replay = replay;
            report
        }
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            RunReport {
                scenario: spec.scenario.name.clone(),
                seed,
                verdict: "error".into(),
                violations: vec![Violation::new("internal_error", format!("the simulation panicked: {msg}"))],
                trace_hash: String::new(),
                sim_time_ms: 0,
                events: 0,
                checkpoints_completed: 0,
                recoveries: 0,
                bug: bug.map(|b| b.to_string()),
                end: "panicked".into(),
                failure: None,
                faults: vec![],
                coverage: vec![],
                replay,
                drawn: vec![],
                drawn_max_concurrent: None,
                timings: Timings::default(),
                trace: vec![],
            }
        }
    }
}

fn judge(
    scenario: &Arc<Scenario>,
    registry: &Arc<Registry>,
    seed: u64,
    bug: Option<Bug>,
    stop: &Arc<Halt>,
    abandon: &AtomicBool,
    max_memory: u64,
) -> RunReport {
    let registry = &match bug.map(|b| b.mutate(registry)) {
        Some(Ok(mutated)) => mutated,
        Some(Err(e)) => panic!("planted bug {}: {e}", bug.map_or("", |b| b.name())),
        None => registry.clone(),
    };
    // What the swarm draws for the seed besides faults; the run and its judges see the drawn file.
    let configured = swarm::configure(scenario, seed);
    let drawn_max_concurrent = configured.as_ref().map(|s| s.checkpoint.max_concurrent);
    let scenario = &configured.map_or_else(|| scenario.clone(), Arc::new);
    let mut record = world::run(scenario.clone(), registry.clone(), seed, bug, stop.clone());
    record.memory_budget = max_memory;
    let graph = crate::engine::job::graph(scenario, registry);
    let evidence = Evidence::gather(&record, scenario.storage.replicas);
    // One reference pass, stopping at every checkpoint's cut on its way.
    let cuts = properties::consistent_cut::cuts(&graph, &evidence);
    let judgement = match reference::compute_until(&graph, LogData::new(seed), &cuts, abandon) {
        Some(mut reference) => {
            reference::forget_unordered_finals(&mut reference, scenario, registry, &record.events);
            properties::check_all(scenario, registry, &graph, LogData::new(seed), &reference, &evidence, abandon)
        }
        None => properties::Judgement { unjudged: properties::names().collect(), ..Default::default() },
    };
    let mut violations = judgement.violations;
    if !judgement.unjudged.is_empty() {
        let budget = match stop.stopped() {
            Some(RunEnd::MemoryBudget) => {
                format!("its memory budget ({} resident, --max-memory)", budget::show(max_memory))
            }
            _ => "its wall-clock cap".to_string(),
        };
        let message =
            format!("the run passed {budget} and judging stopped: not judged: {}", judgement.unjudged.join(", "));
        violations.push(Violation::new("liveness", message));
    }
    let recoveries = record.events.iter().filter(|e| e.event.begins_recovery()).count();
    RunReport {
        scenario: scenario.name.clone(),
        seed,
        verdict: if violations.is_empty() { "pass" } else { "fail" }.into(),
        violations,
        trace_hash: format!("{:016x}", trace_hash(&record.events)),
        sim_time_ms: record.sim_time.as_millis() as u64,
        events: record.events.len(),
        checkpoints_completed: evidence.completed.len(),
        recoveries,
        bug: bug.map(|b| b.to_string()),
        end: crate::scenario::names::name_of(&record.end),
        failure: record.events.iter().rev().find_map(|e| match &e.event {
            Event::JobFailed { reason, .. } => Some(reason.clone()),
            _ => None,
        }),
        faults: outcome::outcomes(&record.faults, scenario.faults.len(), &record.events, record.sim_time),
        coverage: coverage::paths_taken(&record.events, &judgement.observed).into_iter().map(String::from).collect(),
        replay: String::new(),
        drawn: record.faults[scenario.faults.len()..].to_vec(),
        drawn_max_concurrent,
        timings: Timings::of(&record.events, |op| {
            graph.ops.iter().any(|o| o.id == op && o.kind == crate::scenario::OperatorKind::Source)
        }),
        trace: record.events,
    }
}

/// Runs `seeds` on `jobs` threads, each seed on its own fresh thread;
/// `on_report` sees reports in completion order.
pub fn run_many(spec: &RunSpec, seeds: Vec<u64>, jobs: usize, on_report: &mut dyn FnMut(RunReport)) {
    run_many_while(spec, seeds, jobs, &mut |report| {
        on_report(report);
        true
    });
}

/// Like `run_many`, but once `on_report` answers `false` no further seed
/// starts; the runs already under way finish and are reported. Seeds start
/// in order, so every seed below a reported one has been reported too.
pub fn run_many_while(spec: &RunSpec, seeds: Vec<u64>, jobs: usize, on_report: &mut dyn FnMut(RunReport) -> bool) {
    let seeds = Arc::new(seeds);
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let workers: Vec<_> = (0..jobs)
        .map(|_| {
            let (seeds, next, stop, tx, spec) = (seeds.clone(), next.clone(), stop.clone(), tx.clone(), spec.clone());
            std::thread::spawn(move || loop {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(&seed) = seeds.get(i) else { return };
                let report = run_seed(&RunSpec { seed, ..spec.clone() });
                if tx.send(report).is_err() {
                    return;
                }
            })
        })
        .collect();
    drop(tx);
    for report in rx {
        if !on_report(report) {
            stop.store(true, Ordering::Relaxed);
        }
    }
    workers.into_iter().for_each(|w| w.join().expect("sweep worker"));
}
