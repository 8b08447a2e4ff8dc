//! A running subtask: what all tasks share (context, restore, snapshot upload
//! and ack, failure reporting) and the loop of non-source tasks, which feeds
//! input channels through the `BarrierAligner`.

use super::barrier::{Align, BarrierAligner};
use super::graph::ExecutionGraph;
use super::msg::{Attempt, CheckpointId, Msg, StateHandle, TaskError, TaskId};
use super::operator::Operator;
use super::outputs::Outputs;
use super::rpc::Rpc;
use super::state::{self, TaskState};
use crate::bugs::Bug;
use crate::emit;
use crate::scenario::OperatorKind;
use crate::sim::net::Net;
use futures::channel::mpsc::UnboundedReceiver;
use futures::StreamExt;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

/// What every task on a worker shares.
pub struct WorkerEnv {
    pub worker: String,
    pub net: Net<Msg>,
    pub rpc: Rpc,
    pub graph: Arc<ExecutionGraph>,
    pub bug: Option<Bug>,
}

/// One deployed subtask's identity and inputs.
pub struct TaskCtx {
    pub env: Rc<WorkerEnv>,
    pub id: TaskId,
    pub name: String,
    pub attempt: Attempt,
    pub placement: Arc<BTreeMap<TaskId, String>>,
    /// The checkpoint restored from, and this task's state handle in it.
    pub restore: Option<(CheckpointId, Option<StateHandle>)>,
}

impl TaskCtx {
    pub fn bug(&self, bug: Bug) -> bool {
        self.env.bug == Some(bug)
    }

    pub fn outputs(&self) -> Outputs {
        Outputs::new(&self.env.graph, self.id, self.attempt, self.env.net.clone(), self.placement.clone())
    }

    /// Fetches and checks this task's restored state, if any.
    pub async fn restore_state(&self) -> Result<Option<TaskState>, TaskError> {
        let Some((checkpoint, handle)) = &self.restore else { return Ok(None) };
        let state = match handle {
            Some(handle) => Some(
                self.fetch_state(handle)
                    .await
                    .map_err(|detail| TaskError::Restore { checkpoint: *checkpoint, detail: Box::new(detail) })?,
            ),
            None => None, // the checkpoint has no state for this task
        };
        let key = handle.as_ref().map_or("none", |h| h.key.as_str());
        emit!(
            self.env.worker,
            "task_restored",
            task = self.name,
            attempt = self.attempt,
            checkpoint = checkpoint,
            state = key
        );
        Ok(state)
    }

    async fn fetch_state(&self, handle: &StateHandle) -> Result<TaskState, TaskError> {
        let bytes = self.env.rpc.storage_get(handle.key.clone()).await?;
        let bytes = bytes.ok_or_else(|| TaskError::Service {
            service: "storage".into(),
            detail: format!("snapshot {} missing", handle.key),
        })?;
        let checked = !self.bug(Bug::IgnoreChecksum);
        state::decode(&bytes, handle, checked).map_err(TaskError::Other)
    }

    /// Uploads the snapshot of `n` in the background; acks once durable (L7,
    /// L12), declines if the upload fails.
    pub fn upload_and_ack(self: &Rc<Self>, n: CheckpointId, state: TaskState, end_of_data: bool) {
        emit!(self.env.worker, "snapshot_taken", task = self.name, checkpoint = n, attempt = self.attempt);
        let ctx = self.clone();
        madsim::task::spawn_local(async move {
            let (bytes, checksum) = state::encode(&state);
            let key = format!("chk-{n}/{}-a{}", ctx.name, ctx.attempt);
            let handle = StateHandle { key: key.clone(), checksum, len: bytes.len() as u64 };
            let early = ctx.bug(Bug::AckBeforeDurable);
            if early {
                ctx.ack(n, handle.clone(), end_of_data);
            }
            match ctx.env.rpc.storage_put(key, Arc::new(bytes)).await {
                Ok(()) => {
                    emit!(ctx.env.worker, "snapshot_durable", task = ctx.name, checkpoint = n, key = handle.key);
                    if !early {
                        ctx.ack(n, handle, end_of_data);
                    }
                }
                Err(error) => {
                    let reason = error.to_string();
                    emit!(ctx.env.worker, "checkpoint_declined", task = ctx.name, checkpoint = n, reason = reason);
                    let (attempt, task) = (ctx.attempt, ctx.id);
                    ctx.env.net.send("coordinator", Msg::Decline { attempt, task, checkpoint: n, reason });
                }
            }
        });
    }

    fn ack(&self, n: CheckpointId, handle: StateHandle, end_of_data: bool) {
        let (attempt, task) = (self.attempt, self.id);
        emit!(self.env.worker, "checkpoint_acked", task = self.name, checkpoint = n, attempt = attempt);
        self.env.net.send("coordinator", Msg::Ack { attempt, task, checkpoint: n, handle, end_of_data });
    }

    /// Reports a task failure to the coordinator.
    pub fn fail(&self, error: TaskError) {
        emit!(
            self.env.worker,
            "task_failed",
            task = self.name,
            attempt = self.attempt,
            error = error.kind(),
            reason = error
        );
        let msg = Msg::TaskFailed { attempt: self.attempt, task: self.id, error };
        self.env.net.send("coordinator", msg);
    }
}

/// Runs a subtask until it fails or is cancelled (dropped).
pub async fn run(ctx: TaskCtx, inbox: UnboundedReceiver<Msg>) {
    let ctx = Rc::new(ctx);
    let result = match ctx.env.graph.op(ctx.id).kind {
        OperatorKind::Source => super::source::run(ctx.clone(), inbox).await,
        _ => run_operator(ctx.clone(), inbox).await,
    };
    if let Err(error) = result {
        ctx.fail(error);
    }
}

/// An input channel: its buffered events and whether alignment blocks it.
#[derive(Default)]
struct Input {
    queue: VecDeque<Msg>,
    blocked: bool,
    ended: bool,
    /// Sequence number the next message must carry.
    expected_seq: u64,
}

/// A non-source task: inputs → aligner → operator → outputs.
struct OperatorTask {
    ctx: Rc<TaskCtx>,
    inputs: Vec<Input>,
    aligner: BarrierAligner,
    operator: Operator,
    outputs: Outputs,
    end_of_data: bool,
    /// Highest checkpoint whose barrier was seen, and whose alignment was traced.
    barrier_seen: CheckpointId,
    aligning_traced: CheckpointId,
}

async fn run_operator(ctx: Rc<TaskCtx>, mut inbox: UnboundedReceiver<Msg>) -> Result<(), TaskError> {
    let n_inputs = ctx.env.graph.task(ctx.id).inputs.len();
    let restored = ctx.restore_state().await?;
    let operator = Operator::open(&ctx, restored).await?;
    let aligner = BarrierAligner::new(n_inputs, ctx.bug(Bug::SkipAlignment));
    let inputs = (0..n_inputs).map(|_| Input::default()).collect();
    let outputs = ctx.outputs();
    let mut task = OperatorTask {
        ctx,
        inputs,
        aligner,
        operator,
        outputs,
        end_of_data: false,
        barrier_seen: 0,
        aligning_traced: 0,
    };
    while let Some(msg) = inbox.next().await {
        task.on_message(msg).await?;
    }
    Ok(())
}

impl OperatorTask {
    async fn on_message(&mut self, msg: Msg) -> Result<(), TaskError> {
        match msg {
            Msg::Data { .. } | Msg::Barrier { .. } | Msg::EndOfData { .. } => {
                let (input, seq) = msg.channel_seq().expect("data-plane message");
                self.check_seq(input, seq)?;
                self.inputs[input as usize].queue.push_back(msg);
                self.drain().await?;
            }
            Msg::NotifyComplete { checkpoint, .. } => {
                emit!(self.ctx.env.worker, "checkpoint_notified", task = self.ctx.name, checkpoint = checkpoint);
                self.operator.notify_complete(&self.ctx, checkpoint).await?
            }
            Msg::NotifyAborted { checkpoint, .. } => {
                let actions = self.aligner.on_cancel(checkpoint);
                self.apply(actions, "cancel marker").await?;
                self.drain().await?;
            }
            _ => {}
        }
        self.outputs.flush();
        Ok(())
    }

    /// A gap in a channel's sequence means messages were lost on the way (a
    /// broken connection): the task fails before it uses anything after the
    /// gap, as Flink's input channels do on a buffer sequence mismatch.
    fn check_seq(&mut self, input: u16, seq: u64) -> Result<(), TaskError> {
        let channel = &mut self.inputs[input as usize];
        if seq != channel.expected_seq && !self.ctx.bug(Bug::IgnoreSequenceGaps) {
            let graph = &self.ctx.env.graph;
            let from = graph.name(graph.task(self.ctx.id).inputs[input as usize]);
            let detail = format!("got #{seq}, expected #{}", channel.expected_seq);
            return Err(TaskError::LostMessages { from, detail });
        }
        channel.expected_seq += 1;
        Ok(())
    }

    /// Processes buffered events of every unblocked input, in channel order.
    async fn drain(&mut self) -> Result<(), TaskError> {
        loop {
            let mut progressed = false;
            for i in 0..self.inputs.len() {
                while !self.inputs[i].blocked {
                    let Some(msg) = self.inputs[i].queue.pop_front() else { break };
                    self.process(i as u16, msg).await?;
                    progressed = true;
                }
            }
            if !progressed {
                return Ok(());
            }
        }
    }

    async fn process(&mut self, input: u16, msg: Msg) -> Result<(), TaskError> {
        match msg {
            Msg::Data { batch, .. } => self.operator.process(&self.ctx, batch, &mut self.outputs),
            Msg::Barrier { checkpoint, .. } => {
                if checkpoint > self.barrier_seen {
                    self.barrier_seen = checkpoint;
                    emit!(self.ctx.env.worker, "barrier_received", task = self.ctx.name, checkpoint = checkpoint);
                }
                let actions = self.aligner.on_barrier(input, checkpoint);
                self.apply(actions, "newer barrier").await?;
            }
            Msg::EndOfData { .. } => {
                self.inputs[input as usize].ended = true;
                if self.inputs.iter().all(|i| i.ended) && !self.end_of_data {
                    self.end_of_data = true;
                    self.outputs.end_of_data();
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn apply(&mut self, actions: Vec<Align>, cause: &str) -> Result<(), TaskError> {
        for action in actions {
            match action {
                Align::Block(i) => {
                    self.inputs[i as usize].blocked = true;
                    let n = self.aligner.aligning().unwrap_or(0);
                    if n > self.aligning_traced {
                        self.aligning_traced = n;
                        emit!(self.ctx.env.worker, "barrier_aligning", task = self.ctx.name, checkpoint = n, input = i);
                    }
                }
                Align::Snapshot(n) => {
                    let state = self.operator.snapshot(&self.ctx, n).await?;
                    self.outputs.barrier(n);
                    self.ctx.upload_and_ack(n, state, self.end_of_data);
                    self.inputs.iter_mut().for_each(|i| i.blocked = false);
                }
                Align::Abort(n) => self.abort_alignment(n, cause),
            }
        }
        Ok(())
    }

    /// L6/L7: the alignment of `n` is abandoned; every input unblocks and
    /// what was buffered on blocked inputs is processed next, in order.
    fn abort_alignment(&mut self, n: CheckpointId, cause: &str) {
        let buffered: usize = self.inputs.iter().filter(|i| i.blocked).map(|i| i.queue.len()).sum();
        emit!(
            self.ctx.env.worker,
            "alignment_aborted",
            task = self.ctx.name,
            checkpoint = n,
            cause = cause,
            buffered = buffered
        );
        let drop_buffered = self.ctx.bug(Bug::AbortDropsBuffered);
        for input in self.inputs.iter_mut() {
            if input.blocked && drop_buffered {
                input.queue.retain(|m| !matches!(m, Msg::Data { .. }));
            }
            input.blocked = false;
        }
    }
}
