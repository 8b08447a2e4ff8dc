//! The bug zoo: planted bugs that each model a real checkpointing mistake.
//! An oracle that no planted bug trips has no teeth; `sim-tests/bug_zoo.rs`
//! proves each one is caught within 64 seeds while the correct engine passes.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A deliberate defect, switched on by `--bug NAME` or `bug = "NAME"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bug {
    /// A task snapshots on the first barrier without blocking its other
    /// inputs, so records from a slower input that precede their barrier are
    /// covered by the source offsets but missing from the state: the
    /// inconsistent cut that alignment exists to prevent (ABS paper §3, L5).
    SkipAlignment,
    /// The 2PC sink commits its transaction at pre-commit instead of on
    /// notify-complete, so output of a checkpoint that later fails is already
    /// visible and is produced again after recovery (T2/T3; the classic
    /// "commit in snapshotState" mistake).
    CommitOnSnapshot,
    /// Sources do not seek to the checkpointed offsets on restore and start
    /// from the beginning of their partitions, replaying records the restored
    /// state already counted (L4, recovery; a lost or ignored offset store).
    NoOffsetRestore,
    /// The coordinator completes a checkpoint when all but one task acked,
    /// so a completed checkpoint can miss a task's state (L13; an off-by-one
    /// in ack counting).
    CompleteWithoutAllAcks,
    /// Input channels do not check buffer sequence numbers, so a buffer lost
    /// with a broken connection goes unnoticed and the task computes on
    /// partial input (Flink fails on a sequence mismatch; a TCP-is-reliable
    /// assumption forgets that connections break).
    IgnoreSequenceGaps,
    /// A task acks its checkpoint right after the synchronous snapshot and
    /// uploads the state afterwards, so a checkpoint can complete while (or
    /// although) its data never became durable (breaks L7/L12).
    AckBeforeDurable,
    /// The coordinator moves its durable latest-completed pointer and
    /// completes the checkpoint (notifying the sinks) as soon as every ack is
    /// in, while the checkpoint's metadata is still being written to storage;
    /// a failed metadata write leaves a pointer, and committed output, for a
    /// checkpoint that does not exist (breaks L14: data before metadata).
    MetadataBeforeData,
    /// The sink store does not check fences: a zombie task of an older
    /// attempt can still write, pre-commit and commit after the new attempt
    /// fenced it (breaks T7; the reason Kafka has producer epochs).
    NoFencing,
    /// Checkpoint storage and the restoring task skip checksum verification,
    /// so a rotted copy of a snapshot is restored instead of a healthy one.
    IgnoreChecksum,
    /// When the latest checkpoint cannot be read, recovery silently restores
    /// the one before it (retained ≥ 2), re-committing output committed since
    /// (the FLINK-22502 bug: "running with an incomplete set of checkpoints
    /// can lead to consistency violation"; breaks L20).
    FallbackToOlderCheckpoint,
    /// On restore the sink fails when a transaction recorded in the
    /// checkpoint was already committed, so restoring twice from the same
    /// checkpoint loops on failures (FLINK-8086: ProducerFencedException on
    /// recommitting a recovered Kafka transaction; breaks T1/T4 idempotence).
    RecoverRejectsCommitted,
    /// The coordinator resets its failure counter as soon as every ack is in,
    /// before the completed checkpoint is stored, and does not count a failed
    /// store (FLINK-32347: "exceptions from the CompletedCheckpointStore are
    /// not registered by the CheckpointFailureManager"; breaks L14/L18).
    SuccessBeforeStore,
    /// When an alignment is abandoned (a newer barrier, or a cancel marker),
    /// the task throws away the records it had buffered on blocked inputs
    /// instead of processing them (breaks L6/L7: abort must not lose data).
    AbortDropsBuffered,
    /// A metadata write that lands after its checkpoint was aborted (held by
    /// a partition past the timeout) still moves the coordinator's durable
    /// latest-completed pointer to it, so a restarted coordinator restores an
    /// aborted checkpoint (the bug ckptsim's own swarm found in its engine,
    /// issue #5; breaks L14/L16).
    PointerToAbortedCheckpoint,
    /// On notify-complete(n) the 2PC sink commits only the transaction of
    /// checkpoint n and forgets older pending ones, instead of every pending
    /// transaction up to n: a lost notification loses that checkpoint's
    /// output (breaks T3; notifications are best effort, L19).
    CommitOnlyNotified,
    /// The coordinator discards the previous completed checkpoint as soon as
    /// it triggers the next one, not once the next one completes: when that
    /// one fails, there is nothing left to restore (breaks L14; cf.
    /// FLINK-26985, state discarded while a restore still needed it).
    DiscardBeforeComplete,
    /// A barrier of an older checkpoint that arrives while a newer one is
    /// pending at the task is counted as the newer one's barrier on its
    /// input, instead of being ignored (breaks L6): the task stops collecting
    /// (unaligned) or aligns (aligned) at the wrong position, so the newer
    /// checkpoint misses records.
    StaleBarrierAccepted,
    /// Unaligned checkpoints do not persist the in-flight records of one
    /// input channel (input 0): records the barrier overtook there are in
    /// neither the operator state nor the channel state, and are lost on
    /// restore (breaks L10).
    UnalignedDropInflight,
    /// At-least-once barrier tracking snapshots on the first barrier instead
    /// of the last, so records before the barrier on the other inputs are
    /// covered by the source offsets but in no state: lost on restore, even
    /// at-least-once does not hold (breaks L9).
    AtLeastOnceEarlySnapshot,
    /// A plain or upsert sink does not flush its buffered rows at the
    /// snapshot: the checkpoint covers records that only sit in the writer's
    /// buffer, and a crash loses them (breaks L12: the snapshot must capture
    /// the sink's side effects; Flink's `SinkWriter.flush` contract).
    SinkNoFlushOnSnapshot,
    /// The sink store's commit is not idempotent: committing an already
    /// committed transaction again (as every restore does, T1) appends its
    /// rows a second time (breaks T4).
    NonIdempotentCommit,
    /// The committer files each committable under the checkpoint in which it
    /// arrives, not the one it was produced for, and so thinks it has every
    /// committable of a checkpoint once it snapshots: right under aligned
    /// checkpoints, but under unaligned ones committables overtaken by the
    /// barrier are committed late or, at the end, never (iceberg#15846).
    CommitterAssumesAligned,
    /// On a restore under a new parallelism, keyed state goes to the owner
    /// of the *next* key group: every key's state lands on a subtask other
    /// than the one its records are routed to, so counts restart from zero
    /// there (breaks L21; key-group range arithmetic).
    RescaleKeyGroupOffByOne,
    /// On a restore under a new parallelism from an unaligned checkpoint, a
    /// new subtask takes the in-flight records (input channel state) only of
    /// the old subtask with its own index, instead of every record whose key
    /// it now owns: in-flight data of the other subtasks is lost (FLINK-38544,
    /// in-flight data lost when rescaling from an unaligned checkpoint).
    RescaleDropsInflight,
}

impl Bug {
    /// Every planted bug, in the order `ckptsim bugs` lists them.
    pub const ALL: [Bug; 24] = [
        Bug::SkipAlignment,
        Bug::CommitOnSnapshot,
        Bug::NoOffsetRestore,
        Bug::CompleteWithoutAllAcks,
        Bug::IgnoreSequenceGaps,
        Bug::AckBeforeDurable,
        Bug::MetadataBeforeData,
        Bug::NoFencing,
        Bug::IgnoreChecksum,
        Bug::FallbackToOlderCheckpoint,
        Bug::RecoverRejectsCommitted,
        Bug::SuccessBeforeStore,
        Bug::AbortDropsBuffered,
        Bug::PointerToAbortedCheckpoint,
        Bug::CommitOnlyNotified,
        Bug::DiscardBeforeComplete,
        Bug::StaleBarrierAccepted,
        Bug::UnalignedDropInflight,
        Bug::AtLeastOnceEarlySnapshot,
        Bug::SinkNoFlushOnSnapshot,
        Bug::NonIdempotentCommit,
        Bug::CommitterAssumesAligned,
        Bug::RescaleKeyGroupOffByOne,
        Bug::RescaleDropsInflight,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Bug::SkipAlignment => "skip_alignment",
            Bug::CommitOnSnapshot => "commit_on_snapshot",
            Bug::NoOffsetRestore => "no_offset_restore",
            Bug::CompleteWithoutAllAcks => "complete_without_all_acks",
            Bug::IgnoreSequenceGaps => "ignore_sequence_gaps",
            Bug::AckBeforeDurable => "ack_before_durable",
            Bug::MetadataBeforeData => "metadata_before_data",
            Bug::NoFencing => "no_fencing",
            Bug::IgnoreChecksum => "ignore_checksum",
            Bug::FallbackToOlderCheckpoint => "fallback_to_older_checkpoint",
            Bug::RecoverRejectsCommitted => "recover_rejects_committed",
            Bug::SuccessBeforeStore => "success_before_store",
            Bug::AbortDropsBuffered => "abort_drops_buffered",
            Bug::PointerToAbortedCheckpoint => "pointer_to_aborted_checkpoint",
            Bug::CommitOnlyNotified => "commit_only_notified",
            Bug::DiscardBeforeComplete => "discard_before_complete",
            Bug::StaleBarrierAccepted => "stale_barrier_accepted",
            Bug::UnalignedDropInflight => "unaligned_drop_inflight",
            Bug::AtLeastOnceEarlySnapshot => "at_least_once_early_snapshot",
            Bug::SinkNoFlushOnSnapshot => "sink_no_flush_on_snapshot",
            Bug::NonIdempotentCommit => "non_idempotent_commit",
            Bug::CommitterAssumesAligned => "committer_assumes_aligned",
            Bug::RescaleKeyGroupOffByOne => "rescale_key_group_off_by_one",
            Bug::RescaleDropsInflight => "rescale_drops_inflight",
        }
    }

    /// One line for `ckptsim bugs`.
    pub fn description(self) -> &'static str {
        match self {
            Bug::SkipAlignment => "snapshot on the first barrier without blocking the other inputs (breaks L5)",
            Bug::CommitOnSnapshot => "the 2PC sink commits at pre-commit instead of on notify-complete (breaks T3)",
            Bug::NoOffsetRestore => "sources ignore the checkpointed offsets on restore and replay from 0 (breaks L4)",
            Bug::CompleteWithoutAllAcks => "a checkpoint completes when all but one task acked (breaks L13)",
            Bug::IgnoreSequenceGaps => "input channels ignore buffer sequence gaps after a broken connection (I1)",
            Bug::AckBeforeDurable => "a task acks before its snapshot is durable in storage (breaks L7/L12)",
            Bug::MetadataBeforeData => "the coordinator completes before the metadata write is durable (breaks L14)",
            Bug::NoFencing => "the sink accepts writes and commits of a fenced zombie attempt (breaks T7)",
            Bug::IgnoreChecksum => "storage and restore skip checksums, so a rotted snapshot is restored",
            Bug::FallbackToOlderCheckpoint => {
                "an unreadable latest checkpoint is skipped for an older one (FLINK-22502, breaks L20)"
            }
            Bug::RecoverRejectsCommitted => "sink recovery fails on an already committed transaction (FLINK-8086)",
            Bug::SuccessBeforeStore => {
                "checkpoint success counted before the store; store failures uncounted (FLINK-32347)"
            }
            Bug::AbortDropsBuffered => "an abandoned alignment drops the records buffered on blocked inputs (L6/L7)",
            Bug::PointerToAbortedCheckpoint => {
                "a late metadata write moves the latest pointer to an aborted checkpoint (L14/L16)"
            }
            Bug::CommitOnlyNotified => "notify-complete(n) commits only n's transaction, forgetting older ones (T3)",
            Bug::DiscardBeforeComplete => {
                "the previous checkpoint is discarded at the next trigger, not completion (L14)"
            }
            Bug::StaleBarrierAccepted => "an older barrier is counted for the pending newer checkpoint (breaks L6)",
            Bug::UnalignedDropInflight => "one input's in-flight records are left out of unaligned snapshots (L10)",
            Bug::AtLeastOnceEarlySnapshot => "at-least-once tracking snapshots on the first barrier (breaks L9)",
            Bug::SinkNoFlushOnSnapshot => "a plain or upsert sink does not flush its buffer at the snapshot (L12)",
            Bug::NonIdempotentCommit => "re-committing a committed transaction appends its rows again (breaks T4)",
            Bug::CommitterAssumesAligned => {
                "the committer files committables by arrival, not by checkpoint (iceberg#15846)"
            }
            Bug::RescaleKeyGroupOffByOne => "a rescale restores keyed state to the next key group's owner (L21)",
            Bug::RescaleDropsInflight => "a rescale keeps only same-index in-flight records (FLINK-38544, L21)",
        }
    }
}

/// Where a planted bug is caught: a stock scenario and the property that
/// fails there (`sim-tests/bug_zoo.rs` proves it, `ckptsim zoo` measures it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Catch {
    pub scenario: &'static str,
    pub property: &'static str,
}

/// `at!(scenario, property)`: a `Catch` literal (promotable to `'static`).
macro_rules! at {
    ($scenario:expr, $property:expr) => {
        Catch { scenario: $scenario, property: $property }
    };
}

impl Bug {
    /// The stock scenarios and properties that catch it; the first is the
    /// one `ckptsim zoo` measures.
    pub fn catches(self) -> &'static [Catch] {
        match self {
            Bug::SkipAlignment => &[
                at!("scenarios/worker-crash.toml", "exactly_once_state"),
                at!("scenarios/no-faults.toml", "consistent_cut"),
            ],
            Bug::CommitOnSnapshot => &[at!("scenarios/worker-crash.toml", "commit_only_completed")],
            Bug::NoOffsetRestore => &[at!("scenarios/worker-crash.toml", "exactly_once_output")],
            Bug::CompleteWithoutAllAcks => &[at!("scenarios/worker-crash.toml", "checkpoint_monotonic")],
            Bug::IgnoreSequenceGaps => &[at!("scenarios/lossy-network-start.toml", "exactly_once_output")],
            Bug::AckBeforeDurable => &[at!("scenarios/storage-slow-crash.toml", "checkpoint_monotonic")],
            Bug::MetadataBeforeData => &[at!("scenarios/metadata-write-lost.toml", "checkpoint_monotonic")],
            Bug::NoFencing => &[at!("scenarios/pause-zombie.toml", "attempt_fencing")],
            Bug::IgnoreChecksum => &[at!("scenarios/bit-rot-one-copy.toml", "exactly_once_output")],
            Bug::FallbackToOlderCheckpoint => &[
                at!("scenarios/bit-rot-all-copies.toml", "checkpoint_monotonic"),
                at!("scenarios/bit-rot-all-copies.toml", "exactly_once_output"),
            ],
            Bug::RecoverRejectsCommitted => &[at!("scenarios/worker-crash.toml", "explained_failovers")],
            Bug::SuccessBeforeStore => &[at!("scenarios/coordinator-disk-errors.toml", "tolerable_failures")],
            Bug::AbortDropsBuffered => &[at!("scenarios/alignment-expires.toml", "exactly_once_output")],
            Bug::PointerToAbortedCheckpoint => &[at!("scenarios/late-metadata-write.toml", "aborted_never_completes")],
            Bug::CommitOnlyNotified => &[at!("scenarios/notify-lost.toml", "exactly_once_output")],
            Bug::DiscardBeforeComplete => &[at!("scenarios/worker-crash.toml", "explained_failovers")],
            Bug::StaleBarrierAccepted => &[at!("scenarios/stale-barriers.toml", "consistent_cut")],
            Bug::UnalignedDropInflight => &[
                at!("scenarios/unaligned-worker-crash.toml", "exactly_once_output"),
                at!("scenarios/unaligned-worker-crash.toml", "consistent_cut"),
            ],
            Bug::AtLeastOnceEarlySnapshot => &[at!("scenarios/at-least-once-crash.toml", "at_least_once_output")],
            Bug::SinkNoFlushOnSnapshot => &[at!("scenarios/plain-sink-crash.toml", "at_least_once_output")],
            Bug::NonIdempotentCommit => &[at!("scenarios/worker-crash.toml", "exactly_once_output")],
            Bug::CommitterAssumesAligned => &[at!("scenarios/committer-unaligned.toml", "exactly_once_output")],
            Bug::RescaleKeyGroupOffByOne => &[at!("scenarios/rescale-aligned.toml", "exactly_once_state")],
            Bug::RescaleDropsInflight => &[at!("scenarios/rescale-unaligned.toml", "exactly_once_output")],
        }
    }

    /// The real mistake or incident it models.
    pub fn incident(self) -> &'static str {
        match self {
            Bug::SkipAlignment => "why alignment exists (ABS paper, Carbone et al. 2015, §3)",
            Bug::CommitOnSnapshot => "committing in snapshotState, the classic hand-written sink mistake",
            Bug::NoOffsetRestore => "a source that resumes from its own offset store, not the checkpoint",
            Bug::CompleteWithoutAllAcks => "an off-by-one in ack counting",
            Bug::IgnoreSequenceGaps => "trusting TCP across reconnects (Flink checks buffer sequence numbers)",
            Bug::AckBeforeDurable => "acking before the state upload is durable",
            Bug::MetadataBeforeData => "completing before _metadata is durable",
            Bug::NoFencing => "zombie writers without producer epochs (Kafka KIP-98 fencing)",
            Bug::IgnoreChecksum => "restoring a corrupt snapshot without verifying it",
            Bug::FallbackToOlderCheckpoint => "FLINK-22502",
            Bug::RecoverRejectsCommitted => "FLINK-8086",
            Bug::SuccessBeforeStore => "FLINK-32347",
            Bug::AbortDropsBuffered => "an abandoned alignment losing its buffers",
            Bug::PointerToAbortedCheckpoint => "ckptsim issue #5 (found by its own swarm)",
            Bug::CommitOnlyNotified => "treating notify-complete as reliable (it is best effort)",
            Bug::DiscardBeforeComplete => "cf. FLINK-26985",
            Bug::StaleBarrierAccepted => "a barrier of a cancelled checkpoint arriving late",
            Bug::UnalignedDropInflight => "in-flight data left out of an unaligned snapshot (FLIP-76 channel state)",
            Bug::AtLeastOnceEarlySnapshot => "at-least-once still needs every barrier first",
            Bug::SinkNoFlushOnSnapshot => "a SinkWriter that skips flush() at the checkpoint",
            Bug::NonIdempotentCommit => "a non-idempotent commit re-run on recovery (cf. FLINK-8086's retry path)",
            Bug::CommitterAssumesAligned => "iceberg#15846 (Iceberg FlinkSink under unaligned checkpoints)",
            Bug::RescaleKeyGroupOffByOne => "key-group range arithmetic on rescale",
            Bug::RescaleDropsInflight => "FLINK-38544 (in-flight data lost rescaling from an unaligned checkpoint)",
        }
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
        Bug::ALL.into_iter().find(|b| b.name() == s).ok_or_else(|| {
            let names: Vec<_> = Bug::ALL.iter().map(|b| b.name()).collect();
            let hint = crate::scenario::suggest::hint(s, names.iter().copied());
            format!("unknown bug `{s}` (known: {}){hint}", names.join(", "))
        })
    }
}
