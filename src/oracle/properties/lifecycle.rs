//! Properties of the checkpoint lifecycle, judged from the trace:
//!
//! - `checkpoint_monotonic` — ids increase; completion only with every
//!   task's ack, and only once every blob it names (snapshots, metadata) is
//!   durable in storage; restore only from a completed checkpoint, and from
//!   the latest one completed (L2, L7, L13, L14, L20)
//! - `aborted_never_completes` — a checkpoint announced aborted never
//!   completes and is never restored (L16)
//! - `tolerable_failures` — the job fails over exactly when counted
//!   checkpoint failures exceed `tolerable_failures` (L18), recounted here
//!   from the trace independently of the coordinator

use super::{Case, Judgement, Property};
use crate::engine::graph::ExecutionGraph;
use crate::engine::keys;
use crate::oracle::evidence::Evidence;
use crate::oracle::violation::{examples, Violation};
use crate::scenario::ids::{Attempt, CheckpointId};
use crate::scenario::Scenario;
use crate::trace::event::{AbortReason, FailoverKind};
use crate::trace::{Event, TraceEvent};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The `checkpoint_monotonic` property.
pub struct CheckpointMonotonic;

impl Property for CheckpointMonotonic {
    fn names(&self) -> &'static [&'static str] {
        &["checkpoint_monotonic"]
    }

    fn check(&self, j: &Case, out: &mut Judgement) {
        out.violations.extend(checkpoint_monotonic(j.graph, j.ev));
    }
}

/// The `aborted_never_completes` property.
pub struct AbortedNeverCompletes;

impl Property for AbortedNeverCompletes {
    fn names(&self) -> &'static [&'static str] {
        &["aborted_never_completes"]
    }

    fn check(&self, j: &Case, out: &mut Judgement) {
        out.violations.extend(aborted_never_completes(j.ev));
    }
}

/// The `tolerable_failures` property.
pub struct TolerableFailures;

impl Property for TolerableFailures {
    fn names(&self) -> &'static [&'static str] {
        &["tolerable_failures"]
    }

    fn check(&self, j: &Case, out: &mut Judgement) {
        out.violations.extend(tolerable_failures(j.scenario, j.ev));
    }
}

/// `checkpoint_monotonic`: ids increase; completion only with every task's
/// ack; restore only from a completed checkpoint, and the latest one.
pub fn checkpoint_monotonic(graph: &ExecutionGraph, ev: &Evidence) -> Vec<Violation> {
    let r = ev.record;
    let mut out = vec![];
    let mut last = 0;
    for e in &r.events {
        let Event::CheckpointTriggered { checkpoint: n, .. } = e.event else { continue };
        if n <= last {
            out.push(
                Violation::new(
                    "checkpoint_monotonic",
                    format!("checkpoint {n} triggered at {:.3}s after {last}", e.time.as_secs_f64()),
                )
                .at(e.time)
                .checkpoint(n)
                .node(&e.node),
            );
        }
        last = last.max(n);
    }
    // Every ack and deployment, gathered once: (checkpoint, attempt) → when each task acked.
    let mut acks: BTreeMap<(CheckpointId, Attempt), Vec<(Duration, &str)>> = BTreeMap::new();
    let mut tasks: BTreeMap<Attempt, BTreeSet<&str>> = BTreeMap::new();
    for a in &r.events {
        match &a.event {
            Event::CheckpointAcked { task, checkpoint, attempt } => {
                acks.entry((*checkpoint, *attempt)).or_default().push((a.time, task.as_str()))
            }
            Event::TaskDeployed { task, attempt, .. } => {
                tasks.entry(*attempt).or_default().insert(task.as_str());
            }
            _ => {}
        }
    }
    for e in &r.events {
        let Event::CheckpointCompleted { checkpoint: n, attempt, .. } = e.event else { continue };
        let acked: BTreeSet<&str> = acks
            .get(&(n, attempt))
            .into_iter()
            .flatten()
            .filter(|(t, _)| *t <= e.time)
            .map(|(_, task)| *task)
            .collect();
        // The tasks of that attempt, as deployed (a rescale changes them).
        let deployed: BTreeSet<&str> = tasks.get(&attempt).cloned().unwrap_or_default();
        let all: Vec<&str> = if deployed.is_empty() {
            graph.tasks.values().map(|t| t.name.as_str()).collect()
        } else {
            deployed.into_iter().collect()
        };
        let missing: Vec<&str> = all.into_iter().filter(|t| !acked.contains(t)).collect();
        if !missing.is_empty() {
            out.push(
                Violation::new(
                    "checkpoint_monotonic",
                    format!(
                        "checkpoint {n} completed at {:.3}s without the ack of {}",
                        e.time.as_secs_f64(),
                        examples(missing)
                    ),
                )
                .at(e.time)
                .checkpoint(n)
                .node(&e.node),
            );
        }
    }
    out.extend(durable_before_completion(ev));
    out.extend(restores_from_the_latest(ev));
    out
}

/// Data before metadata before completion (L7, L14): storage's disk says
/// when each blob of a completed checkpoint became durable.
fn durable_before_completion(ev: &Evidence) -> Vec<Violation> {
    let mut out = vec![];
    for (&n, &done) in &ev.completed {
        let Ok(meta) = ev.metadata(n) else { continue }; // unreadable: consistent_cut's finding
        let keys = meta.states.values().map(|h| h.key.clone()).chain([keys::metadata(n)]);
        // Every copy `[storage] replicas` promises, each durable by then: a
        // copy never fsynced counts as late as one fsynced after.
        let late: Vec<String> = keys
            .flat_map(|k| {
                ev.copies_durable_at(&k).into_iter().enumerate().filter_map(move |(r, at)| match at {
                    Some(t) if t <= done => None,
                    Some(t) => Some(format!("{k} copy {r} at {:.3}s", t.as_secs_f64())),
                    None => Some(format!("{k} copy {r} never")),
                })
            })
            .collect();
        if !late.is_empty() {
            let v = Violation::new(
                "checkpoint_monotonic",
                format!(
                    "checkpoint {n} completed at {:.3}s before every copy of its blobs was durable: {}",
                    done.as_secs_f64(),
                    examples(late)
                ),
            );
            out.push(ev.at_checkpoint(n, v));
        }
    }
    out
}

/// Every restore uses a completed checkpoint; each deployment restores the
/// latest one completed before it (L20), and its tasks restore what it said.
fn restores_from_the_latest(ev: &Evidence) -> Vec<Violation> {
    let mut out = vec![];
    let mut chosen: BTreeMap<Attempt, CheckpointId> = BTreeMap::new();
    for d in &ev.record.events {
        let Event::JobDeployed { attempt, restore: n } = d.event else { continue };
        chosen.insert(attempt, n);
        let latest = ev.completed.iter().filter(|(_, t)| **t <= d.time).map(|(id, _)| *id).max().unwrap_or(0);
        if n < latest {
            out.push(
                Violation::new(
                    "checkpoint_monotonic",
                    format!(
                        "attempt {attempt} was deployed to restore checkpoint {n} although checkpoint {latest} had \
                         completed: an older checkpoint was used instead of the latest (L20, FLINK-22502)"
                    ),
                )
                .at(d.time)
                .checkpoint(n)
                .node(&d.node),
            );
        }
    }
    for e in &ev.record.events {
        let Event::TaskRestored { task, attempt, checkpoint: n, .. } = &e.event else { continue };
        let n = *n;
        let located =
            |detail: String| Violation::new("checkpoint_monotonic", detail).at(e.time).checkpoint(n).task(task);
        if ev.completed.get(&n).is_none_or(|t| *t > e.time) {
            out.push(located(format!("{task} restored from checkpoint {n}, which had not completed")));
        } else if let Some(want) = chosen.get(attempt).filter(|want| **want != n) {
            out.push(located(format!("{task} restored checkpoint {n}, but its deployment restores checkpoint {want}")));
        }
    }
    out
}

/// `aborted_never_completes`: once announced aborted, a checkpoint never
/// completes (before or after) and is never restored later.
pub fn aborted_never_completes(ev: &Evidence) -> Vec<Violation> {
    let r = ev.record;
    let mut out = vec![];
    let mut seen = BTreeSet::new();
    // Restores by checkpoint, in time order, gathered once.
    let mut restores: BTreeMap<CheckpointId, Vec<(&TraceEvent, &String)>> = BTreeMap::new();
    for e in &r.events {
        if let Event::TaskRestored { task, checkpoint, .. } = &e.event {
            restores.entry(*checkpoint).or_default().push((e, task));
        }
    }
    for abort in &r.events {
        let Event::CheckpointAborted { checkpoint: n, reason: why } = &abort.event else { continue };
        let n = *n;
        if !seen.insert(n) {
            continue;
        }
        if let Some(done) = ev.completed.get(&n) {
            out.push(
                Violation::new(
                    "aborted_never_completes",
                    format!(
                        "checkpoint {n} was aborted at {:.3}s ({why}) but completed at {:.3}s",
                        abort.time.as_secs_f64(),
                        done.as_secs_f64()
                    ),
                )
                .at(*done)
                .checkpoint(n)
                .node("coordinator"),
            );
        }
        let restored = restores.get(&n).into_iter().flatten().find(|(e, _)| e.time >= abort.time).copied();
        if let Some((e, task)) = restored {
            out.push(
                Violation::new(
                    "aborted_never_completes",
                    format!(
                        "checkpoint {n} was aborted at {:.3}s ({why}) and {task} restored from it at {:.3}s",
                        abort.time.as_secs_f64(),
                        e.time.as_secs_f64()
                    ),
                )
                .at(e.time)
                .checkpoint(n)
                .task(task),
            );
        }
    }
    out
}

/// Whether an abort is a failure L18 counts (expiry, decline, an I/O error
/// at the coordinator); subsumption is not.
fn counted(reason: &AbortReason) -> bool {
    match reason {
        AbortReason::Expired
        | AbortReason::Declined(_)
        | AbortReason::MetadataWriteFailed(_)
        | AbortReason::StoreFailed(_) => true,
        AbortReason::Subsumed => false,
    }
}

/// `tolerable_failures`: recounting L18 from the trace, a failover for
/// checkpoint failures happens exactly when the count goes past
/// `tolerable_failures` (counted once per id, only ids newer than the last
/// completed one, reset by a completion or a new deployment).
pub fn tolerable_failures(scenario: &Scenario, ev: &Evidence) -> Vec<Violation> {
    let tolerable = u64::from(scenario.checkpoint.tolerable_failures);
    let (mut count, mut latest, mut due): (u64, u64, Option<&TraceEvent>) = (0, 0, None);
    let mut counted_ids: BTreeSet<CheckpointId> = BTreeSet::new();
    // Failures count only while a deployment runs (after a failover, aborts
    // of its leftover pending checkpoints are no new failures).
    let mut running = false;
    let mut out = vec![];
    let relevant = ev.record.events.iter().filter(|e| {
        e.node == "coordinator"
            && matches!(
                e.event,
                Event::CheckpointAborted { .. }
                    | Event::CheckpointTriggerFailed { .. }
                    | Event::CheckpointCompleted { .. }
                    | Event::CoordinatorStarted { .. }
                    | Event::JobDeployed { .. }
                    | Event::JobFailover { .. }
                    | Event::JobFinished { .. }
            )
    });
    for e in relevant {
        match &e.event {
            Event::CheckpointCompleted { checkpoint, .. } => (count, latest) = (0, latest.max(*checkpoint)),
            Event::JobDeployed { .. } => (count, running) = (0, true),
            Event::CoordinatorStarted { .. } => (count, running) = (0, false),
            Event::CheckpointAborted { checkpoint: n, reason } if running && counted(reason) && *n > latest => {
                if counted_ids.insert(*n) {
                    count += 1;
                }
                if count > tolerable && due.is_none() {
                    due = Some(e);
                }
            }
            // A failed trigger (no id was used) is newer than any success.
            Event::CheckpointTriggerFailed { .. } if running => {
                count += 1;
                if count > tolerable && due.is_none() {
                    due = Some(e);
                }
            }
            Event::JobFailover { cause: FailoverKind::CheckpointFailures, .. } => {
                if due.take().is_none() {
                    out.push(
                        Violation::new(
                            "tolerable_failures",
                            format!(
                                "the job failed over at {:.3}s for checkpoint failures, but only {count} counted \
                                 failures ≤ tolerable {tolerable} had happened",
                                e.time.as_secs_f64()
                            ),
                        )
                        .at(e.time)
                        .node(&e.node),
                    );
                }
                (count, running) = (0, false);
            }
            Event::JobFailover { .. } | Event::JobFinished { .. } => {
                due = None;
                (count, running) = (0, false);
            }
            _ => {}
        }
        if let Some(d) = due.filter(|d| d.time < e.time) {
            out.push(missed_failover(d, tolerable));
            due = None;
        }
    }
    out.extend(due.map(|d| missed_failover(d, tolerable)));
    out
}

fn missed_failover(failure: &TraceEvent, tolerable: u64) -> Violation {
    let (what, reason, checkpoint) = match &failure.event {
        Event::CheckpointAborted { checkpoint, reason } => {
            (format!("checkpoint {checkpoint}"), reason.to_string(), Some(*checkpoint))
        }
        Event::CheckpointTriggerFailed { reason } => ("a trigger".to_string(), reason.clone(), None),
        _ => ("?".to_string(), "?".to_string(), None),
    };
    let v = Violation::new(
        "tolerable_failures",
        format!(
            "{what} failed at {:.3}s ({reason}), past tolerable_failures = {tolerable}, but the job did not fail over (L18)",
            failure.time.as_secs_f64(),
        ),
    )
    .at(failure.time)
    .node(&failure.node);
    match checkpoint {
        Some(n) => v.checkpoint(n),
        None => v,
    }
}
