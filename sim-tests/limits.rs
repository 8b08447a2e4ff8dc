//! The boundary scenarios really stand at their limits: no vacuous pass.
//! At the limit, the configured number of failures happens and the job
//! survives it; one past the limit, one more happens and the job gives up
//! (a restart strategy) or fails over (tolerable checkpoint failures).
//! `restart_strategy` and `tolerable_failures` judge the verdicts; this
//! checks the runs gave them something to judge.

mod common;

use ckptsim::run::RunReport;
use ckptsim::trace::event::FailoverKind;
use ckptsim::trace::Event;
use std::path::Path;

/// Every seed the scenario file names, run.
fn runs(file: &str) -> Vec<RunReport> {
    let spec = common::spec(Path::new(file));
    let first = spec.scenario.first_seed;
    let reports = common::run_seeds(&spec, (first..first + spec.scenario.seeds).collect());
    let failed: Vec<String> = reports.iter().filter(|r| !r.passed()).map(common::describe).collect();
    assert!(failed.is_empty(), "{file}: {}", failed.concat());
    reports
}

/// Failovers of the run, by cause.
fn failovers(r: &RunReport, cause: fn(&FailoverKind) -> bool) -> usize {
    r.trace.iter().filter(|e| matches!(&e.event, Event::JobFailover { cause: c, .. } if cause(c))).count()
}

/// Checkpoints the coordinator aborted because a task declined them.
fn declined(r: &RunReport) -> usize {
    let declined =
        |e: &Event| matches!(e, Event::CheckpointAborted { reason, .. } if reason.to_string().starts_with("declined"));
    r.trace.iter().filter(|e| declined(&e.event)).count()
}

#[test]
fn tolerable_failures_at_the_limit_takes_two_failures_in_a_row_and_no_failover() {
    for r in runs("scenarios/tolerable-failures-at-the-limit.toml") {
        assert_eq!(declined(&r), 2, "seed {}: two declined checkpoints", r.seed);
        assert_eq!(failovers(&r, |c| *c == FailoverKind::CheckpointFailures), 0, "seed {}", r.seed);
    }
}

#[test]
fn tolerable_failures_past_the_limit_fails_over_at_the_third() {
    for r in runs("scenarios/tolerable-failures-past-the-limit.toml") {
        assert_eq!(declined(&r), 3, "seed {}: three declined checkpoints", r.seed);
        assert_eq!(failovers(&r, |c| *c == FailoverKind::CheckpointFailures), 1, "seed {}", r.seed);
        assert_eq!(r.end, "finished", "seed {}: restored and finished", r.seed);
    }
}

/// At the limit (3 restarts allowed): three failures, and the job finishes;
/// past it: a fourth, and the strategy gives up.
#[test]
fn restart_strategies_use_every_allowed_restart_and_give_up_at_the_one_past_it() {
    for (file, failures, end) in [
        ("scenarios/restart-attempts-at-the-limit.toml", 3, "finished"),
        ("scenarios/restart-rate-at-the-limit.toml", 3, "finished"),
        ("scenarios/restart-attempts-past-the-limit.toml", 4, "failed"),
        ("scenarios/restart-rate-past-the-limit.toml", 4, "failed"),
    ] {
        for r in runs(file) {
            let seed = r.seed;
            assert_eq!(failovers(&r, |c| *c != FailoverKind::Rescale), failures, "{file} seed {seed}: failures");
            assert_eq!(r.end, end, "{file} seed {seed}");
        }
    }
}
