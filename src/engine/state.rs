//! Operator state, channel state, and their snapshot encoding: bincode bytes
//! plus a CRC32, checked on restore so a corrupted blob is caught, never
//! silently used.

use super::msg::{Record, StateError, StateHandle};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The checkpointed state of one subtask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskState {
    /// Next offset to read, per log partition.
    Source { offsets: BTreeMap<u32, u64> },
    /// Keyed aggregate: value per key.
    Keyed { values: BTreeMap<u64, i64> },
    /// Map or filter: nothing.
    Stateless,
    /// A sink's writer or committer: the state its kind encodes (its
    /// pending transactions, its committables; nothing for appenders).
    Sink(Vec<u8>),
}

/// In-flight records an unaligned snapshot keeps (L10): per operator input
/// (its port: 0 = the first input it lists), records before the barrier the
/// operator state does not include; per output edge, records the barrier
/// overtook in the output buffers. Keyed by port and edge, not by channel,
/// so they mean the same under any parallelism (rescaling).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelState {
    pub inputs: BTreeMap<u16, Vec<Record>>,
    pub outputs: BTreeMap<u16, Vec<Record>>,
}

impl ChannelState {
    pub fn is_empty(&self) -> bool {
        self.records() == 0
    }

    pub fn records(&self) -> usize {
        self.inputs.values().chain(self.outputs.values()).map(Vec::len).sum()
    }
}

/// What one subtask stores for a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub state: TaskState,
    pub channels: ChannelState,
}

impl Snapshot {
    /// A snapshot without channel state (aligned).
    #[cfg(test)]
    pub fn of(state: TaskState) -> Self {
        Snapshot { state, channels: ChannelState::default() }
    }
}

/// Serializes a snapshot and its checksum.
pub fn encode(state: &Snapshot) -> (Vec<u8>, u32) {
    let bytes = bincode::serialize(state).expect("task state serializes");
    let checksum = crc32fast::hash(&bytes);
    (bytes, checksum)
}

/// Deserializes a blob fetched for `handle`, refusing a checksum mismatch
/// (unless `checked` is off: planted bug `ignore_checksum`).
pub fn decode(bytes: &[u8], handle: &StateHandle, checked: bool) -> Result<Snapshot, StateError> {
    let actual = crc32fast::hash(bytes);
    if checked && (actual != handle.checksum || bytes.len() as u64 != handle.len) {
        return Err(StateError::Corrupt {
            key: handle.key.clone(),
            actual,
            len: bytes.len() as u64,
            checksum: handle.checksum,
            expected_len: handle.len,
        });
    }
    bincode::deserialize(bytes).map_err(|e| StateError::Undecodable { key: handle.key.clone(), error: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flipped_bit_is_caught_on_restore() {
        let state = Snapshot::of(TaskState::Keyed { values: [(1, 5), (2, 7)].into() });
        let (mut bytes, checksum) = encode(&state);
        let handle = StateHandle { key: "chk-1/x".into(), checksum, len: bytes.len() as u64 };
        assert_eq!(decode(&bytes, &handle, true), Ok(state));
        bytes[3] ^= 0x10;
        assert!(matches!(decode(&bytes, &handle, true), Err(StateError::Corrupt { .. })));
    }
}
