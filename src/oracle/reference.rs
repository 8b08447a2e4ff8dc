//! The reference model: the same job over the same log, run sequentially in
//! memory with no faults, no channels and no checkpoints, one record at a
//! time through the operator DAG. It shares only the input (`LogData`) and
//! the job graph with the engine, never its operators: a keyed operator is
//! folded with its kind's specification (`KeyedKind::fold`), never run. It can also stop at
//! given source offsets: the state a consistent cut at those offsets must
//! hold (I1). One pass serves both: `compute_until` stops at the cuts it is
//! given on its way to the end and keeps a fingerprint of the keyed state at
//! each (`Reference::cut`); `CutReference` re-runs to a cut only where a
//! fingerprint is missing or does not match, to say exactly what differs.

use crate::engine::graph::{splitmix as mix, ExecutionGraph};
use crate::engine::keyed::KeyedKind;
use crate::engine::msg::Origin;
use crate::engine::services::log::LogData;
use crate::scenario::{OperatorKind, Partitioning};
use crate::trace::{Event, TraceEvent};

use std::collections::BTreeMap;
use std::sync::Arc;

/// Per keyed operator: value per key.
pub type KeyedState = BTreeMap<u16, BTreeMap<u64, i64>>;

/// Per (source, partition), by offset: how many copies of each source
/// record a sink must commit (one byte a record; 0 where none reaches it).
pub type Copies = BTreeMap<(u16, u32), Vec<u8>>;

/// Per sink operator: the copies it must commit.
pub type SinkRecords = BTreeMap<u16, Copies>;

/// What a fault-free run must produce.
#[derive(Debug, Default)]
pub struct Reference {
    /// Per sink operator: how many copies of each source record it must
    /// commit (more than one where paths fan out and meet again, or an
    /// edge broadcasts). One byte a record: the output is judged against
    /// it as the committed output streams by.
    pub sink_records: SinkRecords,
    /// Per sink operator fed by one keyed aggregate over an edge that keeps
    /// each key's updates in order: the last value per key.
    pub sink_final: BTreeMap<u16, BTreeMap<u64, i64>>,
    /// Per keyed operator: the final value per key.
    pub keyed_state: KeyedState,
    /// The cuts the pass stopped at, with the fingerprint of each keyed
    /// operator's state there.
    pub cuts: BTreeMap<Offsets, Vec<(u16, Fingerprint)>>,
}

impl Reference {
    /// The fingerprints of the keyed state at `offsets`, if the pass stopped there.
    pub fn cut(&self, offsets: &Offsets) -> Option<&[(u16, Fingerprint)]> {
        self.cuts.get(offsets).map(|f| &f[..])
    }
}

/// Source offsets per (source, partition): where a cut stands (partitions
/// not named are at 0).
pub type Offsets = BTreeMap<(u16, u32), u64>;

/// A fingerprint of one keyed operator's value per key: the number of keys
/// and two sums of independent 64-bit mixes of each (key, value), so that
/// it does not depend on the order keys are visited. Two states with the
/// same fingerprint differ with odds of about 2^-128; a mismatch is always
/// re-checked key by key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    keys: usize,
    sums: [u64; 2],
}

impl Fingerprint {
    pub fn of<'v>(values: impl IntoIterator<Item = (&'v u64, &'v i64)>) -> Fingerprint {
        let mut f = Fingerprint { keys: 0, sums: [0; 2] };
        for (k, v) in values {
            let a = mix(k ^ mix(*v as u64 ^ 0x6a09_e667_f3bc_c908));
            f.keys += 1;
            f.sums[0] = f.sums[0].wrapping_add(a);
            f.sums[1] = f.sums[1].wrapping_add(mix(a ^ 0xbb67_ae85_84ca_a73b));
        }
        f
    }
}

/// A keyed operator's specification, resolved once per run.
struct Fold {
    kind: Arc<dyn KeyedKind>,
    /// Its inputs are one stream: every record on port 0.
    union: bool,
    /// A key's value before its first record.
    initial: i64,
}

/// A sequential run of the job, fed record by record.
pub struct ReferenceRun<'g> {
    graph: &'g ExecutionGraph,
    /// Downstream operators of each operator, with the copies of each
    /// record they get (the target's parallelism over a broadcast edge).
    downstream: Vec<Vec<(u16, u32)>>,
    /// Per operator, its fold if it is keyed.
    folds: Vec<Option<Fold>>,
    /// Per operator, its value per key if it is keyed (hashed: the fold
    /// looks a key up for every record; sorted only when handed out).
    state: Vec<Option<Values>>,
    /// Per sink operator, its copies per (source, partition) slot
    /// (`slots`); `None` where only the keyed state is wanted (a cut): no
    /// per-record bookkeeping at the sinks.
    sinks: Option<Vec<Option<Vec<Vec<u8>>>>>,
    /// Per source operator, the slot of its partition 0 (partitions follow).
    slots: Vec<usize>,
    /// Per source operator, the one path its records take, where they take
    /// one (`Step`); `None` where they fan out.
    paths: Vec<Option<Arc<[Step]>>>,
}

/// What one operator on a source's single path does to a record: `feed`'s
/// work with the operator's kind, input port and fold looked up once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Map(u16),
    Filter(u16),
    Keyed {
        op: u16,
        port: usize,
    },
    Sink(u16),
    /// The record goes no further (a committer, or an operator with no downstream).
    End,
}

/// One keyed operator's value per key, as the run keeps it.
pub type Values = rustc_hash::FxHashMap<u64, i64>;

impl<'g> ReferenceRun<'g> {
    pub fn new(graph: &'g ExecutionGraph) -> Self {
        let mut downstream = vec![vec![]; graph.ops.len()];
        for edge in &graph.edges {
            downstream[edge.from as usize].push((edge.to, edge.copies(&graph.ops)));
        }
        let state = graph.ops.iter().map(|o| o.kind.is_keyed().then(Values::default)).collect();
        let mut slots = Vec::with_capacity(graph.ops.len());
        let mut partitions = vec![];
        for o in &graph.ops {
            slots.push(partitions.len());
            if o.kind == OperatorKind::Source {
                partitions.extend((0..o.partitions as u32).map(|p| ExecutionGraph::records_in(o, p) as usize));
            }
        }
        let sinks = graph
            .ops
            .iter()
            .map(|o| (o.kind == OperatorKind::Sink).then(|| partitions.iter().map(|n| vec![0; *n]).collect()))
            .collect();
        let folds: Vec<Option<Fold>> = graph
            .ops
            .iter()
            .map(|o| {
                o.keyed.as_ref().map(|k| Fold {
                    kind: k.kind.clone(),
                    union: k.kind.ports() == 1,
                    initial: k.kind.initial(),
                })
            })
            .collect();
        let paths = (0..graph.ops.len() as u16).map(|op| path_from(graph, &downstream, &folds, op)).collect();
        ReferenceRun { graph, downstream, folds, state, sinks: Some(sinks), slots, paths }
    }

    /// A run that keeps only keyed state, for cuts and in-flight records.
    pub fn state_only(graph: &'g ExecutionGraph) -> Self {
        ReferenceRun { sinks: None, ..ReferenceRun::new(graph) }
    }

    /// A run that starts from given keyed state (a snapshot's), to carry
    /// in-flight records through.
    pub fn from_state(graph: &'g ExecutionGraph, state: KeyedState) -> Self {
        let mut run = ReferenceRun::state_only(graph);
        for (op, values) in state {
            if let Some(Some(have)) = run.state.get_mut(op as usize) {
                *have = values.into_iter().collect();
            }
        }
        run
    }

    /// One record arriving at operator `op` from operator `from` (none for a
    /// source), carried through everything downstream.
    pub fn feed(&mut self, from: Option<u16>, op: u16, key: u64, value: i64, origin: Origin) {
        let spec = &self.graph.ops[op as usize];
        let value = match &spec.kind {
            OperatorKind::Source => value,
            OperatorKind::Map => spec.func.map(value),
            OperatorKind::Filter if !spec.func.keeps(key, value) => return,
            OperatorKind::Filter => value,
            OperatorKind::Keyed(_) => {
                // The kind's specification, never its implementation.
                let fold = self.folds[op as usize].as_ref().expect("a keyed operator's kind is resolved");
                let port = match fold.union {
                    true => 0,
                    false => spec.inputs.iter().position(|i| Some(*i) == from).unwrap_or(0),
                };
                let values = self.state[op as usize].as_mut().expect("keyed");
                let v = values.entry(key).or_insert(fold.initial);
                *v = fold.kind.fold(port, *v, value);
                *v
            }
            OperatorKind::Committer => return, // committables, not records
            OperatorKind::Sink => {
                self.count_at_sink(op, origin);
                return;
            }
        };
        for i in 0..self.downstream[op as usize].len() {
            let (next, copies) = self.downstream[op as usize][i];
            for _ in 0..copies {
                self.feed(Some(op), next, key, value, origin);
            }
        }
    }

    /// Feeds records `[from, to)` of one log partition.
    pub fn feed_partition(&mut self, log: LogData, source: u16, partition: u32, from: u64, to: u64) {
        let spec = &self.graph.ops[source as usize];
        let records = log.read(spec, partition, from, to.saturating_sub(from) as usize);
        let path = self.paths[source as usize].clone();
        for (i, (key, value)) in records.into_iter().enumerate() {
            let origin = Origin { source, partition, offset: from + i as u64 };
            match &path {
                Some(path) => self.walk(path, key, value, origin),
                None => self.feed(None, source, key, value, origin),
            }
        }
    }

    /// `feed` of a source's record down its single path.
    fn walk(&mut self, path: &[Step], key: u64, mut value: i64, origin: Origin) {
        for step in path {
            match *step {
                Step::Map(op) => value = self.graph.ops[op as usize].func.map(value),
                Step::Filter(op) if !self.graph.ops[op as usize].func.keeps(key, value) => return,
                Step::Filter(_) => {}
                Step::Keyed { op, port } => {
                    let fold = self.folds[op as usize].as_ref().expect("a keyed operator's kind is resolved");
                    let values = self.state[op as usize].as_mut().expect("keyed");
                    let v = values.entry(key).or_insert(fold.initial);
                    *v = fold.kind.fold(port, *v, value);
                    value = *v;
                }
                Step::Sink(op) => {
                    self.count_at_sink(op, origin);
                    return;
                }
                Step::End => return,
            }
        }
    }

    /// One more copy of `origin` reached sink `op`.
    fn count_at_sink(&mut self, op: u16, origin: Origin) {
        if let Some(sinks) = &mut self.sinks {
            let slot = self.slots[origin.source as usize] + origin.partition as usize;
            let copies = sinks[op as usize].as_mut().and_then(|s| s.get_mut(slot));
            if let Some(c) = copies.and_then(|c| c.get_mut(origin.offset as usize)) {
                *c = c.saturating_add(1);
            }
        }
    }

    /// Per keyed operator, its value per key as the run holds it now.
    pub fn values(&self) -> impl Iterator<Item = (u16, &Values)> {
        self.state.iter().enumerate().filter_map(|(op, v)| Some((op as u16, v.as_ref()?)))
    }

    /// The keyed state, sorted.
    pub fn keyed_state(&self) -> KeyedState {
        self.values().map(|(op, v)| (op, v.iter().map(|(k, v)| (*k, *v)).collect())).collect()
    }

    /// The copies each sink must commit, per (source, partition).
    fn sink_records(&mut self) -> SinkRecords {
        let Some(sinks) = self.sinks.take() else { return SinkRecords::new() };
        let mut parts = vec![];
        for o in self.graph.ops.iter().filter(|o| o.kind == OperatorKind::Source) {
            parts.extend((0..o.partitions as u32).map(|p| (o.index, p)));
        }
        let mut out = SinkRecords::new();
        for (op, copies) in sinks.into_iter().enumerate() {
            let Some(copies) = copies else { continue };
            // Partitions no record of reaches the sink stay out, as before.
            let reached = parts.iter().copied().zip(copies).filter(|(_, c)| c.iter().any(|n| *n > 0));
            out.insert(op as u16, reached.collect());
        }
        out
    }
}

/// The path a record of `source` takes when every operator on it has one
/// downstream operator taking one copy; `None` where it forks (or a
/// broadcast copies it), which `feed` walks instead.
fn path_from(
    graph: &ExecutionGraph,
    downstream: &[Vec<(u16, u32)>],
    folds: &[Option<Fold>],
    source: u16,
) -> Option<Arc<[Step]>> {
    if graph.ops[source as usize].kind != OperatorKind::Source {
        return None;
    }
    let mut path = vec![];
    let (mut from, mut op) = (source, source);
    loop {
        if op != source {
            let spec = &graph.ops[op as usize];
            let step = match &spec.kind {
                OperatorKind::Source => return None,
                OperatorKind::Map => Step::Map(op),
                OperatorKind::Filter => Step::Filter(op),
                OperatorKind::Keyed(_) => {
                    let union = folds[op as usize].as_ref().is_none_or(|f| f.union);
                    let port = if union { 0 } else { spec.inputs.iter().position(|i| *i == from).unwrap_or(0) };
                    Step::Keyed { op, port }
                }
                OperatorKind::Committer => Step::End,
                OperatorKind::Sink => Step::Sink(op),
            };
            path.push(step);
            if matches!(step, Step::End | Step::Sink(_)) {
                return Some(path.into());
            }
        }
        match downstream[op as usize][..] {
            [] => {
                path.push(Step::End);
                return Some(path.into());
            }
            [(next, 1)] => (from, op) = (op, next),
            _ => return None,
        }
    }
}

/// Runs the job sequentially over the whole log.
#[cfg(test)]
pub fn compute(graph: &ExecutionGraph, log: LogData) -> Reference {
    compute_until(graph, log, &[], &std::sync::atomic::AtomicBool::new(false)).expect("never abandoned")
}

/// Records fed between two looks at the abandon flag.
const CHUNK: u64 = 1 << 16;

/// `compute`, stopping on the way at each of `cuts` that lies at or beyond
/// the one before it in every partition (cuts in checkpoint order mostly
/// do) to fingerprint the keyed state there; or `None` once `abandon` is set
/// (the run's wall-clock budget is spent): it looks at it every `CHUNK`
/// records.
pub fn compute_until(
    graph: &ExecutionGraph,
    log: LogData,
    cuts: &[Offsets],
    abandon: &std::sync::atomic::AtomicBool,
) -> Option<Reference> {
    let mut run = ReferenceRun::new(graph);
    let mut cursors = Offsets::new();
    let mut stopped = BTreeMap::new();
    for cut in cuts {
        let ahead = cursors.iter().all(|(part, at)| cut.get(part).copied().unwrap_or(0) >= *at);
        if !ahead || stopped.contains_key(cut) {
            continue;
        }
        for (&(source, partition), &to) in cut {
            let end = ExecutionGraph::records_in(&graph.ops[source as usize], partition).min(to);
            let from = cursors.get(&(source, partition)).copied().unwrap_or(0);
            feed_chunked(&mut run, log, source, partition, from, end, abandon)?;
            cursors.insert((source, partition), to);
        }
        stopped.insert(cut.clone(), run.values().map(|(op, v)| (op, Fingerprint::of(v))).collect());
    }
    for op in graph.ops.iter().filter(|o| o.kind == OperatorKind::Source) {
        for p in 0..op.partitions as u32 {
            let end = ExecutionGraph::records_in(op, p);
            let from = cursors.get(&(op.index, p)).copied().unwrap_or(0).min(end);
            feed_chunked(&mut run, log, op.index, p, from, end, abandon)?;
        }
    }
    let sink_records = run.sink_records();
    let keyed_state = run.keyed_state();
    let mut sink_final = BTreeMap::new();
    for sink in sink_records.keys() {
        let inputs: Vec<u16> = (0..graph.ops.len() as u16)
            .filter(|o| run.downstream[*o as usize].iter().any(|(to, _)| to == sink))
            .collect();
        if let [single] = inputs[..] {
            if let Some(state) = keyed_state.get(&single).filter(|_| keeps_key_order(graph, single, *sink)) {
                sink_final.insert(*sink, state.clone());
            }
        }
    }
    Some(Reference { sink_records, sink_final, keyed_state, cuts: stopped })
}

/// Feeds records `[from, to)` of one partition, `CHUNK` at a time; `None`
/// once `abandon` is set.
fn feed_chunked(
    run: &mut ReferenceRun,
    log: LogData,
    source: u16,
    partition: u32,
    from: u64,
    to: u64,
    abandon: &std::sync::atomic::AtomicBool,
) -> Option<()> {
    for at in (from..to).step_by(CHUNK as usize) {
        if abandon.load(std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        run.feed_partition(log, source, partition, at, (at + CHUNK).min(to));
    }
    Some(())
}

/// Forgets the last-value-per-key expectation of every sink that some
/// deployment of the run fed over an edge that does not keep key order.
/// A rescale can do that: a forward edge between operators whose
/// parallelisms come to differ becomes rebalance (Flink's default), and a
/// key's updates then reach several sink subtasks whose commits interleave.
/// The deployments are read from the trace (`task_deployed`).
pub fn forget_unordered_finals(
    reference: &mut Reference,
    scenario: &crate::scenario::Scenario,
    registry: &crate::engine::registry::Registry,
    events: &[TraceEvent],
) {
    let mut deployed: BTreeMap<u64, BTreeMap<String, usize>> = BTreeMap::new();
    for e in events {
        let Event::TaskDeployed { task, attempt, .. } = &e.event else { continue };
        let Some((op, subtask)) = split_task(task) else { continue };
        let p = deployed.entry(*attempt).or_default().entry(op.to_string()).or_default();
        *p = (*p).max(subtask + 1);
    }
    // The reference was computed on the graph as built: only other shapes
    // (a rescale) need a graph of their own, each once.
    let as_built = |(op, p): (&String, &usize)| {
        scenario.job.operators.iter().find(|o| &o.id == op).is_none_or(|o| scenario.parallelism_of(o) == *p)
    };
    let shapes: std::collections::BTreeSet<_> = deployed.into_values().filter(|d| !d.iter().all(as_built)).collect();
    for parallelism in &shapes {
        let graph = crate::engine::job::graph_with(scenario, registry, parallelism);
        reference.sink_final.retain(|sink, _| match graph.ops[*sink as usize].inputs[..] {
            [single] => keeps_key_order(&graph, single, *sink),
            _ => false,
        });
    }
}

/// `count[2]` → (`count`, 2).
fn split_task(task: &str) -> Option<(&str, usize)> {
    let (op, rest) = task.split_once('[')?;
    Some((op, rest.strip_suffix(']')?.parse().ok()?))
}

/// Whether the edge `from → to` sends every update of a key to one subtask,
/// in order (hash or pointwise forward; not rebalance), so the last value
/// committed per key is the final one.
fn keeps_key_order(graph: &ExecutionGraph, from: u16, to: u16) -> bool {
    graph.edges.iter().filter(|e| e.from == from && e.to == to).all(|e| e.partitioning != Partitioning::Rebalance)
}

/// The reference state at a cut given by source offsets, advanced
/// incrementally from one cut to the next (restarting when a cut goes back).
pub struct CutReference<'g> {
    log: LogData,
    run: ReferenceRun<'g>,
    /// Records fed so far, per (source, partition).
    cursors: Offsets,
}

impl<'g> CutReference<'g> {
    pub fn new(graph: &'g ExecutionGraph, log: LogData) -> Self {
        CutReference { log, run: ReferenceRun::state_only(graph), cursors: Offsets::new() }
    }

    /// The keyed state after exactly the records below `offsets` of each
    /// (source, partition); partitions not named are at 0.
    pub fn at(&mut self, offsets: &Offsets) -> &ReferenceRun<'g> {
        let back = self.cursors.iter().any(|(k, c)| offsets.get(k).copied().unwrap_or(0) < *c);
        if back {
            self.run = ReferenceRun::state_only(self.run.graph);
            self.cursors.clear();
        }
        for (&(source, partition), &to) in offsets {
            let from = self.cursors.get(&(source, partition)).copied().unwrap_or(0);
            if to > from {
                self.run.feed_partition(self.log, source, partition, from, to);
                self.cursors.insert((source, partition), to);
            }
        }
        &self.run
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::registry::Registry;
    use crate::scenario;

    fn graph(ops: &str) -> ExecutionGraph {
        let text = format!("name = \"t\"\n[job]\nparallelism = 2\noperators = [\n{ops}\n]\n");
        let s = scenario::parse(&text, "t.toml", &scenario::catalogue::JobOnly).expect("valid");
        crate::engine::job::graph(&s, &Registry::builtin())
    }

    const COUNT: &str = r#"{ id = "src", kind = "source", partitions = 2, records = 1000, keys = 7 },
        { id = "count", kind = "keyed_count", input = ["src"] },
        { id = "out", kind = "sink", input = ["count"] },"#;

    /// A rescale of `count` to 3 makes its forward edge to `out` (2)
    /// rebalance: the final value per key is no longer what the sink must end with.
    #[test]
    fn a_deployment_that_rebalances_into_the_sink_drops_the_final_values() {
        let text = format!("name = \"t\"\n[job]\nparallelism = 2\noperators = [\n{COUNT}\n]\n");
        let s = scenario::parse(&text, "t.toml", &scenario::catalogue::JobOnly).expect("valid");
        let g = crate::engine::job::graph(&s, &Registry::builtin());
        let mut r = compute(&g, LogData::new(3));
        let deployed = |task: &str, attempt| {
            let event =
                Event::TaskDeployed { task: task.into(), worker: "worker-1".into(), attempt, chain: task.into() };
            crate::trace::testing::at(1, "coordinator", event)
        };
        let as_built = [deployed("count[1]", 1), deployed("out[1]", 1)];
        forget_unordered_finals(&mut r, &s, &Registry::builtin(), &as_built);
        assert_eq!(r.sink_final.len(), 1, "forward between equal parallelisms keeps key order");
        forget_unordered_finals(&mut r, &s, &Registry::builtin(), &[deployed("count[2]", 2), deployed("out[1]", 2)]);
        assert!(r.sink_final.is_empty());
    }

    /// Walking a source's single path does what `feed` does record by
    /// record; a fork or a broadcast leaves the source without a path.
    #[test]
    fn a_single_path_walk_matches_feeding_record_by_record() {
        let chain = r#"{ id = "src", kind = "source", partitions = 2, records = 500, keys = 7 },
            { id = "m", kind = "map", fn = "double", input = ["src"] },
            { id = "f", kind = "filter", fn = "even_keys", input = ["m"] },
            { id = "sum", kind = "keyed_sum", input = ["f"] },
            { id = "out", kind = "sink", input = ["sum"] },"#;
        for ops in [COUNT, chain] {
            let g = graph(ops);
            let mut walked = ReferenceRun::new(&g);
            assert!(walked.paths[0].is_some(), "one path from the source");
            let mut fed = ReferenceRun::new(&g);
            for p in 0..2 {
                walked.feed_partition(LogData::new(5), 0, p, 0, 250);
                let records = LogData::new(5).read(&g.ops[0], p, 0, 250);
                for (i, (key, value)) in records.into_iter().enumerate() {
                    fed.feed(None, 0, key, value, Origin { source: 0, partition: p, offset: i as u64 });
                }
            }
            assert_eq!(walked.keyed_state(), fed.keyed_state());
            assert_eq!(walked.sink_records(), fed.sink_records());
        }
        let fork = r#"{ id = "src", kind = "source", partitions = 2, records = 10, keys = 3 },
            { id = "a", kind = "sink", input = ["src"] },
            { id = "b", kind = "sink", input = ["src"] },"#;
        assert_eq!(ReferenceRun::new(&graph(fork)).paths[0], None);
        let broadcast = r#"{ id = "src", kind = "source", partitions = 2, records = 10, keys = 3 },
            { id = "out", kind = "sink", input = ["src"], partition = "broadcast" },"#;
        assert_eq!(ReferenceRun::new(&graph(broadcast)).paths[0], None);
    }

    #[test]
    fn the_count_of_every_key_adds_up_to_the_records_and_every_record_reaches_the_sink() {
        let g = graph(COUNT);
        let r = compute(&g, LogData::new(3));
        let counts = &r.keyed_state[&1];
        assert_eq!(counts.values().sum::<i64>(), 1000);
        assert!(counts.keys().all(|k| *k < 7));
        let reached: usize = r.sink_records[&2].values().map(|p| p.iter().filter(|c| **c == 1).count()).sum();
        assert_eq!(reached, 1000, "every record reaches the sink once");
        assert_eq!(&r.sink_final[&2], counts, "a sink fed by one aggregate ends with its state");
    }

    #[test]
    fn a_sum_of_counts_is_order_independent() {
        let g = graph(
            r#"{ id = "src", kind = "source", partitions = 3, records = 600, keys = 5 },
            { id = "count", kind = "keyed_count", input = ["src"] },
            { id = "sum", kind = "keyed_sum", input = ["count"] },
            { id = "out", kind = "sink", input = ["sum"] },"#,
        );
        let r = compute(&g, LogData::new(9));
        for (key, n) in &r.keyed_state[&1] {
            assert_eq!(r.keyed_state[&2][key], n * (n + 1) / 2, "key {key}: 1 + 2 + … + n");
        }
    }

    #[test]
    fn a_cut_at_the_end_equals_the_whole_run_and_cuts_may_go_back() {
        let g = graph(COUNT);
        let log = LogData::new(5);
        let whole = compute(&g, log).keyed_state;
        let mut cut = CutReference::new(&g, log);
        let half: BTreeMap<(u16, u32), u64> = [((0, 0), 250), ((0, 1), 250)].into();
        let at_half = cut.at(&half).keyed_state();
        assert_eq!(at_half[&1].values().sum::<i64>(), 500);
        let end: BTreeMap<(u16, u32), u64> = [((0, 0), 500), ((0, 1), 500)].into();
        assert_eq!(cut.at(&end).keyed_state(), whole);
        assert_eq!(cut.at(&half).keyed_state(), at_half, "going back restarts from the beginning");
    }

    #[test]
    fn the_pass_fingerprints_the_state_at_each_cut_it_reaches_on_its_way() {
        let g = graph(COUNT);
        let log = LogData::new(5);
        let half: Offsets = [((0, 0), 250), ((0, 1), 100)].into();
        let later: Offsets = [((0, 0), 300), ((0, 1), 400)].into();
        let back: Offsets = [((0, 0), 200), ((0, 1), 450)].into();
        let cuts = [half.clone(), later.clone(), back.clone()];
        let r = compute_until(&g, log, &cuts, &std::sync::atomic::AtomicBool::new(false)).expect("not abandoned");
        let mut cut = CutReference::new(&g, log);
        for at in [&half, &later] {
            let want: Vec<_> = cut.at(at).values().map(|(op, v)| (op, Fingerprint::of(v))).collect();
            assert_eq!(r.cut(at), Some(&want[..]));
        }
        assert_eq!(r.cut(&back), None, "behind the pass in partition 0: left to CutReference");
        assert_ne!(r.cut(&half), r.cut(&later));
        let whole = compute(&g, log);
        assert_eq!(r.keyed_state, whole.keyed_state, "stopping on the way changes nothing at the end");
        assert_eq!(r.sink_records, whole.sink_records);
    }

    #[test]
    fn a_fingerprint_ignores_key_order_and_sees_any_changed_value_or_key() {
        let of = |pairs: &[(u64, i64)]| Fingerprint::of(pairs.iter().map(|(k, v)| (k, v)));
        assert_eq!(of(&[(1, 2), (3, 4)]), of(&[(3, 4), (1, 2)]));
        assert_ne!(of(&[(1, 2), (3, 4)]), of(&[(1, 2), (3, 5)]));
        assert_ne!(of(&[(1, 2), (3, 4)]), of(&[(1, 2)]));
        assert_ne!(of(&[(1, 4), (3, 2)]), of(&[(1, 2), (3, 4)]), "values swapped between keys");
        assert_ne!(of(&[]), of(&[(0, 0)]));
    }
}
