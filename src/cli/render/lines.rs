//! A trace as text, one line per event.

use crate::trace::TraceEvent;
use std::fmt::Write;

/// `  1234.567ms  worker-2      checkpoint_acked  checkpoint=3 task=count[1]`
pub fn render_line(e: &TraceEvent) -> String {
    let mut line = format!("{:>11.3}ms  {:<12} {}", e.time.as_secs_f64() * 1e3, e.node, e.kind());
    e.fields(&mut |k, v| {
        let _ = write!(line, " {k}={v}");
    });
    line
}

/// The whole trace, one line per event.
pub fn render_lines(events: &[TraceEvent]) -> String {
    events.iter().map(|e| render_line(e) + "\n").collect()
}
