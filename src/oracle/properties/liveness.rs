//! `liveness`: after the faults the job ends as expected within the budget.

use super::{Case, Judgement, Property};
use crate::oracle::evidence::Evidence;
use crate::oracle::record::{RunEnd, RunRecord};
use crate::oracle::violation::Violation;
use crate::scenario::words::count;
use crate::scenario::{ExpectedEnd, Scenario};
use crate::trace::event::{ErrorKind, FailoverKind, OrDash};
use crate::trace::{Event, TraceEvent};

/// The `liveness` property.
pub struct Liveness;

impl Property for Liveness {
    fn names(&self) -> &'static [&'static str] {
        &["liveness"]
    }

    fn check(&self, j: &Case, out: &mut Judgement) {
        let (violations, retrying) = liveness(j.scenario, j.ev);
        out.violations.extend(violations);
        if retrying {
            out.observed.push(STILL_RETRYING);
        }
    }
}

/// The coverage path of a run judged as still retrying an unrecoverable
/// checkpoint when its budget ran out (a fatal plan under a restart
/// strategy that had not given up yet).
pub const STILL_RETRYING: &str = "still_retrying_unrecoverable_checkpoint";

/// Whether the job is still retrying an unrecoverable checkpoint: some
/// restore could not read its checkpoint (the coordinator its metadata, or
/// a task its state), and the configured restart strategy, recounted from
/// the trace, has not run out.
fn still_retrying(scenario: &Scenario, r: &RunRecord) -> bool {
    let unrecoverable = r.events.iter().any(|e| {
        matches!(
            &e.event,
            Event::JobFailover { cause: FailoverKind::RecoveryFailed, .. }
                | Event::JobFailover { error: OrDash(Some(ErrorKind::Restore)), .. }
        )
    });
    unrecoverable && !super::restart_strategy::recount(&scenario.restart, &r.events).1
}

/// Whether fault `i` of the run's plan struck.
fn struck(r: &RunRecord, i: usize) -> bool {
    r.events.iter().any(|e| matches!(&e.event, Event::Fault(act) if act.fault == i && act.strike().is_some()))
}

/// `liveness`: after the faults the job ends as expected within the budget:
/// it finishes, or (`[expect] end = "failed"`, or a swarm plan that destroys
/// a checkpoint) its restart strategy gives up. Also answers whether the
/// run was accepted as still retrying an unrecoverable checkpoint.
fn liveness(scenario: &Scenario, ev: &Evidence) -> (Vec<Violation>, bool) {
    let r = ev.record;
    // A fatal swarm plan expects a failure only once its faults all struck
    // (a checkpoint that never completed cannot be destroyed).
    let fatal = r.expect_failure && (scenario.faults.len()..r.faults.len()).all(|i| struck(r, i));
    let expect_failure = fatal || scenario.expect.end == ExpectedEnd::Failed;
    let why_expected =
        if fatal { "the drawn faults destroy every copy of a checkpoint" } else { "[expect] end = \"failed\"" };
    let mut out = vec![];
    let mut retrying = false;
    let failed = r.events.iter().rev().find(|e| matches!(e.event, Event::JobFailed { .. }));
    let finished = r.events.iter().rev().find(|e| matches!(e.event, Event::JobFinished { .. }));
    let failed_because = match failed.map(|e| &e.event) {
        Some(Event::JobFailed { reason, .. }) => reason.as_str(),
        _ => "?",
    };
    // Located where the coordinator said the job ended.
    let at_last = |e: Option<&TraceEvent>, v: Violation| match e {
        Some(e) => v.at(e.time).node(&e.node),
        None => v,
    };
    match r.end {
        RunEnd::Finished if expect_failure => out.push(at_last(
            finished,
            Violation::new("liveness", format!("the job finished, but it was expected to fail ({why_expected})")),
        )),
        RunEnd::Finished => {}
        RunEnd::Failed if expect_failure => {}
        RunEnd::Failed => {
            out.push(at_last(failed, Violation::new("liveness", format!("the job failed: {failed_because}"))))
        }
        // A destroyed checkpoint under a generous strategy: the job keeps
        // failing to restore it, and the strategy is not exhausted yet. Flink
        // would still be retrying too; failing to give up on time is
        // `restart_strategy`'s to judge.
        RunEnd::TimedOut if fatal && still_retrying(scenario, r) => retrying = true,
        RunEnd::TimedOut => out.push(
            Violation::new(
                "liveness",
                format!(
                    "the job did not {} by {:.3}s (last fault + finish_within); {} completed",
                    if expect_failure { "fail" } else { "finish" },
                    r.deadline.as_secs_f64(),
                    count(ev.completed.len() as u64, "checkpoint", "checkpoints")
                ),
            )
            .at(r.deadline),
        ),
        RunEnd::MemoryBudget => out.push(
            Violation::new(
                "liveness",
                format!(
                    "the process passed the memory budget ({} resident, --max-memory) at {:.3}s simulated, \
                     before the job ended; {} completed",
                    crate::scenario::words::size(r.memory_budget),
                    r.sim_time.as_secs_f64(),
                    count(ev.completed.len() as u64, "checkpoint", "checkpoints")
                ),
            )
            .at(r.sim_time),
        ),
        RunEnd::WallClockCap => out.push(
            Violation::new(
                "liveness",
                format!(
                    "the run hit the wall-clock cap at {:.3}s simulated, before the job ended; {} completed",
                    r.sim_time.as_secs_f64(),
                    count(ev.completed.len() as u64, "checkpoint", "checkpoints")
                ),
            )
            .at(r.sim_time),
        ),
    }
    let min = scenario.expect.min_completed_checkpoints;
    if (ev.completed.len() as u64) < min && !fatal {
        out.push(Violation::new(
            "liveness",
            format!(
                "{} completed, expected at least {min}",
                count(ev.completed.len() as u64, "checkpoint", "checkpoints")
            ),
        ));
    }
    (out, retrying)
}
