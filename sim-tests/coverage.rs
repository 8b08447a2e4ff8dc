//! Coverage: sweeps over the stock scenarios must take every catalogued
//! path — the engine's protocol paths and the paths each fault kind opens —
//! with no violation on the correct engine. A path no seed takes is a path
//! where no bug can be caught.
//!
//! The swarms get many seeds (`CKPTSIM_COVERAGE_SEEDS=N` sweeps more of
//! `swarm-all`); every other stock scenario its first few, so a new kind's
//! stock scenario counts without a line here.

mod common;

use ckptsim::run::coverage::{applicable, catalogue};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Seeds of the stock swarm the test sweeps by default.
const SEEDS: u64 = 1000;

/// Seeds of every other stock scenario (at most its own `seeds`).
const EACH: u64 = 4;

#[test]
fn sweeps_of_the_stock_scenarios_take_every_catalogued_path_without_a_violation() {
    let n = std::env::var("CKPTSIM_COVERAGE_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(SEEDS);
    let swarms = [
        ("scenarios/swarm-all.toml", n),
        ("scenarios/swarm-unaligned.toml", 48),
        ("scenarios/swarm-committers.toml", 32),
        // Seed 126 is the first judged still retrying an unrecoverable checkpoint.
        ("scenarios/swarm-generous-restart.toml", 128),
    ];
    let mut sweeps: Vec<(PathBuf, u64)> = swarms.iter().map(|(f, k)| (PathBuf::from(f), *k)).collect();
    for file in common::scenario_files() {
        let stock = !file.starts_with("scenarios/regressions");
        if stock && !swarms.iter().any(|(f, _)| file == Path::new(f)) {
            let spec = common::spec(&file);
            if spec.scenario.expect.violated.is_empty() {
                sweeps.push((file, spec.scenario.seeds.min(EACH)));
            }
        }
    }
    let mut taken: BTreeMap<String, u64> = BTreeMap::new();
    for (file, seeds) in &sweeps {
        let spec = common::spec(file);
        let first = spec.scenario.first_seed;
        let reports = common::run_seeds(&spec, (first..first + seeds).collect());
        let failures: Vec<String> = reports.iter().filter(|r| !r.passed()).map(common::describe).collect();
        let file = file.display();
        assert!(failures.is_empty(), "{} of {seeds} seeds of {file} failed:{}", failures.len(), failures.concat());
        let mut here: BTreeMap<String, u64> = BTreeMap::new();
        for r in &reports {
            for path in &r.coverage {
                *here.entry(path.clone()).or_default() += 1;
            }
        }
        let possible = applicable(&spec.scenario, &spec.testbed).len();
        eprintln!("{file}: {seeds} seeds took {} of its {possible} applicable paths", here.len());
        for (path, k) in here {
            *taken.entry(path).or_default() += k;
        }
    }
    let never: Vec<&str> = catalogue().iter().map(|p| p.name).filter(|p| !taken.contains_key(*p)).collect();
    assert!(never.is_empty(), "paths no seed took: {never:?} (taken: {taken:?})");
}
