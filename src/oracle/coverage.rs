//! Coverage of protocol paths (`sometimes` properties): the paths where
//! checkpoint bugs hide, each recognised in a run's trace. A path no seed
//! takes is a path no bug can be caught on, so sweeps count the seeds that
//! took each one (`ckptsim sweep --coverage`) and a sim-test fails when a
//! swarm sweep leaves one untaken.

use crate::scenario::{FaultAction, Guarantee, Protocol, Scenario, SinkKind};
use crate::trace::TraceEvent;
use std::collections::BTreeSet;

/// One catalogued path.
pub struct Path {
    pub name: &'static str,
    /// What happened, in a phrase.
    pub description: &'static str,
    taken: fn(&[TraceEvent]) -> bool,
    /// Whether a scenario can take it (its protocol, its guarantee).
    pub applies: fn(&Scenario) -> bool,
}

fn any(events: &[TraceEvent], kind: &str, pred: impl Fn(&TraceEvent) -> bool) -> bool {
    events.iter().any(|e| e.kind == kind && pred(e))
}

fn aborted_because(events: &[TraceEvent], reason: &str) -> bool {
    any(events, "checkpoint_aborted", |e| e.field("reason").is_some_and(|r| r.starts_with(reason)))
}

/// The catalogue, in lifecycle order.
pub const CATALOGUE: &[Path] = &[
    Path {
        name: "concurrent_checkpoints",
        description: "more than one checkpoint pending at once",
        taken: |ev| any(ev, "checkpoint_triggered", |e| e.num("pending").unwrap_or(0) >= 2),
        applies: always,
    },
    Path {
        name: "alignment_aborted_with_buffered_records",
        description: "an alignment was abandoned while blocked inputs held buffered records",
        taken: |ev| any(ev, "alignment_aborted", |e| e.num("buffered").unwrap_or(0) > 0),
        applies: always,
    },
    Path {
        name: "newer_barrier_aborted_alignment",
        description: "a newer barrier aborted an older checkpoint's alignment at a task (L6)",
        taken: |ev| any(ev, "alignment_aborted", |e| e.field("cause") == Some("newer barrier")),
        applies: always,
    },
    Path {
        name: "cancel_marker_aborted_alignment",
        description: "a cancel marker (notify-aborted) ended an alignment (L7)",
        taken: |ev| any(ev, "alignment_aborted", |e| e.field("cause") == Some("cancel marker")),
        applies: always,
    },
    Path {
        name: "checkpoint_declined",
        description: "a task declined a checkpoint (its snapshot upload failed)",
        taken: |ev| aborted_because(ev, "declined"),
        applies: always,
    },
    Path {
        name: "checkpoint_expired",
        description: "a checkpoint expired before every ack was in",
        taken: |ev| aborted_because(ev, "expired"),
        applies: always,
    },
    Path {
        name: "metadata_write_failed",
        description: "writing a checkpoint's metadata to storage failed; the checkpoint aborted (L14)",
        taken: |ev| aborted_because(ev, "metadata write failed"),
        applies: always,
    },
    Path {
        name: "store_write_failed",
        description: "storing a completed checkpoint's pointer failed; the checkpoint aborted (L14)",
        taken: |ev| aborted_because(ev, "storing the completed checkpoint failed"),
        applies: always,
    },
    Path {
        name: "trigger_failed",
        description: "a trigger failed before it left (the id counter could not be made durable), counted (L18)",
        taken: |ev| any(ev, "checkpoint_trigger_failed", |_| true),
        applies: always,
    },
    Path {
        name: "checkpoint_subsumed",
        description: "a newer completion subsumed a pending checkpoint",
        taken: |ev| aborted_because(ev, "subsumed"),
        applies: always,
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
        taken: |ev| any(ev, "storage_read_fallback", |_| true),
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
        taken: |ev| any(ev, "stale_message_fenced", |_| true),
        applies: always,
    },
    Path {
        name: "zombie_resumed",
        description: "a paused node came back running tasks of an attempt the job had moved past",
        taken: |ev| any(ev, "fault_resume", |e| e.field("zombie_attempt").is_some()),
        applies: always,
    },
    Path {
        name: "recovered_txn_already_committed",
        description: "a restore re-committed a transaction that was already committed (T1 idempotence)",
        taken: |ev| any(ev, "txn_recover_already_committed", |_| true),
        applies: always,
    },
    Path {
        name: "failover_on_lost_messages",
        description: "a task noticed lost messages (a sequence gap) and failed",
        taken: |ev| any(ev, "job_failover", |e| e.field("error") == Some("lost_messages")),
        applies: always,
    },
    Path {
        name: "worker_cancelled_its_tasks",
        description: "a worker that lost the coordinator cancelled its tasks and said so",
        taken: |ev| any(ev, "job_failover", |e| e.field("cause") == Some("tasks_lost")),
        applies: always,
    },
    Path {
        name: "coordinator_restored_from_store",
        description: "a restarted coordinator read its latest checkpoint back from storage",
        taken: |ev| any(ev, "restore_loaded", |_| true),
        applies: always,
    },
    Path {
        name: "checkpoint_discarded",
        description: "a checkpoint past `retained` was deleted from storage",
        taken: |ev| any(ev, "checkpoint_discarded", |_| true),
        applies: always,
    },
    Path {
        name: "completed_after_recovery",
        description: "a checkpoint completed after a failover",
        taken: |ev| {
            let first = ev.iter().position(|e| e.kind == "job_failover");
            first.is_some_and(|i| ev[i..].iter().any(|e| e.kind == "checkpoint_completed"))
        },
        applies: always,
    },
    Path {
        name: "restart_strategy_gave_up",
        description: "the restart strategy gave up and the job failed",
        taken: |ev| any(ev, "job_failed", |_| true),
        applies: always,
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
        taken: |ev| any(ev, "channel_state_replayed", |e| e.num("records").unwrap_or(0) > 0),
        applies: channel_state,
    },
    Path {
        name: "alignment_timed_out",
        description: "an alignment took longer than aligned_timeout and the checkpoint went unaligned (L11)",
        taken: |ev| any(ev, "alignment_timed_out", |_| true),
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
        taken: |ev| any(ev, "committable_after_snapshot", |_| true),
        applies: |s| committer_sink(s) && s.checkpoint.protocol.barriers_overtake(),
    },
    Path {
        name: "restored_rescaled",
        description: "a task restored under a new parallelism, from every old subtask's snapshot of its operator (L21)",
        taken: |ev| any(ev, "task_restored", |e| e.field("state").is_some_and(|s| s.contains(','))),
        applies: rescales,
    },
    Path {
        name: "removed_sink_subtask_recovered",
        description: "after a sink was scaled down, a remaining subtask recovered the transactions of a removed one",
        taken: |ev| any(ev, "sink_subtask_recovered", |_| true),
        applies: |s| {
            rescales(s)
                && s.faults.iter().any(|f| {
                    f.action == FaultAction::Rescale
                        && s.job.operators.iter().any(|o| {
                            Some(&o.id) == f.operator.as_ref() && o.kind == crate::scenario::OperatorKind::Sink
                        })
                })
        },
    },
];

/// A completed checkpoint some task of which persisted in-flight records.
fn channel_state_persisted(ev: &[TraceEvent]) -> bool {
    let completed: BTreeSet<u64> =
        ev.iter().filter(|e| e.kind == "checkpoint_completed").filter_map(|e| e.num("checkpoint")).collect();
    any(ev, "channel_state_complete", |e| {
        e.num("inputs").unwrap_or(0) + e.num("outputs").unwrap_or(0) > 0
            && e.num("checkpoint").is_some_and(|n| completed.contains(&n))
    })
}

/// A counted failure (not subsumption) with no failover at the same moment.
fn tolerated(ev: &[TraceEvent]) -> bool {
    ev.iter().filter(|e| e.kind == "checkpoint_aborted" && e.field("reason") != Some("subsumed")).any(|a| {
        !ev.iter().any(|f| f.kind == "job_failover" && f.time == a.time)
            && a.field("reason").is_some_and(|r| r.starts_with("expired") || r.starts_with("declined"))
    })
}

/// A transaction of completed checkpoint n committed on the notification of m > n.
fn notify_lost(ev: &[TraceEvent]) -> bool {
    let completed: BTreeSet<u64> =
        ev.iter().filter(|e| e.kind == "checkpoint_completed").filter_map(|e| e.num("checkpoint")).collect();
    any(ev, "txn_committed", |e| match (e.num("checkpoint"), e.num("via")) {
        (Some(n), Some(m)) => m > n && completed.contains(&n),
        _ => false,
    })
}

/// A failover because a checkpoint could not be read, then a new deployment.
fn recovery_retried(ev: &[TraceEvent]) -> bool {
    let failed = ev.iter().position(|e| {
        e.kind == "job_failover" && (e.field("cause") == Some("recovery_failed") || e.field("error") == Some("restore"))
    });
    failed.is_some_and(|i| ev[i..].iter().any(|e| e.kind == "job_deployed"))
}

/// The names of the paths `events` took, in catalogue order; `observed`
/// adds the paths the oracles saw in the durable state.
pub fn paths_taken(events: &[TraceEvent], observed: &[&str]) -> Vec<&'static str> {
    CATALOGUE.iter().filter(|p| (p.taken)(events) || observed.contains(&p.name)).map(|p| p.name).collect()
}

/// Which catalogued paths a scenario can take at all: those of its protocol
/// (and guarantee).
pub fn applicable(scenario: &Scenario) -> Vec<&'static Path> {
    CATALOGUE.iter().filter(|p| (p.applies)(scenario)).collect()
}

/// The oracle-observed path: an at-least-once run committed some record twice.
pub const DUPLICATES_COMMITTED: &str = "duplicates_committed";

fn always(_: &Scenario) -> bool {
    true
}

fn channel_state(s: &Scenario) -> bool {
    s.checkpoint.protocol.has_channel_state()
}

fn at_least_once(s: &Scenario) -> bool {
    s.guarantee() == Guarantee::AtLeastOnce || s.job.operators.iter().any(|o| o.sink == Some(SinkKind::Plain))
}

fn rescales(s: &Scenario) -> bool {
    s.faults.iter().any(|f| f.action == FaultAction::Rescale)
}

fn committer_sink(s: &Scenario) -> bool {
    s.job.operators.iter().any(|o| o.sink == Some(SinkKind::Committer))
}

fn aligned_timeout(s: &Scenario) -> bool {
    s.checkpoint.protocol == Protocol::AlignedTimeout
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(ms: u64, kind: &str, fields: &[(&str, &str)]) -> TraceEvent {
        TraceEvent::at_ms(ms, kind, fields)
    }

    #[test]
    fn names_are_unique() {
        let names: BTreeSet<&str> = CATALOGUE.iter().map(|p| p.name).collect();
        assert_eq!(names.len(), CATALOGUE.len());
    }

    #[test]
    fn a_commit_on_a_later_notification_is_a_lost_notify() {
        let done = ev(10, "checkpoint_completed", &[("checkpoint", "4")]);
        let commit = |via| ev(20, "txn_committed", &[("checkpoint", "4"), ("via", via)]);
        assert!(paths_taken(&[done.clone(), commit("5")], &[]).contains(&"notify_lost"));
        assert!(!paths_taken(&[done.clone(), commit("4")], &[]).contains(&"notify_lost"));
        assert!(!paths_taken(&[done, commit("restore")], &[]).contains(&"notify_lost"));
    }

    #[test]
    fn a_tolerated_failure_has_no_failover_at_its_moment() {
        let abort = ev(10, "checkpoint_aborted", &[("reason", "expired")]);
        assert!(paths_taken(std::slice::from_ref(&abort), &[]).contains(&"checkpoint_failure_tolerated"));
        let failover = ev(10, "job_failover", &[("cause", "checkpoint_failures")]);
        assert!(!paths_taken(&[abort, failover], &[]).contains(&"checkpoint_failure_tolerated"));
    }
}
