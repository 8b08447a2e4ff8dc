//! Rules of `[[faults]]`: the fields each action takes, and node names.

use super::super::{Fault, FaultAction, Scenario};
use super::validate_job::known_ids;
use super::{at_most_max_latency, ordered, probability, require, Check};

/// How `between` is written, for messages.
const EXAMPLE_GROUPS: &str = "e.g. between = [[\"coordinator\"], [\"worker-2\"]]";

/// Nodes that always exist, besides the workers.
const SERVICES: [&str; 4] = ["coordinator", "log", "storage", "sink"];

/// Every fault, in file order.
pub(super) fn faults(s: &Scenario) -> Check {
    for (i, fault) in s.faults.iter().enumerate() {
        placement(s, i, fault)?;
        match fault.action {
            FaultAction::Crash => crash(s, i, fault)?,
            FaultAction::Partition => partition(s, i, fault)?,
            FaultAction::Network => network(i, fault)?,
        }
    }
    Ok(())
}

/// Exactly one of `at` and `when`; a `when` names a phase, and a task only
/// for phases that happen at a task.
fn placement(s: &Scenario, i: usize, f: &Fault) -> Check {
    let Some(when) = &f.when else {
        let message = "is missing; place the fault at a time (at = \"1.5s\") or at a protocol phase \
                       (when = { checkpoint = 3, phase = \"aligning\", task = \"count[1]\" })";
        return require(f.at.is_some(), field(i, "at"), message);
    };
    require(f.at.is_none(), field(i, "at"), "and `when` are both set; a fault is placed by one of them")?;
    require(when.checkpoint != Some(0), field(i, "when.checkpoint"), "is 0; checkpoint ids start at 1")?;
    let Some(task) = &when.task else { return Ok(()) };
    if !when.phase.at_a_task() {
        let message = format!("is set, but phase `{}` does not happen at a task; remove it", when.phase.event_kind());
        return Err((field(i, "when.task"), message));
    }
    check_task(s, task).map_err(|m| (field(i, "when.task"), m))
}

/// `task` is `OP[I]`: OP an operator id, I one of its subtasks.
fn check_task(s: &Scenario, task: &str) -> Result<(), String> {
    let example = s.job.operators.last().map_or("count", |op| op.id.as_str());
    find_task(s, task).map_err(|problem| match problem {
        TaskProblem::Malformed => format!("is `{task}`; write OP[I], e.g. task = \"{example}[0]\""),
        TaskProblem::NoOperator(id, known) => {
            format!("is `{task}`, but there is no operator `{id}`; known ids: {known}")
        }
        TaskProblem::OutOfRange(id, p) => {
            format!("is `{task}`, but `{id}` has parallelism {p}: its tasks are {id}[0]..{id}[{}]", p - 1)
        }
    })
}

/// Why `OP[I]` names no task of the job.
enum TaskProblem {
    Malformed,
    /// The id, and the ids there are.
    NoOperator(String, String),
    /// The id and its parallelism.
    OutOfRange(String, usize),
}

/// Checks that `task` (`OP[I]`) is a task of the job.
fn find_task(s: &Scenario, task: &str) -> Result<(), TaskProblem> {
    let ops = &s.job.operators;
    let (id, index) = task.strip_suffix(']').and_then(|t| t.split_once('[')).ok_or(TaskProblem::Malformed)?;
    let index: usize = index.parse().map_err(|_| TaskProblem::Malformed)?;
    let Some(op) = ops.iter().find(|op| op.id == id) else {
        return Err(TaskProblem::NoOperator(id.to_string(), known_ids(ops)));
    };
    let p = s.parallelism_of(op);
    if index >= p {
        return Err(TaskProblem::OutOfRange(id.to_string(), p));
    }
    Ok(())
}

/// `faults[i].name`.
fn field(i: usize, name: &str) -> String {
    format!("faults[{i}].{name}")
}

/// The optional fields, each with whether `f` sets it.
fn optional_fields(f: &Fault) -> [(&'static str, bool); 7] {
    [
        ("node", f.node.is_some()),
        ("restart_after", f.restart_after.is_some()),
        ("between", f.between.is_some()),
        ("heal_after", f.heal_after.is_some()),
        ("latency_min", f.latency_min.is_some()),
        ("latency_max", f.latency_max.is_some()),
        ("loss", f.loss.is_some()),
    ]
}

/// Fails on the first optional field `f` sets that an `action` fault does
/// not take (it takes `at`, `action` and `takes`).
fn only_takes(i: usize, f: &Fault, action: &str, takes: &[&str]) -> Check {
    let Some((name, _)) = optional_fields(f).into_iter().find(|(name, set)| *set && !takes.contains(name)) else {
        return Ok(());
    };
    let takes: Vec<String> = takes.iter().map(|name| format!("`{name}`")).collect();
    let message = format!("is not used by a {action} fault (it takes {}); remove it", takes.join(", "));
    Err((field(i, name), message))
}

/// `action = "crash"`: a valid `node`, nothing of partitions or networks.
fn crash(s: &Scenario, i: usize, f: &Fault) -> Check {
    only_takes(i, f, "crash", &["node", "restart_after"])?;
    let Some(node) = &f.node else {
        let message = "is missing; a crash fault names the node to kill, e.g. node = \"worker-1\" \
                       or node = \"worker-of(count[0])\"";
        return Err((field(i, "node"), message.into()));
    };
    check_node(s, node, true).map_err(|message| (field(i, "node"), message))
}

/// `action = "partition"`: two non-empty, disjoint groups of valid nodes.
fn partition(s: &Scenario, i: usize, f: &Fault) -> Check {
    only_takes(i, f, "partition", &["between", "heal_after"])?;
    let Some([a, b]) = &f.between else {
        let message = format!("is missing; a partition fault names the two groups it cuts apart, {EXAMPLE_GROUPS}");
        return Err((field(i, "between"), message));
    };
    for (g, group) in [a, b].into_iter().enumerate() {
        let message = format!("has an empty group {}; both groups need at least one node, {EXAMPLE_GROUPS}", g + 1);
        require(!group.is_empty(), field(i, "between"), message)?;
        for name in group {
            check_node(s, name, false).map_err(|message| (field(i, "between"), message))?;
        }
    }
    match a.iter().find(|name| b.contains(name)) {
        Some(both) => Err((field(i, "between"), format!("has `{both}` in both groups; the groups must be disjoint"))),
        None => Ok(()),
    }
}

/// `action = "network"`: at least one setting, each in range.
fn network(i: usize, f: &Fault) -> Check {
    only_takes(i, f, "network", &["latency_min", "latency_max", "loss", "heal_after"])?;
    require(
        f.latency_min.is_some() || f.latency_max.is_some() || f.loss.is_some(),
        format!("faults[{i}]"),
        "is a network fault that changes nothing; set at least one of latency_min, latency_max or loss, \
         e.g. latency_max = \"50ms\"",
    )?;
    network_ranges(i, f)
}

/// A network fault's latencies are ordered and bounded, its loss below 1.
fn network_ranges(i: usize, f: &Fault) -> Check {
    if let (Some(min), Some(max)) = (f.latency_min, f.latency_max) {
        ordered(min, max, &format!("faults[{i}]"), "latency_min", "latency_max")?;
    }
    for (name, latency) in [("latency_min", f.latency_min), ("latency_max", f.latency_max)] {
        latency.map_or(Ok(()), |latency| at_most_max_latency(latency, &field(i, name)))?;
    }
    f.loss.map_or(Ok(()), |loss| probability(loss, false, &field(i, "loss"), ""))
}

/// `worker-1..worker-N`, or just `worker-1`.
fn workers(s: &Scenario) -> String {
    match s.cluster.workers {
        1 => "worker-1".into(),
        n => format!("worker-1..worker-{n}"),
    }
}

/// `Err(message)` unless `name` is a node of this scenario; `worker-of(OP[I])`
/// only where `worker_of` (crashes).
fn check_node(s: &Scenario, name: &str, worker_of: bool) -> Result<(), String> {
    if SERVICES.contains(&name) {
        return Ok(());
    }
    match (name.strip_prefix("worker-of("), worker_of) {
        (Some(task), true) => check_worker_of(s, name, task),
        (Some(_), false) => {
            Err(format!("names `{name}`, which only a crash's node may use; name a worker ({})", workers(s)))
        }
        (None, _) => check_worker(s, name, worker_of),
    }
}

/// `name` is `worker-K` with `1 <= K <= workers`, K written without padding.
fn check_worker(s: &Scenario, name: &str, worker_of: bool) -> Result<(), String> {
    let number = name.strip_prefix("worker-").and_then(|k| k.parse::<usize>().ok().filter(|n| n.to_string() == k));
    match number {
        Some(k) if (1..=s.cluster.workers).contains(&k) => Ok(()),
        Some(_) => Err(format!("names `{name}`, but the cluster has {} workers: {}", s.cluster.workers, workers(s))),
        None => {
            let extra = if worker_of { ", or worker-of(OP[I]) for the worker running task OP[I]" } else { "" };
            let nodes = format!("{}, {}{extra}", SERVICES.join(", "), workers(s));
            Err(format!("names `{name}`, which is no node; nodes are {nodes}"))
        }
    }
}

/// `task` is the `OP[I])` of `worker-of(OP[I])`: OP is an operator, I one of
/// its subtasks.
fn check_worker_of(s: &Scenario, name: &str, task: &str) -> Result<(), String> {
    let example = s.job.operators.last().map_or("count", |op| op.id.as_str());
    let malformed = || format!("names `{name}`; write worker-of(OP[I]), e.g. worker-of({example}[0])");
    let task = task.strip_suffix(')').ok_or_else(malformed)?;
    find_task(s, task).map_err(|problem| match problem {
        TaskProblem::Malformed => malformed(),
        TaskProblem::NoOperator(id, known) => {
            format!("names `{name}`, but there is no operator `{id}`; known ids: {known}")
        }
        TaskProblem::OutOfRange(id, p) => {
            format!("names `{name}`, but `{id}` has parallelism {p}, so its tasks are {id}[0]..{id}[{}]", p - 1)
        }
    })
}
