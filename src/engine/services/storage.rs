//! The `storage` node: checkpoint storage (an S3/HDFS-like blob store). A put
//! is acknowledged only after its fsync, so an acked blob survives a crash.

use crate::engine::msg::Msg;
use crate::sim::disk::SimDisk;
use crate::sim::net::{Net, NetEvent};
use futures::StreamExt;
use std::sync::Arc;

/// The `storage` node's main loop.
pub async fn run(disk: SimDisk) {
    let (net, mut inbox) = Net::<Msg>::bind("storage").await;
    while let Some(event) = inbox.next().await {
        let NetEvent::Message { from, msg } = event else { continue };
        match msg {
            Msg::StoragePut { req, key, bytes } => {
                disk.write(&key, bytes.to_vec());
                disk.fsync(&key).await;
                net.send(&from, Msg::StorageReply { req, result: Ok(None) });
            }
            Msg::StorageGet { req, key } => {
                let bytes = disk.read(&key).map(Arc::new);
                net.send(&from, Msg::StorageReply { req, result: Ok(bytes) });
            }
            _ => {}
        }
    }
}
