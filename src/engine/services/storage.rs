//! The `storage` node: checkpoint storage, a replicated blob store (think S3
//! or HDFS). Requests are served concurrently, like a real blob store's, so
//! a slow fsync holds up only its own put. A put writes `replicas` checksummed copies and is acknowledged
//! only once every copy is fsynced, so an acked blob survives a crash; a
//! failed write or fsync fails the put. A get verifies each copy and falls
//! back to a healthy one; a blob none of whose copies is healthy is an error,
//! never silently empty. Deletes (the coordinator discarding checkpoints past
//! `retained`) remove every copy.

use super::blobs::{self, BadCopy};
use crate::engine::msg::{Msg, StorageError, StorageMsg};
use crate::sim::disk::{DiskError, SimDisk};
use crate::sim::net::{Net, NetEvent};
use crate::trace::{emit, Event};
use futures::StreamExt;
use std::sync::Arc;

/// How the storage node runs.
#[derive(Debug, Clone, Copy)]
pub struct StorageOptions {
    /// Copies kept of every blob.
    pub replicas: usize,
    pub bugs: StorageBugs,
}

/// Planted bugs of checkpoint storage (`bugs` says what each models).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StorageBugs {
    /// `ignore_checksum`: a read returns the first copy unverified.
    pub ignore_checksum: bool,
    /// `ack_one_copy_synced`: a put is acked once its first copy is
    /// fsynced; the other copies are never fsynced.
    pub ack_one_copy_synced: bool,
}

/// The `storage` node's main loop.
pub async fn run(disk: SimDisk, options: StorageOptions) {
    let (net, mut inbox) = Net::<Msg>::bind("storage").await;
    while let Some(event) = inbox.next().await {
        let NetEvent::Message { from, msg } = event else { continue };
        let Msg::Storage(msg) = msg else { continue };
        match msg {
            StorageMsg::Put { req, key, bytes } => {
                let (disk, net) = (disk.clone(), net.clone());
                madsim::task::spawn_local(async move {
                    let result = put(&disk, options, &key, &bytes).await;
                    if let Err(error) = &result {
                        emit("storage", Event::StorageWriteFailed { key, error: error.clone() });
                    }
                    let result = result.map(|()| None).map_err(StorageError::Disk);
                    net.send(&from, Msg::Storage(StorageMsg::Reply { req, result }));
                });
            }
            StorageMsg::Get { req, key } => {
                let result = get(&disk, options, &key).map(|b| b.map(Arc::new));
                net.send(&from, Msg::Storage(StorageMsg::Reply { req, result }));
            }
            StorageMsg::Delete { prefix } => {
                disk.list(&prefix).iter().for_each(|path| disk.delete(path));
                emit("storage", Event::CheckpointDiscarded { prefix: prefix.to_owned() });
            }
            // Replies go from storage, never to it.
            StorageMsg::Reply { .. } => {}
        }
    }
}

/// Writes every copy, then fsyncs them all (in parallel, like a replicated
/// store): the put is acked only once every copy is durable.
async fn put(disk: &SimDisk, options: StorageOptions, key: &str, bytes: &[u8]) -> Result<(), DiskError> {
    let stored = blobs::encode_copy(bytes);
    let paths: Vec<String> = (0..options.replicas).map(|r| blobs::copy_path(key, r)).collect();
    for path in &paths {
        disk.write(path, stored.clone())?;
    }
    // Planted bug `ack_one_copy_synced`: only the first copy is made durable.
    let synced_copies = if options.bugs.ack_one_copy_synced { 1 } else { paths.len() };
    let synced: Vec<Result<(), DiskError>> =
        futures::future::join_all(paths.iter().take(synced_copies).map(|path| disk.fsync(path))).await;
    synced.into_iter().collect()
}

/// The blob's content from its first healthy copy; `Ok(None)` if it was never stored.
fn get(disk: &SimDisk, options: StorageOptions, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
    if options.bugs.ignore_checksum {
        let first = disk.read(&blobs::copy_path(key, 0))?;
        return Ok(first.map(|stored| blobs::content_unchecked(&stored).to_vec()));
    }
    let read = blobs::read_with(key, options.replicas, |path| disk.read(path));
    let corrupt = read.bad.iter().any(|(_, b)| *b == BadCopy::Corrupt);
    match &read.content {
        Some(content) => {
            if !read.bad.is_empty() && !read.missing() {
                let good = read.bad.len();
                emit(
                    "storage",
                    Event::StorageReadFallback { key: key.to_owned(), bad: read.describe_bad().to_owned(), used: good },
                );
            }
            Ok(Some(content.clone()))
        }
        None if read.missing() => Ok(None),
        None => {
            emit(
                "storage",
                Event::StorageReadFailed { key: key.to_owned(), bad: read.describe_bad().to_owned(), corrupt },
            );
            Err(StorageError::NoHealthyCopy { key: key.to_owned(), bad: read.describe_bad() })
        }
    }
}
