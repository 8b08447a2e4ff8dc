//! Tests of the execution graph: chaining (Flink's `isChainable`, as far as
//! it applies) and which operators align under unaligned checkpoints.

use super::{forced_aligned, ExecutionGraph};
use crate::engine::registry::Registry;
use crate::scenario::ids::TaskId;
use crate::scenario::{self, Partitioning};

fn graph(job: &str, ops: &str) -> ExecutionGraph {
    let text = format!("name = \"t\"\n[job]\nparallelism = 2\n{job}\noperators = [\n{ops}\n]\n");
    let s = scenario::parse(&text, "t.toml", &scenario::catalogue::JobOnly).expect("valid");
    crate::engine::job::graph(&s, &Registry::builtin())
}

const JOB: &str = r#"{ id = "src", kind = "source", partitions = 2, records = 100, keys = 7 },
    { id = "parse", kind = "map", input = ["src"] },
    { id = "count", kind = "keyed_count", input = ["parse"] },
    { id = "out", kind = "sink", input = ["count"] },"#;

fn task(g: &ExecutionGraph, name: &str, subtask: u16) -> TaskId {
    let op = g.ops.iter().position(|o| o.id == name).expect("operator") as u16;
    TaskId { op, subtask }
}

#[test]
fn a_forward_edge_at_equal_parallelism_chains_and_leaves_no_channel() {
    let g = graph("", JOB);
    let (src, parse, count, out) = (task(&g, "src", 1), task(&g, "parse", 1), task(&g, "count", 1), task(&g, "out", 1));
    assert_eq!(g.head_of(parse), src);
    assert_eq!(g.head_of(out), count);
    assert_eq!(g.head_of(count), count, "keyBy is a hash edge: a new chain");
    assert_eq!(g.chain(src), vec![src, parse]);
    assert_eq!(g.chain(count), vec![count, out]);
    assert_eq!(g.heads().count(), 4, "two chains of two subtasks each");
    assert!(g.task(parse).inputs.is_empty() && g.task(out).inputs.is_empty());
    assert!(g.task(src).outputs.is_empty(), "the source's only output is chained");
    assert_eq!(g.task(parse).outputs[0].partitioning, Partitioning::Hash);
    assert_eq!(g.task(count).inputs.len(), 2, "one channel from each parse subtask");
    assert!(g.ops.iter().all(|o| !forced_aligned(o, &*g.protocol.kind)));
}

#[test]
fn chaining_off_for_the_job_or_an_operator_makes_channels() {
    let g = graph("chaining = false", JOB);
    assert!(g.ops.iter().all(|o| o.chained_to.is_none()));
    assert_eq!(g.task(task(&g, "out", 0)).inputs, vec![task(&g, "count", 0)], "pointwise: one channel");
    assert!(g.ops.iter().filter(|o| o.forced_aligned).map(|o| o.id.as_str()).eq(["parse", "out"]));
    // `chain = false` on either end: Flink's disableChaining.
    let g = graph("", &JOB.replace(r#"kind = "map","#, r#"kind = "map", chain = false,"#));
    assert_eq!(g.head_of(task(&g, "parse", 0)), task(&g, "parse", 0));
    assert_eq!(g.head_of(task(&g, "out", 0)), task(&g, "count", 0));
    let g = graph("", &JOB.replace(r#"kind = "keyed_count","#, r#"kind = "keyed_count", chain = false,"#));
    assert_eq!(g.head_of(task(&g, "out", 0)), task(&g, "out", 0));
}

#[test]
fn unequal_parallelism_two_inputs_or_another_partitioning_do_not_chain() {
    let g = graph("", &JOB.replace(r#"kind = "sink","#, r#"kind = "sink", parallelism = 3,"#));
    let out = task(&g, "out", 2);
    assert_eq!(g.head_of(out), out);
    assert_eq!(g.task(out).inputs.len(), 2, "forward between unequal parallelisms runs as rebalance");
    assert!(!g.op(out).forced_aligned, "a rebalance channel can hold channel state");
    let g = graph("", &JOB.replace(r#"input = ["count"]"#, r#"input = ["count", "parse"]"#));
    let out = task(&g, "out", 0);
    assert_eq!(g.head_of(out), out, "an operator reading two inputs heads its own task");
    assert!(g.op(out).forced_aligned, "both of its inputs are pointwise");
    let g = graph("", &JOB.replace(r#"kind = "sink","#, r#"kind = "sink", partition = "broadcast","#));
    let out = task(&g, "out", 0);
    assert_eq!((g.head_of(out), g.task(out).inputs.len()), (out, 2));
    assert!(g.op(out).forced_aligned, "broadcast channels align");
}
