//! The operators one task runs (Flink's `OperatorChain`): the head, which
//! owns the task's input channels (or reads the log, for a source), and the
//! operators chained to it (`graph::chainable`), each fed by a plain call
//! with what the one before it emitted — no channel, no buffer, no barrier
//! between them.
//!
//! Every member is still an operator subtask of its own: it restores its own
//! snapshot, takes it at the same barrier as the rest of the chain (in chain
//! order, before the barrier leaves on its output channels), and acks it
//! under its own name, as Flink's chained operators each report their
//! state in the task's one acknowledgement.

use super::context::TaskCtx;
use super::pressure::Pressure;
use crate::engine::msg::{CheckpointId, Record, TaskError, TaskId};
use crate::engine::operator::Operator;
use crate::engine::outputs::{BarrierMode, BarrierSent, Outputs};
use crate::engine::rescale::Restored;
use crate::engine::sink::SinkKind;
use crate::engine::state::{ChannelState, Snapshot, TaskState};
use crate::scenario::OperatorKind;
use crate::sim::slow_tasks::SlowTasks;
use crate::trace::{emit, Event};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// One operator subtask of the chain.
pub(super) struct Member {
    pub ctx: Rc<TaskCtx>,
    /// None for a source head: its task reads the log itself.
    operator: Option<Operator>,
    /// Its channels to operators not chained to it.
    pub outputs: Outputs,
    /// The members chained to it (indices into the chain).
    followers: Vec<usize>,
    /// Processing time per record (`cost`), unless a fault slows it.
    cost: Duration,
}

/// The members of a task, head first, each after the one it is chained to.
pub(super) struct Chain {
    pub members: Vec<Member>,
    /// The run's slow tasks (`slow_task` faults).
    slow: Arc<SlowTasks>,
    /// Aligned snapshots whose barriers wait in an output queue, under a
    /// protocol whose aligned checkpoints time out (`hold`).
    held: BTreeMap<CheckpointId, Held>,
    /// Its backpressure periods, traced as they start and end.
    pressure: Pressure,
    /// Planted bug `chain_snapshot_late`: the last member's snapshot of
    /// this checkpoint, taken after the next input buffer.
    late: Option<(CheckpointId, BarrierMode)>,
    /// Processing time charged but not slept yet (under `MIN_SLEEP`).
    owed: Duration,
}

/// Snapshots waiting for their barriers to leave the output queues.
struct Held {
    snapshots: Vec<Snapshot>,
    end_of_data: bool,
    /// When the barriers stop waiting and overtake what is ahead of them.
    deadline: Duration,
}

/// The shortest sleep of the simulated clock (madsim's, like tokio's).
const MIN_SLEEP: Duration = Duration::from_millis(1);

/// A chain just opened from its restored snapshots.
pub(super) struct Opened {
    pub chain: Chain,
    /// The head's restored state when it is a source (its offsets).
    pub source_state: Option<TaskState>,
    /// Each member's restored channel state, by member.
    pub channels: Vec<ChannelState>,
}

/// Work for the chain: records into member `.0`'s operator on port `.1`.
type Work = Vec<(usize, usize, Vec<Record>)>;

impl Chain {
    /// Restores and opens every member (`ctxs` and `sinks` by member).
    pub async fn open(ctxs: Vec<Rc<TaskCtx>>, sinks: Vec<Option<Arc<dyn SinkKind>>>) -> Result<Opened, TaskError> {
        let (mut members, mut channels, mut source_state) = (vec![], vec![], None);
        for (ctx, sink) in ctxs.into_iter().zip(sinks) {
            let (state, restored_channels, removed) = match ctx.restore_state().await? {
                Some(Restored { snapshot: Some(s), removed }) => (Some(s.state), s.channels, removed),
                Some(Restored { snapshot: None, removed }) => (None, ChannelState::default(), removed),
                None => (None, ChannelState::default(), vec![]),
            };
            let operator = if ctx.graph.op(ctx.id).kind == OperatorKind::Source {
                source_state = state;
                None
            } else {
                Some(Operator::open(&ctx, sink, state, removed).await?)
            };
            channels.push(restored_channels);
            let cost = ctx.graph.op(ctx.id).cost;
            members.push(Member { outputs: ctx.outputs(), ctx, operator, followers: vec![], cost });
        }
        for m in 1..members.len() {
            let up = members[m].ctx.graph.op(members[m].ctx.id).chained_to;
            if let Some(i) = members.iter().position(|x| Some(x.ctx.id.op) == up) {
                members[i].followers.push(m);
            }
        }
        let chain = Chain {
            members,
            slow: SlowTasks::current(),
            held: BTreeMap::new(),
            pressure: Pressure::default(),
            late: None,
            owed: Duration::ZERO,
        };
        Ok(Opened { chain, source_state, channels })
    }

    /// Records into member `m`'s operator on its input `port`; what it
    /// emits goes down the chain and out on the channels.
    pub async fn process(&mut self, m: usize, port: usize, batch: Vec<Record>) -> Result<(), TaskError> {
        self.run(vec![(m, port, batch)]).await?;
        self.snapshot_late().await
    }

    /// Records member `m` emitted (a source head's reads): out on its
    /// channels and into the members chained to it.
    pub async fn emitted(&mut self, m: usize, out: Vec<Record>) -> Result<(), TaskError> {
        self.charge(m, out.len()).await;
        let mut work = vec![];
        self.pass_on(m, out, &mut work);
        self.run(work).await?;
        self.snapshot_late().await
    }

    async fn run(&mut self, mut work: Work) -> Result<(), TaskError> {
        while let Some((m, port, batch)) = work.pop() {
            self.charge(m, batch.len()).await;
            let member = &mut self.members[m];
            let Some(operator) = member.operator.as_mut() else {
                return Err(TaskError::Other(format!("{}: a source reads no input", member.ctx.name)));
            };
            if member.followers.is_empty() {
                operator.process(&member.ctx, port, batch, &mut member.outputs).await?;
                continue;
            }
            let mut out = Vec::with_capacity(batch.len());
            operator.process(&member.ctx, port, batch, &mut out).await?;
            self.pass_on(m, out, &mut work);
        }
        Ok(())
    }

    /// Whether some member's records cost time now (its `cost`, or a slow task).
    pub fn costly(&self) -> bool {
        self.members.iter().any(|m| !m.cost.is_zero() || self.slow.cost(&m.ctx.name).is_some())
    }

    /// Member `m` is busy with `records` records for its cost per record:
    /// the task reads nothing meanwhile (backpressure builds behind it).
    /// The simulated clock sleeps no less than 1ms at a time, so time owed
    /// below that adds up and is slept once it reaches it.
    async fn charge(&mut self, m: usize, records: usize) {
        let member = &self.members[m];
        let cost = self.slow.cost(&member.ctx.name).unwrap_or(member.cost);
        if cost.is_zero() || records == 0 {
            return;
        }
        self.owed += cost * records as u32;
        if self.owed >= MIN_SLEEP {
            madsim::time::sleep(std::mem::take(&mut self.owed)).await;
        }
    }

    fn pass_on(&mut self, m: usize, mut out: Vec<Record>, work: &mut Work) {
        let member = &mut self.members[m];
        if !member.outputs.is_empty() {
            out.iter().for_each(|r| member.outputs.emit(*r));
        }
        let followers = &member.followers;
        for (i, f) in followers.iter().enumerate() {
            let batch = if i + 1 == followers.len() { std::mem::take(&mut out) } else { out.clone() };
            work.push((*f, 0, batch));
        }
    }

    /// Restored channel state goes first (L10): each member's overtaken
    /// output records are sent again (or handed to the member now chained
    /// where a channel used to be), then the in-flight input records are
    /// processed, before any new input. `attempt`: this attempt sends them.
    pub async fn replay(&mut self, channels: Vec<ChannelState>) -> Result<(), TaskError> {
        let mut inputs = vec![];
        for (m, state) in channels.into_iter().enumerate() {
            let records = state.records();
            if records == 0 {
                continue;
            }
            let attempt = self.members[m].ctx.attempt;
            for (op, batch) in state.outputs {
                let batch: Vec<Record> = batch.into_iter().map(|r| Record { attempt, ..r }).collect();
                match self.members.iter().position(|x| x.ctx.id.op == op) {
                    Some(f) => inputs.push((f, 0, batch)),
                    None => {
                        let member = &mut self.members[m];
                        for r in batch {
                            if !member.outputs.emit_to(op, r) {
                                let detail = format!("channel state for operator #{op}, which it does not feed");
                                return Err(TaskError::Other(detail));
                            }
                        }
                    }
                }
            }
            for (port, batch) in state.inputs {
                inputs.push((m, port as usize, batch.into_iter().map(|r| Record { attempt, ..r }).collect()));
            }
            let task = self.members[m].ctx.name.clone();
            emit(&self.members[m].ctx.env.worker, Event::ChannelStateReplayed { task, records });
        }
        for (m, port, batch) in inputs {
            self.process(m, port, batch).await?;
        }
        self.flush();
        Ok(())
    }

    /// Barrier `n` reached the chain: every member, in chain order, takes
    /// its snapshot and sends the barrier on its output channels (`mode`).
    /// `head_state`: a source head's offsets. The snapshots, by member, hold
    /// the output records the barrier overtook.
    pub async fn snapshot(
        &mut self,
        n: CheckpointId,
        mode: BarrierMode,
        mut head_state: Option<TaskState>,
    ) -> Result<Vec<Snapshot>, TaskError> {
        let mut snapshots = Vec::with_capacity(self.members.len());
        let mut members = self.members.len();
        if self.members.len() > 1 && self.members[0].ctx.env.bugs.task.chain_snapshot_late {
            members -= 1;
            self.late = Some((n, mode));
        }
        for (m, member) in self.members.iter_mut().enumerate().take(members) {
            if m > 0 {
                let task = member.ctx.name.clone();
                emit(&member.ctx.env.worker, Event::BarrierReceived { task, checkpoint: n });
            }
            let state = match member.operator.as_mut() {
                Some(operator) => operator.snapshot(&member.ctx, n, &mut member.outputs).await?,
                None => head_state.take().unwrap_or(TaskState::Stateless),
            };
            member.ctx.snapshot_taken(n);
            let sent = member.outputs.barrier(n, mode);
            trace_barrier(&member.ctx, n, &sent);
            let channels = ChannelState { inputs: Default::default(), outputs: sent.overtaken };
            snapshots.push(Snapshot { state, channels });
        }
        Ok(snapshots)
    }

    /// Planted bug `chain_snapshot_late`: the last member snapshots now,
    /// after records of the next buffer went through it.
    async fn snapshot_late(&mut self) -> Result<(), TaskError> {
        let Some((n, mode)) = self.late.take() else { return Ok(()) };
        let member = self.members.last_mut().expect("a chain of two or more");
        emit(&member.ctx.env.worker, Event::BarrierReceived { task: member.ctx.name.clone(), checkpoint: n });
        let state = match member.operator.as_mut() {
            Some(operator) => operator.snapshot(&member.ctx, n, &mut member.outputs).await?,
            None => TaskState::Stateless,
        };
        member.ctx.snapshot_taken(n);
        let sent = member.outputs.barrier(n, mode);
        let channels = ChannelState { inputs: Default::default(), outputs: sent.overtaken };
        member.ctx.upload_and_ack(n, Snapshot { state, channels }, false);
        Ok(())
    }

    /// Uploads each member's snapshot of `n` and acks it once durable.
    pub fn upload_and_ack(&self, n: CheckpointId, snapshots: Vec<Snapshot>, end_of_data: bool) {
        for (member, snapshot) in self.members.iter().zip(snapshots) {
            member.ctx.upload_and_ack(n, snapshot, end_of_data);
        }
    }

    /// An aligned snapshot of `n` is taken: upload and ack it — unless its
    /// barrier waits in an output queue and the job's aligned checkpoints
    /// time out (`aligned_timeout`). Then it is held until the barriers
    /// leave, or until `aligned_timeout` has passed, when they overtake
    /// what is ahead of them and that becomes channel state (Flink's
    /// timeoutable aligned barriers, FLINK-27251).
    pub fn finish_aligned(&mut self, n: CheckpointId, snapshots: Vec<Snapshot>, end_of_data: bool) {
        let graph = &self.members[0].ctx.graph;
        let times_out = graph.protocol.kind.barriers_overtake_on_timeout();
        if !times_out || !self.members.iter().any(|m| m.outputs.holds_barrier(n)) {
            return self.upload_and_ack(n, snapshots, end_of_data);
        }
        let deadline = crate::sim::now() + graph.aligned_timeout;
        self.held.insert(n, Held { snapshots, end_of_data, deadline });
    }

    /// Receiver `from`'s input `input` has room for `credit` more buffers
    /// from member `to`; held snapshots whose barriers left go out.
    pub fn credit(&mut self, to: TaskId, from: TaskId, input: u16, credit: u32) {
        if let Some(member) = self.members.iter_mut().find(|m| m.ctx.id == to) {
            member.outputs.credit(from, input, credit);
        }
        let left: Vec<CheckpointId> =
            self.held.keys().copied().filter(|n| !self.members.iter().any(|m| m.outputs.holds_barrier(*n))).collect();
        for n in left {
            let held = self.held.remove(&n).expect("listed");
            self.upload_and_ack(n, held.snapshots, held.end_of_data);
        }
    }

    /// When a held snapshot's barriers stop waiting, or a member's sink
    /// writer wants its timer, whichever comes first.
    pub fn next_timer(&self) -> Option<Duration> {
        let writers = self.members.iter().filter_map(|m| m.operator.as_ref()?.next_timer());
        self.held.values().map(|h| h.deadline).chain(writers).min()
    }

    /// Sink writers' timers that came due fire; held snapshots past their
    /// deadline: their barriers overtake the queued buffers, which join the
    /// snapshots as output channel state.
    pub fn on_timer(&mut self, now: Duration) {
        for member in &mut self.members {
            if let Some(op) = member.operator.as_mut().filter(|op| op.next_timer().is_some_and(|at| at <= now)) {
                op.on_timer(&member.ctx, now);
            }
        }
        let due: Vec<CheckpointId> = self.held.iter().filter(|(_, h)| h.deadline <= now).map(|(n, _)| *n).collect();
        for n in due {
            let mut held = self.held.remove(&n).expect("listed");
            for (member, snapshot) in self.members.iter_mut().zip(held.snapshots.iter_mut()) {
                let sent = member.outputs.overtake_queued(n);
                trace_barrier(&member.ctx, n, &sent);
                for (op, records) in sent.overtaken {
                    snapshot.channels.outputs.entry(op).or_default().extend(records);
                }
            }
            self.upload_and_ack(n, held.snapshots, held.end_of_data);
        }
    }

    /// Whether some member's output queue is full: the task takes no input
    /// until credit comes. Traces backpressure periods as they start and end
    /// (`pressure`).
    pub fn blocked(&mut self) -> bool {
        let blocked = self.members.iter().position(|m| m.outputs.blocked());
        let change = self.pressure.observe(crate::sim::now(), blocked);
        if let Some(ended) = change.ended {
            let member = &self.members[ended.member];
            let (lasted_us, blocked_us) = (ended.lasted.as_micros() as u64, ended.blocked.as_micros() as u64);
            let task = member.ctx.name.clone();
            emit(&member.ctx.env.worker, Event::BackpressureRelieved { task, lasted_us, blocked_us });
        }
        if let Some(m) = change.started {
            let member = &self.members[m];
            let on = member.outputs.blocked_on().map(|t| member.ctx.graph.name(t)).unwrap_or_default();
            emit(&member.ctx.env.worker, Event::Backpressured { task: member.ctx.name.clone(), on });
        }
        blocked.is_some()
    }

    /// `n` completed, as the coordinator told member `to`.
    pub async fn notify_complete(&mut self, to: TaskId, n: CheckpointId) -> Result<(), TaskError> {
        let Some(member) = self.members.iter_mut().find(|m| m.ctx.id == to) else { return Ok(()) };
        emit(&member.ctx.env.worker, Event::CheckpointNotified { task: member.ctx.name.clone(), checkpoint: n });
        match member.operator.as_mut() {
            Some(operator) => operator.notify_complete(&member.ctx, n).await,
            None => Ok(()),
        }
    }

    /// Sends every buffered record of every member.
    pub fn flush(&mut self) {
        self.members.iter_mut().for_each(|m| m.outputs.flush());
    }

    /// No more records will follow, from any member.
    pub fn end_of_data(&mut self) {
        self.members.iter_mut().for_each(|m| m.outputs.end_of_data());
    }
}

/// What a member's barrier did to its output queues, in the trace.
fn trace_barrier(ctx: &TaskCtx, n: CheckpointId, sent: &BarrierSent) {
    let task = || ctx.name.clone();
    if sent.behind > 0 {
        emit(&ctx.env.worker, Event::BarrierBehindBuffers { task: task(), checkpoint: n, buffers: sent.behind });
    }
    if sent.overtook > 0 {
        emit(&ctx.env.worker, Event::BarrierOvertook { task: task(), checkpoint: n, buffers: sent.overtook });
    }
}
