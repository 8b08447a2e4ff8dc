//! What the network kinds share (`partition`, `isolate`, `link`): their
//! rules go into the run's `LinkRules` when they strike and come out when
//! they heal; held messages then leave in their order.

use super::context::{act, ended};
use crate::scenario::MessageClass;
use crate::sim::link_rules::{Effect as Rule, LinkRule, LinkRules, NodeSet};
use crate::trace::fault_act::{Effect, Step, Strike};
use std::time::Duration;

/// One direction of a network fault: messages from `from` to `to` (of
/// `classes`, if given) get `rule`.
pub fn rule(from: NodeSet, to: NodeSet, classes: &Option<Vec<MessageClass>>, rule: Rule) -> LinkRule {
    LinkRule { from, to, classes: classes.clone(), effect: rule }
}

/// What one network fault does when it strikes: its rules, and how it traces.
pub struct LinkFault {
    pub rules: Vec<LinkRule>,
    /// The trace kind of the strike (`fault_cut`, `fault_link`).
    pub name: &'static str,
    /// `partition`, `isolate`, `link`.
    pub what: &'static str,
    /// The link it acts on, as traces write it: `a,b <-> c`.
    pub link: String,
    pub effect: Effect,
    pub linger: Duration,
    /// The strike's fields after `fault`.
    pub details: Vec<(&'static str, String)>,
}

/// Adds the rules of fault `i`, then removes them `heal_after` later (or never).
pub async fn hold(i: usize, f: LinkFault, heal_after: Option<Duration>) {
    let link_rules = LinkRules::current();
    let ids: Vec<_> = f.rules.into_iter().map(|r| link_rules.add(r)).collect();
    let strike = Step::Struck(Strike { effect: f.effect, linger: f.linger });
    act(i, f.name, f.what, f.link.clone(), strike, f.details);
    if let Some(after) = heal_after {
        madsim::time::sleep(after).await;
        ids.into_iter().for_each(|id| link_rules.remove(id));
        ended(i, "fault_heal", "heal", f.link.clone(), vec![("link", f.link)]);
    }
}
