//! `aligned_channels`: no completed checkpoint holds in-flight records of a
//! pointwise (forward, equal parallelism) or broadcast channel. Flink takes
//! unaligned checkpoints per channel: those channels are checkpointed
//! aligned (forced-aligned barriers), because their channel state could not
//! be redistributed on rescale — a rescaled forward edge no longer pairs
//! subtask i with subtask i, and a broadcast record belongs to every
//! subtask. Judged from the durable snapshots against the edges as the file
//! declares them, at the parallelism each checkpoint was taken with (the
//! number of subtask snapshots per operator in its metadata).

use super::{Case, Judgement, Property};
use crate::oracle::violation::Violation;
use crate::scenario::Partitioning;
use std::collections::BTreeMap;

/// The `aligned_channels` property (protocols that keep channel state).
pub struct AlignedChannels;

const PROPERTY: &str = "aligned_channels";

impl Property for AlignedChannels {
    fn names(&self) -> &'static [&'static str] {
        &[PROPERTY]
    }

    fn check(&self, j: &Case, out: &mut Judgement) {
        if j.graph.protocol.kind.channel_state() {
            out.violations.extend(aligned_channels(j));
        }
    }
}

fn aligned_channels(j: &Case) -> Vec<Violation> {
    let (graph, ev) = (j.graph, j.ev);
    let mut out = vec![];
    for &n in ev.completed.keys() {
        let Ok(meta) = ev.metadata(n) else { continue }; // unreadable: other properties say so
        let mut parallelism: BTreeMap<u16, usize> = BTreeMap::new();
        meta.states.keys().for_each(|t| *parallelism.entry(t.op).or_default() += 1);
        let mut found = vec![];
        for &task in meta.states.keys() {
            let Ok(snapshot) = ev.snapshot(&meta, task) else { continue };
            let inputs = snapshot
                .channels
                .inputs
                .iter()
                .map(|(port, r)| (graph.ops[task.op as usize].inputs[*port as usize], task.op, r));
            let outputs = snapshot.channels.outputs.iter().map(|(to, r)| (task.op, *to, r));
            for (from, to, records) in inputs.chain(outputs) {
                if let (false, Some(kind)) = (records.is_empty(), aligned_only(j, from, to, &parallelism)) {
                    let (from, to) = (&graph.ops[from as usize].id, &graph.ops[to as usize].id);
                    let n = records.len();
                    found.push(format!(
                        "{} holds {n} in-flight records of its {kind} channel {from} → {to}",
                        graph.name(task)
                    ));
                }
            }
        }
        if let Some(first) = found.first() {
            let more = if found.len() > 1 { format!(" (+{} more)", found.len() - 1) } else { String::new() };
            let message = format!(
                "checkpoint {n}: {first}{more}; Flink checkpoints pointwise and broadcast channels aligned, since \
                 their in-flight records could not be redistributed on rescale"
            );
            out.push(ev.at_checkpoint(n, Violation::new(PROPERTY, message)));
        }
    }
    out
}

/// Whether the edge `from → to` must be checkpointed aligned, and what it
/// is: broadcast, or forward between equal parallelisms (pointwise).
fn aligned_only(j: &Case, from: u16, to: u16, parallelism: &BTreeMap<u16, usize>) -> Option<&'static str> {
    let id = &j.graph.ops[to as usize].id;
    let op = j.scenario.job.operators.iter().find(|o| &o.id == id)?; // a committer reads by rebalance
    let default = if op.is_keyed() { Partitioning::Hash } else { Partitioning::Forward };
    match op.partition.unwrap_or(default) {
        Partitioning::Broadcast => Some("broadcast"),
        Partitioning::Forward if parallelism.get(&from) == parallelism.get(&to) => Some("pointwise"),
        _ => None,
    }
}
