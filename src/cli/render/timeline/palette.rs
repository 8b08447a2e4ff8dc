//! How each kind of span and mark looks, in one place: the chart draws
//! with it and the legend explains it.

use crate::trace::spans::{Ending, MarkKind, Outage, SpanKind};

/// Red is kept for violations alone.
pub const VIOLATION: &str = "#e03131";

/// How a span is painted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint {
    pub fill: &'static str,
    pub stroke: &'static str,
    /// Fill opacity in percent.
    pub opacity: u8,
    /// Dashed outline (unfinished), or hatched (dropped).
    pub dashed: bool,
    pub hatched: bool,
    /// Colour of text drawn on it.
    pub text: &'static str,
}

const fn paint(fill: &'static str, stroke: &'static str, text: &'static str) -> Paint {
    Paint { fill, stroke, opacity: 100, dashed: false, hatched: false, text }
}

pub fn span(kind: SpanKind) -> Paint {
    match kind {
        SpanKind::Checkpoint(e) => ending(e, paint("#40c057", "#2b8a3e", "#fff")),
        SpanKind::Alignment(e) => ending(e, paint("#4dabf7", "#1971c2", "#fff")),
        SpanKind::Recovery => paint("#495057", "#212529", "#fff"),
        SpanKind::Attempt => paint("#e7f0f8", "#c5d7e8", "#5c7080"),
        SpanKind::Backpressure => Paint { opacity: 55, ..paint("#ffc078", "#f08c00", "#862e00") },
        SpanKind::Outage(o) => Paint { opacity: 30, hatched: true, ..paint(outage(o), outage(o), outage(o)) },
    }
}

/// The colour of a checkpoint or alignment by how it ended (`done` when it succeeded).
fn ending(e: Ending, done: Paint) -> Paint {
    match e {
        Ending::Completed => done,
        Ending::Unaligned => paint("#22b8cf", "#0c8599", "#fff"),
        Ending::Expired => paint("#fab005", "#e67700", "#000"),
        Ending::Declined => paint("#fd7e14", "#d9480f", "#fff"),
        Ending::Aborted => paint("#f06595", "#c2255c", "#fff"),
        Ending::Dropped => Paint { hatched: true, ..paint("#ced4da", "#868e96", "#343a40") },
        Ending::Open => Paint { dashed: true, opacity: 0, ..paint("#ffffff", "#868e96", "#495057") },
    }
}

fn outage(o: Outage) -> &'static str {
    match o {
        Outage::Crash => "#862e9c",
        Outage::Pause => "#5f3dc4",
        Outage::Partition | Outage::Link | Outage::Network => "#0b7285",
        Outage::Disk => "#a16207",
        Outage::Slow => "#e8590c",
    }
}

/// The bracket joining the lanes of one chain of operators.
pub const CHAIN: &str = "#7048e8";

/// A mark's glyph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glyph {
    /// A short vertical tick at the bottom of the lane.
    Tick,
    /// A triangle pointing down, with a dashed line across every lane.
    Failover,
    Diamond,
    Square,
    Cross,
    Dot,
}

pub fn mark(kind: MarkKind) -> (Glyph, &'static str) {
    match kind {
        MarkKind::Failover => (Glyph::Failover, "#212529"),
        MarkKind::Deployed => (Glyph::Square, "#1971c2"),
        MarkKind::JobEnd => (Glyph::Square, "#212529"),
        MarkKind::Restored => (Glyph::Diamond, "#1971c2"),
        MarkKind::Fault => (Glyph::Diamond, "#862e9c"),
        MarkKind::TaskFailed | MarkKind::Declined => (Glyph::Cross, "#d9480f"),
        MarkKind::Snapshot => (Glyph::Tick, "#495057"),
        MarkKind::Commit => (Glyph::Tick, "#2b8a3e"),
        MarkKind::TxnAborted => (Glyph::Tick, "#adb5bd"),
        MarkKind::Notice => (Glyph::Dot, "#868e96"),
    }
}

/// The legend: every paint and glyph the chart uses, with what it means.
pub fn legend() -> Vec<(LegendKey, &'static str)> {
    use Ending::*;
    use LegendKey::{Glyph as G, Span as S};
    vec![
        (S(SpanKind::Checkpoint(Completed)), "checkpoint completed"),
        (S(SpanKind::Checkpoint(Expired)), "expired"),
        (S(SpanKind::Checkpoint(Declined)), "declined"),
        (S(SpanKind::Checkpoint(Aborted)), "aborted"),
        (S(SpanKind::Checkpoint(Dropped)), "dropped by a failover"),
        (S(SpanKind::Checkpoint(Open)), "unfinished"),
        (S(SpanKind::Alignment(Completed)), "alignment (barrier → snapshot)"),
        (S(SpanKind::Alignment(Unaligned)), "alignment timed out → unaligned"),
        (S(SpanKind::Recovery), "failover → redeploy"),
        (S(SpanKind::Attempt), "task deployed"),
        (S(SpanKind::Outage(Outage::Crash)), "crash → restart"),
        (S(SpanKind::Outage(Outage::Pause)), "pause → resume"),
        (S(SpanKind::Outage(Outage::Partition)), "partition / link / network → heal"),
        (S(SpanKind::Outage(Outage::Disk)), "disk faults → heal"),
        (S(SpanKind::Outage(Outage::Slow)), "slow task → heal"),
        (S(SpanKind::Backpressure), "backpressured (waiting for credit)"),
        (G(MarkKind::Fault), "fault event"),
        (G(MarkKind::Failover), "failover"),
        (G(MarkKind::Deployed), "deployment (attempt ← checkpoint)"),
        (G(MarkKind::Restored), "task restored checkpoint ↺n"),
        (G(MarkKind::Snapshot), "snapshot"),
        (G(MarkKind::Commit), "sink commit"),
        (G(MarkKind::Declined), "decline / task failure"),
        (LegendKey::Violation, "violated property"),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegendKey {
    Span(SpanKind),
    Glyph(MarkKind),
    Violation,
}
