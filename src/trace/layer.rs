//! A `tracing` layer that stamps `ckptsim` events with simulated time and
//! records them. It is installed per run, on the run's own thread.

use super::{Recorder, TraceEvent};
use std::fmt::Debug;
use tracing::field::{Field, Visit};
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// Records every event with target `ckptsim`.
pub struct TraceLayer {
    recorder: Recorder,
}

#[derive(Default)]
struct Fields {
    node: String,
    kind: String,
    rest: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.to_string());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.put(field, format!("{value:?}"));
    }
}

impl Fields {
    fn put(&mut self, field: &Field, value: String) {
        match field.name() {
            "trace_node" => self.node = value,
            "trace_kind" => self.kind = value,
            name => self.rest.push((name.to_string(), value)),
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for TraceLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != "ckptsim" {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let time = crate::sim::now();
        self.recorder.push(TraceEvent { time, node: fields.node, kind: fields.kind, fields: fields.rest });
    }
}

/// Runs `f` (which runs the simulation) with a subscriber that records into
/// `recorder`.
pub fn with_recording<T>(recorder: &Recorder, f: impl FnOnce() -> T) -> T {
    // Only our events: madsim's own spans and logs stay disabled (and cost nothing).
    let layer = TraceLayer { recorder: recorder.clone() }.with_filter(filter_fn(|m| m.target() == "ckptsim"));
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, f)
}
