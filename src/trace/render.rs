//! Renderings of a trace: one line per event, and Chrome/Perfetto trace JSON
//! (open in ui.perfetto.dev or chrome://tracing).

use super::TraceEvent;
use serde_json::json;
use std::fmt::Write;

/// `  1234.567ms  worker-2      checkpoint_acked  checkpoint=3 task=count[1]`
pub fn render_line(e: &TraceEvent) -> String {
    let mut line = format!("{:>11.3}ms  {:<12} {}", e.time.as_secs_f64() * 1e3, e.node, e.kind);
    for (k, v) in &e.fields {
        let _ = write!(line, " {k}={v}");
    }
    line
}

/// The whole trace, one line per event.
pub fn render_lines(events: &[TraceEvent]) -> String {
    events.iter().map(|e| render_line(e) + "\n").collect()
}

/// Chrome trace-event JSON: one track per node, instant events.
pub fn render_chrome(events: &[TraceEvent]) -> String {
    let mut nodes: Vec<&str> = events.iter().map(|e| e.node.as_str()).collect();
    nodes.sort_unstable();
    nodes.dedup();
    let tid = |n: &str| nodes.iter().position(|x| *x == n).unwrap_or(0);
    let mut out: Vec<serde_json::Value> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| json!({"ph": "M", "name": "thread_name", "pid": 1, "tid": i, "args": {"name": n}}))
        .collect();
    for e in events {
        let args: serde_json::Map<String, serde_json::Value> =
            e.fields.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        out.push(json!({
            "ph": "i", "s": "t", "name": e.kind, "pid": 1, "tid": tid(&e.node),
            "ts": e.time.as_nanos() as f64 / 1e3, "args": args,
        }));
    }
    serde_json::to_string(&json!({ "traceEvents": out })).expect("trace JSON")
}
