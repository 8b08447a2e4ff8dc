//! `ckptsim sweep`: seeds in parallel over every core, a progress bar, each
//! failing seed with its replay command, a summary; or JSON Lines.

use super::report::exit_code;
use super::{jobs, EXIT_PASS};
use ckptsim::run::{run_many, RunReport, RunSpec};
use indicatif::{ProgressBar, ProgressStyle};

pub fn sweep(
    spec: &RunSpec,
    (a, b): (u64, u64),
    shard: Option<(u64, u64)>,
    requested: Option<usize>,
    json: bool,
) -> i32 {
    let seeds: Vec<u64> = (a..b).filter(|s| shard.is_none_or(|(k, n)| s % n == k - 1)).collect();
    let total = seeds.len() as u64;
    let bar = if json { ProgressBar::hidden() } else { ProgressBar::new(total) };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} seeds · {msg} · {elapsed} (eta {eta})").expect("template"),
    );
    let mut failed: Vec<RunReport> = vec![];
    let mut worst = EXIT_PASS;
    let started = std::time::Instant::now();
    run_many(spec, seeds, jobs(requested), &mut |report| {
        worst = worst.max(exit_code(&report));
        if json {
            println!("{}", serde_json::to_string(&report).expect("report JSON"));
        }
        if !report.passed() {
            failed.push(report);
        }
        bar.inc(1);
        bar.set_message(format!("{} failing", failed.len()));
    });
    bar.finish_and_clear();
    if !json {
        failed.sort_by_key(|r| r.seed);
        for r in &failed {
            super::report::print_verdict(r);
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "sweep {}: {} seeds, {} passed, {} failed in {secs:.1}s",
            spec.scenario.name,
            total,
            total - failed.len() as u64,
            failed.len()
        );
    }
    worst
}
