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

use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let mut trials: Vec<Trial> = common::scenario_files()
        .into_iter()
        .map(|path| {
            let name = format!("scenario::{}", path.file_stem().unwrap_or_default().to_string_lossy());
            Trial::test(name, move || check_scenario(&path))
        })
        .collect();
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

fn check_scenario(path: &std::path::Path) -> Result<(), Failed> {
    let spec = common::spec(path);
    let reports = common::run_seeds(&spec, common::seeds_from(spec.scenario.first_seed, spec.scenario.seeds));
    if !spec.scenario.expect.violated.is_empty() {
        still_caught(&spec, &reports)?;
        return common::faults_fired(&spec, &reports).map_err(Failed::from);
    }
    let failures: Vec<String> = reports.iter().filter(|r| !r.passed()).map(common::describe).collect();
    if !failures.is_empty() {
        return Err(format!("{} of {} seeds failed:{}", failures.len(), reports.len(), failures.concat()).into());
    }
    common::faults_fired(&spec, &reports).map_err(Failed::from)
}

/// A scenario with `[expect] violated`: each listed property must fail in
/// some seed (the planted bug stays caught), and no run may end in an
/// internal error. (Its faults must still fire, checked by the caller.)
fn still_caught(spec: &ckptsim::run::RunSpec, reports: &[ckptsim::run::RunReport]) -> Result<(), Failed> {
    if let Some(r) = reports.iter().find(|r| r.verdict == "error") {
        return Err(format!("a run ended in an internal error:{}", common::describe(r)).into());
    }
    for property in &spec.scenario.expect.violated {
        if !reports.iter().any(|r| r.violations.iter().any(|v| &v.property == property)) {
            let seeds: Vec<u64> = reports.iter().map(|r| r.seed).collect();
            return Err(format!("`{property}` held in every seed {seeds:?}: the bug is no longer caught").into());
        }
    }
    Ok(())
}
