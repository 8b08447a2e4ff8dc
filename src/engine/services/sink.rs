//! The `sink` node: an external store (think Kafka transactions, a lakehouse
//! table, a key-value table). Transactions — or a committer sink's files —
//! are written, pre-committed (durable, T4), committed (idempotent) or
//! aborted; plain sinks append rows that are visible at once; upsert sinks
//! write rows into a table by key. Everything is fenced per sink subtask by
//! job attempt, so a zombie task of an old attempt can never write,
//! pre-commit or commit (T7). All of it lives in a write-ahead log on the node's disk;
//! a request is answered only once its entries are fsynced, and a disk error
//! fails the request.
//!
//! Records live only in the log, packed (`packed`): the store's memory
//! holds each transaction's status, record count and digest, so it stays
//! bounded by transactions, not records. Readers of the committed output
//! (`for_each_committed`) stream the log one entry at a time.

use super::packed::Packed;
use super::wal;
use crate::engine::msg::{Attempt, CheckpointId, Msg, Record, ReqId, SinkError, SinkMsg, TxnId};
use crate::sim::disk::{DiskError, SimDisk};
use crate::sim::net::{Net, NetEvent};
use crate::trace::event::{CommitVia, Digest};
use crate::trace::{emit, Event};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const WAL: &str = "sink.wal";

/// One entry of the sink's write-ahead log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Entry<'a> {
    /// Records appended to an open transaction (by its own attempt).
    Write {
        txn: TxnId,
        #[serde(borrow)]
        records: Packed<'a>,
    },
    PreCommit {
        txn: TxnId,
        checkpoint: CheckpointId,
    },
    /// `by`: the attempt of the task that asked for the commit.
    Commit {
        txn: TxnId,
        at: Duration,
        by: Attempt,
    },
    Abort {
        txn: TxnId,
    },
    /// Rows visible at once: appended (plain) or upserted by key.
    Append {
        txn: TxnId,
        #[serde(borrow)]
        records: Packed<'a>,
        at: Duration,
        upsert: bool,
    },
    /// Attempts below `attempt` of this sink subtask may do nothing more.
    Fence {
        sink: u16,
        subtask: u16,
        attempt: Attempt,
    },
}

/// Planted bugs of the sink store (`bugs` says what each models).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinkStoreBugs {
    /// `no_fencing`: fences are recorded but never checked.
    pub no_fencing: bool,
    /// `recover_rejects_committed`: recovering a committed transaction fails.
    pub recover_rejects_committed: bool,
    /// `non_idempotent_commit`: committing a committed transaction again
    /// appends its rows again.
    pub non_idempotent_commit: bool,
    /// `commit_despite_failed_writes`: a transaction missing writes the
    /// store could not log is pre-committed anyway.
    pub commit_despite_failed_writes: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Status {
    Open,
    PreCommitted(CheckpointId),
    Committed,
    Aborted,
}

/// A transaction as the store keeps it: its records stay in the log.
#[derive(Debug, Clone)]
struct Txn {
    /// Records written and not yet committed or aborted.
    records: u64,
    /// `digest` of those records, in order.
    digest: u64,
    status: Status,
    checkpoint: Option<CheckpointId>,
}

impl Txn {
    fn open() -> Txn {
        Txn { records: 0, digest: DIGEST_START, status: Status::Open, checkpoint: None }
    }
}

/// A transaction (or a plain sink's append) as a reader of committed data sees it.
#[derive(Debug, Clone)]
pub struct CommittedTxn {
    /// False for a plain sink's append: no checkpoint covers it.
    pub transactional: bool,
    pub txn: TxnId,
    /// The checkpoint it was pre-committed for.
    pub checkpoint: Option<CheckpointId>,
    /// Simulated time of the commit.
    pub at: Duration,
}

/// The store's state, rebuilt from the WAL on start.
#[derive(Debug, Default)]
struct Store {
    /// Keeps each open transaction's digest (the node does, for the trace;
    /// a reader of the log needs none).
    digests: bool,
    txns: BTreeMap<TxnId, Txn>,
    fences: BTreeMap<(u16, u16), Attempt>,
    /// Upsert sinks' tables: per sink operator, key → (value, the record that wrote it).
    tables: BTreeMap<u16, BTreeMap<u64, Record>>,
}

impl Store {
    fn status(&self, txn: &TxnId) -> Option<&Status> {
        self.txns.get(txn).map(|t| &t.status)
    }

    fn apply(&mut self, entry: &Entry) {
        match entry {
            Entry::Write { txn, records } => {
                let digests = self.digests;
                self.wrote(
                    *txn,
                    records.count() as u64,
                    |h| if digests { digest_more(h, records.records()) } else { h },
                )
            }
            Entry::PreCommit { txn, checkpoint } => {
                let t = self.txns.entry(*txn).or_insert_with(Txn::open);
                t.status = Status::PreCommitted(*checkpoint);
                t.checkpoint = Some(*checkpoint);
            }
            Entry::Commit { txn, .. } => {
                if let Some(t) = self.txns.get_mut(txn) {
                    t.status = Status::Committed;
                    t.records = 0;
                    t.digest = DIGEST_START;
                }
            }
            Entry::Abort { txn } => {
                if let Some(t) = self.txns.get_mut(txn) {
                    t.status = Status::Aborted;
                    t.records = 0;
                    t.digest = DIGEST_START;
                }
            }
            Entry::Fence { sink, subtask, attempt } => {
                self.fences.insert((*sink, *subtask), *attempt);
            }
            Entry::Append { upsert: false, .. } => {}
            Entry::Append { txn, records, upsert: true, .. } => {
                let table = self.tables.entry(txn.sink).or_default();
                for r in records.records() {
                    table.insert(r.key, r);
                }
            }
        }
    }

    /// `n` records written to `txn`; `digest` continues its digest over them.
    fn wrote(&mut self, txn: TxnId, n: u64, digest: impl FnOnce(u64) -> u64) {
        let t = self.txns.entry(txn).or_insert_with(Txn::open);
        if t.status == Status::Open {
            t.records += n;
            t.digest = digest(t.digest);
        }
    }

    fn fenced(&self, txn_or_task: (u16, u16), attempt: Attempt) -> bool {
        self.fences.get(&txn_or_task).is_some_and(|f| attempt < *f)
    }
}

/// The `sink` node's main loop.
pub async fn run(disk: SimDisk, options: SinkStoreBugs) {
    let (net, mut inbox) = Net::<Msg>::bind("sink").await;
    let mut store = Store { digests: true, ..Store::default() };
    wal::recover_with(&disk, WAL, "sink", |bytes| wal::for_each(bytes, |entry: Entry| store.apply(&entry))).await;
    let mut node = SinkNode { disk, store, options, reported: BTreeSet::new(), writes: None };
    // Group commit: everything that arrived is applied and logged, then one
    // fsync makes it durable and every request of the batch is answered.
    // Writes to one transaction that arrive one after another are logged as
    // one entry, as a broker appends a produce request's batch at once.
    while let Some(event) = inbox.next().await {
        let mut replies = vec![];
        let mut next = Some(event);
        while let Some(event) = next.take() {
            if let NetEvent::Message { from, msg: Msg::Sink(msg) } = event {
                if let Some((req, result)) = node.handle(msg) {
                    replies.push((from, req, result));
                }
            }
            next = inbox.try_recv().ok();
        }
        node.log_writes();
        if replies.is_empty() {
            continue;
        }
        let synced = node.disk.fsync(WAL).await.map_err(SinkError::Disk);
        for (from, req, result) in replies {
            let result = result.and(synced.clone());
            net.send(&from, Msg::Sink(SinkMsg::Reply { req, result }));
        }
    }
}

struct SinkNode {
    disk: SimDisk,
    store: Store,
    options: SinkStoreBugs,
    /// Transactions whose fenced requests were already reported in the trace.
    reported: BTreeSet<TxnId>,
    /// Records written to one transaction in a row, not yet logged.
    writes: Option<(TxnId, Vec<Record>)>,
}

impl SinkNode {
    fn log(&mut self, entry: Entry) -> Result<(), DiskError> {
        wal::append(&self.disk, WAL, &entry)?;
        self.store.apply(&entry);
        Ok(())
    }

    /// Logs a write that gets no reply; one the disk refuses is lost (the
    /// writer learns of it when its pre-commit or flush fails).
    fn log_or_lose(&mut self, txn: TxnId, entry: Entry) {
        if let Err(error) = self.log(entry) {
            emit("sink", Event::SinkWriteLost { txn, error });
        }
    }

    /// Whether `attempt` of this sink subtask is fenced (a zombie).
    fn fenced(&mut self, txn: TxnId, attempt: Attempt, what: &'static str) -> bool {
        if self.options.no_fencing || !self.store.fenced((txn.sink, txn.subtask), attempt) {
            return false;
        }
        if self.reported.insert(txn) {
            emit("sink", Event::StaleAtSink { txn, attempt, msg: what });
        }
        true
    }

    /// Logs the writes gathered for one transaction as one entry.
    fn log_writes(&mut self) {
        let Some((txn, records)) = self.writes.take() else { return };
        // Logged packed; the digest is taken from the records as they came.
        let entry = Entry::Write { txn, records: Packed::pack(&records) };
        match wal::append(&self.disk, WAL, &entry) {
            Ok(()) => self.store.wrote(txn, records.len() as u64, |h| digest_more(h, records.iter().copied())),
            Err(error) => emit("sink", Event::SinkWriteLost { txn, error }),
        }
    }

    /// Applies and logs one message; a request's reply waits for the fsync.
    /// A write joins the writes gathered for its transaction.
    fn handle(&mut self, msg: SinkMsg) -> Option<(ReqId, Result<(), SinkError>)> {
        if !matches!(msg, SinkMsg::Write { .. }) {
            self.log_writes();
        }
        let (req, result) = match msg {
            SinkMsg::Write { txn, records } => {
                match &mut self.writes {
                    Some((to, gathered)) if *to == txn => gathered.extend(records),
                    _ => {
                        self.log_writes();
                        if !self.fenced(txn, txn.attempt, "write") {
                            self.writes = Some((txn, records));
                        }
                    }
                }
                return None;
            }
            SinkMsg::PreCommit { req, txn, checkpoint, records } => (req, self.pre_commit(txn, checkpoint, records)),
            SinkMsg::Commit { req, txn, fence, notified } => {
                (req, self.commit(txn, fence, CommitVia::Notified(notified)))
            }
            SinkMsg::Recover { req, sink, subtask, fence, commit, keep_pre_committed } => {
                (req, self.recover((sink, subtask), fence, &commit, keep_pre_committed))
            }
            SinkMsg::Append { txn, records, upsert } => {
                let at = crate::sim::now();
                if !self.fenced(txn, txn.attempt, "append") {
                    self.log_or_lose(txn, Entry::Append { txn, records: Packed::pack(&records), at, upsert });
                }
                return None;
            }
            SinkMsg::Flush { req, sink, subtask, fence } => {
                let txn = TxnId { sink, subtask, attempt: fence, seq: 0 };
                let result = if self.fenced(txn, fence, "flush") {
                    Err(SinkError::FlushFenced { sink, subtask, attempt: fence })
                } else {
                    Ok(())
                };
                (req, result)
            }
            // Replies go from the store, never to it.
            SinkMsg::Reply { .. } => return None,
        };
        Some((req, result))
    }

    fn pre_commit(&mut self, txn: TxnId, checkpoint: CheckpointId, expected: u64) -> Result<(), SinkError> {
        if self.fenced(txn, txn.attempt, "pre-commit") {
            return Err(SinkError::PreCommitFenced(txn));
        }
        let (have, status) = self.store.txns.get(&txn).map_or((0, Status::Open), |t| (t.records, t.status.clone()));
        if status == Status::Aborted {
            return Err(SinkError::Aborted(txn));
        }
        if have != expected && !self.options.commit_despite_failed_writes {
            return Err(SinkError::Incomplete { txn, have, expected });
        }
        Ok(self.log(Entry::PreCommit { txn, checkpoint })?)
    }

    /// Commits `txn` for attempt `fence`; `via` says what asked for it (a
    /// notified checkpoint id, or `restore`).
    fn commit(&mut self, txn: TxnId, fence: Attempt, via: CommitVia) -> Result<(), SinkError> {
        if self.fenced(txn, fence, "commit") {
            return Err(SinkError::CommitFenced { txn, attempt: fence });
        }
        match self.store.txns.get(&txn).map(|t| t.status.clone()) {
            Some(Status::Committed) if self.options.non_idempotent_commit => {
                Ok(self.log(Entry::Commit { txn, at: crate::sim::now(), by: fence })?)
            }
            Some(Status::Committed) => Ok(()), // idempotent
            Some(Status::PreCommitted(checkpoint)) => {
                let (records, digest) = self.store.txns.get(&txn).map_or((0, DIGEST_START), |t| (t.records, t.digest));
                let at = crate::sim::now();
                self.log(Entry::Commit { txn, at, by: fence })?;
                emit(
                    "sink",
                    Event::TxnCommitted {
                        txn,
                        checkpoint,
                        via,
                        by: fence,
                        records: records as usize,
                        digest: Digest(digest),
                    },
                );
                Ok(())
            }
            other => Err(SinkError::NotCommittable { txn, state: format!("{other:?}") }),
        }
    }

    fn recover(
        &mut self,
        task: (u16, u16),
        fence: Attempt,
        commit: &[TxnId],
        keep_pre_committed: bool,
    ) -> Result<(), SinkError> {
        if !self.options.no_fencing && self.store.fenced(task, fence) {
            return Err(SinkError::RecoverFenced { sink: task.0, subtask: task.1, attempt: fence });
        }
        self.log(Entry::Fence { sink: task.0, subtask: task.1, attempt: fence })?;
        for txn in commit {
            if self.store.txns.get(txn).is_some_and(|t| t.status == Status::Committed) {
                emit("sink", Event::TxnRecoverAlreadyCommitted { txn: *txn, by: fence });
                if self.options.recover_rejects_committed {
                    return Err(SinkError::AlreadyCommitted(*txn));
                }
            }
            self.commit(*txn, fence, CommitVia::Restore)?;
        }
        let stale: Vec<TxnId> = self
            .store
            .txns
            .iter()
            .filter(|(t, x)| {
                (t.sink, t.subtask) == task
                    && t.attempt < fence
                    && (x.status == Status::Open || matches!(x.status, Status::PreCommitted(_)) && !keep_pre_committed)
            })
            .map(|(t, _)| *t)
            .collect();
        for txn in stale {
            self.log(Entry::Abort { txn })?;
            emit("sink", Event::TxnAborted { txn });
        }
        Ok(())
    }
}

const DIGEST_START: u64 = 0xcbf2_9ce4_8422_2325;

/// Order-sensitive digest of records (continuing from `h`), so the trace
/// hash sees the output.
fn digest_more(h: u64, records: impl Iterator<Item = Record>) -> u64 {
    records.fold(h, |h, r| {
        let x = r.key
            ^ (r.value as u64).rotate_left(17)
            ^ r.origin.offset.rotate_left(31)
            ^ u64::from(r.origin.partition).rotate_left(47);
        (h ^ x).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Every committed transaction, in commit order, as the durable WAL holds it
/// at the end of the run (what a `read_committed` consumer would see),
/// without its records.
pub fn committed_output(disk: &SimDisk) -> Vec<CommittedTxn> {
    let mut out = vec![];
    for_each_committed(disk, &BTreeSet::new(), |t, _| out.push(t.clone()));
    out
}

/// Streams the committed output: each committed transaction in commit order,
/// with its records (packed batches, in the order they were written). Only
/// the records of transactions still open at that point of the log are
/// held. A transaction committed again (only a planted bug does that) gets
/// its records again only if it is in `again`; otherwise none.
pub fn for_each_committed(disk: &SimDisk, again: &BTreeSet<TxnId>, mut f: impl FnMut(&CommittedTxn, &[Packed])) {
    disk.read_durable_with(WAL, |bytes| {
        let mut store = Store::default();
        let mut open: BTreeMap<TxnId, Vec<Packed>> = BTreeMap::new();
        let mut kept: BTreeMap<TxnId, Vec<Packed>> = BTreeMap::new();
        wal::for_each(bytes, |entry: Entry| {
            let before = store.status(entry.txn()).cloned();
            store.apply(&entry);
            match entry {
                Entry::Write { txn, records } if matches!(before, None | Some(Status::Open)) => {
                    open.entry(txn).or_default().push(records)
                }
                Entry::Commit { txn, at, .. } => {
                    let Some(before) = before else { return };
                    let records = match before {
                        Status::Committed => kept.get(&txn).cloned().unwrap_or_default(),
                        _ => open.remove(&txn).unwrap_or_default(),
                    };
                    if again.contains(&txn) && before != Status::Committed {
                        kept.insert(txn, records.clone());
                    }
                    let checkpoint = store.txns.get(&txn).and_then(|t| t.checkpoint);
                    f(&CommittedTxn { transactional: true, txn, checkpoint, at }, &records);
                }
                Entry::Abort { txn } => {
                    open.remove(&txn);
                }
                Entry::Append { txn, records, at, upsert: false } => {
                    let t = CommittedTxn { transactional: false, txn, checkpoint: None, at };
                    f(&t, std::slice::from_ref(&records));
                }
                _ => {}
            }
        });
    });
}

impl Entry<'_> {
    /// The transaction it is about (a fence's: a placeholder of its subtask).
    fn txn(&self) -> &TxnId {
        const NONE: TxnId = TxnId { sink: u16::MAX, subtask: u16::MAX, attempt: 0, seq: 0 };
        match self {
            Entry::Write { txn, .. }
            | Entry::PreCommit { txn, .. }
            | Entry::Commit { txn, .. }
            | Entry::Abort { txn }
            | Entry::Append { txn, .. } => txn,
            Entry::Fence { .. } => &NONE,
        }
    }
}

/// Upsert sinks' final tables, as durably stored: per sink operator, key → the row.
pub fn upsert_tables(disk: &SimDisk) -> BTreeMap<u16, BTreeMap<u64, Record>> {
    let mut store = Store::default();
    for_each_entry(disk, |entry| store.apply(&entry));
    store.tables
}

/// The durable WAL's entries, in order, one at a time (for oracles).
pub fn for_each_entry(disk: &SimDisk, f: impl FnMut(Entry<'_>)) {
    disk.read_durable_with(WAL, |bytes| wal::for_each(bytes, f));
}
