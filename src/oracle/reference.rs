//! The reference model: the same job over the same log, run sequentially in
//! memory with no faults, no channels and no checkpoints. It shares only the
//! input (`LogData`) and the job graph with the engine, never its operators.

use crate::engine::graph::ExecutionGraph;
use crate::engine::msg::Origin;
use crate::engine::services::log::LogData;
use crate::scenario::OperatorKind;
use std::collections::BTreeMap;

/// One output record of the reference run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefRecord {
    pub key: u64,
    pub value: i64,
    pub origin: Origin,
}

/// What a fault-free run must produce.
#[derive(Debug, Default)]
pub struct Reference {
    /// Per sink operator: the key of every record it must commit, by origin.
    pub sink_records: BTreeMap<u16, BTreeMap<Origin, u64>>,
    /// Per sink operator fed by one keyed aggregate: the last value per key.
    pub sink_final: BTreeMap<u16, BTreeMap<u64, i64>>,
    /// Per keyed operator: the final value per key.
    pub keyed_state: BTreeMap<u16, BTreeMap<u64, i64>>,
}

/// Runs the job sequentially over the whole log.
pub fn compute(graph: &ExecutionGraph, log: LogData) -> Reference {
    let mut streams: BTreeMap<u16, Vec<RefRecord>> = BTreeMap::new();
    let mut reference = Reference::default();
    for op in &graph.ops {
        let inputs: Vec<u16> = upstream_ops(graph, op.index);
        let input: Vec<RefRecord> = inputs.iter().flat_map(|i| streams[i].iter().copied()).collect();
        let output = match op.kind {
            OperatorKind::Source => read_source(graph, op.index, log),
            OperatorKind::KeyedCount | OperatorKind::KeyedSum => {
                let (out, state) = aggregate(op.kind, &input);
                reference.keyed_state.insert(op.index, state);
                out
            }
            OperatorKind::Sink => {
                reference.sink_records.insert(op.index, input.iter().map(|r| (r.origin, r.key)).collect());
                if let [single] = inputs[..] {
                    if let Some(state) = reference.keyed_state.get(&single) {
                        reference.sink_final.insert(op.index, state.clone());
                    }
                }
                vec![]
            }
        };
        streams.insert(op.index, output);
    }
    reference
}

fn upstream_ops(graph: &ExecutionGraph, op: u16) -> Vec<u16> {
    let task = graph.tasks.values().find(|t| t.id.op == op).expect("operator has tasks");
    let mut ops: Vec<u16> = task.inputs.iter().map(|t| t.op).collect();
    ops.sort_unstable();
    ops.dedup();
    ops
}

fn read_source(graph: &ExecutionGraph, op: u16, log: LogData) -> Vec<RefRecord> {
    let spec = &graph.ops[op as usize];
    let mut out = vec![];
    for p in 0..spec.partitions as u32 {
        let records = log.read(spec, p, 0, usize::MAX);
        for (offset, (key, value)) in records.into_iter().enumerate() {
            out.push(RefRecord { key, value, origin: Origin { source: op, partition: p, offset: offset as u64 } });
        }
    }
    out
}

fn aggregate(kind: OperatorKind, input: &[RefRecord]) -> (Vec<RefRecord>, BTreeMap<u64, i64>) {
    let mut state: BTreeMap<u64, i64> = BTreeMap::new();
    let out = input
        .iter()
        .map(|r| {
            let v = state.entry(r.key).or_default();
            *v += if kind == OperatorKind::KeyedCount { 1 } else { r.value };
            RefRecord { key: r.key, value: *v, origin: r.origin }
        })
        .collect();
    (out, state)
}
