//! Node-to-node messaging over madsim's simulated network.
//!
//! Each node binds one madsim `Endpoint` at its fixed address. Messages to a
//! peer go through one reliable FIFO connection, like TCP: madsim delays each
//! message by the global latency, holds it while the link is clogged
//! (partition) and retries, and drops it when the receiving node dies. A
//! broken connection loses what was in it and surfaces as `NetEvent::Closed`;
//! the next message opens a new one. Messages are typed (no serialization):
//! the network is simulated, the payload need not be bytes. A node's
//! messages to itself never touch the network: they are in its inbox at once,
//! in order, and no link rule applies to them.
//!
//! Before a message leaves, the run's `LinkRules` judge it: it passes, waits
//! (a link delay; order is kept), is lost (a lossy link) or is held with
//! everything behind it until the rules change (a partition heals).
//!
//! A message sent with `send_priority` (an unaligned checkpoint barrier)
//! goes ahead of the ordinary messages still waiting to leave for the same
//! peer, like Flink's priority events in an output queue; priority messages
//! keep their order among themselves, and nothing sent after one overtakes it.

use super::alarm::Alarm;
use super::link_rules::{LinkRules, Verdict};
use crate::scenario::MessageClass;
use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::StreamExt;
use madsim::net::Endpoint;
use madsim::plugin::Simulator;
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::sync::Mutex;
use std::time::Duration;

/// The shortest gap between two writes on a connection: madsim's delivery
/// floor (a receiver waits at least 1 ms after the previous one).
const WRITE_GAP: Duration = Duration::from_millis(1);

/// The port every node listens on.
const PORT: u16 = 7000;

/// The run's address book: every node's simulated IP, by name, as the
/// harness registered them when it built the cluster (a madsim simulator
/// plugin, so each run has its own).
#[derive(Default)]
pub struct Addresses {
    ips: Mutex<BTreeMap<String, IpAddr>>,
}

impl Simulator for Addresses {
    fn new(_rand: &madsim::rand::GlobalRng, _time: &madsim::time::TimeHandle, _config: &madsim::Config) -> Self {
        Addresses::default()
    }
}

impl Addresses {
    /// The run's address book.
    pub fn current() -> std::sync::Arc<Addresses> {
        madsim::plugin::simulator::<Addresses>()
    }

    /// Node `name` lives at `ip`.
    pub fn register(&self, name: &str, ip: IpAddr) {
        self.ips.lock().expect("address book").insert(name.to_string(), ip);
    }

    /// Where node `name` listens.
    fn addr_of(&self, name: &str) -> SocketAddr {
        let ips = self.ips.lock().expect("address book");
        let ip = ips.get(name).unwrap_or_else(|| panic!("no address registered for node `{name}`"));
        SocketAddr::new(*ip, PORT)
    }
}

/// A message that says what kind it is, so network faults can be narrowed,
/// and hears of the ones a link rule drops (the engine traces them).
pub trait Classify {
    fn class(&self) -> MessageClass;

    /// A link rule dropped a message of `class` from `from` to `to`.
    fn dropped(_from: &str, _to: &str, _class: MessageClass) {}

    /// Takes `next`, sent right behind it to the same peer while both still
    /// wait to leave, into itself (as a producer gathers a partition's
    /// records into one batch); gives it back where the two stay apart.
    /// From then on they are one message: delayed, dropped or delivered
    /// together.
    fn absorb(&mut self, next: Self) -> Result<(), Self>
    where
        Self: Sized,
    {
        Err(next)
    }
}

/// What a node's network hands to it.
#[derive(Debug)]
pub enum NetEvent<M> {
    /// A message from `from`, in the order `from` sent it.
    Message { from: Rc<str>, msg: M },
    /// The connection with `peer` broke (it died, or we could not reach it);
    /// messages in it may be lost. (Today's nodes only need to know that it
    /// happened: sequence numbers and timeouts find what was lost.)
    Closed {
        #[allow(dead_code)]
        peer: Rc<str>,
    },
    /// A message of ours to `peer` was lost: no connection could be opened
    /// (a refused or timed-out connect, as TCP reports to its caller).
    Undelivered {
        #[allow(dead_code)]
        peer: Rc<str>,
        msg: M,
    },
}

/// What travels on a connection: who we are, then messages.
enum Wire<M> {
    Hello(String),
    /// Messages written together, in order (as TCP coalesces writes).
    Msgs(Vec<M>),
}

struct Shared<M> {
    me: String,
    /// `me`, as messages to itself name their sender.
    me_rc: Rc<str>,
    endpoint: Endpoint,
    events: UnboundedSender<NetEvent<M>>,
    /// Per peer: messages waiting to leave.
    writers: RefCell<BTreeMap<String, UnboundedSender<Outgoing<M>>>>,
}

/// A message waiting to leave: when it was sent, and whether it may go ahead
/// of ordinary messages.
struct Outgoing<M> {
    msg: M,
    sent_at: Duration,
    priority: bool,
    /// When it may leave, once the link rules judged it.
    release: Option<Duration>,
}

/// A node's network handle; clones share the connections.
pub struct Net<M> {
    shared: Rc<Shared<M>>,
}

impl<M> Clone for Net<M> {
    fn clone(&self) -> Self {
        Net { shared: self.shared.clone() }
    }
}

impl<M: Classify + Send + Sync + 'static> Net<M> {
    /// Binds this node's address and starts accepting connections.
    pub async fn bind(me: &str) -> (Net<M>, UnboundedReceiver<NetEvent<M>>) {
        let endpoint = Endpoint::bind(Addresses::current().addr_of(me)).await.expect("node address already bound");
        let (events, inbox) = unbounded();
        let shared =
            Rc::new(Shared { me: me.to_string(), me_rc: me.into(), endpoint, events, writers: RefCell::default() });
        madsim::task::spawn_local(accept_loop(shared.endpoint.clone(), shared.events.clone()));
        (Net { shared }, inbox)
    }

    /// Queues `msg` for `to`; it leaves in FIFO order with everything else
    /// sent to `to` from this node.
    pub fn send(&self, to: &str, msg: M) {
        self.enqueue(to, msg, false);
    }

    /// Queues `msg` for `to` ahead of every ordinary message still waiting
    /// to leave for `to` (behind earlier priority ones).
    pub fn send_priority(&self, to: &str, msg: M) {
        self.enqueue(to, msg, true);
    }

    fn enqueue(&self, to: &str, msg: M, priority: bool) {
        if to == self.shared.me {
            // To itself: handed over at once, never on the wire (loopback;
            // Flink's local input channels). The node being alive is all it
            // takes, and no link rule sits between a node and itself.
            let from = self.shared.me_rc.clone();
            let _ = self.shared.events.unbounded_send(NetEvent::Message { from, msg });
            return;
        }
        let mut writers = self.shared.writers.borrow_mut();
        if !writers.contains_key(to) {
            let (tx, rx) = unbounded();
            madsim::task::spawn_local(write_loop(self.shared.clone(), to.to_string(), rx));
            writers.insert(to.to_string(), tx);
        }
        let writer = &writers[to];
        // The writer only ends with the node, and then nobody sends.
        let _ = writer.unbounded_send(Outgoing { msg, sent_at: super::now(), priority, release: None });
    }
}

async fn accept_loop<M: Send + Sync + 'static>(endpoint: Endpoint, events: UnboundedSender<NetEvent<M>>) {
    while let Ok((_tx, rx, _addr)) = endpoint.accept1().await {
        madsim::task::spawn_local(read_loop(rx, events.clone()));
    }
}

async fn read_loop<M: 'static>(mut rx: madsim::net::Receiver, events: UnboundedSender<NetEvent<M>>) {
    let mut peer: Option<Rc<str>> = None;
    while let Ok(payload) = rx.recv().await {
        match *payload.downcast::<Wire<M>>().expect("foreign payload on a ckptsim connection") {
            Wire::Hello(name) => peer = Some(name.into()),
            Wire::Msgs(msgs) => {
                let from = peer.clone().expect("message before hello");
                for msg in msgs {
                    if events.unbounded_send(NetEvent::Message { from: from.clone(), msg }).is_err() {
                        return;
                    }
                }
            }
        }
    }
    if let Some(peer) = peer {
        let _ = events.unbounded_send(NetEvent::Closed { peer });
    }
}

async fn write_loop<M: Classify + Send + Sync + 'static>(
    shared: Rc<Shared<M>>,
    to: String,
    mut queue: UnboundedReceiver<Outgoing<M>>,
) {
    let rules = LinkRules::current();
    let mut conn: Option<madsim::net::Sender> = None;
    // Release times of the last ordinary and the last priority message:
    // neither kind ever leaves before one of its kind ahead of it.
    let (mut last_release, mut last_priority) = (Duration::ZERO, Duration::ZERO);
    let mut waiting: VecDeque<Outgoing<M>> = VecDeque::new();
    let mut closed = false;
    let mut last_write = Duration::ZERO;
    let mut alarm = Alarm::default();
    loop {
        while let Ok(out) = queue.try_recv() {
            admit(&mut waiting, out);
        }
        let Some(front) = waiting.front_mut() else {
            if closed {
                return;
            }
            match queue.next().await {
                Some(out) => admit(&mut waiting, out),
                None => closed = true,
            }
            continue;
        };
        let release = match front.release {
            Some(release) => release,
            None => {
                let release = match judge(&rules, &shared.me, &to, front.msg.class()).await {
                    Verdict::Drop => {
                        let out = waiting.pop_front().expect("front");
                        M::dropped(&shared.me, &to, out.msg.class());
                        continue;
                    }
                    Verdict::Delay(delay) => {
                        let last = if front.priority { &mut last_priority } else { &mut last_release };
                        *last = (*last).max(front.sent_at + delay);
                        *last
                    }
                    Verdict::Pass | Verdict::Hold => super::now(),
                };
                front.release = Some(release);
                release
            }
        };
        // madsim hands a connection's writes over one per millisecond at
        // most, so writing more often only queues them there: wait for the
        // next slot and send everything that gathered meanwhile as one write.
        let at = release.max(last_write + WRITE_GAP);
        if at > super::now() {
            // Wait for the release, but let a message that arrives meanwhile
            // in (a priority one goes ahead of this one).
            let sleep = std::pin::pin!(alarm.until(at));
            if closed {
                sleep.await;
            } else if let futures::future::Either::Right((next, _)) = futures::future::select(sleep, queue.next()).await
            {
                match next {
                    Some(out) => admit(&mut waiting, out),
                    None => closed = true,
                }
            }
            continue;
        }
        // It leaves now, with everything behind it that may leave now too.
        let mut msgs = vec![waiting.pop_front().expect("front").msg];
        while let Some(next) = waiting.front_mut() {
            let release = match next.release {
                Some(release) => release,
                None => match rules.verdict(&shared.me, &to, next.msg.class()) {
                    Verdict::Drop => {
                        let out = waiting.pop_front().expect("front");
                        M::dropped(&shared.me, &to, out.msg.class());
                        continue;
                    }
                    Verdict::Delay(delay) => {
                        let last = if next.priority { &mut last_priority } else { &mut last_release };
                        *last = (*last).max(next.sent_at + delay);
                        next.release = Some(*last);
                        *last
                    }
                    Verdict::Pass => super::now(),
                    Verdict::Hold => break,
                },
            };
            if release > super::now() {
                break;
            }
            msgs.push(waiting.pop_front().expect("front").msg);
        }
        if conn.as_ref().is_some_and(|tx| tx.is_closed()) {
            // The peer died: what was in flight on the old connection is
            // lost; like a client seeing a reset, we reconnect (to its next
            // incarnation, if any) for this message.
            conn = None;
            let _ = shared.events.unbounded_send(NetEvent::Closed { peer: to.as_str().into() });
        }
        if conn.is_none() {
            conn = connect(&shared, &to).await;
        }
        let Some(tx) = &conn else {
            // Unreachable: the messages are lost, as on a refused TCP
            // connect, and the sender is told, as a connect call would be.
            for msg in msgs {
                let _ = shared.events.unbounded_send(NetEvent::Undelivered { peer: to.as_str().into(), msg });
            }
            continue;
        };
        last_write = super::now();
        if tx.send(Box::new(Wire::Msgs(msgs))).await.is_err() {
            conn = None;
            let _ = shared.events.unbounded_send(NetEvent::Closed { peer: to.as_str().into() });
        }
    }
}

/// Puts a message in line: an ordinary one at the back (or into the one
/// there, if that one absorbs it and no rule has judged it yet), a
/// priority one behind the priority ones already waiting.
fn admit<M: Classify>(waiting: &mut VecDeque<Outgoing<M>>, out: Outgoing<M>) {
    if out.priority {
        let at = waiting.iter().position(|w| !w.priority).unwrap_or(waiting.len());
        waiting.insert(at, out);
        return;
    }
    let Outgoing { msg, sent_at, priority, release } = out;
    let msg = match waiting.back_mut() {
        Some(back) if !back.priority && back.release.is_none() => match back.msg.absorb(msg) {
            Ok(()) => return,
            Err(msg) => msg,
        },
        _ => msg,
    };
    waiting.push_back(Outgoing { msg, sent_at, priority, release });
}

/// The rules' verdict on one message, after any hold is over.
async fn judge(rules: &LinkRules, from: &str, to: &str, class: MessageClass) -> Verdict {
    loop {
        match rules.verdict(from, to, class) {
            // Nothing runs between the verdict and the registration (one
            // thread), so no change can slip through unseen.
            Verdict::Hold => {
                let _ = rules.changed().await;
            }
            verdict => return verdict,
        }
    }
}

/// Connect attempts before giving up, backing off 1, 2, 4, … ms (like SYN
/// retransmits): a lossy link delays a connection, a dead or cut-off peer
/// refuses it.
const CONNECT_TRIES: u32 = 6;

async fn connect<M: Classify + Send + Sync + 'static>(shared: &Shared<M>, to: &str) -> Option<madsim::net::Sender> {
    for attempt in 0..CONNECT_TRIES {
        if let Ok((tx, _rx)) = shared.endpoint.connect1(Addresses::current().addr_of(to)).await {
            tx.send(Box::new(Wire::<M>::Hello(shared.me.clone()))).await.ok()?;
            return Some(tx);
        }
        madsim::time::sleep(std::time::Duration::from_millis(1 << attempt)).await;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers that join while they stay under 10.
    #[derive(Debug, PartialEq)]
    struct Small(u32);

    impl Classify for Small {
        fn class(&self) -> MessageClass {
            MessageClass::Data
        }

        fn absorb(&mut self, next: Small) -> Result<(), Small> {
            if self.0 + next.0 >= 10 {
                return Err(next);
            }
            self.0 += next.0;
            Ok(())
        }
    }

    fn out(n: u32, priority: bool) -> Outgoing<Small> {
        Outgoing { msg: Small(n), sent_at: Duration::ZERO, priority, release: None }
    }

    #[test]
    fn a_message_joins_the_one_behind_which_it_waits_unless_that_one_was_judged_or_is_priority() {
        let mut waiting = VecDeque::new();
        admit(&mut waiting, out(2, false));
        admit(&mut waiting, out(3, false));
        assert_eq!(waiting.iter().map(|o| o.msg.0).collect::<Vec<_>>(), [5], "joined");
        admit(&mut waiting, out(7, false));
        assert_eq!(waiting.len(), 2, "the back refused it");
        waiting.back_mut().expect("back").release = Some(Duration::ZERO);
        admit(&mut waiting, out(1, false));
        assert_eq!(waiting.len(), 3, "a judged message takes no more");
        admit(&mut waiting, out(1, true));
        admit(&mut waiting, out(1, true));
        let order: Vec<(u32, bool)> = waiting.iter().map(|o| (o.msg.0, o.priority)).collect();
        assert_eq!(order, [(1, true), (1, true), (5, false), (7, false), (1, false)], "priority ones never join");
    }
}
