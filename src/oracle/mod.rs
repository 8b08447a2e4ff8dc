//! Oracles: the reference model and the named properties a run must hold.
//!
//! - `reference`  — the job run sequentially, fault-free, over the same log
//! - `evidence`   — what the run left behind, read back from trace and disks
//! - `properties` — every property in order; `liveness`, `exactly_once_state`,
//!   `commit_only_completed`
//! - `output`     — per sink: `exactly_once_output` / `at_least_once_output`,
//!   `upsert_table`
//! - `lifecycle`  — `checkpoint_monotonic`, `aborted_never_completes`,
//!   `tolerable_failures`
//! - `consistent_cut` — every completed checkpoint (state plus in-flight
//!   channel state) is the fold of exactly the records before its barrier (I1)
//! - `fencing`    — `attempt_fencing`: nothing of a superseded attempt has an effect
//! - `failovers`  — `explained_failovers`: every failover has a fault behind it
//! - `coverage`   — the catalogue of protocol paths, recognised in a trace
//!
//! A `Violation` carries a `Location` (time, checkpoint, task, node) where
//! the property knows where its evidence lies, for the timeline to mark.
//!
//! Oracles read only what the run recorded (the trace) and what the external
//! services hold at the end (the sink's and storage's durable disks).

pub mod consistent_cut;
pub mod coverage;
pub mod evidence;
pub mod failovers;
pub mod fencing;
pub mod lifecycle;
pub mod output;
pub mod properties;
pub mod reference;

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A property that did not hold, with the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub property: String,
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
