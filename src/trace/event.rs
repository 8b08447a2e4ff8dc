//! The trace's events: one enum, `Event`, with a variant per kind of thing
//! that happens and typed fields (ids, task names, nodes, causes as enums).
//!
//! Each variant names the kind a trace line shows (`checkpoint_completed`)
//! once, in the `events!` table below; its fields render in the order they
//! are declared. The one-line rendering (`cli::render::lines`), the Chrome
//! trace and the trace hash all walk `TraceEvent::fields`, so the three can
//! never disagree. Readers of a trace (oracles, coverage, spans) match on
//! variants; nothing outside rendering looks a field up by its name.
//!
//! What a fault did is one variant, `Event::Fault`, whatever the fault kind
//! (`fault_act`): a new fault kind brings its own strike event without a
//! new variant here.

use super::fault_act::FaultAct;
use crate::scenario::ids::{Attempt, CheckpointId, TxnId};
use crate::scenario::MessageClass;
use crate::sim::disk::DiskError;
use serde::Serialize;
use std::fmt::{self, Display};
use std::time::Duration;

/// One thing that happened, when and where.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEvent {
    /// Simulated time since the run started.
    #[serde(serialize_with = "ser_ms")]
    pub time: Duration,
    /// The node it happened on (`coordinator`, `worker-2`, `world` for the harness).
    pub node: String,
    /// What happened.
    pub event: Event,
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1e3)
}

impl TraceEvent {
    /// The kind a trace line shows, snake_case (`checkpoint_completed`).
    pub fn kind(&self) -> &'static str {
        self.event.kind()
    }

    /// Every field with its rendering, in order: what the trace line, the
    /// Chrome trace and the hash are made of.
    pub fn fields(&self, out: &mut dyn FnMut(&'static str, &dyn Display)) {
        self.event.fields(out);
    }
}

/// Declares `Event`, its kind names and the order its fields render in.
macro_rules! events {
    ($( $(#[$doc:meta])* $variant:ident = $kind:literal { $( $(#[$fdoc:meta])* $field:ident : $ty:ty ),* $(,)? } )*) => {
        /// What happened: one variant per kind of event.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(tag = "kind")]
        pub enum Event {
            $(
                $(#[$doc])*
                #[serde(rename = $kind)]
                $variant {
                    $(
                        $(#[$fdoc])*
                        #[doc = concat!("`", stringify!($field), "=` on the trace line (the variant's doc says what it holds).")]
                        $field: $ty
                    ),*
                },
            )*
            /// A fault struck, or stopped acting (restart, resume, heal).
            #[serde(rename = "fault")]
            Fault(FaultAct),
        }

        impl Event {
    /// Whether the job starts recovering here: a failover, or a restarted
    /// coordinator that takes over a deployed job (it redeploys from the
    /// latest completed checkpoint).
    pub fn begins_recovery(&self) -> bool {
        matches!(self, Event::JobFailover { .. } | Event::CoordinatorStarted { attempt: 1.., .. })
    }

            /// The kind a trace line shows (`checkpoint_completed`).
            pub fn kind(&self) -> &'static str {
                match self {
                    $( Event::$variant { .. } => $kind, )*
                    Event::Fault(act) => act.name,
                }
            }

            /// Every field and its rendering, in declaration order.
            pub fn fields(&self, out: &mut dyn FnMut(&'static str, &dyn Display)) {
                match self {
                    $( Event::$variant { $( $field ),* } => { $( out(stringify!($field), $field); )* } )*
                    Event::Fault(act) => act.fields(out),
                }
            }
        }
    };
}

events! {
    // ---- the coordinator ----
    /// A coordinator (re)started; `latest` is the newest completed checkpoint it knows (0: none).
    CoordinatorStarted = "coordinator_started" { attempt: Attempt, latest: CheckpointId }
    /// A checkpoint was triggered; `pending` counts the ones in flight, this one included.
    CheckpointTriggered = "checkpoint_triggered" { checkpoint: CheckpointId, attempt: Attempt, pending: usize }
    /// A trigger failed before it left (its id could not be made durable).
    CheckpointTriggerFailed = "checkpoint_trigger_failed" { reason: String }
    /// Every ack is in; the metadata is being written.
    CheckpointMetadataWriting = "checkpoint_metadata_writing" { checkpoint: CheckpointId, attempt: Attempt }
    /// The checkpoint completed (L14); `end_of_data`: it covers all input.
    CheckpointCompleted = "checkpoint_completed" { checkpoint: CheckpointId, attempt: Attempt, acks: usize, end_of_data: bool }
    /// The checkpoint was aborted.
    CheckpointAborted = "checkpoint_aborted" { checkpoint: CheckpointId, reason: AbortReason }
    /// The coordinator asked storage to delete a checkpoint past `retained`.
    CheckpointDiscard = "checkpoint_discard" { checkpoint: CheckpointId }
    /// The coordinator's disk failed a read or a write.
    CoordinatorDiskError = "coordinator_disk_error" { error: DiskError }
    /// An attempt was deployed, restoring checkpoint `restore` (0: none).
    JobDeployed = "job_deployed" { attempt: Attempt, restore: CheckpointId }
    /// An operator subtask of the attempt was placed on a worker; `chain`
    /// names the subtask heading the task it runs in (itself, unless it is
    /// chained to the operator it reads).
    TaskDeployed = "task_deployed" { task: String, worker: String, attempt: Attempt, chain: String }
    /// Every sink committed through the final checkpoint.
    JobFinished = "job_finished" { checkpoint: CheckpointId, attempt: Attempt }
    /// The restart strategy gave up.
    JobFailed = "job_failed" { attempt: Attempt, reason: String }
    /// The job failed over (or rescaled): every task stops, the job is redeployed.
    JobFailover = "job_failover" {
        attempt: Attempt,
        cause: FailoverKind,
        /// The node the cause points at.
        peer: OrDash<String>,
        /// The failed task, for a task failure.
        task: OrDash<String>,
        error: OrDash<ErrorKind>,
        /// The service a timeout or service error came from.
        service: OrDash<String>,
        /// The upstream task whose messages were lost.
        upstream: OrDash<String>,
        /// The checkpoint a restore could not read.
        checkpoint: OrDash<CheckpointId>,
        reason: String,
        /// Failures the restart strategy has counted.
        failures: u32,
        /// The pending checkpoints the failover dropped.
        dropped_checkpoints: IdList,
    }
    /// A restarted coordinator read its latest checkpoint back from storage.
    RestoreLoaded = "restore_loaded" { checkpoint: CheckpointId }
    /// The coordinator dropped the first message of a superseded attempt.
    StaleAtCoordinator = "stale_message_fenced" { attempt: Attempt, msg: &'static str, from: String }
    /// A worker's heartbeats stopped.
    WorkerLost = "worker_lost" { worker: String }
    /// A worker the coordinator did not know registered.
    WorkerRegistered = "worker_registered" { worker: String, boot: u64, slots: usize }
    /// A known worker came back with a new boot.
    WorkerRestarted = "worker_restarted" { worker: String, boot: u64 }

    // ---- workers and tasks ----
    /// A worker (re)started.
    WorkerStarted = "worker_started" { boot: u64 }
    /// A worker lost the coordinator and cancelled its tasks.
    CoordinatorLost = "coordinator_lost" { silent_ms: u128 }
    /// A worker dropped the first message of a superseded attempt.
    StaleAtWorker = "stale_message_fenced" { attempt: Attempt, msg: MessageClass, current: Attempt }
    /// A task restored checkpoint `checkpoint` from the snapshots in `state`.
    TaskRestored = "task_restored" { task: String, attempt: Attempt, checkpoint: CheckpointId, state: SnapshotKeys }
    /// A task took the synchronous part of its snapshot (L12).
    SnapshotTaken = "snapshot_taken" { task: String, checkpoint: CheckpointId, attempt: Attempt }
    /// A task's snapshot is durable in storage.
    SnapshotDurable = "snapshot_durable" { task: String, checkpoint: CheckpointId, key: String }
    /// A task's snapshot upload failed; it declined the checkpoint.
    CheckpointDeclined = "checkpoint_declined" { task: String, checkpoint: CheckpointId, reason: String }
    /// A task acked the checkpoint.
    CheckpointAcked = "checkpoint_acked" { task: String, checkpoint: CheckpointId, attempt: Attempt }
    /// A task failed.
    TaskFailed = "task_failed" { task: String, attempt: Attempt, error: ErrorKind, reason: String }
    /// A task saw a checkpoint's first barrier (a source: its trigger).
    BarrierReceived = "barrier_received" { task: String, checkpoint: CheckpointId }
    /// A task blocked input channel `input` to align; `forced`: the job's
    /// checkpoints are unaligned, but this task reads a pointwise or
    /// broadcast channel, so it aligns (Flink's forced-aligned barriers).
    BarrierAligning = "barrier_aligning" { task: String, checkpoint: CheckpointId, input: u16, forced: bool }
    /// A task stopped taking input: its output channel to `on` holds as
    /// many buffers waiting for credit as it may (backpressure). A period
    /// starts; reliefs shorter than 50ms stay inside it.
    Backpressured = "backpressured" { task: String, on: String }
    /// A task's backpressure period ended: it has been free to work for
    /// 50ms. The period lasted `lasted_us` microseconds from its start to
    /// that relief, `blocked_us` of them with the task blocked.
    BackpressureRelieved = "backpressure_relieved" { task: String, lasted_us: u64, blocked_us: u64 }
    /// A task's barrier left in order but queued behind `buffers` buffers
    /// waiting for credit (an aligned checkpoint under backpressure).
    BarrierBehindBuffers = "barrier_behind_buffers" { task: String, checkpoint: CheckpointId, buffers: usize }
    /// A task's barrier overtook `buffers` buffers waiting for credit; their
    /// records became its output channel state (unaligned, or an aligned
    /// barrier that timed out in the queue).
    BarrierOvertook = "barrier_overtook" { task: String, checkpoint: CheckpointId, buffers: usize }
    /// An unaligned snapshot has all its channel state (records per side).
    ChannelStateComplete = "channel_state_complete" { task: String, checkpoint: CheckpointId, inputs: usize, outputs: usize }
    /// An alignment took longer than `aligned_timeout`: the checkpoint went unaligned (L11).
    AlignmentTimedOut = "alignment_timed_out" { task: String, checkpoint: CheckpointId }
    /// An alignment was abandoned; `buffered` records waited on blocked inputs.
    AlignmentAborted = "alignment_aborted" { task: String, checkpoint: CheckpointId, cause: AlignmentAbortCause, buffered: usize }
    /// A task replayed restored channel state before new input.
    ChannelStateReplayed = "channel_state_replayed" { task: String, records: usize }
    /// A task heard that the checkpoint completed.
    CheckpointNotified = "checkpoint_notified" { task: String, checkpoint: CheckpointId }
    /// A source read every record of its partitions.
    SourceFinished = "source_finished" { task: String, attempt: Attempt }
    /// A committable reached the committer after it snapshotted its checkpoint.
    CommittableAfterSnapshot = "committable_after_snapshot" { task: String, checkpoint: CheckpointId, file: TxnId }
    /// The sink confirmed a task's pre-commit of `records` records.
    TxnPreCommitted = "txn_pre_committed" { task: String, txn: TxnId, checkpoint: CheckpointId, records: u64 }
    /// After a scale-down, a task recovered the transactions of removed subtask `subtask`.
    SinkSubtaskRecovered = "sink_subtask_recovered" { task: String, subtask: u16 }
    /// A sink task heard that `checkpoint` completed while it held a
    /// pre-committed transaction (or committable) of a newer one, `newer`,
    /// which it must not commit yet.
    NewerCheckpointPending = "newer_checkpoint_pending" { task: String, checkpoint: CheckpointId, newer: CheckpointId }
    /// A link rule dropped a message.
    MessageDropped = "message_dropped" { to: String, msg: MessageClass }

    // ---- the services ----
    /// The sink committed a transaction.
    TxnCommitted = "txn_committed" {
        txn: TxnId,
        checkpoint: CheckpointId,
        via: CommitVia,
        /// The attempt of the task that asked.
        by: Attempt,
        records: usize,
        /// Order-sensitive digest of its records, so the hash sees the output.
        digest: Digest,
    }
    /// The sink aborted a transaction.
    TxnAborted = "txn_aborted" { txn: TxnId }
    /// A restore re-committed an already committed transaction (T1).
    TxnRecoverAlreadyCommitted = "txn_recover_already_committed" { txn: TxnId, by: Attempt }
    /// The sink could not log a write; it is lost.
    SinkWriteLost = "sink_write_lost" { txn: TxnId, error: DiskError }
    /// The sink refused the first request of a fenced attempt for a transaction.
    StaleAtSink = "stale_message_fenced" { txn: TxnId, attempt: Attempt, msg: &'static str }
    /// Storage deleted every blob under `prefix`.
    CheckpointDiscarded = "checkpoint_discarded" { prefix: String }
    /// Storage could not write or sync a blob's copies; the put failed.
    StorageWriteFailed = "storage_write_failed" { key: String, error: DiskError }
    /// No copy of a blob could be read.
    StorageReadFailed = "storage_read_failed" { key: String, bad: String, corrupt: bool }
    /// A copy was bad and a healthy one was used.
    StorageReadFallback = "storage_read_fallback" { key: String, bad: String, used: usize }
    /// A service could not read its write-ahead log at start-up; it retries.
    WalRecoveryFailed = "wal_recovery_failed" { error: DiskError }

    // ---- the harness (node `world`) ----
    /// `[swarm]` drew fault `fault` for this seed: `plan` as inline TOML.
    SwarmFault = "swarm_fault" { fault: usize, plan: String }
    /// The `[checkpoint] max_concurrent` the swarm drew for this seed.
    SwarmMaxConcurrent = "swarm_max_concurrent" { max_concurrent: usize }
    /// Fault `fault`'s protocol moment came: the kind of the event that marks
    /// it, where (`checkpoint`, `task`) and on which node.
    FaultPhaseReached = "fault_phase_reached" {
        fault: usize,
        phase: &'static str,
        checkpoint: OrDash<CheckpointId>,
        task: OrDash<String>,
        on: String,
    }
    /// Fault `fault` could not strike `target`.
    FaultSkipped = "fault_skipped" { fault: usize, target: String, reason: String }
}

impl Event {
    /// The disk error a node met, if this event reports one.
    pub fn disk_error(&self) -> Option<&DiskError> {
        match self {
            Event::CoordinatorDiskError { error }
            | Event::StorageWriteFailed { error, .. }
            | Event::SinkWriteLost { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// A value, or `-` where the field does not apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrDash<T>(pub Option<T>);

impl<T: Display> Display for OrDash<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(v) => v.fmt(f),
            None => f.write_str("-"),
        }
    }
}

/// Checkpoint ids, rendered `[7, 8]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdList(pub Vec<CheckpointId>);

impl Display for IdList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// The storage keys of the snapshots a task restored, `a,b`, or `none`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SnapshotKeys(pub Vec<String>);

impl Display for SnapshotKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.is_empty() {
            true => f.write_str("none"),
            false => f.write_str(&self.0.join(",")),
        }
    }
}

/// A 64-bit digest, rendered as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Digest(pub u64);

impl Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Why the coordinator aborted a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AbortReason {
    /// Not every ack came within the checkpoint timeout.
    Expired,
    /// A newer checkpoint completed first.
    Subsumed,
    /// A task declined it (its snapshot upload failed).
    Declined(String),
    /// Writing its metadata to storage failed (L14).
    MetadataWriteFailed(String),
    /// Storing the pointer in the completed-checkpoint store failed (L14).
    StoreFailed(String),
}

impl Display for AbortReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AbortReason::Expired => f.write_str("expired"),
            AbortReason::Subsumed => f.write_str("subsumed"),
            AbortReason::Declined(why) => write!(f, "declined: {why}"),
            AbortReason::MetadataWriteFailed(why) => write!(f, "metadata write failed: {why}"),
            AbortReason::StoreFailed(why) => write!(f, "storing the completed checkpoint failed: {why}"),
        }
    }
}

/// Why the job failed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailoverKind {
    /// A worker's heartbeats stopped.
    WorkerLost,
    /// A worker came back with a new boot: it lost its tasks.
    WorkerRestarted,
    /// A worker cancelled its tasks of the attempt (it lost the coordinator).
    TasksLost,
    /// A task reported a failure.
    TaskFailed,
    /// Counted checkpoint failures went past `tolerable_failures` (L18).
    CheckpointFailures,
    /// The checkpoint to restore could not be read (L20).
    RecoveryFailed,
    /// An operator was rescaled (not a failure: the restart strategy is not asked).
    Rescale,
}

/// What went wrong in a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A service did not answer within the RPC timeout.
    Timeout,
    /// A service answered with an error.
    Service,
    /// Messages from an upstream task were lost (a sequence gap).
    LostMessages,
    /// Its state could not be restored.
    Restore,
    /// A broken engine invariant.
    Other,
}

/// What ended an alignment early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AlignmentAbortCause {
    /// A barrier of a newer checkpoint (L6).
    NewerBarrier,
    /// The coordinator's cancel marker (notify-aborted, L7).
    CancelMarker,
    /// The aligned timeout went off.
    Timeout,
    /// Data arrived (an unaligned capture completing on a data message).
    Data,
}

/// What asked the sink to commit a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CommitVia {
    /// The notification that checkpoint `n` completed.
    Notified(CheckpointId),
    /// A restore (T1).
    Restore,
}

impl Display for CommitVia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommitVia::Notified(n) => n.fmt(f),
            CommitVia::Restore => f.write_str("restore"),
        }
    }
}

/// `snake_case` names, as a trace writes them (from the serde names).
macro_rules! display_by_serde_name {
    ($($t:ty),*) => {$(
        impl Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&crate::scenario::names::name_of(self))
            }
        }
    )*};
}
display_by_serde_name!(FailoverKind, ErrorKind);

impl Display for AlignmentAbortCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AlignmentAbortCause::NewerBarrier => "newer barrier",
            AlignmentAbortCause::CancelMarker => "cancel marker",
            AlignmentAbortCause::Timeout => "timeout",
            AlignmentAbortCause::Data => "data",
        })
    }
}
