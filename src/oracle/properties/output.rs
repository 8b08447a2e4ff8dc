//! The output properties, per sink: `exactly_once_output` (committed
//! output = reference output: every record once, nothing invented, each
//! key's last value right), `at_least_once_output` (every record at least
//! once, nothing invented, duplicates counted), and `upsert_table` (an upsert
//! sink's final table = the reference's final state).

use super::{Case, Judgement, Property};
use crate::engine::msg::{Origin, Record, TxnId};
use crate::engine::protocol::ProtocolKind;
use crate::engine::registry::Registry;
use crate::engine::services::sink::for_each_committed;
use crate::engine::sink::{Output, SinkKind};
use crate::oracle::evidence::Evidence;
use crate::oracle::record::RunEnd;
use crate::oracle::reference::{Copies, Reference};
use crate::oracle::violation::{examples, Violation, EXAMPLES};
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
        let found = output(j);
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
///
/// The committed output streams by once, tallied per offset in one byte a
/// record against the reference's copies; only the transactions of a few
/// duplicated records are looked up again, for the message.
pub fn output(j: &Case) -> OutputCheck {
    let (reference, ev, modes) = (j.reference, j.ev, &j.modes);
    let mut tallies: BTreeMap<u16, Tally> = reference
        .sink_records
        .iter()
        .filter_map(|(sink, expected)| {
            let exactly_once = match modes.get(sink) {
                Some(OutputMode::ExactlyOnce) => true,
                Some(OutputMode::AtLeastOnce) => false,
                _ => return None,
            };
            let finals = exactly_once && reference.sink_final.contains_key(sink);
            Some((*sink, Tally::new(expected, exactly_once, finals)))
        })
        .collect();
    let disk = &ev.record.disks["sink"];
    let again = ev.committed_again();
    for_each_committed(disk, &again, |t, batches| {
        if let Some(tally) = tallies.get_mut(&t.txn.sink) {
            batches.iter().flat_map(|b| b.records()).for_each(|r| tally.commit(&r, t.at));
        }
    });
    let mut out = vec![];
    let mut duplicates = 0;
    for (sink, tally) in &tallies {
        let property = if tally.exactly_once { "exactly_once_output" } else { "at_least_once_output" };
        let key_of = |o: Origin| {
            let source = &j.graph.ops[o.source as usize];
            j.log.read(source, o.partition, o.offset, 1).first().map_or(0, |(key, _)| *key)
        };
        let found = tally.compare(key_of);
        duplicates += found.dups.total as usize;
        let at_sink = |v: Violation, at: Option<Duration>| match at {
            Some(t) => v.at(t).node("sink"),
            None => v,
        };
        if found.missing.total > 0 && ev.record.end == RunEnd::Finished {
            out.push(Violation::new(
                property,
                format!("{} never committed: {}", count(found.missing.total, "record", "records"), found.missing),
            ));
        }
        if found.dups.total > 0 && tally.exactly_once {
            let shown = duplicated_in(disk, &again, *sink, &found.dup_origins);
            let items = found.dup_origins.iter().map(|(o, copies)| {
                let txns: Vec<String> = shown.get(o).into_iter().flatten().map(|t| t.to_string()).collect();
                let expected = if *copies == 1 { String::new() } else { format!(" ({copies} expected)") };
                format!("{o} in {}{expected}", txns.join(" and "))
            });
            let dups = Sample { shown: items.collect(), total: found.dups.total };
            out.push(at_sink(
                Violation::new(
                    property,
                    format!("{} committed more than once: {dups}", count(dups.total, "record", "records")),
                ),
                tally.first_dup_at,
            ));
        }
        if found.unknown.total > 0 {
            out.push(at_sink(
                Violation::new(
                    property,
                    format!(
                        "{} committed records the reference never produced: {}",
                        found.unknown.total, found.unknown
                    ),
                ),
                tally.first_unknown_at,
            ));
        }
        let finals = reference.sink_final.get(sink).filter(|_| tally.exactly_once);
        if let (Some(finals), RunEnd::Finished) = (finals, &ev.record.end) {
            let last = &tally.last;
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

/// The transactions that committed each of `origins` at `sink`, in commit order.
fn duplicated_in(
    disk: &crate::sim::disk::SimDisk,
    again: &BTreeSet<TxnId>,
    sink: u16,
    origins: &[(Origin, u8)],
) -> BTreeMap<Origin, Vec<TxnId>> {
    let mut found: BTreeMap<Origin, Vec<TxnId>> = origins.iter().map(|(o, _)| (*o, vec![])).collect();
    for_each_committed(disk, again, |t, batches| {
        if t.txn.sink == sink {
            for r in batches.iter().flat_map(|b| b.records()) {
                if let Some(txns) = found.get_mut(&r.origin) {
                    txns.push(t.txn);
                }
            }
        }
    });
    found
}

/// One sink's committed output, tallied against the reference's copies as
/// it streams by.
struct Tally<'r> {
    expected: &'r Copies,
    exactly_once: bool,
    /// Per partition the reference knows (`slot`), by offset: copies
    /// committed so far (saturating at 255), next to the copies expected.
    counts: Vec<(Vec<u8>, &'r [u8])>,
    /// Per source operator, per partition: its place in `counts`.
    slot: Vec<Vec<Option<usize>>>,
    /// Committed origins outside every partition and offset the reference
    /// knows (invented), with their copies.
    beyond: BTreeMap<Origin, u32>,
    /// The last value committed per key, when a final value per key is
    /// expected (`keep_last`).
    last: rustc_hash::FxHashMap<u64, i64>,
    keep_last: bool,
    /// When the first copy too many was committed.
    first_dup_at: Option<Duration>,
    /// When the first record the reference never produced was committed.
    first_unknown_at: Option<Duration>,
}

/// What comparing a tally with the reference found.
#[derive(Debug, Default)]
struct Compared {
    /// The reference's records never committed (or in fewer copies than it made).
    missing: Sample,
    /// Records committed in more copies than the reference made.
    dups: Sample,
    /// The first few of them, with the copies the reference made.
    dup_origins: Vec<(Origin, u8)>,
    /// Records committed but never produced by the reference.
    unknown: Sample,
}

impl<'r> Tally<'r> {
    fn new(expected: &'r Copies, exactly_once: bool, keep_last: bool) -> Self {
        let mut slot: Vec<Vec<Option<usize>>> = vec![];
        for (i, &(source, partition)) in expected.keys().enumerate() {
            let (source, partition) = (source as usize, partition as usize);
            if slot.len() <= source {
                slot.resize(source + 1, vec![]);
            }
            if slot[source].len() <= partition {
                slot[source].resize(partition + 1, None);
            }
            slot[source][partition] = Some(i);
        }
        Tally {
            expected,
            exactly_once,
            counts: expected.values().map(|copies| (vec![0; copies.len()], &copies[..])).collect(),
            slot,
            beyond: BTreeMap::new(),
            last: Default::default(),
            keep_last,
            first_dup_at: None,
            first_unknown_at: None,
        }
    }

    /// One committed record, committed at `at` (commits stream in order).
    fn commit(&mut self, r: &Record, at: Duration) {
        if self.keep_last {
            self.last.insert(r.key, r.value);
        }
        let o = r.origin;
        let slot = self.slot.get(o.source as usize).and_then(|s| s.get(o.partition as usize)).copied().flatten();
        let Some((c, expected)) = slot.and_then(|i| {
            let (counts, expected) = &mut self.counts[i];
            Some((counts.get_mut(o.offset as usize)?, expected[o.offset as usize]))
        }) else {
            *self.beyond.entry(o).or_default() += 1;
            self.first_unknown_at = earliest(self.first_unknown_at, Some(at));
            return;
        };
        *c = c.saturating_add(1);
        if expected == 0 {
            self.first_unknown_at = earliest(self.first_unknown_at, Some(at));
        } else if *c == expected.saturating_add(1) {
            self.first_dup_at = earliest(self.first_dup_at, Some(at));
        }
    }

    /// Walks every offset in order; `key_of` finds the key of a missing record.
    fn compare(&self, key_of: impl Fn(Origin) -> u64) -> Compared {
        let mut found = Compared::default();
        let mut unknown = vec![];
        for (&(source, partition), (counts, expected)) in self.expected.keys().zip(&self.counts) {
            for (offset, (&want, &have)) in expected.iter().zip(counts).enumerate() {
                if want == have {
                    continue;
                }
                let origin = Origin { source, partition, offset: offset as u64 };
                if have < want {
                    found.missing.push(|| match (have, want) {
                        (0, 1) => format!("{origin} (key {})", key_of(origin)),
                        _ => format!("{origin} (key {}; {have} of {want} copies)", key_of(origin)),
                    });
                } else if want == 0 {
                    found.unknown.total += 1;
                    if unknown.len() < EXAMPLES {
                        unknown.push(origin);
                    }
                } else {
                    found.dups.total += 1;
                    if found.dup_origins.len() < EXAMPLES {
                        found.dup_origins.push((origin, want));
                    }
                }
            }
        }
        found.unknown.total += self.beyond.len() as u64;
        unknown.extend(self.beyond.keys().take(EXAMPLES));
        unknown.sort_unstable();
        found.unknown.shown = unknown.into_iter().take(EXAMPLES).map(|o| o.to_string()).collect();
        found
    }
}

/// The first few of many items, and how many there were in all.
#[derive(Debug, Default)]
struct Sample {
    shown: Vec<String>,
    total: u64,
}

impl Sample {
    fn push(&mut self, item: impl FnOnce() -> String) {
        if self.shown.len() < EXAMPLES {
            self.shown.push(item());
        }
        self.total += 1;
    }
}

impl std::fmt::Display for Sample {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown.join(", "))?;
        let more = self.total.saturating_sub(self.shown.len() as u64);
        if more > 0 {
            write!(f, " (+{more} more)")?;
        }
        Ok(())
    }
}

fn earliest(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::msg::Record;

    fn origin(offset: u64) -> Origin {
        Origin { source: 0, partition: 0, offset }
    }

    /// Partition s0p0 of `len` offsets, with these copies expected.
    fn expected(len: usize, copies: &[(u64, u8)]) -> Copies {
        let mut v = vec![0; len];
        copies.iter().for_each(|(o, c)| v[*o as usize] = *c);
        [((0, 0), v)].into()
    }

    /// Record `offset` committed at `ms`.
    fn commit(t: &mut Tally, offset: u64, ms: u64) {
        let r = Record { key: offset + 6, value: 1, origin: origin(offset), attempt: 1 };
        t.commit(&r, Duration::from_millis(ms));
    }

    #[test]
    fn the_tally_finds_missing_duplicated_and_invented_records() {
        let expected = expected(5, &[(1, 1), (2, 1), (4, 1)]);
        let mut t = Tally::new(&expected, true, true);
        for (offset, ms) in [(1, 10), (1, 40), (3, 20), (4, 20), (9, 30)] {
            commit(&mut t, offset, ms);
        }
        let found = t.compare(|o| o.offset + 6);
        assert_eq!(found.missing.to_string(), "s0p0@2 (key 8)");
        assert_eq!(found.dup_origins, vec![(origin(1), 1)]);
        assert_eq!(found.unknown.to_string(), "s0p0@3, s0p0@9");
        assert_eq!(found.unknown.total, 2);
        let found = Tally::new(&expected, true, true).compare(|_| 0);
        assert_eq!((found.missing.total, found.dups.total, found.unknown.total), (3, 0, 0));
    }

    #[test]
    fn copies_the_reference_made_are_expected_copies() {
        let expected = expected(3, &[(1, 2), (2, 2)]);
        let mut t = Tally::new(&expected, true, true);
        for (offset, ms) in [(1, 10), (1, 20), (2, 10)] {
            commit(&mut t, offset, ms);
        }
        let found = t.compare(|o| o.offset + 6);
        assert_eq!(found.missing.to_string(), "s0p0@2 (key 8; 1 of 2 copies)");
        assert_eq!((found.dups.total, found.unknown.total), (0, 0));
    }

    #[test]
    fn a_duplicate_is_located_where_the_copy_too_many_was_committed() {
        let expected = expected(3, &[(1, 1), (2, 1)]);
        let mut t = Tally::new(&expected, true, true);
        for (offset, ms) in [(1, 10), (2, 10), (2, 50), (1, 90), (5, 50)] {
            commit(&mut t, offset, ms);
        }
        assert_eq!(t.first_dup_at, Some(Duration::from_millis(50)));
        assert_eq!(t.first_unknown_at, Some(Duration::from_millis(50)));
    }

    #[test]
    fn a_sample_shows_the_first_few_and_counts_the_rest() {
        let mut s = Sample::default();
        (0..7).for_each(|i| s.push(|| i.to_string()));
        assert_eq!(s.to_string(), "0, 1, 2, 3, 4 (+2 more)");
    }
}
