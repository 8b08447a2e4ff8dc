//! `BarrierAligner`: the aligned barrier protocol of one task, sans-IO
//! (FLINK-SPEC L5, L6, L7). It is told which barrier arrived on which input
//! and answers with what the task must do; the task keeps the buffers.

use super::msg::CheckpointId;
use std::collections::BTreeSet;

/// What the task must do after a barrier event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Align {
    /// Stop reading this input; buffer what arrives on it (L5).
    Block(u16),
    /// Barrier `n` is in on every input: snapshot now, forward `n` on every
    /// output, then unblock every input (buffered records first).
    Snapshot(CheckpointId),
    /// Alignment of `n` is abandoned (a newer barrier, or a cancel): unblock
    /// every input.
    Abort(CheckpointId),
}

/// Tracks the alignment of one task with `inputs` input channels.
#[derive(Debug, Clone)]
pub struct BarrierAligner {
    inputs: usize,
    /// The checkpoint being aligned and the inputs its barrier came in on.
    pending: Option<(CheckpointId, BTreeSet<u16>)>,
    /// Highest checkpoint snapshotted or aborted here; older barriers are stale.
    done: CheckpointId,
    /// Planted bug `skip_alignment`: snapshot on the first barrier, block nothing.
    skip_alignment: bool,
}

impl BarrierAligner {
    pub fn new(inputs: usize, skip_alignment: bool) -> Self {
        assert!(inputs > 0, "a task with no inputs has no barriers to align");
        BarrierAligner { inputs, pending: None, done: 0, skip_alignment }
    }

    /// The checkpoint being aligned, if any.
    pub fn aligning(&self) -> Option<CheckpointId> {
        self.pending.as_ref().map(|(n, _)| *n)
    }

    /// Barrier `n` arrived on `input`.
    pub fn on_barrier(&mut self, input: u16, n: CheckpointId) -> Vec<Align> {
        if n <= self.done {
            return vec![]; // L6: older than the current one, ignored
        }
        let mut out = vec![];
        match &self.pending {
            Some((p, _)) if n < *p => return out, // L6: stale
            Some((p, _)) if n > *p => {
                out.push(Align::Abort(*p)); // L6: a newer one aborts the pending one
                self.done = *p;
                self.pending = None;
            }
            _ => {}
        }
        if self.skip_alignment {
            self.done = n;
            out.push(Align::Snapshot(n));
            return out;
        }
        let seen = &mut self.pending.get_or_insert_with(|| (n, BTreeSet::new())).1;
        seen.insert(input);
        if seen.len() == self.inputs {
            self.pending = None;
            self.done = n;
            out.push(Align::Snapshot(n));
        } else {
            out.push(Align::Block(input));
        }
        out
    }

    /// The coordinator cancelled `n` (L7).
    pub fn on_cancel(&mut self, n: CheckpointId) -> Vec<Align> {
        match self.pending {
            Some((p, _)) if p == n => {
                self.pending = None;
                self.done = n;
                vec![Align::Abort(n)]
            }
            _ => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_each_input_until_the_barrier_is_on_all_then_snapshots_l5() {
        let mut a = BarrierAligner::new(3, false);
        assert_eq!(a.on_barrier(0, 1), vec![Align::Block(0)]);
        assert_eq!(a.on_barrier(2, 1), vec![Align::Block(2)]);
        assert_eq!(a.aligning(), Some(1));
        assert_eq!(a.on_barrier(1, 1), vec![Align::Snapshot(1)]);
        assert_eq!(a.aligning(), None);
    }

    #[test]
    fn a_single_input_snapshots_at_once() {
        let mut a = BarrierAligner::new(1, false);
        assert_eq!(a.on_barrier(0, 4), vec![Align::Snapshot(4)]);
    }

    #[test]
    fn older_and_duplicate_barriers_are_ignored_l6() {
        let mut a = BarrierAligner::new(2, false);
        a.on_barrier(0, 2);
        a.on_barrier(1, 2);
        assert_eq!(a.on_barrier(0, 1), vec![]);
        assert_eq!(a.on_barrier(0, 2), vec![]);
        a.on_barrier(0, 3);
        assert_eq!(a.on_barrier(0, 3), vec![Align::Block(0)], "same input twice does not complete");
    }

    #[test]
    fn a_newer_barrier_aborts_the_pending_alignment_l6() {
        let mut a = BarrierAligner::new(2, false);
        a.on_barrier(0, 5);
        assert_eq!(a.on_barrier(1, 6), vec![Align::Abort(5), Align::Block(1)]);
        assert_eq!(a.on_barrier(0, 5), vec![], "the aborted one is now stale");
        assert_eq!(a.on_barrier(0, 6), vec![Align::Snapshot(6)]);
    }

    #[test]
    fn a_cancel_marker_aborts_only_its_checkpoint_l7() {
        let mut a = BarrierAligner::new(2, false);
        a.on_barrier(1, 7);
        assert_eq!(a.on_cancel(6), vec![]);
        assert_eq!(a.on_cancel(7), vec![Align::Abort(7)]);
        assert_eq!(a.on_barrier(0, 7), vec![]);
    }

    #[test]
    fn the_skip_alignment_bug_snapshots_on_the_first_barrier() {
        let mut a = BarrierAligner::new(2, true);
        assert_eq!(a.on_barrier(1, 1), vec![Align::Snapshot(1)]);
        assert_eq!(a.on_barrier(0, 1), vec![]);
    }
}
