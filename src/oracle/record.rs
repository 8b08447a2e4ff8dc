//! What a run leaves behind for the oracles: the trace, every node's disk
//! as the run left it, the faults it was given and how it ended.

use crate::scenario::Fault;
use crate::sim::disk::SimDisk;
use crate::trace::TraceEvent;
use std::collections::BTreeMap;
use std::time::Duration;

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunEnd {
    /// The coordinator declared the job finished.
    Finished,
    /// The coordinator gave up (restart strategy exhausted).
    Failed,
    /// The simulated-time budget ran out first.
    TimedOut,
    /// The wall-clock cap ran out first (the run was stopped from outside).
    WallClockCap,
    /// The process passed its memory budget (the run was stopped from outside).
    MemoryBudget,
}

/// Everything a run leaves behind for the oracles.
pub struct RunRecord {
    /// The faults the run was given: the scenario's, then those its swarm drew.
    pub faults: Vec<Fault>,
    /// The drawn plan destroys a checkpoint for good: the job must fail.
    pub expect_failure: bool,
    pub events: Vec<TraceEvent>,
    /// Every node's disk as the run left it.
    pub disks: BTreeMap<String, SimDisk>,
    pub end: RunEnd,
    /// Simulated time when the run stopped.
    pub sim_time: Duration,
    /// The simulated time budget: last fault + `finish_within`.
    pub deadline: Duration,
    /// The memory budget the run had (`--max-memory`), in bytes.
    pub memory_budget: u64,
}
