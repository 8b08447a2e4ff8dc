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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{FaultAction, Phase};

    #[test]
    fn the_starter_is_a_valid_scenario_with_its_name() {
        let scenario = crate::scenario::parse(&starter("my-first").unwrap(), "my-first.toml")
            .unwrap_or_else(|e| panic!("{}", e.render()));
        assert_eq!(scenario.name, "my-first");
        let ids: Vec<&str> = scenario.job.operators.iter().map(|op| op.id.as_str()).collect();
        assert_eq!(ids, ["events", "count", "out"]);
    }

    #[test]
    fn the_starter_crashes_a_worker_while_it_aligns() {
        let scenario = crate::scenario::parse(&starter("x").unwrap(), "x.toml").unwrap();
        let [fault] = &scenario.faults[..] else { panic!("one fault: {:?}", scenario.faults) };
        assert_eq!(fault.action, FaultAction::Crash);
        assert_eq!(fault.when.as_ref().map(|w| w.phase), Some(Phase::Aligning));
        assert_eq!(fault.node.as_deref(), Some("worker-of(count[1])"));
    }

    #[test]
    fn every_setting_has_a_comment_above_it_or_its_table() {
        let lines: Vec<&str> = TEMPLATE.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.contains(" = ") || line.starts_with('#') || line.starts_with(' ') {
                continue;
            }
            let above = lines[..i].iter().rev().find(|l| !l.starts_with('['));
            assert!(above.is_some_and(|l| l.starts_with('#')), "line {} has no comment: {line}", i + 1);
        }
    }

    #[test]
    fn names_that_would_break_the_file_are_refused() {
        assert_eq!(starter(""), Err(StarterError::Empty));
        assert_eq!(starter("a\"b"), Err(StarterError::BadCharacter("a\"b".into(), '"')));
        assert_eq!(starter("../x"), Err(StarterError::BadCharacter("../x".into(), '.')));
    }
}
