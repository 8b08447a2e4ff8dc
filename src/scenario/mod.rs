//! Scenario files: the format (`model`), durations (`duration`), and loading
//! with validation that names the file, line and field of every mistake.
//!
//! - `model`     — the typed `Scenario` and its defaults
//! - `fault`     — `[[faults]]`: actions, times and protocol phases
//! - `fault_kind` — a validated fault, typed by what it does
//! - `swarm`     — `[swarm]`: faults drawn per seed
//! - `duration`  — `"100ms"`-style durations
//! - `validate`  — cross-field rules (graph shape, node names, ranges)
//! - `locate`    — maps a field path to its line in the file

pub mod duration;
pub mod fault;
pub mod fault_kind;
pub mod locate;
pub mod model;
pub mod swarm;
pub mod validate;

pub use fault::*;
pub use fault_kind::*;
pub use model::*;
pub use swarm::{Swarm, SwarmKind};

use std::path::Path;

/// A scenario that cannot be used, with where the mistake is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{}: {field}: {message}", line.map(|l| l.to_string()).unwrap_or_else(|| "?".into()))]
pub struct ScenarioError {
    /// The scenario file as given.
    pub file: String,
    /// 1-based line of the offending field, when it can be found.
    pub line: Option<usize>,
    /// Dotted path of the field, e.g. `job.operators[1].input`.
    pub field: String,
    /// What is wrong and what would be right.
    pub message: String,
}

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: file.clone(),
        line: None,
        field: "(file)".into(),
        message: format!("cannot read: {e}"),
    })?;
    parse(&text, &file)
}

/// Parses and validates scenario text; `file` is only used in errors.
pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
    let scenario: Scenario = toml::from_str(text).map_err(|e| locate::from_toml_error(&e, text, file))?;
    validate::validate(&scenario).map_err(|(field, message)| ScenarioError {
        file: file.to_string(),
        line: locate::line_of(text, &field),
        field,
        message,
    })?;
    Ok(scenario)
}
