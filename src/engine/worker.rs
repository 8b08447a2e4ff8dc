//! A `worker-N` node (TaskManager): heartbeats to the coordinator, runs the
//! subtasks deployed to it, routes their messages, and cancels them all when
//! it loses the coordinator (a partitioned worker must not keep zombies).

use super::msg::{Attempt, ControlMsg, DataMsg, Deployment, Msg, TaskId, TaskInput};
use super::registry::Registry;
use super::rpc::Rpc;
use super::task;
use super::task::context::{Bugs, Restore, TaskCtx, WorkerEnv};
use crate::scenario::Cluster;
use crate::sim::alarm::Ticker;
use crate::sim::net::{Net, NetEvent};
use crate::trace::{emit, Event};
use futures::channel::mpsc::{unbounded, UnboundedSender};
use futures::{select_biased, FutureExt, StreamExt};
use madsim::task::JoinHandle;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// How long a cancelled task may go on before it is stopped.
const CANCEL_DELAY: Duration = Duration::from_millis(10);

/// What a worker is started with.
pub struct WorkerConfig {
    pub name: String,
    pub cluster: Cluster,
    /// Where the job's components resolve (a task's kind of sink).
    pub registry: Arc<Registry>,
    /// The planted bugs switched on in this run.
    pub bugs: Bugs,
}

struct RunningTask {
    attempt: Attempt,
    /// Whether barriers reach it ahead of its inbox (unaligned, not forced aligned).
    barriers_overtake: bool,
    inbox: UnboundedSender<TaskInput>,
    /// Overtaking barriers skip the inbox (they overtake the input buffers, L10).
    priority: UnboundedSender<TaskInput>,
    handle: JoinHandle<()>,
}

struct Worker {
    env: Rc<WorkerEnv>,
    cluster: Cluster,
    registry: Arc<Registry>,
    boot: u64,
    /// By the subtask heading each task.
    tasks: BTreeMap<TaskId, RunningTask>,
    /// The task each operator subtask runs in: the head of its chain.
    heads: BTreeMap<TaskId, TaskId>,
    /// The newest attempt this worker was told of (deployed or cancelled).
    known_attempt: Attempt,
    /// Messages for tasks of a newer attempt whose deployment has not reached
    /// us yet (it can lag behind upstream data, e.g. across a partition);
    /// delivered once it does, dropped if that attempt is superseded.
    early: BTreeMap<Attempt, Vec<(TaskId, Attempt, TaskInput)>>,
    last_contact: Duration,
    connected: bool,
    /// The attempt whose tasks we cancelled on losing the coordinator, told
    /// to it in every heartbeat until a new deployment.
    cancelled: Option<Attempt>,
    /// Attempts whose stale messages were already reported in the trace.
    stale_reported: std::collections::BTreeSet<Attempt>,
}

/// The worker's main loop; `boot` counts its (re)starts.
pub async fn run(config: Arc<WorkerConfig>, boot: u64) {
    let (net, mut inbox) = Net::<Msg>::bind(&config.name).await;
    let rpc = Rpc::new(net.clone(), config.cluster.rpc_timeout, boot);
    let env = WorkerEnv { worker: config.name.clone(), net, rpc, bugs: config.bugs };
    let mut worker = Worker {
        env: Rc::new(env),
        cluster: config.cluster.clone(),
        registry: config.registry.clone(),
        boot,
        tasks: BTreeMap::new(),
        heads: BTreeMap::new(),
        known_attempt: 0,
        early: BTreeMap::new(),
        last_contact: crate::sim::now(),
        connected: false,
        cancelled: None,
        stale_reported: Default::default(),
    };
    emit(&config.name, Event::WorkerStarted { boot });
    let mut ticks = Ticker::new(config.cluster.heartbeat_interval);
    loop {
        select_biased! {
            event = inbox.next() => match event {
                Some(NetEvent::Message { msg, .. }) => worker.on_message(msg),
                Some(NetEvent::Closed { .. }) => {}
                Some(NetEvent::Undelivered { msg, .. }) => worker.on_undelivered(msg),
                None => return,
            },
            _ = ticks.tick().fuse() => worker.on_tick(),
        }
    }
}

impl Worker {
    fn on_tick(&mut self) {
        let slots = self.cluster.slots_per_worker;
        self.env.net.send(
            "coordinator",
            Msg::Control(ControlMsg::Heartbeat { boot: self.boot, slots, cancelled: self.cancelled }),
        );
        let silent = crate::sim::now().saturating_sub(self.last_contact);
        if self.connected && silent > self.cluster.heartbeat_timeout {
            self.connected = false;
            emit(&self.env.worker, Event::CoordinatorLost { silent_ms: silent.as_millis() });
            if !self.tasks.is_empty() {
                self.cancelled = Some(self.known_attempt);
            }
            self.cancel(Attempt::MAX);
        }
    }

    fn on_message(&mut self, msg: Msg) {
        let Some(msg) = self.env.rpc.complete(msg) else { return };
        match msg {
            Msg::Control(ControlMsg::HeartbeatReply) => {
                self.last_contact = crate::sim::now();
                self.connected = true;
            }
            Msg::Control(ControlMsg::Deploy(d)) => self.deploy(d),
            Msg::Control(ControlMsg::Cancel { attempt }) => {
                self.learn_attempt(attempt);
                self.cancel(attempt);
            }
            Msg::Data(data) => {
                let (to, attempt) = data.address();
                self.route(to, attempt, TaskInput::Data(data));
            }
            Msg::Checkpoint(c) => {
                if let Some((to, attempt)) = c.task_address() {
                    self.route(to, attempt, TaskInput::Checkpoint(c));
                }
            }
            // Only the coordinator receives heartbeats, failure reports and
            // client requests; replies went to their callers above; no
            // worker serves the log, storage or sink.
            Msg::Control(ControlMsg::Heartbeat { .. } | ControlMsg::TaskFailed { .. })
            | Msg::Client(_)
            | Msg::Log(_)
            | Msg::Storage(_)
            | Msg::Sink(_) => {}
        }
    }

    /// A message of ours that no connection could carry. Credit is the one
    /// nothing else would notice (data has sequence numbers, requests and
    /// acks time out): the task that announced it fails, as a Flink task
    /// whose connection to its producer fails does.
    fn on_undelivered(&mut self, msg: Msg) {
        if let Msg::Data(DataMsg::Credit { attempt, from, input, .. }) = msg {
            self.route(from, attempt, TaskInput::CreditLost { input });
        }
    }

    /// Hands a task its message; holds it if its attempt is not deployed yet.
    fn route(&mut self, to: TaskId, attempt: Attempt, msg: TaskInput) {
        let head = self.heads.get(&to).copied().unwrap_or(to);
        if let Some(t) = self.tasks.get(&head).filter(|t| t.attempt == attempt) {
            let overtakes = matches!(msg, TaskInput::Data(DataMsg::Barrier { .. })) && t.barriers_overtake;
            let _ = if overtakes { t.priority.unbounded_send(msg) } else { t.inbox.unbounded_send(msg) };
        } else if attempt > self.known_attempt {
            self.early.entry(attempt).or_default().push((to, attempt, msg));
        } else if attempt < self.known_attempt && self.stale_reported.insert(attempt) {
            // A message of a superseded attempt: fenced (dropped).
            let msg = msg.class();
            emit(&self.env.worker, Event::StaleAtWorker { attempt, msg, current: self.known_attempt });
        }
    }

    /// Attempts up to `attempt` are decided: their held messages can go.
    fn learn_attempt(&mut self, attempt: Attempt) {
        self.known_attempt = self.known_attempt.max(attempt);
        self.early = self.early.split_off(&(self.known_attempt + 1));
    }

    /// Stops every task of attempt ≤ `attempt`.
    ///
    /// Cancellation is cooperative, as in Flink: a cancelled task gets no
    /// new messages, but it may still work through what it already holds
    /// until it is stopped `CANCEL_DELAY` later. That window is where a
    /// zombie's leftovers (a sink write, an ack) reach the world, and where
    /// fencing must hold.
    fn cancel(&mut self, attempt: Attempt) {
        let doomed: Vec<TaskId> = self.tasks.iter().filter(|(_, t)| t.attempt <= attempt).map(|(id, _)| *id).collect();
        for id in doomed {
            let t = self.tasks.remove(&id).expect("listed");
            drop(t.inbox);
            drop(t.priority);
            madsim::task::spawn_local(async move {
                madsim::time::sleep(CANCEL_DELAY).await;
                t.handle.abort();
            });
        }
    }

    /// The context of operator subtask `id` of deployment `d`.
    fn task_ctx(&self, d: &Deployment, id: TaskId, placement: Arc<BTreeMap<TaskId, String>>) -> TaskCtx {
        let restore = d.restore.as_ref().map(|m| {
            let handles: Vec<_> =
                m.states.iter().filter(|(t, _)| t.op == id.op).map(|(t, h)| (*t, h.clone())).collect();
            let rescaled = handles.len() != d.graph.op(id).parallelism;
            Restore { checkpoint: m.id, handles, rescaled }
        });
        TaskCtx {
            env: self.env.clone(),
            graph: d.graph.clone(),
            id,
            name: d.graph.name(id),
            attempt: d.attempt,
            placement,
            restore,
        }
    }

    fn deploy(&mut self, d: Arc<Deployment>) {
        if d.attempt <= self.known_attempt {
            return; // a late deployment (held by a partition) of a superseded attempt
        }
        self.cancel(d.attempt - 1);
        self.cancelled = None;
        let placement = Arc::new(d.placement.clone());
        self.heads.clear(); // every task of an older attempt is cancelled
        for head in d.graph.heads() {
            if d.placement.get(&head) != Some(&self.env.worker) || self.tasks.contains_key(&head) {
                continue;
            }
            let members = d.graph.chain(head);
            let ctxs = members.iter().map(|&id| self.task_ctx(&d, id, placement.clone())).collect();
            let sinks = members
                .iter()
                .map(|&id| {
                    let sink = d.graph.op(id).sink.as_deref().and_then(|name| self.registry.sink(name));
                    sink.map(|s| s.kind.clone())
                })
                .collect();
            self.heads.extend(members.iter().map(|&id| (id, head)));
            let (tx, rx) = unbounded();
            let (priority, priority_rx) = unbounded();
            let handle = madsim::task::spawn_local(task::run(ctxs, sinks, rx, priority_rx));
            let protocol = &*d.graph.protocol.kind;
            let forced = self.env.bugs.task.forced_aligned(&d.graph, head);
            let barriers_overtake = protocol.barriers_overtake() && !forced;
            let attempt = d.attempt;
            self.tasks.insert(head, RunningTask { attempt, barriers_overtake, inbox: tx, priority, handle });
        }
        let held = self.early.remove(&d.attempt).unwrap_or_default();
        self.learn_attempt(d.attempt);
        for (to, attempt, msg) in held {
            self.route(to, attempt, msg);
        }
    }
}
