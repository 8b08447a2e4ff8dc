//! Request/reply over the node network: a request carries an id, the reply
//! echoes it, and a caller that hears nothing within the timeout gets a
//! `TaskError::Timeout` (the service may be down, paused or cut off). The
//! storage calls every node makes live here too.
//!
//! Ids are unique across the caller's restarts (the boot number is in the
//! high bits): a late reply to a request of an earlier incarnation matches
//! nothing, instead of answering a new request that happens to reuse its id.

use super::msg::{Msg, ReqId, StorageMsg, TaskError};
use crate::scenario::duration::format_duration;
use crate::sim::net::Net;
use futures::channel::oneshot;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The calls in flight from one node.
pub struct Rpc {
    net: Net<Msg>,
    timeout: Duration,
    next: Cell<ReqId>,
    waiting: RefCell<BTreeMap<ReqId, oneshot::Sender<Msg>>>,
}

impl Rpc {
    /// `boot`: which start of the node this is (1, 2, …).
    pub fn new(net: Net<Msg>, timeout: Duration, boot: u64) -> Self {
        Rpc { net, timeout, next: Cell::new((boot << 40) + 1), waiting: RefCell::default() }
    }

    /// Sends the request `make(id)` to `to` and waits for its reply.
    pub async fn call(&self, to: &str, make: impl FnOnce(ReqId) -> Msg) -> Result<Msg, TaskError> {
        let req = self.next.get();
        self.next.set(req + 1);
        let (tx, rx) = oneshot::channel();
        self.waiting.borrow_mut().insert(req, tx);
        self.net.send(to, make(req));
        match madsim::time::timeout(self.timeout, rx).await {
            Ok(Ok(reply)) => Ok(reply),
            // No reply in time (or the waiter was dropped).
            Err(_) | Ok(Err(_)) => {
                self.waiting.borrow_mut().remove(&req);
                Err(TaskError::Timeout { service: to.to_string(), timeout: format_duration(self.timeout) })
            }
        }
    }

    /// Hands a reply to its caller; returns it back if it is not a reply.
    pub fn complete(&self, msg: Msg) -> Option<Msg> {
        let Some(req) = msg.reply_id() else { return Some(msg) };
        if let Some(tx) = self.waiting.borrow_mut().remove(&req) {
            let _ = tx.send(msg);
        }
        None
    }

    /// Stores a blob in checkpoint storage; `Ok` once every copy is durable.
    pub async fn storage_put(&self, key: String, bytes: Arc<Vec<u8>>) -> Result<(), TaskError> {
        self.storage(|req| StorageMsg::Put { req, key, bytes }).await.map(|_| ())
    }

    /// Reads a blob from checkpoint storage (`None`: never stored).
    pub async fn storage_get(&self, key: String) -> Result<Option<Arc<Vec<u8>>>, TaskError> {
        self.storage(|req| StorageMsg::Get { req, key }).await
    }

    async fn storage(&self, make: impl FnOnce(ReqId) -> StorageMsg) -> Result<Option<Arc<Vec<u8>>>, TaskError> {
        match self.call("storage", |req| Msg::Storage(make(req))).await? {
            Msg::Storage(StorageMsg::Reply { result, .. }) => result.map_err(TaskError::storage),
            other => Err(TaskError::Other(format!("bad storage reply {other:?}"))),
        }
    }
}
