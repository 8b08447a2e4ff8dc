//! Violation markers: where each violated property's evidence lies, as the
//! oracle located it (`Violation::location`). A numbered red label in the
//! strip above the axis, a red line down the chart at that time, a solid band
//! over the lane of the task or node it names, and a red outline around the
//! checkpoint it names. Violations the oracle could not place in time get
//! no marker; the page header lists every violation with its number.

use super::geometry::{Layout, Scale, ROW, WIDTH};
use super::palette::VIOLATION;
use super::svg::{escape, text_width, title};
use crate::oracle::Violation;
use crate::trace::spans::{SpanKind, Timeline};
use std::fmt::Write;
use std::time::Duration;

/// Height of one row of labels in the strip, pixels.
const LABEL_ROW: f64 = 18.0;

/// One violation placed on the chart.
pub struct Marker {
    /// Its number in the header's list (from 1).
    pub number: usize,
    pub x: f64,
    /// Row of the strip its label sits in, and the label's left edge.
    row: usize,
    label_x: f64,
    label: String,
    /// Lanes to band: the task's, or the node's.
    lanes: Vec<usize>,
    checkpoint: Option<u64>,
    tip: String,
}

/// When a violation's evidence lies: its time, else the end of the
/// checkpoint it names.
pub fn when(v: &Violation, t: &Timeline) -> Option<Duration> {
    v.location.time.or_else(|| {
        let n = v.location.checkpoint?;
        t.spans.iter().find(|s| matches!(s.kind, SpanKind::Checkpoint(_)) && s.checkpoint == Some(n)).map(|s| s.end)
    })
}

/// Places every violation the oracle located; returns them and the height
/// of the label strip.
pub fn place(violations: &[Violation], t: &Timeline, scale: Scale) -> (Vec<Marker>, f64) {
    let mut row_ends: Vec<f64> = vec![];
    let mut out = vec![];
    for (i, v) in violations.iter().enumerate() {
        let Some(at) = when(v, t) else { continue };
        let x = scale.x(at);
        let label = format!("{} {}", i + 1, v.property);
        let w = text_width(&label) + 10.0;
        // Left-aligned at the line, unless that runs off the right edge.
        let label_x = if x + w > scale.right_edge() { x - w } else { x - 1.0 };
        let row = row_ends.iter().position(|end| *end < label_x).unwrap_or(row_ends.len());
        match row_ends.get_mut(row) {
            Some(end) => *end = label_x + w + 3.0,
            None => row_ends.push(label_x + w + 3.0),
        }
        let loc = &v.location;
        let lanes = match (&loc.task, &loc.node) {
            (Some(task), _) => t.task_lane(task).into_iter().collect(),
            (None, Some(node)) => t.node_lane(node).into_iter().collect(),
            (None, None) => vec![],
        };
        let tip = format!("{} (at {:.3}s): {}", v.property, at.as_secs_f64(), v.detail);
        out.push(Marker { number: i + 1, x, row, label_x, label, lanes, checkpoint: loc.checkpoint, tip });
    }
    let strip = if out.is_empty() { 0.0 } else { row_ends.len() as f64 * LABEL_ROW + 6.0 };
    (out, strip)
}

/// Draws the markers: outlines, bands, lines, then the labels on top.
pub fn draw(svg: &mut String, markers: &[Marker], t: &Timeline, l: &Layout) {
    for m in markers {
        let spans = t.spans.iter().filter(|s| matches!(s.kind, SpanKind::Checkpoint(_)));
        for s in spans.filter(|s| m.checkpoint.is_some() && s.checkpoint == m.checkpoint) {
            let (x0, x1) = (l.scale.x(s.start), l.scale.x(s.end));
            let y = l.row_top(s.lane, s.row) - 0.5;
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" rx="3" fill="none" stroke="{VIOLATION}" stroke-width="2.5"/>"#,
                x0 - 1.5,
                (x1 - x0).max(2.0) + 3.0,
                ROW + 1.0
            );
        }
        let top = (m.row as f64 + 1.0) * LABEL_ROW;
        let _ = write!(
            svg,
            r#"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{:.1}" stroke="{VIOLATION}" stroke-width="1.5" stroke-opacity="0.55"/>"#,
            l.height - 20.0,
            x = m.x
        );
        for lane in &m.lanes {
            let _ = write!(
                svg,
                r#"<rect class="tip" x="{:.1}" y="{:.1}" width="5" height="{:.1}" fill="{VIOLATION}">{}</rect>"#,
                m.x - 2.5,
                l.lane_top[*lane],
                l.lane_bottom(*lane) - l.lane_top[*lane],
                title(&m.tip)
            );
        }
    }
    for m in markers {
        let y = m.row as f64 * LABEL_ROW + 2.0;
        let w = text_width(&m.label) + 10.0;
        let _ = write!(
            svg,
            r##"<g class="tip" id="violation-{}"><rect x="{:.1}" y="{y:.1}" width="{w:.1}" height="{:.1}" rx="3" fill="{VIOLATION}"/><text x="{:.1}" y="{:.1}" fill="#fff" font-weight="700">{}</text>{}</g>"##,
            m.number,
            m.label_x.clamp(0.0, WIDTH - w),
            LABEL_ROW - 3.0,
            m.label_x.clamp(0.0, WIDTH - w) + 5.0,
            y + LABEL_ROW - 7.0,
            escape(&m.label),
            title(&m.tip)
        );
    }
}
