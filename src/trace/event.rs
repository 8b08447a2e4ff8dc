//! Trace events and the recorder that collects them.

use futures::channel::oneshot;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TraceEvent {
    /// Simulated time since the run started.
    #[serde(serialize_with = "ser_ms")]
    pub time: Duration,
    /// The node it happened on (`coordinator`, `worker-2`, `world`, …).
    pub node: String,
    /// What happened, snake_case (`checkpoint_completed`).
    pub kind: String,
    /// Details in the order they were given.
    pub fields: Vec<(String, String)>,
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1e3)
}

impl TraceEvent {
    /// An event at `ms` milliseconds on node `n` (for tests of trace readers).
    pub fn at_ms(ms: u64, kind: &str, fields: &[(&str, &str)]) -> TraceEvent {
        TraceEvent {
            time: Duration::from_millis(ms),
            node: "n".into(),
            kind: kind.into(),
            fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    /// The value of field `name`, if present.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Field `name` parsed as an integer.
    pub fn num(&self, name: &str) -> Option<u64> {
        self.field(name).and_then(|v| v.parse().ok())
    }
}

/// Emits a trace event through `tracing`:
/// `emit!(node, "checkpoint_completed", checkpoint = id, tasks = n)`.
#[macro_export]
macro_rules! emit {
    ($node:expr, $kind:literal $(, $key:ident = $value:expr)* $(,)?) => {
        ::tracing::info!(target: "ckptsim", trace_node = %$node, trace_kind = $kind $(, $key = %$value)*)
    };
}

/// What the world watches while the run goes on.
#[derive(Debug, Default)]
pub struct LiveView {
    /// task → worker, from the latest deployment.
    pub placement: BTreeMap<String, String>,
    /// The latest deployed attempt.
    pub attempt: u64,
    /// The highest checkpoint completed so far.
    pub latest_completed: Option<u64>,
    /// Set when the coordinator declares the job finished or failed.
    pub job_ended: Option<String>,
}

/// Collects the run's events; shared by the tracing layer and the world.
#[derive(Clone, Default)]
pub struct Recorder {
    inner: Arc<Mutex<RecorderState>>,
}

#[derive(Default)]
struct RecorderState {
    events: Vec<TraceEvent>,
    live: LiveView,
    watches: Vec<Watch>,
    /// Simulated time until which faults act (restart and heal delays included).
    faults_until: Duration,
}

/// A phase-placed fault waiting for its moment.
struct Watch {
    kind: &'static str,
    checkpoint: Option<u64>,
    task: Option<String>,
    fire: oneshot::Sender<TraceEvent>,
}

impl Watch {
    fn matches(&self, e: &TraceEvent) -> bool {
        e.kind == self.kind
            && self.checkpoint.is_none_or(|n| e.num("checkpoint") == Some(n))
            && self.task.as_ref().is_none_or(|t| e.field("task") == Some(t.as_str()))
    }
}

impl Recorder {
    pub fn push(&self, event: TraceEvent) {
        let mut s = self.inner.lock().expect("recorder poisoned");
        match event.kind.as_str() {
            "job_deployed" => {
                s.live.attempt = event.num("attempt").unwrap_or(s.live.attempt);
                s.live.placement.clear();
            }
            "task_deployed" => {
                if let (Some(t), Some(w)) = (event.field("task"), event.field("worker")) {
                    s.live.placement.insert(t.to_string(), w.to_string());
                }
            }
            "checkpoint_completed" => {
                let n = event.num("checkpoint");
                s.live.latest_completed = s.live.latest_completed.max(n);
            }
            "job_finished" | "job_failed" => s.live.job_ended = Some(event.kind.clone()),
            _ => {}
        }
        if s.watches.iter().any(|w| w.matches(&event)) {
            let (hit, keep): (Vec<Watch>, Vec<Watch>) =
                std::mem::take(&mut s.watches).into_iter().partition(|w| w.matches(&event));
            s.watches = keep;
            hit.into_iter().for_each(|w| drop(w.fire.send(event.clone())));
        }
        s.events.push(event);
    }

    /// Resolves with the first event of `kind` (for `checkpoint`, at `task`,
    /// when given) recorded from now on.
    pub fn watch(
        &self,
        kind: &'static str,
        checkpoint: Option<u64>,
        task: Option<String>,
    ) -> oneshot::Receiver<TraceEvent> {
        let (fire, rx) = oneshot::channel();
        self.inner.lock().expect("recorder poisoned").watches.push(Watch { kind, checkpoint, task, fire });
        rx
    }

    /// Forgets every pending watch (the run is over: nobody waits any more).
    pub fn drop_watches(&self) {
        self.inner.lock().expect("recorder poisoned").watches.clear();
    }

    /// A fault acts until `until`; the liveness deadline counts from the last such time.
    pub fn faults_act_until(&self, until: Duration) {
        let mut s = self.inner.lock().expect("recorder poisoned");
        s.faults_until = s.faults_until.max(until);
    }

    pub fn faults_until(&self) -> Duration {
        self.inner.lock().expect("recorder poisoned").faults_until
    }

    /// The worker that ran `task` in the latest deployment.
    pub fn worker_of(&self, task: &str) -> Option<String> {
        self.inner.lock().expect("recorder poisoned").live.placement.get(task).cloned()
    }

    /// The latest deployed attempt, if `node` runs tasks of it.
    pub fn attempt_on(&self, node: &str) -> Option<u64> {
        let s = self.inner.lock().expect("recorder poisoned");
        s.live.placement.values().any(|w| w == node).then_some(s.live.attempt)
    }

    /// The latest deployed attempt (0 before the first deployment).
    pub fn current_attempt(&self) -> u64 {
        self.inner.lock().expect("recorder poisoned").live.attempt
    }

    /// The highest checkpoint completed so far.
    pub fn latest_completed(&self) -> Option<u64> {
        self.inner.lock().expect("recorder poisoned").live.latest_completed
    }

    /// `job_finished` / `job_failed` once the coordinator said so.
    pub fn job_ended(&self) -> Option<String> {
        self.inner.lock().expect("recorder poisoned").live.job_ended.clone()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().expect("recorder poisoned").events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the events out (at the end of the run).
    pub fn take(&self) -> Vec<TraceEvent> {
        std::mem::take(&mut self.inner.lock().expect("recorder poisoned").events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str, fields: &[(&str, &str)]) -> TraceEvent {
        TraceEvent::at_ms(1, kind, fields)
    }

    #[test]
    fn a_watch_fires_on_the_first_matching_event_only() {
        let r = Recorder::default();
        let mut rx = r.watch("barrier_aligning", Some(3), Some("count[1]".into()));
        r.push(ev("barrier_aligning", &[("task", "count[0]"), ("checkpoint", "3")]));
        r.push(ev("barrier_aligning", &[("task", "count[1]"), ("checkpoint", "2")]));
        assert_eq!(rx.try_recv(), Ok(None), "no match yet");
        r.push(ev("barrier_aligning", &[("task", "count[1]"), ("checkpoint", "3")]));
        assert_eq!(rx.try_recv().unwrap().unwrap().field("task"), Some("count[1]"));
    }

    #[test]
    fn the_recorder_tracks_placement_and_the_end_of_the_job() {
        let r = Recorder::default();
        r.push(ev("task_deployed", &[("task", "out[0]"), ("worker", "worker-3")]));
        assert_eq!(r.worker_of("out[0]").as_deref(), Some("worker-3"));
        assert_eq!(r.job_ended(), None);
        r.push(ev("job_finished", &[]));
        assert_eq!(r.job_ended().as_deref(), Some("job_finished"));
        assert_eq!(r.len(), 2);
    }
}
