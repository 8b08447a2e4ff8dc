//! Shared by the sim-test binaries: finding scenario files, choosing seeds
//! (`CKPTSIM_SEED`, `CKPTSIM_SEEDS`), running them in parallel, and printing
//! a failure the way a person needs it: violations, trace tail, replay command;
//! `binary`: running the `ckptsim` binary and scratch files.
#![allow(dead_code)]

pub mod binary;

use ckptsim::run::RunSpec;
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

#[allow(unused_imports)]
pub use ckptsim::harness::{describe, faults_fired, run_seeds, seeds_from};

/// `CKPTSIM_SEED=S` runs just S; `CKPTSIM_SEEDS=N` runs 0..N; else 0..default.
pub fn seeds(default: u64) -> Vec<u64> {
    if let Some(s) = std::env::var("CKPTSIM_SEED").ok().and_then(|s| s.parse().ok()) {
        return vec![s];
    }
    let n = std::env::var("CKPTSIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(default);
    (0..n).collect()
}
