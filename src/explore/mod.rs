//! `ckptsim explore`: every single-fault placement of a small job, each run
//! once — like stateright's exhaustive checking, but over where one fault
//! lands in a real engine's checkpoint protocol rather than over states.
//!
//! - `placement` — what a placement is and how they are enumerated
//!
//! A placement is a checkpoint (1..=bound) × a protocol phase × a task (for
//! phases that happen at a task) or nothing × a fault kind × a target. The
//! scenario's own faults, swarm and `[expect]` are set aside; each placement
//! is the one fault of its run, judged by the default expectations. Runs go to every core; results come back in placement
//! order, so the report is the same on any machine.

pub mod placement;

use crate::bugs::Bug;
use crate::run::{run_seed, RunReport, RunSpec};
use crate::scenario::{Expect, Scenario};
use placement::Placement;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub use crate::run::faults::kind::Windows;
pub use placement::parse_kind;

/// What to explore.
#[derive(Debug, Clone)]
pub struct ExploreOptions {
    /// The explore kinds to place (`crash`, `slow`, …; see `kinds`).
    pub kinds: Vec<String>,
    /// Checkpoints 1..=checkpoints.
    pub checkpoints: u64,
    pub seed: u64,
    pub bug: Option<Bug>,
    pub windows: Windows,
    /// Narrow link and isolate faults to these message classes.
    pub messages: Option<Vec<crate::scenario::MessageClass>>,
    pub jobs: usize,
    /// The components the scenario's names resolve to.
    pub testbed: crate::run::testbed::Testbed,
}

/// One placement's run.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub placement: Placement,
    /// The fault struck (its phase came and its target was there).
    pub fired: bool,
    /// Violated properties, each once, in the order the oracles found them.
    pub violated: Vec<String>,
    /// The first violation's evidence, for the report.
    pub evidence: Option<String>,
    pub replay: String,
}

/// Every placement of `scenario`'s job, run once each under `options.seed`.
pub fn explore(scenario: &Scenario, path: PathBuf, options: &ExploreOptions) -> Vec<Outcome> {
    let placements = placement::enumerate(scenario, options);
    let base = base_scenario(scenario);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; placements.len()]);
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = placements.get(i) else { return };
                let outcome = run_one(&base, &path, p, options);
                results.lock().expect("results")[i] = Some(outcome);
            });
        }
    });
    results.into_inner().expect("results").into_iter().flatten().collect()
}

/// The scenario without its own faults, swarm and expectations: its
/// `[expect]` is tuned to its own faults (a checkpoint count, a planned
/// failure), so a placement is judged by the defaults — the job finishes and
/// completes a checkpoint — under the file's output guarantee.
fn base_scenario(scenario: &Scenario) -> Scenario {
    let mut s = scenario.clone();
    s.faults.clear();
    s.swarm = None;
    s.expect = Expect { guarantee: scenario.expect.guarantee, ..Expect::default() };
    s
}

fn run_one(base: &Scenario, path: &std::path::Path, p: &Placement, options: &ExploreOptions) -> Outcome {
    let mut s = base.clone();
    s.faults.push(p.fault.clone());
    let spec = RunSpec {
        testbed: options.testbed.clone(),
        ..RunSpec::new(Arc::new(s), path.to_path_buf(), options.seed, options.bug)
    };
    let report = run_seed(&spec);
    outcome(p, &report, path, options)
}

fn outcome(p: &Placement, report: &RunReport, path: &std::path::Path, options: &ExploreOptions) -> Outcome {
    let mut violated: Vec<String> = vec![];
    for v in &report.violations {
        if !violated.contains(&v.property) {
            violated.push(v.property.clone());
        }
    }
    Outcome {
        placement: p.clone(),
        fired: report.faults.first().is_some_and(|f| f.not_fired.is_none()),
        violated,
        evidence: report.violations.first().map(|v| v.detail.clone()),
        replay: replay(path, p, options),
    }
}

/// `ckptsim run FILE --seed S [--bug B] --fault '{ … }' --trace`, as the testbed's command line starts.
fn replay(path: &std::path::Path, p: &Placement, options: &ExploreOptions) -> String {
    let bug = options.bug.map(|b| format!(" --bug {b}")).unwrap_or_default();
    format!(
        "{} run {} --seed {}{bug} --fault '{}' --trace",
        options.testbed.invoked_as(),
        path.display(),
        options.seed,
        placement::inline(&p.fault)
    )
}
