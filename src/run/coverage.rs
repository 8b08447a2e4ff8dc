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

    /// A path the file's own configuration rules out is not one of its
    /// paths: with one checkpoint at a time, none runs concurrently and
    /// none is subsumed.
    #[test]
    fn paths_the_configuration_rules_out_are_not_applicable() {
        let paths = |max_concurrent: usize| {
            let text = std::fs::read_to_string("scenarios/worker-crash.toml").expect("stock scenario");
            let text = text
                .replace("interval = \"100ms\"", &format!("interval = \"100ms\"\nmax_concurrent = {max_concurrent}"));
            let s = crate::run::testbed::parse(&text, "t.toml").expect("valid");
            applicable(&s, &Testbed::new()).iter().map(|p| p.name).collect::<BTreeSet<_>>()
        };
        let (one, two) = (paths(1), paths(2));
        for name in ["concurrent_checkpoints", "checkpoint_subsumed"] {
            assert!(!one.contains(name) && two.contains(name), "{name}");
        }
    }

    /// Still retrying an unrecoverable checkpoint is a path only where the
    /// restart strategy may outlast the budget: 1,000 attempts 100 ms apart
    /// do, the default 10 attempts 200 ms apart do not; giving up is one
    /// only where it may not.
    #[test]
    fn retrying_and_giving_up_apply_by_whether_the_strategy_may_outlast_the_budget() {
        let has = |file: &str, edit: &dyn Fn(String) -> String| {
            let text = edit(std::fs::read_to_string(file).expect("stock scenario"));
            let s = crate::run::testbed::parse(&text, "t.toml").expect("valid");
            applicable(&s, &Testbed::new()).iter().any(|p| p.name == "still_retrying_unrecoverable_checkpoint")
        };
        assert!(has("scenarios/swarm-generous-restart.toml", &|t| t));
        assert!(!has("scenarios/swarm-generous-restart.toml", &|t| t.replace("attempts = 1000", "attempts = 10")));
        let gives_up = |file: &str| {
            let s =
                crate::run::testbed::parse(&std::fs::read_to_string(file).expect("stock"), "t.toml").expect("valid");
            applicable(&s, &Testbed::new()).iter().any(|p| p.name == "restart_strategy_gave_up")
        };
        assert!(!gives_up("scenarios/swarm-generous-restart.toml"), "1,000 attempts outlast 60 s");
        assert!(!gives_up("scenarios/restart-exponential.toml"), "exponential_delay never gives up");
        assert!(gives_up("scenarios/swarm-all.toml") && gives_up("scenarios/restart-gives-up.toml"));
        assert!(!has("scenarios/swarm-all.toml", &|t| t));
        assert!(!has("scenarios/worker-crash.toml", &|t| t), "no swarm, no fatal plan");
    }

    #[test]
    fn names_are_unique_across_the_engine_and_the_fault_kinds() {
        let all = catalogue();
        let names: BTreeSet<&str> = all.iter().map(|p| p.name).collect();
        assert_eq!(names.len(), all.len());
    }
}
