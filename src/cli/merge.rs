//! `ckptsim merge RESULTS.jsonl…`: the JSON Lines of many `sweep --json`
//! shards (CI matrix jobs, Kubernetes indexed pods) gathered into the one
//! summary and coverage table a single sweep over all their seeds prints.
//!
//! A seed reported twice must carry the same trace hash (the same seed
//! replays identically); a different one is a determinism failure.

use super::summary::Tally;
use super::{report::exit_code, EXIT_BAD_INPUT, EXIT_PASS};
use crate::run::coverage::{applicable, catalogue};
use crate::run::RunReport;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What `merge` was asked for.
pub struct MergeOptions {
    pub files: Vec<PathBuf>,
    /// Print the coverage table.
    pub coverage: bool,
    /// The scenario file: the coverage table then lists only its paths.
    pub scenario: Option<PathBuf>,
}

/// One seed's report, keyed by what makes it the same run.
type RunKey = (String, Option<String>, u64);

pub fn merge(testbed: &crate::run::testbed::Testbed, options: &MergeOptions) -> i32 {
    let mut runs: BTreeMap<RunKey, RunReport> = BTreeMap::new();
    for file in &options.files {
        if let Err(e) = read_into(file, &mut runs) {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    }
    let (paths, what) = match &options.scenario {
        Some(path) => match testbed.load(path) {
            Ok(s) => (applicable(&s, testbed), format!("protocol {}", s.checkpoint.protocol)),
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_BAD_INPUT;
            }
        },
        None => (catalogue(), "the catalogue".to_string()),
    };
    let mut by_scenario: BTreeMap<String, Tally> = BTreeMap::new();
    let mut worst = EXIT_PASS;
    for ((scenario, bug, _), report) in runs {
        worst = worst.max(exit_code(&report));
        let name = bug.map_or(scenario.clone(), |b| format!("{scenario} [bug: {b}]"));
        by_scenario.entry(name).or_default().add(report);
    }
    for (scenario, tally) in &mut by_scenario {
        tally.print_findings();
        if options.coverage {
            tally.print_coverage(&paths, &what);
        }
        tally.print_timings();
        println!("merged {scenario}: {}", tally.counts());
    }
    worst
}

/// Adds every report of one JSON Lines file; an unreadable line, or a seed
/// whose trace differs from an earlier report of it, is an error.
fn read_into(file: &Path, runs: &mut BTreeMap<RunKey, RunReport>) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let report: RunReport = serde_json::from_str(line)
            .map_err(|e| format!("{}:{}: not a `sweep --json` line: {e}", file.display(), i + 1))?;
        let key = (report.scenario.clone(), report.bug.clone(), report.seed);
        if let Some(seen) = runs.get(&key) {
            if seen.trace_hash != report.trace_hash {
                return Err(format!(
                    "{}:{}: seed {} of {} was reported before with trace {}, here {}: the runs differ",
                    file.display(),
                    i + 1,
                    report.seed,
                    report.scenario,
                    seen.trace_hash,
                    report.trace_hash
                ));
            }
        }
        runs.insert(key, report);
    }
    Ok(())
}
