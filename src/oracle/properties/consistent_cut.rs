//! `consistent_cut` (I1): every completed checkpoint is a consistent cut. Its
//! keyed state must equal the reference state after exactly the records its
//! sources had emitted before the barrier (their checkpointed offsets).
//! With unaligned checkpoints (L10) the state alone is not the cut: its
//! in-flight records (channel state) are carried through the reference
//! operators from where they wait, as a restore would replay them, and state
//! plus in-flight records must equal the fold of the records before the cut.
//! Unlike the end-of-run checks, this catches a bad cut without a crash.

use super::{Case, Judgement, Property};
use crate::engine::graph::ExecutionGraph;
use crate::engine::msg::CheckpointMeta;
use crate::engine::services::log::LogData;
use crate::engine::state::TaskState;
use crate::oracle::evidence::{Evidence, Unreadable};
use crate::oracle::reference::{CutReference, Fingerprint, KeyedState, Offsets, Reference, ReferenceRun};
use crate::oracle::violation::{examples, Violation};
use crate::scenario::OperatorKind;
use std::collections::{BTreeMap, BTreeSet};

/// The `consistent_cut` property (exactly-once runs only).
pub struct ConsistentCut;

impl Property for ConsistentCut {
    fn names(&self) -> &'static [&'static str] {
        &["consistent_cut"]
    }

    fn check(&self, j: &Case, out: &mut Judgement) {
        if j.exactly_once {
            out.violations.extend(consistent_cut(j.graph, j.log, j.reference, j.ev));
        }
    }
}

const PROPERTY: &str = "consistent_cut";

/// Where the completed checkpoints cut the sources, in id order: the cuts
/// the reference pass fingerprints on its way (`reference::compute_until`).
/// Checkpoints whose offsets cannot be read are left out.
pub fn cuts(graph: &ExecutionGraph, ev: &Evidence) -> Vec<Offsets> {
    ev.completed.keys().filter_map(|n| source_offsets(graph, ev, &*ev.metadata(*n).ok()?).ok()).collect()
}

/// The expected state at a cut: the reference pass's fingerprint where it
/// stopped there, else (and to say what differs) a run to the cut.
struct Expected<'r, 'g> {
    fingerprints: &'r Reference,
    exact: Option<CutReference<'g>>,
    graph: &'g ExecutionGraph,
    log: LogData,
}

/// Checks every completed checkpoint, in id order.
pub fn consistent_cut(graph: &ExecutionGraph, log: LogData, reference: &Reference, ev: &Evidence) -> Vec<Violation> {
    let mut expected = Expected { fingerprints: reference, exact: None, graph, log };
    let mut out = vec![];
    for &n in ev.completed.keys() {
        let result = ev.metadata(n).and_then(|meta| check_one(graph, &mut expected, ev, &meta));
        match result {
            // Injected bit rot destroyed it: nothing left to judge.
            Ok(()) | Err(Unreadable::Rotted(_)) => {}
            Err(detail) => out.push(ev.at_checkpoint(n, Violation::new(PROPERTY, format!("checkpoint {n}: {detail}")))),
        }
    }
    out
}

fn check_one(
    graph: &ExecutionGraph,
    expected: &mut Expected,
    ev: &Evidence,
    meta: &CheckpointMeta,
) -> Result<(), Unreadable> {
    let offsets = source_offsets(graph, ev, meta)?;
    let mut state = KeyedState::new();
    for op in graph.ops.iter().filter(|o| o.kind.is_keyed()) {
        state.insert(op.index, keyed_state(graph, ev, meta, op.index)?);
    }
    let state = with_in_flight(graph, ev, meta, state)?;
    let fingerprinted = expected.fingerprints.cut(&offsets);
    if fingerprinted.is_some_and(|f| f.iter().all(|(op, want)| Fingerprint::of(&state[op]) == *want)) {
        return Ok(());
    }
    let (graph, log) = (expected.graph, expected.log);
    let expected = expected.exact.get_or_insert_with(|| CutReference::new(graph, log)).at(&offsets);
    for (op, want) in expected.values() {
        let have = &state[&op];
        let same = want.len() == have.len() && want.iter().all(|(k, v)| have.get(k) == Some(v));
        if same {
            continue;
        }
        let keys: BTreeSet<u64> = want.keys().chain(have.keys()).copied().collect();
        let wrong: Vec<String> = keys
            .into_iter()
            .filter(|k| want.get(k) != have.get(k))
            .map(|k| format!("key {k}: expected {}, snapshot {}", shown(want.get(&k)), shown(have.get(&k))))
            .collect();
        let name = &graph.ops[op as usize].id;
        let differ =
            if wrong.len() == 1 { "1 key differs".to_string() } else { format!("{} keys differ", wrong.len()) };
        return Err(Unreadable::Broken(format!(
            "{name} is not the fold of the records before the barrier, {differ}: {}",
            examples(wrong)
        )));
    }
    Ok(())
}

/// The state after the checkpoint's channel state is replayed: each
/// in-flight input record enters its task's operator, each overtaken output
/// record the operator its edge leads to, and on from there.
fn with_in_flight(
    graph: &ExecutionGraph,
    ev: &Evidence,
    meta: &CheckpointMeta,
    state: KeyedState,
) -> Result<KeyedState, Unreadable> {
    if !graph.protocol.kind.channel_state() {
        return Ok(state);
    }
    let mut run: Option<ReferenceRun> = None;
    for task in meta.states.keys() {
        let snapshot = ev.snapshot(meta, *task).map_err(|e| e.context(&graph.name(*task)))?;
        let channels = &snapshot.channels;
        if channels.is_empty() {
            continue;
        }
        let run = run.get_or_insert_with(|| ReferenceRun::from_state(graph, state.clone()));
        for (port, records) in &channels.inputs {
            let from = graph.ops[task.op as usize].inputs[*port as usize];
            for record in records {
                run.feed(Some(from), task.op, record.key, record.value, record.origin);
            }
        }
        // Output channel state is kept by the operator it was going to.
        for (to, records) in &channels.outputs {
            for record in records {
                run.feed(Some(task.op), *to, record.key, record.value, record.origin);
            }
        }
    }
    Ok(match run {
        Some(run) => run.keyed_state(),
        None => state,
    })
}

/// The checkpoint's source offsets, per (source, partition).
fn source_offsets(graph: &ExecutionGraph, ev: &Evidence, meta: &CheckpointMeta) -> Result<Offsets, Unreadable> {
    let mut offsets = BTreeMap::new();
    // The checkpoint's own subtasks: a rescale changes how many there are.
    for task in meta.states.keys().filter(|t| graph.op(**t).kind == OperatorKind::Source) {
        match &ev.snapshot(meta, *task).map_err(|e| e.context(&graph.name(*task)))?.state {
            TaskState::Source { offsets: o } => offsets.extend(o.iter().map(|(p, off)| ((task.op, *p), *off))),
            other => return Err(Unreadable::Broken(format!("{} holds {other:?}", graph.name(*task)))),
        }
    }
    Ok(offsets)
}

/// One keyed operator's state in the checkpoint, merged over its subtasks.
fn keyed_state(
    graph: &ExecutionGraph,
    ev: &Evidence,
    meta: &CheckpointMeta,
    op: u16,
) -> Result<BTreeMap<u64, i64>, Unreadable> {
    let mut merged = BTreeMap::new();
    for task in meta.states.keys().copied().filter(|t| t.op == op) {
        match &ev.snapshot(meta, task).map_err(|e| e.context(&graph.name(task)))?.state {
            TaskState::Keyed { values } => merged.extend(values.iter().map(|(k, v)| (*k, *v))),
            other => return Err(Unreadable::Broken(format!("{} holds {other:?}", graph.name(task)))),
        }
    }
    Ok(merged)
}

/// A key's value, or `absent`.
fn shown(value: Option<&i64>) -> String {
    value.map_or_else(|| "absent".to_string(), i64::to_string)
}
