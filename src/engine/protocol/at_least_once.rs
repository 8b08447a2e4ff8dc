//! `at_least_once`: barrier tracking without blocking (docs/rules.md L9,
//! Flink's `CheckpointBarrierTracker`). Every input keeps flowing; the task
//! snapshots once barrier `n` was seen on every input. Records that arrive
//! on an input after its barrier but before the last barrier enter the state
//! and are replayed again after a restore: at-least-once. A task with one
//! input is exactly-once either way.

use super::aligned::effective;
use super::{Action, BarrierProtocol, ProtocolConfig, ProtocolKind};
use crate::scenario::ids::CheckpointId;
use crate::scenario::Guarantee;
use std::collections::BTreeSet;
use std::time::Duration;

/// Planted bugs of at-least-once checkpoints (`bugs` says what each models).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AtLeastOnceBugs {
    /// `at_least_once_early_snapshot`: snapshot on the first barrier, not the last.
    pub early_snapshot: bool,
}

#[derive(Debug, Clone)]
pub struct AtLeastOnce {
    inputs: usize,
    pending: Option<(CheckpointId, BTreeSet<u16>)>,
    done: CheckpointId,
    /// Planted bug `at_least_once_early_snapshot`: snapshot on the first barrier.
    early: bool,
    accept_stale: bool,
}

impl AtLeastOnce {
    pub fn new(config: ProtocolConfig) -> Self {
        AtLeastOnce {
            inputs: config.inputs,
            pending: None,
            done: 0,
            early: config.bugs.at_least_once.early_snapshot,
            accept_stale: config.bugs.stale_barrier_accepted,
        }
    }
}

impl BarrierProtocol for AtLeastOnce {
    fn overtakes(&self) -> bool {
        false
    }

    fn on_barrier(&mut self, input: u16, n: CheckpointId, _position: u64, _now: Duration) -> Vec<Action> {
        let pending = self.pending.as_ref().map(|(p, _)| *p);
        let Some(n) = effective(n, pending, self.done, self.accept_stale) else { return vec![] };
        let mut out = vec![];
        if let Some(p) = pending.filter(|p| n > *p) {
            out.push(Action::Abort(p)); // a newer checkpoint subsumes the pending one here
            self.done = p;
            self.pending = None;
        }
        let seen = &mut self.pending.get_or_insert_with(|| (n, BTreeSet::new())).1;
        seen.insert(input);
        if seen.len() == self.inputs || self.early {
            self.pending = None;
            self.done = n;
            out.push(Action::Snapshot { checkpoint: n, unaligned: false });
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

/// `protocol = "at_least_once"`.
pub struct AtLeastOnceProtocol;

impl ProtocolKind for AtLeastOnceProtocol {
    fn guarantee(&self) -> Guarantee {
        Guarantee::AtLeastOnce
    }

    /// Nothing blocks (L9).
    fn aligns(&self) -> bool {
        false
    }

    fn build(&self, config: ProtocolConfig) -> Box<dyn BarrierProtocol> {
        Box::new(AtLeastOnce::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::protocol::config;
    use crate::engine::protocol::ProtocolBugs;

    const T: Duration = Duration::ZERO;

    #[test]
    fn never_blocks_and_snapshots_once_every_barrier_is_seen_l9() {
        let mut p = AtLeastOnce::new(config(3));
        assert_eq!(p.on_barrier(0, 1, 5, T), vec![]);
        assert_eq!(p.on_barrier(2, 1, 5, T), vec![]);
        assert_eq!(p.on_barrier(1, 1, 5, T), vec![Action::Snapshot { checkpoint: 1, unaligned: false }]);
        assert_eq!(p.on_barrier(1, 1, 6, T), vec![], "a duplicate is stale");
    }

    #[test]
    fn a_newer_barrier_abandons_the_older_checkpoint() {
        let mut p = AtLeastOnce::new(config(2));
        p.on_barrier(0, 1, 0, T);
        assert_eq!(p.on_barrier(1, 2, 0, T), vec![Action::Abort(1)]);
        assert_eq!(p.on_barrier(0, 2, 0, T), vec![Action::Snapshot { checkpoint: 2, unaligned: false }]);
    }

    #[test]
    fn the_early_snapshot_bug_snapshots_on_the_first_barrier() {
        let bug = ProtocolConfig {
            bugs: ProtocolBugs { at_least_once: AtLeastOnceBugs { early_snapshot: true }, ..Default::default() },
            ..config(2)
        };
        let mut p = AtLeastOnce::new(bug);
        assert_eq!(p.on_barrier(1, 1, 0, T), vec![Action::Snapshot { checkpoint: 1, unaligned: false }]);
    }

    #[test]
    fn barriers_travel_in_order_and_a_cancel_abandons_only_its_checkpoint_l7() {
        let mut p = AtLeastOnce::new(config(2));
        assert!(!p.overtakes());
        p.on_barrier(0, 3, 0, T);
        assert_eq!(p.on_cancel(2), vec![], "not the pending one");
        assert_eq!(p.on_cancel(3), vec![Action::Abort(3)]);
        assert_eq!(p.on_barrier(1, 3, 0, T), vec![], "the cancelled checkpoint is stale");
        assert_eq!(p.on_cancel(3), vec![], "nothing pending any more");
        p.on_barrier(1, 4, 0, T);
        assert_eq!(p.on_barrier(0, 4, 0, T), vec![Action::Snapshot { checkpoint: 4, unaligned: false }]);
    }
}
