//! The testbed: the components runs can use, registered by name —
//! barrier protocols and sinks (`engine::registry`, where a user's own go
//! too), fault kinds (`run::faults`), properties (`oracle::properties`) —
//! and the loading of scenario files against them: the file format alone
//! does not know which names there are, nor what each kind needs.
//!
//! ```
//! # use ckptsim::run::testbed::Testbed;
//! let testbed = Testbed::new();
//! assert!(testbed.registry().protocol("aligned").is_some());
//! ```

use super::faults::{kind_of, KINDS};
use crate::bugs::Bug;
use crate::engine::keyed::{self, KeyedKind};
use crate::engine::protocol::ProtocolKind;
use crate::engine::registry::{Registry, RegistryError};
use crate::engine::sink::SinkKind;
use crate::scenario::validate::validate_faults::field;
use crate::scenario::validate::validate_job::op_field;
use crate::scenario::validate::{unknown_variant, Check};
use crate::scenario::{self, Catalogue, OperatorKind, Scenario, ScenarioError};
use std::path::Path;
use std::sync::Arc;

/// The components a run can use: the built-in ones, and any registered on
/// top; and how the command line that runs them is typed, for the replay
/// commands verdicts print.
#[derive(Debug, Clone)]
pub struct Testbed {
    registry: Arc<Registry>,
    command: Arc<str>,
}

/// How a replay command starts when ckptsim runs from its own checkout.
pub const CARGO_RUN: &str = "cargo run --release --";

impl Default for Testbed {
    fn default() -> Self {
        Testbed::new()
    }
}

impl Testbed {
    /// The built-in protocols, sinks, fault kinds and properties.
    pub fn new() -> Testbed {
        Testbed { registry: Arc::new(Registry::builtin()), command: CARGO_RUN.into() }
    }

    /// Replay commands start with `command` (`ckptsim`, `cargo run --release --bin sim --`).
    pub fn command(mut self, command: &str) -> Testbed {
        self.command = command.into();
        self
    }

    /// How replay commands start.
    pub fn invoked_as(&self) -> &str {
        &self.command
    }

    /// Adds protocol `name` (`[checkpoint] protocol = "name"`).
    ///
    /// # Panics
    /// If `name` is taken or is not a name a file can write; `try_protocol` says so instead.
    pub fn protocol(self, name: &str, kind: impl ProtocolKind + 'static) -> Testbed {
        self.try_protocol(name, kind).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Adds protocol `name`, or says why it cannot.
    pub fn try_protocol(mut self, name: &str, kind: impl ProtocolKind + 'static) -> Result<Testbed, RegistryError> {
        Arc::make_mut(&mut self.registry).add_protocol(name, Arc::new(kind))?;
        Ok(self)
    }

    /// Adds sink kind `name` (`sink = "name"` on a sink operator).
    ///
    /// # Panics
    /// If `name` is taken or is not a name a file can write; `try_sink` says so instead.
    pub fn sink(self, name: &str, kind: impl SinkKind + 'static) -> Testbed {
        self.try_sink(name, kind).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Adds sink kind `name`, or says why it cannot.
    pub fn try_sink(mut self, name: &str, kind: impl SinkKind + 'static) -> Result<Testbed, RegistryError> {
        Arc::make_mut(&mut self.registry).add_sink(name, Arc::new(kind))?;
        Ok(self)
    }

    /// Adds keyed operator `name` (`kind = "name"` on an operator).
    ///
    /// # Panics
    /// If `name` is taken (by a keyed operator, or by `source`, `map`,
    /// `filter`, `sink`) or is not a name a file can write; `try_operator`
    /// says so instead.
    pub fn operator(self, name: &str, kind: impl KeyedKind + 'static) -> Testbed {
        self.try_operator(name, kind).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Adds keyed operator `name`, or says why it cannot.
    pub fn try_operator(mut self, name: &str, kind: impl KeyedKind + 'static) -> Result<Testbed, RegistryError> {
        Arc::make_mut(&mut self.registry).add_keyed(name, Arc::new(kind))?;
        Ok(self)
    }

    /// The registered protocols, sinks and keyed operators.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Reads and validates a scenario file against these components.
    pub fn load(&self, path: &Path) -> Result<Scenario, ScenarioError> {
        scenario::load(path, self)
    }

    /// Parses and validates scenario text; `file` is only used in errors.
    pub fn parse(&self, text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        scenario::parse(text, file, self)
    }
}

impl Catalogue for Testbed {
    fn check_protocol(&self, s: &Scenario) -> Check {
        let name = &s.checkpoint.protocol;
        match self.registry.protocol(name) {
            Some(protocol) => protocol.kind.check(s),
            None => Err(("checkpoint.protocol".into(), unknown_variant(name, &self.registry.protocol_names()))),
        }
    }

    fn check_sink(&self, s: &Scenario, i: usize) -> Check {
        let name = s.job.operators[i].sink_name();
        match self.registry.sink(name) {
            Some(sink) => sink.kind.check(s, i),
            None => Err((op_field(i, "sink"), unknown_variant(name, &self.registry.sink_names()))),
        }
    }

    fn check_operator(&self, s: &Scenario, i: usize) -> Check {
        let OperatorKind::Keyed(name) = &s.job.operators[i].kind else { return Ok(()) };
        match self.registry.keyed(name) {
            Some(k) => keyed::check_ports(&*k.kind, s, i),
            None => {
                let mut known = OperatorKind::ENGINE_KINDS.to_vec();
                known.extend(self.registry.keyed_names());
                Err((op_field(i, "kind"), unknown_variant(name, &known)))
            }
        }
    }

    fn check_fault(&self, s: &Scenario, i: usize) -> Check {
        let action = &s.faults[i].action;
        match kind_of(action) {
            Some(kind) => {
                kind.check(s, &self.registry, i)?;
                super::faults::phases::check_phase(s, &self.registry, i)?;
                super::faults::phases::check_checkpoint(s, i)
            }
            None => {
                let known: Vec<&str> = KINDS.iter().map(|k| k.action()).collect();
                Err((field(i, "action"), unknown_variant(action, &known)))
            }
        }
    }

    fn hidden_tasks(&self, s: &Scenario) -> Vec<String> {
        super::faults::targets::hidden_tasks(s, &self.registry)
    }

    fn check_swarm_kind(&self, s: &Scenario, j: usize) -> Check {
        let name = s.swarm.as_ref().map_or("", |w| w.faults[j].as_str());
        match KINDS.iter().find(|k| k.swarm_kinds().contains(&name)) {
            Some(kind) => kind.check_swarm(name, s, "swarm.faults"),
            None => {
                let known: Vec<&str> = KINDS.iter().flat_map(|k| k.swarm_kinds().iter().copied()).collect();
                Err((format!("swarm.faults[{j}]"), unknown_variant(name, &known)))
            }
        }
    }

    fn check_bug(&self, name: &str) -> Result<(), String> {
        name.parse::<Bug>().map(|_| ())
    }

    fn check_property(&self, name: &str) -> Result<(), String> {
        check_property(name)
    }
}

/// A property the oracles check, else the names there are.
pub fn check_property(name: &str) -> Result<(), String> {
    let known: Vec<&str> = crate::oracle::properties::names().collect();
    if known.contains(&name) {
        Ok(())
    } else {
        Err(unknown_variant(name, &known))
    }
}

/// Every kind a `[swarm]` can draw.
pub fn swarm_kinds() -> Vec<&'static str> {
    KINDS.iter().flat_map(|k| k.swarm_kinds().iter().copied()).collect()
}

/// Reads and validates a scenario file against the built-in components.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    Testbed::new().load(path)
}

/// Parses and validates scenario text against the built-in components;
/// `file` is only used in errors.
pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
    Testbed::new().parse(text, file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::starter::starter;
    use crate::scenario::Phase;

    #[test]
    fn every_catch_of_the_zoo_names_a_property_the_oracles_check() {
        for bug in Bug::all() {
            for c in bug.catches() {
                assert_eq!(check_property(c.property), Ok(()), "{bug}");
            }
        }
    }

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
