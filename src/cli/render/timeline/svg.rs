//! SVG primitives the chart and the legend share: escaped text, painted
//! bars, glyphs, the hatch patterns. Coordinates print with one decimal so
//! the page is byte-identical for the same run.

use super::palette::{Glyph, Paint};
use std::fmt::Write;

/// Text made safe for HTML and SVG (element content and attribute values).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// A `<title>` child: the hover text.
pub fn title(text: &str) -> String {
    format!("<title>{}</title>", escape(text))
}

/// Roughly how wide `text` is at the chart's 11px font, in pixels.
pub fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * 6.4
}

/// The hatch patterns painted bars refer to, one per colour used.
pub fn hatch_defs(colours: &[&str]) -> String {
    let mut out = String::from("<defs>");
    for c in colours {
        let id = hatch_id(c);
        let _ = write!(
            out,
            r#"<pattern id="{id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="{c}" fill-opacity="0.18"/><line x1="0" y1="0" x2="0" y2="6" stroke="{c}" stroke-width="2.5" stroke-opacity="0.55"/></pattern>"#
        );
    }
    out + "</defs>"
}

fn hatch_id(colour: &str) -> String {
    format!("hatch-{}", colour.trim_start_matches('#'))
}

/// A bar painted with `p`, its hover text `tip`, `extra` attributes appended.
pub fn bar(p: Paint, x: f64, y: f64, w: f64, h: f64, tip: &str, extra: &str) -> String {
    let fill = if p.hatched { format!("url(#{})", hatch_id(p.fill)) } else { p.fill.to_string() };
    let opacity = if p.hatched { 100 } else { p.opacity };
    let dash = if p.dashed { r#" stroke-dasharray="3 2""# } else { "" };
    format!(
        r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" rx="2" fill="{fill}" fill-opacity="{:.2}" stroke="{}"{dash}{extra}>{}</rect>"#,
        f64::from(opacity) / 100.0,
        p.stroke,
        title(tip)
    )
}

/// A glyph centred at (`x`, `y`), `size` pixels across.
pub fn glyph(g: Glyph, colour: &str, x: f64, y: f64, size: f64, tip: &str) -> String {
    let r = size / 2.0;
    let shape = match g {
        // A wider transparent strip behind the tick, to hover.
        Glyph::Tick => format!(
            r#"<rect x="{:.1}" y="{:.1}" width="6" height="{size:.1}" fill="transparent"/><rect x="{:.1}" y="{:.1}" width="1.6" height="{size:.1}" fill="{colour}"/>"#,
            x - 3.0,
            y - r,
            x - 0.8,
            y - r
        ),
        Glyph::Failover => format!(
            r#"<path d="M{:.1} {:.1}L{:.1} {:.1}L{x:.1} {:.1}Z" fill="{colour}"/>"#,
            x - r,
            y - r,
            x + r,
            y - r,
            y + r
        ),
        Glyph::Diamond => format!(
            r#"<path d="M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z" fill="{colour}"/>"#,
            y - r,
            x + r,
            y + r,
            x - r
        ),
        Glyph::Square => format!(
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}"/>"#,
            x - r * 0.8,
            y - r * 0.8,
            size * 0.8,
            size * 0.8
        ),
        Glyph::Cross => format!(
            r#"<path d="M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}" stroke="{colour}" stroke-width="2"/>"#,
            x - r,
            y - r,
            x + r,
            y + r,
            x - r,
            y + r,
            x + r,
            y - r
        ),
        Glyph::Dot => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="{:.1}" fill="{colour}"/>"#, r * 0.6),
    };
    format!(r#"<g class="tip">{shape}{}</g>"#, title(tip))
}
