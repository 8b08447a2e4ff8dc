//! The output properties, per sink: `exactly_once_output` (committed
//! output = reference output: every record once, nothing invented, each
//! key's last value right), `at_least_once_output` (every record at least
//! once, nothing invented, duplicates counted), and `upsert_table` (an upsert
//! sink's final table = the reference's final state).

use super::{Case, Judgement, Property};
use crate::engine::msg::{Origin, TxnId};
use crate::engine::protocol::ProtocolKind;
use crate::engine::registry::Registry;
use crate::engine::sink::{Output, SinkKind};
use crate::oracle::evidence::Evidence;
use crate::oracle::record::RunEnd;
use crate::oracle::reference::Reference;
use crate::oracle::violation::{examples, Violation};
use crate::scenario::words::count;
use crate::scenario::{Guarantee, Scenario};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The output property of each sink: `exactly_once_output` or
/// `at_least_once_output`, as the sink and the guarantee say.
pub struct SinkOutput;

impl Property for SinkOutput {
    fn names(&self) -> &'static [&'static str] {
        &["exactly_once_output", "at_least_once_output"]
    }

    fn check(&self, j: &Case, out: &mut Judgement) {
        let found = output(j.reference, j.ev, &j.modes);
        if found.duplicates > 0 {
            out.observed.push(DUPLICATES_COMMITTED);
        }
        out.violations.extend(found.violations);
    }
}

/// The `upsert_table` property.
pub struct UpsertTable;

impl Property for UpsertTable {
    fn names(&self) -> &'static [&'static str] {
        &["upsert_table"]
    }

    fn check(&self, j: &Case, out: &mut Judgement) {
        out.violations.extend(upsert_table(j.reference, j.ev, &j.modes, j.exactly_once));
    }
}

/// The path only this property can see (coverage): an at-least-once run
/// committed some record twice.
pub const DUPLICATES_COMMITTED: &str = "duplicates_committed";

/// How a sink's output is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    ExactlyOnce,
    AtLeastOnce,
    /// An upsert table: judged by `upsert_table`.
    Upsert,
}

/// The output guarantee a run is judged by: `[expect] guarantee`, else
/// what the protocol gives.
pub fn guarantee(s: &Scenario, registry: &Registry) -> Guarantee {
    let protocol = || registry.protocol(&s.checkpoint.protocol).map_or(Guarantee::ExactlyOnce, |p| p.kind.guarantee());
    s.expect.guarantee.unwrap_or_else(protocol)
}

impl OutputMode {
    /// From the sink and the protocol, unless `[expect] guarantee` says.
    pub fn of(scenario: &Scenario, protocol: &dyn ProtocolKind, sink: &dyn SinkKind) -> OutputMode {
        let guarantee = match (scenario.expect.guarantee, sink.output()) {
            (_, Output::Table) => return OutputMode::Upsert,
            (Some(g), _) => g,
            (None, Output::Appended) => Guarantee::AtLeastOnce,
            (None, Output::Transactional) => protocol.guarantee(),
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
                format!(
                    "{} of the final table {} wrong: {}",
                    count(wrong.len() as u64, "key", "keys"),
                    if wrong.len() == 1 { "is" } else { "are" },
                    examples(wrong)
                ),
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
        let mut seen: Vec<Commit> = vec![];
        let mut last: BTreeMap<u64, i64> = BTreeMap::new();
        for txn in ev.committed.iter().filter(|t| t.txn.sink == *sink) {
            for r in &txn.records {
                seen.push((r.origin, txn.txn, txn.at));
                last.insert(r.key, r.value);
            }
        }
        seen.sort_unstable();
        let Compared { missing, dups, unknown, first_dup_at, first_unknown_at } = compare(expected, &seen);
        duplicates += dups.len();
        let at_sink = |v: Violation, at: Option<Duration>| match at {
            Some(t) => v.at(t).node("sink"),
            None => v,
        };
        if !missing.is_empty() && ev.record.end == RunEnd::Finished {
            out.push(Violation::new(
                property,
                format!("{} never committed: {}", count(missing.len() as u64, "record", "records"), examples(missing)),
            ));
        }
        if !dups.is_empty() && exactly_once {
            out.push(at_sink(
                Violation::new(
                    property,
                    format!(
                        "{} committed more than once: {}",
                        count(dups.len() as u64, "record", "records"),
                        examples(dups)
                    ),
                ),
                first_dup_at,
            ));
        }
        if !unknown.is_empty() {
            let n = unknown.len();
            out.push(at_sink(
                Violation::new(
                    property,
                    format!("{n} committed records the reference never produced: {}", examples(unknown)),
                ),
                first_unknown_at,
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
                    format!(
                        "{} with a wrong committed value: {}",
                        if wrong.len() == 1 { "1 key ends".to_string() } else { format!("{} keys end", wrong.len()) },
                        examples(wrong)
                    ),
                ));
            }
        }
    }
    OutputCheck { violations: out, duplicates }
}

/// One committed record: where it came from, the transaction and when.
type Commit = (Origin, TxnId, Duration);

/// What the merge of committed records against the reference found.
#[derive(Debug, Default)]
struct Compared {
    /// The reference's records never committed (or in fewer copies than it made).
    missing: Vec<String>,
    /// Records committed in more copies than the reference made.
    dups: Vec<String>,
    /// Records committed but never produced by the reference.
    unknown: Vec<String>,
    /// When the first copy too many was committed.
    first_dup_at: Option<Duration>,
    /// When the first record the reference never produced was committed.
    first_unknown_at: Option<Duration>,
}

/// Merges the committed records (`seen`, sorted by origin) against the
/// reference's.
fn compare(expected: &BTreeMap<Origin, (u64, u32)>, seen: &[Commit]) -> Compared {
    let mut found = Compared::default();
    let mut rest = seen;
    let mut expected = expected.iter().peekable();
    while let Some(&(origin, _, _)) = rest.first() {
        let same = rest.iter().take_while(|(o, _, _)| *o == origin).count();
        let (group, tail) = rest.split_at(same);
        while let Some((o, (key, _))) = expected.next_if(|(o, _)| **o < origin) {
            found.missing.push(format!("{o} (key {key})"));
        }
        match expected.next_if(|(o, _)| **o == origin) {
            None => {
                found.unknown.push(origin.to_string());
                let first = group.iter().map(|(_, _, at)| *at).min();
                found.first_unknown_at = earliest(found.first_unknown_at, first);
            }
            Some((_, (key, copies))) if same < *copies as usize => {
                found.missing.push(format!("{origin} (key {key}; {same} of {copies} copies)"))
            }
            Some((_, (_, copies))) if same > *copies as usize => {
                let txns: Vec<String> = group.iter().map(|(_, t, _)| t.to_string()).collect();
                let expected = if *copies == 1 { String::new() } else { format!(" ({copies} expected)") };
                found.dups.push(format!("{origin} in {}{expected}", txns.join(" and ")));
                let excess = nth_commit(group, *copies as usize);
                found.first_dup_at = earliest(found.first_dup_at, excess);
            }
            Some(_) => {}
        }
        rest = tail;
    }
    found.missing.extend(expected.map(|(o, (key, _))| format!("{o} (key {key})")));
    found
}

fn earliest(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// When the `n`-th copy (from 0) of a record was committed.
fn nth_commit(group: &[Commit], n: usize) -> Option<Duration> {
    let mut times: Vec<Duration> = group.iter().map(|(_, _, at)| *at).collect();
    times.sort_unstable();
    times.get(n).copied()
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

    /// Record `offset` committed in transaction `seq` at `ms`.
    fn commit(offset: u64, seq: u64, ms: u64) -> Commit {
        (origin(offset), txn(seq), Duration::from_millis(ms))
    }

    #[test]
    fn the_merge_finds_missing_duplicated_and_invented_records() {
        let expected: BTreeMap<Origin, (u64, u32)> =
            [(origin(1), (7, 1)), (origin(2), (8, 1)), (origin(4), (9, 1))].into();
        let seen = [commit(1, 0, 10), commit(1, 3, 40), commit(3, 1, 20), commit(4, 1, 20)];
        let found = compare(&expected, &seen);
        assert_eq!(found.missing, vec!["s0p0@2 (key 8)"]);
        assert_eq!(found.dups, vec!["s0p0@1 in txn-2.0-a1-0 and txn-2.0-a1-3"]);
        assert_eq!(found.unknown, vec!["s0p0@3"]);
        let found = compare(&expected, &[]);
        assert_eq!((found.missing.len(), found.dups.len(), found.unknown.len()), (3, 0, 0));
    }

    #[test]
    fn copies_the_reference_made_are_expected_copies() {
        let expected: BTreeMap<Origin, (u64, u32)> = [(origin(1), (7, 2)), (origin(2), (8, 2))].into();
        let seen = [commit(1, 0, 10), commit(1, 1, 20), commit(2, 0, 10)];
        let found = compare(&expected, &seen);
        assert_eq!(found.missing, vec!["s0p0@2 (key 8; 1 of 2 copies)"]);
        assert!(found.dups.is_empty() && found.unknown.is_empty());
    }

    #[test]
    fn a_duplicate_is_located_where_the_copy_too_many_was_committed() {
        let expected: BTreeMap<Origin, (u64, u32)> = [(origin(1), (7, 1)), (origin(2), (8, 1))].into();
        let seen = [commit(1, 3, 90), commit(1, 0, 10), commit(2, 0, 10), commit(2, 2, 50), commit(5, 2, 50)];
        let found = compare(&expected, &seen);
        assert_eq!(found.first_dup_at, Some(Duration::from_millis(50)), "{found:?}");
        assert_eq!(found.first_unknown_at, Some(Duration::from_millis(50)));
    }
}
