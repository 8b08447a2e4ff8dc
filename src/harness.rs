//! Scenario files as tests of your own crate: every `*.toml` under a
//! directory (subfolders included) becomes one test that runs the scenario
//! over its seeds against your testbed — your protocols and sinks beside the
//! built-in ones — and fails on a violation, on a fault that never fired,
//! on a swarm that drew nothing that fired, or on a seed whose trace differs
//! when run again. A failure prints each failing seed's violations, the end
//! of its trace and the command that replays it in your crate.
//!
//! In `tests/scenarios.rs`, with `harness = false` for that test in your
//! `Cargo.toml`:
//!
//! ```no_run
//! use ckptsim::harness::Harness;
//! use ckptsim::run::testbed::Testbed;
//!
//! fn main() {
//!     let testbed = Testbed::new(); // .protocol("chandy_lamport", …).sink("kafka_txn", …)
//!     Harness::new(testbed).dir("scenarios").replay_with("cargo run --release --bin sim --").run()
//! }
//! ```
//!
//! Long scenarios (a soak of 100 M records) go in a directory given to
//! `soak`: their tests are ignored by a plain `cargo test` and run with
//! `cargo test -- --ignored`, each under a wall-clock cap of `SOAK_WALL_CAP`.
//!
//! `CKPTSIM_SEEDS=N` widens every scenario to seeds `0..N`; `CKPTSIM_SEED=S`
//! runs seed `S` only. A scenario with `[expect] violated = [...]` (a flawed
//! component that must stay caught) passes when each listed property fails in
//! some seed.

use crate::cli::render::lines::render_lines;
use crate::run::testbed::Testbed;
use crate::run::{run_many, run_seed, RunReport, RunSpec};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A directory of scenario files, run as tests against a testbed.
#[derive(Debug, Clone)]
pub struct Harness {
    testbed: Testbed,
    dirs: Vec<PathBuf>,
    soak: Vec<PathBuf>,
}

/// The wall-clock cap of one run of a soak scenario.
pub const SOAK_WALL_CAP: std::time::Duration = std::time::Duration::from_secs(30 * 60);

impl Harness {
    /// Tests against `testbed`; add directories with `dir`.
    pub fn new(testbed: Testbed) -> Harness {
        Harness { testbed, dirs: vec![], soak: vec![] }
    }

    /// Runs every scenario file under `dir` (relative to where `cargo test`
    /// runs: the crate's root), subfolders included.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Harness {
        self.dirs.push(dir.into());
        self
    }

    /// Runs every scenario file under `dir` only when ignored tests are
    /// asked for (`cargo test -- --ignored`): long runs, kept out of the
    /// default `cargo test` even where `dir` lies inside a `dir(…)`.
    pub fn soak(mut self, dir: impl Into<PathBuf>) -> Harness {
        self.soak.push(dir.into());
        self
    }

    /// Replay commands start with `command` (how your crate's binary is run,
    /// e.g. `cargo run --release --bin sim --`).
    pub fn replay_with(mut self, command: &str) -> Harness {
        self.testbed = self.testbed.command(command);
        self
    }

    /// One test per scenario file, named `scenario::PATH` (relative to its directory).
    pub fn trials(&self) -> Vec<Trial> {
        let soak: Vec<(PathBuf, PathBuf)> =
            self.soak.iter().flat_map(|d| scenario_files(d).into_iter().map(move |f| (d.clone(), f))).collect();
        let files = self.dirs.iter().flat_map(|d| scenario_files(d).into_iter().map(move |f| (d.clone(), f)));
        let quick = files.filter(|(_, f)| !soak.iter().any(|(_, s)| s == f)).map(|(d, f)| (d, f, false));
        let all: Vec<_> = quick.chain(soak.iter().cloned().map(|(d, f)| (d, f, true))).collect();
        all.into_iter()
            .map(|(dir, path, long)| {
                let testbed = self.testbed.clone();
                let short = path.strip_prefix(&dir).unwrap_or(&path).with_extension("");
                let name = format!("scenario::{}", short.display());
                let cap = if long { SOAK_WALL_CAP } else { crate::run::DEFAULT_WALL_CAP };
                Trial::test(name, move || check_with(&testbed, &path, cap).map_err(Failed::from))
                    .with_ignored_flag(long)
            })
            .collect()
    }

    /// Runs the tests with libtest's command line (filters, `--list`, …) and exits.
    pub fn run(self) -> ! {
        libtest_mimic::run(&Arguments::from_args(), self.trials()).exit()
    }
}

/// Every `*.toml` under `dir`, subfolders included, sorted
/// (`scenario::files`).
pub fn scenario_files(dir: &Path) -> Vec<PathBuf> {
    crate::scenario::files(dir)
}

/// Runs one scenario file over its seeds and judges it as a test.
pub fn check_scenario(testbed: &Testbed, path: &Path) -> Result<(), String> {
    check_with(testbed, path, crate::run::DEFAULT_WALL_CAP)
}

/// `check_scenario`, each run under `wall_cap`.
fn check_with(testbed: &Testbed, path: &Path, wall_cap: std::time::Duration) -> Result<(), String> {
    let scenario = testbed.load(path).map_err(|e| e.render())?;
    let spec =
        RunSpec { testbed: testbed.clone(), wall_cap, ..RunSpec::new(Arc::new(scenario), path.to_path_buf(), 0, None) };
    crate::run::budget::admit(&spec.scenario, spec.max_memory, 1)
        .map_err(|(field, message)| format!("{}: {field}: {message}", path.display()))?;
    let reports = run_seeds(&spec, seeds_from(spec.scenario.first_seed, spec.scenario.seeds));
    if spec.scenario.expect.violated.is_empty() {
        let failures: Vec<String> = reports.iter().filter(|r| !r.passed()).map(describe).collect();
        if !failures.is_empty() {
            return Err(format!("{} of {} seeds failed:{}", failures.len(), reports.len(), failures.concat()));
        }
    } else {
        still_caught(&spec, &reports)?;
    }
    faults_fired(&spec, &reports)?;
    deterministic(&spec, &reports)
}

/// `CKPTSIM_SEED=S` runs just S; `CKPTSIM_SEEDS=N` runs 0..N; else
/// `first..first+default` (a scenario's `first_seed` and `seeds`).
pub fn seeds_from(first: u64, default: u64) -> Vec<u64> {
    if let Some(s) = std::env::var("CKPTSIM_SEED").ok().and_then(|s| s.parse().ok()) {
        return vec![s];
    }
    match std::env::var("CKPTSIM_SEEDS").ok().and_then(|s| s.parse().ok()) {
        Some(n) => (0..n).collect(),
        None => (first..first + default).collect(),
    }
}

/// Runs the seeds on every core; reports sorted by seed.
pub fn run_seeds(spec: &RunSpec, seeds: Vec<u64>) -> Vec<RunReport> {
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut reports = vec![];
    run_many(spec, seeds, jobs, &mut |r| reports.push(r));
    reports.sort_by_key(|r| r.seed);
    reports
}

/// A failed run as a person needs it: violations, the trace's end, the replay command.
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
/// swarm drew at least one fault that fired; else why not (a test that
/// passes because nothing happened proves nothing).
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

/// With `[expect] violated`: each listed property fails in some seed (the
/// flaw stays caught), and no run ends in an internal error.
fn still_caught(spec: &RunSpec, reports: &[RunReport]) -> Result<(), String> {
    if let Some(r) = reports.iter().find(|r| r.verdict == "error") {
        return Err(format!("a run ended in an internal error:{}", describe(r)));
    }
    for property in &spec.scenario.expect.violated {
        if !reports.iter().any(|r| r.violations.iter().any(|v| &v.property == property)) {
            let seeds: Vec<u64> = reports.iter().map(|r| r.seed).collect();
            return Err(format!("`{property}` held in every seed {seeds:?}: the flaw is no longer caught"));
        }
    }
    Ok(())
}

/// The first seed, run again, gives the same trace.
fn deterministic(spec: &RunSpec, reports: &[RunReport]) -> Result<(), String> {
    let Some(first) = reports.first() else { return Ok(()) };
    let again = run_seed(&RunSpec { seed: first.seed, ..spec.clone() });
    if again.trace_hash == first.trace_hash {
        Ok(())
    } else {
        Err(format!(
            "seed {} is not deterministic: trace {} then {} (a component that reads the wall clock, a \
             thread or an unseeded random source?)",
            first.seed, first.trace_hash, again.trace_hash
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A soak directory inside a scenario directory: its files become
    /// ignored tests, listed once, and the others stay plain tests.
    #[test]
    fn soak_files_are_ignored_tests_listed_once() {
        let dir = std::env::temp_dir().join(format!("ckptsim-harness-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("soak")).expect("temp dir");
        std::fs::write(dir.join("quick.toml"), "").expect("write");
        std::fs::write(dir.join("soak/long.toml"), "").expect("write");
        let trials = Harness::new(Testbed::new()).dir(&dir).soak(dir.join("soak")).trials();
        let listed: Vec<(&str, bool)> = trials.iter().map(|t| (t.name(), t.has_ignored_flag())).collect();
        assert_eq!(listed, vec![("scenario::quick", false), ("scenario::long", true)]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
