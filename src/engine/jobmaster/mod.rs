//! The `coordinator` node (JobManager): tracks workers by heartbeat, deploys
//! the job, fails over on any failure through the restart strategy, and runs
//! the `CheckpointCoordinator`, carrying out its effects (`checkpointing`).
//! Its durable disk holds the job attempt, the checkpoint id counter and the
//! completed checkpoint store, so a restarted coordinator resumes from there:
//! it reads the latest checkpoint's metadata back from storage before it
//! deploys, and a checkpoint it cannot read fails recovery (retried by the
//! restart strategy), never silently skipped (L20).
//!
//! Every failover names its cause (`FailoverCause`), so the oracles can tell
//! a failover an injected fault explains from one nothing explains.

mod checkpointing;
mod failover;

use super::coordinator::{CheckpointCoordinator, CoordinatorBugs, CoordinatorConfig};
use super::graph::ExecutionGraph;
use super::meta::{DurableMeta, MetaStore};
use super::msg::{Attempt, CheckpointId, CheckpointMeta, CheckpointMsg, ClientMsg, ControlMsg, Msg, TaskError, TaskId};
use super::registry::Registry;
use super::restart::RestartStrategy;
use super::rpc::Rpc;
use crate::scenario::Scenario;
use crate::sim::alarm::Ticker;
use crate::sim::disk::SimDisk;
use crate::sim::net::{Net, NetEvent};
use crate::sim::now;
use crate::sim::rng::SeedTree;
use crate::trace::{emit, Event};
use failover::{FailoverCause, RecoveryError};
use futures::channel::mpsc::{unbounded, UnboundedSender};
use futures::{select_biased, FutureExt, StreamExt};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// The coordinator's timer resolution.
const TICK: Duration = Duration::from_millis(10);

/// How long a coordinator whose disk fails to read waits before trying again.
const DISK_RETRY: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, PartialEq)]
enum JobStatus {
    /// Waiting for enough slots (or a restart delay) to deploy.
    Scheduling {
        not_before: Duration,
    },
    /// Reading the latest checkpoint's metadata back from storage.
    Restoring,
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
    MetadataWritten(CheckpointMeta),
    MetadataFailed(CheckpointId, TaskError),
    RestoreLoaded(CheckpointMeta),
    RestoreFailed(CheckpointId, RecoveryError),
}

/// Everything the coordinator runs with.
pub struct CoordinatorEnv {
    pub scenario: Arc<Scenario>,
    pub graph: Arc<ExecutionGraph>,
    /// Where the job's components resolve (a rescale builds a new graph).
    pub registry: Arc<Registry>,
    pub disk: SimDisk,
    pub seeds: SeedTree,
    /// The planted bugs switched on in the coordinator.
    pub bugs: CoordinatorBugs,
}

struct JobMaster {
    net: Net<Msg>,
    rpc: Rc<Rpc>,
    meta: MetaStore,
    graph: Arc<ExecutionGraph>,
    scenario: Arc<Scenario>,
    registry: Arc<Registry>,
    bugs: CoordinatorBugs,
    checkpoints: CheckpointCoordinator,
    restart: RestartStrategy,
    workers: BTreeMap<String, WorkerInfo>,
    status: JobStatus,
    placement: BTreeMap<TaskId, String>,
    /// The completed checkpoint that covers all input, once there is one.
    final_checkpoint: Option<CheckpointId>,
    /// Sink tasks' committed-through reports in this attempt.
    committed: BTreeMap<TaskId, CheckpointId>,
    /// Attempts whose stale acks were already reported in the trace.
    stale_reported: BTreeSet<Attempt>,
    internal: UnboundedSender<Internal>,
    /// Rescale requests not yet applied, in arrival order; one is taken per
    /// tick while the job runs or waits to be scheduled.
    rescales: VecDeque<RescaleRequest>,
}

/// A client's request to rescale an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RescaleRequest {
    /// The node that asked, for the answer.
    from: String,
    fault: usize,
    operator: String,
    parallelism: usize,
}

/// The coordinator's main loop.
pub async fn run(env: Arc<CoordinatorEnv>, boot: u64) {
    let (net, mut inbox) = Net::<Msg>::bind("coordinator").await;
    let meta = MetaStore::new(env.disk.clone());
    let durable = load(&meta).await;
    let (internal, mut internal_rx) = unbounded();
    let mut jm = JobMaster::new(&env, net, meta, &durable, internal, boot);
    emit(
        "coordinator",
        Event::CoordinatorStarted { attempt: durable.attempt, latest: durable.completed.last().copied().unwrap_or(0) },
    );
    let mut ticks = Ticker::new(TICK);
    loop {
        select_biased! {
            event = internal_rx.next() => if let Some(event) = event { jm.on_internal(event).await },
            event = inbox.next() => match event {
                Some(NetEvent::Message { from, msg }) => jm.on_message(&from, msg).await,
                Some(NetEvent::Closed { .. } | NetEvent::Undelivered { .. }) => {}
                None => return,
            },
            _ = ticks.tick().fuse() => jm.on_tick().await,
        }
    }
}

/// Reads the durable record, retrying while the disk fails to read.
async fn load(meta: &MetaStore) -> DurableMeta {
    loop {
        match meta.load() {
            Ok(durable) => return durable,
            Err(e) => {
                emit("coordinator", Event::CoordinatorDiskError { error: e.clone() });
                madsim::time::sleep(DISK_RETRY).await;
            }
        }
    }
}

impl JobMaster {
    fn new(
        env: &CoordinatorEnv,
        net: Net<Msg>,
        meta: MetaStore,
        durable: &DurableMeta,
        internal: UnboundedSender<Internal>,
        boot: u64,
    ) -> JobMaster {
        let c = &env.scenario.checkpoint;
        let config = CoordinatorConfig {
            interval: c.interval,
            timeout: c.timeout,
            max_concurrent: c.max_concurrent,
            min_pause: c.min_pause,
            tolerable_failures: c.tolerable_failures,
            retained: c.retained,
            bugs: env.bugs,
        };
        let checkpoints = CheckpointCoordinator::new(config, durable.next_checkpoint, durable.completed.clone());
        let status = if durable.finished.is_some() {
            JobStatus::Finished
        } else {
            JobStatus::Scheduling { not_before: Duration::ZERO }
        };
        let rng = env.seeds.stream(&format!("restart:{boot}"));
        JobMaster {
            rpc: Rc::new(Rpc::new(net.clone(), env.scenario.cluster.rpc_timeout, boot)),
            net,
            meta,
            graph: if durable.parallelism.is_empty() {
                env.graph.clone()
            } else {
                Arc::new(crate::engine::job::graph_with(&env.scenario, &env.registry, &durable.parallelism))
            },
            scenario: env.scenario.clone(),
            registry: env.registry.clone(),
            bugs: env.bugs,
            checkpoints,
            restart: RestartStrategy::new(env.scenario.restart.clone(), rng)
                .off_by_one(env.bugs.restart_gives_up_early, env.bugs.restart_gives_up_late),
            workers: BTreeMap::new(),
            status,
            placement: BTreeMap::new(),
            final_checkpoint: None,
            committed: BTreeMap::new(),
            stale_reported: BTreeSet::new(),
            internal,
            rescales: VecDeque::new(),
        }
    }

    fn attempt(&self) -> Attempt {
        self.meta.get().attempt
    }

    fn tasks(&self) -> BTreeSet<TaskId> {
        self.graph.tasks.keys().copied().collect()
    }

    async fn on_message(&mut self, from: &str, msg: Msg) {
        let Some(msg) = self.rpc.complete(msg) else { return };
        match msg {
            Msg::Control(msg) => self.on_control(from, msg).await,
            Msg::Checkpoint(msg) => self.on_checkpoint(from, msg).await,
            Msg::Client(msg) => self.on_client(from, msg),
            // Tasks exchange data among themselves; service replies are
            // taken by the RPC layer above; requests to services never
            // come here.
            Msg::Data(_) | Msg::Log(_) | Msg::Storage(_) | Msg::Sink(_) => {}
        }
    }

    async fn on_control(&mut self, from: &str, msg: ControlMsg) {
        match msg {
            ControlMsg::Heartbeat { boot, slots, cancelled } => self.on_heartbeat(from, boot, slots, cancelled).await,
            ControlMsg::TaskFailed { attempt, task, error } => {
                if attempt == self.attempt() && self.status == JobStatus::Running {
                    let worker = self.placement.get(&task).cloned().unwrap_or_default();
                    let cause = FailoverCause::TaskFailed { task: self.graph.name(task), worker, error };
                    self.failover(cause).await;
                }
            }
            // What the coordinator sends, never receives.
            ControlMsg::HeartbeatReply | ControlMsg::Deploy(_) | ControlMsg::Cancel { .. } => {}
        }
    }

    async fn on_checkpoint(&mut self, from: &str, msg: CheckpointMsg) {
        let attempt = self.attempt();
        match msg {
            CheckpointMsg::Ack { attempt: a, task, checkpoint, handle, end_of_data } => {
                if a != attempt {
                    self.report_stale(a, "ack", from);
                }
                let outs = self.checkpoints.on_ack(a, task, checkpoint, handle, end_of_data);
                self.carry_out(outs).await;
            }
            CheckpointMsg::Decline { attempt: a, checkpoint, reason, .. } => {
                let outs = self.checkpoints.on_decline(a, checkpoint, reason);
                self.carry_out(outs).await;
            }
            CheckpointMsg::Committed { attempt: a, task, checkpoint } => {
                if a == attempt {
                    self.committed.insert(task, checkpoint);
                    self.check_finished().await;
                }
            }
            // What the coordinator sends, never receives.
            CheckpointMsg::Trigger { .. }
            | CheckpointMsg::NotifyComplete { .. }
            | CheckpointMsg::NotifyAborted { .. } => {}
        }
    }

    fn on_client(&mut self, from: &str, msg: ClientMsg) {
        match msg {
            ClientMsg::Rescale { fault, operator, parallelism } => {
                if self.meta.get().rescales.contains(&fault) {
                    self.net.send(from, Msg::Client(ClientMsg::RescaleAccepted { fault }));
                } else if !self.rescales.iter().any(|r| r.fault == fault) {
                    self.rescales.push_back(RescaleRequest { from: from.to_string(), fault, operator, parallelism });
                }
            }
            // The coordinator's answer, never its question.
            ClientMsg::RescaleAccepted { .. } => {}
        }
    }

    /// The first message of a superseded attempt that reaches us, per attempt.
    fn report_stale(&mut self, attempt: Attempt, what: &'static str, from: &str) {
        if self.stale_reported.insert(attempt) {
            emit("coordinator", Event::StaleAtCoordinator { attempt, msg: what, from: from.to_owned() });
        }
    }

    async fn on_heartbeat(&mut self, from: &str, boot: u64, slots: usize, cancelled: Option<Attempt>) {
        let t = now();
        let known = self.workers.get(from).cloned();
        self.workers.insert(from.to_string(), WorkerInfo { slots, boot, last_heartbeat: t, alive: true });
        let hosts_tasks = self.status == JobStatus::Running && self.placement.values().any(|p| p == from);
        match known {
            Some(w) if w.alive && w.boot == boot => {
                if hosts_tasks && cancelled == Some(self.attempt()) {
                    self.failover(FailoverCause::TasksLost { worker: from.to_string() }).await;
                }
            }
            Some(w) if w.alive => {
                emit("coordinator", Event::WorkerRestarted { worker: from.to_owned(), boot });
                if hosts_tasks {
                    self.failover(FailoverCause::WorkerRestarted { worker: from.to_string() }).await;
                }
            }
            _ => {
                emit("coordinator", Event::WorkerRegistered { worker: from.to_owned(), boot, slots });
                // A returning worker may still run tasks of an attempt it missed.
                let stale = if self.status == JobStatus::Running { self.attempt() - 1 } else { self.attempt() };
                self.net.send(from, Msg::Control(ControlMsg::Cancel { attempt: stale }));
            }
        }
        self.net.send(from, Msg::Control(ControlMsg::HeartbeatReply));
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
            emit("coordinator", Event::WorkerLost { worker: name.to_owned() });
            if self.status == JobStatus::Running && self.placement.values().any(|p| *p == name) {
                self.failover(FailoverCause::WorkerLost { worker: name }).await;
            }
        }
        if matches!(self.status, JobStatus::Running | JobStatus::Scheduling { .. }) {
            if let Some(request) = self.rescales.pop_front() {
                self.rescale(request).await;
            }
        }
        match self.status {
            JobStatus::Running => {
                let outs = self.checkpoints.tick(t);
                self.carry_out(outs).await;
            }
            JobStatus::Scheduling { not_before } if t >= not_before => self.schedule().await,
            _ => {}
        }
    }

    /// Deploys when slots allow, after reading the checkpoint to restore.
    async fn schedule(&mut self) {
        let stored = self.checkpoints.completed_ids();
        match (self.checkpoints.latest_completed(), stored.last()) {
            (None, Some(&id)) => self.load_restore(id),
            _ => self.try_deploy().await,
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
        if let Err(e) = self.meta.persist(durable.clone()).await {
            emit("coordinator", Event::CoordinatorDiskError { error: e.clone() });
            return; // the next tick tries again
        }
        let attempt = durable.attempt;
        let restore = self.checkpoints.latest_completed().cloned();
        emit("coordinator", Event::JobDeployed { attempt, restore: restore.as_ref().map_or(0, |m| m.id) });
        for (t, w) in &placement {
            let (task, chain) = (self.graph.name(*t), self.graph.name(self.graph.head_of(*t)));
            emit("coordinator", Event::TaskDeployed { task, worker: w.to_owned(), attempt, chain });
        }
        let graph = self.graph.clone();
        let deployment = Arc::new(super::msg::Deployment { attempt, placement: placement.clone(), restore, graph });
        for w in self.workers.keys() {
            self.net.send(w, Msg::Control(ControlMsg::Deploy(deployment.clone())));
        }
        self.placement = placement;
        self.committed.clear();
        self.final_checkpoint = None;
        self.checkpoints.start(attempt, self.tasks(), now());
        self.status = JobStatus::Running;
    }

    /// The job is done once every sink subtask committed through the
    /// checkpoint that covers all input.
    async fn check_finished(&mut self) {
        let Some(last) = self.final_checkpoint else { return };
        let sinks: Vec<TaskId> = self.placement.keys().filter(|t| self.graph.op(**t).commits).copied().collect();
        if self.status != JobStatus::Running || !sinks.iter().all(|t| self.committed.get(t).is_some_and(|c| *c >= last))
        {
            return;
        }
        let mut durable = self.meta.get();
        durable.finished = Some(last);
        if let Err(e) = self.meta.persist(durable).await {
            emit("coordinator", Event::CoordinatorDiskError { error: e.clone() });
            return; // the next commit report tries again
        }
        self.checkpoints.stop();
        self.status = JobStatus::Finished;
        let attempt = self.attempt();
        emit("coordinator", Event::JobFinished { checkpoint: last, attempt });
        for w in self.workers.keys() {
            self.net.send(w, Msg::Control(ControlMsg::Cancel { attempt }));
        }
    }
}
