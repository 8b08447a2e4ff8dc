//! The typed scenario: what a `scenarios/*.toml` file says, after parsing and
//! defaults. Every field documents its unit and its default; docs/scenario-format.md's format
//! reference is written from these docs.

use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::duration::{dur, dur_opt};
use super::fault::Fault;
use super::swarm::Swarm;

/// A whole scenario file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name, printed in verdicts and replay commands.
    pub name: String,
    /// One sentence on what the scenario exercises.
    #[serde(default)]
    pub description: String,
    /// Seeds `cargo test` runs by default (seeds 0..seeds). Default 8.
    #[serde(default = "default_seeds")]
    pub seeds: u64,
    /// The first of those seeds: `cargo test` runs first_seed..first_seed+seeds
    /// and `run` defaults to it. Default 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub first_seed: u64,
    /// A planted bug to switch on (see `ckptsim bugs`). Default none.
    #[serde(default)]
    pub bug: Option<String>,
    /// `[cluster]`: workers, slots, timeouts.
    #[serde(default)]
    pub cluster: Cluster,
    /// `[network]`: the network's own latency and loss.
    #[serde(default)]
    pub network: Network,
    /// `[disk]`: every node's disk.
    #[serde(default)]
    pub disk: Disk,
    /// `[storage]`: checkpoint storage.
    #[serde(default)]
    pub storage: Storage,
    /// `[job]`: the job graph (required).
    pub job: Job,
    /// `[checkpoint]`: the protocol and the coordinator's settings.
    #[serde(default)]
    pub checkpoint: Checkpoint,
    /// `[restart]`: the restart strategy.
    #[serde(default)]
    pub restart: Restart,
    /// Faults, in any order.
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// Faults drawn per seed (swarm testing). Default: none.
    #[serde(default)]
    pub swarm: Option<Swarm>,
    /// `[expect]`: what the run must show.
    #[serde(default)]
    pub expect: Expect,
}

fn default_seeds() -> u64 {
    8
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The simulated cluster.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Cluster {
    /// Number of TaskManager nodes `worker-1..N`. Default 3.
    pub workers: usize,
    /// Slots per worker; a slot holds one subtask of every operator (slot
    /// sharing), so a job needs `parallelism` slots. Default 2.
    pub slots_per_worker: usize,
    /// Period of worker → coordinator heartbeats. Default 100ms.
    #[serde(with = "dur")]
    pub heartbeat_interval: Duration,
    /// Silence after which either side declares the other lost. Default 1s.
    #[serde(with = "dur")]
    pub heartbeat_timeout: Duration,
    /// Deadline of a request to the log, storage or sink service before the
    /// caller gives up and fails. Default 1s.
    #[serde(with = "dur")]
    pub rpc_timeout: Duration,
}

impl Default for Cluster {
    fn default() -> Self {
        Cluster {
            workers: 3,
            slots_per_worker: 2,
            heartbeat_interval: Duration::from_millis(100),
            heartbeat_timeout: Duration::from_secs(1),
            rpc_timeout: Duration::from_secs(1),
        }
    }
}

/// Global network behaviour (madsim applies it to every message).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Network {
    /// Lowest one-way latency of a message. Default 1ms.
    #[serde(with = "dur")]
    pub latency_min: Duration,
    /// Highest one-way latency of a message. Default 5ms.
    #[serde(with = "dur")]
    pub latency_max: Duration,
    /// Probability that a transmission is lost; connections retransmit, so on
    /// them a loss shows as delay. Default 0.0.
    pub loss: f64,
    /// Buffers each input channel owns (Flink's exclusive buffers,
    /// `taskmanager.network.memory.buffers-per-channel`): the credit a
    /// receiver announces per channel, and how many buffers a sender queues
    /// per channel before it stops processing (backpressure). Default 2.
    pub buffers_per_channel: usize,
    /// Buffers each task's input side shares among its channels, lent to a
    /// channel whose sender has a backlog (Flink's floating buffers per
    /// gate). Default 8.
    pub floating_buffers: usize,
    /// Records per network buffer: a sender ships a buffer when it is full,
    /// or when the task is done with its current input. Default 64.
    pub buffer_records: usize,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            latency_min: Duration::from_millis(1),
            latency_max: Duration::from_millis(5),
            loss: 0.0,
            buffers_per_channel: 2,
            floating_buffers: 8,
            buffer_records: default_buffer_records(),
        }
    }
}

/// Every node's simulated disk.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Disk {
    /// Shortest fsync. Default 1ms.
    #[serde(with = "dur")]
    pub fsync_latency_min: Duration,
    /// Longest fsync. Default 5ms.
    #[serde(with = "dur")]
    pub fsync_latency_max: Duration,
    /// Probability that a crash tears the first unsynced append, keeping a
    /// prefix of it. Default 0.5.
    pub torn_write_probability: f64,
}

impl Default for Disk {
    fn default() -> Self {
        Disk {
            fsync_latency_min: Duration::from_millis(1),
            fsync_latency_max: Duration::from_millis(5),
            torn_write_probability: 0.5,
        }
    }
}

/// The checkpoint storage service.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Storage {
    /// Copies kept of every blob; a read falls back to a healthy copy. Default 2.
    pub replicas: usize,
}

impl Default for Storage {
    fn default() -> Self {
        Storage { replicas: 2 }
    }
}

/// The streaming job.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// Default parallelism of every operator. Default 2.
    #[serde(default = "default_parallelism")]
    pub parallelism: usize,
    /// Number of key groups; fixed across restores. Default 128.
    #[serde(default = "default_max_parallelism")]
    pub max_parallelism: usize,
    /// Moved to `[network] buffer_records`; a file that still sets it is
    /// refused with that advice.
    #[serde(default, skip_serializing)]
    pub batch_size: Option<usize>,
    /// Whether operators chain (Flink's `pipeline.operator-chaining`): an
    /// operator that reads one input over a forward edge from an operator of
    /// equal parallelism runs in that operator's task, with no channel
    /// between them. Default true.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub chaining: bool,
    /// Operators; the graph's edges are their `input` lists.
    pub operators: Vec<Operator>,
}

fn default_parallelism() -> usize {
    2
}
fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn default_max_parallelism() -> usize {
    128
}
/// Records per network buffer, unless `[network] buffer_records` says.
pub fn default_buffer_records() -> usize {
    64
}

/// One operator of the job graph.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    /// Unique name; tasks are named `id[i]`.
    pub id: String,
    /// What it is: `source`, `map`, `filter`, `keyed_count`, `keyed_sum`,
    /// `keyed_co_sum` or `sink`.
    pub kind: OperatorKind,
    /// Upstream operator ids (none for a source).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input: Vec<String>,
    /// How records reach this operator from its inputs. Default `hash` for
    /// keyed operators, `forward` otherwise (falls back to `rebalance` when
    /// parallelisms differ).
    #[serde(default)]
    pub partition: Option<Partitioning>,
    /// Overrides the job's parallelism.
    #[serde(default)]
    pub parallelism: Option<usize>,
    /// Source only: log partitions. Default 4.
    #[serde(default)]
    pub partitions: Option<usize>,
    /// Source only: total records over all partitions. Default 10000.
    #[serde(default)]
    pub records: Option<u64>,
    /// Source only: distinct keys. Default 50.
    #[serde(default)]
    pub keys: Option<u64>,
    /// Source only: records fetched from the log per request. Default 64.
    #[serde(default)]
    pub fetch_size: Option<usize>,
    /// Sink only: the kind of sink (`two_phase_commit`, `upsert`, `plain`,
    /// `committer`, or a registered one). Default `two_phase_commit`.
    #[serde(default)]
    pub sink: Option<String>,
    /// `map` and `filter` only: the function, from a small catalogue. Map:
    /// `identity` (default), `double`, `negate`. Filter: `even_keys`
    /// (default), `odd_keys`, `small_values` (value ≤ 5).
    #[serde(default, rename = "fn", skip_serializing_if = "Option::is_none")]
    pub func: Option<Function>,
    /// `false`: the operator is never chained, neither to the operator it
    /// reads nor to the one reading it (Flink's `disableChaining`). Default
    /// true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<bool>,
    /// Simulated processing time per record (`"1ms"`): a subtask is busy
    /// that long for each record it reads (a source: each record it
    /// emits), and reads nothing else meanwhile. Default 0.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub cost: Option<Duration>,
}

/// The function of a `map` or `filter` operator.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Function {
    /// Map: the value unchanged.
    Identity,
    /// Map: twice the value.
    Double,
    /// Map: minus the value.
    Negate,
    /// Filter: even keys pass.
    EvenKeys,
    /// Filter: odd keys pass.
    OddKeys,
    /// Filter: values up to 5 pass.
    SmallValues,
}

impl Function {
    /// The name a scenario file writes (`even_keys`).
    pub fn name(self) -> String {
        super::names::name_of(&self)
    }

    /// Whether it is a map function (else a filter predicate).
    pub fn is_map(self) -> bool {
        matches!(self, Function::Identity | Function::Double | Function::Negate)
    }

    /// A map: the new value.
    pub fn map(self, value: i64) -> i64 {
        match self {
            Function::Double => value * 2,
            Function::Negate => -value,
            _ => value,
        }
    }

    /// A filter: whether the record passes.
    pub fn keeps(self, key: u64, value: i64) -> bool {
        match self {
            Function::EvenKeys => key.is_multiple_of(2),
            Function::OddKeys => !key.is_multiple_of(2),
            Function::SmallValues => value <= 5,
            _ => true,
        }
    }
}

/// What an operator is (`kind = "…"`): one of the engine's own operators,
/// or a keyed operator registered by name (`keyed_count`, `keyed_sum`,
/// `keyed_co_sum` are built in; a user's crate registers more).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OperatorKind {
    /// Reads log partitions from checkpointed offsets; injects barriers.
    Source,
    /// Stateless: a function of each record's value.
    Map,
    /// Stateless: keeps the records a predicate accepts.
    Filter,
    /// Keyed state, by the name the operator is registered under: a value
    /// per key, folded over the key's records (`engine::keyed`).
    Keyed(String),
    /// Writes to the external store through its kind of sink.
    Sink,
    /// The committer of a `sink = "committer"` sink (added by the engine,
    /// never written in a file).
    Committer,
}

impl OperatorKind {
    /// Whether it keeps state by key (and is fed by `hash` partitioning by default).
    pub fn is_keyed(&self) -> bool {
        matches!(self, OperatorKind::Keyed(_))
    }

    /// The name a file writes (`source`, `keyed_count`).
    pub fn name(&self) -> &str {
        match self {
            OperatorKind::Source => "source",
            OperatorKind::Map => "map",
            OperatorKind::Filter => "filter",
            OperatorKind::Keyed(name) => name,
            OperatorKind::Sink => "sink",
            OperatorKind::Committer => "committer",
        }
    }

    /// The kind a file's `kind = "name"` means: the engine's own, or else
    /// a keyed operator of that name (validation checks it is registered).
    pub fn from_name(name: &str) -> OperatorKind {
        match name {
            "source" => OperatorKind::Source,
            "map" => OperatorKind::Map,
            "filter" => OperatorKind::Filter,
            "sink" => OperatorKind::Sink,
            other => OperatorKind::Keyed(other.to_string()),
        }
    }

    /// The kinds that are not keyed operators, as files write them.
    pub const ENGINE_KINDS: [&'static str; 4] = ["source", "map", "filter", "sink"];
}

impl Serialize for OperatorKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for OperatorKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(OperatorKind::from_name(&name))
    }
}

/// How records reach an operator from its inputs (`partition = "…"`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Partitioning {
    /// By key group: every record of a key to the subtask owning it.
    Hash,
    /// Subtask i to subtask i (equal parallelisms; else `rebalance`).
    Forward,
    /// Round robin over the downstream subtasks.
    Rebalance,
    /// Every record to every subtask (not into keyed operators).
    Broadcast,
}

/// Checkpointing (Flink's names; docs/rules.md, "Knobs").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Checkpoint {
    /// The barrier protocol: `aligned`, `at_least_once`, `unaligned`,
    /// `aligned_timeout` (docs/rules.md L5–L11), or a registered one. Default `aligned`.
    pub protocol: String,
    /// `aligned_timeout` only: alignment time after which a checkpoint goes
    /// unaligned at that task (L11). Required there, e.g. "20ms".
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub aligned_timeout: Option<Duration>,
    /// Base period between triggers. Default 100ms.
    #[serde(with = "dur")]
    pub interval: Duration,
    /// A pending checkpoint expires after this. Default 2s.
    #[serde(with = "dur")]
    pub timeout: Duration,
    /// Checkpoints in flight at once. Default 1.
    pub max_concurrent: usize,
    /// Gap from a completion to the next trigger. Default 0ms.
    #[serde(with = "dur")]
    pub min_pause: Duration,
    /// Consecutive counted failures allowed before the job fails over. Default 0.
    pub tolerable_failures: u32,
    /// Completed checkpoints kept in storage; older ones are deleted once a
    /// newer one completes. Default 1.
    pub retained: usize,
}

impl Default for Checkpoint {
    fn default() -> Self {
        Checkpoint {
            protocol: "aligned".to_string(),
            aligned_timeout: None,
            interval: Duration::from_millis(100),
            timeout: Duration::from_secs(2),
            max_concurrent: 1,
            min_pause: Duration::ZERO,
            tolerable_failures: 0,
            retained: 1,
        }
    }
}

/// Restart strategy (docs/rules.md, "Recovery"): `strategy` and the fields
/// it takes; an unset field takes its default (see the accessors).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Restart {
    /// `fixed_delay`, `failure_rate`, `exponential_delay` or `none`. Default `fixed_delay`.
    pub strategy: RestartKind,
    /// fixed_delay: restarts allowed. Default 10.
    pub attempts: Option<u32>,
    /// fixed_delay, failure_rate: wait before redeploying. Default 200ms
    /// (fixed_delay), 1s (failure_rate).
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub delay: Option<Duration>,
    /// failure_rate: failures allowed within `failure_interval`. Default 1.
    pub max_failures: Option<u32>,
    /// failure_rate: the sliding window failures are counted in. Default 1m.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub failure_interval: Option<Duration>,
    /// exponential_delay: the first backoff. Default 1s.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub initial_backoff: Option<Duration>,
    /// exponential_delay: the longest backoff. Default 5m.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub max_backoff: Option<Duration>,
    /// exponential_delay: backoff growth per failure. Default 2.0.
    pub multiplier: Option<f64>,
    /// exponential_delay: a failure this long after the last one (plus the
    /// current backoff) resets the backoff. Default 1h.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub reset_backoff_threshold: Option<Duration>,
    /// exponential_delay: random spread of each backoff, as a fraction. Default 0.1.
    pub jitter: Option<f64>,
}

impl Restart {
    /// fixed_delay: restarts before giving up (default 10).
    pub fn attempts(&self) -> u32 {
        self.attempts.unwrap_or(10)
    }
    /// fixed_delay, failure_rate: the wait before a restart.
    pub fn delay(&self) -> Duration {
        let default = if self.strategy == RestartKind::FailureRate { 1000 } else { 200 };
        self.delay.unwrap_or(Duration::from_millis(default))
    }
    /// failure_rate: failures allowed per interval (default 1).
    pub fn max_failures(&self) -> u32 {
        self.max_failures.unwrap_or(1)
    }
    /// failure_rate: the interval failures are counted in (default 60s).
    pub fn failure_interval(&self) -> Duration {
        self.failure_interval.unwrap_or(Duration::from_secs(60))
    }
    /// exponential_delay: the first backoff (default 1s).
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff.unwrap_or(Duration::from_secs(1))
    }
    /// exponential_delay: the longest backoff (default 300s).
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff.unwrap_or(Duration::from_secs(300))
    }
    /// exponential_delay: backoff growth per failure (default 2.0).
    pub fn multiplier(&self) -> f64 {
        self.multiplier.unwrap_or(2.0)
    }
    /// exponential_delay: the quiet time that resets the backoff (default 1h).
    pub fn reset_backoff_threshold(&self) -> Duration {
        self.reset_backoff_threshold.unwrap_or(Duration::from_secs(3600))
    }
    /// exponential_delay: random spread of each backoff (default 0.1).
    pub fn jitter(&self) -> f64 {
        self.jitter.unwrap_or(0.1)
    }
}

/// Flink's restart strategies (`strategy = "…"`).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RestartKind {
    /// A fixed number of attempts, a fixed delay apart.
    #[default]
    FixedDelay,
    /// Give up past `max_failures` failures within `failure_interval`.
    FailureRate,
    /// Backoff growing per failure, reset after a quiet while; never gives up.
    ExponentialDelay,
    /// Never restart: the first failure fails the job.
    None,
}

impl RestartKind {
    /// The name a scenario file writes (`fixed_delay`).
    pub fn name(self) -> String {
        super::names::name_of(&self)
    }
}

/// What the run must show.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Expect {
    /// `exactly_once` or `at_least_once`: which output check applies.
    /// Default: what the protocol and the sinks give (`at_least_once` for
    /// the `at_least_once` protocol, else `exactly_once`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guarantee: Option<Guarantee>,
    /// Checkpoints that must complete, else `liveness` fails. Default 1.
    pub min_completed_checkpoints: u64,
    /// After the last fault (and its heal/restart), the job must finish and
    /// commit everything within this. Default 60s.
    #[serde(with = "dur")]
    pub finish_within: Duration,
    /// How the job must end: `finished`, or `failed` when giving up is the
    /// right outcome (e.g. every copy of a checkpoint rotted). Default `finished`.
    pub end: ExpectedEnd,
    /// Properties that must be violated (in at least one of the seeds): a
    /// scenario that proves a planted bug is caught, e.g. one written by
    /// `ckptsim shrink --bug`. Default none: every property must hold.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violated: Vec<String>,
}

/// How the job must end (`[expect] end = "…"`).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedEnd {
    /// The job finishes and commits everything.
    #[default]
    Finished,
    /// The restart strategy gives up, and says why.
    Failed,
}

impl Default for Expect {
    fn default() -> Self {
        Expect {
            guarantee: None,
            min_completed_checkpoints: 1,
            finish_within: Duration::from_secs(60),
            end: ExpectedEnd::Finished,
            violated: Vec::new(),
        }
    }
}

/// The output guarantee a run is judged by.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Guarantee {
    /// Every record committed once, nothing else.
    #[default]
    ExactlyOnce,
    /// Every record committed, duplicates allowed.
    AtLeastOnce,
}

impl Operator {
    /// A source's log partitions (default 4).
    pub fn partitions(&self) -> usize {
        self.partitions.unwrap_or(4)
    }
    /// A source's records over all partitions (default 10000).
    pub fn records(&self) -> u64 {
        self.records.unwrap_or(10_000)
    }
    /// A source's distinct keys (default 50).
    pub fn keys(&self) -> u64 {
        self.keys.unwrap_or(50)
    }
    /// A source's records per log fetch (default 64).
    pub fn fetch_size(&self) -> usize {
        self.fetch_size.unwrap_or(64)
    }
    /// The kind of sink (a sink's; `two_phase_commit` unless the file says).
    pub fn sink_name(&self) -> &str {
        self.sink.as_deref().unwrap_or("two_phase_commit")
    }
    /// Whether it keeps state by key.
    pub fn is_keyed(&self) -> bool {
        self.kind.is_keyed()
    }

    /// The function of a map or filter.
    pub fn func(&self) -> Function {
        self.func.unwrap_or(if self.kind == OperatorKind::Filter { Function::EvenKeys } else { Function::Identity })
    }
}

impl Scenario {
    /// The operator's effective parallelism.
    pub fn parallelism_of(&self, op: &Operator) -> usize {
        op.parallelism.unwrap_or(self.job.parallelism)
    }
}
