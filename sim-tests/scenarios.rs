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
    let trials = common::scenario_files()
        .into_iter()
        .map(|path| {
            let name = format!("scenario::{}", path.file_stem().unwrap_or_default().to_string_lossy());
            Trial::test(name, move || check_scenario(&path))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn check_scenario(path: &std::path::Path) -> Result<(), Failed> {
    let spec = common::spec(path);
    let reports = common::run_seeds(&spec, common::seeds(spec.scenario.seeds));
    let failures: Vec<String> = reports.iter().filter(|r| !r.passed()).map(common::describe).collect();
    if !failures.is_empty() {
        return Err(format!("{} of {} seeds failed:{}", failures.len(), reports.len(), failures.concat()).into());
    }
    common::faults_fired(&spec, &reports).map_err(Failed::from)
}
