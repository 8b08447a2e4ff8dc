//! Flink's barrier-handler unit tests, mirrored against ckptsim's sans-IO
//! barrier protocols (`engine::protocol`): one module per Flink test class,
//! one test per Flink test method that applies. `docs/conformance.md`
//! lists every method of each class, with the ones that do not apply and
//! the ones where ckptsim deliberately differs.
//!
//! Flink's tests feed a sequence of buffers, barriers and cancel markers
//! into an input gate and watch what the handler triggers, aborts and
//! blocks. The mirrors feed the same sequence to a protocol through `Gate`,
//! a small stand-in for ckptsim's task: it numbers each input's data
//! messages, places every in-order barrier at its input's next sequence
//! number, remembers which inputs the protocol blocked, and after an
//! unaligned `Snapshot` reports what the task had consumed (everything that
//! arrived, except what a blocked input buffered) and polls for `Complete`.

use crate::engine::protocol::aligned::Aligned;
use crate::engine::protocol::aligned_timeout::AlignedTimeout;
use crate::engine::protocol::at_least_once::AtLeastOnce;
use crate::engine::protocol::unaligned::Unaligned;
use crate::engine::protocol::{config, Action, BarrierProtocol, ProtocolConfig};
use crate::scenario::ids::CheckpointId;
use std::time::Duration;

/// A task's inputs around one protocol (see the module comment).
struct Gate {
    p: Box<dyn BarrierProtocol>,
    /// Per input: the sequence number of the next data message.
    next: Vec<u64>,
    /// Per input: blocked from this sequence number on, if blocked.
    blocked: Vec<Option<u64>>,
    /// The time handed to the protocol.
    now: Duration,
}

impl Gate {
    fn new(p: Box<dyn BarrierProtocol>, inputs: usize) -> Gate {
        Gate { p, next: vec![0; inputs], blocked: vec![None; inputs], now: Duration::ZERO }
    }

    /// The next data message arrives on `input`.
    fn data(&mut self, input: u16) -> (Option<CheckpointId>, Vec<Action>) {
        let seq = self.next[input as usize];
        self.next[input as usize] += 1;
        let (captured, actions) = self.p.on_data(input, seq);
        (captured, self.apply(actions))
    }

    /// Barrier `n` arrives on `input` in channel order, behind its data so far.
    fn barrier(&mut self, input: u16, n: CheckpointId) -> Vec<Action> {
        let position = self.next[input as usize];
        let actions = self.p.on_barrier(input, n, position, self.now);
        self.apply(actions)
    }

    /// Barrier `n` arrives on `input` ahead of the data before `position`
    /// (it timed out upstream and overtook them).
    fn overtaking(&mut self, input: u16, n: CheckpointId, position: u64) -> Vec<Action> {
        let actions = self.p.on_overtaking_barrier(input, n, position, self.now);
        self.apply(actions)
    }

    /// The coordinator's cancel notice for `n`.
    fn cancel(&mut self, n: CheckpointId) -> Vec<Action> {
        let actions = self.p.on_cancel(n);
        self.apply(actions)
    }

    /// The protocol's timer, at `now`.
    fn timer(&mut self) -> Vec<Action> {
        let actions = self.p.on_timer(self.now);
        self.apply(actions)
    }

    /// Time moves on to `now`, and the protocol's timer goes off.
    fn timer_at(&mut self, now: Duration) -> Vec<Action> {
        self.now = now;
        self.timer()
    }

    /// Does what the task does with `actions`: the snapshot is taken before
    /// anything buffered is processed.
    fn apply(&mut self, actions: Vec<Action>) -> Vec<Action> {
        let consumed: Vec<u64> = self.next.iter().zip(&self.blocked).map(|(n, b)| b.unwrap_or(*n)).collect();
        let mut took_unaligned = false;
        let mut out = Vec::new();
        for a in actions {
            match &a {
                Action::Block { input, from } => self.blocked[*input as usize] = Some(*from),
                Action::Snapshot { checkpoint, unaligned } => {
                    self.blocked.iter_mut().for_each(|b| *b = None);
                    if *unaligned {
                        self.p.snapshot_taken(*checkpoint, &consumed);
                        took_unaligned = true;
                    }
                }
                Action::Abort(_) => self.blocked.iter_mut().for_each(|b| *b = None),
                Action::Complete(_) => {}
            }
            out.push(a);
        }
        if took_unaligned {
            out.extend(self.p.poll());
        }
        out
    }
}

fn aligned(inputs: usize) -> Gate {
    Gate::new(Box::new(Aligned::new(config(inputs))), inputs)
}

fn unaligned(inputs: usize) -> Gate {
    Gate::new(Box::new(Unaligned::new(config(inputs))), inputs)
}

fn tracker(inputs: usize) -> Gate {
    Gate::new(Box::new(AtLeastOnce::new(config(inputs))), inputs)
}

fn timeout_gate(inputs: usize, timeout: Duration) -> Gate {
    Gate::new(Box::new(AlignedTimeout::new(ProtocolConfig::new(inputs, timeout))), inputs)
}

fn snap(n: CheckpointId) -> Action {
    Action::Snapshot { checkpoint: n, unaligned: false }
}

fn usnap(n: CheckpointId) -> Action {
    Action::Snapshot { checkpoint: n, unaligned: true }
}

fn block(input: u16, from: u64) -> Action {
    Action::Block { input, from }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// `AlignedCheckpointsTest`: the aligned `SingleCheckpointBarrierHandler`.
mod aligned_checkpoints_test {
    use super::*;

    /// Flink: on one channel, barriers between buffers trigger checkpoints
    /// 1 to 6 in order, and the stream comes out unchanged. Mirror: with a
    /// single input every barrier snapshots at once, nothing ever blocks
    /// (L5 with one input).
    #[test]
    fn test_single_channel_with_barriers() {
        let mut g = aligned(1);
        for _ in 0..3 {
            g.data(0);
        }
        assert_eq!(g.barrier(0, 1), vec![snap(1)]);
        for _ in 0..4 {
            g.data(0);
        }
        assert_eq!(g.barrier(0, 2), vec![snap(2)]);
        assert_eq!(g.barrier(0, 3), vec![snap(3)]);
        g.data(0);
        g.data(0);
        for n in 4..=6 {
            assert_eq!(g.barrier(0, n), vec![snap(n)]);
        }
        assert_eq!(g.blocked, vec![None]);
    }

    /// Flink: on three channels, four checkpoints align — one with data
    /// from several channels, one whose barriers come together, one with
    /// data on one channel, one empty — each triggered once its last barrier
    /// is in, with no channel left blocked. Mirror: each barrier but the
    /// last blocks its input at its position, the last snapshots and
    /// unblocks everything (L5).
    #[test]
    fn test_multi_channel_with_barriers() {
        let mut g = aligned(3);
        g.data(0);
        g.data(2);
        g.data(0);
        assert_eq!(g.barrier(1, 1), vec![block(1, 0)]);
        assert_eq!(g.barrier(2, 1), vec![block(2, 1)]);
        g.data(0);
        assert_eq!(g.barrier(0, 1), vec![snap(1)]);
        assert_eq!(g.blocked, vec![None, None, None]);

        for input in [0, 0, 1, 1, 2] {
            g.data(input);
        }
        assert_eq!(g.barrier(0, 2), vec![block(0, 5)]);
        assert_eq!(g.barrier(1, 2), vec![block(1, 2)]);
        assert_eq!(g.barrier(2, 2), vec![snap(2)]);

        g.data(2);
        g.data(2);
        assert_eq!(g.barrier(2, 3), vec![block(2, 4)]);
        g.data(0);
        g.data(0);
        assert_eq!(g.barrier(0, 3), vec![block(0, 7)]);
        assert_eq!(g.barrier(1, 3), vec![snap(3)]);

        assert_eq!(g.barrier(1, 4), vec![block(1, 2)]);
        assert_eq!(g.barrier(2, 4), vec![block(2, 4)]);
        assert_eq!(g.barrier(0, 4), vec![snap(4)]);
        assert_eq!(g.blocked, vec![None, None, None]);
    }

    /// Flink: checkpoint 1 completes; checkpoint 2 is abandoned when a
    /// barrier of 3 arrives on a channel that was not blocked, and 3 in
    /// turn when a barrier of 4 arrives; only the new checkpoint's channel
    /// stays blocked each time. (Its last step, end of partition aborting
    /// 4, does not apply: see the document.) Mirror: the newer barrier
    /// answers `Abort` of the pending one, which unblocks every input, then
    /// blocks its own input (L6).
    #[test]
    fn test_multi_channel_jumping_over_checkpoint() {
        let mut g = aligned(3);
        g.data(0);
        g.data(2);
        g.data(0);
        assert_eq!(g.barrier(1, 1), vec![block(1, 0)]);
        assert_eq!(g.barrier(2, 1), vec![block(2, 1)]);
        g.data(0);
        assert_eq!(g.barrier(0, 1), vec![snap(1)]);
        g.data(1);
        g.data(0);

        assert_eq!(g.barrier(1, 2), vec![block(1, 1)]);
        g.data(2);
        assert_eq!(g.barrier(0, 2), vec![block(0, 4)]);
        g.data(2);
        assert_eq!(g.blocked, vec![Some(4), Some(1), None]);
        assert_eq!(g.barrier(2, 3), vec![Action::Abort(2), block(2, 3)]);
        assert_eq!(g.blocked, vec![None, None, Some(3)]);

        g.data(1);
        g.data(0);
        assert_eq!(g.barrier(0, 3), vec![block(0, 5)]);
        assert_eq!(g.barrier(1, 4), vec![Action::Abort(3), block(1, 2)]);
        assert_eq!(g.blocked, vec![None, Some(2), None]);
    }

    /// Flink: checkpoint 1 starts, a cancel marker for it aborts it and
    /// unblocks; checkpoint 2 starts; a late barrier of 1 is ignored and
    /// blocks nothing; 2 completes. One trigger, one abort. Mirror: the
    /// cancel notice answers `Abort(1)` (L7), the late barrier of 1 answers
    /// nothing (L6), and 2 aligns as usual.
    #[test]
    fn test_abort_on_canceled_barriers() {
        let mut g = aligned(3);
        g.data(1);
        assert_eq!(g.barrier(1, 1), vec![block(1, 1)]);
        g.data(2);
        g.data(0);
        assert_eq!(g.cancel(1), vec![Action::Abort(1)]);
        assert_eq!(g.blocked, vec![None, None, None]);
        g.data(1);

        assert_eq!(g.barrier(1, 2), vec![block(1, 2)]);
        g.data(2);
        g.data(0);
        assert_eq!(g.barrier(2, 1), vec![], "already cancelled: ignored, input 2 stays open");
        assert_eq!(g.blocked, vec![None, Some(2), None]);
        g.data(0);
        g.data(2);
        assert_eq!(g.barrier(0, 2), vec![block(0, 3)]);
        assert_eq!(g.barrier(2, 2), vec![snap(2)]);
    }

    /// Flink: checkpoint 3 is subsumed by a barrier of 5 on the third
    /// channel; the cancel marker of 3 that follows is ignored, and 5
    /// completes. One trigger, one abort. Mirror: barrier 5 answers
    /// `Abort(3)` and blocks its input (L6); the cancel notice for 3 then
    /// answers nothing (L7 only concerns the checkpoint in progress).
    #[test]
    fn test_ignore_cancel_barrier_if_checkpoint_subsumed() {
        let mut g = aligned(3);
        g.data(2);
        assert_eq!(g.barrier(1, 3), vec![block(1, 0)]);
        assert_eq!(g.barrier(0, 3), vec![block(0, 0)]);
        g.data(2);
        assert_eq!(g.barrier(2, 5), vec![Action::Abort(3), block(2, 2)]);
        g.data(1);
        g.data(0);
        assert_eq!(g.cancel(3), vec![]);
        g.data(0);
        g.data(1);
        assert_eq!(g.barrier(0, 5), vec![block(0, 2)]);
        assert_eq!(g.barrier(1, 5), vec![snap(5)]);
        assert_eq!(g.blocked, vec![None, None, None]);
    }
}

/// `UnalignedCheckpointsTest`: the unaligned `SingleCheckpointBarrierHandler`.
mod unaligned_checkpoints_test {
    use super::*;

    /// Flink: on one channel, every barrier starts its unaligned checkpoint
    /// and the stream comes out unchanged. Mirror: each barrier answers an
    /// unaligned `Snapshot`, and since everything before it was consumed,
    /// the channel state is complete at once (`Complete`, L10).
    #[test]
    fn test_single_channel_with_barriers() {
        let mut g = unaligned(1);
        for _ in 0..3 {
            assert_eq!(g.data(0), (None, vec![]));
        }
        assert_eq!(g.barrier(0, 1), vec![usnap(1), Action::Complete(1)]);
        for _ in 0..4 {
            assert_eq!(g.data(0), (None, vec![]));
        }
        assert_eq!(g.barrier(0, 2), vec![usnap(2), Action::Complete(2)]);
        assert_eq!(g.barrier(0, 3), vec![usnap(3), Action::Complete(3)]);
        g.data(0);
        g.data(0);
        for n in 4..=6 {
            assert_eq!(g.barrier(0, n), vec![usnap(n), Action::Complete(n)]);
        }
        assert_eq!(g.data(0), (None, vec![]));
    }

    /// Flink: on three channels, the first barrier starts the checkpoint
    /// and exactly the buffers that arrive on a channel before that
    /// channel's barrier are recorded as in-flight data — one buffer for
    /// checkpoint 1, none for 2, four in mixed order for 5. Mirror (its
    /// checkpoints 1, 2 and 5; 3 and 4 add nothing new): the same records,
    /// and only those, are captured, and `Complete` comes with the last
    /// barrier (L10).
    #[test]
    fn test_multi_channel_with_barriers() {
        let mut g = unaligned(3);
        // Checkpoint 1: one record in flight on input 0.
        g.data(0);
        g.data(2);
        g.data(0);
        assert_eq!(g.barrier(1, 1), vec![usnap(1)]);
        assert_eq!(g.barrier(2, 1), vec![]);
        assert_eq!(g.data(2), (None, vec![]), "after input 2's barrier");
        assert_eq!(g.data(1), (None, vec![]), "after input 1's barrier");
        assert_eq!(g.data(0), (Some(1), vec![]), "before input 0's barrier: in flight");
        assert_eq!(g.barrier(0, 1), vec![Action::Complete(1)]);

        // Checkpoint 2: barriers come together, nothing in flight.
        for input in [0, 0, 1, 1, 2] {
            assert_eq!(g.data(input), (None, vec![]));
        }
        assert_eq!(g.barrier(0, 2), vec![usnap(2)]);
        assert_eq!(g.barrier(1, 2), vec![]);
        assert_eq!(g.barrier(2, 2), vec![Action::Complete(2)]);

        // Checkpoint 5: in-flight records on inputs 0 and 2, in mixed order.
        g.data(0);
        g.data(2);
        g.data(0);
        assert_eq!(g.barrier(1, 5), vec![usnap(5)]);
        assert_eq!(g.data(2).0, Some(5));
        assert_eq!(g.data(0).0, Some(5));
        assert_eq!(g.data(2).0, Some(5));
        assert_eq!(g.data(1).0, None);
        assert_eq!(g.barrier(2, 5), vec![]);
        assert_eq!(g.data(1).0, None);
        assert_eq!(g.data(0).0, Some(5));
        assert_eq!(g.data(2).0, None);
        assert_eq!(g.data(1).0, None);
        assert_eq!(g.barrier(0, 5), vec![Action::Complete(5)]);
        assert_eq!(g.data(0), (None, vec![]), "trailing data is no channel state");
    }

    /// Flink: a checkpoint started by one barrier and then cancelled is
    /// aborted before its "all barriers received" future completes. Mirror:
    /// the cancel notice answers `Abort(1)`, and no `Complete(1)` ever
    /// follows — not on a poll, not when the other input's data or barrier
    /// arrives (L7, L10).
    #[test]
    fn test_notify_abort_checkpoint_before_canelling_async_checkpoint() {
        let mut g = unaligned(2);
        assert_eq!(g.barrier(0, 1), vec![usnap(1)]);
        assert_eq!(g.cancel(1), vec![Action::Abort(1)]);
        assert_eq!(g.p.poll(), vec![]);
        assert_eq!(g.data(1), (None, vec![]));
        assert_eq!(g.barrier(1, 1), vec![], "stale once aborted");
    }
}

/// `CheckpointBarrierTrackerTest`: the at-least-once `CheckpointBarrierTracker`.
mod checkpoint_barrier_tracker_test {
    use super::*;

    /// Flink: on one channel, barriers 1 to 6 each trigger their checkpoint.
    /// Mirror: each barrier snapshots at once; the tracker never blocks (L9).
    #[test]
    fn test_single_channel_with_barriers() {
        let mut g = tracker(1);
        for _ in 0..3 {
            g.data(0);
        }
        assert_eq!(g.barrier(0, 1), vec![snap(1)]);
        for _ in 0..4 {
            g.data(0);
        }
        assert_eq!(g.barrier(0, 2), vec![snap(2)]);
        assert_eq!(g.barrier(0, 3), vec![snap(3)]);
        g.data(0);
        g.data(0);
        for n in 4..=6 {
            assert_eq!(g.barrier(0, n), vec![snap(n)]);
        }
    }

    /// Flink: on one channel, barriers with gaps in their ids (1, 3, 4, 6,
    /// 7, 10) trigger exactly those checkpoints. Mirror: the same ids
    /// snapshot, each at its barrier (L2: ids only grow, gaps allowed).
    #[test]
    fn test_single_channel_with_skipped_barriers() {
        let mut g = tracker(1);
        g.data(0);
        for n in [1, 3, 4, 6, 7, 10] {
            assert_eq!(g.barrier(0, n), vec![snap(n)]);
            g.data(0);
        }
    }

    /// Flink: on three channels, checkpoints 1 to 4 are triggered once
    /// their barrier has been seen on every channel, data flowing all the
    /// while. Mirror: every barrier but the last answers nothing — no
    /// `Block`, ever — and the last snapshots (L9).
    #[test]
    fn test_multi_channel_with_barriers() {
        let mut g = tracker(3);
        g.data(0);
        g.data(2);
        g.data(0);
        assert_eq!(g.barrier(1, 1), vec![]);
        assert_eq!(g.barrier(2, 1), vec![]);
        g.data(2);
        g.data(1);
        assert_eq!(g.barrier(0, 1), vec![snap(1)]);
        for input in [0, 0, 1, 1, 2] {
            g.data(input);
        }
        assert_eq!(g.barrier(0, 2), vec![]);
        assert_eq!(g.barrier(1, 2), vec![]);
        assert_eq!(g.barrier(2, 2), vec![snap(2)]);
        g.data(2);
        g.data(2);
        assert_eq!(g.barrier(2, 3), vec![]);
        g.data(2);
        g.data(2);
        assert_eq!(g.barrier(0, 3), vec![]);
        assert_eq!(g.barrier(1, 3), vec![snap(3)]);
        assert_eq!(g.barrier(1, 4), vec![]);
        assert_eq!(g.barrier(2, 4), vec![]);
        assert_eq!(g.barrier(0, 4), vec![snap(4)]);
        assert_eq!(g.blocked, vec![None, None, None]);
    }

    /// Flink: checkpoints 1 and 2 complete; checkpoint 3 has a barrier on
    /// one channel only when checkpoint 4 starts, and 4 completes: the
    /// triggered checkpoints are 1, 2, 4. Mirror: the same snapshots.
    /// ckptsim abandons 3 with an explicit `Abort(3)` at 4's first barrier,
    /// where Flink's tracker drops it silently once 4 completes; either way
    /// 3 is never snapshotted.
    #[test]
    fn test_multi_channel_skipping_checkpoints() {
        let mut g = tracker(3);
        g.data(0);
        g.data(2);
        g.data(0);
        assert_eq!(g.barrier(1, 1), vec![]);
        assert_eq!(g.barrier(2, 1), vec![]);
        g.data(2);
        g.data(1);
        assert_eq!(g.barrier(0, 1), vec![snap(1)]);
        for input in [0, 0, 1, 1, 2] {
            g.data(input);
        }
        assert_eq!(g.barrier(0, 2), vec![]);
        assert_eq!(g.barrier(1, 2), vec![]);
        assert_eq!(g.barrier(2, 2), vec![snap(2)]);
        g.data(2);
        g.data(2);
        assert_eq!(g.barrier(2, 3), vec![]);
        g.data(2);
        g.data(2);
        // Jump to checkpoint 4.
        assert_eq!(g.barrier(0, 4), vec![Action::Abort(3)]);
        for input in [0, 1, 2] {
            g.data(input);
        }
        assert_eq!(g.barrier(1, 4), vec![]);
        g.data(1);
        assert_eq!(g.barrier(2, 4), vec![snap(4)]);
        g.data(0);
    }

    /// Flink: a barrier of 2 arrives on one channel before the cancel
    /// marker of 1 on the other; checkpoint 2 still completes when its
    /// second barrier comes (the test measures its alignment time). Mirror:
    /// barrier 2 abandons 1 (`Abort(1)`), the late cancel notice of 1 is
    /// ignored, and 2 snapshots at its last barrier.
    #[test]
    fn test_next_first_checkpoint_barrier_overtakes_cancellation_barrier() {
        let mut g = tracker(2);
        assert_eq!(g.barrier(1, 1), vec![]);
        assert_eq!(g.barrier(1, 2), vec![Action::Abort(1)]);
        assert_eq!(g.cancel(1), vec![]);
        assert_eq!(g.barrier(0, 2), vec![snap(2)]);
    }
}

/// `AlternatingCheckpointsTest`: aligned checkpoints that time out into
/// unaligned ones (`aligned_timeout`, L11). ckptsim's timer starts at the
/// first barrier handled at the task; `config`-style timeouts are given
/// explicitly here.
mod alternating_checkpoints_test {
    use super::*;

    /// Flink: while a checkpoint aligns, a newer unaligned barrier on
    /// another channel subsumes it, and a buffer that arrived behind the
    /// old barrier on the blocked channel is captured as channel state.
    /// Mirror: the overtaking barrier of 2 answers `Abort(1)` and an
    /// unaligned `Snapshot(2)`; the record buffered on input 0 belongs to
    /// 2's channel state; 2 completes when its barrier reaches input 0
    /// (L6, L11).
    #[test]
    fn test_channel_reset_on_new_barrier() {
        let mut g = timeout_gate(2, ms(50));
        assert_eq!(g.barrier(0, 1), vec![block(0, 0)]);
        assert_eq!(g.data(0), (None, vec![]), "buffered behind barrier 1");
        assert_eq!(g.overtaking(1, 2, 0), vec![Action::Abort(1), usnap(2)]);
        assert_eq!(g.p.captures(0, 0), Some(2));
        assert_eq!(g.barrier(0, 2), vec![Action::Complete(2)]);
    }

    /// Flink: one channel has announced an aligned barrier not yet
    /// processed when the same checkpoint's barrier arrives on another
    /// channel already unaligned (it timed out upstream): that triggers the
    /// checkpoint, unaligned. Mirror: nothing has aligned yet when the
    /// overtaking barrier comes — it snapshots unaligned at once, and the
    /// in-order barrier on the other input then completes it (L11).
    #[test]
    fn test_switch_to_unaligned_by_upstream() {
        let mut g = timeout_gate(2, ms(50));
        assert_eq!(g.overtaking(1, 1, 0), vec![usnap(1)]);
        assert_eq!(g.barrier(0, 1), vec![Action::Complete(1)]);
    }

    /// Flink: an unaligned checkpoint barrier on the fast channel triggers
    /// the checkpoint at once; the slow channel's barrier adds no second
    /// trigger. Mirror: the first overtaking barrier snapshots; the second
    /// only marks where its input's channel state ends, and the in-flight
    /// record before it completes the checkpoint (L10, L11).
    #[test]
    fn test_checkpoint_handling() {
        let mut g = timeout_gate(2, ms(50));
        g.data(1);
        assert_eq!(g.overtaking(0, 123, 0), vec![usnap(123)]);
        assert_eq!(g.overtaking(1, 123, 2), vec![]);
        assert_eq!(g.data(1), (Some(123), vec![Action::Complete(123)]));
    }

    /// Flink: 123 checkpoints (alternating with savepoints) on 123 channels,
    /// all aligned without timeout, are triggered in order. Mirror (all
    /// checkpoints, fewer of each): every one aligns — each barrier blocks
    /// its input, the last snapshots aligned — and none ever goes unaligned.
    #[test]
    fn test_alternation() {
        let mut g = timeout_gate(5, ms(50));
        for n in 1..=10 {
            for input in 0..4 {
                assert_eq!(g.barrier(input, n), vec![block(input, 0)]);
            }
            assert_eq!(g.barrier(4, n), vec![snap(n)]);
        }
    }

    /// Flink: a checkpoint that timed out is taken unaligned, and the next
    /// one, whose barriers come in time, is aligned again. Mirror (two
    /// inputs: a single-input task never aligns in ckptsim): checkpoint 1
    /// times out into an unaligned snapshot, checkpoint 2 snapshots aligned
    /// — the switch is per checkpoint (L11).
    #[test]
    fn test_aligned_after_timed_out() {
        let mut g = timeout_gate(2, ms(50));
        assert_eq!(g.barrier(0, 1), vec![block(0, 0)]);
        assert_eq!(g.timer_at(ms(51)), vec![usnap(1)]);
        assert_eq!(g.barrier(1, 1), vec![Action::Complete(1)]);
        g.now = ms(100);
        assert_eq!(g.barrier(0, 2), vec![block(0, 0)]);
        g.now = ms(110);
        assert_eq!(g.barrier(1, 2), vec![snap(2)]);
    }

    /// Flink: with a timeout that never expires, data on the other channel
    /// triggers nothing and the checkpoint completes aligned at the second
    /// barrier. Mirror: a timeout of a year; the timer, asked an hour
    /// later, does nothing, and the second barrier snapshots aligned.
    #[test]
    fn test_aligned_never_timeoutable_checkpoint() {
        let mut g = timeout_gate(2, secs(365 * 24 * 3600));
        assert_eq!(g.barrier(0, 1), vec![block(0, 0)]);
        assert_eq!(g.data(1), (None, vec![]));
        assert_eq!(g.timer_at(secs(3600)), vec![]);
        assert_eq!(g.barrier(1, 1), vec![snap(1)]);
    }

    /// Flink: two channels each hold data then a barrier; once the
    /// alignment timeout passes the checkpoint is triggered unaligned and
    /// the overtaken buffers follow as in-flight data. Mirror: input 0's
    /// barrier blocks; at the timeout the task snapshots unaligned; input
    /// 1's record that arrives before its barrier is channel state; its
    /// barrier completes the checkpoint (L11). Flink also re-orders barriers
    /// ahead of buffers inside the receiving gate; ckptsim overtakes at the
    /// sender instead (see the document).
    #[test]
    fn test_timeout_alignment() {
        let mut g = timeout_gate(2, ms(50));
        g.now = ms(10);
        g.data(0);
        g.data(0);
        assert_eq!(g.barrier(0, 1), vec![block(0, 2)]);
        assert_eq!(g.p.next_timer(), Some(ms(60)));
        assert_eq!(g.timer_at(ms(60)), vec![usnap(1)]);
        assert_eq!(g.data(1), (Some(1), vec![]));
        assert_eq!(g.barrier(1, 1), vec![Action::Complete(1)]);
    }

    /// Flink: a barrier already processed on a third channel does not keep
    /// the later timeout from switching the checkpoint to unaligned. Mirror:
    /// the timer counts from that first barrier (not from the second), the
    /// switch captures only the input still missing its barrier (L11).
    #[test]
    fn test_timeout_alignment_after_processing_barrier() {
        let mut g = timeout_gate(3, ms(50));
        assert_eq!(g.barrier(2, 1), vec![block(2, 0)]);
        g.now = ms(10);
        g.data(0);
        g.data(0);
        assert_eq!(g.barrier(0, 1), vec![block(0, 2)]);
        assert_eq!(g.timer_at(ms(49)), vec![]);
        assert_eq!(g.timer_at(ms(50)), vec![usnap(1)]);
        assert_eq!(g.data(1), (Some(1), vec![]));
        assert_eq!(g.barrier(1, 1), vec![Action::Complete(1)]);
    }

    /// Flink: after the first barrier, the alignment timer alone (no new
    /// input) triggers the checkpoint as unaligned. Mirror: the protocol
    /// asks for its timer at first barrier + timeout, and the timer answers
    /// an unaligned `Snapshot` (L11).
    #[test]
    fn test_active_timeout_alignment_on_first_barrier() {
        let mut g = timeout_gate(2, ms(100));
        assert_eq!(g.barrier(0, 1), vec![block(0, 0)]);
        assert_eq!(g.p.next_timer(), Some(ms(100)));
        assert_eq!(g.timer_at(ms(101)), vec![usnap(1)]);
    }

    /// Flink: after an alignment times out, no channel stays blocked, and
    /// the checkpoint is triggered once, unaligned. Mirror: the unaligned
    /// snapshot unblocks every input, and the late barrier answers only
    /// `Complete` — no new `Block` (L11).
    #[test]
    fn test_all_channels_unblocked_after_alignment_timeout() {
        let mut g = timeout_gate(2, ms(100));
        assert_eq!(g.barrier(0, 1), vec![block(0, 0)]);
        assert_eq!(g.timer_at(ms(101)), vec![usnap(1)]);
        assert_eq!(g.blocked, vec![None, None]);
        assert_eq!(g.barrier(1, 1), vec![Action::Complete(1)]);
        assert_eq!(g.blocked, vec![None, None]);
    }

    /// Flink: once every barrier is in, the timeout passing later does not
    /// start an unaligned checkpoint. Mirror: after the aligned snapshot
    /// the protocol wants no timer, and a timer call answers nothing.
    #[test]
    fn test_no_active_timeout_alignment_after_last_barrier() {
        let mut g = timeout_gate(2, ms(100));
        assert_eq!(g.barrier(0, 1), vec![block(0, 0)]);
        assert_eq!(g.barrier(1, 1), vec![snap(1)]);
        assert_eq!(g.p.next_timer(), None);
        assert_eq!(g.timer_at(ms(101)), vec![]);
    }

    /// Flink: a checkpoint cancelled during alignment is not triggered when
    /// its timeout passes. Mirror: the cancel notice answers `Abort(1)`
    /// (a second answers nothing), the protocol wants no timer, and a
    /// timer call answers nothing (L7).
    #[test]
    fn test_no_active_timeout_alignment_after_abort() {
        let mut g = timeout_gate(2, ms(100));
        assert_eq!(g.barrier(0, 1), vec![block(0, 0)]);
        assert_eq!(g.cancel(1), vec![Action::Abort(1)]);
        assert_eq!(g.cancel(1), vec![]);
        assert_eq!(g.p.next_timer(), None);
        assert_eq!(g.timer_at(ms(101)), vec![]);
    }

    /// Flink: an aligned barrier was processed on one channel; on another,
    /// a barrier that timed out upstream arrives unaligned ahead of two
    /// buffers, which become that channel's in-flight data; one trigger.
    /// Mirror: the overtaking barrier switches the pending alignment to an
    /// unaligned snapshot at once; both records overtaken on input 1 are
    /// captured; the third input's barrier completes it (L11).
    #[test]
    fn test_timeout_alignment_on_unaligned_checkpoint() {
        let mut g = timeout_gate(3, ms(50));
        assert_eq!(g.barrier(0, 1), vec![block(0, 0)]);
        assert_eq!(g.overtaking(1, 1, 2), vec![usnap(1)]);
        assert_eq!(g.data(1), (Some(1), vec![]));
        assert_eq!(g.data(1), (Some(1), vec![]));
        assert_eq!(g.barrier(2, 1), vec![Action::Complete(1)]);
    }

    /// Flink: during checkpoint 10's alignment an older (savepoint) barrier
    /// 5 arrives on the other channel: the latest checkpoint stays 10 and
    /// that channel is not blocked. Mirror: barrier 5 is stale and answers
    /// nothing; only input 0 is blocked (L6).
    #[test]
    fn test_out_of_order_barrier() {
        let mut g = timeout_gate(2, ms(50));
        assert_eq!(g.barrier(0, 10), vec![block(0, 0)]);
        assert_eq!(g.barrier(1, 5), vec![]);
        assert_eq!(g.blocked, vec![Some(0), None]);
    }

    /// Flink: barrier 2 follows barrier 1 on the first channel, the cancel
    /// marker of 1 then arrives on the second, then barrier 2; the
    /// alignment of 2 is measured from 2's first barrier (2 s). Mirror:
    /// barrier 2 abandons 1 and restarts the alignment — its timer is due
    /// 10 s after 2's first barrier — the late cancel of 1 is ignored, and
    /// 2 snapshots aligned (L6).
    #[test]
    fn test_next_first_checkpoint_barrier_overtakes_cancellation_barrier() {
        let mut g = timeout_gate(2, secs(10));
        assert_eq!(g.barrier(0, 1), vec![block(0, 0)]);
        g.now = secs(1);
        assert_eq!(g.barrier(0, 2), vec![Action::Abort(1), block(0, 0)]);
        g.now = secs(2);
        assert_eq!(g.cancel(1), vec![]);
        assert_eq!(g.p.next_timer(), Some(secs(11)), "2's alignment began at its first barrier");
        g.now = secs(3);
        assert_eq!(g.barrier(1, 2), vec![snap(2)]);
    }
}
