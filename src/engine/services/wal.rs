//! A checksummed append-only log on a `SimDisk` file: `[len u32][crc u32][bytes]`
//! per entry. Replay stops at the first torn or corrupt entry, which is what a
//! crash in the middle of an append leaves behind.

use crate::sim::disk::{DiskError, SimDisk};
use crate::trace::{emit, Event};
use serde::{de::DeserializeOwned, Serialize};
use std::time::Duration;

/// How long a node whose disk fails to read its log waits before retrying.
const READ_RETRY: Duration = Duration::from_millis(50);

/// Appends one entry (unsynced until `SimDisk::fsync`).
pub fn append<T: Serialize>(disk: &SimDisk, path: &str, entry: &T) -> Result<(), DiskError> {
    let body = bincode::serialize(entry).expect("wal entry serializes");
    let mut bytes = Vec::with_capacity(body.len() + 8);
    bytes.extend_from_slice(&(body.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    bytes.extend_from_slice(&body);
    disk.append(path, bytes)
}

/// Every intact entry of `bytes`, in order, up to the first damaged one.
pub fn replay<T: DeserializeOwned>(bytes: &[u8]) -> Vec<T> {
    replay_with_len(bytes).0
}

/// The intact entries and the byte length they span.
fn replay_with_len<T: DeserializeOwned>(bytes: &[u8]) -> (Vec<T>, usize) {
    let mut out = vec![];
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4 bytes"));
        let Some(body) = bytes.get(at + 8..at + 8 + len) else { break };
        if crc32fast::hash(body) != crc {
            break;
        }
        let Ok(entry) = bincode::deserialize(body) else { break };
        out.push(entry);
        at += 8 + len;
    }
    (out, at)
}

/// Opens the log after a (re)start: replays it and cuts off a torn tail, so
/// that new entries are not appended behind garbage no replay gets past.
/// While the disk fails, it keeps trying (a service that cannot read its
/// log does not start).
pub async fn recover<T: DeserializeOwned>(disk: &SimDisk, path: &str, node: &str) -> Vec<T> {
    loop {
        match try_recover(disk, path).await {
            Ok(entries) => return entries,
            Err(e) => {
                emit(node, Event::WalRecoveryFailed { error: e });
                madsim::time::sleep(READ_RETRY).await;
            }
        }
    }
}

async fn try_recover<T: DeserializeOwned>(disk: &SimDisk, path: &str) -> Result<Vec<T>, DiskError> {
    let bytes = disk.read(path)?.unwrap_or_default();
    let (entries, intact) = replay_with_len(&bytes);
    if intact < bytes.len() {
        disk.write(path, bytes[..intact].to_vec())?;
        disk.fsync(path).await?;
    }
    Ok(entries)
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
