//! What a set of seeds showed, the same whether they ran here (`sweep`) or
//! on many machines and were gathered from JSON Lines (`merge`): the failing
//! seeds with their replay commands, the faults that fired in no seed, and
//! how many seeds took each catalogued protocol path.

use crate::oracle::coverage::Path;
use crate::run::RunReport;
use crate::trace::timings::{median_p99, Timings};
use std::collections::BTreeMap;

/// What the seeds showed, seed by seed.
#[derive(Default)]
pub struct Tally {
    /// The failing runs to print (`sweep --until-failure` keeps the first).
    pub failed: Vec<RunReport>,
    pub seeds: u64,
    /// Failing seeds, every one counted, printed or not.
    pub failures: u64,
    /// Path → seeds that took it.
    pub paths: BTreeMap<String, u64>,
    /// Scenario fault index → (label, seeds it fired in).
    pub faults: BTreeMap<usize, (String, u64)>,
    /// Every seed's checkpoint and alignment times.
    pub timings: Timings,
}

impl Tally {
    pub fn add(&mut self, report: RunReport) {
        self.seeds += 1;
        for path in &report.coverage {
            *self.paths.entry(path.clone()).or_default() += 1;
        }
        for f in report.faults.iter().filter(|f| !f.drawn) {
            let entry = self.faults.entry(f.fault).or_insert_with(|| (f.label.clone(), 0));
            entry.1 += u64::from(f.not_fired.is_none());
        }
        self.timings.checkpoint_ms.extend_from_slice(&report.timings.checkpoint_ms);
        self.timings.alignment_ms.extend_from_slice(&report.timings.alignment_ms);
        if !report.passed() {
            self.failures += 1;
            self.failed.push(report);
        }
    }

    /// The median and p99 checkpoint duration and alignment time over
    /// every seed (none if no checkpoint completed).
    pub fn print_timings(&mut self) {
        let t = &mut self.timings;
        let (n, m) = (t.checkpoint_ms.len(), t.alignment_ms.len());
        if let Some((median, p99)) = median_p99(&mut t.checkpoint_ms) {
            println!("checkpoint duration (trigger to completion): median {median:.1} ms, p99 {p99:.1} ms over {n} checkpoints");
        }
        if let Some((median, p99)) = median_p99(&mut t.alignment_ms) {
            println!("alignment time (first barrier to snapshot): median {median:.1} ms, p99 {p99:.1} ms over {m} task snapshots");
        }
    }

    /// The failing seeds in seed order, each with its replay command, and a
    /// warning for each scenario fault that fired in no seed.
    pub fn print_findings(&mut self) {
        self.failed.sort_by_key(|r| r.seed);
        for r in &self.failed {
            super::report::print_verdict(r);
        }
        for fault in self.unfired() {
            println!("warning: {fault} fired in none of the {} seeds", self.seeds);
        }
    }

    /// The scenario faults that fired in no seed, as `faults[i] (label)`.
    pub fn unfired(&self) -> Vec<String> {
        let unfired = self.faults.iter().filter(|(_, (_, fired))| *fired == 0);
        unfired.map(|(i, (label, _))| format!("faults[{i}] ({label})")).collect()
    }

    /// How many seeds took each of `paths`, and which none took.
    pub fn print_coverage(&self, paths: &[&Path], what: &str) {
        println!("coverage ({} seeds, the {} paths of {what}):", self.seeds, paths.len());
        println!("  {:>6}  {:<42} what happened", "seeds", "path");
        for path in paths {
            let n = self.paths.get(path.name).copied().unwrap_or(0);
            println!("  {n:>6}  {:<42} {}", path.name, path.description);
        }
        let never: Vec<&str> = paths.iter().map(|p| p.name).filter(|p| !self.paths.contains_key(*p)).collect();
        if never.is_empty() {
            println!("every catalogued path was taken");
        } else {
            println!("never taken: {}", never.join(", "));
        }
    }

    /// `N seeds, P passed, F failed`.
    pub fn counts(&self) -> String {
        let failed = self.failures;
        format!("{} seeds, {} passed, {failed} failed", self.seeds, self.seeds - failed)
    }
}
