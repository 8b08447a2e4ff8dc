//! `ckptsim shrink`: from a failing seed to the smallest scenario that still
//! fails the same property — delta debugging over a scenario file.
//!
//! - `steps`  — the candidate simplifications, smallest effect first
//! - `output` — sizes, and the regression file written at the end
//!
//! The run is first made concrete: the faults a `[swarm]` drew become
//! `[[faults]]`, a phase-placed fault is pinned to the checkpoint and task it
//! struck at, and faults that never fired are dropped. Then, greedily, each
//! step proposes simpler scenarios and the first that still fails the target
//! property under the current seed, violating nothing the original run did
//! not, is kept (a candidate that breaks another property, say cuts records
//! until too few checkpoints complete, fails for a reason of its own). A step that changes the data or
//! the shape of the job (records, keys, partitions, parallelism, workers,
//! operators) shifts every random draw after it, so when it does not fail
//! under the current seed, seeds `0..seed_search` are tried too and the
//! lowest failing one is kept with it. It stops when no step helps or the
//! time budget is spent.

pub mod output;
pub mod steps;

use crate::bugs::Bug;
use crate::run::{run_many_while, run_seed, RunReport, RunSpec};
use crate::scenario::{validate, Scenario};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use output::Size;
pub use steps::Candidate;

/// What to shrink and how hard to try.
#[derive(Debug, Clone)]
pub struct ShrinkOptions {
    pub seed: u64,
    pub bug: Option<Bug>,
    /// The property that must keep failing; default: the run's first violation.
    pub property: Option<String>,
    /// Wall-clock time the whole shrink may take.
    pub budget: Duration,
    /// Seeds tried (`0..seed_search`) when a step shifts the random draws.
    pub seed_search: u64,
    /// Parallel runs during a seed search.
    pub jobs: usize,
    /// The components the scenario's names resolve to.
    pub testbed: crate::run::testbed::Testbed,
}

/// A shrink that could not start.
#[derive(Debug, thiserror::Error)]
pub enum ShrinkError {
    #[error("seed {seed} passes{bug}: there is no failure to shrink")]
    Passes { seed: u64, bug: String },
    #[error("seed {seed} does not violate `{property}` (it violates: {violated})")]
    OtherProperty { seed: u64, property: String, violated: String },
}

/// The smallest failing scenario found.
#[derive(Debug, Clone)]
pub struct Shrunk {
    pub scenario: Scenario,
    pub seed: u64,
    pub property: String,
    pub before: Size,
    pub after: Size,
    /// The simplifications kept, in order.
    pub kept: Vec<String>,
    /// Runs made, and whether the budget ran out.
    pub runs: u64,
    pub out_of_time: bool,
}

/// Where the shrink stands: the current failing scenario and seed.
struct Search {
    options: ShrinkOptions,
    property: String,
    /// Every property the original run violated: a candidate that violates
    /// another (cutting records until too few checkpoints complete, say)
    /// fails for a reason shrinking made, and is not kept.
    allowed: BTreeSet<String>,
    path: PathBuf,
    started: Instant,
    runs: u64,
}

pub fn shrink(scenario: &Scenario, path: PathBuf, options: ShrinkOptions) -> Result<Shrunk, ShrinkError> {
    let first = run(&options.testbed, scenario, &path, options.seed, options.bug);
    let property = target_property(&first, &options)?;
    let allowed = first.violations.iter().map(|v| v.property.clone()).collect();
    let mut search = Search { options, property, allowed, path, started: Instant::now(), runs: 1 };
    let before = Size::of(scenario, &first);
    let (mut current, mut seed) = (scenario.clone(), search.options.seed);
    let mut kept = vec![];
    if let Some(concrete) = steps::concrete(scenario, &first) {
        if let Some(s) = search.failing_seed(&concrete, search.options.seed) {
            (current, seed) = (concrete.scenario, s);
            kept.push(concrete.what);
        }
    }
    while let Some(step) = search.next_step(&current, seed) {
        (current, seed) = (step.0.scenario, step.1);
        note(&mut kept, step.0.what);
    }
    let last = run(&search.options.testbed, &current, &search.path, seed, search.options.bug);
    let out_of_time = search.out_of_time();
    Ok(Shrunk {
        after: Size::of(&current, &last),
        scenario: current,
        seed,
        property: search.property,
        before,
        kept,
        runs: search.runs + 1,
        out_of_time,
    })
}

/// Adds a kept step; a step on the same field as the last one replaces it
/// (`records = 5000` after `records = 10000`).
fn note(kept: &mut Vec<String>, what: String) {
    let field = |w: &str| w.split_once(" = ").map(|(f, _)| f.to_string());
    if field(&what).is_some() && kept.last().is_some_and(|last| field(last) == field(&what)) {
        kept.pop();
    }
    kept.push(what);
}

fn run(
    testbed: &crate::run::testbed::Testbed,
    scenario: &Scenario,
    path: &std::path::Path,
    seed: u64,
    bug: Option<Bug>,
) -> RunReport {
    run_seed(&RunSpec {
        testbed: testbed.clone(),
        ..RunSpec::new(Arc::new(scenario.clone()), path.to_path_buf(), seed, bug)
    })
}

fn target_property(first: &RunReport, options: &ShrinkOptions) -> Result<String, ShrinkError> {
    let Some(v) = first.violations.first() else {
        let bug = options.bug.map(|b| format!(" with --bug {b}")).unwrap_or_default();
        return Err(ShrinkError::Passes { seed: options.seed, bug });
    };
    match &options.property {
        None => Ok(v.property.clone()),
        Some(p) if first.violations.iter().any(|v| &v.property == p) => Ok(p.clone()),
        Some(p) => Err(ShrinkError::OtherProperty {
            seed: options.seed,
            property: p.clone(),
            violated: first.violations.iter().map(|v| v.property.as_str()).collect::<Vec<_>>().join(", "),
        }),
    }
}

impl Search {
    fn out_of_time(&self) -> bool {
        self.started.elapsed() >= self.options.budget
    }

    /// The first candidate of any step that still fails, with its seed.
    fn next_step(&mut self, current: &Scenario, seed: u64) -> Option<(Candidate, u64)> {
        for candidate in steps::all(current) {
            if self.out_of_time() {
                return None;
            }
            if validate::validate(&candidate.scenario, &self.options.testbed).is_err() {
                continue;
            }
            if let Some(s) = self.failing_seed(&candidate, seed) {
                return Some((candidate, s));
            }
        }
        None
    }

    /// The seed under which `candidate` fails the property: `seed`, else,
    /// for a candidate that shifts the random draws, the seed search's.
    fn failing_seed(&mut self, candidate: &Candidate, seed: u64) -> Option<u64> {
        if self.fails(&candidate.scenario, seed) {
            return Some(seed);
        }
        candidate.reseeds.then(|| self.seed_search(&candidate.scenario, seed)).flatten()
    }

    fn fails(&mut self, scenario: &Scenario, seed: u64) -> bool {
        self.runs += 1;
        let report = run(&self.options.testbed, scenario, &self.path, seed, self.options.bug);
        fails_alike(&report, &self.property, &self.allowed)
    }

    /// The lowest seed of `0..seed_search` (other than `tried`) that fails.
    fn seed_search(&mut self, scenario: &Scenario, tried: u64) -> Option<u64> {
        let seeds: Vec<u64> = (0..self.options.seed_search).filter(|s| *s != tried).collect();
        self.runs += seeds.len() as u64;
        let spec = RunSpec {
            testbed: self.options.testbed.clone(),
            ..RunSpec::new(Arc::new(scenario.clone()), self.path.clone(), 0, self.options.bug)
        };
        let mut failing = vec![];
        let (property, allowed) = (&self.property, &self.allowed);
        run_many_while(&spec, seeds, self.options.jobs, &mut |report| {
            let hit = fails_alike(&report, property, allowed);
            if hit {
                failing.push(report.seed);
            }
            !hit
        });
        failing.into_iter().min()
    }
}

/// It violates `property`, and nothing the original run did not (`allowed`).
fn fails_alike(report: &RunReport, property: &str, allowed: &BTreeSet<String>) -> bool {
    report.violations.iter().any(|v| v.property == property)
        && report.violations.iter().all(|v| allowed.contains(&v.property))
}
