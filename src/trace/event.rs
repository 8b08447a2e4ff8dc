//! Trace events and the recorder that collects them.

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
        ::tracing::info!(target: "ckptsim", node = %$node, kind = $kind $(, $key = %$value)*)
    };
}

/// What the world watches while the run goes on.
#[derive(Debug, Default)]
pub struct LiveView {
    /// task → worker, from the latest deployment.
    pub placement: BTreeMap<String, String>,
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
}

impl Recorder {
    pub fn push(&self, event: TraceEvent) {
        let mut s = self.inner.lock().expect("recorder poisoned");
        match event.kind.as_str() {
            "task_deployed" => {
                if let (Some(t), Some(w)) = (event.field("task"), event.field("worker")) {
                    s.live.placement.insert(t.to_string(), w.to_string());
                }
            }
            "job_finished" | "job_failed" => s.live.job_ended = Some(event.kind.clone()),
            _ => {}
        }
        s.events.push(event);
    }

    /// The worker that ran `task` in the latest deployment.
    pub fn worker_of(&self, task: &str) -> Option<String> {
        self.inner.lock().expect("recorder poisoned").live.placement.get(task).cloned()
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
