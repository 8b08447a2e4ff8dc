//! A Kafka-style transactional sink, written in this crate against
//! ckptsim's public sink API and judged on what became durable in ckptsim's
//! simulated store — the way Kafka's transactional producer (KIP-98) and
//! Flink's `KafkaSink` work:
//!
//! - each sink subtask has a transactional id of its own (`subtask`), and
//!   on every start *initialises* it: the producer epoch is bumped (the
//!   store fences the id at this attempt, so a zombie of an older attempt
//!   can write or commit nothing more), the transactions its restored state
//!   names are committed (their checkpoint completed, but the commit may not
//!   have happened), and every other lingering transaction of the id is
//!   aborted;
//! - records go into the open transaction; at a checkpoint's snapshot the
//!   transaction is pre-committed (flushed, with the count of records
//!   written, so a lost write fails it) and a new one opens;
//! - on notify-complete of `n`, every pre-committed transaction up to `n` is
//!   committed, and the subtask reports how far its output is committed.
//!
//! `kafka_txn_shared_id` is the flaw of FLINK-7978: the transactional id is
//! derived without the subtask index, so the subtasks of one sink share it
//! and clash — each writes into the other's transaction and initialises
//! (fences, aborts) the other's. Pre-commits fail though no fault was
//! injected, and no checkpoint completes: ckptsim's `explained_failovers`
//! and `liveness` oracles catch it.

use ckptsim::engine::msg::{Record, TaskError};
use ckptsim::engine::outputs::Outputs;
use ckptsim::engine::sink::client::SinkClient;
use ckptsim::engine::sink::{committed, decode, encode, recover_removed, Output, SinkKind, SinkWriter};
use ckptsim::engine::task::context::TaskCtx;
use ckptsim::run::testbed::Testbed;
use ckptsim::scenario::ids::{CheckpointId, TxnId};
use futures::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The sinks this crate adds, as scenario files name them.
pub fn testbed() -> Testbed {
    Testbed::new()
        .sink("kafka_txn", KafkaTxnSink { shared_transactional_id: false })
        .sink("kafka_txn_shared_id", KafkaTxnSink { shared_transactional_id: true })
}

/// `sink = "kafka_txn"` (or, with `shared_transactional_id`, the flawed
/// `"kafka_txn_shared_id"`).
pub struct KafkaTxnSink {
    pub shared_transactional_id: bool,
}

/// What a subtask checkpoints: the transactions pre-committed for
/// checkpoints not yet known to be committed, and the next transaction's number.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct State {
    pending: BTreeMap<CheckpointId, TxnId>,
    next: u64,
}

/// The transactions a restored state names (for a removed subtask's recovery too).
fn pending(state: &[u8]) -> Vec<TxnId> {
    decode::<State>(state).map(|s| s.pending.into_values().collect()).unwrap_or_default()
}

impl SinkKind for KafkaTxnSink {
    fn output(&self) -> Output {
        Output::Transactional
    }

    fn open_writer<'a>(
        &'a self,
        ctx: &'a TaskCtx,
        restored: Option<Vec<u8>>,
        removed: Vec<(u16, Vec<u8>)>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn SinkWriter>, TaskError>> {
        Box::pin(async move {
            // After a scale-down, the ids of subtasks that no longer exist are
            // initialised too: their pending transactions committed, the rest aborted.
            recover_removed(ctx, removed, pending, false).await?;
            let state: State = restored.as_deref().map(decode).transpose()?.unwrap_or_default();
            let id = if self.shared_transactional_id { 0 } else { ctx.id.subtask };
            // initTransactions: bump the epoch (fence zombies), commit what the
            // state names, abort every other lingering transaction of the id.
            let commit = state.pending.values().copied().collect();
            SinkClient::of(ctx).recover(id, commit, false).await?;
            let txn = TxnId { sink: ctx.id.op, subtask: id, attempt: ctx.attempt, seq: state.next };
            Ok(Box::new(Writer { txn, written: 0, state: State { pending: BTreeMap::new(), next: state.next + 1 } })
                as Box<dyn SinkWriter>)
        })
    }
}

/// One subtask's producer.
struct Writer {
    /// The open transaction.
    txn: TxnId,
    /// Records written into it.
    written: u64,
    state: State,
}

impl SinkWriter for Writer {
    fn write(&mut self, ctx: &TaskCtx, batch: Vec<Record>) {
        self.written += batch.len() as u64;
        SinkClient::of(ctx).write(self.txn, batch);
    }

    /// Pre-commits the open transaction for checkpoint `n` and opens the next.
    fn snapshot<'a>(
        &'a mut self,
        ctx: &'a TaskCtx,
        n: CheckpointId,
        _outputs: &'a mut Outputs,
    ) -> LocalBoxFuture<'a, Result<Vec<u8>, TaskError>> {
        Box::pin(async move {
            SinkClient::of(ctx).pre_commit(self.txn, n, self.written).await?;
            self.state.pending.insert(n, self.txn);
            self.txn = TxnId { seq: self.state.next, ..self.txn };
            self.state.next += 1;
            self.written = 0;
            Ok(encode(&self.state))
        })
    }

    /// Commits every transaction pre-committed up to `n`.
    fn notify_complete<'a>(
        &'a mut self,
        ctx: &'a TaskCtx,
        n: CheckpointId,
    ) -> LocalBoxFuture<'a, Result<(), TaskError>> {
        Box::pin(async move {
            let done: Vec<CheckpointId> = self.state.pending.range(..=n).map(|(c, _)| *c).collect();
            for c in done {
                let txn = self.state.pending[&c];
                SinkClient::of(ctx).commit(txn, n).await?;
                self.state.pending.remove(&c);
            }
            committed(ctx, n);
            Ok(())
        })
    }
}
