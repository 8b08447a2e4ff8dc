//! Chrome trace-event JSON (open in ui.perfetto.dev or chrome://tracing): a
//! track per lane of the laid-out run (`spans`), its spans as complete
//! events (`ph: "X"`: checkpoints, alignments, outages, recoveries,
//! attempts, backpressure), and every trace event as an instant (`ph: "i"`) on its node's
//! track.

use super::lines::render_line;
use crate::trace::spans::{LaneKind, Span, SpanKind, Timeline};
use crate::trace::TraceEvent;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// The whole run as Chrome trace-event JSON.
pub fn render_chrome(events: &[TraceEvent]) -> String {
    let timeline = Timeline::of(events);
    let tracks = Tracks::of(&timeline);
    let mut out = tracks.metadata();
    out.extend(timeline.spans.iter().map(|s| complete(s, &tracks, events)));
    for e in events {
        let lane = timeline.node_lane(&e.node).unwrap_or(0);
        let mut args = serde_json::Map::new();
        e.fields(&mut |k, v| {
            args.insert(k.to_string(), json!(v.to_string()));
        });
        out.push(json!({
            "ph": "i", "s": "t", "name": e.kind(), "cat": "event", "pid": 1,
            "tid": tracks.tid(lane, false, 0), "ts": micros(e.time), "args": args,
        }));
    }
    serde_json::to_string(&json!({ "traceEvents": out })).expect("trace JSON")
}

/// A span as a complete event, its events' lines in the args.
fn complete(s: &Span, tracks: &Tracks, events: &[TraceEvent]) -> Value {
    let lines: Vec<String> = s.events.iter().map(|i| render_line(&events[*i])).collect();
    let mut args = json!({ "events": lines });
    if let SpanKind::Checkpoint(e) | SpanKind::Alignment(e) = s.kind {
        args["ending"] = json!(e.name());
    }
    json!({
        "ph": "X", "name": s.describe(), "cat": s.kind.name(), "pid": 1,
        "tid": tracks.tid(s.lane, s.kind.is_background(), s.row),
        "ts": micros(s.start), "dur": micros(s.end - s.start), "args": args,
    })
}

fn micros(d: Duration) -> f64 {
    d.as_nanos() as f64 / 1e3
}

/// One Chrome track per lane, row and layer: complete events on one track
/// must nest, so overlapping spans get a track each.
struct Tracks {
    /// (lane, background, row) → (tid, track name).
    ids: BTreeMap<(usize, bool, usize), (usize, String)>,
}

impl Tracks {
    fn of(t: &Timeline) -> Tracks {
        let mut ids = BTreeMap::new();
        for (i, lane) in t.lanes.iter().enumerate() {
            for row in 0..lane.rows {
                let name = if row == 0 { lane.name.clone() } else { format!("{} ({})", lane.name, row + 1) };
                ids.insert((i, false, row), (ids.len(), name));
            }
            let background = t.spans.iter().filter(|s| s.lane == i && s.kind.is_background());
            let rows = background.map(|s| s.row + 1).max().unwrap_or(0);
            for row in 0..rows {
                let what = if lane.kind == LaneKind::Task { "attempts, backpressure, slow" } else { "outages" };
                ids.insert((i, true, row), (ids.len(), format!("{} · {what}", lane.name)));
            }
        }
        Tracks { ids }
    }

    fn tid(&self, lane: usize, background: bool, row: usize) -> usize {
        self.ids.get(&(lane, background, row)).map_or(0, |(tid, _)| *tid)
    }

    /// Names and orders the tracks as the timeline does.
    fn metadata(&self) -> Vec<Value> {
        let mut out = vec![];
        for (tid, name) in self.ids.values() {
            out.push(json!({"ph": "M", "name": "thread_name", "pid": 1, "tid": tid, "args": {"name": name}}));
            out.push(
                json!({"ph": "M", "name": "thread_sort_index", "pid": 1, "tid": tid, "args": {"sort_index": tid}}),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::trace::event::FailoverKind;
    use crate::trace::testing::{at, crash, failover, restart};
    use crate::trace::Event;

    #[test]
    fn a_worker_crash_gives_complete_events_for_checkpoints_outages_and_the_failover() {
        let trace = [
            at(100, "coordinator", Event::CheckpointTriggered { checkpoint: 1, attempt: 1, pending: 1 }),
            at(
                150,
                "coordinator",
                Event::CheckpointCompleted { checkpoint: 1, attempt: 1, acks: 2, end_of_data: false },
            ),
            at(200, "world", crash(0, "worker-2")),
            at(500, "world", restart(0, "worker-2")),
            at(510, "coordinator", failover(FailoverKind::WorkerRestarted, vec![])),
            at(700, "coordinator", Event::JobDeployed { attempt: 2, restore: 1 }),
        ];
        let json: Value = serde_json::from_str(&render_chrome(&trace)).unwrap();
        let all = json["traceEvents"].as_array().unwrap();
        let complete: Vec<(&str, f64)> = all
            .iter()
            .filter(|e| e["ph"] == "X")
            .map(|e| (e["name"].as_str().unwrap(), e["dur"].as_f64().unwrap()))
            .collect();
        assert_eq!(
            complete,
            [("failover: worker_restarted", 190_000.0), ("checkpoint 1: completed", 50_000.0), ("crash", 300_000.0)]
        );
        assert_eq!(all.iter().filter(|e| e["ph"] == "i").count(), trace.len(), "every event stays an instant");
        let crash = all.iter().find(|e| e["name"] == "crash").unwrap();
        let track = all.iter().find(|e| e["ph"] == "M" && e["tid"] == crash["tid"]).unwrap();
        assert_eq!(track["args"]["name"], "worker-2 · outages");
    }
}
