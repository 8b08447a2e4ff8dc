//! Every scenario file in `scenarios/` (and `scenarios/regressions/`), one
//! test each, over its default seeds (`seeds = N` in the file).
//! `CKPTSIM_SEEDS=N` widens every scenario to seeds 0..N; `CKPTSIM_SEED=S`
//! runs seed S only. A failure prints the violations, the trace tail and the
//! command that replays it. Adding a scenario file adds a test: no Rust.
//!
//! No vacuous passes: a scenario also fails when one of its faults fires in
//! none of its seeds (the reason is printed), or when a swarm draws nothing
//! that fires.

mod common;

use ckptsim::harness::Harness;
use ckptsim::run::testbed::Testbed;
use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    // The stock scenarios run through the same harness a user's crate uses.
    // `scenarios/soak/` runs only with `cargo test --test scenarios -- --ignored`.
    let mut trials = Harness::new(Testbed::new()).dir("scenarios").soak("scenarios/soak").trials();
    trials.push(Trial::test("a_scenario_whose_fault_never_fires_fails", vacuous_scenario_fails));
    libtest_mimic::run(&args, trials).exit();
}

/// A crash at checkpoint 999 of a job that finishes after ~10 never fires:
/// the check refuses the scenario and says why.
fn vacuous_scenario_fails() -> Result<(), Failed> {
    let mut spec = common::spec(std::path::Path::new("scenarios/no-faults.toml"));
    let mut scenario = (*spec.scenario).clone();
    scenario.faults.push(ckptsim::scenario::Fault {
        when: Some(ckptsim::scenario::When {
            checkpoint: Some(999),
            phase: ckptsim::scenario::Phase::Aligning,
            task: None,
        }),
        ..ckptsim::scenario::Fault::of(
            "crash",
            ckptsim::run::faults::crash::CrashParams { node: Some("worker-1".into()), restart_after: None },
        )
    });
    spec.scenario = std::sync::Arc::new(scenario);
    let reports = common::run_seeds(&spec, vec![0, 1]);
    match common::faults_fired(&spec, &reports) {
        Err(why) if why.contains("never happened") => Ok(()),
        other => Err(format!("expected a vacuous-scenario error, got {other:?}").into()),
    }
}
