//! Rules of `[[faults]]`: the fields each action takes, and node names.

use super::super::suggest::hint;
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
        only_takes(i, fault)?;
        match fault.action {
            FaultAction::Crash | FaultAction::Pause | FaultAction::Isolate => node(s, i, fault, true)?,
            FaultAction::Partition => partition(s, i, fault)?,
            FaultAction::Link => link(s, i, fault)?,
            FaultAction::Network => network(i, fault)?,
            FaultAction::Disk => disk(s, i, fault)?,
            FaultAction::BitRot => bit_rot(s, i, fault)?,
            FaultAction::Rescale => rescale(s, i, fault)?,
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
        let message = format!("is set, but phase `{}` does not happen at a task; remove it", when.phase.name());
        return Err((field(i, "when.task"), message));
    }
    check_task(s, task).map_err(|m| (field(i, "when.task"), m))?;
    let op = task.split_once('[').and_then(|(id, _)| s.job.operators.iter().find(|o| o.id == id));
    match op {
        Some(op) if !when.phase.happens_at(op.kind) => Err((
            field(i, "when.task"),
            format!(
                "is `{task}`, but phase `{}` never happens at a {} task; {}",
                when.phase.name(),
                super::validate_job::kind_name(op.kind),
                if when.phase == crate::scenario::Phase::PreCommitted {
                    "only sinks pre-commit"
                } else {
                    "a source has no input to align"
                }
            ),
        )),
        _ => Ok(()),
    }
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
        return Err(TaskProblem::NoOperator(id.to_string(), known_ids(ops, id)));
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
fn optional_fields(f: &Fault) -> [(&'static str, bool); 21] {
    [
        ("node", f.node.is_some()),
        ("restart_after", f.restart_after.is_some()),
        ("resume_after", f.resume_after.is_some()),
        ("between", f.between.is_some()),
        ("one_way", f.one_way.is_some()),
        ("from", f.from.is_some()),
        ("to", f.to.is_some()),
        ("messages", f.messages.is_some()),
        ("latency_min", f.latency_min.is_some()),
        ("latency_max", f.latency_max.is_some()),
        ("loss", f.loss.is_some()),
        ("write_error", f.write_error.is_some()),
        ("fsync_error", f.fsync_error.is_some()),
        ("read_error", f.read_error.is_some()),
        ("fsync_latency_min", f.fsync_latency_min.is_some()),
        ("fsync_latency_max", f.fsync_latency_max.is_some()),
        ("copies", f.copies.is_some()),
        ("blob", f.blob.is_some()),
        ("heal_after", f.heal_after.is_some()),
        ("operator", f.operator.is_some()),
        ("parallelism", f.parallelism.is_some()),
    ]
}

/// The optional fields each action takes (besides `at`/`when` and `action`).
fn takes(action: FaultAction) -> &'static [&'static str] {
    match action {
        FaultAction::Crash => &["node", "restart_after"],
        FaultAction::Pause => &["node", "resume_after"],
        FaultAction::Partition => &["between", "one_way", "messages", "heal_after"],
        FaultAction::Isolate => &["node", "messages", "heal_after"],
        FaultAction::Link => &["from", "to", "latency_min", "latency_max", "loss", "messages", "heal_after"],
        FaultAction::Network => &["latency_min", "latency_max", "loss", "heal_after"],
        FaultAction::Disk => &[
            "node",
            "write_error",
            "fsync_error",
            "read_error",
            "fsync_latency_min",
            "fsync_latency_max",
            "heal_after",
        ],
        FaultAction::BitRot => &["node", "copies", "blob"],
        FaultAction::Rescale => &["operator", "parallelism"],
    }
}

/// Fails on the first optional field `f` sets that its action does not take.
fn only_takes(i: usize, f: &Fault) -> Check {
    let takes = takes(f.action);
    let Some((name, _)) = optional_fields(f).into_iter().find(|(name, set)| *set && !takes.contains(name)) else {
        return Ok(());
    };
    let list: Vec<String> = takes.iter().map(|name| format!("`{name}`")).collect();
    let message = format!("is not used by a {} fault (it takes {}); remove it", f.action.name(), list.join(", "));
    Err((field(i, name), message))
}

/// A required `node`, naming a node of the cluster (`worker-of` where `worker_of`).
fn node(s: &Scenario, i: usize, f: &Fault, worker_of: bool) -> Check {
    let Some(node) = &f.node else {
        let message = format!(
            "is missing; a {} fault names its node, e.g. node = \"worker-1\" or node = \"worker-of(count[0])\"",
            f.action.name()
        );
        return Err((field(i, "node"), message));
    };
    check_node(s, node, worker_of).map_err(|message| (field(i, "node"), message))
}

/// `action = "rescale"`: an operator of the job and a parallelism the
/// cluster's slots, its key groups and (for a source) its partitions allow;
/// not an operator a broadcast edge feeds, nor an upsert sink's writer.
fn rescale(s: &Scenario, i: usize, f: &Fault) -> Check {
    let Some(id) = &f.operator else {
        let example = s.job.operators.get(1).map_or("count", |o| o.id.as_str());
        let message =
            format!("is missing; a rescale fault names the operator to rescale, e.g. operator = \"{example}\"");
        return Err((field(i, "operator"), message));
    };
    let Some(op) = s.job.operators.iter().find(|o| &o.id == id) else {
        let message = format!("is `{id}`, which is not an operator id; known ids: {}", known_ids(&s.job.operators, id));
        return Err((field(i, "operator"), message));
    };
    let Some(p) = f.parallelism else {
        let message = format!(
            "is missing; a rescale fault gives the new parallelism, e.g. parallelism = {}",
            s.parallelism_of(op) + 1
        );
        return Err((field(i, "parallelism"), message));
    };
    require(p >= 1, field(i, "parallelism"), "is 0; an operator needs at least 1 subtask")?;
    require(
        p <= s.job.max_parallelism,
        field(i, "parallelism"),
        format!("is {p}, above max_parallelism {} (the number of key groups)", s.job.max_parallelism),
    )?;
    let slots = s.cluster.workers * s.cluster.slots_per_worker;
    require(
        p <= slots,
        field(i, "parallelism"),
        format!(
            "is {p}, but the cluster has {slots} slots ({} workers × {})",
            s.cluster.workers, s.cluster.slots_per_worker
        ),
    )?;
    if op.kind == crate::scenario::OperatorKind::Source {
        require(
            p <= op.partitions(),
            field(i, "parallelism"),
            format!(
                "is {p}, but source `{id}` has {} partitions, so some subtasks would read nothing",
                op.partitions()
            ),
        )?;
    }
    require(
        op.partition != Some(crate::scenario::Partitioning::Broadcast),
        field(i, "operator"),
        format!(
            "is `{id}`, which a broadcast edge feeds: rescaling it would change how many copies of each record it gets"
        ),
    )?;
    let message = format!("is `{id}`, an upsert sink; its table is keyed by the operator it reads, rescale that one");
    require(op.sink != Some(crate::scenario::SinkKind::Upsert), field(i, "operator"), message)
}

/// `action = "partition"`: two non-empty, disjoint groups of valid nodes.
fn partition(s: &Scenario, i: usize, f: &Fault) -> Check {
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

/// `action = "link"`: `from` and `to` name disjoint nodes; something changes.
fn link(s: &Scenario, i: usize, f: &Fault) -> Check {
    for (name, group) in [("from", &f.from), ("to", &f.to)] {
        let Some(group) = group.as_ref().filter(|g| !g.is_empty()) else {
            let message = "is missing or empty; a link fault names the senders and receivers, \
                           e.g. from = [\"coordinator\"], to = [\"worker-1\"]";
            return Err((field(i, name), message.into()));
        };
        for node in group {
            check_node(s, node, false).map_err(|message| (field(i, name), message))?;
        }
    }
    let (from, to) = (f.from.as_deref().unwrap_or_default(), f.to.as_deref().unwrap_or_default());
    if let Some(both) = from.iter().find(|n| to.contains(n)) {
        return Err((
            field(i, "to"),
            format!("has `{both}`, which is also in `from`; a link runs between distinct nodes"),
        ));
    }
    require(
        f.latency_min.is_some() || f.latency_max.is_some() || f.loss.is_some(),
        format!("faults[{i}]"),
        "is a link fault that changes nothing; set at least one of latency_min, latency_max or loss, \
         e.g. loss = 0.3",
    )?;
    if let (Some(min), Some(max)) = (f.latency_min, f.latency_max) {
        ordered(min, max, &format!("faults[{i}]"), "latency_min", "latency_max")?;
    }
    for (name, latency) in [("latency_min", f.latency_min), ("latency_max", f.latency_max)] {
        latency.map_or(Ok(()), |latency| at_most_max_latency(latency, &field(i, name)))?;
    }
    f.loss.map_or(Ok(()), |loss| probability(loss, true, &field(i, "loss"), ""))
}

/// `action = "network"`: at least one setting, each in range.
fn network(i: usize, f: &Fault) -> Check {
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

/// `action = "disk"`: a node, at least one setting, probabilities in [0, 1].
fn disk(s: &Scenario, i: usize, f: &Fault) -> Check {
    node(s, i, f, true)?;
    let errors = [("write_error", f.write_error), ("fsync_error", f.fsync_error), ("read_error", f.read_error)];
    let slow = f.fsync_latency_min.is_some() || f.fsync_latency_max.is_some();
    require(
        slow || errors.iter().any(|(_, p)| p.is_some()),
        format!("faults[{i}]"),
        "is a disk fault that changes nothing; set at least one of write_error, fsync_error, read_error, \
         fsync_latency_min or fsync_latency_max, e.g. fsync_error = 0.5",
    )?;
    for (name, p) in errors {
        p.map_or(Ok(()), |p| probability(p, true, &field(i, name), ""))?;
    }
    if let (Some(min), Some(max)) = (f.fsync_latency_min, f.fsync_latency_max) {
        ordered(min, max, &format!("faults[{i}]"), "fsync_latency_min", "fsync_latency_max")?;
    }
    for (name, latency) in [("fsync_latency_min", f.fsync_latency_min), ("fsync_latency_max", f.fsync_latency_max)] {
        latency.map_or(Ok(()), |latency| at_most_max_latency(latency, &field(i, name)))?;
    }
    Ok(())
}

/// `action = "bit_rot"`: on `storage`, 1 to `replicas` copies.
fn bit_rot(s: &Scenario, i: usize, f: &Fault) -> Check {
    require(
        f.node.as_deref() == Some("storage"),
        field(i, "node"),
        "must be \"storage\": bit rot damages stored copies of a checkpoint blob; write node = \"storage\"",
    )?;
    let replicas = s.storage.replicas;
    let copies = f.copies.unwrap_or(1);
    require(
        (1..=replicas).contains(&copies),
        field(i, "copies"),
        format!("is {copies}; storage keeps {replicas} copies (storage.replicas), so 1..={replicas} can rot"),
    )
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
        (Some(_), false) => Err(format!(
            "names `{name}`, which only the node of a crash, pause, isolate or disk fault may use; \
             name a worker ({})",
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
        Some(_) => Err(format!("names `{name}`, but the cluster has {} workers: {}", s.cluster.workers, workers(s))),
        None => {
            let extra = if worker_of { ", or worker-of(OP[I]) for the worker running task OP[I]" } else { "" };
            let nodes = format!("{}, {}{extra}", SERVICES.join(", "), workers(s));
            let names: Vec<String> = (1..=s.cluster.workers).map(|k| format!("worker-{k}")).collect();
            let hint = hint(name, SERVICES.into_iter().chain(names.iter().map(String::as_str)));
            Err(format!("names `{name}`, which is no node; nodes are {nodes}{hint}"))
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
