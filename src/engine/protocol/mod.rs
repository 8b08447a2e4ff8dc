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
//! Each protocol is one file: its `BarrierProtocol` and its `ProtocolKind`
//! (guarantee, what it needs of a scenario, how to build it), listed under
//! its name in `builtins` (what `engine::registry` registers).
//!
//! Positions: every data message on a channel carries the channel's next
//! sequence number; a barrier carries the sequence number of the first data
//! message *behind* it (its position) and takes none itself. A barrier that
//! travels in order arrives when everything before its position has; a
//! barrier that overtakes (unaligned) arrives earlier, and the records
//! before its position that arrive after it are in-flight data.

pub(crate) mod aligned;
pub(crate) mod aligned_timeout;
pub(crate) mod at_least_once;
pub(crate) mod unaligned;

use crate::scenario::ids::CheckpointId;
use crate::scenario::validate::{require, Check};
use crate::scenario::{Guarantee, Scenario};
use std::sync::Arc;
use std::time::Duration;

/// What the task must do after a protocol event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Do not process data of `input` from sequence `from` on; buffer it (L5).
    Block {
        /// The input channel to block.
        input: u16,
        /// The first sequence number held back.
        from: u64,
    },
    /// Take the snapshot of `checkpoint` now and forward its barrier, then
    /// unblock every input. Aligned: upload and ack at once. Unaligned: the
    /// barrier overtakes the output buffers (they become output channel
    /// state), the task reports what it had consumed (`snapshot_taken`), and
    /// the ack waits for `Complete`.
    Snapshot {
        /// The checkpoint to snapshot.
        checkpoint: CheckpointId,
        /// Whether the snapshot keeps in-flight records as channel state
        /// (then `Complete` follows).
        unaligned: bool,
    },
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

    /// Barrier `n` arrived on `input` ahead of data before its `position`,
    /// although barriers travel in order here: its sender's aligned
    /// checkpoint timed out and the barrier overtook the sender's queued
    /// buffers (`aligned_timeout`). By default, handled as any barrier.
    fn on_overtaking_barrier(&mut self, input: u16, n: CheckpointId, position: u64, now: Duration) -> Vec<Action> {
        self.on_barrier(input, n, position, now)
    }

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

    /// The time `next_timer` asked for has come.
    fn on_timer(&mut self, _now: Duration) -> Vec<Action> {
        vec![]
    }
}

/// What a protocol instance is built from.
#[derive(Debug, Clone, Copy)]
pub struct ProtocolConfig {
    /// Input channels of the task.
    pub inputs: usize,
    /// `aligned_timeout`: alignment time after which the checkpoint goes unaligned.
    pub aligned_timeout: Duration,
    /// The planted bugs switched on in the built-in protocols.
    pub(crate) bugs: ProtocolBugs,
}

impl ProtocolConfig {
    /// The configuration of a task with `inputs` input channels (for a
    /// protocol's own tests; the runtime builds the real one).
    pub fn new(inputs: usize, aligned_timeout: Duration) -> ProtocolConfig {
        ProtocolConfig { inputs, aligned_timeout, bugs: ProtocolBugs::default() }
    }
}

/// Planted bugs of the barrier protocols (`bugs` says what each models):
/// the one every protocol shares, then each protocol file's own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ProtocolBugs {
    /// `stale_barrier_accepted`: an older barrier counts for the pending newer checkpoint.
    pub stale_barrier_accepted: bool,
    pub at_least_once: at_least_once::AtLeastOnceBugs,
    /// Also `aligned_timeout`'s, once it has gone unaligned.
    pub unaligned: unaligned::UnalignedBugs,
}

/// A kind of barrier protocol, by the name `[checkpoint] protocol` gives.
pub trait ProtocolKind: Send + Sync {
    /// The output guarantee it gives on its own.
    fn guarantee(&self) -> Guarantee {
        Guarantee::ExactlyOnce
    }

    /// Whether barriers overtake data: senders send them ahead of queued
    /// records, and tasks handle them on arrival (unaligned checkpoints).
    fn barriers_overtake(&self) -> bool {
        false
    }

    /// Whether its snapshots may hold in-flight records (channel state).
    fn channel_state(&self) -> bool {
        false
    }

    /// Whether its tasks may block an input to align barriers (the
    /// `aligning` phase). A fault placed at `aligning` under a protocol
    /// that never does could never fire, and is refused. By default `true`:
    /// nothing is refused that might happen.
    fn aligns(&self) -> bool {
        true
    }

    /// Whether an in-order barrier that waited too long (its aligned
    /// checkpoint timed out) overtakes what is queued ahead of it, at the
    /// sender and on the wire, as Flink's timeoutable barriers do: its
    /// receivers then handle a barrier that arrives ahead of data before it
    /// (`BarrierProtocol::on_overtaking_barrier`). `aligned_timeout` does.
    fn barriers_overtake_on_timeout(&self) -> bool {
        false
    }

    /// Checks what it needs of the rest of the scenario (its knobs, the
    /// job's edges).
    fn check(&self, s: &Scenario) -> Check {
        no_aligned_timeout(s)
    }

    /// The protocol of one task.
    fn build(&self, config: ProtocolConfig) -> Box<dyn BarrierProtocol>;
}

/// The built-in protocols, under the names files give them (what
/// `Registry::builtin` registers).
pub(crate) fn builtins() -> Vec<(&'static str, Arc<dyn ProtocolKind>)> {
    vec![
        ("aligned", Arc::new(aligned::AlignedProtocol)),
        ("at_least_once", Arc::new(at_least_once::AtLeastOnceProtocol)),
        ("unaligned", Arc::new(unaligned::UnalignedProtocol)),
        ("aligned_timeout", Arc::new(aligned_timeout::AlignedTimeoutProtocol)),
    ]
}

/// Only `aligned_timeout` takes `[checkpoint] aligned_timeout`.
pub fn no_aligned_timeout(s: &Scenario) -> Check {
    let name = &s.checkpoint.protocol;
    require(
        s.checkpoint.aligned_timeout.is_none(),
        "checkpoint.aligned_timeout",
        format!(
            "is only for protocol \"aligned_timeout\", but protocol is \"{name}\"; remove it or set \
             protocol = \"aligned_timeout\""
        ),
    )
}

/// What unaligned checkpoints need (L10): one checkpoint in flight, as
/// Flink's `CheckpointConfig` requires. Pointwise and broadcast edges are
/// no reason to refuse a job: their channels are checkpointed aligned
/// within the unaligned checkpoint (`graph::forced_aligned`), as Flink does.
pub fn unaligned_rules(s: &Scenario) -> Check {
    let c = &s.checkpoint;
    let name = &c.protocol;
    require(
        c.max_concurrent == 1,
        "checkpoint.max_concurrent",
        format!(
            "is {}, but protocol \"{name}\" takes unaligned checkpoints, which Flink allows only one at a \
             time; set max_concurrent = 1",
            c.max_concurrent
        ),
    )
}

#[cfg(test)]
pub(crate) fn config(inputs: usize) -> ProtocolConfig {
    ProtocolConfig { inputs, aligned_timeout: Duration::from_millis(50), bugs: ProtocolBugs::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What each built-in tells the runtime about itself (the runtime wires
    /// senders, phases and channel state from these answers).
    #[test]
    fn every_builtin_kind_declares_how_its_barriers_travel() {
        // (name, guarantee, barriers overtake, channel state, aligns, overtake on timeout)
        let want = [
            ("aligned", Guarantee::ExactlyOnce, false, false, true, false),
            ("at_least_once", Guarantee::AtLeastOnce, false, false, false, false),
            ("unaligned", Guarantee::ExactlyOnce, true, true, false, false),
            ("aligned_timeout", Guarantee::ExactlyOnce, false, true, true, true),
        ];
        let kinds = builtins();
        assert_eq!(kinds.len(), want.len());
        for ((name, kind), (wname, guarantee, overtake, channel, aligns, on_timeout)) in kinds.iter().zip(want) {
            assert_eq!(*name, wname);
            assert_eq!(kind.guarantee(), guarantee, "{name}");
            assert_eq!(kind.barriers_overtake(), overtake, "{name}");
            assert_eq!(kind.channel_state(), channel, "{name}");
            assert_eq!(kind.aligns(), aligns, "{name}");
            assert_eq!(kind.barriers_overtake_on_timeout(), on_timeout, "{name}");
            assert_eq!(kind.build(config(2)).overtakes(), overtake, "{name}: the task agrees with its kind");
        }
    }

    /// A protocol that keeps the trait's defaults (here `aligned`) handles an
    /// overtaking barrier as any barrier, claims no record as channel state
    /// and asks for no timer.
    #[test]
    fn the_defaults_handle_every_barrier_alike_and_capture_nothing() {
        let kind = aligned::AlignedProtocol;
        let mut p = kind.build(config(1));
        assert_eq!(p.on_data(0, 3), (None, vec![]));
        assert_eq!(p.captures(0, 3), None);
        assert_eq!(p.next_timer(), None);
        assert_eq!(p.on_timer(Duration::from_secs(1)), vec![]);
        assert_eq!(p.poll(), vec![]);
        assert_eq!(
            p.on_overtaking_barrier(0, 4, 9, Duration::ZERO),
            vec![Action::Snapshot { checkpoint: 4, unaligned: false }],
            "an overtaking barrier counts as a barrier"
        );
    }
}
