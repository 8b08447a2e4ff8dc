//! The simulated world the engine runs in, on madsim.
//!
//! - `rng`    — one seed, an independent ChaCha stream per component
//! - `disk`   — per-node disk: page cache vs durable bytes, fsync latency, crash loss
//! - `net`    — reliable FIFO node-to-node messaging over madsim's network
//! - `link_rules` — network faults as rules: pass, delay, drop or hold a message
//! - `faults` — the fault injector that carries out a scenario's faults
//! - `job_control` — requests to the running job (rescale), taken by the coordinator
//! - `world`  — builds the cluster for one seed, runs it, hands back the record

pub mod disk;
pub mod faults;
pub mod job_control;
pub mod link_rules;
pub mod net;
pub mod rng;
pub mod world;

use std::time::Duration;

/// Simulated time since the run started.
pub fn now() -> Duration {
    madsim::time::TimeHandle::current().elapsed()
}
