//! A scenario's job as the engine runs it: the execution graph, with the
//! kinds it names resolved — each sink kind adds its own post-commit
//! topology (a committer task after the writers, for the kinds that commit
//! in a stage of their own), as Flink's sink translation does.

use super::graph::ExecutionGraph;
use super::registry::Registry;
use crate::scenario::Scenario;
use std::collections::BTreeMap;

/// The execution graph of a validated scenario, its components resolved in `registry`.
pub fn graph(scenario: &Scenario, registry: &Registry) -> ExecutionGraph {
    graph_with(scenario, registry, &BTreeMap::new())
}

/// The same, with some operators rescaled (by id).
pub fn graph_with(scenario: &Scenario, registry: &Registry, rescaled: &BTreeMap<String, usize>) -> ExecutionGraph {
    let protocol = registry.protocol(&scenario.checkpoint.protocol).cloned().expect("validated: a registered protocol");
    let has_committer = |name: &str| registry.sink(name).is_some_and(|k| k.kind.has_committer());
    let keyed = |name: &str| registry.keyed(name).cloned();
    ExecutionGraph::build_with(scenario, protocol, rescaled, &has_committer, &keyed)
}
