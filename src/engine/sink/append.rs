//! `Appender`: the buffered writer the non-transactional sinks share
//! (`plain`, `upsert`), sans-IO. It buffers rows, hands back a batch to send
//! once enough gathered, and at every snapshot the last batch and whether
//! the store must flush (Flink's `SinkWriter.flush`), so a completed
//! checkpoint covers only rows the store holds.

use crate::engine::msg::{Attempt, Record, TxnId};

/// Rows a writer buffers before it sends them (a producer's batch).
pub(crate) const BUFFER: usize = 256;

/// Planted bugs of the appender (`bugs` says what each models).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppendBugs {
    /// `sink_no_flush_on_snapshot`: the snapshot does not flush the buffered rows.
    pub no_flush_on_snapshot: bool,
}

/// One writer subtask's buffer.
#[derive(Debug, Clone)]
pub struct Appender {
    /// The batches' id prefix: this writer's sink operator, subtask and attempt.
    sink: u16,
    subtask: u16,
    attempt: Attempt,
    buffer: Vec<Record>,
    /// The next batch's sequence number.
    seq: u64,
    bugs: AppendBugs,
}

impl Appender {
    pub fn new(sink: u16, subtask: u16, attempt: Attempt, bugs: AppendBugs) -> Self {
        Appender { sink, subtask, attempt, buffer: vec![], seq: 0, bugs }
    }

    /// Rows to write: a batch to send once the buffer is full.
    pub fn on_records(&mut self, batch: Vec<Record>) -> Option<(TxnId, Vec<Record>)> {
        self.buffer.extend(batch);
        (self.buffer.len() >= BUFFER).then(|| self.take()).flatten()
    }

    /// The snapshot: what is buffered goes out, then the store must flush
    /// (`true`) — unless the planted bug skips both.
    pub fn on_snapshot(&mut self) -> (Option<(TxnId, Vec<Record>)>, bool) {
        if self.bugs.no_flush_on_snapshot {
            return (None, false);
        }
        (self.take(), true)
    }

    /// The buffered rows as the next batch, if any.
    fn take(&mut self) -> Option<(TxnId, Vec<Record>)> {
        if self.buffer.is_empty() {
            return None;
        }
        let txn = TxnId { sink: self.sink, subtask: self.subtask, attempt: self.attempt, seq: self.seq };
        self.seq += 1;
        Some((txn, std::mem::take(&mut self.buffer)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::msg::Origin;

    fn rows(n: u64) -> Vec<Record> {
        (0..n)
            .map(|o| Record { key: o, value: 1, origin: Origin { source: 0, partition: 0, offset: o }, attempt: 1 })
            .collect()
    }

    #[test]
    fn a_full_buffer_goes_out_and_the_snapshot_sends_the_rest_then_flushes() {
        let mut a = Appender::new(2, 1, 3, AppendBugs::default());
        assert_eq!(a.on_records(rows(10)), None);
        let (txn, batch) = a.on_records(rows(BUFFER as u64)).expect("a full buffer");
        assert_eq!((txn, batch.len()), (TxnId { sink: 2, subtask: 1, attempt: 3, seq: 0 }, BUFFER + 10));
        a.on_records(rows(5));
        let (last, flush) = a.on_snapshot();
        assert_eq!(last.map(|(t, b)| (t.seq, b.len())), Some((1, 5)));
        assert!(flush);
        assert_eq!(a.on_snapshot(), (None, true), "nothing buffered: flush only");
    }

    #[test]
    fn the_no_flush_bug_leaves_rows_in_the_buffer_at_the_snapshot() {
        let mut a = Appender::new(2, 1, 3, AppendBugs { no_flush_on_snapshot: true });
        a.on_records(rows(5));
        assert_eq!(a.on_snapshot(), (None, false));
    }
}
