//! Everything that travels between nodes, by the plane it serves; each
//! plane is matched on its own, exhaustively. A component of a user's sees
//! only the records it writes (`Record`), the ids, and the errors a task
//! fails with (`TaskError` and what the services answer, `ServiceError`).
//!
//! - `data`       — task → task: records, barriers, end of data
//! - `control`    — worker ↔ coordinator (and the job's client ↔ coordinator)
//! - `checkpoint` — triggers, acks, declines, notifications, commit reports
//! - `services`   — the `log`, `storage` and `sink` nodes' requests and replies
//! - `error`      — what a task fails with, and what services answer with

pub(crate) mod checkpoint;
pub(crate) mod control;
pub(crate) mod data;
pub(crate) mod error;
pub(crate) mod services;

pub use crate::scenario::ids::{Attempt, CheckpointId, Origin, TaskId, TxnId};
pub(crate) use checkpoint::{CheckpointMeta, CheckpointMsg, StateHandle};
pub(crate) use control::{ClientMsg, ControlMsg, Deployment};
pub(crate) use data::DataMsg;
pub use data::Record;
pub use error::{ServiceError, SinkError, StateError, StorageError, TaskError};
pub(crate) use services::{LogMsg, ReqId, SinkMsg, StorageMsg};

use crate::scenario::MessageClass;
use crate::sim::net::Classify;

/// A message between nodes.
#[derive(Debug, Clone)]
pub(crate) enum Msg {
    Data(DataMsg),
    Control(ControlMsg),
    Client(ClientMsg),
    Checkpoint(CheckpointMsg),
    Log(LogMsg),
    Storage(StorageMsg),
    Sink(SinkMsg),
}

/// What a task's inbox takes: its input channels' messages, and the
/// coordinator's messages to it (triggers, notifications).
#[derive(Debug, Clone)]
pub(crate) enum TaskInput {
    Data(DataMsg),
    Checkpoint(CheckpointMsg),
    /// The credit this task announced for input channel `input` was lost:
    /// no connection to the sender's worker could be opened.
    CreditLost {
        input: u16,
    },
}

impl TaskInput {
    /// The kind of message, as network faults and traces name it.
    pub fn class(&self) -> MessageClass {
        match self {
            TaskInput::Data(d) => Msg::Data(d.clone()).class(),
            TaskInput::Checkpoint(c) => Msg::Checkpoint(c.clone()).class(),
            TaskInput::CreditLost { .. } => MessageClass::Credit,
        }
    }
}

impl Msg {
    /// The request id a service reply echoes, if this is one.
    pub fn reply_id(&self) -> Option<ReqId> {
        match self {
            Msg::Log(LogMsg::Records { req, .. })
            | Msg::Storage(StorageMsg::Reply { req, .. })
            | Msg::Sink(SinkMsg::Reply { req, .. }) => Some(*req),
            Msg::Data(_) | Msg::Control(_) | Msg::Client(_) | Msg::Checkpoint(_) => None,
            Msg::Log(LogMsg::Fetch { .. }) => None,
            Msg::Storage(StorageMsg::Put { .. } | StorageMsg::Get { .. } | StorageMsg::Delete { .. }) => None,
            Msg::Sink(
                SinkMsg::Write { .. }
                | SinkMsg::PreCommit { .. }
                | SinkMsg::Commit { .. }
                | SinkMsg::Recover { .. }
                | SinkMsg::Append { .. }
                | SinkMsg::Flush { .. },
            ) => None,
        }
    }
}

impl Classify for Msg {
    /// Writes (and appends) to one transaction that wait to leave one behind
    /// the other go as one, as a Kafka producer batches a partition's records.
    fn absorb(&mut self, next: Msg) -> Result<(), Msg> {
        let joins = match (&*self, &next) {
            (Msg::Sink(SinkMsg::Write { txn, .. }), Msg::Sink(SinkMsg::Write { txn: to, .. })) => txn == to,
            (
                Msg::Sink(SinkMsg::Append { txn, upsert, .. }),
                Msg::Sink(SinkMsg::Append { txn: to, upsert: also, .. }),
            ) => txn == to && upsert == also,
            _ => false,
        };
        match (self, next) {
            (
                Msg::Sink(SinkMsg::Write { records, .. } | SinkMsg::Append { records, .. }),
                Msg::Sink(SinkMsg::Write { records: more, .. } | SinkMsg::Append { records: more, .. }),
            ) if joins => {
                records.extend(more);
                Ok(())
            }
            (_, next) => Err(next),
        }
    }

    fn class(&self) -> MessageClass {
        match self {
            Msg::Data(DataMsg::Data { .. }) => MessageClass::Data,
            Msg::Data(DataMsg::Barrier { .. }) => MessageClass::Barrier,
            Msg::Data(DataMsg::EndOfData { .. }) => MessageClass::EndOfData,
            Msg::Data(DataMsg::Credit { .. }) => MessageClass::Credit,
            Msg::Control(ControlMsg::Heartbeat { .. } | ControlMsg::HeartbeatReply) => MessageClass::Heartbeat,
            Msg::Control(ControlMsg::Deploy(_)) => MessageClass::Deploy,
            Msg::Control(ControlMsg::Cancel { .. }) => MessageClass::Cancel,
            Msg::Control(ControlMsg::TaskFailed { .. }) => MessageClass::TaskFailed,
            Msg::Client(_) => MessageClass::Rescale,
            Msg::Checkpoint(CheckpointMsg::Trigger { .. }) => MessageClass::Trigger,
            Msg::Checkpoint(CheckpointMsg::Ack { .. }) => MessageClass::Ack,
            Msg::Checkpoint(CheckpointMsg::Decline { .. }) => MessageClass::Decline,
            Msg::Checkpoint(CheckpointMsg::NotifyComplete { .. }) => MessageClass::NotifyComplete,
            Msg::Checkpoint(CheckpointMsg::NotifyAborted { .. }) => MessageClass::NotifyAborted,
            Msg::Checkpoint(CheckpointMsg::Committed { .. }) => MessageClass::Committed,
            Msg::Log(_) => MessageClass::Log,
            Msg::Storage(_) => MessageClass::Storage,
            Msg::Sink(_) => MessageClass::Sink,
        }
    }

    fn dropped(from: &str, to: &str, class: MessageClass) {
        crate::trace::emit(from, crate::trace::Event::MessageDropped { to: to.to_string(), msg: class });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txn(seq: u64) -> TxnId {
        TxnId { sink: 2, subtask: 0, attempt: 1, seq }
    }

    fn records(from: u64, n: u64) -> Vec<Record> {
        (from..from + n)
            .map(|offset| Record {
                key: offset % 5,
                value: 1,
                origin: Origin { source: 0, partition: 0, offset },
                attempt: 1,
            })
            .collect()
    }

    fn write(seq: u64, from: u64, n: u64) -> Msg {
        Msg::Sink(SinkMsg::Write { txn: txn(seq), records: records(from, n) })
    }

    #[test]
    fn writes_to_one_transaction_join_in_order_and_others_stay_apart() {
        let mut first = write(1, 0, 3);
        assert!(first.absorb(write(1, 3, 2)).is_ok());
        let Msg::Sink(SinkMsg::Write { records: joined, .. }) = &first else { panic!("still a write") };
        assert_eq!(joined, &records(0, 5), "the second's records follow the first's");
        assert!(first.absorb(write(2, 5, 1)).is_err(), "another transaction");
        let append = Msg::Sink(SinkMsg::Append { txn: txn(1), records: records(5, 1), upsert: false });
        assert!(first.absorb(append).is_err(), "an append is not a write");
        let mut append = Msg::Sink(SinkMsg::Append { txn: txn(1), records: records(0, 1), upsert: false });
        let upsert = Msg::Sink(SinkMsg::Append { txn: txn(1), records: records(1, 1), upsert: true });
        assert!(append.absorb(upsert).is_err(), "an upsert is not a plain append");
        let credit = Msg::Data(DataMsg::Credit {
            attempt: 1,
            to: TaskId { op: 0, subtask: 0 },
            from: TaskId { op: 1, subtask: 0 },
            input: 0,
            credit: 1,
        });
        assert!(write(1, 0, 1).absorb(credit).is_err(), "nothing else joins");
    }
}
