//! Shared by the sim-test binaries: finding scenario files, choosing seeds
//! (`CKPTSIM_SEED`, `CKPTSIM_SEEDS`), running them in parallel, and printing
//! a failure the way a person needs it: violations, trace tail, replay command;
//! `binary`: running the `ckptsim` binary and scratch files.
#![allow(dead_code)]

pub mod binary;

use ckptsim::cli::render::lines::render_lines;
use ckptsim::run::{run_many, RunReport, RunSpec};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Every `scenarios/*.toml` and `scenarios/regressions/*.toml`, sorted.
pub fn scenario_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![];
    for dir in ["scenarios", "scenarios/regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().is_some_and(|x| x == "toml") {
                files.push(path.strip_prefix(root).map(Path::to_path_buf).unwrap_or(path));
            }
        }
    }
    files.sort();
    files
}

/// Loads a scenario, relative to the crate root.
pub fn spec(path: &Path) -> RunSpec {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let scenario = ckptsim::run::testbed::load(&full).unwrap_or_else(|e| panic!("{e}"));
    RunSpec::new(Arc::new(scenario), path.to_path_buf(), 0, None)
}

/// `CKPTSIM_SEED=S` runs just S; `CKPTSIM_SEEDS=N` runs 0..N; else
/// first..first+default (a scenario's `first_seed` and `seeds`).
pub fn seeds_from(first: u64, default: u64) -> Vec<u64> {
    if std::env::var("CKPTSIM_SEED").is_err() && std::env::var("CKPTSIM_SEEDS").is_err() {
        return (first..first + default).collect();
    }
    seeds(default)
}

/// `CKPTSIM_SEED=S` runs just S; `CKPTSIM_SEEDS=N` runs 0..N; else 0..default.
pub fn seeds(default: u64) -> Vec<u64> {
    if let Some(s) = std::env::var("CKPTSIM_SEED").ok().and_then(|s| s.parse().ok()) {
        return vec![s];
    }
    let n = std::env::var("CKPTSIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(default);
    (0..n).collect()
}

/// Runs the seeds on every core; reports sorted by seed.
pub fn run_seeds(spec: &RunSpec, seeds: Vec<u64>) -> Vec<RunReport> {
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut reports = vec![];
    run_many(spec, seeds, jobs, &mut |r| reports.push(r));
    reports.sort_by_key(|r| r.seed);
    reports
}

/// A failed run, for a test's panic message.
pub fn describe(r: &RunReport) -> String {
    let mut s = format!("\n=== {} seed {} FAILED ({}) ===\n", r.scenario, r.seed, r.end);
    for v in &r.violations {
        s += &format!("  ✗ {}: {}\n", v.property, v.detail);
    }
    let tail = &r.trace[r.trace.len().saturating_sub(10)..];
    s += &format!("  last {} trace events:\n{}", tail.len(), render_lines(tail));
    s += &format!("  replay: {}\n", r.replay);
    s
}

/// Every fault of the scenario fired in at least one of `reports`, and a
/// swarm drew at least one fault that fired; else why not.
pub fn faults_fired(spec: &RunSpec, reports: &[RunReport]) -> Result<(), String> {
    let mut problems = vec![];
    for i in 0..spec.scenario.faults.len() {
        let outcomes: Vec<_> = reports.iter().filter_map(|r| r.faults.get(i)).collect();
        if outcomes.iter().all(|f| f.not_fired.is_some()) {
            let (label, why) = outcomes
                .first()
                .map(|f| (f.label.clone(), f.not_fired.clone().unwrap_or_default()))
                .unwrap_or_default();
            problems.push(format!("faults[{i}] ({label}) fired in none of {} seeds; e.g. {why}", reports.len()));
        }
    }
    let drawn_fired = reports.iter().flat_map(|r| &r.faults).any(|f| f.drawn && f.not_fired.is_none());
    if spec.scenario.swarm.is_some() && !drawn_fired {
        problems.push(format!("[swarm] drew no fault that fired in {} seeds", reports.len()));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("vacuous: {}", problems.join("; ")))
    }
}
