//! The chart: one inline SVG with a simulated-time axis, a lane per node
//! and task (rows stacked where spans overlap), spans as bars, marks as
//! glyphs, a dashed line across every lane at each failover, and the
//! violation markers (`markers`) on top.

use super::geometry::{Layout, Scale, AXIS, RIGHT_MARGIN, ROW, WIDTH};
use super::markers;
use super::palette::{self, Glyph};
use super::svg::{bar, escape, glyph, hatch_defs, text_width, title};
use crate::cli::render::lines::render_line;
use crate::oracle::Violation;
use crate::trace::spans::{LaneKind, MarkKind, Span, SpanKind, Timeline};
use crate::trace::TraceEvent;
use std::fmt::Write;
use std::time::Duration;

/// The chart of `t` as an `<svg>` element.
pub fn render(t: &Timeline, trace: &[TraceEvent], violations: &[Violation]) -> String {
    let end = violations.iter().filter_map(|v| v.location.time).fold(t.end, Duration::max);
    let scale = Scale { end: end.max(Duration::from_millis(1)) };
    let (placed, strip) = markers::place(violations, t, scale);
    let layout = Layout::of(t, scale, strip);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{:.0}" viewBox="0 0 {WIDTH} {:.0}" font-family="system-ui, sans-serif" font-size="11">"#,
        layout.height, layout.height
    );
    svg += &hatch_defs(&hatch_colours(t));
    lanes(&mut svg, t, &layout);
    axis(&mut svg, &layout);
    // Attempts first: outages and backpressure show through from above.
    let (attempts, shading): (Vec<&Span>, Vec<&Span>) =
        t.spans.iter().filter(|s| s.kind.is_background()).partition(|s| s.kind == SpanKind::Attempt);
    for s in attempts.into_iter().chain(shading) {
        span(&mut svg, s, trace, &layout);
    }
    for s in t.spans.iter().filter(|s| !s.kind.is_background()) {
        span(&mut svg, s, trace, &layout);
    }
    marks(&mut svg, t, trace, &layout);
    markers::draw(&mut svg, &placed, t, &layout);
    svg + "</svg>"
}

/// Every colour a hatched bar uses.
fn hatch_colours(t: &Timeline) -> Vec<&'static str> {
    let mut colours: Vec<&str> =
        t.spans.iter().map(|s| palette::span(s.kind)).filter(|p| p.hatched).map(|p| p.fill).collect();
    colours.sort_unstable();
    colours.dedup();
    colours
}

/// Lane backgrounds (alternating) and names; a bracket joins the lanes of a
/// chain, whose chained operators' names are indented under its head.
fn lanes(svg: &mut String, t: &Timeline, l: &Layout) {
    for (i, lane) in t.lanes.iter().enumerate() {
        let (y, h) = (l.lane_top[i], l.lane_height[i]);
        let fill = if i % 2 == 0 { "#f8f9fa" } else { "#ffffff" };
        let weight = if lane.kind == LaneKind::Task { "normal" } else { "600" };
        let chained = lane.chain.as_deref().is_some_and(|head| head != lane.name);
        let name = if chained { format!("↳ {}", lane.name) } else { lane.name.clone() };
        let _ = write!(
            svg,
            r##"<rect x="0" y="{y:.1}" width="{WIDTH}" height="{h:.1}" fill="{fill}"/><line x1="0" y1="{:.1}" x2="{WIDTH}" y2="{:.1}" stroke="#e9ecef"/><text x="6" y="{:.1}" font-weight="{weight}" font-family="ui-monospace, monospace" fill="#212529">{}</text>"##,
            y + h,
            y + h,
            y + h / 2.0 + 4.0,
            escape(&name)
        );
    }
    chain_brackets(svg, t, l);
}

/// A bar left of the lane names over every run of lanes of one chain.
fn chain_brackets(svg: &mut String, t: &Timeline, l: &Layout) {
    let mut i = 0;
    while i < t.lanes.len() {
        let Some(head) = t.lanes[i].chain.as_deref() else {
            i += 1;
            continue;
        };
        let run = t.lanes[i..].iter().take_while(|lane| lane.chain.as_deref() == Some(head)).count();
        let members: Vec<&str> = t.lanes[i..i + run].iter().map(|lane| lane.name.as_str()).collect();
        let (top, bottom) = (l.lane_top[i] + 2.0, l.lane_bottom(i + run - 1) - 2.0);
        let tip = format!("one task: {} (chained operators)", members.join(" → "));
        let _ = write!(
            svg,
            r#"<rect x="1" y="{top:.1}" width="3" height="{:.1}" fill="{}">{}</rect>"#,
            bottom - top,
            palette::CHAIN,
            title(&tip)
        );
        i += run;
    }
}

/// A tick every 1, 2 or 5 × 10ⁿ ms, about 14 across; labels above and below.
fn axis(svg: &mut String, l: &Layout) {
    let end_ms = l.scale.end.as_secs_f64() * 1e3;
    let step_ms = [1.0, 2.0, 5.0]
        .iter()
        .flat_map(|m| (0..8).map(move |p| m * 10f64.powi(p)))
        .filter(|s| end_ms / s <= 14.0)
        .fold(f64::MAX, f64::min);
    let decimals = if step_ms >= 1000.0 { 0 } else { (3 - step_ms.log10().floor() as usize).min(3) };
    let bottom = l.height - AXIS;
    for ms in (0..).map(|k| f64::from(k) * step_ms).take_while(|ms| *ms <= end_ms + 1e-9) {
        let x = l.scale.x(Duration::from_secs_f64(ms / 1e3));
        let label = format!("{:.*}s", decimals, ms / 1e3);
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{bottom:.1}" stroke="#dee2e6" stroke-dasharray="2 3"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#495057">{label}</text><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#495057">{label}</text>"##,
            l.top,
            l.top - 6.0,
            bottom + 14.0
        );
    }
}

/// A span: background spans fill the lane, the others their row.
fn span(svg: &mut String, s: &Span, trace: &[TraceEvent], l: &Layout) {
    let (x0, x1) = (l.scale.x(s.start), l.scale.x(s.end));
    let w = (x1 - x0).max(2.0);
    let (y, h) = if s.kind.is_background() {
        (l.lane_top[s.lane] + 1.0, l.lane_height[s.lane] - 2.0)
    } else {
        (l.row_top(s.lane, s.row) + 1.0, ROW - 2.0)
    };
    let p = palette::span(s.kind);
    let mut tip = s.describe();
    for i in &s.events {
        tip += "\n";
        tip += &render_line(&trace[*i]);
    }
    let _ = write!(svg, r#"<g class="tip">{}"#, bar(p, x0, y, w, h, &tip, ""));
    // Attempts stay unlabelled: their text would sit under the alignments.
    let label = if s.kind == SpanKind::Attempt { None } else { fitting_label(s, w) };
    if let Some(label) = label {
        let ty = if s.kind.is_background() { y + 10.0 } else { y + h / 2.0 + 4.0 };
        let weight = if s.kind.is_background() { "600" } else { "normal" };
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{ty:.1}" fill="{}" font-weight="{weight}" pointer-events="none">{}</text>"#,
            x0 + 3.0,
            p.text,
            escape(&label)
        );
    }
    svg.push_str("</g>");
}

/// The span's label, shortened until it fits in `w` pixels (`failover:
/// worker_lost` → `failover`, `chk 12` → `12`), if it can.
fn fitting_label(s: &Span, w: f64) -> Option<String> {
    let before_colon = s.label.split(':').next().map(str::to_string);
    let number = s.checkpoint.map(|n| n.to_string());
    [Some(s.label.clone()), before_colon, number].into_iter().flatten().find(|l| text_width(l) + 6.0 <= w)
}

/// Glyphs, their labels where they fit, and a line across at each failover.
fn marks(svg: &mut String, t: &Timeline, trace: &[TraceEvent], l: &Layout) {
    let mut label_end = vec![0.0f64; t.lanes.len()];
    for m in &t.marks {
        let x = l.scale.x(m.at);
        let (g, colour) = palette::mark(m.kind);
        let (top, bottom) = (l.lane_top[m.lane], l.lane_bottom(m.lane));
        if m.kind == MarkKind::Failover {
            let _ = write!(
                svg,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#212529" stroke-width="1.2" stroke-dasharray="5 3" stroke-opacity="0.6"/>"##,
                l.top,
                l.height - AXIS
            );
        }
        let (y, size) = match g {
            Glyph::Tick => (bottom - 5.0, 7.0),
            _ => ((top + bottom) / 2.0, 10.0),
        };
        svg.push_str(&glyph(g, colour, x, y, size, &render_line(&trace[m.event])));
        let w = text_width(&m.label);
        // Right of the glyph, or left of it at the right edge.
        let (lx, anchor) = match x + size / 2.0 + 2.0 {
            lx if lx + w > l.scale.right_edge() + RIGHT_MARGIN => (x - size / 2.0 - 2.0, "end"),
            lx => (lx, "start"),
        };
        let from = if anchor == "end" { lx - w } else { lx };
        if !m.label.is_empty() && from > label_end[m.lane] {
            label_end[m.lane] = from + w + 4.0;
            let _ = write!(
                svg,
                r##"<text x="{lx:.1}" y="{:.1}" text-anchor="{anchor}" fill="{colour}" font-weight="600" paint-order="stroke" stroke="#fff" stroke-width="3">{}{}</text>"##,
                (top + bottom) / 2.0 + 4.0,
                escape(&m.label),
                title(&render_line(&trace[m.event]))
            );
        }
    }
}
