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

use super::{Case, Judgement, Property};
use crate::engine::keys;
use crate::oracle::evidence::Evidence;
use crate::oracle::violation::{examples, Violation};
use crate::scenario::ids::{Attempt, CheckpointId};
use crate::scenario::Scenario;
use crate::trace::event::{ErrorKind, FailoverKind};
use crate::trace::fault_act::{self, Step};
use crate::trace::{Event, TraceEvent};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The `explained_failovers` property.
pub struct ExplainedFailovers;

impl Property for ExplainedFailovers {
    fn names(&self) -> &'static [&'static str] {
        &["explained_failovers"]
    }

    fn check(&self, j: &Case, out: &mut Judgement) {
        out.violations.extend(explained_failovers(j.scenario, j.ev));
    }
}

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
    let acts = r.events.iter().filter_map(|e| match &e.event {
        Event::Fault(act) => Some((e.time, act)),
        _ => None,
    });
    // fault → when it stopped acting
    let ended: BTreeMap<usize, Duration> = acts
        .clone()
        .filter(|(_, act)| matches!(act.step, Step::Ended { .. }))
        .rev()
        .map(|(t, act)| (act.fault, t))
        .collect();
    let mut out = vec![];
    if scenario.network.loss > 0.0 {
        out.push(Window { start: Duration::ZERO, end: Duration::MAX, effect: Effect::Global { lossy: true } });
    }
    for (start, act) in acts {
        let Some(strike) = act.strike() else { continue };
        let end = ended.get(&act.fault).copied();
        let effect = match &strike.effect {
            fault_act::Effect::Stopped { node, crash } => {
                Effect::Stopped { node: node.clone(), crash: *crash, restarted: end.filter(|_| *crash) }
            }
            fault_act::Effect::Cut { from, to, .. } => {
                Effect::Link { from: from.clone(), to: to.clone(), lossy: false }
            }
            fault_act::Effect::Isolated { node } => {
                Effect::Link { from: vec![node.clone()], to: vec!["*".into()], lossy: false }
            }
            fault_act::Effect::Degraded { from, to, lossy } => {
                Effect::Link { from: from.clone(), to: to.clone(), lossy: *lossy }
            }
            fault_act::Effect::Global { lossy } => Effect::Global { lossy: *lossy },
            fault_act::Effect::Disk { node } => Effect::Disk { node: node.clone() },
            fault_act::Effect::Rot { key } => Effect::Rot { key: key.clone() },
            // Neither restarts anything nor loses a message.
            fault_act::Effect::Rescale | fault_act::Effect::Slowed { .. } => continue,
        };
        let end = end.unwrap_or(Duration::MAX);
        out.push(Window { start, end: end.saturating_add(strike.linger), effect });
    }
    out
}

/// Per attempt: when it was deployed and where each task ran.
struct Deployments {
    at: BTreeMap<Attempt, Duration>,
    placement: BTreeMap<(Attempt, String), String>,
}

fn deployments(ev: &Evidence) -> Deployments {
    let mut at = BTreeMap::new();
    let mut placement = BTreeMap::new();
    for e in &ev.record.events {
        match &e.event {
            Event::JobDeployed { attempt, .. } => {
                at.insert(*attempt, e.time);
            }
            Event::TaskDeployed { task, worker, attempt, .. } => {
                placement.insert((*attempt, task.clone()), worker.clone());
            }
            _ => {}
        }
    }
    Deployments { at, placement }
}

pub fn explained_failovers(scenario: &Scenario, ev: &Evidence) -> Vec<Violation> {
    let events = &ev.record.events;
    let failed_at = events
        .iter()
        .filter_map(|e| match &e.event {
            Event::TaskFailed { task, attempt, .. } => Some(((*attempt, task.clone()), e.time)),
            _ => None,
        })
        .collect();
    let rescales = events
        .iter()
        .filter(|e| matches!(&e.event, Event::Fault(act) if act.strike().is_some_and(|s| s.effect == fault_act::Effect::Rescale)))
        .map(|e| e.time)
        .collect();
    let judge = Judge {
        windows: windows(scenario, ev),
        deployments: deployments(ev),
        failed_at,
        heartbeat: scenario.cluster.heartbeat_timeout + scenario.cluster.heartbeat_interval * 2 + SLACK,
        rpc: scenario.cluster.rpc_timeout + SLACK,
        rescales,
    };
    let mut used_restarts = BTreeSet::new();
    let unexplained: Vec<(&TraceEvent, Failover)> = events
        .iter()
        .filter_map(|e| Failover::of(e).map(|f| (e, f)))
        .filter(|(e, f)| !judge.explains(e.time, f, &mut used_restarts))
        .collect();
    let Some((first, _)) = unexplained.first() else { return vec![] };
    let described = unexplained
        .iter()
        .map(|(e, f)| format!("at {:.3}s (attempt {}): {}", e.time.as_secs_f64(), f.attempt, f.reason));
    // Located at the first failover nothing explains.
    vec![Violation::new(
        PROPERTY,
        format!("{} failovers no injected fault explains: {}", unexplained.len(), examples(described)),
    )
    .at(first.time)
    .node(&first.node)]
}

/// A failover as the trace tells it.
struct Failover<'e> {
    attempt: Attempt,
    cause: FailoverKind,
    /// The node the cause points at.
    peer: &'e str,
    task: &'e str,
    error: Option<ErrorKind>,
    service: &'e str,
    upstream: &'e str,
    checkpoint: Option<CheckpointId>,
    reason: &'e str,
}

impl<'e> Failover<'e> {
    fn of(e: &'e TraceEvent) -> Option<Failover<'e>> {
        let Event::JobFailover { attempt, cause, peer, task, error, service, upstream, checkpoint, reason, .. } =
            &e.event
        else {
            return None;
        };
        let text = |s: &'e Option<String>| s.as_deref().unwrap_or("-");
        Some(Failover {
            attempt: *attempt,
            cause: *cause,
            peer: text(&peer.0),
            task: text(&task.0),
            error: error.0,
            service: text(&service.0),
            upstream: text(&upstream.0),
            checkpoint: checkpoint.0,
            reason,
        })
    }
}

/// Detection delays beyond the configured timeouts (ticks, scheduling).
const SLACK: Duration = Duration::from_millis(100);

struct Judge {
    windows: Vec<Window>,
    deployments: Deployments,
    /// (attempt, task) → when the task reported its failure.
    failed_at: BTreeMap<(Attempt, String), Duration>,
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

    fn explains(&self, t: Duration, f: &Failover, used_restarts: &mut BTreeSet<usize>) -> bool {
        let node = f.peer;
        match f.cause {
            FailoverKind::CheckpointFailures => true,
            // An injected rescale request, at or before it.
            FailoverKind::Rescale => self.rescales.iter().any(|r| *r <= t),
            FailoverKind::WorkerLost | FailoverKind::TasksLost => {
                let lo = t.saturating_sub(self.heartbeat * 2);
                self.any(lo, t, |w| w.disturbs_link(node, "coordinator") || w.on_disk_of("coordinator"))
            }
            FailoverKind::WorkerRestarted => self.claim_restart(node, t, used_restarts),
            FailoverKind::RecoveryFailed => self.storage_trouble("coordinator", f, t.saturating_sub(self.rpc), t),
            FailoverKind::TaskFailed => self.task_failure(f, node, t),
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

    fn task_failure(&self, f: &Failover, worker: &str, t: Duration) -> bool {
        let attempt = f.attempt;
        // When the task failed (the coordinator may hear of it later).
        let t = self.failed_at.get(&(attempt, f.task.to_string())).copied().unwrap_or(t).min(t);
        let since = self.deployments.at.get(&attempt).copied().unwrap_or_default().saturating_sub(SLACK);
        let service = f.service;
        match f.error {
            Some(ErrorKind::Timeout) => {
                self.any(t.saturating_sub(self.rpc), t, |w| w.disturbs_link(worker, service) || w.on_disk_of(service))
            }
            // A refused request, or lost writes behind it: any trouble at the
            // service, or between it and the task, during the attempt.
            Some(ErrorKind::Service) => self.any(since, t, |w| {
                w.disturbs_link(worker, service) || w.on_disk_of(service) || matches!(w.effect, Effect::Rot { .. })
            }),
            Some(ErrorKind::LostMessages) => {
                let Some(from) = self.deployments.placement.get(&(attempt, f.upstream.to_string())) else {
                    return false;
                };
                self.any(since, t, |w| w.loses_between(from, worker))
            }
            Some(ErrorKind::Restore) => self.storage_trouble(worker, f, since, t),
            Some(ErrorKind::Other) | None => false,
        }
    }

    /// Reading checkpoint storage failed: storage, its disk or the link to
    /// it was disturbed in `[lo, t]`, or a blob of that checkpoint rotted.
    fn storage_trouble(&self, reader: &str, f: &Failover, lo: Duration, t: Duration) -> bool {
        let of_checkpoint = |key: &str| f.checkpoint.is_some_and(|n| keys::checkpoint_of(key) == Some(n));
        let rotted =
            self.windows.iter().any(|w| matches!(&w.effect, Effect::Rot { key } if of_checkpoint(key)) && w.start <= t);
        rotted || self.any(lo, t, |w| w.disturbs_link(reader, "storage") || w.on_disk_of("storage"))
    }
}
