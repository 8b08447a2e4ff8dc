//! The named properties (the output ones in `output`). Each returns the violations it found, with evidence
//! a person can act on: the key with expected vs actual value, the missing or
//! duplicated records, the checkpoint id.

use super::evidence::{Evidence, Unreadable};
use super::output::{output, upsert_table, OutputMode};
use super::record::{RunEnd, RunRecord};
use super::reference::Reference;
use super::violation::{examples, Violation, EXAMPLES};
use crate::engine::graph::ExecutionGraph;
use crate::engine::services::log::LogData;
use crate::engine::sink::sink_of;
use crate::engine::state::TaskState;
use crate::scenario::{ExpectedEnd, Guarantee, OperatorKind, Scenario};
use crate::trace::{Event, TraceEvent};
use std::collections::{BTreeMap, BTreeSet};

/// What the properties found: the violations, and the paths only an oracle
/// can see (e.g. duplicates committed), for coverage.
pub struct Judgement {
    pub violations: Vec<Violation>,
    pub observed: Vec<&'static str>,
}

/// Every property, in a fixed order. The output property follows the
/// guarantee the run is judged by: `exactly_once_output`, or
/// `at_least_once_output`; under at-least-once the state properties
/// (`exactly_once_state`, `consistent_cut`) do not apply, since records past
/// a barrier may enter the state and be replayed (L9).
pub fn check_all(
    scenario: &Scenario,
    graph: &ExecutionGraph,
    log: LogData,
    reference: &Reference,
    ev: &Evidence,
) -> Judgement {
    let mut v = vec![];
    let mut observed = vec![];
    v.extend(liveness(scenario, ev));
    let exactly_once = super::output::guarantee(scenario) == Guarantee::ExactlyOnce;
    let modes: BTreeMap<u16, OutputMode> = graph
        .ops
        .iter()
        .filter(|o| o.kind == OperatorKind::Sink)
        .filter_map(|o| Some((o.index, OutputMode::of(scenario, sink_of(o.sink.as_deref()?)?))))
        .collect();
    let output = output(reference, ev, &modes);
    if output.duplicates > 0 {
        observed.push(super::coverage::DUPLICATES_COMMITTED);
    }
    v.extend(output.violations);
    v.extend(upsert_table(reference, ev, &modes, exactly_once));
    if exactly_once {
        v.extend(exactly_once_state(graph, reference, ev));
    }
    v.extend(commit_only_completed(ev));
    v.extend(super::lifecycle::checkpoint_monotonic(graph, ev));
    if exactly_once {
        v.extend(super::consistent_cut::consistent_cut(graph, log, ev));
    }
    v.extend(super::lifecycle::aborted_never_completes(ev));
    v.extend(super::lifecycle::tolerable_failures(scenario, ev));
    v.extend(super::fencing::attempt_fencing(ev));
    v.extend(super::failovers::explained_failovers(scenario, ev));
    Judgement { violations: cap_per_property(v), observed }
}

/// Keeps the first few violations of each property and counts the rest.
fn cap_per_property(all: Vec<Violation>) -> Vec<Violation> {
    let mut kept: Vec<Violation> = vec![];
    let mut dropped: BTreeMap<String, usize> = BTreeMap::new();
    for v in all {
        if kept.iter().filter(|k| k.property == v.property).count() < EXAMPLES {
            kept.push(v);
        } else {
            *dropped.entry(v.property.clone()).or_default() += 1;
        }
    }
    for (property, n) in dropped {
        kept.push(Violation::new(&property, format!("… and {n} more violations of {property}")));
    }
    kept
}

/// Whether fault `i` of the run's plan struck.
fn struck(r: &RunRecord, i: usize) -> bool {
    r.events.iter().any(|e| matches!(&e.event, Event::Fault(act) if act.fault == i && act.strike().is_some()))
}

/// `liveness`: after the faults the job ends as expected within the budget:
/// it finishes, or (`[expect] end = "failed"`, or a swarm plan that destroys
/// a checkpoint) its restart strategy gives up.
pub fn liveness(scenario: &Scenario, ev: &Evidence) -> Vec<Violation> {
    let r = ev.record;
    // A fatal swarm plan expects a failure only once its faults all struck
    // (a checkpoint that never completed cannot be destroyed).
    let fatal = r.expect_failure && (scenario.faults.len()..r.faults.len()).all(|i| struck(r, i));
    let expect_failure = fatal || scenario.expect.end == ExpectedEnd::Failed;
    let why_expected =
        if fatal { "the drawn faults destroy every copy of a checkpoint" } else { "[expect] end = \"failed\"" };
    let mut out = vec![];
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
        RunEnd::Failed => out.push(at_last(failed, Violation::new("liveness", format!("the job failed: {failed_because}")))),
        RunEnd::TimedOut => out.push(
            Violation::new(
                "liveness",
                format!(
                    "the job did not {} by {:.3}s (last fault + finish_within); {} checkpoints completed",
                    if expect_failure { "fail" } else { "finish" },
                    r.deadline.as_secs_f64(),
                    ev.completed.len()
                ),
            )
            .at(r.deadline),
        ),
        RunEnd::WallClockCap => out.push(
            Violation::new(
                "liveness",
                format!(
                    "the run hit the wall-clock cap at {:.3}s simulated, before the job ended; {} checkpoints completed",
                    r.sim_time.as_secs_f64(),
                    ev.completed.len()
                ),
            )
            .at(r.sim_time),
        ),
    }
    let min = scenario.expect.min_completed_checkpoints;
    if (ev.completed.len() as u64) < min && !fatal {
        out.push(Violation::new(
            "liveness",
            format!("{} checkpoints completed, expected at least {min}", ev.completed.len()),
        ));
    }
    out
}

/// `exactly_once_state`: the state in the final checkpoint = reference state.
pub fn exactly_once_state(graph: &ExecutionGraph, reference: &Reference, ev: &Evidence) -> Vec<Violation> {
    let Some(n) = ev.finished_with.filter(|_| ev.record.end == RunEnd::Finished) else { return vec![] };
    let meta = match ev.metadata(n) {
        Ok(meta) => meta,
        Err(Unreadable::Rotted(_)) => return vec![],
        Err(e) => {
            return vec![ev.at_checkpoint(n, Violation::new("exactly_once_state", format!("final checkpoint {n}: {e}")))]
        }
    };
    let mut out = vec![];
    for (op, expected) in &reference.keyed_state {
        let mut actual: BTreeMap<u64, i64> = BTreeMap::new();
        for task in meta.states.keys().copied().filter(|t| t.op == *op) {
            match ev.state(&meta, task) {
                Ok(TaskState::Keyed { values }) => actual.extend(values),
                Ok(other) => out.push(
                    Violation::new(
                        "exactly_once_state",
                        format!("{} in checkpoint {n} holds {other:?}", graph.name(task)),
                    )
                    .task(&graph.name(task)),
                ),
                Err(Unreadable::Rotted(_)) => return vec![],
                Err(e) => out.push(
                    Violation::new("exactly_once_state", format!("{} in final checkpoint {n}: {e}", graph.name(task)))
                        .task(&graph.name(task)),
                ),
            }
        }
        let keys: BTreeSet<u64> = expected.keys().chain(actual.keys()).copied().collect();
        let wrong: Vec<String> = keys
            .into_iter()
            .filter(|k| expected.get(k) != actual.get(k))
            .map(|k| format!("key {k}: expected {}, actual {}", show(expected.get(&k)), show(actual.get(&k))))
            .collect();
        if !wrong.is_empty() {
            let name = &graph.ops[*op as usize].id;
            out.push(Violation::new(
                "exactly_once_state",
                format!("{name}: {} keys differ in final checkpoint {n}: {}", wrong.len(), examples(wrong)),
            ));
        }
    }
    out.into_iter().map(|v| ev.at_checkpoint(n, v)).collect()
}

fn show(v: Option<&i64>) -> String {
    v.map_or("absent".into(), |v| v.to_string())
}

/// `commit_only_completed`: the sink committed only transactions of completed
/// checkpoints, after their completion, each once (I3).
pub fn commit_only_completed(ev: &Evidence) -> Vec<Violation> {
    let mut out = vec![];
    let mut once = BTreeSet::new();
    for t in ev.committed.iter().filter(|t| t.transactional) {
        if !once.insert(t.txn) {
            out.push(
                Violation::new("commit_only_completed", format!("{} committed twice", t.txn)).at(t.at).node("sink"),
            );
        }
        let Some(n) = t.checkpoint else {
            let v = Violation::new("commit_only_completed", format!("{} committed without a pre-commit", t.txn));
            out.push(v.at(t.at).node("sink"));
            continue;
        };
        // Covered when checkpoint n, or a later one that subsumes it (its
        // state lists the transaction as pending), completed before the commit.
        if !ev.completed.range(n..).any(|(_, done)| *done <= t.at) {
            let when = match ev.completed.get(&n) {
                Some(done) => format!("checkpoint {n} completed only at {:.3}s", done.as_secs_f64()),
                None => format!("checkpoint {n} never completed"),
            };
            out.push(
                Violation::new(
                    "commit_only_completed",
                    format!(
                        "{} committed at {:.3}s before any checkpoint ≥ {n} completed ({when})",
                        t.txn,
                        t.at.as_secs_f64()
                    ),
                )
                .at(t.at)
                .node("sink")
                .checkpoint(n),
            );
        }
    }
    out
}
