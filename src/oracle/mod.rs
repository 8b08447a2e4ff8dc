//! Oracles: the reference model and the named properties a run must hold.
//!
//! - `reference`  — the job run sequentially, fault-free, over the same log
//! - `record`     — what a run leaves behind: trace, disks, faults, how it ended
//! - `evidence`   — what the run left behind, read back from trace and disks
//! - `properties` — the named properties, one trait, one file each, in one
//!   registry (`PROPERTIES`)
//! - `coverage`   — the catalogue of protocol paths, recognised in a trace
//!
//! A `Violation` carries a `Location` (time, checkpoint, task, node) where
//! the property knows where its evidence lies, for the timeline to mark.
//!
//! Oracles read only what the run recorded (the trace) and what the external
//! services hold at the end (the sink's and storage's durable disks).

pub mod coverage;
pub(crate) mod evidence;
pub(crate) mod properties;
pub(crate) mod record;
pub(crate) mod reference;
pub mod violation;

pub use violation::{Location, Violation};
