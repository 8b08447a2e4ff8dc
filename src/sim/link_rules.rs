//! Network faults as data (turmoil's `Rule`/`Verdict`): each active rule
//! sees a message about to leave a node (sender, receiver, kind) and answers
//! pass, delay, drop or hold. The rules live in a madsim simulator plugin, one
//! set per run, so every node's network consults the same set without
//! globals. The fault injector adds a rule when a fault strikes and removes
//! it when the fault heals; held messages then leave in their order.

use crate::scenario::MessageClass;
use futures::channel::oneshot;
use madsim::plugin::Simulator;
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

/// What happens to one message.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Send it now.
    Pass,
    /// Send it this much later than it was queued (order is kept).
    Delay(Duration),
    /// Lose it.
    Drop,
    /// Keep it (and everything behind it) until the rules change.
    Hold,
}

/// A set of nodes a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeSet {
    /// Exactly these nodes.
    Only(BTreeSet<String>),
    /// Every node but this one.
    AllBut(String),
}

impl NodeSet {
    pub fn only<S: AsRef<str>>(names: &[S]) -> NodeSet {
        NodeSet::Only(names.iter().map(|n| n.as_ref().to_string()).collect())
    }

    fn contains(&self, node: &str) -> bool {
        match self {
            NodeSet::Only(names) => names.contains(node),
            NodeSet::AllBut(name) => name != node,
        }
    }
}

/// What a rule does to the messages it matches.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Hold them until the rule is removed (a partition: TCP keeps the data).
    Cut,
    /// Drop each with probability `loss`, delay the rest by a draw from `latency`.
    Degrade { latency: Option<(Duration, Duration)>, loss: f64 },
}

/// One direction of one fault: messages from `from` to `to` (of `classes`, if given).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkRule {
    pub from: NodeSet,
    pub to: NodeSet,
    pub classes: Option<Vec<MessageClass>>,
    pub effect: Effect,
}

impl LinkRule {
    fn matches(&self, from: &str, to: &str, class: MessageClass) -> bool {
        self.from.contains(from) && self.to.contains(to) && self.classes.as_ref().is_none_or(|c| c.contains(&class))
    }
}

/// A handle that removes its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleId(u64);

#[derive(Default)]
struct State {
    rules: Vec<(RuleId, LinkRule)>,
    next_id: u64,
    rng: Option<ChaCha8Rng>,
    /// Senders holding a message, woken when the rules change.
    waiting: Vec<oneshot::Sender<()>>,
}

/// The run's network rules (a madsim simulator plugin).
pub struct LinkRules {
    state: Mutex<State>,
}

impl Simulator for LinkRules {
    fn new(_rand: &madsim::rand::GlobalRng, _time: &madsim::time::TimeHandle, _config: &madsim::Config) -> Self {
        LinkRules { state: Mutex::new(State::default()) }
    }
}

impl LinkRules {
    /// The current run's rules.
    pub fn current() -> std::sync::Arc<LinkRules> {
        madsim::plugin::simulator::<LinkRules>()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().expect("link rules poisoned"))
    }

    /// Seeds the draws of loss and delay (once per run, before any rule).
    pub fn seed(&self, seed: u64) {
        self.with(|s| s.rng = Some(ChaCha8Rng::seed_from_u64(seed)));
    }

    pub fn add(&self, rule: LinkRule) -> RuleId {
        self.with(|s| {
            let id = RuleId(s.next_id);
            s.next_id += 1;
            s.rules.push((id, rule));
            wake_all(s);
            id
        })
    }

    pub fn remove(&self, id: RuleId) {
        self.with(|s| {
            s.rules.retain(|(r, _)| *r != id);
            wake_all(s);
        });
    }

    /// The verdict on a message of `class` from `from` to `to`. A cut wins
    /// over everything; delays of several matching rules add up. Credit is
    /// never dropped on its own: it rides the connection's reliable stream
    /// back (TCP retransmits it), and a lost buffer the other way is what
    /// the receiver notices and fails on; a lost credit would stall its
    /// channel with nothing to notice it.
    pub fn verdict(&self, from: &str, to: &str, class: MessageClass) -> Verdict {
        self.with(|s| {
            if s.rules.is_empty() {
                return Verdict::Pass;
            }
            let matching: Vec<Effect> =
                s.rules.iter().filter(|(_, r)| r.matches(from, to, class)).map(|(_, r)| r.effect.clone()).collect();
            if matching.contains(&Effect::Cut) {
                return Verdict::Hold;
            }
            let rng = s.rng.get_or_insert_with(|| ChaCha8Rng::seed_from_u64(0));
            let mut delay = Duration::ZERO;
            for effect in matching {
                let Effect::Degrade { latency, loss } = effect else { continue };
                if loss > 0.0 && rng.gen_bool(loss.min(1.0)) && class != MessageClass::Credit {
                    return Verdict::Drop;
                }
                if let Some((min, max)) = latency {
                    delay += if max > min { rng.gen_range(min..=max) } else { min };
                }
            }
            if delay.is_zero() {
                Verdict::Pass
            } else {
                Verdict::Delay(delay)
            }
        })
    }

    /// Resolves when the rules next change (a held sender waits on it).
    pub fn changed(&self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.with(|s| s.waiting.push(tx));
        rx
    }
}

fn wake_all(s: &mut State) {
    for waiter in s.waiting.drain(..) {
        let _ = waiter.send(());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> LinkRules {
        let r = LinkRules { state: Mutex::new(State::default()) };
        r.seed(7);
        r
    }

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn no_rule_passes_everything() {
        assert_eq!(rules().verdict("a", "b", MessageClass::Data), Verdict::Pass);
    }

    #[test]
    fn a_one_way_cut_holds_one_direction_only() {
        let r = rules();
        let id = r.add(LinkRule {
            from: NodeSet::only(&["a"]),
            to: NodeSet::only(&["b"]),
            classes: None,
            effect: Effect::Cut,
        });
        assert_eq!(r.verdict("a", "b", MessageClass::Ack), Verdict::Hold);
        assert_eq!(r.verdict("b", "a", MessageClass::Ack), Verdict::Pass);
        r.remove(id);
        assert_eq!(r.verdict("a", "b", MessageClass::Ack), Verdict::Pass);
    }

    #[test]
    fn an_isolated_node_is_cut_from_every_other() {
        let r = rules();
        r.add(LinkRule {
            from: NodeSet::AllBut("w".into()),
            to: NodeSet::only(&["w"]),
            classes: None,
            effect: Effect::Cut,
        });
        assert_eq!(r.verdict("coordinator", "w", MessageClass::Heartbeat), Verdict::Hold);
        assert_eq!(r.verdict("w", "coordinator", MessageClass::Heartbeat), Verdict::Pass);
    }

    #[test]
    fn a_rule_can_be_narrowed_to_message_classes() {
        let r = rules();
        r.add(LinkRule {
            from: NodeSet::only(&["a"]),
            to: NodeSet::only(&["b"]),
            classes: Some(vec![MessageClass::NotifyComplete]),
            effect: Effect::Degrade { latency: None, loss: 1.0 },
        });
        assert_eq!(r.verdict("a", "b", MessageClass::NotifyComplete), Verdict::Drop);
        assert_eq!(r.verdict("a", "b", MessageClass::Trigger), Verdict::Pass);
    }

    #[test]
    fn delays_are_drawn_in_range_and_add_up() {
        let r = rules();
        for _ in 0..2 {
            r.add(LinkRule {
                from: NodeSet::only(&["a"]),
                to: NodeSet::only(&["b"]),
                classes: None,
                effect: Effect::Degrade { latency: Some((10 * MS, 20 * MS)), loss: 0.0 },
            });
        }
        for _ in 0..50 {
            match r.verdict("a", "b", MessageClass::Data) {
                Verdict::Delay(d) => assert!((20 * MS..=40 * MS).contains(&d), "{d:?}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_change_wakes_the_held_senders() {
        let r = rules();
        let mut woken = r.changed();
        assert_eq!(woken.try_recv(), Ok(None));
        let id = r.add(LinkRule {
            from: NodeSet::only(&["a"]),
            to: NodeSet::only(&["b"]),
            classes: None,
            effect: Effect::Cut,
        });
        assert_eq!(woken.try_recv(), Ok(Some(())));
        let mut woken = r.changed();
        r.remove(id);
        assert_eq!(woken.try_recv(), Ok(Some(())));
    }
}
