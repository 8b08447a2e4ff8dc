//! The kinds a run can use, registered once, and the loading of scenario
//! files against them: `load` and `parse` check a file with the fault kinds
//! of `run::faults` (their fields, their swarm names), which the file
//! format alone does not know.

use super::faults::{kind_of, KINDS};
use crate::scenario::validate::Check;
use crate::scenario::{self, Catalogue, Scenario, ScenarioError};
use std::path::Path;

/// The registered kinds, as validation asks about them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Testbed;

impl Catalogue for Testbed {
    fn actions(&self) -> Vec<&'static str> {
        KINDS.iter().map(|k| k.action()).collect()
    }

    fn check_fault(&self, s: &Scenario, i: usize) -> Check {
        match kind_of(&s.faults[i].action) {
            Some(kind) => kind.check(s, i),
            None => Ok(()),
        }
    }

    fn swarm_kinds(&self) -> Vec<&'static str> {
        KINDS.iter().flat_map(|k| k.swarm_kinds().iter().copied()).collect()
    }

    fn check_swarm_kind(&self, s: &Scenario, name: &str, field: &str) -> Check {
        match KINDS.iter().find(|k| k.swarm_kinds().contains(&name)) {
            Some(kind) => kind.check_swarm(name, s, field),
            None => Ok(()),
        }
    }
}

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    scenario::load(path, &Testbed)
}

/// Parses and validates scenario text; `file` is only used in errors.
pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
    scenario::parse(text, file, &Testbed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::starter::starter;
    use crate::scenario::Phase;

    #[test]
    fn the_starter_is_a_valid_scenario_with_its_name() {
        let scenario =
            parse(&starter("my-first").unwrap(), "my-first.toml").unwrap_or_else(|e| panic!("{}", e.render()));
        assert_eq!(scenario.name, "my-first");
        let ids: Vec<&str> = scenario.job.operators.iter().map(|op| op.id.as_str()).collect();
        assert_eq!(ids, ["events", "count", "out"]);
    }

    #[test]
    fn the_starter_crashes_a_worker_while_it_aligns() {
        let scenario = parse(&starter("x").unwrap(), "x.toml").unwrap();
        let [fault] = &scenario.faults[..] else { panic!("one fault: {:?}", scenario.faults) };
        assert_eq!(fault.action, "crash");
        assert_eq!(fault.when.as_ref().map(|w| w.phase), Some(Phase::Aligning));
        assert_eq!(fault.params.get("node").and_then(|n| n.as_str()), Some("worker-of(count[1])"));
    }
}
