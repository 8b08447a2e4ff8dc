//! The streaming engine: a small but real Flink-style runtime.
//!
//! Sans-IO protocol cores (unit-tested on their own):
//! - `coordinator` — `CheckpointCoordinator`: trigger, acks, completion through
//!   the completed-checkpoint store, retention, aborts, failure counting
//! - `protocol`    — `BarrierProtocol`: how one task handles barriers —
//!   `aligned`, `at_least_once`, `unaligned`, `aligned_timeout`
//! - `sink`        — every kind of sink behind `SinkKind` (writers, committers),
//!   with the sans-IO cores `TwoPhaseCommitSink` and `Committer`
//! - `keyed`       — every keyed operator behind `KeyedKind`: its implementation
//!   and the fold the oracles judge it by
//! - `restart`     — `RestartStrategy`: fixed_delay / failure_rate / exponential_delay / none
//!
//! The job:
//! - `graph`    — job graph (petgraph) → execution graph of subtasks and channels
//! - `job`      — a scenario's job translated: the graph, with each sink's own topology
//! - `msg`      — every message between nodes, by plane, and the typed errors
//! - `state`    — operator state and checksummed snapshots
//! - `keys`     — where checkpoint storage keeps metadata and snapshots
//! - `rescale`  — a snapshot redistributed to a new parallelism (L21)
//!
//! Node runtimes (the only code that touches time, network and disk):
//! - `cluster`   — the nodes' names and addresses, and how each boots
//! - `jobmaster` — the `coordinator` node (job control, `checkpointing`,
//!   `failover` with its causes); `meta` its durable record
//! - `worker`    — `worker-N` nodes; `task`, `source`, `operator`, `outputs` run subtasks
//! - `rpc`       — request/reply with timeouts, ids unique across restarts
//! - `services`  — the `log`, `storage` (replicated blobs) and `sink` nodes

pub(crate) mod cluster;
#[cfg(test)]
pub(crate) mod conformance;
pub(crate) mod coordinator;
pub(crate) mod graph;
pub(crate) mod job;
pub(crate) mod jobmaster;
pub mod keyed;
pub(crate) mod keys;
pub(crate) mod meta;
pub mod msg;
pub mod named;
pub(crate) mod operator;
pub mod outputs;
pub mod protocol;
pub mod registry;
pub(crate) mod rescale;
pub(crate) mod restart;
pub(crate) mod rpc;
pub(crate) mod services;
pub mod sink;
pub(crate) mod state;
pub mod task;
pub(crate) mod worker;
