//! `explained_failovers`: every failover has a cause an injected fault
//! explains (or counted checkpoint failures past `tolerable_failures`). A
//! failover nothing explains — say a task failing on a stale attempt's
//! leftovers — is a bug the job heals and hides, so it is a violation.
//!
//! The faults are rebuilt from the trace as windows (when each acted, on
//! which nodes and links); each failover cause names what must have been
//! disturbed, and when, for a fault to explain it:
//!
//! | cause | explained by a fault that … |
//! |---|---|
//! | worker lost / tasks lost | stopped the worker or the coordinator, disturbed their link, or stalled the coordinator's disk, within a heartbeat timeout before |
//! | worker restarted | crashed (and restarted) that worker |
//! | task: timeout or service error | touched the service, the task's worker or their link (or the service's disk) within an RPC timeout before, or during the attempt for lost writes |
//! | task: lost messages | could lose messages between the two workers during the attempt (a lossy link, global loss, a crash) |
//! | task: restore / recovery failed | touched storage or its link, or rotted a blob of that checkpoint |
//! | checkpoint failures | (always explained: L18 counts them) |

use super::evidence::{events, Evidence};
use super::violation::{examples, Violation};
use crate::scenario::{FaultKind, Scenario};
use crate::trace::TraceEvent;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const PROPERTY: &str = "explained_failovers";

/// What one fired fault did, and when.
#[derive(Debug, Clone)]
struct Window {
    start: Duration,
    /// When it healed (or `MAX`: it never did), plus how long what it did
    /// outlasts the heal (an fsync or a delay already under way).
    end: Duration,
    effect: Effect,
}

#[derive(Debug, Clone)]
enum Effect {
    /// A node stopped (crashed or paused); `restarted` for a crash that came back.
    Stopped { node: String, crash: bool, restarted: Option<Duration> },
    /// Messages between `a` and `b` were held, delayed or (`lossy`) dropped.
    Link { from: Vec<String>, to: Vec<String>, lossy: bool },
    /// Every link: a global latency or loss change.
    Global { lossy: bool },
    /// A node's disk failed or slowed.
    Disk { node: String },
    /// Copies of a blob rotted.
    Rot { key: String },
}

impl Window {
    fn active_within(&self, lo: Duration, hi: Duration) -> bool {
        self.start <= hi && self.end >= lo
    }

    /// Whether the fault disturbed messages between `x` and `y` (either way).
    fn disturbs_link(&self, x: &str, y: &str) -> bool {
        match &self.effect {
            Effect::Stopped { node, .. } => node == x || node == y,
            Effect::Link { from, to, .. } => {
                let has = |g: &[String], n: &str| g.iter().any(|m| m == n || m == "*");
                (has(from, x) && has(to, y)) || (has(from, y) && has(to, x))
            }
            Effect::Global { .. } => true,
            Effect::Disk { .. } | Effect::Rot { .. } => false,
        }
    }

    /// Whether the fault could lose messages between `x` and `y`.
    fn loses_between(&self, x: &str, y: &str) -> bool {
        match &self.effect {
            Effect::Stopped { crash, .. } => *crash && self.disturbs_link(x, y),
            Effect::Link { lossy, .. } | Effect::Global { lossy } => *lossy && self.disturbs_link(x, y),
            _ => false,
        }
    }

    fn on_disk_of(&self, n: &str) -> bool {
        matches!(&self.effect, Effect::Disk { node } if node == n)
    }
}

/// The windows of every fault that fired, from the trace.
fn windows(scenario: &Scenario, ev: &Evidence) -> Vec<Window> {
    let r = ev.record;
    let end_of = |i: &str, kinds: &[&str]| {
        r.events
            .iter()
            .find(|e| kinds.contains(&e.kind.as_str()) && e.field("fault") == Some(i))
            .map_or(Duration::MAX, |e| e.time)
    };
    let mut out = vec![];
    if scenario.network.loss > 0.0 {
        out.push(Window { start: Duration::ZERO, end: Duration::MAX, effect: Effect::Global { lossy: true } });
    }
    for e in r.events.iter().filter(|e| e.node == "world") {
        let Some(i) = e.field("fault") else { continue };
        let Some(fault) = i.parse::<usize>().ok().and_then(|i| r.faults.get(i)) else { continue };
        let node = || e.field("target").unwrap_or("").to_string();
        let effect = match (e.kind.as_str(), fault.kind()) {
            ("fault_crash", _) => {
                let restarted = Some(end_of(i, &["fault_restart"])).filter(|t| *t != Duration::MAX);
                Effect::Stopped { node: node(), crash: true, restarted }
            }
            ("fault_pause", _) => Effect::Stopped { node: node(), crash: false, restarted: None },
            ("fault_cut", FaultKind::Partition { a, b, .. }) => Effect::Link { from: a, to: b, lossy: false },
            ("fault_cut", FaultKind::Isolate { .. }) => {
                Effect::Link { from: vec![e.field("link").unwrap_or("").into()], to: vec!["*".into()], lossy: false }
            }
            ("fault_link", FaultKind::Link { from, to, loss, .. }) => Effect::Link { from, to, lossy: loss > 0.0 },
            ("fault_network", FaultKind::Network { loss, .. }) => Effect::Global { lossy: loss.unwrap_or(0.0) > 0.0 },
            ("fault_disk", _) => Effect::Disk { node: node() },
            ("fault_bit_rot", _) => Effect::Rot { key: e.field("key").unwrap_or("").into() },
            _ => continue,
        };
        let end = match e.kind.as_str() {
            "fault_crash" => end_of(i, &["fault_restart"]),
            "fault_pause" => end_of(i, &["fault_resume"]),
            "fault_cut" | "fault_link" => end_of(i, &["fault_heal"]),
            "fault_network" => end_of(i, &["fault_network_healed"]),
            "fault_disk" => end_of(i, &["fault_disk_healed"]),
            _ => Duration::MAX,
        };
        out.push(Window { start: e.time, end: end.saturating_add(linger(&fault.kind())), effect });
    }
    out
}

/// How long a fault's doing outlasts its heal: an fsync or a message delay
/// drawn while it acted still runs its course.
fn linger(kind: &FaultKind) -> Duration {
    match kind {
        FaultKind::Disk { faults, .. } => faults.fsync_latency.map_or(Duration::ZERO, |(_, max)| max),
        FaultKind::Link { latency, .. } => latency.map_or(Duration::ZERO, |(_, max)| max),
        FaultKind::Network { latency_max, .. } => latency_max.unwrap_or_default(),
        _ => Duration::ZERO,
    }
}

/// Per attempt: when it was deployed and where each task ran.
struct Deployments {
    at: BTreeMap<u64, Duration>,
    placement: BTreeMap<(u64, String), String>,
}

fn deployments(ev: &Evidence) -> Deployments {
    let mut at = BTreeMap::new();
    let mut placement = BTreeMap::new();
    for e in &ev.record.events {
        match e.kind.as_str() {
            "job_deployed" => {
                at.insert(e.num("attempt").unwrap_or(0), e.time);
            }
            "task_deployed" => {
                if let (Some(a), Some(t), Some(w)) = (e.num("attempt"), e.field("task"), e.field("worker")) {
                    placement.insert((a, t.to_string()), w.to_string());
                }
            }
            _ => {}
        }
    }
    Deployments { at, placement }
}

pub fn explained_failovers(scenario: &Scenario, ev: &Evidence) -> Vec<Violation> {
    let failed_at = events(ev.record, "task_failed")
        .filter_map(|e| Some(((e.num("attempt")?, e.field("task")?.to_string()), e.time)))
        .collect();
    let judge = Judge {
        windows: windows(scenario, ev),
        deployments: deployments(ev),
        failed_at,
        heartbeat: scenario.cluster.heartbeat_timeout + scenario.cluster.heartbeat_interval * 2 + SLACK,
        rpc: scenario.cluster.rpc_timeout + SLACK,
        rescales: events(ev.record, "fault_rescale").map(|e| e.time).collect(),
    };
    let mut used_restarts = BTreeSet::new();
    let unexplained: Vec<&TraceEvent> =
        events(ev.record, "job_failover").filter(|e| !judge.explains(e, &mut used_restarts)).collect();
    let Some(first) = unexplained.first() else { return vec![] };
    let described = unexplained.iter().map(|e| {
        format!(
            "at {:.3}s (attempt {}): {}",
            e.time.as_secs_f64(),
            e.field("attempt").unwrap_or("?"),
            e.field("reason").unwrap_or("?")
        )
    });
    // Located at the first failover nothing explains.
    vec![Violation::new(
        PROPERTY,
        format!("{} failovers no injected fault explains: {}", unexplained.len(), examples(described)),
    )
    .at(first.time)
    .node(&first.node)]
}

/// Detection delays beyond the configured timeouts (ticks, scheduling).
const SLACK: Duration = Duration::from_millis(100);

struct Judge {
    windows: Vec<Window>,
    deployments: Deployments,
    /// (attempt, task) → when the task reported its failure.
    failed_at: BTreeMap<(u64, String), Duration>,
    /// How far back a fault can cause a heartbeat loss.
    heartbeat: Duration,
    /// How far back a fault can cause an RPC timeout.
    rpc: Duration,
    /// When rescale requests were injected.
    rescales: Vec<Duration>,
}

impl Judge {
    fn any(&self, lo: Duration, hi: Duration, f: impl Fn(&Window) -> bool) -> bool {
        self.windows.iter().any(|w| w.active_within(lo, hi) && f(w))
    }

    fn explains(&self, e: &TraceEvent, used_restarts: &mut BTreeSet<usize>) -> bool {
        let t = e.time;
        let node = e.field("peer").unwrap_or("");
        match e.field("cause").unwrap_or("") {
            "checkpoint_failures" => true,
            // An injected rescale request, at or before it.
            "rescale" => self.rescales.iter().any(|r| *r <= t),
            "worker_lost" | "tasks_lost" => {
                let lo = t.saturating_sub(self.heartbeat * 2);
                self.any(lo, t, |w| w.disturbs_link(node, "coordinator") || w.on_disk_of("coordinator"))
            }
            "worker_restarted" => self.claim_restart(node, t, used_restarts),
            "recovery_failed" => self.storage_trouble("coordinator", e, t.saturating_sub(self.rpc), t),
            "task_failed" => self.task_failure(e, node, t),
            _ => false,
        }
    }

    /// A crash of `worker` that came back before `t` and explains no other restart.
    fn claim_restart(&self, worker: &str, t: Duration, used: &mut BTreeSet<usize>) -> bool {
        let found = self.windows.iter().enumerate().find(|(i, w)| {
            !used.contains(i)
                && matches!(&w.effect, Effect::Stopped { node, crash: true, restarted: Some(r) } if node == worker && *r <= t)
        });
        found.map(|(i, _)| used.insert(i)).is_some()
    }

    fn task_failure(&self, e: &TraceEvent, worker: &str, t: Duration) -> bool {
        let attempt = e.num("attempt").unwrap_or(0);
        // When the task failed (the coordinator may hear of it later).
        let t = self.failed_at.get(&(attempt, e.field("task").unwrap_or("").to_string())).copied().unwrap_or(t).min(t);
        let since = self.deployments.at.get(&attempt).copied().unwrap_or_default().saturating_sub(SLACK);
        let service = e.field("service").unwrap_or("-");
        match e.field("error").unwrap_or("") {
            "timeout" => {
                self.any(t.saturating_sub(self.rpc), t, |w| w.disturbs_link(worker, service) || w.on_disk_of(service))
            }
            // A refused request, or lost writes behind it: any trouble at the
            // service, or between it and the task, during the attempt.
            "service" => self.any(since, t, |w| {
                w.disturbs_link(worker, service) || w.on_disk_of(service) || matches!(w.effect, Effect::Rot { .. })
            }),
            "lost_messages" => {
                let upstream = e.field("upstream").unwrap_or("");
                let Some(from) = self.deployments.placement.get(&(attempt, upstream.to_string())) else { return false };
                self.any(since, t, |w| w.loses_between(from, worker))
            }
            "restore" => self.storage_trouble(worker, e, since, t),
            _ => false,
        }
    }

    /// Reading checkpoint storage failed: storage, its disk or the link to
    /// it was disturbed in `[lo, t]`, or a blob of that checkpoint rotted.
    fn storage_trouble(&self, reader: &str, e: &TraceEvent, lo: Duration, t: Duration) -> bool {
        let prefix = format!("chk-{}/", e.field("checkpoint").unwrap_or("?"));
        let rotted = self
            .windows
            .iter()
            .any(|w| matches!(&w.effect, Effect::Rot { key } if key.starts_with(&prefix)) && w.start <= t);
        rotted || self.any(lo, t, |w| w.disturbs_link(reader, "storage") || w.on_disk_of("storage"))
    }
}
