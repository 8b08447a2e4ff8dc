//! The bug zoo: each planted bug is caught within 64 seeds of a stock
//! scenario, by the property that guards against it, while the correct engine
//! passes those same seeds. An oracle no bug trips proves nothing.
//!
//! One test per catch that `src/bugs` lists for a bug (`zoo::BUG::PROPERTY`),
//! read from the table: a new planted bug is tested here without a line of
//! its own.

mod common;

use ckptsim::bugs::Bug;
use ckptsim::run::{run_seed, RunSpec};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::Path;

/// Seeds a bug gets to show itself in.
const BUDGET: u64 = 64;

fn main() {
    let args = Arguments::from_args();
    let mut trials: Vec<Trial> = vec![];
    for bug in Bug::all() {
        for c in bug.catches() {
            let scenario = Path::new(c.scenario).file_stem().unwrap_or_default().to_string_lossy().to_string();
            let name = format!("zoo::{bug}::caught_by_{}_in_{scenario}", c.property);
            trials.push(Trial::test(name, move || caught(bug, c.scenario, c.property)));
        }
    }
    trials.push(Trial::test("zoo::committer_assumes_aligned::passes_aligned_checkpoints", passes_aligned));
    trials.push(Trial::test("zoo::every_bug_has_a_catch", every_bug_has_a_catch));
    libtest_mimic::run(&args, trials).exit();
}

fn caught(bug: Bug, scenario: &str, property: &str) -> Result<(), Failed> {
    let spec = common::spec(Path::new(scenario));
    let mut tried = vec![];
    for chunk in (0..BUDGET).collect::<Vec<_>>().chunks(8) {
        let buggy = common::run_seeds(&RunSpec { bug: Some(bug), ..spec.clone() }, chunk.to_vec());
        tried.extend_from_slice(chunk);
        if let Some(hit) = buggy.iter().find(|r| r.violations.iter().any(|v| v.property == property)) {
            for seed in &tried {
                let clean = run_seed(&RunSpec { seed: *seed, ..spec.clone() });
                if !clean.passed() {
                    return Err(format!("the correct engine fails seed {seed}:{}", common::describe(&clean)).into());
                }
            }
            eprintln!("{bug} caught by {property} on seed {} of {scenario}", hit.seed);
            return Ok(());
        }
    }
    Err(format!("{bug} was not caught by {property} within {BUDGET} seeds of {scenario}").into())
}

/// A bug with no catch would be tested nowhere.
fn every_bug_has_a_catch() -> Result<(), Failed> {
    match Bug::all().find(|b| b.catches().is_empty()) {
        Some(bug) => Err(format!("{bug} lists no stock scenario that catches it").into()),
        None => Ok(()),
    }
}

/// The iceberg#15846 shape: the same committer bug is invisible under
/// aligned checkpoints (every committable reaches the committer before its
/// barrier) and loses data under unaligned ones.
fn passes_aligned() -> Result<(), Failed> {
    let bug: Bug = "committer_assumes_aligned".parse()?;
    let spec = common::spec(Path::new("scenarios/committer-crash.toml"));
    let reports = common::run_seeds(&RunSpec { bug: Some(bug), ..spec }, (0..32).collect());
    let failures: Vec<String> = reports.iter().filter(|r| !r.passed()).map(common::describe).collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("the aligned committer scenario failed with the bug:{}", failures.concat()).into())
    }
}
