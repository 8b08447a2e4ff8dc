//! One run as a self-contained HTML page (`ckptsim run … --timeline
//! OUT.html`): a header with the verdict and every violation, a legend, and
//! the chart, with inline CSS, SVG and script and nothing fetched. The same
//! run gives the same bytes.
//!
//! - `chart`   — the SVG: axis, lanes, spans, marks
//! - `geometry` — the time scale and where each lane sits
//! - `markers` — where each violated property's evidence lies
//! - `palette` — how each kind of span and mark looks
//! - `svg`     — escaping, bars, glyphs

mod chart;
mod geometry;
mod markers;
mod palette;
mod svg;

use crate::oracle::Violation;
use crate::run::RunReport;
use crate::scenario::words::count;
use crate::trace::spans::Timeline;
use palette::{LegendKey, Paint};
use std::fmt::Write;
use svg::escape;

/// The page for `report` (its trace, verdict and violations).
pub fn render_html(report: &RunReport) -> String {
    let timeline = Timeline::of(&report.trace);
    let bug = report.bug.as_deref().map(|b| format!(" · bug {b}")).unwrap_or_default();
    let name = format!("{} · seed {}{bug}", report.scenario, report.seed);
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>ckptsim timeline: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&name)
    );
    page += &header(report, &name, &timeline);
    page += &legend();
    page += "<div class=\"chart\">";
    page += &chart::render(&timeline, &report.trace, &report.violations);
    page += "</div>\n<pre id=\"tip\" hidden></pre>\n";
    let _ = write!(page, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    page
}

/// Scenario, seed, bug, verdict, the run in one line, and every violation.
fn header(r: &RunReport, name: &str, t: &Timeline) -> String {
    let verdict = r.verdict.to_uppercase();
    let mut out = format!(
        "<header>\n<h1>{} <span class=\"verdict {}\">{verdict}</span></h1>\n",
        escape(name),
        escape(&r.verdict)
    );
    let _ = writeln!(
        out,
        "<p class=\"run\">job {} at {:.3}s simulated · {} · {} · {} events · trace {}</p>",
        escape(&r.end),
        r.sim_time_ms as f64 / 1e3,
        count(r.checkpoints_completed as u64, "checkpoint completed", "checkpoints completed"),
        count(r.recoveries as u64, "recovery", "recoveries"),
        r.events,
        escape(&r.trace_hash)
    );
    if let Some(why) = &r.failure {
        let _ = writeln!(out, "<p class=\"run\">job failed: {}</p>", escape(why));
    }
    if !r.violations.is_empty() {
        out += "<ol class=\"violations\">\n";
        for (i, v) in r.violations.iter().enumerate() {
            let _ = writeln!(
                out,
                "<li title=\"{}\"><span class=\"n\">{}</span> <b>{}</b> <span class=\"where\">{}</span> {}</li>",
                escape(&v.detail),
                i + 1,
                escape(&v.property),
                where_(v, t),
                escape(&v.detail)
            );
        }
        out += "</ol>\n";
        let _ = writeln!(out, "<p class=\"run\">replay: <code>{}</code></p>", escape(&r.replay));
    }
    out + "</header>\n"
}

/// Where the marker of `v` is, or that the oracle could not say.
fn where_(v: &Violation, t: &Timeline) -> String {
    let loc = &v.location;
    let mut parts = vec![];
    if let Some(at) = markers::when(v, t) {
        parts.push(format!("at {:.3}s", at.as_secs_f64()));
    }
    parts.extend(loc.checkpoint.map(|n| format!("checkpoint {n}")));
    parts.extend(loc.task.as_deref().or(loc.node.as_deref()).map(escape));
    if markers::when(v, t).is_none() {
        parts.push("not located in time: no marker".to_string());
    }
    format!("({})", parts.join(" · "))
}

/// Every colour and glyph, each with a small inline swatch.
fn legend() -> String {
    let mut out = String::from("<div class=\"legend\">");
    for (key, meaning) in palette::legend() {
        let swatch = match key {
            LegendKey::Span(kind) => swatch(palette::span(kind)),
            LegendKey::Glyph(kind) => {
                let (g, colour) = palette::mark(kind);
                svg::glyph(g, colour, 7.0, 7.0, 10.0, meaning)
            }
            LegendKey::Violation => {
                format!("<rect x=\"5\" y=\"0\" width=\"4\" height=\"14\" fill=\"{}\"/>", palette::VIOLATION)
            }
        };
        let _ = write!(out, "<span><svg width=\"22\" height=\"14\">{swatch}</svg>{}</span>", escape(meaning));
    }
    out + "</div>\n"
}

/// A small bar painted like a span (hatches drawn inline).
fn swatch(p: Paint) -> String {
    let defs = if p.hatched { svg::hatch_defs(&[p.fill]) } else { String::new() };
    defs + &svg::bar(p, 1.0, 1.0, 20.0, 12.0, "", "")
}

const STYLE: &str = "
body { font: 13px system-ui, sans-serif; margin: 12px 16px; color: #212529; background: #fff; }
h1 { font-size: 18px; margin: 0 0 4px; }
.verdict { font-size: 13px; padding: 2px 8px; border-radius: 3px; color: #fff; vertical-align: middle; }
.verdict.pass { background: #2b8a3e; } .verdict.fail { background: #e03131; } .verdict.error { background: #862e9c; }
.run { margin: 2px 0; color: #495057; }
code { font-family: ui-monospace, monospace; font-size: 12px; }
.violations { margin: 6px 0; padding-left: 4px; list-style: none; max-height: 12em; overflow-y: auto; }
.violations li { margin: 1px 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.violations .n { display: inline-block; min-width: 1.6em; text-align: right; color: #fff; background: #e03131;
  border-radius: 3px; padding: 0 4px 0 0; font-weight: 700; }
.violations b { color: #c92a2a; }
.where { color: #868e96; }
.legend { display: flex; flex-wrap: wrap; gap: 2px 14px; margin: 8px 0; color: #495057; font-size: 12px; }
.legend span { display: inline-flex; align-items: center; gap: 4px; }
.chart { overflow-x: auto; }
#tip { position: fixed; z-index: 10; max-width: 900px; margin: 0; padding: 6px 8px; background: #212529; color: #f8f9fa;
  font: 11px ui-monospace, monospace; white-space: pre-wrap; border-radius: 4px; pointer-events: none; }
";

/// Hover: the `<title>` of what is under the pointer, shown at once in a
/// box (the browser's own tooltip still works without script).
const SCRIPT: &str = "
const tip = document.getElementById('tip');
for (const t of document.querySelectorAll('.chart title')) {
  t.parentNode.dataset.tip = t.textContent;
  t.remove();
}
document.addEventListener('mousemove', (e) => {
  const el = e.target.closest('[data-tip]');
  if (!el) { tip.hidden = true; return; }
  tip.textContent = el.dataset.tip;
  tip.hidden = false;
  const x = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
  const y = e.clientY + 16 + tip.offsetHeight > window.innerHeight ? e.clientY - tip.offsetHeight - 8 : e.clientY + 16;
  tip.style.left = x + 'px';
  tip.style.top = y + 'px';
});
";
