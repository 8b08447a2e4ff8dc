//! The `[swarm]` section: the fault kinds each seed draws from, the window
//! they strike and heal in, and the most one seed draws. The drawing itself
//! is the harness's (`run::swarm`).

use super::duration::dur;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The `[swarm]` section.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Swarm {
    /// The kinds of fault each seed draws from (`crash`, `one_way`, …: the
    /// names the registered fault kinds draw under).
    pub faults: Vec<String>,
    /// Faults strike and heal within `[0, window)`; then the liveness phase starts. Default 2s.
    #[serde(default = "default_window", with = "dur")]
    pub window: Duration,
    /// The most faults one seed draws. Default 4.
    #[serde(default = "default_max_faults")]
    pub max_faults: usize,
    /// `[low, high]`: each seed draws its `[checkpoint] max_concurrent`
    /// from `low..=high` (so concurrent checkpoints meet the faults).
    /// Default: the file's own `max_concurrent` for every seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent: Option<(usize, usize)>,
}

fn default_window() -> Duration {
    Duration::from_secs(2)
}
fn default_max_faults() -> usize {
    4
}
