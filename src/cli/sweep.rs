//! `ckptsim sweep`: seeds in parallel over every core, a progress bar, each
//! failing seed with its replay command, a summary; or JSON Lines. With
//! `--coverage`, how many seeds took each catalogued protocol path and which
//! paths none took. Either way it names every scenario fault that fired in
//! no seed.

use super::report::exit_code;
use super::{jobs, EXIT_PASS};
use ckptsim::oracle::coverage::applicable;
use ckptsim::run::{run_many, RunReport, RunSpec};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;

/// What `sweep` was asked for.
pub struct SweepOptions {
    /// `A..B`, B excluded.
    pub seeds: (u64, u64),
    /// `K/N`: seeds with seed % N == K-1.
    pub shard: Option<(u64, u64)>,
    pub jobs: Option<usize>,
    pub json: bool,
    pub coverage: bool,
}

/// What the sweep saw, seed by seed.
#[derive(Default)]
struct Tally {
    failed: Vec<RunReport>,
    seeds: u64,
    /// Path → seeds that took it.
    paths: BTreeMap<&'static str, u64>,
    /// Scenario fault index → (label, seeds it fired in).
    faults: BTreeMap<usize, (String, u64)>,
}

impl Tally {
    fn add(&mut self, report: &RunReport) {
        self.seeds += 1;
        for path in &report.coverage {
            *self.paths.entry(path).or_default() += 1;
        }
        for f in report.faults.iter().filter(|f| !f.drawn) {
            let entry = self.faults.entry(f.fault).or_insert_with(|| (f.label.clone(), 0));
            entry.1 += u64::from(f.not_fired.is_none());
        }
    }
}

pub fn sweep(spec: &RunSpec, options: &SweepOptions) -> i32 {
    let (a, b) = options.seeds;
    let seeds: Vec<u64> = (a..b).filter(|s| options.shard.is_none_or(|(k, n)| s % n == k - 1)).collect();
    let total = seeds.len() as u64;
    let bar = if options.json { ProgressBar::hidden() } else { ProgressBar::new(total) };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} seeds · {msg} · {elapsed} (eta {eta})").expect("template"),
    );
    let mut tally = Tally::default();
    let mut worst = EXIT_PASS;
    let started = std::time::Instant::now();
    run_many(spec, seeds, jobs(options.jobs), &mut |report| {
        worst = worst.max(exit_code(&report));
        tally.add(&report);
        if options.json {
            println!("{}", serde_json::to_string(&report).expect("report JSON"));
        }
        if !report.passed() {
            tally.failed.push(report);
        }
        bar.inc(1);
        bar.set_message(format!("{} failing", tally.failed.len()));
    });
    bar.finish_and_clear();
    if !options.json {
        print_summary(spec, &mut tally, options.coverage, started.elapsed().as_secs_f64());
    }
    worst
}

fn print_summary(spec: &RunSpec, tally: &mut Tally, coverage: bool, secs: f64) {
    tally.failed.sort_by_key(|r| r.seed);
    for r in &tally.failed {
        super::report::print_verdict(r);
    }
    for (i, (label, _)) in tally.faults.iter().filter(|(_, (_, fired))| *fired == 0) {
        println!("warning: faults[{i}] ({label}) fired in none of the {} seeds", tally.seeds);
    }
    if coverage {
        print_coverage(spec, tally);
    }
    println!(
        "sweep {}: {} seeds, {} passed, {} failed in {secs:.1}s",
        spec.scenario.name,
        tally.seeds,
        tally.seeds - tally.failed.len() as u64,
        tally.failed.len()
    );
}

/// The paths this scenario's protocol can take, with their seed counts.
fn print_coverage(spec: &RunSpec, tally: &Tally) {
    let paths = applicable(&spec.scenario);
    println!(
        "coverage ({} seeds, the {} paths of protocol {}):",
        tally.seeds,
        paths.len(),
        spec.scenario.checkpoint.protocol.name()
    );
    println!("  {:>6}  {:<42} what happened", "seeds", "path");
    for path in &paths {
        let n = tally.paths.get(path.name).copied().unwrap_or(0);
        println!("  {n:>6}  {:<42} {}", path.name, path.description);
    }
    let never: Vec<&str> = paths.iter().map(|p| p.name).filter(|p| !tally.paths.contains_key(p)).collect();
    if never.is_empty() {
        println!("every catalogued path was taken");
    } else {
        println!("never taken: {}", never.join(", "));
    }
}
