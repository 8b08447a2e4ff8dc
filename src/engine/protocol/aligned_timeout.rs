//! `aligned_timeout`: aligned checkpoints that go unaligned when alignment
//! takes too long (docs/rules.md L11, Flink's `aligned-checkpoint-timeout`).
//! Barriers travel in channel order and align as in `aligned`; if `n` is
//! not in on every input within `aligned_timeout` of its first barrier at
//! this task, the task snapshots at once, unblocks, and keeps everything
//! that arrives before `n` on the inputs still missing it as channel state,
//! as `unaligned` does; its own barriers then overtake its output queues.
//! A barrier that timed out upstream arrives ahead of data before it
//! (`on_overtaking_barrier`): the checkpoint is unaligned here at once.

use super::aligned::effective;
use super::unaligned::{Arrivals, Capture};
use super::{Action, BarrierProtocol, ProtocolConfig, ProtocolKind};
use crate::scenario::ids::CheckpointId;
use crate::scenario::validate::{positive, Check};
use crate::scenario::Scenario;
use std::collections::BTreeMap;
use std::time::Duration;

/// The checkpoint being aligned: when its first barrier came, and where each
/// barrier so far sits.
#[derive(Debug, Clone)]
struct Aligning {
    checkpoint: CheckpointId,
    since: Duration,
    positions: BTreeMap<u16, u64>,
}

#[derive(Debug, Clone)]
pub struct AlignedTimeout {
    inputs: usize,
    timeout: Duration,
    arrived: Arrivals,
    aligning: Option<Aligning>,
    /// After a switch: the unaligned snapshot collecting channel state.
    capture: Option<Capture>,
    done: CheckpointId,
    accept_stale: bool,
    /// Planted bug `unaligned_drop_inflight`.
    drop_inflight: bool,
}

impl AlignedTimeout {
    pub fn new(config: ProtocolConfig) -> Self {
        AlignedTimeout {
            inputs: config.inputs,
            timeout: config.aligned_timeout,
            arrived: Arrivals(vec![0; config.inputs]),
            aligning: None,
            capture: None,
            done: 0,
            accept_stale: config.bugs.stale_barrier_accepted,
            drop_inflight: config.bugs.unaligned.drop_inflight,
        }
    }

    fn pending(&self) -> Option<CheckpointId> {
        self.aligning.as_ref().map(|a| a.checkpoint).or(self.capture.as_ref().map(|c| c.checkpoint))
    }

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

impl BarrierProtocol for AlignedTimeout {
    fn overtakes(&self) -> bool {
        false
    }

    fn on_barrier(&mut self, input: u16, n: CheckpointId, position: u64, now: Duration) -> Vec<Action> {
        let Some(n) = effective(n, self.pending(), self.done, self.accept_stale) else { return vec![] };
        let mut out = vec![];
        if let Some(p) = self.pending().filter(|p| n > *p) {
            out.push(Action::Abort(p));
            self.done = p;
            self.aligning = None;
            self.capture = None;
        }
        if let Some(c) = &mut self.capture {
            c.set_until(input, position);
            out.extend(self.completion());
            return out;
        }
        let a = self.aligning.get_or_insert_with(|| Aligning { checkpoint: n, since: now, positions: BTreeMap::new() });
        a.positions.insert(input, position);
        if a.positions.len() == self.inputs {
            self.aligning = None;
            self.done = n;
            out.push(Action::Snapshot { checkpoint: n, unaligned: false });
        } else {
            out.push(Action::Block { input, from: position });
        }
        out
    }

    fn on_data(&mut self, input: u16, seq: u64) -> (Option<CheckpointId>, Vec<Action>) {
        let captured = self.captures(input, seq);
        self.arrived.on_data(input, seq);
        (captured, self.completion())
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

    fn on_cancel(&mut self, n: CheckpointId) -> Vec<Action> {
        if self.pending() != Some(n) {
            return vec![];
        }
        self.aligning = None;
        self.capture = None;
        self.done = n;
        vec![Action::Abort(n)]
    }

    fn next_timer(&self) -> Option<Duration> {
        self.aligning.as_ref().map(|a| a.since + self.timeout)
    }

    /// L11: the alignment of `n` took too long: switch it to unaligned.
    fn on_timer(&mut self, now: Duration) -> Vec<Action> {
        let Some(a) = self.aligning.take_if(|a| now >= a.since + self.timeout) else { return vec![] };
        self.switch(a.checkpoint, a.positions)
    }

    /// Upstream, `n` timed out and its barrier overtook buffers on the way:
    /// the checkpoint goes unaligned here too, now.
    fn on_overtaking_barrier(&mut self, input: u16, n: CheckpointId, position: u64, now: Duration) -> Vec<Action> {
        let Some(n) = effective(n, self.pending(), self.done, self.accept_stale) else { return vec![] };
        if self.capture.as_ref().is_some_and(|c| c.checkpoint == n) {
            return self.on_barrier(input, n, position, now);
        }
        let mut out = vec![];
        let mut positions = BTreeMap::new();
        match self.aligning.take() {
            Some(a) if a.checkpoint == n => positions = a.positions,
            Some(a) => out.push(Action::Abort(a.checkpoint)),
            None => {}
        }
        if let Some(c) = self.capture.take() {
            out.push(Action::Abort(c.checkpoint));
        }
        positions.insert(input, position);
        out.extend(self.switch(n, positions));
        out
    }
}

impl AlignedTimeout {
    /// `n` goes unaligned: snapshot now, and keep as channel state what
    /// arrives before the barriers (at `positions` where known).
    fn switch(&mut self, n: CheckpointId, positions: BTreeMap<u16, u64>) -> Vec<Action> {
        let mut capture = Capture::new(n, self.inputs);
        for (input, position) in positions {
            capture.set_until(input, position);
        }
        self.capture = Some(capture);
        self.done = n;
        vec![Action::Snapshot { checkpoint: n, unaligned: true }]
    }
}

/// `protocol = "aligned_timeout"`.
pub struct AlignedTimeoutProtocol;

impl ProtocolKind for AlignedTimeoutProtocol {
    fn channel_state(&self) -> bool {
        true
    }

    fn barriers_overtake_on_timeout(&self) -> bool {
        true
    }

    /// It needs `aligned_timeout`, and what unaligned checkpoints need.
    fn check(&self, s: &Scenario) -> Check {
        let Some(t) = s.checkpoint.aligned_timeout else {
            let message = "is missing; protocol \"aligned_timeout\" needs the alignment time after which a \
                           checkpoint goes unaligned, e.g. aligned_timeout = \"20ms\"";
            return Err(("checkpoint.aligned_timeout".into(), message.into()));
        };
        positive(t, "checkpoint.aligned_timeout", "20ms")?;
        super::unaligned_rules(s)
    }

    fn build(&self, config: ProtocolConfig) -> Box<dyn BarrierProtocol> {
        Box::new(AlignedTimeout::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::protocol::config;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn aligns_like_aligned_when_barriers_come_in_time() {
        let mut p = AlignedTimeout::new(config(2));
        assert_eq!(p.on_barrier(0, 1, 3, ms(10)), vec![Action::Block { input: 0, from: 3 }]);
        assert_eq!(p.next_timer(), Some(ms(60)));
        assert_eq!(p.on_barrier(1, 1, 2, ms(40)), vec![Action::Snapshot { checkpoint: 1, unaligned: false }]);
        assert_eq!(p.next_timer(), None);
    }

    #[test]
    fn a_slow_alignment_switches_to_unaligned_and_captures_the_missing_inputs_l11() {
        let mut p = AlignedTimeout::new(config(2));
        p.on_data(0, 0);
        p.on_barrier(0, 1, 1, ms(10));
        assert_eq!(p.on_timer(ms(59)), vec![]);
        assert_eq!(p.on_timer(ms(60)), vec![Action::Snapshot { checkpoint: 1, unaligned: true }]);
        // Input 0 consumed up to its barrier (#1; later data is buffered);
        // input 1 had consumed #0..#3.
        p.snapshot_taken(1, &[1, 4]);
        assert_eq!(p.poll(), vec![]);
        assert_eq!(p.on_data(0, 1), (None, vec![]), "after input 0's barrier");
        assert_eq!(p.on_data(1, 4), (Some(1), vec![]), "before input 1's barrier");
        assert_eq!(p.on_barrier(1, 1, 5, ms(70)), vec![Action::Complete(1)]);
    }

    #[test]
    fn a_barrier_that_timed_out_upstream_makes_the_checkpoint_unaligned_at_once() {
        let mut p = AlignedTimeout::new(config(2));
        p.on_data(0, 0);
        p.on_data(0, 1);
        p.on_data(1, 0);
        p.on_barrier(0, 1, 2, ms(10));
        // Input 1's barrier overtook #1 and #2, still on their way.
        let out = p.on_overtaking_barrier(1, 1, 3, ms(12));
        assert_eq!(out, vec![Action::Snapshot { checkpoint: 1, unaligned: true }]);
        assert_eq!(p.next_timer(), None, "no alignment left to time out");
        p.snapshot_taken(1, &[2, 1]);
        assert_eq!(p.on_data(0, 2), (None, vec![]), "after input 0's barrier");
        assert_eq!(p.on_data(1, 1), (Some(1), vec![]), "before input 1's barrier: channel state");
        assert_eq!(p.on_data(1, 2), (Some(1), vec![Action::Complete(1)]), "the last record before it");
    }

    /// The last barrier and every record before it may be in before the
    /// task reports its snapshot: `poll` then completes it.
    #[test]
    fn a_capture_complete_when_the_snapshot_is_reported_completes_on_poll() {
        let mut p = AlignedTimeout::new(config(2));
        p.on_data(0, 0);
        p.on_barrier(0, 1, 1, ms(10));
        p.on_timer(ms(60));
        p.on_data(1, 0);
        p.on_data(1, 1);
        assert_eq!(p.on_barrier(1, 1, 2, ms(61)), vec![], "the snapshot is not reported yet");
        p.snapshot_taken(1, &[1, 1]);
        assert_eq!(p.poll(), vec![Action::Complete(1)]);
        assert_eq!(p.poll(), vec![], "once");
    }

    /// Planted bug `unaligned_drop_inflight`, once the checkpoint went
    /// unaligned: input 0's in-flight records are not kept, input 1's are.
    #[test]
    fn the_drop_inflight_bug_loses_input_0s_records_after_the_switch() {
        let bug = ProtocolConfig {
            bugs: crate::engine::protocol::ProtocolBugs {
                unaligned: crate::engine::protocol::unaligned::UnalignedBugs { drop_inflight: true },
                ..Default::default()
            },
            ..config(2)
        };
        for (drop, want) in [(false, Some(1)), (true, None)] {
            let mut p = AlignedTimeout::new(if drop { bug } else { config(2) });
            p.on_overtaking_barrier(1, 1, 5, ms(10));
            p.snapshot_taken(1, &[0, 0]);
            assert_eq!(p.captures(0, 0), want, "input 0, drop_inflight = {drop}");
            assert_eq!(p.captures(1, 0), Some(1), "input 1 is kept either way");
        }
    }
}
