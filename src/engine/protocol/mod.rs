//! Checkpoint protocols: how one task handles barriers, sans-IO. A protocol
//! is told what arrived on which input channel and answers with what the
//! task must do (`Action`); the task keeps the buffers, runs the operator
//! and talks to the network. `[checkpoint] protocol` picks one:
//!
//! - `aligned`         — block each input at its barrier until all are in (L5–L8)
//! - `at_least_once`   — never block; snapshot once every barrier is seen (L9)
//! - `unaligned`       — snapshot at the first barrier; overtaken in-flight
//!   records become channel state (L10)
//! - `aligned_timeout` — aligned until the alignment takes too long, then
//!   unaligned for that checkpoint (L11)
//!
//! Adding a protocol is one file here plus its name in `Protocol` and `build`.
//!
//! Positions: every data message on a channel carries the channel's next
//! sequence number; a barrier carries the sequence number of the first data
//! message *behind* it (its position) and takes none itself. A barrier that
//! travels in order arrives when everything before its position has; a
//! barrier that overtakes (unaligned) arrives earlier, and the records
//! before its position that arrive after it are in-flight data.

pub mod aligned;
pub mod aligned_timeout;
pub mod at_least_once;
pub mod unaligned;

use super::msg::CheckpointId;
use crate::bugs::Bug;
use crate::scenario::Protocol;
use std::time::Duration;

/// What the task must do after a protocol event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Do not process data of `input` from sequence `from` on; buffer it (L5).
    Block { input: u16, from: u64 },
    /// Take the snapshot of `checkpoint` now and forward its barrier, then
    /// unblock every input. Aligned: upload and ack at once. Unaligned: the
    /// barrier overtakes the output buffers (they become output channel
    /// state), the task reports what it had consumed (`snapshot_taken`), and
    /// the ack waits for `Complete`.
    Snapshot { checkpoint: CheckpointId, unaligned: bool },
    /// An unaligned snapshot has all its in-flight records: upload and ack.
    Complete(CheckpointId),
    /// The checkpoint is abandoned here (a newer barrier, a cancel marker):
    /// unblock every input, keep every buffered record, drop any channel
    /// state collected for it.
    Abort(CheckpointId),
}

/// The barrier handling of one task.
pub trait BarrierProtocol {
    /// Whether barriers overtake data: the task hands a barrier to the
    /// protocol when it arrives, and senders send it ahead of queued data.
    /// Otherwise a barrier is handled in channel order, behind the data
    /// before it.
    fn overtakes(&self) -> bool;

    /// Barrier `n` is handled on `input`, positioned before data sequence `position`.
    fn on_barrier(&mut self, input: u16, n: CheckpointId, position: u64, now: Duration) -> Vec<Action>;

    /// A data or end-of-data message with sequence `seq` arrived on `input`.
    /// Answers the checkpoint whose channel state its records belong to, if
    /// any (they are processed as usual as well).
    fn on_data(&mut self, _input: u16, _seq: u64) -> (Option<CheckpointId>, Vec<Action>) {
        (None, vec![])
    }

    /// After an unaligned `Snapshot`: per input, the first sequence number
    /// the snapshotted state does not include. The task then asks `captures`
    /// about the data it holds buffered, then `poll` for `Complete`.
    fn snapshot_taken(&mut self, _n: CheckpointId, _consumed: &[u64]) {}

    /// `Complete` if a pending unaligned snapshot has all its channel state.
    fn poll(&mut self) -> Vec<Action> {
        vec![]
    }

    /// Whether data `seq` of `input`, buffered when an unaligned snapshot was
    /// taken, belongs to its channel state.
    fn captures(&self, _input: u16, _seq: u64) -> Option<CheckpointId> {
        None
    }

    /// The coordinator cancelled `n` (L7).
    fn on_cancel(&mut self, n: CheckpointId) -> Vec<Action>;

    /// When the protocol wants `on_timer` called, if ever.
    fn next_timer(&self) -> Option<Duration> {
        None
    }

    fn on_timer(&mut self, _now: Duration) -> Vec<Action> {
        vec![]
    }
}

/// What a protocol instance is built from.
#[derive(Debug, Clone, Copy)]
pub struct ProtocolConfig {
    pub protocol: Protocol,
    /// Input channels of the task.
    pub inputs: usize,
    /// `aligned_timeout`: alignment time after which the checkpoint goes unaligned.
    pub aligned_timeout: Duration,
    pub bug: Option<Bug>,
}

/// The protocol a task runs.
pub fn build(config: ProtocolConfig) -> Box<dyn BarrierProtocol> {
    assert!(config.inputs > 0, "a task with no inputs has no barriers to handle");
    match config.protocol {
        Protocol::Aligned => Box::new(aligned::Aligned::new(config)),
        Protocol::AtLeastOnce => Box::new(at_least_once::AtLeastOnce::new(config)),
        Protocol::Unaligned => Box::new(unaligned::Unaligned::new(config)),
        Protocol::AlignedTimeout => Box::new(aligned_timeout::AlignedTimeout::new(config)),
    }
}

#[cfg(test)]
pub(crate) fn config(protocol: Protocol, inputs: usize) -> ProtocolConfig {
    ProtocolConfig { protocol, inputs, aligned_timeout: Duration::from_millis(50), bug: None }
}
