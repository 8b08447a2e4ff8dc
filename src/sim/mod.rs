//! The simulated world the engine runs in, on madsim.
//!
//! - `rng`    — one seed, an independent ChaCha stream per component
//! - `disk`   — per-node disk: page cache vs durable bytes, fsync latency, crash loss
//! - `net`    — reliable FIFO node-to-node messaging over madsim's network, and
//!   the run's address book
//! - `link_rules` — network faults as rules: pass, delay, drop or hold a message
//! - `slow_tasks` — the per-record processing time a fault gives a task

pub mod disk;
pub mod link_rules;
pub mod net;
pub mod rng;
pub mod slow_tasks;

use std::time::Duration;

/// Simulated time since the run started.
pub fn now() -> Duration {
    madsim::time::TimeHandle::current().elapsed()
}
