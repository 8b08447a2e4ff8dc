//! A checksummed append-only log on a `SimDisk` file: `[len u32][crc u32][bytes]`
//! per entry. Replay stops at the first torn or corrupt entry, which is what a
//! crash in the middle of an append leaves behind.

use crate::sim::disk::{DiskError, SimDisk};
use crate::trace::{emit, Event};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long a node whose disk fails to read its log waits before retrying.
const READ_RETRY: Duration = Duration::from_millis(50);

/// Appends one entry (unsynced until `SimDisk::fsync`).
pub fn append<T: Serialize>(disk: &SimDisk, path: &str, entry: &T) -> Result<(), DiskError> {
    // The header is filled in once the body is serialized behind it.
    let size = bincode::serialized_size(entry).expect("wal entry serializes") as usize;
    let mut bytes = Vec::with_capacity(8 + size);
    bytes.resize(8, 0);
    bincode::serialize_into(&mut bytes, entry).expect("wal entry serializes");
    let (len, crc) = ((bytes.len() - 8) as u32, crc32fast::hash(&bytes[8..]));
    bytes[..4].copy_from_slice(&len.to_le_bytes());
    bytes[4..8].copy_from_slice(&crc.to_le_bytes());
    disk.append(path, bytes)
}

/// Every intact entry of `bytes`, in order, up to the first damaged one.
#[cfg(test)]
pub fn replay<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Vec<T> {
    let mut out = vec![];
    for_each(bytes, |e| out.push(e));
    out
}

/// Hands each intact entry of `bytes` to `f`, in order, up to the first
/// damaged one, one at a time; returns the byte length they span. An entry
/// may borrow from `bytes` (no copy of what it holds).
pub fn for_each<'de, T: Deserialize<'de>>(bytes: &'de [u8], mut f: impl FnMut(T)) -> usize {
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4 bytes"));
        let Some(body) = bytes.get(at + 8..at + 8 + len) else { break };
        if crc32fast::hash(body) != crc {
            break;
        }
        let Ok(entry) = bincode::deserialize(body) else { break };
        f(entry);
        at += 8 + len;
    }
    at
}

/// Opens the log after a (re)start: `read` hands each intact entry on as
/// it is read (`for_each`: a long log replays in the memory of one entry)
/// and says how many bytes they span; then it cuts off
/// a torn tail, so that new entries are not appended behind garbage no
/// replay gets past. While the disk fails, it keeps trying (a service that
/// cannot read its log does not start).
pub async fn recover_with(disk: &SimDisk, path: &str, node: &str, mut read: impl FnMut(&[u8]) -> usize) {
    let (intact, len) = loop {
        match disk.read_with(path, |bytes| (read(bytes), bytes.len())) {
            Ok(read) => break read.unwrap_or_default(),
            Err(error) => {
                emit(node, Event::WalRecoveryFailed { error });
                madsim::time::sleep(READ_RETRY).await;
            }
        }
    };
    // Every entry has been handed out: a failure from here on retries the cut only.
    if intact == len {
        return;
    }
    loop {
        let cut = async {
            disk.truncate(path, intact)?;
            disk.fsync(path).await
        };
        match cut.await {
            Ok(()) => return,
            Err(error) => {
                emit(node, Event::WalRecoveryFailed { error });
                madsim::time::sleep(READ_RETRY).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::disk::DiskOptions;
    use crate::sim::rng::SeedTree;
    use std::time::Duration;

    #[test]
    fn replay_stops_at_a_torn_entry() {
        let options = DiskOptions {
            fsync_latency_min: Duration::ZERO,
            fsync_latency_max: Duration::ZERO,
            torn_write_probability: 0.0,
        };
        let disk = SimDisk::new(options, SeedTree::new(0).stream("d"));
        append(&disk, "w", &1u64).unwrap();
        append(&disk, "w", &2u64).unwrap();
        let mut bytes = disk.read("w").unwrap().unwrap();
        assert_eq!(replay::<u64>(&bytes), vec![1, 2]);
        bytes.truncate(bytes.len() - 3);
        assert_eq!(replay::<u64>(&bytes), vec![1]);
    }
}
