//! `attempt_fencing`: after attempt a+1 is deployed, nothing of attempt ≤ a
//! has any effect (T7). Judged from durable state and the trace:
//!
//! - acks: every completed checkpoint's metadata (storage) holds only
//!   snapshots of its own attempt, and that attempt was the one deployed;
//! - barriers: every snapshot a task took was for a checkpoint triggered in
//!   the task's own attempt;
//! - records: every record the sink holds for a transaction was emitted by
//!   the transaction's own attempt;
//! - the sink: no write, pre-commit or commit of an attempt below the fence
//!   the sink recorded for that sink subtask (its WAL, in order).

use super::{Case, Judgement, Property};
use crate::engine::keys;
use crate::engine::msg::{Attempt, TxnId};
use crate::engine::services::packed::Packed;
use crate::engine::services::sink::{for_each_entry, Entry};
use crate::oracle::evidence::{Evidence, Unreadable};
use crate::oracle::violation::{examples, Violation};
use crate::scenario::ids::CheckpointId;
use crate::scenario::words::count;
use crate::trace::{Event, TraceEvent};
use std::collections::{BTreeMap, BTreeSet};

/// The `attempt_fencing` property.
pub struct AttemptFencing;

impl Property for AttemptFencing {
    fn names(&self) -> &'static [&'static str] {
        &[PROPERTY]
    }

    fn check(&self, j: &Case, out: &mut Judgement) {
        out.violations.extend(attempt_fencing(j.ev));
    }
}

const PROPERTY: &str = "attempt_fencing";

pub fn attempt_fencing(ev: &Evidence) -> Vec<Violation> {
    let mut out = acks(ev);
    out.extend(barriers(ev));
    out.extend(sink(ev));
    out
}

/// The attempt deployed last before each completion.
fn acks(ev: &Evidence) -> Vec<Violation> {
    let r = ev.record;
    let mut out = vec![];
    // Events are in time order: the last deployment seen so far is the one
    // before the completion (one at the same instant included).
    let mut deployed = None;
    for (i, done) in r.events.iter().enumerate() {
        if let Event::JobDeployed { attempt, .. } = done.event {
            deployed = Some(attempt);
        }
        let Event::CheckpointCompleted { checkpoint: n, .. } = done.event else { continue };
        let same_instant = r.events[i + 1..].iter().take_while(|d| d.time == done.time);
        let deployed = same_instant
            .filter_map(|d| match d.event {
                Event::JobDeployed { attempt, .. } => Some(attempt),
                _ => None,
            })
            .last()
            .or(deployed);
        let meta = match ev.metadata(n) {
            Ok(meta) => meta,
            Err(Unreadable::Rotted(_)) => continue,
            Err(_) => continue, // missing metadata is consistent_cut's finding
        };
        if deployed.is_some_and(|a| a != meta.attempt) {
            let v = Violation::new(
                PROPERTY,
                format!(
                    "checkpoint {n} completed for attempt {} while attempt {deployed:?} was deployed",
                    meta.attempt
                ),
            );
            out.push(ev.at_checkpoint(n, v));
        }
        let foreign: Vec<&str> = meta
            .states
            .values()
            .map(|h| h.key.as_str())
            .filter(|k| keys::attempt_of(k).is_some_and(|a| a != meta.attempt))
            .collect();
        if !foreign.is_empty() {
            let v = Violation::new(
                PROPERTY,
                format!(
                    "checkpoint {n} of attempt {} counts acks of another attempt: {}",
                    meta.attempt,
                    examples(foreign)
                ),
            );
            out.push(ev.at_checkpoint(n, v));
        }
    }
    out
}

/// Snapshots only for checkpoints triggered in the task's attempt.
fn barriers(ev: &Evidence) -> Vec<Violation> {
    let r = ev.record;
    let triggered: BTreeMap<CheckpointId, Attempt> = r
        .events
        .iter()
        .filter_map(|e| match e.event {
            Event::CheckpointTriggered { checkpoint, attempt, .. } => Some((checkpoint, attempt)),
            _ => None,
        })
        .collect();
    let stray: Vec<(&TraceEvent, &str, CheckpointId, String)> = r
        .events
        .iter()
        .filter_map(|e| {
            let Event::SnapshotTaken { task, checkpoint: n, attempt: a } = &e.event else { return None };
            let by = triggered.get(n)?;
            (by != a).then(|| {
                (e, task.as_str(), *n, format!("{task} (attempt {a}) snapshotted checkpoint {n} of attempt {by}"))
            })
        })
        .collect();
    let Some((first, task, n, _)) = stray.first() else { return vec![] };
    // Located at the first stray snapshot.
    let v = Violation::new(
        PROPERTY,
        format!(
            "{} snapshots were taken on a barrier of another attempt: {}",
            stray.len(),
            examples(stray.iter().map(|(.., s)| s))
        ),
    )
    .at(first.time)
    .task(task)
    .checkpoint(*n);
    vec![v]
}

/// The first record of `records` emitted by another attempt than `txn`'s,
/// described. Only the attempts are read unless one differs.
fn of_another_attempt(txn: &TxnId, records: &Packed) -> Option<String> {
    if records.attempts().all(|a| a == txn.attempt) {
        return None;
    }
    let r = records.records().find(|r| r.attempt != txn.attempt)?;
    Some(format!("{} of attempt {} in {txn}", r.origin, r.attempt))
}

/// The sink's WAL: nothing below a fence after it, no foreign records.
fn sink(ev: &Evidence) -> Vec<Violation> {
    let mut fences: BTreeMap<(u16, u16), Attempt> = BTreeMap::new();
    let mut zombie = BTreeSet::new();
    let mut foreign = vec![];
    let below = |fences: &BTreeMap<(u16, u16), Attempt>, txn: &TxnId, by: Attempt| {
        fences.get(&(txn.sink, txn.subtask)).is_some_and(|f| by < *f)
    };
    for_each_entry(&ev.record.disks["sink"], |entry| match entry {
        Entry::Fence { sink, subtask, attempt } => {
            let f = fences.entry((sink, subtask)).or_default();
            *f = (*f).max(attempt);
        }
        Entry::Write { txn, records } => {
            if below(&fences, &txn, txn.attempt) {
                zombie.insert(format!("a write to {txn}"));
            }
            foreign.extend(of_another_attempt(&txn, &records));
        }
        Entry::Append { txn, records, .. } => {
            if below(&fences, &txn, txn.attempt) {
                zombie.insert(format!("an append by {txn}"));
            }
            foreign.extend(of_another_attempt(&txn, &records));
        }
        Entry::PreCommit { txn, .. } if below(&fences, &txn, txn.attempt) => {
            zombie.insert(format!("the pre-commit of {txn}"));
        }
        Entry::Commit { txn, by, .. } if below(&fences, &txn, by) => {
            zombie.insert(format!("the commit of {txn} by attempt {by}"));
        }
        _ => {}
    });
    let mut out = vec![];
    if !zombie.is_empty() {
        out.push(Violation::new(
            PROPERTY,
            format!("the sink accepted {} requests of fenced attempts: {}", zombie.len(), examples(zombie)),
        ));
    }
    if !foreign.is_empty() {
        out.push(Violation::new(
            PROPERTY,
            format!(
                "{} reached a transaction of another attempt: {}",
                count(foreign.len() as u64, "record", "records"),
                examples(foreign)
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::msg::{Origin, Record};

    #[test]
    fn a_record_of_another_attempt_in_a_transaction_is_named() {
        let txn = TxnId { sink: 2, subtask: 0, attempt: 2, seq: 1 };
        let rec =
            |offset, attempt| Record { key: 1, value: 1, origin: Origin { source: 0, partition: 1, offset }, attempt };
        assert_eq!(of_another_attempt(&txn, &Packed::pack(&[rec(5, 2), rec(6, 2)])), None);
        let found = of_another_attempt(&txn, &Packed::pack(&[rec(5, 2), rec(6, 3), rec(7, 1)]));
        assert_eq!(found, Some(format!("{} of attempt 3 in {txn}", rec(6, 3).origin)));
    }
}
