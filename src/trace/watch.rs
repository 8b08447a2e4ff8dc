//! Phase watches: a fault placed at a protocol moment waits on one, and the
//! first recorded event that marks that moment (for its checkpoint, at its
//! task, when given) fires it. `moment` is the one place that says which
//! event marks which phase.

use super::event::{Event, TraceEvent};
use crate::scenario::ids::CheckpointId;
use crate::scenario::Phase;
use futures::channel::oneshot;

/// Where an event puts the run in a checkpoint's life, if anywhere: the
/// phase, the checkpoint, and the task it happened at (phases that happen
/// at a task).
pub fn moment(event: &Event) -> Option<(Phase, CheckpointId, Option<&str>)> {
    Some(match event {
        Event::CheckpointTriggered { checkpoint, .. } => (Phase::Triggered, *checkpoint, None),
        Event::BarrierReceived { task, checkpoint } => (Phase::BarrierReceived, *checkpoint, Some(task.as_str())),
        Event::BarrierAligning { task, checkpoint, .. } => (Phase::Aligning, *checkpoint, Some(task.as_str())),
        Event::SnapshotTaken { task, checkpoint, .. } => (Phase::SnapshotTaken, *checkpoint, Some(task.as_str())),
        Event::SnapshotDurable { task, checkpoint, .. } => (Phase::SnapshotDurable, *checkpoint, Some(task.as_str())),
        Event::CheckpointAcked { task, checkpoint, .. } => (Phase::Acked, *checkpoint, Some(task.as_str())),
        Event::CheckpointMetadataWriting { checkpoint, .. } => (Phase::MetadataWriting, *checkpoint, None),
        Event::CheckpointCompleted { checkpoint, .. } => (Phase::Completed, *checkpoint, None),
        Event::CheckpointNotified { task, checkpoint } => (Phase::Notified, *checkpoint, Some(task.as_str())),
        Event::TxnPreCommitted { task, checkpoint, .. } => (Phase::PreCommitted, *checkpoint, Some(task.as_str())),
        Event::TxnCommitted { checkpoint, .. } => (Phase::Committed, *checkpoint, None),
        Event::TaskRestored { task, checkpoint, .. } => (Phase::Restoring, *checkpoint, Some(task.as_str())),
        _ => return None,
    })
}

/// A phase-placed fault waiting for its moment.
struct Watch {
    phase: Phase,
    checkpoint: Option<CheckpointId>,
    task: Option<String>,
    fire: oneshot::Sender<TraceEvent>,
}

impl Watch {
    fn matches(&self, event: &Event) -> bool {
        let Some((phase, checkpoint, task)) = moment(event) else { return false };
        phase == self.phase
            && self.checkpoint.is_none_or(|n| n == checkpoint)
            && self.task.as_deref().is_none_or(|t| task == Some(t))
    }
}

/// The watches waiting in a run.
#[derive(Default)]
pub struct Watches {
    waiting: Vec<Watch>,
}

impl Watches {
    /// Resolves with the first event of `phase` (for `checkpoint`, at
    /// `task`, when given) offered from now on.
    pub fn watch(
        &mut self,
        phase: Phase,
        checkpoint: Option<CheckpointId>,
        task: Option<String>,
    ) -> oneshot::Receiver<TraceEvent> {
        let (fire, rx) = oneshot::channel();
        self.waiting.push(Watch { phase, checkpoint, task, fire });
        rx
    }

    /// Fires every watch `e` matches.
    pub fn offer(&mut self, e: &TraceEvent) {
        if self.waiting.iter().any(|w| w.matches(&e.event)) {
            let (hit, keep): (Vec<Watch>, Vec<Watch>) =
                std::mem::take(&mut self.waiting).into_iter().partition(|w| w.matches(&e.event));
            self.waiting = keep;
            hit.into_iter().for_each(|w| drop(w.fire.send(e.clone())));
        }
    }

    /// Forgets every watch (the run is over: nobody waits any more).
    pub fn clear(&mut self) {
        self.waiting.clear();
    }
}
