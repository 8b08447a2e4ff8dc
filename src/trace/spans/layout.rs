//! The `Builder` the passes fill (lanes in order of appearance, spans,
//! marks), and how it lays them out: lanes in drawing order, overlapping
//! spans stacked in rows.

use super::{Lane, LaneKind, Mark, MarkKind, Span, SpanKind, Timeline};
use crate::trace::{Event, TraceEvent};
use std::collections::BTreeMap;
use std::time::Duration;

/// A span opened and not yet closed.
#[derive(Debug, Clone)]
pub(super) struct Opening {
    lane: usize,
    start: Duration,
    event: usize,
    label: String,
    checkpoint: Option<u64>,
}

impl Opening {
    /// When it opened.
    pub(super) fn start(&self) -> Duration {
        self.start
    }
}

/// Collects spans and marks, lanes in order of appearance; `finish` sorts.
pub(super) struct Builder<'t> {
    pub(super) trace: &'t [TraceEvent],
    lanes: Vec<(LaneKind, String)>,
    index: BTreeMap<(LaneKind, String), usize>,
    spans: Vec<Span>,
    marks: Vec<Mark>,
}

impl<'t> Builder<'t> {
    pub(super) fn new(trace: &'t [TraceEvent]) -> Self {
        let mut b = Builder { trace, lanes: vec![], index: BTreeMap::new(), spans: vec![], marks: vec![] };
        for e in trace {
            match e.node.as_str() {
                "world" => b.lane(LaneKind::Faults, "faults"),
                node => b.lane(LaneKind::Node, node),
            };
        }
        b
    }

    pub(super) fn lane(&mut self, kind: LaneKind, name: &str) -> usize {
        let key = (kind, name.to_string());
        if let Some(i) = self.index.get(&key) {
            return *i;
        }
        self.lanes.push(key.clone());
        self.index.insert(key, self.lanes.len() - 1);
        self.lanes.len() - 1
    }

    pub(super) fn mark(&mut self, lane: usize, event: usize, kind: MarkKind, label: String) {
        let at = self.trace[event].time;
        self.marks.push(Mark { lane, at, kind, label, event });
    }

    pub(super) fn open(&mut self, lane: usize, event: usize, label: String, checkpoint: Option<u64>) -> Opening {
        Opening { lane, start: self.trace[event].time, event, label, checkpoint }
    }

    /// Closes `o` at event `event` (or, with none, at the end of the trace).
    pub(super) fn close(&mut self, o: Opening, event: Option<usize>, kind: SpanKind) {
        let end = match event {
            Some(i) => self.trace[i].time,
            None => self.trace.last().map_or(o.start, |e| e.time),
        };
        let events = std::iter::once(o.event).chain(event).collect();
        let (lane, label, checkpoint) = (o.lane, o.label, o.checkpoint);
        self.spans.push(Span { lane, row: 0, kind, start: o.start, end: end.max(o.start), label, checkpoint, events });
    }

    /// Closes `o` at `end`, a time event `event` reports (not its own).
    pub(super) fn close_at(&mut self, o: Opening, event: usize, end: Duration, kind: SpanKind) {
        let (lane, label, checkpoint, events) = (o.lane, o.label, o.checkpoint, vec![o.event, event]);
        self.spans.push(Span { lane, row: 0, kind, start: o.start, end: end.max(o.start), label, checkpoint, events });
    }

    /// Sorts the lanes, remaps every index, stacks overlapping spans in rows.
    pub(super) fn finish(self) -> Timeline {
        let ranks = OpRanks::of(self.trace);
        let mut order: Vec<usize> = (0..self.lanes.len()).collect();
        order.sort_by_key(|&i| lane_rank(&self.lanes[i], &ranks));
        let mut new_index = vec![0; order.len()];
        for (new, old) in order.iter().enumerate() {
            new_index[*old] = new;
        }
        let mut lanes: Vec<Lane> = order
            .iter()
            .map(|&i| {
                let (kind, name) = &self.lanes[i];
                let chain = (*kind == LaneKind::Task).then(|| ranks.chain_of(name)).flatten();
                Lane { name: name.clone(), kind: *kind, rows: 1, background_rows: 1, chain }
            })
            .collect();
        let mut spans = self.spans;
        spans.iter_mut().for_each(|s| s.lane = new_index[s.lane]);
        spans.sort_by_key(|s| (s.lane, s.start));
        stack_rows(&mut spans, &mut lanes);
        let mut marks = self.marks;
        marks.iter_mut().for_each(|m| m.lane = new_index[m.lane]);
        marks.sort_by_key(|m| m.event);
        let end = self.trace.last().map_or(Duration::ZERO, |e| e.time);
        Timeline { lanes, spans, marks, end }
    }
}

/// Operators in order of their first deployment, to order task lanes like
/// the job graph, and each task's chain head at its first deployment.
struct OpRanks {
    ops: Vec<String>,
    /// task → the head of its chain (itself when it heads one or runs alone)
    heads: BTreeMap<String, String>,
    /// heads of chains of more than one task
    chained: Vec<String>,
}

impl OpRanks {
    fn of(trace: &[TraceEvent]) -> Self {
        let mut r = OpRanks { ops: vec![], heads: BTreeMap::new(), chained: vec![] };
        let deployed = trace.iter().filter_map(|e| match &e.event {
            Event::TaskDeployed { task, chain, .. } => Some((task, chain)),
            _ => None,
        });
        for (task, chain) in deployed {
            let op = op_of(task);
            if !r.ops.iter().any(|o| o == op) {
                r.ops.push(op.to_string());
            }
            r.heads.entry(task.clone()).or_insert_with(|| chain.clone());
        }
        r.chained = r.heads.iter().filter(|(t, h)| t != h).map(|(_, h)| h.clone()).collect();
        r
    }

    fn rank(&self, op: &str) -> usize {
        self.ops.iter().position(|o| o == op).unwrap_or(usize::MAX)
    }

    /// The head of `task`'s chain, if it runs in a chain of several.
    fn chain_of(&self, task: &str) -> Option<String> {
        self.heads.get(task).filter(|h| self.chained.contains(h)).cloned()
    }
}

/// `count` of `count[1]`.
fn op_of(task: &str) -> &str {
    task.split('[').next().unwrap_or(task)
}

/// Job, coordinator, workers by number, other nodes by name, faults, then
/// tasks by operator and subtask.
fn lane_rank(lane: &(LaneKind, String), ranks: &OpRanks) -> (LaneKind, usize, u64, String) {
    let (kind, name) = lane;
    let number = |s: &str| s.trim_end_matches(']').parse::<u64>().unwrap_or(0);
    match kind {
        LaneKind::Node if name == "coordinator" => (*kind, 0, 0, String::new()),
        LaneKind::Node => match name.strip_prefix("worker-") {
            Some(n) => (*kind, 1, number(n), String::new()),
            None => (*kind, 2, 0, name.clone()),
        },
        LaneKind::Job | LaneKind::Faults => (*kind, 0, 0, String::new()),
        // By chain (its head's operator and subtask), then by place in it.
        LaneKind::Task => {
            let head = ranks.heads.get(name).unwrap_or(name);
            let (op, subtask) = head.split_once('[').unwrap_or((head, "0]"));
            let tie = format!("{:08}{name}", ranks.rank(op_of(name)));
            (*kind, ranks.rank(op), number(subtask), tie)
        }
    }
}

/// Gives every span the first row of its lane and layer free at its start.
fn stack_rows(spans: &mut [Span], lanes: &mut [Lane]) {
    let mut row_ends: BTreeMap<(usize, bool), Vec<Duration>> = BTreeMap::new();
    for s in spans.iter_mut() {
        let ends = row_ends.entry((s.lane, s.kind.is_background())).or_default();
        s.row = ends.iter().position(|end| *end <= s.start).unwrap_or(ends.len());
        match ends.get_mut(s.row) {
            Some(end) => *end = s.end,
            None => ends.push(s.end),
        }
    }
    for ((lane, background), ends) in row_ends {
        let rows = if background { &mut lanes[lane].background_rows } else { &mut lanes[lane].rows };
        *rows = ends.len().max(1);
    }
}
