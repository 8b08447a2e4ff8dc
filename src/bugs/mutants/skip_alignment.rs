//! `skip_alignment`, as a protocol: a task snapshots on the first barrier
//! of a checkpoint and forwards it without blocking its other inputs. It
//! takes the place of `aligned`.

use crate::engine::protocol::{Action, BarrierProtocol, ProtocolConfig, ProtocolKind};
use crate::scenario::ids::CheckpointId;
use std::time::Duration;

/// An "aligned" protocol that does not align.
pub(crate) struct SkipAlignment;

impl ProtocolKind for SkipAlignment {
    fn build(&self, _config: ProtocolConfig) -> Box<dyn BarrierProtocol> {
        Box::new(FirstBarrier { done: 0 })
    }
}

struct FirstBarrier {
    /// The newest checkpoint snapshotted; older barriers are ignored.
    done: CheckpointId,
}

impl BarrierProtocol for FirstBarrier {
    fn overtakes(&self) -> bool {
        false
    }

    fn on_barrier(&mut self, _input: u16, n: CheckpointId, _position: u64, _now: Duration) -> Vec<Action> {
        if n <= self.done {
            return vec![];
        }
        self.done = n;
        vec![Action::Snapshot { checkpoint: n, unaligned: false }]
    }

    fn on_cancel(&mut self, _n: CheckpointId) -> Vec<Action> {
        vec![] // nothing is ever pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_snapshots_on_the_first_barrier_and_ignores_the_rest() {
        let mut p = SkipAlignment.build(ProtocolConfig::new(2, Duration::ZERO));
        let snap = |n| vec![Action::Snapshot { checkpoint: n, unaligned: false }];
        assert_eq!(p.on_barrier(1, 1, 0, Duration::ZERO), snap(1));
        assert_eq!(p.on_barrier(0, 1, 0, Duration::ZERO), vec![]);
    }
}
