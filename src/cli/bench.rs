//! `ckptsim bench`: seeded runs per second over every core, simulated seconds
//! per wall second, and peak memory. Build with `--release`.
//!
//! `--baseline` also times the bare job: the same records, read from the
//! same seeded log, counted per key in a hash map and each checked off once
//! in a bitmap (an exactly-once check), with no engine, network, disk,
//! checkpoints or oracles. The ratio of a seeded run's time per record to
//! the fold's is what the whole simulation costs over the arithmetic.

use super::{jobs, EXIT_INTERNAL, EXIT_PASS};
use crate::engine::graph::ExecutionGraph;
use crate::engine::services::log::LogData;
use crate::run::RunSpec;
use crate::scenario::OperatorKind;
use std::collections::HashMap;
use std::time::Instant;

pub fn bench(spec: &RunSpec, runs: u64, requested: Option<usize>, baseline: bool) -> i32 {
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
    if baseline {
        // Each thread ran runs/jobs runs in `wall`: one run took wall·jobs/runs.
        let per_run = wall * jobs as f64 / runs as f64;
        let graph = crate::engine::job::graph(&spec.scenario, spec.testbed.registry());
        let (records, per_pass) = time_fold(&graph);
        let (fold_ns, run_ns) = (per_pass * 1e9 / records as f64, per_run * 1e9 / records as f64);
        println!(
            "  baseline: a plain keyed fold with an exactly-once check over the same {records} records: {:.2} ms \
             ({fold_ns:.0} ns a record)",
            per_pass * 1e3
        );
        println!(
            "  a seeded run: {:.2} ms ({run_ns:.0} ns a record), {:.1}× the fold",
            per_run * 1e3,
            run_ns / fold_ns
        );
    }
    if passed == runs {
        EXIT_PASS
    } else {
        EXIT_INTERNAL.min(1)
    }
}

/// Times `fold` over the job's records, passes repeated for at least
/// 200ms: (records, seconds a pass).
fn time_fold(graph: &ExecutionGraph) -> (u64, f64) {
    let log = LogData::new(0);
    let started = Instant::now();
    let (mut passes, mut records) = (0u32, 0);
    while passes == 0 || started.elapsed().as_secs_f64() < 0.2 {
        records = std::hint::black_box(fold(graph, log));
        passes += 1;
    }
    (records, started.elapsed().as_secs_f64() / f64::from(passes))
}

/// The bare job over the log: a count per key, and every record checked
/// off once. Returns the records folded (a duplicate or a gap panics: the
/// log is wrong, not the engine).
fn fold(graph: &ExecutionGraph, log: LogData) -> u64 {
    const CHUNK: u64 = 4096;
    let mut counts: HashMap<u64, i64> = HashMap::new();
    let mut folded = 0;
    for op in graph.ops.iter().filter(|o| o.kind == OperatorKind::Source) {
        for p in 0..op.partitions as u32 {
            let n = ExecutionGraph::records_in(op, p);
            let mut seen = vec![0u64; n.div_ceil(64) as usize];
            for from in (0..n).step_by(CHUNK as usize) {
                for (i, (key, _)) in log.read(op, p, from, CHUNK as usize).into_iter().enumerate() {
                    *counts.entry(key).or_default() += 1;
                    let at = from + i as u64;
                    let (word, bit) = ((at / 64) as usize, 1u64 << (at % 64));
                    assert!(seen[word] & bit == 0, "record {at} of partition {p} read twice");
                    seen[word] |= bit;
                }
            }
            assert!(
                seen.iter().map(|w| u64::from(w.count_ones())).sum::<u64>() == n,
                "a record of partition {p} missing"
            );
            folded += n;
        }
    }
    assert_eq!(counts.values().sum::<i64>() as u64, folded);
    folded
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
