//! The `coordinator` node (JobManager): tracks workers by heartbeat, deploys
//! the job, fails over on any failure through the restart strategy, and runs
//! the `CheckpointCoordinator`, carrying out its effects (triggers, durable
//! metadata, notifications). Its durable disk holds the job attempt, the
//! checkpoint id counter and the latest completed checkpoint, so a restarted
//! coordinator resumes from there.

use super::coordinator::{CheckpointCoordinator, CoordinatorConfig, CoordinatorOut};
use super::graph::ExecutionGraph;
use super::meta::MetaStore;
use super::msg::{Attempt, CheckpointId, CheckpointMeta, Deployment, Msg, TaskId};
use super::restart::{RestartDecision, RestartStrategy};
use super::rpc::Rpc;
use crate::bugs::Bug;
use crate::emit;
use crate::scenario::Scenario;
use crate::sim::disk::SimDisk;
use crate::sim::net::{Net, NetEvent};
use crate::sim::now;
use futures::channel::mpsc::{unbounded, UnboundedSender};
use futures::{select_biased, FutureExt, StreamExt};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// The coordinator's timer resolution.
const TICK: Duration = Duration::from_millis(10);

#[derive(Debug, Clone, PartialEq)]
enum JobStatus {
    /// Waiting for enough slots (or a restart delay) to deploy.
    Scheduling {
        not_before: Duration,
    },
    Running,
    Finished,
    Failed,
}

#[derive(Debug, Clone)]
struct WorkerInfo {
    slots: usize,
    boot: u64,
    last_heartbeat: Duration,
    alive: bool,
}

/// Results of background work, fed back into the main loop.
enum Internal {
    MetadataDurable(CheckpointMeta),
    MetadataFailed(CheckpointId, String),
}

struct JobMaster {
    net: Net<Msg>,
    rpc: Rc<Rpc>,
    meta: MetaStore,
    graph: Arc<ExecutionGraph>,
    scenario: Arc<Scenario>,
    checkpoints: CheckpointCoordinator,
    restart: RestartStrategy,
    workers: BTreeMap<String, WorkerInfo>,
    status: JobStatus,
    placement: BTreeMap<TaskId, String>,
    /// The completed checkpoint that covers all input, once there is one.
    final_checkpoint: Option<CheckpointId>,
    /// Sink tasks' committed-through reports in this attempt.
    committed: BTreeMap<TaskId, CheckpointId>,
    internal: UnboundedSender<Internal>,
}

/// The coordinator's main loop.
pub async fn run(scenario: Arc<Scenario>, graph: Arc<ExecutionGraph>, disk: SimDisk, bug: Option<Bug>) {
    let (net, mut inbox) = Net::<Msg>::bind("coordinator").await;
    let meta = MetaStore::new(disk);
    let durable = meta.load();
    let c = &scenario.checkpoint;
    let config = CoordinatorConfig {
        interval: c.interval,
        timeout: c.timeout,
        max_concurrent: c.max_concurrent,
        min_pause: c.min_pause,
        tolerable_failures: c.tolerable_failures,
        complete_without_all_acks: bug == Some(Bug::CompleteWithoutAllAcks),
    };
    let checkpoints = CheckpointCoordinator::new(config, durable.next_checkpoint, durable.latest.clone());
    let (internal, mut internal_rx) = unbounded();
    let status = if durable.finished.is_some() {
        JobStatus::Finished
    } else {
        JobStatus::Scheduling { not_before: Duration::ZERO }
    };
    emit!(
        "coordinator",
        "coordinator_started",
        attempt = durable.attempt,
        latest = durable.latest.as_ref().map_or(0, |m| m.id)
    );
    let rpc = Rc::new(Rpc::new(net.clone(), scenario.cluster.rpc_timeout));
    let restart = RestartStrategy::new(scenario.restart.clone());
    let mut jm = JobMaster {
        net,
        rpc,
        meta,
        graph,
        scenario,
        checkpoints,
        restart,
        workers: BTreeMap::new(),
        status,
        placement: BTreeMap::new(),
        final_checkpoint: None,
        committed: BTreeMap::new(),
        internal,
    };
    let mut ticks = madsim::time::interval(TICK);
    loop {
        select_biased! {
            event = internal_rx.next() => if let Some(event) = event { jm.on_internal(event).await },
            event = inbox.next() => match event {
                Some(NetEvent::Message { from, msg }) => jm.on_message(&from, msg).await,
                Some(NetEvent::Closed { .. }) => {}
                None => return,
            },
            _ = ticks.tick().fuse() => jm.on_tick().await,
        }
    }
}

impl JobMaster {
    fn attempt(&self) -> Attempt {
        self.meta.get().attempt
    }

    fn tasks(&self) -> BTreeSet<TaskId> {
        self.graph.tasks.keys().copied().collect()
    }

    async fn on_message(&mut self, from: &str, msg: Msg) {
        let Some(msg) = self.rpc.complete(msg) else { return };
        let attempt = self.attempt();
        match msg {
            Msg::Heartbeat { boot, slots } => self.on_heartbeat(from, boot, slots).await,
            Msg::TaskFailed { attempt: a, task, reason } if a == attempt && self.status == JobStatus::Running => {
                self.failover(format!("task {} failed: {reason}", self.graph.name(task))).await;
            }
            Msg::Ack { attempt: a, task, checkpoint, handle, end_of_data } => {
                let outs = self.checkpoints.on_ack(a, task, checkpoint, handle, end_of_data);
                self.carry_out(outs).await;
            }
            Msg::Decline { attempt: a, checkpoint, reason, .. } => {
                let outs = self.checkpoints.on_decline(a, checkpoint, reason);
                self.carry_out(outs).await;
            }
            Msg::Committed { attempt: a, task, checkpoint } if a == attempt => {
                self.committed.insert(task, checkpoint);
                self.check_finished().await;
            }
            _ => {}
        }
    }

    async fn on_heartbeat(&mut self, from: &str, boot: u64, slots: usize) {
        let t = now();
        let known = self.workers.get(from).cloned();
        self.workers.insert(from.to_string(), WorkerInfo { slots, boot, last_heartbeat: t, alive: true });
        match known {
            Some(w) if w.alive && w.boot == boot => {}
            Some(w) if w.alive => {
                emit!("coordinator", "worker_restarted", worker = from, boot = boot);
                if self.status == JobStatus::Running && self.placement.values().any(|p| p == from) {
                    self.failover(format!("{from} restarted")).await;
                }
            }
            _ => {
                emit!("coordinator", "worker_registered", worker = from, boot = boot, slots = slots);
                // A returning worker may still run tasks of an attempt it missed.
                let stale = if self.status == JobStatus::Running { self.attempt() - 1 } else { self.attempt() };
                self.net.send(from, Msg::Cancel { attempt: stale });
            }
        }
        self.net.send(from, Msg::HeartbeatReply);
    }

    async fn on_tick(&mut self) {
        let t = now();
        let timeout = self.scenario.cluster.heartbeat_timeout;
        let lost: Vec<String> = self
            .workers
            .iter()
            .filter(|(_, w)| w.alive && t - w.last_heartbeat > timeout)
            .map(|(n, _)| n.clone())
            .collect();
        for name in lost {
            self.workers.get_mut(&name).expect("listed").alive = false;
            emit!("coordinator", "worker_lost", worker = name);
            if self.status == JobStatus::Running && self.placement.values().any(|p| *p == name) {
                self.failover(format!("{name} lost (no heartbeat for {}ms)", timeout.as_millis())).await;
            }
        }
        match self.status {
            JobStatus::Running => {
                let outs = self.checkpoints.tick(t);
                self.carry_out(outs).await;
            }
            JobStatus::Scheduling { not_before } if t >= not_before => self.try_deploy().await,
            _ => {}
        }
    }

    /// Every task fails over: cancel, ask the restart strategy, reschedule.
    async fn failover(&mut self, reason: String) {
        let attempt = self.attempt();
        let dropped = self.checkpoints.stop();
        for w in self.workers.keys() {
            self.net.send(w, Msg::Cancel { attempt });
        }
        let decision = self.restart.on_failure();
        emit!(
            "coordinator",
            "job_failover",
            attempt = attempt,
            reason = reason,
            failures = self.restart.failures(),
            dropped_checkpoints = format!("{dropped:?}")
        );
        match decision {
            RestartDecision::RestartAfter(delay) => self.status = JobStatus::Scheduling { not_before: now() + delay },
            RestartDecision::Fail(why) => {
                self.status = JobStatus::Failed;
                emit!("coordinator", "job_failed", attempt = attempt, reason = format!("{reason}; {why}"));
            }
        }
    }

    /// Places one subtask of every operator per slot over live workers.
    fn place(&self) -> Option<BTreeMap<TaskId, String>> {
        let needed = self.graph.slots_needed();
        // Spread out over workers (Flink's cluster.evenly-spread-out-slots).
        let alive: Vec<(&String, usize)> =
            self.workers.iter().filter(|(_, w)| w.alive).map(|(n, w)| (n, w.slots)).collect();
        let most = alive.iter().map(|(_, s)| *s).max().unwrap_or(0);
        let slots: Vec<&String> =
            (0..most).flat_map(|i| alive.iter().filter(move |(_, s)| i < *s).map(|(n, _)| *n)).collect();
        if slots.len() < needed {
            return None;
        }
        Some(self.graph.tasks.keys().map(|t| (*t, slots[t.subtask as usize].clone())).collect())
    }

    async fn try_deploy(&mut self) {
        let Some(placement) = self.place() else { return };
        let mut durable = self.meta.get();
        durable.attempt += 1;
        self.meta.persist(durable.clone()).await;
        let attempt = durable.attempt;
        let restore = self.checkpoints.latest_completed().cloned();
        emit!("coordinator", "job_deployed", attempt = attempt, restore = restore.as_ref().map_or(0, |m| m.id));
        for (t, w) in &placement {
            emit!("coordinator", "task_deployed", task = self.graph.name(*t), worker = w, attempt = attempt);
        }
        let deployment = Arc::new(Deployment { attempt, placement: placement.clone(), restore });
        for w in self.workers.keys() {
            self.net.send(w, Msg::Deploy(deployment.clone()));
        }
        self.placement = placement;
        self.committed.clear();
        self.final_checkpoint = None;
        self.checkpoints.start(attempt, self.tasks(), now());
        self.status = JobStatus::Running;
    }
}

impl JobMaster {
    /// Carries out the checkpoint coordinator's effects.
    async fn carry_out(&mut self, outs: Vec<CoordinatorOut>) {
        for out in outs {
            match out {
                CoordinatorOut::Trigger(n) => self.trigger(n).await,
                CoordinatorOut::WriteMetadata(meta) => self.write_metadata(meta),
                CoordinatorOut::NotifyComplete(n) => self.notify_complete(n),
                CoordinatorOut::NotifyAborted(n, reason) => {
                    emit!("coordinator", "checkpoint_aborted", checkpoint = n, reason = reason);
                    let attempt = self.attempt();
                    for (&to, w) in &self.placement {
                        self.net.send(w, Msg::NotifyAborted { attempt, to, checkpoint: n });
                    }
                }
                CoordinatorOut::FailJob(reason) => {
                    if self.status == JobStatus::Running {
                        Box::pin(self.failover(reason)).await;
                    }
                }
            }
        }
    }

    /// L2: the id counter is durable before the trigger leaves, so a
    /// restarted coordinator never reuses an id.
    async fn trigger(&mut self, n: CheckpointId) {
        let mut durable = self.meta.get();
        durable.next_checkpoint = self.checkpoints.next_id();
        self.meta.persist(durable).await;
        let attempt = self.attempt();
        emit!("coordinator", "checkpoint_triggered", checkpoint = n, attempt = attempt);
        for (&to, w) in &self.placement {
            if self.graph.op(to).kind == crate::scenario::OperatorKind::Source {
                self.net.send(w, Msg::Trigger { attempt, to, checkpoint: n });
            }
        }
    }

    /// L14: metadata goes to storage, then the pointer to our own disk; only
    /// then is the checkpoint complete. Runs in the background.
    fn write_metadata(&self, meta: CheckpointMeta) {
        let (rpc, store, internal) = (self.rpc.clone(), self.meta.clone(), self.internal.clone());
        madsim::task::spawn_local(async move {
            let key = format!("chk-{}/_metadata", meta.id);
            let bytes = Arc::new(bincode::serialize(&meta).expect("metadata serializes"));
            let put = rpc.call("storage", |req| Msg::StoragePut { req, key, bytes }).await;
            let result = put.and_then(|m| match m {
                Msg::StorageReply { result, .. } => result.map(|_| ()),
                _ => Err("bad storage reply".into()),
            });
            let event = match result {
                Ok(()) => {
                    let mut durable = store.get();
                    if durable.latest.as_ref().is_none_or(|l| l.id < meta.id) {
                        durable.latest = Some(meta.clone());
                    }
                    store.persist(durable).await;
                    Internal::MetadataDurable(meta)
                }
                Err(reason) => Internal::MetadataFailed(meta.id, reason),
            };
            let _ = internal.unbounded_send(event);
        });
    }

    async fn on_internal(&mut self, event: Internal) {
        let outs = match event {
            Internal::MetadataDurable(meta) => {
                if meta.attempt == self.attempt() && meta.end_of_data {
                    self.final_checkpoint = Some(meta.id);
                }
                self.checkpoints.on_metadata_durable(meta, now())
            }
            Internal::MetadataFailed(n, reason) => self.checkpoints.on_metadata_failed(n, reason),
        };
        self.carry_out(outs).await;
    }

    fn notify_complete(&self, n: CheckpointId) {
        let attempt = self.attempt();
        let latest = self.checkpoints.latest_completed().expect("just completed");
        emit!(
            "coordinator",
            "checkpoint_completed",
            checkpoint = n,
            attempt = attempt,
            acks = latest.states.len(),
            end_of_data = latest.end_of_data
        );
        for (&to, w) in &self.placement {
            self.net.send(w, Msg::NotifyComplete { attempt, to, checkpoint: n });
        }
    }

    /// The job is done once every sink subtask committed through the
    /// checkpoint that covers all input.
    async fn check_finished(&mut self) {
        let Some(last) = self.final_checkpoint else { return };
        let sinks: Vec<TaskId> = self
            .placement
            .keys()
            .filter(|t| self.graph.op(**t).kind == crate::scenario::OperatorKind::Sink)
            .copied()
            .collect();
        if self.status != JobStatus::Running || !sinks.iter().all(|t| self.committed.get(t).is_some_and(|c| *c >= last))
        {
            return;
        }
        let mut durable = self.meta.get();
        durable.finished = Some(last);
        self.meta.persist(durable).await;
        self.checkpoints.stop();
        self.status = JobStatus::Finished;
        let attempt = self.attempt();
        emit!("coordinator", "job_finished", checkpoint = last, attempt = attempt);
        for w in self.workers.keys() {
            self.net.send(w, Msg::Cancel { attempt });
        }
    }
}
