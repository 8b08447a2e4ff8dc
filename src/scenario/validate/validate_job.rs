//! Rules of the `[job]` table: its settings, its operators and their graph.

use std::collections::HashMap;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::super::suggest::hint;
use super::super::{Catalogue, Operator, OperatorKind, Partitioning, Scenario};
use super::{require, Check};

/// Highest `max_parallelism` (number of key groups), as in Flink.
const MAX_KEY_GROUPS: usize = 32768;

/// Every rule of the job; ids are checked first since the graph relies on them.
pub(super) fn job(s: &Scenario, catalogue: &dyn Catalogue) -> Check {
    settings(s)?;
    let ops = &s.job.operators;
    for (i, op) in ops.iter().enumerate() {
        identity(ops, i, op)?;
    }
    for (i, op) in ops.iter().enumerate() {
        if op.is_keyed() {
            catalogue.check_operator(s, i)?;
        }
        operator(s, i, op)?;
    }
    graph(s, catalogue)
}

/// `job.operators[i].name`.
pub fn op_field(i: usize, name: &str) -> String {
    format!("job.operators[{i}].{name}")
}

/// Every id, for messages about `unknown`, which is none of them, with the
/// one it likely misspells: "`events`, `count`, `out` — did you mean `count`?".
pub fn known_ids(ops: &[Operator], unknown: &str) -> String {
    let ids: Vec<String> = ops.iter().map(|op| format!("`{}`", op.id)).collect();
    format!("{}{}", ids.join(", "), hint(unknown, ops.iter().map(|op| op.id.as_str())))
}

/// `parallelism`, `max_parallelism`, no `batch_size` (moved) and a non-empty operator list.
fn settings(s: &Scenario) -> Check {
    let job = &s.job;
    require(
        job.parallelism >= 1,
        "job.parallelism",
        "is 0; every operator needs at least 1 subtask, e.g. parallelism = 2",
    )?;
    require(
        job.max_parallelism <= MAX_KEY_GROUPS,
        "job.max_parallelism",
        format!("is {}; at most {MAX_KEY_GROUPS} key groups are supported, e.g. 128", job.max_parallelism),
    )?;
    require(
        job.batch_size.is_none(),
        "job.batch_size",
        "has moved: records per network buffer are `[network] buffer_records` now; move the value there",
    )?;
    require(
        !job.operators.is_empty(),
        "job.operators",
        "is empty; a job needs at least a source and a sink, e.g. [{ id = \"events\", kind = \"source\" }, \
         { id = \"out\", kind = \"sink\", input = [\"events\"] }]",
    )
}

/// An id is non-empty, made of `[A-Za-z0-9_-]` and unique.
fn identity(ops: &[Operator], i: usize, op: &Operator) -> Check {
    let field = op_field(i, "id");
    require(!op.id.is_empty(), &field, "is empty; give the operator a name such as \"count\"")?;
    if let Some(c) = op.id.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-')) {
        let message = format!("`{}` contains `{c}`; ids may only use letters, digits, `_` and `-`", op.id);
        return Err((field, message));
    }
    let first = ops.iter().position(|other| other.id == op.id).unwrap_or(i);
    require(first == i, field, format!("`{}` is already the id of job.operators[{first}]; ids must be unique", op.id))
}

/// One operator's own fields: parallelism, and those only its kind may have.
fn operator(s: &Scenario, i: usize, op: &Operator) -> Check {
    if op.parallelism == Some(0) {
        let message = "is 0; it must be at least 1, or left out to use job.parallelism";
        return Err((op_field(i, "parallelism"), message.into()));
    }
    let p = s.parallelism_of(op);
    require(
        p <= s.job.max_parallelism,
        "job.max_parallelism",
        format!(
            "is {}, below the parallelism {p} of `{}`; max_parallelism (the number of key groups) \
             must be at least every operator's parallelism",
            s.job.max_parallelism, op.id
        ),
    )?;
    kind_fields(i, op)?;
    if op.kind == OperatorKind::Source {
        source_fields(s, i, op)?;
    }
    Ok(())
}

/// Source-only fields only on sources, `sink` only on sinks, and no
/// `partition` on a source (it has no input).
fn kind_fields(i: usize, op: &Operator) -> Check {
    let is_source = op.kind == OperatorKind::Source;
    if let (Some(name), false) = (source_only_field(op), is_source) {
        return Err((op_field(i, name), only_for("sources", op)));
    }
    let message = format!("`{}` is a source, which has no input to partition; remove it", op.id);
    require(!(is_source && op.partition.is_some()), op_field(i, "partition"), message)?;
    let is_sink = op.kind == OperatorKind::Sink;
    require(op.sink.is_none() || is_sink, op_field(i, "sink"), only_for("sinks", op))?;
    function(i, op)?;
    let message = format!(
        "is broadcast, but `{}` is a {}: broadcasting into keyed state would give every subtask every key; \
         use \"hash\"",
        op.id,
        op.kind.name()
    );
    require(!(op.is_keyed() && op.partition == Some(Partitioning::Broadcast)), op_field(i, "partition"), message)
}

/// `fn` only on maps and filters, and one of their kind.
fn function(i: usize, op: &Operator) -> Check {
    let Some(f) = op.func else { return Ok(()) };
    let field = op_field(i, "fn");
    match op.kind {
        OperatorKind::Map if !f.is_map() => Err((
            field,
            format!("`{}` is a filter predicate, but `{}` is a map; use identity, double or negate", f.name(), op.id),
        )),
        OperatorKind::Filter if f.is_map() => Err((
            field,
            format!(
                "`{}` is a map function, but `{}` is a filter; use even_keys, odd_keys or small_values",
                f.name(),
                op.id
            ),
        )),
        OperatorKind::Map | OperatorKind::Filter => Ok(()),
        _ => Err((field, only_for("maps and filters", op))),
    }
}

/// The first source-only field `op` sets.
fn source_only_field(op: &Operator) -> Option<&'static str> {
    let fields = [
        ("partitions", op.partitions.is_some()),
        ("records", op.records.is_some()),
        ("keys", op.keys.is_some()),
        ("fetch_size", op.fetch_size.is_some()),
    ];
    fields.into_iter().find(|(_, set)| *set).map(|(name, _)| name)
}

/// "is only for {kinds}, but `op` is a {kind}; remove it".
fn only_for(kinds: &str, op: &Operator) -> String {
    format!("is only for {kinds}, but `{}` is a {}; remove it", op.id, op.kind.name())
}

/// A source's counts are at least 1, and it has a partition per subtask.
fn source_fields(s: &Scenario, i: usize, op: &Operator) -> Check {
    let counts = [
        ("partitions", op.partitions.map(|n| n as u64)),
        ("records", op.records),
        ("keys", op.keys),
        ("fetch_size", op.fetch_size.map(|n| n as u64)),
    ];
    for (name, value) in counts {
        let message = "is 0; it must be at least 1, or left out for the default";
        require(value != Some(0), op_field(i, name), message)?;
    }
    let (p, partitions) = (s.parallelism_of(op), op.partitions());
    let default = if op.partitions.is_none() { " (the default)" } else { "" };
    require(
        partitions >= p,
        op_field(i, "partitions"),
        format!(
            "is {partitions}{default} but source `{}` has parallelism {p}, so {} of its subtasks would idle \
             with no partition to read; set partitions to at least {p} or lower its parallelism",
            op.id,
            p.saturating_sub(partitions)
        ),
    )
}

/// Edges name real operators; the graph runs from sources to sinks, acyclic.
fn graph(s: &Scenario, catalogue: &dyn Catalogue) -> Check {
    let ops = &s.job.operators;
    for (i, op) in ops.iter().enumerate() {
        input_count(ops, i, op)?;
        inputs_exist(ops, i, op)?;
    }
    ends(ops)?;
    for (i, op) in ops.iter().enumerate() {
        reads_no_sink(ops, i, op)?;
    }
    acyclic(ops)?;
    for (i, op) in ops.iter().enumerate() {
        forward_parallelism(s, i, op)?;
        if op.kind == OperatorKind::Sink {
            catalogue.check_sink(s, i)?;
        }
    }
    Ok(())
}

/// A source has no input; every other operator at least one (how many a
/// keyed operator takes, its registration says: `Catalogue::check_operator`).
fn input_count(ops: &[Operator], i: usize, op: &Operator) -> Check {
    if op.kind == OperatorKind::Source {
        let message = format!("`{}` is a source: it reads the log and takes no input; remove `input`", op.id);
        return require(op.input.is_empty(), op_field(i, "input"), message);
    }
    require(
        !op.input.is_empty(),
        op_field(i, "input"),
        format!(
            "is empty, but `{}` is a {} and needs at least one upstream operator, e.g. input = [\"{}\"]",
            op.id,
            op.kind.name(),
            ops.iter().find(|o| o.id != op.id).map_or("events", |o| o.id.as_str())
        ),
    )
}

/// Every input names an existing operator, once.
fn inputs_exist(ops: &[Operator], i: usize, op: &Operator) -> Check {
    for (k, name) in op.input.iter().enumerate() {
        if !ops.iter().any(|o| &o.id == name) {
            let message = format!("`{name}` is not an operator id; known ids: {}", known_ids(ops, name));
            return Err((op_field(i, "input"), message));
        }
        let message = format!("lists `{name}` twice; list each input once");
        require(!op.input[..k].contains(name), op_field(i, "input"), message)?;
    }
    Ok(())
}

/// At least one source and one sink.
fn ends(ops: &[Operator]) -> Check {
    let has = |kind| ops.iter().any(|op| op.kind == kind);
    require(
        has(OperatorKind::Source),
        "job.operators",
        "has no source; add one, e.g. { id = \"events\", kind = \"source\" }",
    )?;
    require(
        has(OperatorKind::Sink),
        "job.operators",
        "has no sink; add one reading the last operator, e.g. { id = \"out\", kind = \"sink\", input = [\"count\"] }",
    )
}

/// Nothing reads from a sink: a sink's output leaves the job.
fn reads_no_sink(ops: &[Operator], i: usize, op: &Operator) -> Check {
    for name in &op.input {
        let Some(sink) = ops.iter().find(|o| &o.id == name && o.kind == OperatorKind::Sink) else {
            continue;
        };
        let upstream: Vec<String> = sink.input.iter().map(|id| format!("`{id}`")).collect();
        let message = format!(
            "lists `{name}`, a sink, whose output leaves the job so nothing can read it; \
             read from its upstream instead ({})",
            upstream.join(", ")
        );
        return Err((op_field(i, "input"), message));
    }
    Ok(())
}

/// No operator lists itself as input.
fn no_self_input(ops: &[Operator]) -> Check {
    for (i, op) in ops.iter().enumerate() {
        let message = format!("lists `{}` itself; an operator cannot read its own output", op.id);
        require(!op.input.contains(&op.id), op_field(i, "input"), message)?;
    }
    Ok(())
}

/// The job graph: node `i` is `ops[i]`, an edge runs from each input to its reader.
fn job_graph(ops: &[Operator]) -> DiGraph<usize, ()> {
    let index: HashMap<&str, usize> = ops.iter().enumerate().map(|(i, op)| (op.id.as_str(), i)).collect();
    let mut graph = DiGraph::new();
    for i in 0..ops.len() {
        graph.add_node(i);
    }
    for (i, op) in ops.iter().enumerate() {
        for from in op.input.iter().filter_map(|name| index.get(name.as_str())) {
            graph.add_edge(NodeIndex::new(*from), NodeIndex::new(i), ());
        }
    }
    graph
}

/// No operator reaches itself through `input` edges; blames the cycle's
/// first operator in file order.
fn acyclic(ops: &[Operator]) -> Check {
    no_self_input(ops)?;
    let graph = job_graph(ops);
    let Some(cycle) = tarjan_scc(&graph).into_iter().find(|scc| scc.len() > 1) else {
        return Ok(());
    };
    let mut members: Vec<usize> = cycle.iter().map(|n| graph[*n]).collect();
    members.sort_unstable();
    let names: Vec<String> = members.iter().filter_map(|&m| ops.get(m)).map(|op| format!("`{}`", op.id)).collect();
    let first = members.first().copied().unwrap_or_default();
    let message = format!(
        "makes {} part of a cycle through {}; the job graph must be acyclic, so remove one of these inputs",
        names.first().map_or("it", String::as_str),
        names.join(", ")
    );
    Err((op_field(first, "input"), message))
}

/// `partition = "forward"` links subtask k to subtask k: equal parallelisms.
fn forward_parallelism(s: &Scenario, i: usize, op: &Operator) -> Check {
    if op.partition != Some(Partitioning::Forward) {
        return Ok(());
    }
    let p = s.parallelism_of(op);
    for upstream in s.job.operators.iter().filter(|o| op.input.contains(&o.id)) {
        let q = s.parallelism_of(upstream);
        let message = format!(
            "is forward, but `{}` has parallelism {p} and its input `{}` has {q}; forward needs equal \
             parallelisms: make them equal or use \"rebalance\" (or \"hash\" for keyed operators)",
            op.id, upstream.id
        );
        require(p == q, op_field(i, "partition"), message)?;
    }
    Ok(())
}
