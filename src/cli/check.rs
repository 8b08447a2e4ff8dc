//! `ckptsim check FILE…`: validates scenario files without running them.

use crate::scenario::words::count;
use std::path::{Path, PathBuf};

use crate::scenario::Scenario;

use super::{EXIT_BAD_INPUT, EXIT_PASS};

/// Checks every file (a directory: its `*.toml` files, sorted). Prints
/// `ok FILE (summary)` to stdout or the error with its carets to stderr;
/// exit 0 if every file is a valid scenario, else 2.
pub fn check(testbed: &crate::run::testbed::Testbed, paths: &[PathBuf]) -> i32 {
    let (mut checked, mut bad) = (0, 0);
    for path in paths {
        let files = match scenario_files(path) {
            Ok(files) => files,
            Err(message) => {
                eprintln!("error: {}: {message}", path.display());
                bad += 1;
                continue;
            }
        };
        for file in files {
            checked += 1;
            match testbed.load(&file) {
                Ok(s) => println!("ok {} ({})", file.display(), summary(&s)),
                Err(e) => {
                    eprintln!("error: {}", e.render());
                    bad += 1;
                }
            }
        }
    }
    if checked > 1 {
        println!("{checked} files checked: {} ok, {bad} bad", checked - bad.min(checked));
    }
    if bad == 0 {
        EXIT_PASS
    } else {
        EXIT_BAD_INPUT
    }
}

/// `path` itself, or the `*.toml` files under it if it is a directory,
/// subfolders included (as `cargo test` runs them).
fn scenario_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    std::fs::read_dir(path).map_err(|e| format!("cannot read the directory: {e}"))?;
    let files = crate::scenario::files(path);
    if files.is_empty() {
        return Err("the directory holds no .toml file, in it or under it".into());
    }
    Ok(files)
}

/// `name: 3 operators, 1 fault, protocol aligned` (`, swarm` if it draws faults).
fn summary(s: &Scenario) -> String {
    let faults = count(s.faults.len() as u64, "fault", "faults");
    let operators = count(s.job.operators.len() as u64, "operator", "operators");
    let swarm = if s.swarm.is_some() { ", swarm" } else { "" };
    format!("{}: {operators}, {faults}, protocol {}{swarm}", s.name, s.checkpoint.protocol)
}
