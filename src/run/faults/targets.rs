//! The nodes a fault may name, checked against the cluster (`engine::cluster`)
//! and the job: `coordinator`, `log`, `storage`, `sink`, `worker-K`, and for
//! the kinds that strike one node, `worker-of(OP[I])`.

use crate::engine::cluster::{worker_name, SERVICES};
use crate::engine::registry::Registry;
use crate::scenario::suggest::hint;
use crate::scenario::validate::validate_faults::{find_task, TaskProblem};
use crate::scenario::validate::Check;
use crate::scenario::words::count;
use crate::scenario::{OperatorKind, Scenario};

/// A required `node` (at `field`), naming a node of the cluster
/// (`worker-of` where `worker_of`).
pub fn node(
    s: &Scenario,
    hidden: &[String],
    field: String,
    action: &str,
    node: Option<&str>,
    worker_of: bool,
) -> Check {
    let Some(node) = node else {
        let message = format!(
            "is missing; a {action} fault names its node, e.g. node = \"worker-1\" or node = \"worker-of(count[0])\""
        );
        return Err((field, message));
    };
    check_node(s, hidden, node, worker_of).map_err(|message| (field, message))
}

/// The tasks of `s`'s job that its file declares no operator for: each
/// committer sink's committer, `ID-committer[0]`.
pub fn hidden_tasks(s: &Scenario, registry: &Registry) -> Vec<String> {
    let committer = |o: &&crate::scenario::Operator| {
        o.kind == OperatorKind::Sink && registry.sink(o.sink_name()).is_some_and(|k| k.kind.has_committer())
    };
    s.job.operators.iter().filter(committer).map(|o| format!("{}-committer[0]", o.id)).collect()
}

/// `worker-1..worker-N`, or just `worker-1`.
fn workers(s: &Scenario) -> String {
    match s.cluster.workers {
        1 => "worker-1".into(),
        n => format!("worker-1..{}", worker_name(n)),
    }
}

/// `Err(message)` unless `name` is a node of this scenario; `worker-of(OP[I])`
/// only where `worker_of` (the kinds that strike one node).
pub fn check_node(s: &Scenario, hidden: &[String], name: &str, worker_of: bool) -> Result<(), String> {
    if SERVICES.contains(&name) {
        return Ok(());
    }
    match (name.strip_prefix("worker-of("), worker_of) {
        (Some(task), true) => check_worker_of(s, hidden, name, task),
        (Some(_), false) => Err(format!(
            "names `{name}`, which only the node of a crash, pause, isolate or disk fault (a kind that \
             strikes one node) may use; name a worker ({})",
            workers(s)
        )),
        (None, _) => check_worker(s, name, worker_of),
    }
}

/// `name` is `worker-K` with `1 <= K <= workers`, K written without padding.
fn check_worker(s: &Scenario, name: &str, worker_of: bool) -> Result<(), String> {
    let number = name.strip_prefix("worker-").and_then(|k| k.parse::<usize>().ok().filter(|n| n.to_string() == k));
    match number {
        Some(k) if (1..=s.cluster.workers).contains(&k) => Ok(()),
        Some(_) => Err(format!(
            "names `{name}`, but the cluster has {}: {}",
            count(s.cluster.workers as u64, "worker", "workers"),
            workers(s)
        )),
        None => {
            let extra = if worker_of { ", or worker-of(OP[I]) for the worker running task OP[I]" } else { "" };
            let nodes = format!("{}, {}{extra}", SERVICES.join(", "), workers(s));
            let names: Vec<String> = (1..=s.cluster.workers).map(worker_name).collect();
            let hint = hint(name, SERVICES.into_iter().chain(names.iter().map(String::as_str)));
            Err(format!("names `{name}`, which is no node; nodes are {nodes}{hint}"))
        }
    }
}

/// `task` is the `OP[I])` of `worker-of(OP[I])`: OP is an operator, I one of
/// its subtasks.
fn check_worker_of(s: &Scenario, hidden: &[String], name: &str, task: &str) -> Result<(), String> {
    let example = s.job.operators.last().map_or("count", |op| op.id.as_str());
    let malformed = || format!("names `{name}`; write worker-of(OP[I]), e.g. worker-of({example}[0])");
    let task = task.strip_suffix(')').ok_or_else(malformed)?;
    find_task(s, hidden, task).map_err(|problem| match problem {
        TaskProblem::Malformed => malformed(),
        TaskProblem::NoOperator(id, known) => {
            format!("names `{name}`, but there is no operator `{id}`; known ids: {known}")
        }
        TaskProblem::OutOfRange(id, p) => {
            format!("names `{name}`, but `{id}` has parallelism {p}, so its tasks are {id}[0]..{id}[{}]", p - 1)
        }
    })
}

/// Every node of the scenario's cluster: the services, then the workers.
pub fn nodes(s: &Scenario) -> Vec<String> {
    crate::engine::cluster::node_names(s.cluster.workers)
}
