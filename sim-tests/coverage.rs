//! Coverage: swarm sweeps over the stock swarm scenarios (and a few seeds of
//! the scenarios of the other protocols and sinks) must take every catalogued
//! protocol path — a path no seed takes is a path where no bug can be caught
//! — with no violation on the correct engine.
//! `CKPTSIM_COVERAGE_SEEDS=N` sweeps more seeds of `swarm-all`.

mod common;

use ckptsim::oracle::coverage::{applicable, CATALOGUE};
use std::collections::BTreeMap;
use std::path::Path;

/// Seeds of the stock swarm the test sweeps by default.
const SEEDS: u64 = 1000;

#[test]
fn swarm_sweeps_take_every_catalogued_path_without_a_violation() {
    let n = std::env::var("CKPTSIM_COVERAGE_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(SEEDS);
    let sweeps = [
        ("scenarios/swarm-all.toml", n),
        ("scenarios/swarm-unaligned.toml", 48),
        ("scenarios/aligned-timeout-crash.toml", 8),
        ("scenarios/at-least-once-crash.toml", 8),
        ("scenarios/rescale-unaligned.toml", 8),
    ];
    let mut taken: BTreeMap<String, u64> = BTreeMap::new();
    for (file, seeds) in sweeps {
        let spec = common::spec(Path::new(file));
        let reports = common::run_seeds(&spec, (0..seeds).collect());
        let failures: Vec<String> = reports.iter().filter(|r| !r.passed()).map(common::describe).collect();
        assert!(failures.is_empty(), "{} of {seeds} seeds of {file} failed:{}", failures.len(), failures.concat());
        let mut here: BTreeMap<String, u64> = BTreeMap::new();
        for r in &reports {
            for path in &r.coverage {
                *here.entry(path.clone()).or_default() += 1;
            }
        }
        let possible = applicable(&spec.scenario).len();
        eprintln!("{file}: {seeds} seeds took {} of its {possible} applicable paths", here.len());
        for (path, k) in here {
            *taken.entry(path).or_default() += k;
        }
    }
    let never: Vec<&str> = CATALOGUE.iter().map(|p| p.name).filter(|p| !taken.contains_key(*p)).collect();
    assert!(never.is_empty(), "paths no seed took: {never:?} (taken: {taken:?})");
}
