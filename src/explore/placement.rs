//! Placements: where and how the one fault of an `explore` run strikes.

use super::ExploreOptions;
use crate::engine::graph::ExecutionGraph;
use crate::scenario::{Fault, FaultAction, Phase, Scenario, When};
use serde::Serialize;
use std::time::Duration;

/// The fault kinds `explore` can place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Kind {
    /// Crash a node, restart it `restart_after` later.
    Crash,
    /// Pause a node, resume it `resume_after` later (zombies).
    Pause,
    /// Cut a node from every other until `heal_after`.
    Isolate,
    /// Every write and fsync of a node's disk fails until `heal_after`.
    Disk,
    /// Rot one copy, then every copy, of the latest checkpoint in storage.
    BitRot,
    /// Rescale each operator one up and one down.
    Rescale,
    /// Everything a node sends is delayed 20–200 ms (in order) until `heal_after`.
    Slow,
    /// A third of what a node sends is lost until `heal_after`.
    Lossy,
    /// Everything a node sends is lost until `heal_after` (one way).
    Drop,
    /// 60% of every message on the network is lost until `heal_after`.
    NetworkLoss,
}

impl Kind {
    /// The name `--kinds` takes.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Crash => "crash",
            Kind::Pause => "pause",
            Kind::Isolate => "isolate",
            Kind::Disk => "disk",
            Kind::BitRot => "bit_rot",
            Kind::Rescale => "rescale",
            Kind::Slow => "slow",
            Kind::Lossy => "lossy",
            Kind::Drop => "drop",
            Kind::NetworkLoss => "network_loss",
        }
    }
}

/// How long the windowed kinds last.
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    pub restart_after: Duration,
    pub resume_after: Duration,
    pub heal_after: Duration,
}

/// One placement: a moment, a kind, a target, and the fault that says so.
#[derive(Debug, Clone, Serialize)]
pub struct Placement {
    pub checkpoint: u64,
    pub phase: &'static str,
    pub task: Option<String>,
    pub kind: Kind,
    /// The node, `worker-of(task)`, or what is rescaled or rotted.
    pub target: String,
    #[serde(skip)]
    pub fault: Fault,
}

impl Placement {
    /// `checkpoint 2 · aligning at count[1] · crash worker-of(count[1])`.
    pub fn label(&self) -> String {
        let at = self.task.as_deref().map(|t| format!(" at {t}")).unwrap_or_default();
        format!("checkpoint {} · {}{at} · {} {}", self.checkpoint, self.phase, self.kind.name(), self.target)
    }
}

/// Every placement, in a fixed order: checkpoint, phase, task, kind, target.
pub fn enumerate(s: &Scenario, o: &ExploreOptions) -> Vec<Placement> {
    let graph = ExecutionGraph::build(s);
    let mut out = vec![];
    for checkpoint in 1..=o.checkpoints {
        for phase in Phase::ALL.into_iter().filter(|p| *p != Phase::Restoring) {
            for task in moments(&graph, phase) {
                for kind in &o.kinds {
                    for (target, fault) in faults(s, *kind, task.as_deref(), o) {
                        let when = When { checkpoint: Some(checkpoint), phase, task: task.clone() };
                        let fault = Fault { when: Some(when), ..fault };
                        out.push(Placement {
                            checkpoint,
                            phase: phase.name(),
                            task: task.clone(),
                            kind: *kind,
                            target,
                            fault,
                        });
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
    let kind_of = |t: &crate::engine::graph::TaskSpec| graph.ops[t.id.op as usize].kind;
    graph.tasks.values().filter(|t| phase.happens_at(kind_of(t))).map(|t| Some(t.name.clone())).collect()
}

/// The nodes of the cluster: workers, then the services.
fn nodes(s: &Scenario) -> Vec<String> {
    let workers = (1..=s.cluster.workers).map(|i| format!("worker-{i}"));
    workers.chain(SERVICES.iter().map(|n| n.to_string())).collect()
}

const SERVICES: [&str; 4] = ["coordinator", "storage", "log", "sink"];

/// The faults of `kind` for a moment at `task` (or at no task), each with
/// its target: at a task, its worker and the services; else every node.
fn faults(s: &Scenario, kind: Kind, task: Option<&str>, o: &ExploreOptions) -> Vec<(String, Fault)> {
    let targets = match task {
        Some(t) => std::iter::once(format!("worker-of({t})")).chain(SERVICES.iter().map(|n| n.to_string())).collect(),
        None => nodes(s),
    };
    let w = o.windows;
    let on = |action, f: &dyn Fn(Fault) -> Fault| -> Vec<(String, Fault)> {
        targets.iter().map(|n| (n.clone(), f(Fault { node: Some(n.clone()), ..Fault::new(action) }))).collect()
    };
    match kind {
        Kind::Crash => on(FaultAction::Crash, &|f| Fault { restart_after: Some(w.restart_after), ..f }),
        Kind::Pause => on(FaultAction::Pause, &|f| Fault { resume_after: Some(w.resume_after), ..f }),
        Kind::Isolate => on(FaultAction::Isolate, &|f| Fault { heal_after: Some(w.heal_after), ..f }),
        Kind::Disk => on(FaultAction::Disk, &|f| Fault {
            write_error: Some(1.0),
            fsync_error: Some(1.0),
            heal_after: Some(w.heal_after),
            ..f
        }),
        Kind::BitRot if task.is_none() => bit_rot(s),
        Kind::BitRot => vec![],
        Kind::Rescale if task.is_none() => rescales(s),
        Kind::Rescale => vec![],
        Kind::Slow => links(s, w.heal_after, |f| Fault {
            latency_min: Some(Duration::from_millis(20)),
            latency_max: Some(Duration::from_millis(200)),
            ..f
        }),
        Kind::Lossy => links(s, w.heal_after, |f| Fault { loss: Some(0.3), ..f }),
        Kind::Drop => links(s, w.heal_after, |f| Fault { loss: Some(1.0), ..f }),
        Kind::NetworkLoss if task.is_none() => {
            let f = Fault { loss: Some(0.6), heal_after: Some(w.heal_after), ..Fault::new(FaultAction::Network) };
            vec![("network".into(), f)]
        }
        Kind::NetworkLoss => vec![],
    }
    .into_iter()
    .map(|(target, f)| (target, narrowed(f, o)))
    .collect()
}

/// The link and isolate faults narrowed to `--messages`, when given.
fn narrowed(f: Fault, o: &ExploreOptions) -> Fault {
    match f.action {
        FaultAction::Link | FaultAction::Isolate => Fault { messages: o.messages.clone(), ..f },
        _ => f,
    }
}

/// A link fault from each node to every other, shaped by `shape`.
fn links(s: &Scenario, heal_after: Duration, shape: impl Fn(Fault) -> Fault) -> Vec<(String, Fault)> {
    let all = nodes(s);
    all.iter()
        .map(|n| {
            let to: Vec<String> = all.iter().filter(|m| *m != n).cloned().collect();
            let f = Fault {
                from: Some(vec![n.clone()]),
                to: Some(to),
                heal_after: Some(heal_after),
                ..Fault::new(FaultAction::Link)
            };
            (format!("{n} → every node"), shape(f))
        })
        .collect()
}

/// One copy, then every copy, of the latest checkpoint.
fn bit_rot(s: &Scenario) -> Vec<(String, Fault)> {
    let replicas = s.storage.replicas;
    let mut copies = vec![1];
    if replicas > 1 {
        copies.push(replicas);
    }
    copies
        .into_iter()
        .map(|n| {
            let f = Fault { node: Some("storage".into()), copies: Some(n), ..Fault::new(FaultAction::BitRot) };
            (format!("storage ({n} of {replicas} copies)"), f)
        })
        .collect()
}

/// Each declared operator one up, and one down where it can go down.
fn rescales(s: &Scenario) -> Vec<(String, Fault)> {
    let mut out = vec![];
    for op in &s.job.operators {
        let p = s.parallelism_of(op);
        for to in [p + 1, p - 1].into_iter().filter(|to| *to >= 1 && *to != p) {
            let f = Fault { operator: Some(op.id.clone()), parallelism: Some(to), ..Fault::new(FaultAction::Rescale) };
            out.push((format!("{} to {to}", op.id), f));
        }
    }
    out
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
