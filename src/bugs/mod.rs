//! The bug zoo: planted bugs that each model a real checkpointing mistake.
//! An oracle that no planted bug trips has no teeth; `sim-tests/bug_zoo.rs`
//! proves each one is caught within 64 seeds while the correct engine passes.
//!
//! `ZOO` is the one table: a bug's name, what it breaks, the mistake and the
//! incident it models, where it is caught, and how it is planted. A bug
//! that belongs to one component is a wrong component (`mutants`, one file
//! each, written against the public API) put in the place of the correct
//! one in the registry; a bug inside the engine's runtime is a switch of a
//! core's bug struct (`engine::cluster::Bugs`). A new bug is a row here and
//! its mutant file, or the switch in the core it breaks.

mod mutants;

use crate::engine::cluster::Bugs;
use crate::engine::registry::{Registry, RegistryError};
use mutants::{commit_on_snapshot, delta_snapshot_as_full, skip_alignment};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// Where a planted bug is caught: a stock scenario and the property that
/// fails there (`sim-tests/bug_zoo.rs` proves it, `ckptsim zoo` measures it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Catch {
    /// The stock scenario file, from the crate root (`scenarios/worker-crash.toml`).
    pub scenario: &'static str,
    /// The property whose violation shows the bug (`exactly_once_output`).
    pub property: &'static str,
}

/// `at!(scenario, property)`: a `Catch` literal (promotable to `'static`).
macro_rules! at {
    ($scenario:expr, $property:expr) => {
        Catch { scenario: $scenario, property: $property }
    };
}

/// One planted bug.
#[derive(Debug)]
pub struct Planted {
    /// `--bug NAME`, `bug = "NAME"`.
    pub name: &'static str,
    /// What it breaks, in one line (`ckptsim bugs`).
    pub description: &'static str,
    /// The mistake it models, and why an oracle must catch it.
    pub models: &'static str,
    /// The real mistake or incident it models.
    pub incident: &'static str,
    /// The stock scenarios and properties that catch it; the first is the
    /// one `ckptsim zoo` measures.
    pub catches: &'static [Catch],
    /// How it is planted.
    pub(crate) plant: Plant,
}

/// How a planted bug gets into a run.
pub(crate) enum Plant {
    /// A switch thrown on the bug struct of the engine core it breaks.
    Switch(fn(&mut Bugs)),
    /// A wrong component put in the place of a registered one.
    Mutant(fn(&mut Registry) -> Result<(), RegistryError>),
}

impl fmt::Debug for Plant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Plant::Switch(_) => "switch",
            Plant::Mutant(_) => "mutant",
        })
    }
}

/// A sink kind's registered component, wrapped by `wrap` in its place.
fn wrap_sink(
    r: &mut Registry,
    name: &str,
    wrap: fn(Arc<dyn crate::engine::sink::SinkKind>) -> Arc<dyn crate::engine::sink::SinkKind>,
) -> Result<(), RegistryError> {
    let inner = r.sink(name).ok_or_else(|| RegistryError::Unknown { what: "sink", name: name.into() })?.kind.clone();
    r.replace_sink(name, wrap(inner))
}

/// A keyed operator's registered component, wrapped by `wrap` in its place.
fn wrap_keyed(
    r: &mut Registry,
    name: &str,
    wrap: fn(Arc<dyn crate::engine::keyed::KeyedKind>) -> Arc<dyn crate::engine::keyed::KeyedKind>,
) -> Result<(), RegistryError> {
    let inner =
        r.keyed(name).ok_or_else(|| RegistryError::Unknown { what: "operator", name: name.into() })?.kind.clone();
    r.replace_keyed(name, wrap(inner))
}

/// Every planted bug, in the order `ckptsim bugs` lists them.
pub const ZOO: &[Planted] = &[
    Planted {
        name: "skip_alignment",
        description: "snapshot on the first barrier without blocking the other inputs (breaks L5)",
        models: "A task snapshots on the first barrier without blocking its other inputs, so records from a \
             slower input that precede their barrier are covered by the source offsets but missing from the \
             state: the inconsistent cut that alignment exists to prevent (ABS paper §3, L5).",
        incident: "why alignment exists (ABS paper, Carbone et al. 2015, §3)",
        catches: &[
            at!("scenarios/worker-crash.toml", "exactly_once_state"),
            at!("scenarios/no-faults.toml", "consistent_cut"),
        ],
        plant: Plant::Mutant(|r| r.replace_protocol("aligned", Arc::new(skip_alignment::SkipAlignment))),
    },
    Planted {
        name: "commit_on_snapshot",
        description: "the 2PC sink commits at pre-commit instead of on notify-complete (breaks T3)",
        models: "The 2PC sink commits its transaction at pre-commit instead of on notify-complete, so output of a \
             checkpoint that later fails is already visible and is produced again after recovery (T2/T3; the \
             classic \"commit in snapshotState\" mistake).",
        incident: "committing in snapshotState, the classic hand-written sink mistake",
        catches: &[at!("scenarios/worker-crash.toml", "commit_only_completed")],
        plant: Plant::Mutant(|r| {
            wrap_sink(r, "two_phase_commit", |inner| Arc::new(commit_on_snapshot::CommitOnSnapshot(inner)))
        }),
    },
    Planted {
        name: "no_offset_restore",
        description: "sources ignore the checkpointed offsets on restore and replay from 0 (breaks L4)",
        models: "Sources do not seek to the checkpointed offsets on restore and start from the beginning of their \
             partitions, replaying records the restored state already counted (L4, recovery; a lost or \
             ignored offset store).",
        incident: "a source that resumes from its own offset store, not the checkpoint",
        catches: &[at!("scenarios/worker-crash.toml", "exactly_once_output")],
        plant: Plant::Switch(|b| b.task.no_offset_restore = true),
    },
    Planted {
        name: "complete_without_all_acks",
        description: "a checkpoint completes when all but one task acked (breaks L13)",
        models: "The coordinator completes a checkpoint when all but one task acked, so a completed checkpoint \
             can miss a task's state (L13; an off-by-one in ack counting).",
        incident: "an off-by-one in ack counting",
        catches: &[at!("scenarios/worker-crash.toml", "consistent_cut")],
        plant: Plant::Switch(|b| b.coordinator.complete_without_all_acks = true),
    },
    Planted {
        name: "ignore_sequence_gaps",
        description: "input channels ignore buffer sequence gaps after a broken connection (I1)",
        models: "Input channels do not check buffer sequence numbers, so a buffer lost with a broken connection \
             goes unnoticed and the task computes on partial input (Flink fails on a sequence mismatch; a \
             TCP-is-reliable assumption forgets that connections break).",
        incident: "trusting TCP across reconnects (Flink checks buffer sequence numbers)",
        catches: &[at!("scenarios/lossy-network-start.toml", "exactly_once_output")],
        plant: Plant::Switch(|b| b.task.ignore_sequence_gaps = true),
    },
    Planted {
        name: "ack_before_durable",
        description: "a task acks before its snapshot is durable in storage (breaks L7/L12)",
        models: "A task acks its checkpoint right after the synchronous snapshot and uploads the state \
             afterwards, so a checkpoint can complete while (or although) its data never became durable \
             (breaks L7/L12).",
        incident: "acking before the state upload is durable",
        catches: &[at!("scenarios/storage-slow-crash.toml", "checkpoint_monotonic")],
        plant: Plant::Switch(|b| b.task.ack_before_durable = true),
    },
    Planted {
        name: "metadata_before_data",
        description: "the coordinator completes before the metadata write is durable (breaks L14)",
        models: "The coordinator moves its durable latest-completed pointer and completes the checkpoint \
             (notifying the sinks) as soon as every ack is in, while the checkpoint's metadata is still being \
             written to storage; a failed metadata write leaves a pointer, and committed output, for a \
             checkpoint that does not exist (breaks L14: data before metadata).",
        incident: "completing before _metadata is durable",
        catches: &[at!("scenarios/metadata-write-lost.toml", "checkpoint_monotonic")],
        plant: Plant::Switch(|b| b.coordinator.metadata_before_data = true),
    },
    Planted {
        name: "no_fencing",
        description: "the sink accepts writes and commits of a fenced zombie attempt (breaks T7)",
        models: "The sink store does not check fences: a zombie task of an older attempt can still write, pre- \
             commit and commit after the new attempt fenced it (breaks T7; the reason Kafka has producer \
             epochs).",
        incident: "zombie writers without producer epochs (Kafka KIP-98 fencing)",
        catches: &[at!("scenarios/pause-zombie.toml", "attempt_fencing")],
        plant: Plant::Switch(|b| b.sink_store.no_fencing = true),
    },
    Planted {
        name: "ignore_checksum",
        description: "storage and restore skip checksums, so a rotted snapshot is restored",
        models: "Checkpoint storage and the restoring task skip checksum verification, so a rotted copy of a \
             snapshot is restored instead of a healthy one.",
        incident: "restoring a corrupt snapshot without verifying it",
        catches: &[at!("scenarios/bit-rot-one-copy.toml", "exactly_once_output")],
        plant: Plant::Switch(|b| (b.storage.ignore_checksum, b.task.ignore_checksum) = (true, true)),
    },
    Planted {
        name: "restart_gives_up_early",
        description: "the restart strategy gives up one failure before it is exhausted",
        models: "fixed_delay allows one attempt fewer than `attempts`, failure_rate one failure fewer than \
             `max_failures` within the interval: a job at the exact limit of its strategy fails where Flink's \
             would restart it (an off-by-one in counting failures against the limit; Flink's \
             FixedDelayRestartBackoffTimeStrategy restarts while failures ≤ maxNumberRestartAttempts).",
        incident: "an off-by-one against the restart limit",
        catches: &[
            at!("scenarios/restart-attempts-at-the-limit.toml", "restart_strategy"),
            at!("scenarios/restart-rate-at-the-limit.toml", "restart_strategy"),
            at!("scenarios/restart-attempts-past-the-limit.toml", "restart_strategy"),
            at!("scenarios/restart-rate-past-the-limit.toml", "restart_strategy"),
        ],
        plant: Plant::Switch(|b| b.coordinator.restart_gives_up_early = true),
    },
    Planted {
        name: "restart_gives_up_late",
        description: "the restart strategy gives up one failure after it is exhausted",
        models: "fixed_delay allows one attempt more than `attempts`, failure_rate one failure more than \
             `max_failures` within the interval: a job one failure past its strategy's limit restarts once \
             more where Flink's would fail (an off-by-one in counting failures against the limit).",
        incident: "an off-by-one against the restart limit",
        catches: &[
            at!("scenarios/restart-attempts-past-the-limit.toml", "restart_strategy"),
            at!("scenarios/restart-rate-past-the-limit.toml", "restart_strategy"),
        ],
        plant: Plant::Switch(|b| b.coordinator.restart_gives_up_late = true),
    },
    Planted {
        name: "ack_one_copy_synced",
        description: "storage acks a put once its first copy is durable; the others are never fsynced",
        models: "A replicated checkpoint store that acknowledges a write once one replica has it on disk, while \
             the other copies it promises stay in the page cache: the checkpoint completes with one durable \
             copy instead of `replicas` (breaks L7/L14; the oracle must see copies that were never synced, \
             not only late ones).",
        incident: "a store acking before its replicas are durable",
        catches: &[at!("scenarios/worker-crash.toml", "checkpoint_monotonic")],
        plant: Plant::Switch(|b| b.storage.ack_one_copy_synced = true),
    },
    Planted {
        name: "fallback_to_older_checkpoint",
        description: "an unreadable latest checkpoint is skipped for an older one (FLINK-22502, breaks L20)",
        models: "When the latest checkpoint cannot be read, recovery silently restores the one before it \
             (retained ≥ 2), re-committing output committed since (the FLINK-22502 bug: \"running with an \
             incomplete set of checkpoints can lead to consistency violation\"; breaks L20).",
        incident: "FLINK-22502",
        catches: &[
            at!("scenarios/bit-rot-all-copies.toml", "checkpoint_monotonic"),
            at!("scenarios/bit-rot-all-copies.toml", "exactly_once_output"),
            // Where the correct engine keeps retrying an unreadable
            // checkpoint (`still_retrying_unrecoverable_checkpoint`), this
            // bug falls back instead.
            at!("scenarios/swarm-generous-restart.toml", "checkpoint_monotonic"),
        ],
        plant: Plant::Switch(|b| b.coordinator.fallback_to_older = true),
    },
    Planted {
        name: "recover_rejects_committed",
        description: "sink recovery fails on an already committed transaction (FLINK-8086)",
        models: "On restore the sink fails when a transaction recorded in the checkpoint was already committed, \
             so restoring twice from the same checkpoint loops on failures (FLINK-8086: \
             ProducerFencedException on recommitting a recovered Kafka transaction; breaks T1/T4 \
             idempotence).",
        incident: "FLINK-8086",
        catches: &[at!("scenarios/worker-crash.toml", "explained_failovers")],
        plant: Plant::Switch(|b| b.sink_store.recover_rejects_committed = true),
    },
    Planted {
        name: "success_before_store",
        description: "checkpoint success counted before the store; store failures uncounted (FLINK-32347)",
        models: "The coordinator resets its failure counter as soon as every ack is in, before the completed \
             checkpoint is stored, and does not count a failed store (FLINK-32347: \"exceptions from the \
             CompletedCheckpointStore are not registered by the CheckpointFailureManager\"; breaks L14/L18).",
        incident: "FLINK-32347",
        catches: &[at!("scenarios/coordinator-disk-errors.toml", "tolerable_failures")],
        plant: Plant::Switch(|b| b.coordinator.success_before_store = true),
    },
    Planted {
        name: "abort_drops_buffered",
        description: "an abandoned alignment drops the records buffered on blocked inputs (L6/L7)",
        models: "When an alignment is abandoned (a newer barrier, or a cancel marker), the task throws away the \
             records it had buffered on blocked inputs instead of processing them (breaks L6/L7: abort must \
             not lose data).",
        incident: "an abandoned alignment losing its buffers",
        catches: &[at!("scenarios/alignment-expires.toml", "exactly_once_output")],
        plant: Plant::Switch(|b| b.task.abort_drops_buffered = true),
    },
    Planted {
        name: "pointer_to_aborted_checkpoint",
        description: "a late metadata write moves the latest pointer to an aborted checkpoint (L14/L16)",
        models: "A metadata write that lands after its checkpoint was aborted (held by a partition past the \
             timeout) still moves the coordinator's durable latest-completed pointer to it, so a restarted \
             coordinator restores an aborted checkpoint (the bug ckptsim's own swarm found in its engine, \
             issue #5; breaks L14/L16).",
        incident: "ckptsim issue #5 (found by its own swarm)",
        catches: &[at!("scenarios/late-metadata-write.toml", "aborted_never_completes")],
        plant: Plant::Switch(|b| b.coordinator.store_aborted = true),
    },
    Planted {
        name: "commit_only_notified",
        description: "notify-complete(n) commits only n's transaction, forgetting older ones (T3)",
        models: "On notify-complete(n) the 2PC sink commits only the transaction of checkpoint n and forgets \
             older pending ones, instead of every pending transaction up to n: a lost notification loses that \
             checkpoint's output (breaks T3; notifications are best effort, L19).",
        incident: "treating notify-complete as reliable (it is best effort)",
        catches: &[at!("scenarios/notify-lost.toml", "exactly_once_output")],
        plant: Plant::Switch(|b| b.transactions.commit_only_notified = true),
    },
    Planted {
        name: "pre_commit_before_last_batch",
        description: "a transactional writer pre-commits before sending its last batch, which joins the next \
                      transaction (T2)",
        models: "A transactional writer that batches records like a producer pre-commits the transaction at the \
             snapshot without flushing the batch it still holds; the batch leaves later, inside the next \
             transaction. The checkpoint's offsets cover records its transaction lacks: when a failure aborts \
             the next transaction, they are lost (breaks T2: the pre-commit must hold everything before the \
             barrier).",
        incident: "a producer not flushed before the transaction's prepare (cf. Flink's Elasticsearch sink \
                   with flushOnCheckpoint off, and FLINK-10455's Kafka producer)",
        catches: &[at!("scenarios/worker-crash.toml", "exactly_once_output")],
        plant: Plant::Switch(|b| b.transactions.pre_commit_before_last_batch = true),
    },
    Planted {
        name: "discard_before_complete",
        description: "the previous checkpoint is discarded at the next trigger, not completion (L14)",
        models: "The coordinator discards the previous completed checkpoint as soon as it triggers the next one, \
             not once the next one completes: when that one fails, there is nothing left to restore (breaks \
             L14; cf. FLINK-26985, state discarded while a restore still needed it).",
        incident: "cf. FLINK-26985",
        catches: &[at!("scenarios/worker-crash.toml", "explained_failovers")],
        plant: Plant::Switch(|b| b.coordinator.discard_on_trigger = true),
    },
    Planted {
        name: "stale_barrier_accepted",
        description: "an older barrier is counted for the pending newer checkpoint (breaks L6)",
        models: "A barrier of an older checkpoint that arrives while a newer one is pending at the task is \
             counted as the newer one's barrier on its input, instead of being ignored (breaks L6): the task \
             stops collecting (unaligned) or aligns (aligned) at the wrong position, so the newer checkpoint \
             misses records.",
        incident: "a barrier of a cancelled checkpoint arriving late",
        catches: &[at!("scenarios/stale-barriers.toml", "consistent_cut")],
        plant: Plant::Switch(|b| b.protocol.stale_barrier_accepted = true),
    },
    Planted {
        name: "unaligned_drop_inflight",
        description: "one input's in-flight records are left out of unaligned snapshots (L10)",
        models: "Unaligned checkpoints do not persist the in-flight records of one input channel (input 0): \
             records the barrier overtook there are in neither the operator state nor the channel state, and \
             are lost on restore (breaks L10).",
        incident: "in-flight data left out of an unaligned snapshot (FLIP-76 channel state)",
        catches: &[
            at!("scenarios/unaligned-worker-crash.toml", "exactly_once_output"),
            at!("scenarios/unaligned-worker-crash.toml", "consistent_cut"),
        ],
        plant: Plant::Switch(|b| b.protocol.unaligned.drop_inflight = true),
    },
    Planted {
        name: "at_least_once_early_snapshot",
        description: "at-least-once tracking snapshots on the first barrier (breaks L9)",
        models: "At-least-once barrier tracking snapshots on the first barrier instead of the last, so records \
             before the barrier on the other inputs are covered by the source offsets but in no state: lost \
             on restore, even at-least-once does not hold (breaks L9).",
        incident: "at-least-once still needs every barrier first",
        catches: &[at!("scenarios/at-least-once-crash.toml", "at_least_once_output")],
        plant: Plant::Switch(|b| b.protocol.at_least_once.early_snapshot = true),
    },
    Planted {
        name: "sink_no_flush_on_snapshot",
        description: "a plain or upsert sink does not flush its buffer at the snapshot (L12)",
        models: "A plain or upsert sink does not flush its buffered rows at the snapshot: the checkpoint covers \
             records that only sit in the writer's buffer, and a crash loses them (breaks L12: the snapshot \
             must capture the sink's side effects; Flink's `SinkWriter.flush` contract).",
        incident: "a SinkWriter that skips flush() at the checkpoint",
        catches: &[at!("scenarios/plain-sink-crash.toml", "at_least_once_output")],
        plant: Plant::Switch(|b| b.append.no_flush_on_snapshot = true),
    },
    Planted {
        name: "non_idempotent_commit",
        description: "re-committing a committed transaction appends its rows again (breaks T4)",
        models: "The sink store's commit is not idempotent: committing an already committed transaction again (as \
             every restore does, T1) appends its rows a second time (breaks T4).",
        incident: "a non-idempotent commit re-run on recovery (cf. FLINK-8086's retry path)",
        catches: &[at!("scenarios/worker-crash.toml", "exactly_once_output")],
        plant: Plant::Switch(|b| b.sink_store.non_idempotent_commit = true),
    },
    Planted {
        name: "commit_despite_failed_writes",
        description: "a transaction whose writes were lost is pre-committed and committed anyway (KAFKA-9279)",
        models: "The sink store pre-commits a transaction without checking that it holds every record the \
             writer sent: writes it could not log (a full or failing disk) are silently missing from a \
             transaction that then commits, so its checkpoint's output loses records. A transactional producer \
             must fail the commit when any send of the transaction failed (KAFKA-9279: errors reported \
             asynchronously by send did not fail commitTransaction).",
        incident: "KAFKA-9279 (a failed send did not fail commitTransaction)",
        catches: &[at!("scenarios/disk-full.toml", "exactly_once_output")],
        plant: Plant::Switch(|b| b.sink_store.commit_despite_failed_writes = true),
    },
    Planted {
        name: "committer_assumes_aligned",
        description: "the committer files committables by arrival, not by checkpoint (iceberg#15846)",
        models: "The committer files each committable under the checkpoint in which it arrives, not the one it \
             was produced for, and so thinks it has every committable of a checkpoint once it snapshots: \
             right under aligned checkpoints, but under unaligned ones committables overtaken by the barrier \
             are committed late or, at the end, never (iceberg#15846).",
        incident: "iceberg#15846 (Iceberg FlinkSink under unaligned checkpoints)",
        catches: &[at!("scenarios/committer-unaligned.toml", "exactly_once_output")],
        plant: Plant::Switch(|b| b.committer.assume_aligned = true),
    },
    Planted {
        name: "tolerance_fails_early",
        description: "the coordinator fails over at tolerable_failures counted checkpoint failures, not past it (L18)",
        models: "The checkpoint failure manager fails the job over once the consecutive counted failures reach \
             `tolerable_failures` instead of exceeding it: a job that meets exactly its configured tolerance \
             restarts for nothing (an off-by-one against the limit; Flink fails over only when the count goes \
             past `tolerable-failed-checkpoints`).",
        incident: "an off-by-one against tolerable-failed-checkpoints",
        catches: &[
            at!("scenarios/tolerable-failures-at-the-limit.toml", "tolerable_failures"),
            at!("scenarios/tolerable-failures-past-the-limit.toml", "tolerable_failures"),
        ],
        plant: Plant::Switch(|b| b.coordinator.tolerance_fails_early = true),
    },
    Planted {
        name: "tolerance_fails_late",
        description: "the coordinator tolerates one counted checkpoint failure more than tolerable_failures (L18)",
        models: "The checkpoint failure manager fails the job over only when the consecutive counted failures \
             exceed `tolerable_failures` by two: a job one failure past its tolerance keeps running on a \
             checkpoint that is older than the configuration allows (an off-by-one against the limit).",
        incident: "an off-by-one against tolerable-failed-checkpoints",
        catches: &[at!("scenarios/tolerable-failures-past-the-limit.toml", "tolerable_failures")],
        plant: Plant::Switch(|b| b.coordinator.tolerance_fails_late = true),
    },
    Planted {
        name: "committer_commits_newer",
        description: "the committer commits on notify(n) every committable it holds, newer checkpoints' too (T3)",
        models: "On the notification that checkpoint n completed, the committer commits every committable it has \
             filed, including those of checkpoints after n that are still pending and may yet fail: with \
             concurrent checkpoints, n+1's files reach it before n's notification and become visible before \
             n+1 completes (breaks T3 and I3; cf. the review of iceberg#10526: with concurrent checkpoints 1 and \
             2, checkpoint 1 must not take the files already received for 2).",
        incident: "iceberg#10526 review (files of concurrent checkpoint 2 taken into checkpoint 1)",
        catches: &[at!("scenarios/swarm-committers.toml", "commit_only_completed")],
        plant: Plant::Switch(|b| b.committer.commits_newer = true),
    },
    Planted {
        name: "removed_pending_aborted",
        description:
            "after a sink scale-down, the survivor aborts the removed subtasks' pending transactions (L21, T1)",
        models: "A sink subtask that recovers subtasks a scale-down removed fences them but aborts every \
             transaction they left, instead of committing the ones their checkpointed state lists as pending: \
             when a completed checkpoint's notification was lost before the scale-down, its pre-committed \
             output is lost for good (breaks T1 across a rescale; Flink's TwoPhaseCommitSinkFunction hands the \
             union of the old subtasks' pending transactions to the new ones for this reason).",
        incident: "pending transactions of removed sink subtasks on scale-down",
        catches: &[at!("scenarios/swarm-committers.toml", "exactly_once_output")],
        plant: Plant::Switch(|b| b.rescale.aborts_removed_pending = true),
    },
    Planted {
        name: "rescale_key_group_off_by_one",
        description: "a rescale restores keyed state to the next key group's owner (L21)",
        models: "On a restore under a new parallelism, keyed state goes to the owner of the *next* key group: \
             every key's state lands on a subtask other than the one its records are routed to, so counts \
             restart from zero there (breaks L21; key-group range arithmetic).",
        incident: "key-group range arithmetic on rescale",
        catches: &[at!("scenarios/rescale-aligned.toml", "exactly_once_state")],
        plant: Plant::Switch(|b| b.rescale.off_by_one = true),
    },
    Planted {
        name: "rescale_drops_inflight",
        description: "a rescale keeps only same-index in-flight records (FLINK-38544, L21)",
        models: "On a restore under a new parallelism from an unaligned checkpoint, a new subtask takes the in- \
             flight records (input channel state) only of the old subtask with its own index, instead of \
             every record whose key it now owns: in-flight data of the other subtasks is lost (FLINK-38544, \
             in-flight data lost when rescaling from an unaligned checkpoint).",
        incident: "FLINK-38544 (in-flight data lost rescaling from an unaligned checkpoint)",
        catches: &[at!("scenarios/rescale-unaligned.toml", "exactly_once_output")],
        plant: Plant::Switch(|b| b.rescale.drops_inflight = true),
    },
    Planted {
        name: "delta_snapshot_as_full",
        description: "the keyed count checkpoints only the keys it changed since its last snapshot (breaks I1)",
        models: "A keyed operator writes an incremental snapshot — only the keys it changed since the previous \
             checkpoint — but restore reads it back as the whole state, so every key untouched in the last \
             interval is lost (breaks I1 and I2: a snapshot must hold the operator's whole state, or a \
             restore must replay the chain of increments it depends on). Caught where keys are many and \
             sparsely updated, as in most real keyed jobs.",
        incident: "an incremental snapshot restored as if it were a full one",
        catches: &[
            at!("scenarios/sparse-keys-crash.toml", "exactly_once_state"),
            at!("scenarios/sparse-keys-crash.toml", "consistent_cut"),
        ],
        plant: Plant::Mutant(|r| {
            wrap_keyed(r, "keyed_count", |inner| Arc::new(delta_snapshot_as_full::DeltaSnapshot(inner)))
        }),
    },
    Planted {
        name: "chain_snapshot_late",
        description: "a chained task snapshots the last operator of its chain one input buffer late (breaks I1)",
        models: "A task running a chain of operators snapshots its head at the barrier but the last operator \
             of the chain only after the next input buffer went through it, so that operator's snapshot \
             (a sink's pre-committed transaction) holds records after the cut; restored, they are replayed \
             and counted twice (the chained-operator checkpoint ordering bugs of FLINK-13063, an operator \
             emitting into its chain after the checkpoint's synchronous part); at the end of the input no \
             buffer comes, the last snapshot never does, and the final checkpoint expires.",
        incident: "FLINK-13063 (records emitted into a chain after the snapshot)",
        catches: &[
            at!("scenarios/worker-crash.toml", "exactly_once_output"),
            at!("scenarios/worker-crash.toml", "liveness"),
        ],
        plant: Plant::Switch(|b| b.task.chain_snapshot_late = true),
    },
    Planted {
        name: "credit_lost_on_reconnect",
        description: "a channel re-established after a restart gets no initial credit: its sender stalls (liveness)",
        models: "After a restart re-establishes the job's channels, a receiver takes its exclusive buffers to be \
             announced already (a flag left over from the old connection) and never gives the sender its \
             initial credit: the sender queues its first buffers for good, backpressure stops the job, and \
             no other property sees it — only liveness (a stale credit flag, as in FLINK-8747; credit \
             deadlocks, FLINK-16641).",
        incident: "FLINK-8747 (a stale flag stops a channel asking for buffers), FLINK-16641",
        catches: &[at!("scenarios/worker-crash.toml", "liveness")],
        plant: Plant::Switch(|b| b.task.credit_lost_on_reconnect = true),
    },
    Planted {
        name: "unaligned_pointwise",
        description: "unaligned checkpoints take channel state of pointwise and broadcast channels too",
        models: "Barriers on pointwise (forward) and broadcast channels overtake like the rest and the operators \
             reading them snapshot unaligned, so checkpoints keep in-flight records of channels Flink must \
             checkpoint aligned: restored after a rescale, such state has no owner to go to (Flink refuses \
             it: \"Cannot rescale the given pointwise partitioner\"; FLINK-21945 forced those channels \
             aligned).",
        incident: "FLINK-21945 (unaligned checkpoints on pointwise and broadcast channels)",
        catches: &[at!("scenarios/unaligned-chained-job.toml", "aligned_channels")],
        plant: Plant::Switch(|b| b.task.unaligned_pointwise = true),
    },
    Planted {
        name: "timeout_ignores_forced_aligned",
        description: "aligned barriers queued on pointwise and broadcast channels time out and overtake too",
        models: "Under aligned_timeout, a barrier that waits in a sender's full output queue past the timeout \
             overtakes the queued buffers, which become channel state: right for a keyed shuffle, but the \
             sender does it on broadcast and pointwise channels as well, whose barriers must stay aligned, so \
             checkpoints keep in-flight records no rescale could give an owner (FLINK-33693: the forced-aligned \
             conversion skipped timeoutable aligned barriers, which then timed out on such channels).",
        incident: "FLINK-33693 (timeoutable barriers escaped the forced-aligned conversion)",
        catches: &[at!("scenarios/aligned-timeout-broadcast.toml", "aligned_channels")],
        plant: Plant::Switch(|b| b.task.timeout_ignores_forced_aligned = true),
    },
];

/// A planted bug, switched on by `--bug NAME` or `bug = "NAME"`.
#[derive(Clone, Copy)]
pub struct Bug(&'static Planted);

impl PartialEq for Bug {
    fn eq(&self, other: &Bug) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Bug {}

impl Bug {
    /// Every planted bug, in the zoo's order.
    pub fn all() -> impl Iterator<Item = Bug> {
        ZOO.iter().map(Bug)
    }

    /// `--bug NAME`, `bug = "NAME"`.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// One line for `ckptsim bugs`.
    pub fn description(self) -> &'static str {
        self.0.description
    }

    /// The real mistake or incident it models.
    pub fn incident(self) -> &'static str {
        self.0.incident
    }

    /// The stock scenarios and properties that catch it.
    pub fn catches(self) -> &'static [Catch] {
        self.0.catches
    }

    /// The cores' bug structs with this one switched on (none, for a mutant).
    pub(crate) fn bugs(self) -> Bugs {
        let mut bugs = Bugs::default();
        if let Plant::Switch(plant) = self.0.plant {
            plant(&mut bugs);
        }
        bugs
    }

    /// `registry` with this bug's mutant in the place of the component it
    /// corrupts (unchanged for a switch).
    pub fn mutate(self, registry: &Arc<Registry>) -> Result<Arc<Registry>, RegistryError> {
        match self.0.plant {
            Plant::Switch(_) => Ok(registry.clone()),
            Plant::Mutant(plant) => {
                let mut mutated = Registry::clone(registry);
                plant(&mut mutated)?;
                Ok(Arc::new(mutated))
            }
        }
    }
}

/// The cores' bug structs for an optional planted bug (all off without one).
pub(crate) fn bugs_of(bug: Option<Bug>) -> Bugs {
    bug.map(Bug::bugs).unwrap_or_default()
}

impl fmt::Debug for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Bug {
    type Err = String;
    fn from_str(s: &str) -> Result<Bug, String> {
        Bug::all().find(|b| b.name() == s).ok_or_else(|| {
            let names: Vec<_> = Bug::all().map(|b| b.name()).collect();
            let hint = crate::scenario::suggest::hint(s, names.iter().copied());
            format!("unknown bug `{s}` (known: {}){hint}", names.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_bug_throws_a_switch_or_replaces_a_component() {
        let names: std::collections::BTreeSet<&str> = ZOO.iter().map(|p| p.name).collect();
        assert_eq!(names.len(), ZOO.len());
        let builtin = Arc::new(Registry::builtin());
        for bug in Bug::all() {
            let mutated = bug.mutate(&builtin).unwrap_or_else(|e| panic!("{bug}: {e}"));
            let replaced = !Arc::ptr_eq(&mutated, &builtin);
            assert!(replaced || bug.bugs() != Bugs::default(), "{bug} switches nothing on and replaces nothing");
        }
    }
}
