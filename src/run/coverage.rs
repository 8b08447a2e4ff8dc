//! The whole coverage catalogue: the engine's protocol paths
//! (`oracle::coverage::CATALOGUE`), then the paths each fault kind opens
//! (`Kind::paths`), in registry order. Reports, sweeps and the coverage
//! sim-test read it from here.

use super::faults::KINDS;
use super::testbed::Testbed;
use crate::oracle::coverage::{Path, CATALOGUE};
use crate::scenario::Scenario;
use crate::trace::TraceEvent;

/// Every catalogued path.
pub fn catalogue() -> Vec<&'static Path> {
    CATALOGUE.iter().chain(KINDS.iter().flat_map(|k| k.paths())).collect()
}

/// The names of the paths `events` took, in catalogue order; `observed`
/// adds the paths the oracles saw in the durable state.
pub fn paths_taken(events: &[TraceEvent], observed: &[&str]) -> Vec<&'static str> {
    crate::oracle::coverage::paths_taken(catalogue(), events, observed)
}

/// Which paths a scenario can take at all: those of its protocol, its
/// guarantee, its sinks and its faults.
pub fn applicable(scenario: &Scenario, testbed: &Testbed) -> Vec<&'static Path> {
    catalogue().into_iter().filter(|p| (p.applies)(scenario, testbed.registry())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn names_are_unique_across_the_engine_and_the_fault_kinds() {
        let all = catalogue();
        let names: BTreeSet<&str> = all.iter().map(|p| p.name).collect();
        assert_eq!(names.len(), all.len());
    }
}
