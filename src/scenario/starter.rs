//! The starter scenario `ckptsim new NAME` writes: a source → keyed_count →
//! sink job with a crash placed at a protocol phase, every field commented.

/// The template (`starter.toml`); `{name}` stands for the scenario's name.
const TEMPLATE: &str = include_str!("starter.toml");

/// Why a name cannot name a new scenario.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StarterError {
    /// The name is empty.
    #[error("the scenario name is empty; give a short name such as `crash-during-alignment`")]
    Empty,
    /// The name has a character outside `[A-Za-z0-9_-]`.
    #[error("the scenario name `{0}` contains `{1}`; use letters, digits, `-` and `_`")]
    BadCharacter(String, char),
}

/// The starter scenario named `name` (which also names its file).
pub fn starter(name: &str) -> Result<String, StarterError> {
    if name.is_empty() {
        return Err(StarterError::Empty);
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
        return Err(StarterError::BadCharacter(name.to_string(), c));
    }
    Ok(TEMPLATE.replace("{name}", name))
}
