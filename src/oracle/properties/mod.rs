//! The named properties a run must hold, each behind one trait
//! (`Property`), registered in `PROPERTIES` in the order they are checked.
//! Each returns the violations it found with evidence a person can act on:
//! the key with expected vs actual value, the missing or duplicated
//! records, the checkpoint id.
//!
//! - `liveness`              — the job ends as expected within the budget
//! - `output`                — per sink: `exactly_once_output` /
//!   `at_least_once_output`, and `upsert_table`
//! - `exactly_once_state`    — the final checkpoint's state is the reference's
//! - `commit_only_completed` — commits only of completed checkpoints, once (I3)
//! - `lifecycle`             — `checkpoint_monotonic`, `aborted_never_completes`,
//!   `tolerable_failures`
//! - `consistent_cut`        — every completed checkpoint (state plus in-flight
//!   channel state) is the fold of exactly the records before its barrier (I1)
//! - `aligned_channels`      — no checkpoint holds in-flight records of a
//!   pointwise or broadcast channel (Flink checkpoints those aligned)
//! - `fencing`               — `attempt_fencing`: nothing of a superseded attempt has an effect
//! - `failovers`             — `explained_failovers`: every failover has a fault behind it
//! - `restart_strategy`      — the job fails exactly when the configured restart
//!   strategy runs out, and no redeploy comes sooner than its delay
//!
//! A new property is a file here and its line in `PROPERTIES`.

pub(crate) mod aligned_channels;
pub(crate) mod commit_only_completed;
pub(crate) mod consistent_cut;
pub(crate) mod exactly_once_state;
pub(crate) mod failovers;
pub(crate) mod fencing;
pub(crate) mod lifecycle;
pub(crate) mod liveness;
pub(crate) mod output;
pub(crate) mod restart_strategy;

use super::evidence::Evidence;
use super::reference::Reference;
use super::violation::{Violation, EXAMPLES};
use crate::engine::graph::ExecutionGraph;
use crate::engine::registry::Registry;
use crate::engine::services::log::LogData;
use crate::scenario::{Guarantee, OperatorKind, Scenario};
use output::OutputMode;
use std::collections::BTreeMap;

/// The run the properties judge: the scenario, the job as run, the
/// log, the reference model and the evidence the run left behind.
pub struct Case<'a> {
    pub scenario: &'a Scenario,
    pub graph: &'a ExecutionGraph,
    pub log: LogData,
    pub reference: &'a Reference,
    pub ev: &'a Evidence<'a>,
    /// The run is judged exactly-once (else at-least-once: the state
    /// properties do not apply, L9).
    pub exactly_once: bool,
    /// How each sink operator's output is judged, by operator index.
    pub modes: BTreeMap<u16, OutputMode>,
}

/// What the properties found: the violations, and the paths only an oracle
/// can see (e.g. duplicates committed), for coverage.
#[derive(Default)]
pub struct Judgement {
    pub violations: Vec<Violation>,
    pub observed: Vec<&'static str>,
    /// Properties left unjudged: the wall-clock budget ran out first.
    pub unjudged: Vec<&'static str>,
}

/// A property a run must hold.
pub trait Property: Sync {
    /// The names its violations carry (`exactly_once_state`): what
    /// `[expect] violated`, `shrink --property` and the zoo name it by.
    fn names(&self) -> &'static [&'static str];

    /// Judges the run, adding what it found.
    fn check(&self, j: &Case, out: &mut Judgement);
}

/// Every property, in the order it is checked.
pub const PROPERTIES: &[&dyn Property] = &[
    &liveness::Liveness,
    &output::SinkOutput,
    &output::UpsertTable,
    &exactly_once_state::ExactlyOnceState,
    &commit_only_completed::CommitOnlyCompleted,
    &lifecycle::CheckpointMonotonic,
    &consistent_cut::ConsistentCut,
    &aligned_channels::AlignedChannels,
    &lifecycle::AbortedNeverCompletes,
    &lifecycle::TolerableFailures,
    &restart_strategy::RestartStrategy,
    &fencing::AttemptFencing,
    &failovers::ExplainedFailovers,
];

/// Every property's name.
pub fn names() -> impl Iterator<Item = &'static str> {
    PROPERTIES.iter().flat_map(|p| p.names().iter().copied())
}

/// Checks every property. The output property follows the guarantee the
/// run is judged by: `exactly_once_output`, or `at_least_once_output`.
pub fn check_all(
    scenario: &Scenario,
    registry: &Registry,
    graph: &ExecutionGraph,
    log: LogData,
    reference: &Reference,
    ev: &Evidence,
    abandon: &std::sync::atomic::AtomicBool,
) -> Judgement {
    let modes = graph
        .ops
        .iter()
        .filter(|o| o.kind == OperatorKind::Sink)
        .filter_map(|o| {
            let sink = registry.sink(o.sink.as_deref()?)?;
            Some((o.index, OutputMode::of(scenario, &*graph.protocol.kind, &*sink.kind)))
        })
        .collect();
    let exactly_once = output::guarantee(scenario, registry) == Guarantee::ExactlyOnce;
    let case = Case { scenario, graph, log, reference, ev, exactly_once, modes };
    let mut found = Judgement::default();
    for property in PROPERTIES {
        if abandon.load(std::sync::atomic::Ordering::Relaxed) {
            found.unjudged.extend(property.names());
            continue;
        }
        property.check(&case, &mut found);
    }
    found.violations = cap_per_property(found.violations);
    found
}

/// Keeps the first few violations of each property and counts the rest.
fn cap_per_property(all: Vec<Violation>) -> Vec<Violation> {
    let mut kept: Vec<Violation> = vec![];
    let mut dropped: BTreeMap<String, usize> = BTreeMap::new();
    for v in all {
        if kept.iter().filter(|k| k.property == v.property).count() < EXAMPLES {
            kept.push(v);
        } else {
            *dropped.entry(v.property.clone()).or_default() += 1;
        }
    }
    for (property, n) in dropped {
        kept.push(Violation::new(&property, format!("… and {n} more violations of {property}")));
    }
    kept
}
