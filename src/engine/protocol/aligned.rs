//! `aligned`: the aligned barrier protocol of one task (docs/rules.md L5–L7).
//! Barriers travel in channel order. The first barrier `n` on an input
//! blocks it; once `n` is in on every input the task snapshots, forwards `n`
//! and unblocks, processing what it buffered first.

use super::{Action, BarrierProtocol, ProtocolConfig, ProtocolKind};
use crate::scenario::ids::CheckpointId;
use std::collections::BTreeSet;
use std::time::Duration;

/// Tracks the alignment of one task.
#[derive(Debug, Clone)]
pub struct Aligned {
    inputs: usize,
    /// The checkpoint being aligned and the inputs its barrier came in on.
    pending: Option<(CheckpointId, BTreeSet<u16>)>,
    /// Highest checkpoint snapshotted or aborted here; older barriers are stale.
    done: CheckpointId,
    /// Planted bug `stale_barrier_accepted`.
    accept_stale: bool,
}

impl Aligned {
    pub fn new(config: ProtocolConfig) -> Self {
        Aligned { inputs: config.inputs, pending: None, done: 0, accept_stale: config.bugs.stale_barrier_accepted }
    }

    /// The checkpoint being aligned, if any.
    pub fn aligning(&self) -> Option<CheckpointId> {
        self.pending.as_ref().map(|(n, _)| *n)
    }
}

/// L6: what a barrier `n` means given the pending checkpoint and the last
/// one done: `None` when it is stale and must be ignored. With the planted
/// bug `stale_barrier_accepted`, a stale barrier arriving while a newer
/// checkpoint is pending is counted as that one's barrier.
pub(super) fn effective(
    n: CheckpointId,
    pending: Option<CheckpointId>,
    done: CheckpointId,
    accept_stale: bool,
) -> Option<CheckpointId> {
    match pending {
        Some(p) if n < p => accept_stale.then_some(p),
        Some(p) if n == p => Some(n),
        _ if n <= done => None,
        _ => Some(n),
    }
}

impl BarrierProtocol for Aligned {
    fn overtakes(&self) -> bool {
        false
    }

    fn on_barrier(&mut self, input: u16, n: CheckpointId, position: u64, _now: Duration) -> Vec<Action> {
        let Some(n) = effective(n, self.aligning(), self.done, self.accept_stale) else { return vec![] };
        let mut out = vec![];
        if let Some(p) = self.aligning().filter(|p| n > *p) {
            out.push(Action::Abort(p)); // L6: a newer one aborts the pending one
            self.done = p;
            self.pending = None;
        }
        let seen = &mut self.pending.get_or_insert_with(|| (n, BTreeSet::new())).1;
        seen.insert(input);
        if seen.len() == self.inputs {
            self.pending = None;
            self.done = n;
            out.push(Action::Snapshot { checkpoint: n, unaligned: false });
        } else {
            out.push(Action::Block { input, from: position });
        }
        out
    }

    fn on_cancel(&mut self, n: CheckpointId) -> Vec<Action> {
        match self.pending {
            Some((p, _)) if p == n => {
                self.pending = None;
                self.done = n;
                vec![Action::Abort(n)]
            }
            _ => vec![],
        }
    }
}

/// `protocol = "aligned"`.
pub struct AlignedProtocol;

impl ProtocolKind for AlignedProtocol {
    fn build(&self, config: ProtocolConfig) -> Box<dyn BarrierProtocol> {
        Box::new(Aligned::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::protocol::config;
    use crate::engine::protocol::ProtocolBugs;

    const T: Duration = Duration::ZERO;

    fn aligned(inputs: usize) -> Aligned {
        Aligned::new(config(inputs))
    }

    fn snap(n: CheckpointId) -> Action {
        Action::Snapshot { checkpoint: n, unaligned: false }
    }

    #[test]
    fn blocks_each_input_until_the_barrier_is_on_all_then_snapshots_l5() {
        let mut a = aligned(3);
        assert_eq!(a.on_barrier(0, 1, 10, T), vec![Action::Block { input: 0, from: 10 }]);
        assert_eq!(a.on_barrier(2, 1, 4, T), vec![Action::Block { input: 2, from: 4 }]);
        assert_eq!(a.aligning(), Some(1));
        assert_eq!(a.on_barrier(1, 1, 7, T), vec![snap(1)]);
        assert_eq!(a.aligning(), None);
    }

    #[test]
    fn a_single_input_snapshots_at_once() {
        assert_eq!(aligned(1).on_barrier(0, 4, 0, T), vec![snap(4)]);
    }

    #[test]
    fn older_and_duplicate_barriers_are_ignored_l6() {
        let mut a = aligned(2);
        a.on_barrier(0, 2, 0, T);
        a.on_barrier(1, 2, 0, T);
        assert_eq!(a.on_barrier(0, 1, 0, T), vec![]);
        assert_eq!(a.on_barrier(0, 2, 0, T), vec![]);
        a.on_barrier(0, 3, 0, T);
        assert_eq!(a.on_barrier(0, 3, 0, T), vec![Action::Block { input: 0, from: 0 }], "same input twice");
    }

    #[test]
    fn a_newer_barrier_aborts_the_pending_alignment_l6() {
        let mut a = aligned(2);
        a.on_barrier(0, 5, 0, T);
        assert_eq!(a.on_barrier(1, 6, 3, T), vec![Action::Abort(5), Action::Block { input: 1, from: 3 }]);
        assert_eq!(a.on_barrier(0, 5, 1, T), vec![], "the aborted one is now stale");
        assert_eq!(a.on_barrier(0, 6, 2, T), vec![snap(6)]);
    }

    #[test]
    fn a_cancel_marker_aborts_only_its_checkpoint_l7() {
        let mut a = aligned(2);
        a.on_barrier(1, 7, 0, T);
        assert_eq!(a.on_cancel(6), vec![]);
        assert_eq!(a.on_cancel(7), vec![Action::Abort(7)]);
        assert_eq!(a.on_barrier(0, 7, 0, T), vec![]);
    }

    #[test]
    fn the_stale_barrier_bug_counts_an_old_barrier_for_the_pending_checkpoint() {
        let bug =
            ProtocolConfig { bugs: ProtocolBugs { stale_barrier_accepted: true, ..Default::default() }, ..config(2) };
        let mut a = Aligned::new(bug);
        a.on_barrier(0, 5, 0, T);
        a.on_cancel(5);
        a.on_barrier(0, 6, 4, T);
        assert_eq!(a.on_barrier(1, 5, 2, T), vec![snap(6)], "barrier 5 on input 1 taken for 6");
    }
}
