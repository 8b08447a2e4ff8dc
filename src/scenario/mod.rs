//! Scenario files: the format (`model`), durations (`duration`), and loading
//! with validation that names the file, line and field of every mistake.
//!
//! - `model`     — the typed `Scenario` and its defaults
//! - `fault`     — `[[faults]]`: actions, times and protocol phases
//! - `catalogue` — what validation asks of the registered kinds (faults, swarm)
//! - `ids`       — the ids every layer shares
//! - `names`     — the names files write for enum values
//! - `swarm`     — `[swarm]`: faults drawn per seed
//! - `duration`  — `"100ms"`-style durations
//! - `validate`  — cross-field rules (graph shape, node names, ranges)
//! - `locate`    — maps a field path or a TOML error to its place in the file
//! - `location`  — a line and column, shown rustc-style with carets
//! - `suggest`   — "did you mean `interval`?" for misspelt names
//! - `starter`   — the commented starter scenario `ckptsim new` writes
//! - `files` (here) — every scenario file under a folder, subfolders included
//! - `words`     — counts in words (`1 worker`, `2 workers`)

pub mod catalogue;
pub mod duration;
pub mod fault;
pub mod ids;
pub(crate) mod locate;
pub mod location;
pub mod model;
pub(crate) mod names;
pub(crate) mod starter;
pub(crate) mod suggest;
pub mod swarm;
pub mod validate;
pub(crate) mod words;

pub use catalogue::Catalogue;
pub use fault::*;
pub use location::Location;
pub use model::*;
pub use swarm::Swarm;

use std::path::Path;

/// A scenario that cannot be used, with where the mistake is.
///
/// It displays as one greppable line, `file:line:col: field: message`
/// (`file: field: message` when the mistake is on no line, `file: message`
/// when the file itself cannot be read); `render` adds the offending line
/// with carets under it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}{}: {message}", self.position())]
pub struct ScenarioError {
    /// The scenario file as given.
    pub file: String,
    /// Where the offending text is, when it can be found.
    pub location: Option<Location>,
    /// Dotted path of the field, e.g. `job.operators[1].input`; empty when
    /// the file itself is the matter.
    pub field: String,
    /// What is wrong and what would be right.
    pub message: String,
}

impl ScenarioError {
    /// 1-based line of the offending text, when it can be found.
    pub fn line(&self) -> Option<usize> {
        self.location.as_ref().map(|at| at.line)
    }

    /// 1-based column (in characters) of the offending text.
    pub fn column(&self) -> Option<usize> {
        self.location.as_ref().map(|at| at.column)
    }

    /// The one-line error, then the offending line with carets under it.
    pub fn render(&self) -> String {
        match &self.location {
            Some(at) => format!("{self}\n{}", at.render()),
            None => self.to_string(),
        }
    }

    /// `:line:col: field`, `: field`, or nothing.
    fn position(&self) -> String {
        let at = self.location.as_ref().map(|at| format!(":{}:{}", at.line, at.column)).unwrap_or_default();
        match self.field.as_str() {
            "" => at,
            field => format!("{at}: {field}"),
        }
    }
}

/// Reads and validates a scenario file against the registered kinds.
pub fn load(path: &Path, catalogue: &dyn Catalogue) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: file.clone(),
        location: None,
        field: String::new(),
        message: format!("cannot read it: {e}"),
    })?;
    parse(&text, &file, catalogue)
}

/// Every `*.toml` under `dir`, subfolders included, sorted.
pub fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "toml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Parses and validates scenario text; `file` is only used in errors.
pub fn parse(text: &str, file: &str, catalogue: &dyn Catalogue) -> Result<Scenario, ScenarioError> {
    let scenario: Scenario = toml::from_str(text).map_err(|e| locate::from_toml_error(&e, text, file))?;
    validate::validate(&scenario, catalogue).map_err(|(field, message)| ScenarioError {
        file: file.to_string(),
        location: locate::span_of(text, &field, &message).map(|span| Location::of_span(text, span)),
        field,
        message,
    })?;
    Ok(scenario)
}
