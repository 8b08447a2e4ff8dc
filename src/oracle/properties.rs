//! The named properties. Each returns the violations it found, with evidence
//! a person can act on: the key with expected vs actual value, the missing or
//! duplicated records, the checkpoint id.

use super::evidence::{events, Evidence, Unreadable};
use super::reference::Reference;
use super::Violation;
use crate::engine::graph::ExecutionGraph;
use crate::engine::msg::{Origin, TxnId};
use crate::engine::services::log::LogData;
use crate::engine::state::TaskState;
use crate::scenario::{ExpectedEnd, Guarantee, OperatorKind, Scenario, SinkKind};
use crate::sim::world::RunEnd;
use std::collections::{BTreeMap, BTreeSet};

/// How many examples a violation lists.
const EXAMPLES: usize = 5;

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
    let exactly_once = scenario.guarantee() == Guarantee::ExactlyOnce;
    let modes: BTreeMap<u16, OutputMode> = graph
        .ops
        .iter()
        .filter(|o| o.kind == OperatorKind::Sink)
        .map(|o| (o.index, OutputMode::of(scenario, o.sink)))
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

pub(super) fn examples<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|x| x.to_string()).collect();
    let more = items.len().saturating_sub(EXAMPLES);
    let mut s = items.into_iter().take(EXAMPLES).collect::<Vec<_>>().join(", ");
    if more > 0 {
        s += &format!(" (+{more} more)");
    }
    s
}

/// Whether fault `i` of the run's plan struck.
fn struck(r: &crate::sim::world::RunRecord, i: usize) -> bool {
    let index = i.to_string();
    r.events
        .iter()
        .any(|e| e.field("fault") == Some(index.as_str()) && crate::run::outcome::STRIKES.contains(&e.kind.as_str()))
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
    let failed_because = || events(r, "job_failed").last().and_then(|e| e.field("reason")).unwrap_or("?").to_string();
    match r.end {
        RunEnd::Finished if expect_failure => out.push(Violation::new(
            "liveness",
            format!("the job finished, but it was expected to fail ({why_expected})"),
        )),
        RunEnd::Finished => {}
        RunEnd::Failed if expect_failure => {}
        RunEnd::Failed => out.push(Violation::new("liveness", format!("the job failed: {}", failed_because()))),
        RunEnd::TimedOut => out.push(Violation::new(
            "liveness",
            format!(
                "the job did not {} by {:.3}s (last fault + finish_within); {} checkpoints completed",
                if expect_failure { "fail" } else { "finish" },
                r.deadline.as_secs_f64(),
                ev.completed.len()
            ),
        )),
        RunEnd::WallClockCap => out.push(Violation::new(
            "liveness",
            format!(
                "the run hit the wall-clock cap at {:.3}s simulated, before the job ended; {} checkpoints completed",
                r.sim_time.as_secs_f64(),
                ev.completed.len()
            ),
        )),
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

/// How a sink's output is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    ExactlyOnce,
    AtLeastOnce,
    /// An upsert table: judged by `upsert_table`.
    Upsert,
}

impl OutputMode {
    /// From the sink and the protocol, unless `[expect] guarantee` says.
    pub fn of(scenario: &Scenario, sink: SinkKind) -> OutputMode {
        if sink == SinkKind::Upsert {
            return OutputMode::Upsert;
        }
        let guarantee = match (scenario.expect.guarantee, sink) {
            (Some(g), _) => g,
            (None, SinkKind::Plain) => Guarantee::AtLeastOnce,
            (None, _) => scenario.checkpoint.protocol.guarantee(),
        };
        match guarantee {
            Guarantee::ExactlyOnce => OutputMode::ExactlyOnce,
            Guarantee::AtLeastOnce => OutputMode::AtLeastOnce,
        }
    }
}

/// `upsert_table`: an upsert sink's final table holds exactly the keys of
/// the reference's final state, each with its final value (exactly-once
/// effect without transactions); under at-least-once only the keys.
pub fn upsert_table(
    reference: &Reference,
    ev: &Evidence,
    modes: &BTreeMap<u16, OutputMode>,
    exactly_once: bool,
) -> Vec<Violation> {
    if !modes.values().any(|m| *m == OutputMode::Upsert) || ev.record.end != RunEnd::Finished {
        return vec![];
    }
    let tables = crate::engine::services::sink::upsert_tables(&ev.record.disks["sink"]);
    let mut out = vec![];
    for (sink, _) in modes.iter().filter(|(_, m)| **m == OutputMode::Upsert) {
        let Some(want) = reference.sink_final.get(sink) else { continue };
        let empty = BTreeMap::new();
        let have = tables.get(sink).unwrap_or(&empty);
        let keys: BTreeSet<u64> = want.keys().chain(have.keys()).copied().collect();
        let wrong: Vec<String> = keys
            .into_iter()
            .filter_map(|k| match (want.get(&k), have.get(&k)) {
                (Some(w), Some(h)) if !exactly_once || *w == h.value => None,
                (Some(w), Some(h)) => {
                    Some(format!("key {k}: expected {w}, table holds {} (from {})", h.value, h.origin))
                }
                (Some(w), None) => Some(format!("key {k}: expected {w}, missing from the table")),
                (None, Some(h)) => Some(format!("key {k}: in the table ({}) but not in the reference", h.value)),
                (None, None) => None,
            })
            .collect();
        if !wrong.is_empty() {
            out.push(Violation::new(
                "upsert_table",
                format!("{} keys of the final table are wrong: {}", wrong.len(), examples(wrong)),
            ));
        }
    }
    out
}

/// What the output check found.
pub struct OutputCheck {
    pub violations: Vec<Violation>,
    /// Records committed more than once.
    pub duplicates: usize,
}

/// `exactly_once_output`: committed output = reference output: every
/// record once, nothing invented, each key's last value right.
/// `at_least_once_output` (when `exactly_once` is off): every record at
/// least once, nothing invented; duplicates are allowed and counted.
pub fn output(reference: &Reference, ev: &Evidence, modes: &BTreeMap<u16, OutputMode>) -> OutputCheck {
    let mut out = vec![];
    let mut duplicates = 0;
    for (sink, expected) in &reference.sink_records {
        let exactly_once = match modes.get(sink) {
            Some(OutputMode::ExactlyOnce) => true,
            Some(OutputMode::AtLeastOnce) => false,
            _ => continue,
        };
        let property = if exactly_once { "exactly_once_output" } else { "at_least_once_output" };
        // Every committed record by origin (sorted, no per-record allocation),
        // then one merge against the reference's sorted origins.
        let mut seen: Vec<(Origin, TxnId)> = vec![];
        let mut last: BTreeMap<u64, i64> = BTreeMap::new();
        for txn in ev.committed.iter().filter(|t| t.txn.sink == *sink) {
            for r in &txn.records {
                seen.push((r.origin, txn.txn));
                last.insert(r.key, r.value);
            }
        }
        seen.sort_unstable();
        let (missing, dups, unknown) = compare(expected, &seen);
        duplicates += dups.len();
        if !missing.is_empty() && ev.record.end == RunEnd::Finished {
            out.push(Violation::new(
                property,
                format!("{} records never committed: {}", missing.len(), examples(missing)),
            ));
        }
        if !dups.is_empty() && exactly_once {
            out.push(Violation::new(
                property,
                format!("{} records committed more than once: {}", dups.len(), examples(dups)),
            ));
        }
        if !unknown.is_empty() {
            out.push(Violation::new(
                property,
                format!("{} committed records the reference never produced: {}", unknown.len(), examples(unknown)),
            ));
        }
        let finals = reference.sink_final.get(sink).filter(|_| exactly_once);
        if let (Some(finals), RunEnd::Finished) = (finals, &ev.record.end) {
            let wrong: Vec<String> = finals
                .iter()
                .filter(|(k, v)| last.get(k) != Some(v))
                .map(|(k, v)| {
                    format!(
                        "key {k}: expected {v}, committed {}",
                        last.get(k).map_or("nothing".into(), |x| x.to_string())
                    )
                })
                .collect();
            if !wrong.is_empty() {
                out.push(Violation::new(
                    property,
                    format!("{} keys end with a wrong committed value: {}", wrong.len(), examples(wrong)),
                ));
            }
        }
    }
    OutputCheck { violations: out, duplicates }
}

/// The reference's records never committed (or in fewer copies than it
/// made), committed in more copies than it made, and committed but never
/// produced by the reference; `seen` sorted by origin.
fn compare(
    expected: &BTreeMap<Origin, (u64, u32)>,
    seen: &[(Origin, TxnId)],
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut missing, mut dups, mut unknown) = (vec![], vec![], vec![]);
    let mut rest = seen;
    let mut expected = expected.iter().peekable();
    while let Some(&(origin, _)) = rest.first() {
        let same = rest.iter().take_while(|(o, _)| *o == origin).count();
        let (group, tail) = rest.split_at(same);
        while let Some((o, (key, _))) = expected.next_if(|(o, _)| **o < origin) {
            missing.push(format!("{o} (key {key})"));
        }
        match expected.next_if(|(o, _)| **o == origin) {
            None => unknown.push(origin.to_string()),
            Some((_, (key, copies))) if same < *copies as usize => {
                missing.push(format!("{origin} (key {key}; {same} of {copies} copies)"))
            }
            Some((_, (_, copies))) if same > *copies as usize => {
                let txns: Vec<String> = group.iter().map(|(_, t)| t.to_string()).collect();
                let expected = if *copies == 1 { String::new() } else { format!(" ({copies} expected)") };
                dups.push(format!("{origin} in {}{expected}", txns.join(" and ")));
            }
            Some(_) => {}
        }
        rest = tail;
    }
    missing.extend(expected.map(|(o, (key, _))| format!("{o} (key {key})")));
    (missing, dups, unknown)
}

/// `exactly_once_state`: the state in the final checkpoint = reference state.
pub fn exactly_once_state(graph: &ExecutionGraph, reference: &Reference, ev: &Evidence) -> Vec<Violation> {
    let Some(n) = ev.finished_with.filter(|_| ev.record.end == RunEnd::Finished) else { return vec![] };
    let meta = match ev.metadata(n) {
        Ok(meta) => meta,
        Err(Unreadable::Rotted(_)) => return vec![],
        Err(e) => return vec![Violation::new("exactly_once_state", format!("final checkpoint {n}: {e}"))],
    };
    let mut out = vec![];
    for (op, expected) in &reference.keyed_state {
        let mut actual: BTreeMap<u64, i64> = BTreeMap::new();
        for task in meta.states.keys().copied().filter(|t| t.op == *op) {
            match ev.state(&meta, task) {
                Ok(TaskState::Keyed { values }) => actual.extend(values),
                Ok(other) => out.push(Violation::new(
                    "exactly_once_state",
                    format!("{} in checkpoint {n} holds {other:?}", graph.name(task)),
                )),
                Err(Unreadable::Rotted(_)) => return vec![],
                Err(e) => out.push(Violation::new(
                    "exactly_once_state",
                    format!("{} in final checkpoint {n}: {e}", graph.name(task)),
                )),
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
    out
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
            out.push(Violation::new("commit_only_completed", format!("{} committed twice", t.txn)));
        }
        let Some(n) = t.checkpoint else {
            out.push(Violation::new("commit_only_completed", format!("{} committed without a pre-commit", t.txn)));
            continue;
        };
        // Covered when checkpoint n, or a later one that subsumes it (its
        // state lists the transaction as pending), completed before the commit.
        if !ev.completed.range(n..).any(|(_, done)| *done <= t.at) {
            let when = match ev.completed.get(&n) {
                Some(done) => format!("checkpoint {n} completed only at {:.3}s", done.as_secs_f64()),
                None => format!("checkpoint {n} never completed"),
            };
            out.push(Violation::new(
                "commit_only_completed",
                format!(
                    "{} committed at {:.3}s before any checkpoint ≥ {n} completed ({when})",
                    t.txn,
                    t.at.as_secs_f64()
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(offset: u64) -> Origin {
        Origin { source: 0, partition: 0, offset }
    }

    fn txn(seq: u64) -> TxnId {
        TxnId { sink: 2, subtask: 0, attempt: 1, seq }
    }

    #[test]
    fn the_merge_finds_missing_duplicated_and_invented_records() {
        let expected: BTreeMap<Origin, (u64, u32)> =
            [(origin(1), (7, 1)), (origin(2), (8, 1)), (origin(4), (9, 1))].into();
        let seen = [(origin(1), txn(0)), (origin(1), txn(3)), (origin(3), txn(1)), (origin(4), txn(1))];
        let (missing, dups, unknown) = compare(&expected, &seen);
        assert_eq!(missing, vec!["s0p0@2 (key 8)"]);
        assert_eq!(dups, vec!["s0p0@1 in txn-2.0-a1-0 and txn-2.0-a1-3"]);
        assert_eq!(unknown, vec!["s0p0@3"]);
        let (missing, dups, unknown) = compare(&expected, &[]);
        assert_eq!((missing.len(), dups.len(), unknown.len()), (3, 0, 0));
    }

    #[test]
    fn copies_the_reference_made_are_expected_copies() {
        let expected: BTreeMap<Origin, (u64, u32)> = [(origin(1), (7, 2)), (origin(2), (8, 2))].into();
        let seen = [(origin(1), txn(0)), (origin(1), txn(1)), (origin(2), txn(0))];
        let (missing, dups, unknown) = compare(&expected, &seen);
        assert_eq!(missing, vec!["s0p0@2 (key 8; 1 of 2 copies)"]);
        assert!(dups.is_empty() && unknown.is_empty());
    }
}
