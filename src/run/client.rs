//! The job's client — what `flink run -s … -p …` is to a real cluster. It
//! runs on its own node and sends the rescale requests that faults make to
//! the coordinator over the simulated network, one at a time, each again
//! until the coordinator accepts it: a request sent while the coordinator
//! is down or cut off waits, as a retrying client's would.

use crate::engine::cluster::{self, CLIENT};
use crate::engine::msg::{ClientMsg, Msg};
use crate::sim::net::{Net, NetEvent};
use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::StreamExt;
use madsim::runtime::Handle;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long the client waits for the coordinator to accept a request before
/// it sends it again.
const RETRY: Duration = Duration::from_millis(100);

/// Rescale `operator` to `parallelism` (fault `fault` asked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RescaleRequest {
    pub fault: usize,
    pub operator: String,
    pub parallelism: usize,
}

/// A handle that hands requests to the client node, which it starts with
/// the first request (a run without rescales has no client at all).
#[derive(Clone, Default)]
pub struct Client {
    requests: Arc<Mutex<Option<UnboundedSender<RescaleRequest>>>>,
}

impl Client {
    /// Queues a request; the client sends it after the ones before it.
    pub fn request(&self, request: RescaleRequest) {
        let mut requests = self.requests.lock().expect("client");
        let _ = requests.get_or_insert_with(start).unbounded_send(request);
    }

    /// Whether the client node was started.
    pub fn started(&self) -> bool {
        self.requests.lock().expect("client").is_some()
    }
}

/// Creates the client node of the current run.
fn start() -> UnboundedSender<RescaleRequest> {
    let (requests, queue) = unbounded();
    let queue = Arc::new(Mutex::new(Some(queue)));
    cluster::node(&Handle::current(), CLIENT)
        .init(move || {
            let queue = queue.lock().expect("client queue").take();
            async move {
                if let Some(queue) = queue {
                    serve(queue).await;
                }
            }
        })
        .build();
    requests
}

/// Sends each request until the coordinator accepts it.
async fn serve(mut queue: UnboundedReceiver<RescaleRequest>) {
    let (net, mut inbox) = Net::<Msg>::bind(CLIENT).await;
    while let Some(r) = queue.next().await {
        loop {
            let msg = Msg::Client(ClientMsg::Rescale {
                fault: r.fault,
                operator: r.operator.clone(),
                parallelism: r.parallelism,
            });
            net.send("coordinator", msg);
            let accepted = async {
                while let Some(event) = inbox.next().await {
                    if let NetEvent::Message { msg: Msg::Client(ClientMsg::RescaleAccepted { fault }), .. } = event {
                        if fault == r.fault {
                            return;
                        }
                    }
                }
                futures::future::pending::<()>().await
            };
            if madsim::time::timeout(RETRY, accepted).await.is_ok() {
                break;
            }
        }
    }
}
