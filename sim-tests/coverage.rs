//! Coverage: a swarm sweep over the stock swarm scenario must take every
//! catalogued protocol path (a path no seed takes is a path where no bug can
//! be caught), with no violation on the correct engine.
//! `CKPTSIM_COVERAGE_SEEDS=N` sweeps more seeds.

mod common;

use ckptsim::oracle::coverage::CATALOGUE;
use std::collections::BTreeMap;
use std::path::Path;

/// Seeds of the stock swarm the test sweeps by default.
const SEEDS: u64 = 1000;

#[test]
fn a_swarm_sweep_takes_every_catalogued_path_without_a_violation() {
    let n = std::env::var("CKPTSIM_COVERAGE_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(SEEDS);
    let spec = common::spec(Path::new("scenarios/swarm-all.toml"));
    let reports = common::run_seeds(&spec, (0..n).collect());
    let failures: Vec<String> = reports.iter().filter(|r| !r.passed()).map(common::describe).collect();
    assert!(failures.is_empty(), "{} of {n} swarm seeds failed:{}", failures.len(), failures.concat());
    let mut taken: BTreeMap<&str, u64> = BTreeMap::new();
    for r in &reports {
        for path in &r.coverage {
            *taken.entry(path).or_default() += 1;
        }
    }
    let never: Vec<&str> = CATALOGUE.iter().map(|p| p.name).filter(|p| !taken.contains_key(p)).collect();
    assert!(never.is_empty(), "paths no seed of 0..{n} took: {never:?} (taken: {taken:?})");
}
