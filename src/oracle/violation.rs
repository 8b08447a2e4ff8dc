//! A property that did not hold (`Violation`), where its evidence lies
//! (`Location`), and how a violation lists its examples.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A property that did not hold, with the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The property (`exactly_once_output`).
    pub property: String,
    /// What was wrong, with examples a person can act on.
    pub detail: String,
    /// Where in the run the evidence lies, as far as the property knows it.
    #[serde(flatten)]
    pub location: Location,
}

/// Where a violation's evidence lies in the run; every part optional, set
/// only when the property read it from the evidence (JSON leaves out the
/// parts it does not know).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Simulated time of the evidence (JSON: `at_ms`, milliseconds).
    #[serde(
        rename = "at_ms",
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_ms",
        deserialize_with = "de_ms"
    )]
    pub time: Option<Duration>,
    /// The checkpoint the evidence concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<u64>,
    /// The task the evidence concerns (`count[1]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The node the evidence concerns (`sink`, `coordinator`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

fn ser_ms<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        // Nanoseconds over 1e6: exact to print (no binary noise after the µs).
        Some(d) => s.serialize_f64(d.as_nanos() as f64 / 1e6),
        None => s.serialize_none(),
    }
}

fn de_ms<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let ms: Option<f64> = Deserialize::deserialize(d)?;
    Ok(ms.map(|ms| Duration::from_nanos((ms * 1e6).round() as u64)))
}

impl Violation {
    /// A violation of `property`, located nowhere yet.
    pub fn new(property: &str, detail: impl Into<String>) -> Self {
        Violation { property: property.to_string(), detail: detail.into(), location: Location::default() }
    }

    /// The evidence lies at simulated time `time`.
    pub fn at(mut self, time: Duration) -> Self {
        self.location.time = Some(time);
        self
    }

    /// The evidence concerns checkpoint `n`.
    pub fn checkpoint(mut self, n: u64) -> Self {
        self.location.checkpoint = Some(n);
        self
    }

    /// The evidence concerns task `name` (`count[1]`).
    pub fn task(mut self, name: &str) -> Self {
        self.location.task = Some(name.to_string());
        self
    }

    /// The evidence concerns node `name` (`sink`).
    pub fn node(mut self, name: &str) -> Self {
        self.location.node = Some(name.to_string());
        self
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.property, self.detail)
    }
}

/// How many examples a violation lists.
pub(super) const EXAMPLES: usize = 5;

/// At most `EXAMPLES` items, comma-separated, and how many more there were.
pub(super) fn examples<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|x| x.to_string()).collect();
    let more = items.len().saturating_sub(EXAMPLES);
    let mut s = items.into_iter().take(EXAMPLES).collect::<Vec<_>>().join(", ");
    if more > 0 {
        s += &format!(" (+{more} more)");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unlocated_violation_keeps_the_old_json_and_a_located_one_adds_where() {
        let plain = Violation::new("liveness", "stuck");
        assert_eq!(serde_json::to_string(&plain).unwrap(), r#"{"property":"liveness","detail":"stuck"}"#);
        let located =
            Violation::new("consistent_cut", "bad").at(Duration::from_micros(1500)).checkpoint(3).task("count[1]");
        assert_eq!(
            serde_json::to_string(&located).unwrap(),
            r#"{"property":"consistent_cut","detail":"bad","at_ms":1.5,"checkpoint":3,"task":"count[1]"}"#
        );
    }
}
