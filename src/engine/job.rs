//! A scenario's job as the engine runs it: the execution graph, with the
//! kinds it names resolved — each sink kind adds its own post-commit
//! topology (a committer task after the writers, for the kinds that commit
//! in a stage of their own), as Flink's sink translation does.

use super::graph::ExecutionGraph;
use super::sink::sink_of;
use crate::scenario::Scenario;
use std::collections::BTreeMap;

/// The execution graph of a validated scenario.
pub fn graph(scenario: &Scenario) -> ExecutionGraph {
    graph_with(scenario, &BTreeMap::new())
}

/// The same, with some operators rescaled (by id).
pub fn graph_with(scenario: &Scenario, rescaled: &BTreeMap<String, usize>) -> ExecutionGraph {
    let has_committer = |name: &str| sink_of(name).is_some_and(|k| k.has_committer());
    ExecutionGraph::build_with(scenario, rescaled, &has_committer)
}
