//! `exactly_once_state`: the keyed state in the final checkpoint is the
//! reference model's (exactly-once runs only: under at-least-once, records
//! past a barrier may enter the state and be replayed, L9). It also
//! observes, for coverage, whether a keyed operator restored its state —
//! the trace does not say which tasks are keyed; the job graph does.

use super::{Case, Judgement, Property};
use crate::engine::graph::ExecutionGraph;
use crate::engine::state::TaskState;
use crate::oracle::evidence::{Evidence, Unreadable};
use crate::oracle::record::RunEnd;
use crate::oracle::reference::Reference;
use crate::oracle::violation::{examples, Violation};
use crate::trace::Event;
use std::collections::{BTreeMap, BTreeSet};

/// The `exactly_once_state` property.
pub struct ExactlyOnceState;

impl Property for ExactlyOnceState {
    fn names(&self) -> &'static [&'static str] {
        &["exactly_once_state"]
    }

    fn check(&self, j: &Case, out: &mut Judgement) {
        if j.exactly_once {
            out.violations.extend(exactly_once_state(j.graph, j.reference, j.ev));
        }
        if keyed_state_restored(j.graph, j.ev) {
            out.observed.push(KEYED_STATE_RESTORED);
        }
    }
}

/// The coverage path of a keyed operator's subtask restoring its values
/// per key from a checkpoint.
pub const KEYED_STATE_RESTORED: &str = "keyed_state_restored";

/// Whether a subtask of a keyed operator restored from a checkpoint.
fn keyed_state_restored(graph: &ExecutionGraph, ev: &Evidence) -> bool {
    let keyed = |task: &str| {
        let op = task.split_once('[').map_or(task, |(op, _)| op);
        graph.ops.iter().any(|o| o.id == op && o.kind.is_keyed())
    };
    ev.record
        .events
        .iter()
        .any(|e| matches!(&e.event, Event::TaskRestored { task, checkpoint, .. } if *checkpoint > 0 && keyed(task)))
}

/// `exactly_once_state`: the state in the final checkpoint = reference state.
fn exactly_once_state(graph: &ExecutionGraph, reference: &Reference, ev: &Evidence) -> Vec<Violation> {
    let Some(n) = ev.finished_with.filter(|_| ev.record.end == RunEnd::Finished) else { return vec![] };
    let meta = match ev.metadata(n) {
        Ok(meta) => meta,
        Err(Unreadable::Rotted(_)) => return vec![],
        Err(e) => {
            return vec![ev.at_checkpoint(n, Violation::new("exactly_once_state", format!("final checkpoint {n}: {e}")))]
        }
    };
    let mut out = vec![];
    for (op, expected) in &reference.keyed_state {
        let mut actual: BTreeMap<u64, i64> = BTreeMap::new();
        for task in meta.states.keys().copied().filter(|t| t.op == *op) {
            match ev.state(&meta, task) {
                Ok(TaskState::Keyed { values }) => actual.extend(values),
                Ok(other) => out.push(
                    Violation::new(
                        "exactly_once_state",
                        format!("{} in checkpoint {n} holds {other:?}", graph.name(task)),
                    )
                    .task(&graph.name(task)),
                ),
                Err(Unreadable::Rotted(_)) => return vec![],
                Err(e) => out.push(
                    Violation::new("exactly_once_state", format!("{} in final checkpoint {n}: {e}", graph.name(task)))
                        .task(&graph.name(task)),
                ),
            }
        }
        let keys: BTreeSet<u64> = expected.keys().chain(actual.keys()).copied().collect();
        let wrong: Vec<String> = keys
            .into_iter()
            .filter(|k| expected.get(k) != actual.get(k))
            .map(|k| format!("key {k}: expected {}, actual {}", show(expected.get(&k)), show(actual.get(&k))))
            .collect();
        if !wrong.is_empty() {
            let name = &graph.ops[*op as usize].id;
            out.push(Violation::new(
                "exactly_once_state",
                format!(
                    "{name}: {} in final checkpoint {n}: {}",
                    if wrong.len() == 1 { "1 key differs".to_string() } else { format!("{} keys differ", wrong.len()) },
                    examples(wrong)
                ),
            ));
        }
    }
    out.into_iter().map(|v| ev.at_checkpoint(n, v)).collect()
}

fn show(v: Option<&i64>) -> String {
    v.map_or("absent".into(), |v| v.to_string())
}
