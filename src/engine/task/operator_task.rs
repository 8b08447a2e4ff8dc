//! The loop of a task headed by a non-source operator: it feeds its input
//! channels through the checkpoint protocol (`protocol`) into its chain of
//! operators, and keeps the unaligned snapshots waiting for their channel
//! state.

use super::chain::{Chain, Opened};
use super::context::TaskCtx;
use super::credit::Credits;
use crate::engine::msg::{CheckpointId, CheckpointMsg, DataMsg, Msg, Record, TaskError, TaskInput};
use crate::engine::outputs::BarrierMode;
use crate::engine::protocol::aligned::Aligned;
use crate::engine::protocol::{Action, BarrierProtocol, ProtocolConfig};
use crate::engine::sink::SinkKind;
use crate::engine::state::Snapshot;
use crate::sim::alarm::Alarm;
use crate::trace::event::AlignmentAbortCause as Cause;
use crate::trace::{emit, Event};
use futures::channel::mpsc::UnboundedReceiver;
use futures::{FutureExt, StreamExt};
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

/// An input channel: its buffered events and how far alignment lets it go.
#[derive(Default)]
struct Input {
    queue: VecDeque<DataMsg>,
    /// Data from this sequence number on waits (alignment, L5).
    blocked_from: Option<u64>,
    ended: bool,
    /// Sequence number the next data or end-of-data message must carry.
    expected_seq: u64,
}

impl Input {
    /// The next buffered message, if alignment lets it through — with
    /// `one`, only the first record of a buffer, the rest staying queued
    /// under its sequence number; and whether the buffer is done with.
    fn next_ready(&mut self, one: bool) -> Option<(DataMsg, bool)> {
        if !self.ready() {
            return None;
        }
        match self.queue.front_mut() {
            Some(DataMsg::Data { attempt, to, input, seq, batch, backlog }) if one && batch.len() > 1 => {
                let first = vec![batch.remove(0)];
                let (attempt, to, input, seq, backlog) = (*attempt, *to, *input, *seq, *backlog);
                Some((DataMsg::Data { attempt, to, input, seq, batch: first, backlog }, false))
            }
            _ => self.queue.pop_front().map(|m| (m, true)),
        }
    }

    /// Whether a buffered message may be processed (alignment lets it through).
    fn ready(&self) -> bool {
        self.queue.front().is_some_and(|m| self.blocked_from.is_none_or(|from| m.channel_seq().1 < from))
    }

    /// The first sequence number not yet processed.
    fn consumed(&self) -> u64 {
        self.queue
            .iter()
            .find(|m| !matches!(m, DataMsg::Barrier { .. }))
            .map_or(self.expected_seq, |m| m.channel_seq().1)
    }
}

/// An unaligned snapshot waiting for its channel state.
struct PendingSnapshot {
    /// By chain member; the head's takes the in-flight input records.
    snapshots: Vec<Snapshot>,
    /// Every input had ended when the snapshot was taken (not when it
    /// completes: records after it would be left out of a final checkpoint).
    end_of_data: bool,
}

/// A non-source task: inputs → protocol → chain of operators → outputs.
struct OperatorTask {
    /// The head's: the task's identity, its channels' names.
    ctx: Rc<TaskCtx>,
    inputs: Vec<Input>,
    protocol: Box<dyn BarrierProtocol>,
    chain: Chain,
    end_of_data: bool,
    pending: BTreeMap<CheckpointId, PendingSnapshot>,
    /// Highest checkpoint whose barrier was seen, and whose alignment was traced.
    barrier_seen: CheckpointId,
    aligning_traced: CheckpointId,
    /// Flow control: the buffers each input channel may be sent.
    credits: Credits,
    /// The input `drain` starts its next round at.
    next_input: usize,
    /// The last record processed was not the last of its buffer.
    mid_buffer: bool,
    /// It aligns although the job's checkpoints are unaligned (it reads a
    /// pointwise or broadcast channel: `graph::forced_aligned`).
    forced: bool,
}

/// `ctxs` and `sinks`: the chain's members, head first.
pub(super) async fn run(
    ctxs: Vec<Rc<TaskCtx>>,
    sinks: Vec<Option<Arc<dyn SinkKind>>>,
    mut inbox: UnboundedReceiver<TaskInput>,
    mut priority: UnboundedReceiver<TaskInput>,
) -> Result<(), TaskError> {
    let ctx = ctxs[0].clone();
    let graph = ctx.graph.clone();
    let n_inputs = graph.task(ctx.id).inputs.len();
    let Opened { chain, channels, .. } = Chain::open(ctxs, sinks).await?;
    assert!(n_inputs > 0, "a task with no inputs has no barriers to handle");
    let config =
        ProtocolConfig { inputs: n_inputs, aligned_timeout: graph.aligned_timeout, bugs: ctx.env.bugs.protocol };
    // An operator reading a pointwise or broadcast channel aligns (Flink's
    // FORCED_ALIGNED barriers), whatever the job's protocol.
    let forced = ctx.env.bugs.task.forced_aligned(&graph, ctx.id);
    let protocol = match forced {
        true => Box::new(Aligned::new(config)),
        false => graph.protocol.kind.build(config),
    };
    let inputs = (0..n_inputs).map(|_| Input::default()).collect();
    let credits = Credits::new(n_inputs, graph.buffers_per_channel, graph.floating_buffers);
    let mut task = OperatorTask {
        ctx,
        inputs,
        protocol,
        chain,
        end_of_data: false,
        pending: BTreeMap::new(),
        barrier_seen: 0,
        aligning_traced: 0,
        credits,
        next_input: 0,
        mid_buffer: false,
        forced,
    };
    task.chain.replay(channels).await?;
    // Planted bug `credit_lost_on_reconnect`: a channel of a later attempt
    // (re-established after a restart) is taken to have its credit already.
    let reconnected = task.ctx.attempt > 1 && task.ctx.env.bugs.task.credit_lost_on_reconnect;
    for input in (0..n_inputs as u16).filter(|_| !reconnected) {
        task.announce(input, task.credits.initial());
    }
    let overtakes = task.protocol.overtakes();
    let mut alarm = Alarm::default();
    loop {
        let timer = [task.protocol.next_timer(), task.chain.next_timer()].into_iter().flatten().min();
        if task.slicing() && task.ready() {
            // Between two records: what waits goes first, overtaking barriers before all.
            let waiting = match priority.next().now_or_never() {
                Some(msg) => Some(msg),
                None => inbox.next().now_or_never(),
            };
            match waiting {
                Some(None) => return Ok(()),
                Some(Some(msg)) => task.on_message(msg).await?,
                None if timer.is_some_and(|at| at <= crate::sim::now()) => task.on_timer().await?,
                None => {
                    task.drain().await?;
                    task.flush();
                }
            }
            continue;
        }
        if timer.is_none() && !overtakes {
            // Nothing but the inbox to wait for (the common case).
            let Some(msg) = inbox.next().await else { return Ok(()) };
            task.on_message(msg).await?;
            continue;
        }
        let mut sleep = std::pin::pin!(alarm.until_maybe(timer).fuse());
        // A barrier that overtakes is taken before anything waiting in the inbox.
        let msg = futures::select_biased! {
            msg = priority.next() => msg,
            msg = inbox.next() => msg,
            _ = sleep => {
                task.on_timer().await?;
                continue;
            }
        };
        let Some(msg) = msg else { return Ok(()) };
        task.on_message(msg).await?;
    }
}

impl OperatorTask {
    /// The time a timer asked for has come (an alignment's, a held snapshot's).
    async fn on_timer(&mut self) -> Result<(), TaskError> {
        let now = crate::sim::now();
        self.chain.on_timer(now);
        let actions = self.protocol.on_timer(now);
        self.apply(actions, Cause::Timeout).await?;
        self.drain().await?;
        self.flush();
        Ok(())
    }

    /// Ships the open output buffers — unless a buffer is being taken a
    /// record at a time: buffers leave full, or when a whole input buffer
    /// is done with (shipping one per record would waste a credit on each).
    fn flush(&mut self) {
        if !self.mid_buffer {
            self.chain.flush();
        }
    }

    async fn on_message(&mut self, msg: TaskInput) -> Result<(), TaskError> {
        match msg {
            TaskInput::Data(DataMsg::Credit { to, from, input, credit, .. }) => {
                self.chain.credit(to, from, input, credit);
                self.drain().await?;
            }
            TaskInput::CreditLost { input } => {
                return Err(self.lost(input, "credit for it could not be sent: no connection".to_string()));
            }
            TaskInput::Data(msg @ (DataMsg::Data { .. } | DataMsg::EndOfData { .. })) => {
                let (input, seq) = msg.channel_seq();
                self.check_seq(input, seq)?;
                if let DataMsg::Data { backlog, .. } = msg {
                    if let Some(lent) = self.credits.arrived(input, backlog) {
                        self.announce(input, lent);
                    }
                }
                let (captured, actions) = self.protocol.on_data(input, seq);
                if let (Some(n), DataMsg::Data { batch, .. }) = (captured, &msg) {
                    self.capture(n, input, batch);
                }
                self.inputs[input as usize].queue.push_back(msg);
                self.apply(actions, Cause::Data).await?;
                self.drain().await?;
            }
            TaskInput::Data(msg @ DataMsg::Barrier { .. }) => {
                let DataMsg::Barrier { input, seq, checkpoint, .. } = msg else { unreachable!("a barrier") };
                self.check_barrier(input, seq)?;
                // Once `n`'s unaligned snapshot is taken, its barriers only
                // mark where channel state ends: that is known on arrival.
                if self.protocol.overtakes() || self.pending.contains_key(&checkpoint) {
                    self.on_barrier(input, checkpoint, seq).await?;
                } else if seq > self.inputs[input as usize].expected_seq && self.timed_out_barriers() {
                    // It timed out upstream and overtook buffers on the way.
                    self.on_barrier_seen(checkpoint);
                    let actions = self.protocol.on_overtaking_barrier(input, checkpoint, seq, crate::sim::now());
                    self.apply(actions, Cause::Timeout).await?;
                } else {
                    self.inputs[input as usize].queue.push_back(msg);
                }
                self.drain().await?;
            }
            TaskInput::Checkpoint(CheckpointMsg::NotifyComplete { checkpoint, to, .. }) => {
                self.chain.notify_complete(to, checkpoint).await?
            }
            // Told to every member; the head's protocol acts once.
            TaskInput::Checkpoint(CheckpointMsg::NotifyAborted { checkpoint, to, .. }) if to == self.ctx.id => {
                let actions = self.protocol.on_cancel(checkpoint);
                self.apply(actions, Cause::CancelMarker).await?;
                self.drain().await?;
            }
            // Triggers go to sources; acks, declines and commit reports to the coordinator.
            TaskInput::Checkpoint(
                CheckpointMsg::Trigger { .. }
                | CheckpointMsg::NotifyAborted { .. }
                | CheckpointMsg::Ack { .. }
                | CheckpointMsg::Decline { .. }
                | CheckpointMsg::Committed { .. },
            ) => {}
        }
        self.flush();
        Ok(())
    }

    /// A gap in a channel's sequence means messages were lost on the way (a
    /// broken connection): the task fails before it uses anything after the
    /// gap, as Flink's input channels do on a buffer sequence mismatch.
    fn check_seq(&mut self, input: u16, seq: u64) -> Result<(), TaskError> {
        let channel = &mut self.inputs[input as usize];
        if seq != channel.expected_seq && !self.ctx.env.bugs.task.ignore_sequence_gaps {
            return Err(self.lost(input, format!("got #{seq}, expected #{}", self.inputs[input as usize].expected_seq)));
        }
        channel.expected_seq = seq + 1;
        Ok(())
    }

    /// A barrier in order sits right behind what arrived; an overtaking one
    /// may sit further on, never before.
    fn check_barrier(&mut self, input: u16, position: u64) -> Result<(), TaskError> {
        let expected = self.inputs[input as usize].expected_seq;
        // In order, it sits right behind what arrived; one that may
        // overtake (unaligned, or an aligned one that timed out upstream)
        // may sit further on.
        let overtakes = self.protocol.overtakes() || self.timed_out_barriers();
        let ok = if overtakes { position >= expected } else { position == expected };
        if ok || self.ctx.env.bugs.task.ignore_sequence_gaps {
            return Ok(());
        }
        Err(self.lost(input, format!("barrier at #{position}, expected #{expected}")))
    }

    fn lost(&self, input: u16, detail: String) -> TaskError {
        let graph = &self.ctx.graph;
        let from = graph.name(graph.task(self.ctx.id).inputs[input as usize]);
        TaskError::LostMessages { from, detail }
    }

    /// Which of the operator's inputs (0 = first listed) channel `input` is.
    fn port(&self, input: u16) -> usize {
        self.ctx.graph.input_port(self.ctx.id, input)
    }

    fn capture(&mut self, n: CheckpointId, input: u16, batch: &[Record]) {
        let port = self.port(input) as u16;
        if let Some(p) = self.pending.get_mut(&n) {
            p.snapshots[0].channels.inputs.entry(port).or_default().extend_from_slice(batch);
        }
    }

    /// Processes buffered events of every input, in channel order, as far as
    /// alignment lets each go.
    /// Stops while an output queue is full (backpressure): what is
    /// buffered waits, and its channels get no credit back meanwhile.
    /// A task whose records cost time takes them one at a time and
    /// returns after each (`slicing`), so that what arrives meanwhile — an
    /// unaligned barrier above all — is handled between records, as
    /// Flink's mailbox does.
    async fn drain(&mut self) -> Result<(), TaskError> {
        let (one, n) = (self.slicing(), self.inputs.len());
        loop {
            // Round-robin over the inputs, one message each, so that no
            // channel starves while another keeps filling (Flink's gate
            // takes channels in the order their data became available).
            let mut progressed = false;
            for k in 0..n {
                let i = (self.next_input + k) % n;
                if self.chain.blocked() {
                    return Ok(());
                }
                let Some((msg, done)) = self.inputs[i].next_ready(one) else { continue };
                self.process(i as u16, msg, done).await?;
                progressed = true;
                if one {
                    self.next_input = (i + 1) % n;
                    return Ok(());
                }
            }
            self.next_input = (self.next_input + 1) % n;
            if !progressed {
                return Ok(());
            }
        }
    }

    /// Whether its records cost time now (its own `cost`, or a slow task).
    fn slicing(&self) -> bool {
        self.chain.costly()
    }

    /// Whether some buffered input may be processed now.
    fn ready(&mut self) -> bool {
        self.inputs.iter().any(Input::ready) && !self.chain.blocked()
    }

    /// `done`: the message ends its buffer (the buffer is free again).
    async fn process(&mut self, input: u16, msg: DataMsg, done: bool) -> Result<(), TaskError> {
        match msg {
            DataMsg::Data { batch, .. } => {
                let port = self.port(input);
                self.chain.process(0, port, batch).await?;
                self.mid_buffer = !done;
                if let Some(credit) = done.then(|| self.credits.consumed(input)).flatten() {
                    self.announce(input, credit);
                }
            }
            DataMsg::Barrier { checkpoint, seq, .. } => self.on_barrier(input, checkpoint, seq).await?,
            DataMsg::EndOfData { .. } => {
                self.inputs[input as usize].ended = true;
                if self.inputs.iter().all(|i| i.ended) && !self.end_of_data {
                    self.end_of_data = true;
                    self.chain.end_of_data();
                }
            }
            DataMsg::Credit { .. } => {} // handled on arrival, never buffered
        }
        Ok(())
    }

    async fn on_barrier(&mut self, input: u16, n: CheckpointId, position: u64) -> Result<(), TaskError> {
        self.on_barrier_seen(n);
        let actions = self.protocol.on_barrier(input, n, position, crate::sim::now());
        self.apply(actions, Cause::NewerBarrier).await
    }

    /// Whether barriers reaching it may have overtaken data after timing
    /// out upstream (and its own overtake its outputs once it times out).
    fn timed_out_barriers(&self) -> bool {
        !self.forced && self.ctx.graph.protocol.kind.barriers_overtake_on_timeout()
    }

    fn on_barrier_seen(&mut self, n: CheckpointId) {
        if n > self.barrier_seen {
            self.barrier_seen = n;
            emit(&self.ctx.env.worker, Event::BarrierReceived { task: self.ctx.name.clone(), checkpoint: n });
        }
    }

    /// Tells the sender of input channel `input` it may send `credit` more buffers.
    fn announce(&self, input: u16, credit: u32) {
        let (attempt, from) = (self.ctx.attempt, self.ctx.id);
        let to = self.ctx.graph.task(self.ctx.id).inputs[input as usize];
        let msg = DataMsg::Credit { attempt, to, from, input, credit };
        self.ctx.env.net.send(&self.ctx.placement[&to], Msg::Data(msg));
    }

    async fn apply(&mut self, actions: Vec<Action>, cause: Cause) -> Result<(), TaskError> {
        let mut actions: VecDeque<Action> = actions.into();
        while let Some(action) = actions.pop_front() {
            match action {
                Action::Block { input, from } => {
                    self.inputs[input as usize].blocked_from = Some(from);
                    let n = self.barrier_seen;
                    if n > self.aligning_traced {
                        self.aligning_traced = n;
                        emit(
                            &self.ctx.env.worker,
                            Event::BarrierAligning {
                                task: self.ctx.name.clone(),
                                checkpoint: n,
                                input,
                                forced: self.forced,
                            },
                        );
                    }
                }
                Action::Snapshot { checkpoint: n, unaligned: false } => {
                    let snapshots = self.chain.snapshot(n, BarrierMode::InOrder, None).await?;
                    self.chain.finish_aligned(n, snapshots, self.end_of_data);
                    self.inputs.iter_mut().for_each(|i| i.blocked_from = None);
                }
                Action::Snapshot { checkpoint: n, unaligned: true } => {
                    actions.extend(self.snapshot_unaligned(n, cause).await?);
                }
                Action::Complete(n) => {
                    if let Some(p) = self.pending.remove(&n) {
                        for (member, snapshot) in self.chain.members.iter().zip(&p.snapshots) {
                            let (inputs, outputs) = (
                                snapshot.channels.inputs.values().map(Vec::len).sum::<usize>(),
                                snapshot.channels.outputs.values().map(Vec::len).sum::<usize>(),
                            );
                            let task = member.ctx.name.clone();
                            let event = Event::ChannelStateComplete { task, checkpoint: n, inputs, outputs };
                            emit(&self.ctx.env.worker, event);
                        }
                        self.chain.upload_and_ack(n, p.snapshots, p.end_of_data);
                    }
                }
                Action::Abort(n) => self.abort(n, cause),
            }
        }
        Ok(())
    }

    /// L10/L11: snapshot now; the barrier overtakes the output buffers; the
    /// in-flight input records start being collected.
    async fn snapshot_unaligned(&mut self, n: CheckpointId, cause: Cause) -> Result<Vec<Action>, TaskError> {
        if cause == Cause::Timeout {
            emit(&self.ctx.env.worker, Event::AlignmentTimedOut { task: self.ctx.name.clone(), checkpoint: n });
        }
        // Unaligned barriers overtake the output buffers and queues (after an
        // aligned timeout too, as Flink's timed-out barriers do).
        let overtakes = self.protocol.overtakes() || self.timed_out_barriers();
        let mode = if overtakes { BarrierMode::Overtaking } else { BarrierMode::InOrder };
        let mut snapshots = self.chain.snapshot(n, mode, None).await?;
        let consumed: Vec<u64> = self.inputs.iter().map(Input::consumed).collect();
        self.protocol.snapshot_taken(n, &consumed);
        // A barrier of `n` that arrived in order but waits in an input queue
        // (behind records backpressure kept there) counts as seen now: what
        // is queued before it is channel state, what is behind it is not.
        let is_n = |m: &DataMsg| matches!(m, DataMsg::Barrier { checkpoint, .. } if *checkpoint == n);
        let channels = &mut snapshots[0].channels;
        for (i, input) in self.inputs.iter().enumerate() {
            let before = input.queue.iter().position(is_n).unwrap_or(input.queue.len());
            for msg in input.queue.range(..before) {
                if let DataMsg::Data { seq, batch, .. } = msg {
                    if self.protocol.captures(i as u16, *seq) == Some(n) {
                        let port = self.ctx.graph.input_port(self.ctx.id, i as u16) as u16;
                        channels.inputs.entry(port).or_default().extend_from_slice(batch);
                    }
                }
            }
        }
        let mut actions = vec![];
        for i in 0..self.inputs.len() {
            let queue = &mut self.inputs[i].queue;
            if let Some(DataMsg::Barrier { seq, .. }) = queue.iter().position(is_n).and_then(|at| queue.remove(at)) {
                actions.extend(self.protocol.on_barrier(i as u16, n, seq, crate::sim::now()));
            }
        }
        self.pending.insert(n, PendingSnapshot { snapshots, end_of_data: self.end_of_data });
        self.inputs.iter_mut().for_each(|i| i.blocked_from = None);
        actions.extend(self.protocol.poll());
        Ok(actions)
    }

    /// L6/L7: `n` is abandoned here; every input unblocks and what was
    /// buffered is processed next, in order; collected channel state goes.
    fn abort(&mut self, n: CheckpointId, cause: Cause) {
        self.pending.remove(&n);
        let buffered: usize = self.inputs.iter().filter(|i| i.blocked_from.is_some()).map(|i| i.queue.len()).sum();
        emit(
            &self.ctx.env.worker,
            Event::AlignmentAborted { task: self.ctx.name.clone(), checkpoint: n, cause, buffered },
        );
        let drop_buffered = self.ctx.env.bugs.task.abort_drops_buffered;
        for i in 0..self.inputs.len() {
            let input = &mut self.inputs[i];
            if input.blocked_from.is_some() && drop_buffered {
                // The dropped buffers are free again: their credit goes back.
                let dropped = input.queue.iter().filter(|m| matches!(m, DataMsg::Data { .. })).count();
                input.queue.retain(|m| !matches!(m, DataMsg::Data { .. }));
                for _ in 0..dropped {
                    if let Some(credit) = self.credits.consumed(i as u16) {
                        self.announce(i as u16, credit);
                    }
                }
            }
            self.inputs[i].blocked_from = None;
        }
    }
}
