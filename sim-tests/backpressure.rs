//! The shape of Flink's published results for unaligned checkpoints, from
//! the stock pair `slow-task-aligned` / `slow-task-unaligned`: under a slow
//! subtask (backpressure), aligned checkpoints take many times longer than
//! without it, unaligned ones about as long. Median checkpoint duration
//! (trigger to completion) over eight seeds, with the file's faults and
//! with none.

mod common;

use ckptsim::run::{run_seed, RunSpec};
use ckptsim::trace::timings::median_p99;
use std::path::Path;
use std::sync::Arc;

/// The median checkpoint duration over seeds 0..8, in ms; `faults`: keep
/// the file's faults (else run it fault-free). Checks the faults fired.
fn median(file: &str, faults: bool) -> f64 {
    let mut spec = common::spec(Path::new(file));
    if !faults {
        let mut scenario = (*spec.scenario).clone();
        scenario.faults.clear();
        spec = RunSpec { scenario: Arc::new(scenario), ..spec };
    }
    let mut durations = vec![];
    for seed in 0..8 {
        let report = run_seed(&RunSpec { seed, ..spec.clone() });
        assert!(report.passed(), "{file} seed {seed} (faults: {faults}): {:?}", report.violations);
        assert!(report.faults.iter().all(|f| f.not_fired.is_none()), "{file} seed {seed}: a fault did not fire");
        durations.extend(report.timings.checkpoint_ms);
    }
    median_p99(&mut durations).expect("checkpoints completed").0
}

#[test]
fn a_slow_task_multiplies_aligned_checkpoint_time_and_leaves_unaligned_close_to_its_own() {
    let (aligned, aligned_base) =
        (median("scenarios/slow-task-aligned.toml", true), median("scenarios/slow-task-aligned.toml", false));
    let (unaligned, unaligned_base) =
        (median("scenarios/slow-task-unaligned.toml", true), median("scenarios/slow-task-unaligned.toml", false));
    println!("median checkpoint duration, ms: aligned {aligned_base:.1} → {aligned:.1} under the slow task; unaligned {unaligned_base:.1} → {unaligned:.1}");
    assert!(aligned >= 10.0 * aligned_base, "aligned grew only {:.1}×", aligned / aligned_base);
    assert!(unaligned <= 3.0 * unaligned_base, "unaligned grew {:.1}×", unaligned / unaligned_base);
}
