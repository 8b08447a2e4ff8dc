//! `ckptsim sweep`: seeds in parallel over every core, a progress bar, each
//! failing seed with its replay command, a summary; or JSON Lines. With
//! `--coverage`, how many seeds took each catalogued protocol path and which
//! paths none took. Either way it names every scenario fault that fired in
//! no seed, and the median and p99 of checkpoint duration and alignment
//! time. `--until-failure` stops at the first failing seed.

use super::report::exit_code;
use super::summary::Tally;
use super::{jobs, EXIT_PASS};
use crate::run::coverage::applicable;
use crate::run::{run_many_while, RunSpec};
use crate::scenario::words::count;
use indicatif::{ProgressBar, ProgressStyle};

/// What `sweep` was asked for.
pub struct SweepOptions {
    /// `A..B`, B excluded.
    pub seeds: (u64, u64),
    /// `K/N`: seeds with seed % N == K-1.
    pub shard: Option<(u64, u64)>,
    pub jobs: Option<usize>,
    pub json: bool,
    pub coverage: bool,
    /// Stop at the first failing seed (the lowest, seeds start in order).
    pub until_failure: bool,
    /// A scenario fault that fired in no seed fails the sweep.
    pub strict: bool,
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
    run_many_while(spec, seeds, jobs(options.jobs), &mut |report| {
        worst = worst.max(exit_code(&report));
        let go_on = report.passed() || !options.until_failure;
        if options.json {
            println!("{}", serde_json::to_string(&report).expect("report JSON"));
        }
        tally.add(report);
        bar.inc(1);
        bar.set_message(format!("{} failing", tally.failures));
        go_on
    });
    bar.finish_and_clear();
    if options.until_failure {
        keep_first_failure(&mut tally);
    }
    if !options.json {
        print_summary(spec, &mut tally, options, started.elapsed().as_secs_f64());
    }
    let unfired = tally.unfired();
    if options.strict && !unfired.is_empty() {
        eprintln!(
            "error: --strict: {} fired in no seed: {}",
            count(unfired.len() as u64, "fault", "faults"),
            unfired.join(", ")
        );
        worst = worst.max(super::EXIT_VIOLATION);
    }
    worst
}

/// Runs already under way when the first failure came in may fail too:
/// only the lowest failing seed is the first failure, the one printed (the
/// counts still count every failing seed).
fn keep_first_failure(tally: &mut Tally) {
    tally.failed.sort_by_key(|r| r.seed);
    tally.failed.truncate(1);
}

fn print_summary(spec: &RunSpec, tally: &mut Tally, options: &SweepOptions, secs: f64) {
    tally.print_findings();
    if options.coverage {
        let what = format!("protocol {}", spec.scenario.checkpoint.protocol);
        tally.print_coverage(&applicable(&spec.scenario, &spec.testbed), &what);
    }
    tally.print_timings();
    let name = &spec.scenario.name;
    println!("sweep {name}: {} in {secs:.1}s", tally.counts());
    if let (true, Some(first)) = (options.until_failure, tally.failed.first()) {
        println!("first failing seed: {}\n  replay: {}", first.seed, first.replay);
    } else if options.until_failure {
        println!("no seed failed");
    }
}
