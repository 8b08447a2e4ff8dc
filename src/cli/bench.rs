//! `ckptsim bench`: seeded runs per second over every core, simulated seconds
//! per wall second, and peak memory. Build with `--release`.

use super::{jobs, EXIT_INTERNAL, EXIT_PASS};
use crate::run::RunSpec;
use std::time::Instant;

pub fn bench(spec: &RunSpec, runs: u64, requested: Option<usize>) -> i32 {
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; run `cargo run --release -- bench` for real figures");
    }
    let jobs = jobs(requested);
    let started = Instant::now();
    let (mut sim_ms, mut passed, mut events) = (0u64, 0u64, 0u64);
    crate::run::run_many(spec, (0..runs).collect(), jobs, &mut |r| {
        sim_ms += r.sim_time_ms;
        events += r.events as u64;
        passed += u64::from(r.passed());
    });
    let wall = started.elapsed().as_secs_f64();
    println!("bench {} · {runs} seeded runs on {jobs} threads", spec.scenario.name);
    println!("  {:.1} runs/s ({:.0} runs/min), {passed}/{runs} passed", runs as f64 / wall, runs as f64 * 60.0 / wall);
    println!(
        "  {:.0} simulated s per wall s ({:.2}s simulated per run, {} trace events per run)",
        sim_ms as f64 / 1e3 / wall,
        sim_ms as f64 / 1e3 / runs as f64,
        events / runs.max(1)
    );
    match peak_rss_mib() {
        Some(mib) => println!("  peak memory {mib:.1} MiB (max RSS)"),
        None => println!("  peak memory unknown (no /proc/self/status)"),
    }
    if passed == runs {
        EXIT_PASS
    } else {
        EXIT_INTERNAL.min(1)
    }
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
