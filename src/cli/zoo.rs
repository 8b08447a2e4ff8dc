//! `ckptsim zoo`: the bug zoo as a scoreboard. Every planted bug runs against
//! the stock scenario that should catch it, in several independent windows
//! of seeds; the scoreboard shows how many seeds each window needed before
//! the guarding property failed (median and worst), how long that took, and
//! that the correct engine passes every seed of every window of that
//! scenario.

use super::{jobs, EXIT_BAD_INPUT, EXIT_PASS, EXIT_VIOLATION};
use crate::bugs::Bug;
use crate::run::{run_many, RunReport, RunSpec};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct ZooOptions {
    /// Seeds a window may use before the bug counts as escaped.
    pub seeds: u64,
    /// Independent windows per bug: window k runs seeds k·seeds, k·seeds+1, …
    pub windows: u64,
    pub jobs: Option<usize>,
}

/// What one bug's windows showed.
struct Score {
    /// Seeds needed per window that caught it.
    needed: Vec<u64>,
    wall: Vec<Duration>,
    escaped: u64,
}

/// The correct engine over every window's seeds of one scenario.
#[derive(Clone)]
struct Clean {
    runs: u64,
    failed: Vec<u64>,
}

pub fn zoo(options: &ZooOptions) -> i32 {
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; run `cargo run --release -- zoo` for real figures");
    }
    let jobs = jobs(options.jobs);
    println!(
        "bug zoo: {} planted bugs, {} windows of up to {} seeds each, {jobs} threads",
        crate::bugs::ZOO.len(),
        options.windows,
        options.seeds
    );
    println!();
    println!("| bug | models | caught in | by | seeds to detect (median / worst) | time to detect (median) | correct engine |");
    println!("|---|---|---|---|---|---|---|");
    let (mut escaped, mut unclean, mut clean_total) = (0, 0, 0);
    let started = Instant::now();
    let mut cleans: std::collections::BTreeMap<&str, Clean> = Default::default();
    for bug in Bug::all() {
        let catch = bug.catches()[0];
        let spec = match crate::run::testbed::load(Path::new(catch.scenario)) {
            Ok(s) => RunSpec::new(Arc::new(s), catch.scenario.into(), 0, None),
            Err(e) => {
                eprintln!("error: {e} (run `ckptsim zoo` from the repository root)");
                return EXIT_BAD_INPUT;
            }
        };
        let score = score(&spec, bug, catch.property, options, jobs);
        escaped += score.escaped;
        let clean = match cleans.get(catch.scenario) {
            Some(clean) => clean.clone(),
            None => {
                let mut clean = Clean { runs: 0, failed: vec![] };
                for r in collect(&spec, (0..options.windows * options.seeds).collect(), jobs) {
                    clean.runs += 1;
                    if !r.passed() {
                        clean.failed.push(r.seed);
                    }
                }
                clean.failed.sort_unstable();
                unclean += clean.failed.len();
                clean_total += clean.runs;
                cleans.insert(catch.scenario, clean.clone());
                clean
            }
        };
        let name = catch.scenario.trim_start_matches("scenarios/").trim_end_matches(".toml");
        let detect = if score.needed.is_empty() {
            format!("escaped all {} windows", options.windows)
        } else {
            let (median, worst) = (median(&score.needed), score.needed.iter().max().copied().unwrap_or(0));
            let miss = if score.escaped > 0 { format!(", escaped {}", score.escaped) } else { String::new() };
            format!("{median} / {worst}{miss}")
        };
        let wall = median_duration(&score.wall).map_or("-".into(), |d| format!("{:.0} ms", d.as_secs_f64() * 1e3));
        let clean = if clean.failed.is_empty() {
            format!("{} seeds clean", clean.runs)
        } else {
            format!("FAILS seeds {:?}", clean.failed)
        };
        println!("| `{bug}` | {} | `{name}` | `{}` | {detect} | {wall} | {clean} |", bug.incident(), catch.property);
    }
    println!();
    println!(
        "{} bugs, {escaped} windows escaped; correct engine: {clean_total} seeds of {} scenarios, {unclean} failed; {:.1}s",
        crate::bugs::ZOO.len(),
        cleans.len(),
        started.elapsed().as_secs_f64()
    );
    if escaped > 0 || unclean > 0 {
        EXIT_VIOLATION
    } else {
        EXIT_PASS
    }
}

/// Runs each window until the property fails.
fn score(spec: &RunSpec, bug: Bug, property: &str, options: &ZooOptions, jobs: usize) -> Score {
    let mut score = Score { needed: vec![], wall: vec![], escaped: 0 };
    let buggy = RunSpec { bug: Some(bug), ..spec.clone() };
    for window in 0..options.windows {
        let start = window * options.seeds;
        let t0 = Instant::now();
        let mut found = None;
        // In batches of a few seeds per thread, stopping at the first batch with a hit.
        for batch in (start..start + options.seeds).collect::<Vec<_>>().chunks(jobs * 2) {
            let reports = collect(&buggy, batch.to_vec(), jobs);
            let hit =
                reports.iter().filter(|r| r.violations.iter().any(|v| v.property == property)).map(|r| r.seed).min();
            if let Some(seed) = hit {
                found = Some(seed);
                break;
            }
        }
        match found {
            Some(seed) => {
                score.needed.push(seed - start + 1);
                score.wall.push(t0.elapsed());
            }
            None => score.escaped += 1,
        }
    }
    score
}

fn collect(spec: &RunSpec, seeds: Vec<u64>, jobs: usize) -> Vec<RunReport> {
    let mut reports = vec![];
    run_many(spec, seeds, jobs, &mut |r| reports.push(r));
    reports
}

fn median(xs: &[u64]) -> u64 {
    let mut xs = xs.to_vec();
    xs.sort_unstable();
    xs[xs.len() / 2]
}

fn median_duration(xs: &[Duration]) -> Option<Duration> {
    let mut xs = xs.to_vec();
    xs.sort_unstable();
    xs.get(xs.len() / 2).copied()
}
