//! The run's recorder: the event log, the live view folded from it, the
//! phase watches waiting on it and the fault clock, behind one handle that
//! the harness holds and `emit` reaches.
//!
//! `with_recording` makes a recorder the current one on the run's thread
//! (every seed runs on a thread of its own, and madsim runs a whole run on
//! that thread); `emit` stamps an event with simulated time and records it
//! there. Each event also goes to `tracing` at debug level, for a user who
//! installs a subscriber to watch runs as they happen.

use super::event::{Event, TraceEvent};
use super::live::{JobEnd, LiveView};
use super::watch::Watches;
use crate::scenario::ids::{Attempt, CheckpointId};
use crate::scenario::Phase;
use futures::channel::oneshot;
use std::cell::RefCell;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Collects one run's events; clones share them.
#[derive(Clone, Default)]
pub struct Recorder {
    inner: Arc<Mutex<Parts>>,
}

#[derive(Default)]
struct Parts {
    log: Vec<TraceEvent>,
    live: LiveView,
    watches: Watches,
    clock: FaultClock,
}

/// Until when faults act (restart, resume and heal delays included): the
/// liveness budget counts from the latest such time.
#[derive(Debug, Default, Clone, Copy)]
struct FaultClock {
    until: Duration,
}

thread_local! {
    /// The recorder of the run on this thread, if one is recording.
    static CURRENT: RefCell<Option<Recorder>> = const { RefCell::new(None) };
}

/// Records `event` on node `node` at the current simulated time, in the
/// run recording on this thread (nothing happens outside a recording).
pub fn emit(node: &str, event: Event) {
    CURRENT.with(|current| {
        if let Some(recorder) = &*current.borrow() {
            let e = TraceEvent { time: crate::sim::now(), node: node.to_string(), event };
            if tracing::enabled!(target: "ckptsim", tracing::Level::DEBUG) {
                tracing::debug!(target: "ckptsim", node = %e.node, kind = e.kind(), event = ?e.event);
            }
            recorder.push(e);
        }
    });
}

/// Runs `f` (which runs the simulation) with `recorder` as the thread's current recorder.
pub fn with_recording<T>(recorder: &Recorder, f: impl FnOnce() -> T) -> T {
    struct Reset(Option<Recorder>);
    impl Drop for Reset {
        fn drop(&mut self) {
            CURRENT.with(|current| *current.borrow_mut() = self.0.take());
        }
    }
    let previous = CURRENT.with(|current| current.borrow_mut().replace(recorder.clone()));
    let _reset = Reset(previous);
    f()
}

impl Recorder {
    fn parts(&self) -> std::sync::MutexGuard<'_, Parts> {
        self.inner.lock().expect("recorder poisoned")
    }

    /// Records `event`: the live view folds it in, the watches it matches fire.
    pub fn push(&self, event: TraceEvent) {
        let mut p = self.parts();
        p.live.fold(&event.event);
        p.watches.offer(&event);
        p.log.push(event);
    }

    /// Resolves with the first event of `phase` (for `checkpoint`, at `task`,
    /// when given) recorded from now on.
    pub fn watch(
        &self,
        phase: Phase,
        checkpoint: Option<CheckpointId>,
        task: Option<String>,
    ) -> oneshot::Receiver<TraceEvent> {
        self.parts().watches.watch(phase, checkpoint, task)
    }

    /// Forgets every pending watch (the run is over: nobody waits any more).
    pub fn drop_watches(&self) {
        self.parts().watches.clear();
    }

    /// A fault acts until `until`; the liveness deadline counts from the last such time.
    pub fn faults_act_until(&self, until: Duration) {
        let mut p = self.parts();
        p.clock.until = p.clock.until.max(until);
    }

    pub fn faults_until(&self) -> Duration {
        self.parts().clock.until
    }

    /// The worker that ran `task` in the latest deployment.
    pub fn worker_of(&self, task: &str) -> Option<String> {
        self.parts().live.placement.get(task).cloned()
    }

    /// The latest deployed attempt, if `node` runs tasks of it.
    pub fn attempt_on(&self, node: &str) -> Option<Attempt> {
        self.parts().live.attempt_on(node)
    }

    /// The latest deployed attempt (0 before the first deployment).
    pub fn current_attempt(&self) -> Attempt {
        self.parts().live.attempt
    }

    /// The highest checkpoint completed so far.
    pub fn latest_completed(&self) -> Option<CheckpointId> {
        self.parts().live.latest_completed
    }

    /// How the job ended, once the coordinator said so.
    pub fn job_ended(&self) -> Option<JobEnd> {
        self.parts().live.job_ended
    }

    pub fn len(&self) -> usize {
        self.parts().log.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the events out (at the end of the run).
    pub fn take(&self) -> Vec<TraceEvent> {
        std::mem::take(&mut self.parts().log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(event: Event) -> TraceEvent {
        TraceEvent { time: Duration::from_millis(1), node: "n".into(), event }
    }

    fn aligning(task: &str, checkpoint: CheckpointId) -> TraceEvent {
        at(Event::BarrierAligning { task: task.into(), checkpoint, input: 0, forced: false })
    }

    #[test]
    fn a_watch_fires_on_the_first_matching_event_only() {
        let r = Recorder::default();
        let mut rx = r.watch(Phase::Aligning, Some(3), Some("count[1]".into()));
        r.push(aligning("count[0]", 3));
        r.push(aligning("count[1]", 2));
        assert_eq!(rx.try_recv(), Ok(None), "no match yet");
        r.push(aligning("count[1]", 3));
        let fired = rx.try_recv().unwrap().unwrap();
        assert_eq!(
            fired.event,
            Event::BarrierAligning { task: "count[1]".into(), checkpoint: 3, input: 0, forced: false }
        );
    }

    #[test]
    fn the_recorder_tracks_placement_and_the_end_of_the_job() {
        let r = Recorder::default();
        r.push(at(Event::TaskDeployed {
            task: "out[0]".into(),
            worker: "worker-3".into(),
            attempt: 1,
            chain: "out[0]".into(),
        }));
        assert_eq!(r.worker_of("out[0]").as_deref(), Some("worker-3"));
        assert_eq!(r.job_ended(), None);
        r.push(at(Event::JobFinished { checkpoint: 4, attempt: 1 }));
        assert_eq!(r.job_ended(), Some(JobEnd::Finished));
        assert_eq!(r.len(), 2);
    }
}
