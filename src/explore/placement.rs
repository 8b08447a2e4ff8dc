//! Placements: where and how the one fault of an `explore` run strikes.

use super::ExploreOptions;
use crate::engine::cluster::{worker_name, SERVICES};
use crate::engine::graph::ExecutionGraph;
use crate::run::faults::kind::{FaultKind, PlaceCx};
use crate::run::faults::KINDS;
use crate::scenario::{Fault, Phase, Scenario, When};
use serde::Serialize;

/// Every kind `explore --kinds` takes, with what it places, from the
/// registered fault kinds.
pub fn kinds() -> Vec<(&'static str, &'static str)> {
    KINDS.iter().flat_map(|k| k.explore_kinds().iter().copied()).collect()
}

/// The registered fault kind that places explore kind `name`.
fn placer(name: &str) -> Option<&'static dyn FaultKind> {
    KINDS.iter().copied().find(|k| k.explore_kinds().iter().any(|(n, _)| *n == name))
}

/// Checks an explore kind name (`--kinds`), with "did you mean".
pub fn parse_kind(name: &str) -> Result<String, String> {
    let names: Vec<&str> = kinds().into_iter().map(|(n, _)| n).collect();
    if names.contains(&name) {
        return Ok(name.to_string());
    }
    let hint = crate::scenario::suggest::hint(name, names.iter().copied());
    Err(format!("unknown kind `{name}` (known: {}){hint}", names.join(", ")))
}

/// One placement: a moment, a kind, a target, and the fault that says so.
#[derive(Debug, Clone, Serialize)]
pub struct Placement {
    pub checkpoint: u64,
    pub phase: String,
    pub task: Option<String>,
    /// The explore kind (`crash`, `slow`, …).
    pub kind: String,
    /// The node, `worker-of(task)`, or what is rescaled or rotted.
    pub target: String,
    #[serde(skip)]
    pub fault: Fault,
}

impl Placement {
    /// `checkpoint 2 · aligning at count[1] · crash worker-of(count[1])`.
    pub fn label(&self) -> String {
        let at = self.task.as_deref().map(|t| format!(" at {t}")).unwrap_or_default();
        format!("checkpoint {} · {}{at} · {} {}", self.checkpoint, self.phase, self.kind, self.target)
    }
}

/// Every placement, in a fixed order: checkpoint, phase, task, kind, target.
/// Only faults the file's own checks accept (`run FILE --fault` would refuse
/// the rest: a rescale of an operator a broadcast edge feeds, say), so every
/// replay explore prints runs.
pub fn enumerate(s: &Scenario, o: &ExploreOptions) -> Vec<Placement> {
    let graph = crate::engine::job::graph(s, o.testbed.registry());
    let mut alone = s.clone();
    alone.swarm = None;
    let mut accepted = |fault: &Fault| {
        alone.faults = vec![fault.clone()];
        crate::scenario::validate::validate(&alone, &o.testbed).is_ok()
    };
    let mut out = vec![];
    for checkpoint in 1..=o.checkpoints {
        for phase in Phase::ALL.into_iter().filter(|p| *p != Phase::Restoring) {
            for task in moments(&graph, phase) {
                for kind in &o.kinds {
                    for (target, fault) in faults(s, kind, task.as_deref(), o) {
                        let when = When { checkpoint: Some(checkpoint), phase, task: task.clone() };
                        let fault = Fault { when: Some(when), ..fault };
                        if !accepted(&fault) {
                            continue;
                        }
                        let (phase, task, kind) = (phase.name(), task.clone(), kind.clone());
                        out.push(Placement { checkpoint, phase, task, kind, target, fault });
                    }
                }
            }
        }
    }
    out
}

/// The tasks a phase can be pinned to (`None`: the phase is not at a task).
fn moments(graph: &ExecutionGraph, phase: Phase) -> Vec<Option<String>> {
    if !phase.at_a_task() {
        return vec![None];
    }
    let kind_of = |t: &crate::engine::graph::TaskSpec| &graph.ops[t.id.op as usize].kind;
    graph.tasks.values().filter(|t| phase.happens_at(kind_of(t))).map(|t| Some(t.name.clone())).collect()
}

/// The nodes of the cluster: workers, then the services.
fn nodes(s: &Scenario) -> Vec<String> {
    let workers = (1..=s.cluster.workers).map(worker_name);
    workers.chain(SERVICES.iter().map(|n| n.to_string())).collect()
}

/// The faults of explore kind `kind` for a moment at `task` (or at no
/// task), each with its target: at a task, its worker and the services;
/// else every node.
fn faults(s: &Scenario, kind: &str, task: Option<&str>, o: &ExploreOptions) -> Vec<(String, Fault)> {
    let Some(placer) = placer(kind) else { return vec![] };
    let nodes = nodes(s);
    let targets: Vec<String> = match task {
        Some(t) => std::iter::once(format!("worker-of({t})")).chain(SERVICES.iter().map(|n| n.to_string())).collect(),
        None => nodes.clone(),
    };
    let cx = PlaceCx { s, task, targets: &targets, nodes: &nodes, windows: o.windows, messages: o.messages.as_deref() };
    placer.placements(kind, &cx)
}

/// A fault as one inline TOML table, for a `--fault '…'` argument.
pub fn inline(fault: &Fault) -> String {
    toml::Value::try_from(fault).map(|v| inline_value(&v)).unwrap_or_default()
}

fn inline_value(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) => {
            let fields: Vec<String> = t.iter().map(|(k, v)| format!("{k} = {}", inline_value(v))).collect();
            format!("{{ {} }}", fields.join(", "))
        }
        toml::Value::Array(a) => format!("[{}]", a.iter().map(inline_value).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}
