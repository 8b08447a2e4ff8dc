//! Chandy–Lamport marker snapshots as a ckptsim barrier protocol — one that
//! ckptsim does not ship — registered from this crate through ckptsim's
//! public API and judged by the same oracles, swarm and coverage as the
//! built-in ones.
//!
//! The algorithm (Chandy and Lamport, 1985), with ckptsim's barriers as the
//! markers: when the first marker of snapshot `n` reaches a task, the task
//! records its state at once and forwards the marker; it does not block any
//! input, and markers never overtake data. From then on, every message that
//! arrives on an input whose marker has not come yet was in flight across
//! the cut: it is recorded as that channel's state (and processed as
//! usual). When the marker has come on every input, the snapshot is
//! complete. Restoring it restores the state *and* replays the recorded
//! messages, so nothing sent before the cut is lost.
//!
//! `ChandyLamportForgetsChannels` is the classic slip: it records the local
//! state but no channel state, so the messages in flight when the snapshot
//! was taken are in neither; after a restore they are lost. ckptsim's
//! `consistent_cut` and `exactly_once_output` oracles catch it.

use ckptsim::engine::protocol::{unaligned_rules, Action, BarrierProtocol, ProtocolConfig, ProtocolKind};
use ckptsim::run::testbed::Testbed;
use ckptsim::scenario::ids::CheckpointId;
use ckptsim::scenario::validate::Check;
use ckptsim::scenario::Scenario;
use std::time::Duration;

/// The protocols this crate adds, as scenario files name them.
pub fn testbed() -> Testbed {
    Testbed::new()
        .protocol("chandy_lamport", ChandyLamport { record_channels: true })
        .protocol("chandy_lamport_forgets_channels", ChandyLamport { record_channels: false })
}

/// `protocol = "chandy_lamport"` (or, with `record_channels` off, the flawed
/// `"chandy_lamport_forgets_channels"`).
pub struct ChandyLamport {
    pub record_channels: bool,
}

impl ProtocolKind for ChandyLamport {
    /// Snapshots hold in-flight messages as channel state.
    fn channel_state(&self) -> bool {
        true
    }

    /// What ckptsim's runtime needs to keep channel state: one snapshot in
    /// flight, and no pointwise or broadcast edges.
    fn check(&self, s: &Scenario) -> Check {
        unaligned_rules(s)
    }

    fn build(&self, config: ProtocolConfig) -> Box<dyn BarrierProtocol> {
        Box::new(MarkerSnapshots::new(config.inputs, self.record_channels))
    }
}

/// One snapshot being recorded.
#[derive(Debug, Clone)]
struct Recording {
    snapshot: CheckpointId,
    /// Per input: the position of its marker, once it has come.
    marker: Vec<Option<u64>>,
    /// Per input: the first message the recorded state does not include
    /// (known once the runtime took the snapshot).
    from: Option<Vec<u64>>,
}

/// The protocol at one task.
#[derive(Debug, Clone)]
pub struct MarkerSnapshots {
    /// Inputs of the task.
    inputs: usize,
    recording: Option<Recording>,
    /// The newest snapshot taken or abandoned here: older markers are stale.
    done: CheckpointId,
    record_channels: bool,
}

impl MarkerSnapshots {
    pub fn new(inputs: usize, record_channels: bool) -> Self {
        MarkerSnapshots { inputs, recording: None, done: 0, record_channels }
    }

    /// `Complete` once every input's marker has come (markers travel in
    /// channel order, so every message before each one has arrived too).
    fn completion(&mut self) -> Vec<Action> {
        let Some(r) = &self.recording else { return vec![] };
        if r.marker.iter().any(Option::is_none) || r.from.is_none() {
            return vec![];
        }
        let n = r.snapshot;
        self.recording = None;
        vec![Action::Complete(n)]
    }
}

impl BarrierProtocol for MarkerSnapshots {
    /// Markers travel in channel order, behind the data before them.
    fn overtakes(&self) -> bool {
        false
    }

    fn on_barrier(&mut self, input: u16, n: CheckpointId, position: u64, _now: Duration) -> Vec<Action> {
        let pending = self.recording.as_ref().map(|r| r.snapshot);
        if n <= self.done && pending != Some(n) {
            return vec![]; // a marker of a snapshot taken or abandoned already
        }
        let mut out = vec![];
        if let Some(p) = pending.filter(|p| n > *p) {
            // A newer snapshot's marker overtook ours on this input: ours can
            // no longer complete here.
            self.recording = None;
            out.push(Action::Abort(p));
        }
        match &mut self.recording {
            Some(r) => r.marker[input as usize] = Some(position),
            None => {
                let mut marker = vec![None; self.inputs];
                marker[input as usize] = Some(position);
                self.recording = Some(Recording { snapshot: n, marker, from: None });
                self.done = n;
                // Record the state now, forward the marker, block nothing.
                out.push(Action::Snapshot { checkpoint: n, unaligned: true });
            }
        }
        out.extend(self.completion());
        out
    }

    fn on_data(&mut self, input: u16, seq: u64) -> (Option<CheckpointId>, Vec<Action>) {
        (self.captures(input, seq), self.completion())
    }

    fn snapshot_taken(&mut self, n: CheckpointId, consumed: &[u64]) {
        if let Some(r) = self.recording.as_mut().filter(|r| r.snapshot == n) {
            r.from = Some(consumed.to_vec());
        }
    }

    fn poll(&mut self) -> Vec<Action> {
        self.completion()
    }

    /// A message belongs to the channel state when it comes after the
    /// recorded state and before its input's marker.
    fn captures(&self, input: u16, seq: u64) -> Option<CheckpointId> {
        let r = self.recording.as_ref()?;
        let from = r.from.as_ref()?[input as usize];
        let before_marker = r.marker[input as usize].is_none_or(|m| seq < m);
        (self.record_channels && seq >= from && before_marker).then_some(r.snapshot)
    }

    fn on_cancel(&mut self, n: CheckpointId) -> Vec<Action> {
        match &self.recording {
            Some(r) if r.snapshot == n => {
                self.recording = None;
                vec![Action::Abort(n)]
            }
            _ => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::ZERO;

    #[test]
    fn the_first_marker_records_the_state_and_blocks_nothing() {
        let mut p = MarkerSnapshots::new(2, true);
        assert_eq!(p.on_barrier(0, 1, 4, T), vec![Action::Snapshot { checkpoint: 1, unaligned: true }]);
        p.snapshot_taken(1, &[4, 2]);
        // Input 1's messages 2 and 3 were in flight across the cut.
        assert_eq!(p.on_data(1, 2), (Some(1), vec![]));
        assert_eq!(p.on_data(1, 3), (Some(1), vec![]));
        assert_eq!(p.on_barrier(1, 1, 4, T), vec![Action::Complete(1)]);
        assert_eq!(p.on_data(1, 4), (None, vec![]), "after its marker a message is the next snapshot's business");
    }

    #[test]
    fn the_flawed_variant_records_no_channel_state() {
        let mut p = MarkerSnapshots::new(2, false);
        p.on_barrier(0, 1, 4, T);
        p.snapshot_taken(1, &[4, 2]);
        assert_eq!(p.on_data(1, 2), (None, vec![]));
    }

    #[test]
    fn a_newer_marker_abandons_the_older_snapshot_and_stale_ones_are_ignored() {
        let mut p = MarkerSnapshots::new(2, true);
        p.on_barrier(0, 1, 0, T);
        p.snapshot_taken(1, &[0, 0]);
        assert_eq!(
            p.on_barrier(1, 2, 0, T),
            vec![Action::Abort(1), Action::Snapshot { checkpoint: 2, unaligned: true }]
        );
        assert_eq!(p.on_barrier(0, 1, 1, T), vec![], "a marker of an abandoned snapshot");
        assert_eq!(p.on_cancel(2), vec![Action::Abort(2)]);
    }
}
