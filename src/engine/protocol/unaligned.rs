//! `unaligned`: unaligned checkpoints (docs/rules.md L10, FLIP-76). The first
//! barrier `n` on any input triggers the snapshot at once; the barrier
//! overtakes the task's output buffers (they become output channel state)
//! and nothing blocks. Records before `n`'s position on each input that the
//! snapshotted state does not include — buffered at the task, or still in
//! flight behind the overtaking barrier — are in-flight data: they are
//! processed as usual and also kept as input channel state. Once `n` is in
//! on every input and everything before its positions has arrived, the
//! channel state is complete and the task acks.

use super::aligned::effective;
use super::{Action, BarrierProtocol, ProtocolConfig, ProtocolKind};
use crate::scenario::ids::CheckpointId;
use crate::scenario::validate::Check;
use crate::scenario::Scenario;
use std::time::Duration;

/// The channel state of one unaligned snapshot, being collected.
#[derive(Debug, Clone)]
pub struct Capture {
    pub checkpoint: CheckpointId,
    /// Per input: the first sequence number the snapshotted state lacks
    /// (unknown until the task reports it).
    from: Option<Vec<u64>>,
    /// Per input: the barrier's position, once it arrived.
    until: Vec<Option<u64>>,
}

impl Capture {
    pub fn new(checkpoint: CheckpointId, inputs: usize) -> Self {
        Capture { checkpoint, from: None, until: vec![None; inputs] }
    }

    pub fn set_until(&mut self, input: u16, position: u64) {
        self.until[input as usize] = Some(position);
    }

    pub fn set_from(&mut self, consumed: &[u64]) {
        self.from = Some(consumed.to_vec());
    }

    /// Data `seq` on `input` is before the barrier and not in the state.
    pub fn captures(&self, input: u16, seq: u64) -> bool {
        let Some(from) = &self.from else { return false };
        seq >= from[input as usize] && self.until[input as usize].is_none_or(|u| seq < u)
    }

    /// Every barrier is in and everything before them has arrived.
    pub fn complete(&self, arrived: &[u64]) -> bool {
        self.from.is_some() && self.until.iter().zip(arrived).all(|(u, a)| u.is_some_and(|u| *a >= u))
    }
}

/// Per input: the next sequence number expected (everything below arrived).
#[derive(Debug, Clone)]
pub struct Arrivals(pub Vec<u64>);

impl Arrivals {
    pub fn on_data(&mut self, input: u16, seq: u64) {
        let a = &mut self.0[input as usize];
        *a = (*a).max(seq + 1);
    }
}

/// Planted bugs of unaligned checkpoints (`bugs` says what each models).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnalignedBugs {
    /// `unaligned_drop_inflight`: input 0's in-flight records are left out.
    pub drop_inflight: bool,
}

#[derive(Debug, Clone)]
pub struct Unaligned {
    inputs: usize,
    arrived: Arrivals,
    capture: Option<Capture>,
    done: CheckpointId,
    accept_stale: bool,
    /// Planted bug `unaligned_drop_inflight`: input 0's in-flight records
    /// are not kept.
    drop_inflight: bool,
}

impl Unaligned {
    pub fn new(config: ProtocolConfig) -> Self {
        Unaligned {
            inputs: config.inputs,
            arrived: Arrivals(vec![0; config.inputs]),
            capture: None,
            done: 0,
            accept_stale: config.bugs.stale_barrier_accepted,
            drop_inflight: config.bugs.unaligned.drop_inflight,
        }
    }

    /// `Complete` if the pending capture just became complete.
    fn completion(&mut self) -> Vec<Action> {
        match &self.capture {
            Some(c) if c.complete(&self.arrived.0) => {
                let n = c.checkpoint;
                self.capture = None;
                vec![Action::Complete(n)]
            }
            _ => vec![],
        }
    }
}

impl BarrierProtocol for Unaligned {
    fn overtakes(&self) -> bool {
        true
    }

    fn on_barrier(&mut self, input: u16, n: CheckpointId, position: u64, _now: Duration) -> Vec<Action> {
        let pending = self.capture.as_ref().map(|c| c.checkpoint);
        let Some(n) = effective(n, pending, self.done, self.accept_stale) else { return vec![] };
        let mut out = vec![];
        if let Some(p) = pending.filter(|p| n > *p) {
            out.push(Action::Abort(p));
            self.capture = None;
        }
        match &mut self.capture {
            Some(c) => c.set_until(input, position),
            None => {
                // The first barrier of `n`: snapshot now (L10).
                let mut c = Capture::new(n, self.inputs);
                c.set_until(input, position);
                self.capture = Some(c);
                self.done = n;
                out.push(Action::Snapshot { checkpoint: n, unaligned: true });
                return out;
            }
        }
        out.extend(self.completion());
        out
    }

    fn snapshot_taken(&mut self, n: CheckpointId, consumed: &[u64]) {
        if let Some(c) = self.capture.as_mut().filter(|c| c.checkpoint == n) {
            c.set_from(consumed);
        }
    }

    fn poll(&mut self) -> Vec<Action> {
        self.completion()
    }

    fn captures(&self, input: u16, seq: u64) -> Option<CheckpointId> {
        let c = self.capture.as_ref()?;
        let dropped = self.drop_inflight && input == 0;
        (c.captures(input, seq) && !dropped).then_some(c.checkpoint)
    }

    fn on_data(&mut self, input: u16, seq: u64) -> (Option<CheckpointId>, Vec<Action>) {
        let captured = self.captures(input, seq);
        self.arrived.on_data(input, seq);
        (captured, self.completion())
    }

    fn on_cancel(&mut self, n: CheckpointId) -> Vec<Action> {
        match &self.capture {
            Some(c) if c.checkpoint == n => {
                self.capture = None;
                vec![Action::Abort(n)]
            }
            _ => vec![],
        }
    }
}

/// `protocol = "unaligned"`.
pub struct UnalignedProtocol;

impl ProtocolKind for UnalignedProtocol {
    fn barriers_overtake(&self) -> bool {
        true
    }

    /// Its barriers overtake: no task blocks an input (an operator reading
    /// a pointwise or broadcast channel aligns, under `aligned`).
    fn aligns(&self) -> bool {
        false
    }

    fn channel_state(&self) -> bool {
        true
    }

    fn check(&self, s: &Scenario) -> Check {
        super::no_aligned_timeout(s)?;
        super::unaligned_rules(s)
    }

    fn build(&self, config: ProtocolConfig) -> Box<dyn BarrierProtocol> {
        Box::new(Unaligned::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::protocol::config;
    use crate::engine::protocol::ProtocolBugs;

    const T: Duration = Duration::ZERO;

    fn unaligned(inputs: usize) -> Unaligned {
        Unaligned::new(config(inputs))
    }

    #[test]
    fn the_first_barrier_snapshots_at_once_and_in_flight_records_are_captured_l10() {
        let mut u = unaligned(2);
        // Input 0 has received #0..#2; input 1 #0..#4.
        for s in 0..3 {
            u.on_data(0, s);
        }
        for s in 0..5 {
            u.on_data(1, s);
        }
        // Barrier 1 overtakes on input 0: it sits before data #6.
        assert_eq!(u.on_barrier(0, 1, 6, T), vec![Action::Snapshot { checkpoint: 1, unaligned: true }]);
        // The task had consumed everything that arrived.
        u.snapshot_taken(1, &[3, 5]);
        assert_eq!(u.poll(), vec![]);
        // #3..#5 on input 0 are in flight before the barrier: captured.
        assert_eq!(u.on_data(0, 3), (Some(1), vec![]));
        // On input 1 everything until its barrier is captured.
        assert_eq!(u.on_data(1, 5), (Some(1), vec![]));
        assert_eq!(u.on_barrier(1, 1, 6, T), vec![]);
        assert_eq!(u.on_data(0, 4), (Some(1), vec![]));
        assert_eq!(u.on_data(0, 5), (Some(1), vec![Action::Complete(1)]), "all before both positions arrived");
        assert_eq!(u.on_data(0, 6), (None, vec![]), "after the barrier: not channel state");
    }

    #[test]
    fn records_buffered_at_the_snapshot_are_captured_and_in_band_barriers_complete_at_once() {
        let mut u = unaligned(1);
        u.on_data(0, 0);
        u.on_data(0, 1);
        u.on_barrier(0, 3, 2, T);
        // #1 was still buffered, unprocessed, at the snapshot.
        u.snapshot_taken(3, &[1]);
        assert_eq!(u.captures(0, 1), Some(3), "buffered at the snapshot, before the barrier");
        assert_eq!(u.poll(), vec![Action::Complete(3)]);
        assert_eq!(u.captures(0, 1), None, "complete: nothing more is captured");
    }

    #[test]
    fn a_cancel_or_a_newer_barrier_drops_the_capture() {
        let mut u = unaligned(2);
        u.on_barrier(0, 1, 0, T);
        u.snapshot_taken(1, &[0, 0]);
        assert_eq!(u.on_cancel(0), vec![], "a cancel of another checkpoint keeps the capture");
        assert_eq!(u.captures(1, 0), Some(1));
        assert_eq!(u.on_cancel(1), vec![Action::Abort(1)]);
        assert_eq!(u.on_data(1, 0), (None, vec![]));
        assert_eq!(u.on_barrier(1, 1, 1, T), vec![], "stale after the cancel");
        u.on_barrier(0, 2, 1, T);
        u.snapshot_taken(2, &[1, 1]);
        assert_eq!(u.on_barrier(1, 3, 1, T)[0], Action::Abort(2));
    }

    #[test]
    fn the_drop_inflight_bug_loses_input_0s_records() {
        let mut u = Unaligned::new(ProtocolConfig {
            bugs: ProtocolBugs { unaligned: UnalignedBugs { drop_inflight: true }, ..Default::default() },
            ..config(2)
        });
        u.on_barrier(1, 1, 0, T);
        u.snapshot_taken(1, &[0, 0]);
        assert_eq!(u.on_data(0, 0).0, None);
    }
}
