//! Oracles: the reference model and the named properties a run must hold.
//!
//! - `reference`  — the job run sequentially, fault-free, over the same log
//! - `record`     — what a run leaves behind: trace, disks, faults, how it ended
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

pub(crate) mod consistent_cut;
pub mod coverage;
pub(crate) mod evidence;
pub(crate) mod failovers;
pub(crate) mod fencing;
pub(crate) mod lifecycle;
pub(crate) mod output;
pub(crate) mod properties;
pub(crate) mod record;
pub(crate) mod reference;
pub mod violation;

pub use violation::{Location, Violation};
