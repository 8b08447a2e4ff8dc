//! Coverage of protocol paths (`sometimes` properties): the paths where
//! checkpoint bugs hide, each recognised in a run's trace. A path no seed
//! takes is a path no bug can be caught on, so sweeps count the seeds that
//! took each one (`ckptsim sweep --coverage`) and a sim-test fails when a
//! sweep of the stock scenarios leaves one untaken.
//!
//! `CATALOGUE` holds the engine's paths; a fault kind adds the paths its
//! faults open (`run::faults::kind::Kind::paths`), and `run::coverage`
//! is the whole catalogue.

use super::properties::exactly_once_state::KEYED_STATE_RESTORED;
use super::properties::liveness::STILL_RETRYING;
use super::properties::output::{guarantee, DUPLICATES_COMMITTED};
use crate::engine::protocol::ProtocolKind;
use crate::engine::registry::Registry;
use crate::engine::sink::{Output, SinkKind};
use crate::scenario::ids::CheckpointId;
use crate::scenario::{Guarantee, OperatorKind, Scenario};
use crate::trace::event::{AbortReason, AlignmentAbortCause as Cause, CommitVia, ErrorKind, FailoverKind, OrDash};
use crate::trace::fault_act::Step;
use crate::trace::{Event, TraceEvent};
use std::collections::BTreeSet;

/// One catalogued path.
pub struct Path {
    /// Its name in verdicts and sweeps (`channel_state_persisted`).
    pub name: &'static str,
    /// What happened, in a phrase.
    pub description: &'static str,
    /// Whether a run's events took it.
    pub taken: fn(&[TraceEvent]) -> bool,
    /// Whether a scenario can take it (its protocol, its guarantee, its
    /// checkpoint knobs, its sinks and faults), its components resolved in
    /// the registry: a path its own configuration rules out is not listed
    /// as one it failed to take.
    pub applies: fn(&Scenario, &Registry) -> bool,
}

/// Whether some event satisfies `pred`.
pub fn any(events: &[TraceEvent], pred: impl Fn(&Event) -> bool) -> bool {
    events.iter().any(|e| pred(&e.event))
}

/// Whether a checkpoint was aborted for a reason `pred` accepts.
fn aborted_because(events: &[TraceEvent], pred: impl Fn(&AbortReason) -> bool) -> bool {
    any(events, |e| matches!(e, Event::CheckpointAborted { reason, .. } if pred(reason)))
}

/// The catalogue, in lifecycle order.
pub const CATALOGUE: &[Path] = &[
    Path {
        name: "concurrent_checkpoints",
        description: "more than one checkpoint pending at once",
        taken: |ev| any(ev, |e| matches!(e, Event::CheckpointTriggered { pending, .. } if *pending >= 2)),
        applies: concurrent,
    },
    Path {
        name: "alignment_aborted_with_buffered_records",
        description: "an alignment was abandoned while blocked inputs held buffered records",
        taken: |ev| any(ev, |e| matches!(e, Event::AlignmentAborted { buffered, .. } if *buffered > 0)),
        applies: always,
    },
    Path {
        name: "newer_barrier_aborted_alignment",
        description: "a newer barrier aborted an older checkpoint's alignment at a task (L6)",
        taken: |ev| any(ev, |e| matches!(e, Event::AlignmentAborted { cause: Cause::NewerBarrier, .. })),
        applies: always,
    },
    Path {
        name: "cancel_marker_aborted_alignment",
        description: "a cancel marker (notify-aborted) ended an alignment (L7)",
        taken: |ev| any(ev, |e| matches!(e, Event::AlignmentAborted { cause: Cause::CancelMarker, .. })),
        applies: always,
    },
    Path {
        name: "checkpoint_declined",
        description: "a task declined a checkpoint (its snapshot upload failed)",
        taken: |ev| aborted_because(ev, |r| matches!(r, AbortReason::Declined(_))),
        applies: always,
    },
    Path {
        name: "checkpoint_expired",
        description: "a checkpoint expired before every ack was in",
        taken: |ev| aborted_because(ev, |r| *r == AbortReason::Expired),
        applies: always,
    },
    Path {
        name: "metadata_write_failed",
        description: "writing a checkpoint's metadata to storage failed; the checkpoint aborted (L14)",
        taken: |ev| aborted_because(ev, |r| matches!(r, AbortReason::MetadataWriteFailed(_))),
        applies: always,
    },
    Path {
        name: "store_write_failed",
        description: "storing a completed checkpoint's pointer failed; the checkpoint aborted (L14)",
        taken: |ev| aborted_because(ev, |r| matches!(r, AbortReason::StoreFailed(_))),
        applies: always,
    },
    Path {
        name: "trigger_failed",
        description: "a trigger failed before it left (the id counter could not be made durable), counted (L18)",
        taken: |ev| any(ev, |e| matches!(e, Event::CheckpointTriggerFailed { .. })),
        applies: always,
    },
    Path {
        name: "checkpoint_subsumed",
        description: "a newer completion subsumed a pending checkpoint",
        taken: |ev| aborted_because(ev, |r| *r == AbortReason::Subsumed),
        applies: concurrent,
    },
    Path {
        name: "checkpoint_failure_tolerated",
        description: "a counted checkpoint failure stayed within tolerable_failures",
        taken: tolerated,
        applies: always,
    },
    Path {
        name: "notify_lost",
        description:
            "a completed checkpoint's notification never reached a sink; a later one committed its transaction (T3)",
        taken: notify_lost,
        applies: always,
    },
    Path {
        name: "corrupt_copy_fell_back",
        description: "a checkpoint copy read back corrupt or unreadable and a healthy copy was used",
        taken: |ev| any(ev, |e| matches!(e, Event::StorageReadFallback { .. })),
        applies: always,
    },
    Path {
        name: "recovery_failed_and_retried",
        description: "a restore could not read its checkpoint; the restart strategy retried",
        taken: recovery_retried,
        applies: always,
    },
    Path {
        name: "stale_attempt_fenced",
        description: "a message of a superseded attempt was fenced (dropped or refused)",
        taken: |ev| {
            any(ev, |e| {
                matches!(e, Event::StaleAtCoordinator { .. } | Event::StaleAtWorker { .. } | Event::StaleAtSink { .. })
            })
        },
        applies: always,
    },
    Path {
        name: "zombie_resumed",
        description: "a paused node came back running tasks of an attempt the job had moved past",
        taken: |ev| any(ev, |e| matches!(e, Event::Fault(act) if matches!(act.step, Step::Ended { zombie: Some(_) }))),
        applies: always,
    },
    Path {
        name: "recovered_txn_already_committed",
        description: "a restore re-committed a transaction that was already committed (T1 idempotence)",
        taken: |ev| any(ev, |e| matches!(e, Event::TxnRecoverAlreadyCommitted { .. })),
        applies: always,
    },
    Path {
        name: "open_txn_aborted",
        description: "a restore aborted a transaction still open at the failure; its records, written or still \
                      batched in the writer, come again from the restored offsets (T1)",
        taken: open_txn_aborted,
        applies: |s, r| sinks(s, r).any(|k| k.output() == Output::Transactional),
    },
    Path {
        name: "failover_on_lost_messages",
        description: "a task noticed lost messages (a sequence gap) and failed",
        taken: |ev| any(ev, |e| matches!(e, Event::JobFailover { error: OrDash(Some(ErrorKind::LostMessages)), .. })),
        applies: always,
    },
    Path {
        name: "worker_cancelled_its_tasks",
        description: "a worker that lost the coordinator cancelled its tasks and said so",
        taken: |ev| any(ev, |e| matches!(e, Event::JobFailover { cause: FailoverKind::TasksLost, .. })),
        applies: always,
    },
    Path {
        name: "coordinator_restored_from_store",
        description: "a restarted coordinator read its latest checkpoint back from storage",
        taken: |ev| any(ev, |e| matches!(e, Event::RestoreLoaded { .. })),
        applies: always,
    },
    Path {
        name: "checkpoint_discarded",
        description: "a checkpoint past `retained` was deleted from storage",
        taken: |ev| any(ev, |e| matches!(e, Event::CheckpointDiscarded { .. })),
        applies: always,
    },
    Path {
        name: "completed_after_recovery",
        description: "a checkpoint completed after a failover or a coordinator restart",
        taken: |ev| {
            let first = ev.iter().position(|e| e.event.begins_recovery());
            first.is_some_and(|i| any(&ev[i..], |e| matches!(e, Event::CheckpointCompleted { .. })))
        },
        applies: always,
    },
    Path {
        name: "restart_strategy_gave_up",
        description: "the restart strategy gave up and the job failed",
        taken: |ev| any(ev, |e| matches!(e, Event::JobFailed { .. })),
        applies: |s, _| !outlasts_the_budget(s),
    },
    Path {
        name: STILL_RETRYING,
        description: "the drawn faults destroyed a checkpoint the job needed, and at the end of its budget the \
                      restart strategy was still retrying it (not exhausted yet, as in Flink)",
        taken: |_| false, // `liveness` observes it: it recounts the restart strategy
        applies: may_outlast_the_budget,
    },
    Path {
        name: "channel_state_persisted",
        description: "an unaligned checkpoint that completed kept in-flight records as channel state (L10)",
        taken: channel_state_persisted,
        applies: channel_state,
    },
    Path {
        name: "channel_state_restored",
        description: "a restore replayed channel state before new input (L10)",
        taken: |ev| any(ev, |e| matches!(e, Event::ChannelStateReplayed { records, .. } if *records > 0)),
        applies: channel_state,
    },
    Path {
        name: "backpressured",
        description: "a task's output queue filled up and it stopped taking input until credit came (backpressure)",
        taken: |ev| any(ev, |e| matches!(e, Event::Backpressured { .. })),
        applies: always,
    },
    Path {
        name: "alignment_under_backpressure",
        description: "an in-order barrier waited behind buffers short of credit while a task downstream aligned on it",
        taken: alignment_under_backpressure,
        applies: |s, r| !protocol(s, r).is_some_and(|p| p.barriers_overtake()),
    },
    Path {
        name: "barrier_overtook_output",
        description:
            "a barrier of a checkpoint that completed overtook buffers waiting for credit; they became channel state",
        taken: |ev| {
            let completed = completed(ev);
            any(ev, |e| matches!(e, Event::BarrierOvertook { checkpoint, .. } if completed.contains(checkpoint)))
        },
        applies: channel_state,
    },
    Path {
        name: "forced_aligned_channel",
        description: "an unaligned checkpoint aligned at an operator reading a pointwise or broadcast channel",
        taken: |ev| any(ev, |e| matches!(e, Event::BarrierAligning { forced: true, .. })),
        applies: |s, r| channel_state(s, r) && forced_aligned_edge(s, r),
    },
    Path {
        name: "alignment_timed_out",
        description: "an alignment took longer than aligned_timeout and the checkpoint went unaligned (L11)",
        taken: |ev| any(ev, |e| matches!(e, Event::AlignmentTimedOut { .. })),
        applies: aligned_timeout,
    },
    Path {
        name: DUPLICATES_COMMITTED,
        description: "an at-least-once run committed some records more than once (the weaker guarantee at work)",
        taken: |_| false,
        applies: at_least_once,
    },
    Path {
        name: "committable_after_snapshot",
        description:
            "a committable reached the committer after it had snapshotted that checkpoint (overtaken by the barrier)",
        taken: |ev| any(ev, |e| matches!(e, Event::CommittableAfterSnapshot { .. })),
        applies: |s, r| committer_sink(s, r) && protocol(s, r).is_some_and(|p| p.barriers_overtake()),
    },
    Path {
        name: KEYED_STATE_RESTORED,
        description: "a keyed operator's subtask restored its values per key from a checkpoint (I2)",
        taken: |_| false, // `exactly_once_state` observes it: the trace does not say which tasks are keyed
        applies: |s, _| s.job.operators.iter().any(|o| o.is_keyed()),
    },
    Path {
        name: "chained_operator_restored",
        description: "an operator chained into another's task restored its snapshot with the chain",
        taken: chained_restored,
        applies: |s, _| s.job.chaining && s.job.operators.iter().any(|o| o.chain != Some(false)),
    },
    Path {
        name: "restored_rescaled",
        description: "a task restored under a new parallelism, from every old subtask's snapshot of its operator (L21)",
        taken: |ev| any(ev, |e| matches!(e, Event::TaskRestored { state, .. } if state.0.len() > 1)),
        applies: rescales,
    },
    Path {
        name: "removed_sink_subtask_recovered",
        description: "after a sink was scaled down, a remaining subtask recovered the transactions of a removed one",
        taken: |ev| any(ev, |e| matches!(e, Event::SinkSubtaskRecovered { .. })),
        applies: sink_scaled_down,
    },
    Path {
        name: "scaled_down_sink_recovered_pending",
        description:
            "after a sink was scaled down, a remaining subtask committed a pending transaction of a removed one",
        taken: recovered_pending,
        applies: sink_scaled_down,
    },
    Path {
        name: "committable_of_newer_checkpoint_pending",
        description: "a sink heard checkpoint n complete while it held a pre-committed transaction or committable of \
                      a newer one, which must stay pending",
        taken: |ev| any(ev, |e| matches!(e, Event::NewerCheckpointPending { .. })),
        applies: |s, r| concurrent(s, r) && sinks(s, r).any(|k| k.output() == Output::Transactional),
    },
];

/// A restore committed a pending transaction of a sink subtask that a
/// scale-down removed, and the remaining subtask that recovered it says so.
fn recovered_pending(ev: &[TraceEvent]) -> bool {
    // Transactions restores committed since the job was last deployed.
    let mut restored: Vec<crate::scenario::ids::TxnId> = vec![];
    for e in ev {
        match &e.event {
            Event::JobDeployed { .. } => restored.clear(),
            Event::TxnCommitted { txn, via: CommitVia::Restore, .. } => restored.push(*txn),
            Event::SinkSubtaskRecovered { subtask, .. } if restored.iter().any(|t| t.subtask == *subtask) => {
                return true
            }
            _ => {}
        }
    }
    false
}

/// Whether a sink operator may be scaled down: by a rescale fault of the
/// file, or by its swarm (`sink_scale_down`, or `rescale` with a sink of
/// 2 or more subtasks).
fn sink_scaled_down(s: &Scenario, _: &Registry) -> bool {
    let is_sink =
        |id: Option<&str>| s.job.operators.iter().any(|o| Some(o.id.as_str()) == id && o.kind == OperatorKind::Sink);
    let explicit = s
        .faults
        .iter()
        .filter(|f| f.action == "rescale")
        .any(|f| is_sink(f.params.get("operator").and_then(|o| o.as_str())));
    let wide_sink = s.job.operators.iter().any(|o| o.kind == OperatorKind::Sink && s.parallelism_of(o) >= 2);
    let drawn = s
        .swarm
        .as_ref()
        .is_some_and(|w| w.faults.iter().any(|k| k == "sink_scale_down" || (k == "rescale" && wide_sink)));
    explicit || drawn
}

/// The checkpoints that completed.
/// A restore aborted a transaction that was never pre-committed.
fn open_txn_aborted(ev: &[TraceEvent]) -> bool {
    let pre_committed: BTreeSet<crate::scenario::ids::TxnId> = ev
        .iter()
        .filter_map(|e| match &e.event {
            Event::TxnPreCommitted { txn, .. } => Some(*txn),
            _ => None,
        })
        .collect();
    any(ev, |e| matches!(e, Event::TxnAborted { txn } if !pre_committed.contains(txn)))
}

fn completed(ev: &[TraceEvent]) -> BTreeSet<CheckpointId> {
    ev.iter()
        .filter_map(|e| match e.event {
            Event::CheckpointCompleted { checkpoint, .. } => Some(checkpoint),
            _ => None,
        })
        .collect()
}

/// A completed checkpoint some task of which persisted in-flight records.
fn channel_state_persisted(ev: &[TraceEvent]) -> bool {
    let completed = completed(ev);
    any(ev, |e| {
        matches!(e, Event::ChannelStateComplete { checkpoint, inputs, outputs, .. }
            if inputs + outputs > 0 && completed.contains(checkpoint))
    })
}

/// A barrier queued behind buffers short of credit, for a checkpoint some
/// task aligned on.
fn alignment_under_backpressure(ev: &[TraceEvent]) -> bool {
    let aligned: BTreeSet<CheckpointId> = ev
        .iter()
        .filter_map(|e| match e.event {
            Event::BarrierAligning { checkpoint, .. } => Some(checkpoint),
            _ => None,
        })
        .collect();
    any(ev, |e| matches!(e, Event::BarrierBehindBuffers { checkpoint, .. } if aligned.contains(checkpoint)))
}

/// A task restored whose operator runs chained to another's.
fn chained_restored(ev: &[TraceEvent]) -> bool {
    let chained: BTreeSet<&str> = ev
        .iter()
        .filter_map(|e| match &e.event {
            Event::TaskDeployed { task, chain, .. } if task != chain => Some(task.as_str()),
            _ => None,
        })
        .collect();
    any(ev, |e| matches!(e, Event::TaskRestored { task, .. } if chained.contains(task.as_str())))
}

/// Whether some operator of the job reads a pointwise or broadcast channel.
fn forced_aligned_edge(s: &Scenario, r: &Registry) -> bool {
    crate::engine::job::graph(s, r).ops.iter().any(|o| o.forced_aligned)
}

/// A counted failure (not subsumption) with no failover at the same moment.
fn tolerated(ev: &[TraceEvent]) -> bool {
    ev.iter().any(|a| {
        matches!(&a.event, Event::CheckpointAborted { reason: AbortReason::Expired | AbortReason::Declined(_), .. })
            && !ev.iter().any(|f| matches!(f.event, Event::JobFailover { .. }) && f.time == a.time)
    })
}

/// A transaction of completed checkpoint n committed on the notification of m > n.
fn notify_lost(ev: &[TraceEvent]) -> bool {
    let completed = completed(ev);
    any(ev, |e| {
        matches!(e, Event::TxnCommitted { checkpoint: n, via: CommitVia::Notified(m), .. }
            if m > n && completed.contains(n))
    })
}

/// A failover because a checkpoint could not be read, then a new deployment.
fn recovery_retried(ev: &[TraceEvent]) -> bool {
    let failed = ev.iter().position(|e| {
        matches!(
            e.event,
            Event::JobFailover { cause: FailoverKind::RecoveryFailed, .. }
                | Event::JobFailover { error: OrDash(Some(ErrorKind::Restore)), .. }
        )
    });
    failed.is_some_and(|i| any(&ev[i..], |e| matches!(e, Event::JobDeployed { .. })))
}

/// The names of the `paths` that `events` took, in order; `observed` adds
/// the paths the oracles saw in the durable state.
pub fn paths_taken<'p>(
    paths: impl IntoIterator<Item = &'p Path>,
    events: &[TraceEvent],
    observed: &[&str],
) -> Vec<&'static str> {
    paths.into_iter().filter(|p| (p.taken)(events) || observed.contains(&p.name)).map(|p| p.name).collect()
}

fn always(_: &Scenario, _: &Registry) -> bool {
    true
}

/// More than one checkpoint may be pending (`max_concurrent` above 1, or
/// a swarm that draws it so).
fn concurrent(s: &Scenario, _: &Registry) -> bool {
    let drawn = s.swarm.as_ref().and_then(|w| w.max_concurrent).is_some_and(|(_, high)| high > 1);
    s.checkpoint.max_concurrent > 1 || drawn
}

/// The scenario's protocol.
fn protocol<'r>(s: &Scenario, r: &'r Registry) -> Option<&'r dyn ProtocolKind> {
    r.protocol(&s.checkpoint.protocol).map(|p| &*p.kind)
}

fn channel_state(s: &Scenario, r: &Registry) -> bool {
    protocol(s, r).is_some_and(|p| p.channel_state())
}

/// The kinds of the scenario's sinks.
fn sinks<'r>(s: &'r Scenario, r: &'r Registry) -> impl Iterator<Item = &'r dyn SinkKind> + 'r {
    let sinks = s.job.operators.iter().filter(|o| o.kind == OperatorKind::Sink);
    sinks.filter_map(|o| r.sink(o.sink_name())).map(|k| &*k.kind)
}

fn at_least_once(s: &Scenario, r: &Registry) -> bool {
    guarantee(s, r) == Guarantee::AtLeastOnce || sinks(s, r).any(|k| k.output() == Output::Appended)
}

fn rescales(s: &Scenario, _: &Registry) -> bool {
    let drawn = s.swarm.as_ref().is_some_and(|w| w.faults.iter().any(|k| k == "rescale" || k == "sink_scale_down"));
    s.faults.iter().any(|f| f.action == "rescale") || drawn
}

/// A swarm that may draw a fatal plan (bit rot of every copy of a
/// checkpoint, then a crash), under a restart strategy that may still be
/// retrying when the run's budget ends.
fn may_outlast_the_budget(s: &Scenario, _: &Registry) -> bool {
    let fatal = s.swarm.as_ref().is_some_and(|w| w.faults.iter().any(|k| k == "bit_rot"));
    fatal && outlasts_the_budget(s)
}

/// Whether the restart strategy cannot give up within the run's budget
/// (`finish_within`), failures coming no faster than one a restart delay:
/// `fixed_delay` whose attempts take longer than that; `failure_rate` that
/// cannot pass its limit in that time, or never within its window;
/// `exponential_delay`, which never gives up.
fn outlasts_the_budget(s: &Scenario) -> bool {
    use crate::scenario::RestartKind;
    let (r, budget) = (&s.restart, s.expect.finish_within);
    match r.strategy {
        RestartKind::None => false,
        RestartKind::ExponentialDelay => true,
        RestartKind::FixedDelay => r.delay().saturating_mul(r.attempts()) > budget,
        RestartKind::FailureRate => {
            let max = r.max_failures();
            r.delay().saturating_mul(max + 1) > budget || r.delay().saturating_mul(max) >= r.failure_interval()
        }
    }
}

fn committer_sink(s: &Scenario, r: &Registry) -> bool {
    sinks(s, r).any(|k| k.has_committer())
}

/// A protocol that can time an alignment out: one that aligns, and then
/// keeps channel state (`aligned_timeout`).
fn aligned_timeout(s: &Scenario, r: &Registry) -> bool {
    protocol(s, r).is_some_and(|p| p.channel_state() && !p.barriers_overtake())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::testing::{at, failover};

    fn completed(n: CheckpointId) -> TraceEvent {
        at(10, "coordinator", Event::CheckpointCompleted { checkpoint: n, attempt: 1, acks: 2, end_of_data: false })
    }

    #[test]
    fn only_a_transaction_never_pre_committed_counts_as_open_when_aborted() {
        let txn = |seq| crate::scenario::ids::TxnId { sink: 2, subtask: 0, attempt: 1, seq };
        let pre = |seq| {
            let event = Event::TxnPreCommitted { task: "out[0]".into(), txn: txn(seq), checkpoint: seq, records: 3 };
            at(5, "worker-1", event)
        };
        let aborted = |seq| at(9, "sink", Event::TxnAborted { txn: txn(seq) });
        assert!(!open_txn_aborted(&[pre(1), aborted(1)]), "a pre-committed one");
        assert!(open_txn_aborted(&[pre(1), aborted(2)]), "the open one");
        assert!(!open_txn_aborted(&[pre(1)]));
    }

    #[test]
    fn names_are_unique() {
        let names: BTreeSet<&str> = CATALOGUE.iter().map(|p| p.name).collect();
        assert_eq!(names.len(), CATALOGUE.len());
    }

    #[test]
    fn a_commit_on_a_later_notification_is_a_lost_notify() {
        let commit = |via| {
            let txn = crate::scenario::ids::TxnId { sink: 2, subtask: 0, attempt: 1, seq: 3 };
            let digest = crate::trace::event::Digest(0);
            at(20, "sink", Event::TxnCommitted { txn, checkpoint: 4, via, by: 1, records: 1, digest })
        };
        let taken = |events: &[TraceEvent]| paths_taken(CATALOGUE, events, &[]);
        assert!(taken(&[completed(4), commit(CommitVia::Notified(5))]).contains(&"notify_lost"));
        assert!(!taken(&[completed(4), commit(CommitVia::Notified(4))]).contains(&"notify_lost"));
        assert!(!taken(&[completed(4), commit(CommitVia::Restore)]).contains(&"notify_lost"));
    }

    #[test]
    fn a_tolerated_failure_has_no_failover_at_its_moment() {
        let abort = at(10, "coordinator", Event::CheckpointAborted { checkpoint: 3, reason: AbortReason::Expired });
        assert!(paths_taken(CATALOGUE, std::slice::from_ref(&abort), &[]).contains(&"checkpoint_failure_tolerated"));
        let failover = at(10, "coordinator", failover(FailoverKind::CheckpointFailures, vec![]));
        assert!(!paths_taken(CATALOGUE, &[abort, failover], &[]).contains(&"checkpoint_failure_tolerated"));
    }
}
