//! The external store's client, as a sink subtask sees it: every request
//! goes to the `sink` node, fenced by the subtask's attempt (T7); the
//! awaited ones fail the task when the store refuses or does not answer.

use super::transactions::SinkOut;
use crate::engine::msg::{CheckpointId, Msg, Record, SinkMsg, TaskError, TxnId};
use crate::engine::task::context::TaskCtx;
use crate::trace::{emit, Event};

/// The store client of one sink subtask.
pub struct SinkClient<'a> {
    ctx: &'a TaskCtx,
}

impl<'a> SinkClient<'a> {
    /// The client of the sink subtask `ctx` runs.
    pub fn of(ctx: &'a TaskCtx) -> Self {
        SinkClient { ctx }
    }

    /// Appends records to the open transaction `txn` (not awaited).
    pub fn write(&self, txn: TxnId, records: Vec<Record>) {
        self.ctx.env.net.send("sink", Msg::Sink(SinkMsg::Write { txn, records }));
    }

    /// Appends rows that are visible at once (`upsert`: written by key), as
    /// the writer's batch `txn` (not awaited).
    pub fn append(&self, txn: TxnId, records: Vec<Record>, upsert: bool) {
        self.ctx.env.net.send("sink", Msg::Sink(SinkMsg::Append { txn, records, upsert }));
    }

    /// Makes every earlier append of this writer durable.
    pub async fn flush(&self) -> Result<(), TaskError> {
        let (sink, subtask, fence) = (self.ctx.id.op, self.ctx.id.subtask, self.ctx.attempt);
        self.call(move |req| SinkMsg::Flush { req, sink, subtask, fence }).await
    }

    /// T1 for sink subtask `subtask` of this operator: fence older attempts,
    /// commit `commit` (idempotent), abort the rest — keeping pre-committed
    /// files for a committer when `keep_pre_committed`.
    pub async fn recover(&self, subtask: u16, commit: Vec<TxnId>, keep_pre_committed: bool) -> Result<(), TaskError> {
        let (sink, fence) = (self.ctx.id.op, self.ctx.attempt);
        self.call(move |req| SinkMsg::Recover { req, sink, subtask, fence, commit, keep_pre_committed }).await
    }

    /// T2: flushes `txn` durably; it must hold `records` records.
    pub async fn pre_commit(&self, txn: TxnId, checkpoint: CheckpointId, records: u64) -> Result<(), TaskError> {
        self.call(move |req| SinkMsg::PreCommit { req, txn, checkpoint, records }).await?;
        let task = self.ctx.name.clone();
        emit(&self.ctx.env.worker, Event::TxnPreCommitted { task, txn, checkpoint, records });
        Ok(())
    }

    /// T3: makes `txn` visible, asked for by the notification of `notified`.
    pub async fn commit(&self, txn: TxnId, notified: CheckpointId) -> Result<(), TaskError> {
        let fence = self.ctx.attempt;
        self.call(move |req| SinkMsg::Commit { req, txn, fence, notified }).await
    }

    /// Carries out a transactional core's requests in order, waiting for
    /// each reply; commits are for notified checkpoint `notified`; a file
    /// writer's recovery keeps its flushed files for the committer.
    pub(crate) async fn carry_out(
        &self,
        outs: Vec<SinkOut>,
        notified: CheckpointId,
        writer: bool,
    ) -> Result<(), TaskError> {
        for out in outs {
            match out {
                SinkOut::Write { txn, records } => self.write(txn, records),
                SinkOut::Recover { commit } => self.recover(self.ctx.id.subtask, commit, writer).await?,
                SinkOut::PreCommit { txn, checkpoint, records } => self.pre_commit(txn, checkpoint, records).await?,
                SinkOut::Commit { txn, .. } => self.commit(txn, notified).await?,
            }
        }
        Ok(())
    }

    async fn call(&self, make: impl FnOnce(u64) -> SinkMsg) -> Result<(), TaskError> {
        match self.ctx.env.rpc.call("sink", |req| Msg::Sink(make(req))).await? {
            Msg::Sink(SinkMsg::Reply { result, .. }) => result.map_err(TaskError::sink),
            other => Err(TaskError::Other(format!("bad sink reply {other:?}"))),
        }
    }
}
