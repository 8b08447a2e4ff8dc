//! Network faults as rules (`LinkRules`): a partition holds messages between
//! two groups (one way or both), isolate holds every message to and from a
//! node, a link delays or drops one direction. The global `network` fault
//! changes madsim's own latency and loss for every message.

use super::{act, resolve, FaultCtx};
use crate::scenario::{FaultKind, MessageClass, Network};
use crate::sim::link_rules::{Effect, LinkRule, LinkRules, NodeSet};
use crate::trace::fault_act::{self, Step, Strike};
use madsim::net::NetSim;
use std::time::Duration;

/// The rules a partition, isolate or link fault adds; `None` if its node is not running.
fn rules_of(i: usize, kind: &FaultKind, ctx: &FaultCtx) -> Option<(Vec<LinkRule>, String)> {
    let rule =
        |from, to, classes: &Option<Vec<MessageClass>>, effect| LinkRule { from, to, classes: classes.clone(), effect };
    Some(match kind {
        FaultKind::Partition { a, b, one_way, classes } => {
            let mut rules = vec![rule(NodeSet::only(a), NodeSet::only(b), classes, Effect::Cut)];
            if !one_way {
                rules.push(rule(NodeSet::only(b), NodeSet::only(a), classes, Effect::Cut));
            }
            let arrow = if *one_way { "->" } else { "<->" };
            (rules, format!("{} {arrow} {}", a.join(","), b.join(",")))
        }
        FaultKind::Isolate { node, classes } => {
            let node = resolve(i, node, &ctx.recorder)?;
            let rules = vec![
                rule(NodeSet::only(&[&node]), NodeSet::AllBut(node.clone()), classes, Effect::Cut),
                rule(NodeSet::AllBut(node.clone()), NodeSet::only(&[&node]), classes, Effect::Cut),
            ];
            (rules, node)
        }
        FaultKind::Link { from, to, latency, loss, classes } => {
            let effect = Effect::Degrade { latency: *latency, loss: *loss };
            (
                vec![rule(NodeSet::only(from), NodeSet::only(to), classes, effect)],
                format!("{} -> {}", from.join(","), to.join(",")),
            )
        }
        _ => unreachable!("not a link rule fault"),
    })
}

pub(super) async fn cut_or_degrade(i: usize, kind: FaultKind, heal_after: Option<Duration>, ctx: &FaultCtx) {
    let Some((rules, link)) = rules_of(i, &kind, ctx) else { return };
    let link_rules = LinkRules::current();
    let ids: Vec<_> = rules.into_iter().map(|r| link_rules.add(r)).collect();
    let (name, what, effect) = match &kind {
        FaultKind::Partition { a, b, one_way, .. } => {
            ("fault_cut", "partition", fault_act::Effect::Cut { from: a.clone(), to: b.clone(), one_way: *one_way })
        }
        FaultKind::Isolate { .. } => ("fault_cut", "isolate", fault_act::Effect::Isolated { node: link.clone() }),
        FaultKind::Link { from, to, loss, .. } => (
            "fault_link",
            "link",
            fault_act::Effect::Degraded { from: from.clone(), to: to.clone(), lossy: *loss > 0.0 },
        ),
        _ => unreachable!("not a link rule fault"),
    };
    let details = match &kind {
        FaultKind::Link { latency, loss, .. } => {
            let (min, max) = latency.unwrap_or_default();
            vec![
                ("link", link.clone()),
                ("delay_min_us", min.as_micros().to_string()),
                ("delay_max_us", max.as_micros().to_string()),
                ("loss", loss.to_string()),
            ]
        }
        _ => vec![("action", format!("fault_{what}")), ("link", link.clone())],
    };
    let linger = match &kind {
        FaultKind::Link { latency, .. } => latency.map_or(Duration::ZERO, |(_, max)| max),
        _ => Duration::ZERO,
    };
    act(i, name, what, link.clone(), Step::Struck(Strike { effect, linger }), details);
    if let Some(after) = heal_after {
        madsim::time::sleep(after).await;
        ids.into_iter().for_each(|id| link_rules.remove(id));
        act(i, "fault_heal", "heal", link.clone(), Step::Ended { zombie: None }, vec![("link", link)]);
    }
}

pub(super) async fn reconfigure(
    i: usize,
    latency_min: Option<Duration>,
    latency_max: Option<Duration>,
    loss: Option<f64>,
    heal_after: Option<Duration>,
    base: &Network,
) {
    let (min, max) = (latency_min.unwrap_or(base.latency_min), latency_max.unwrap_or(base.latency_max));
    let loss = loss.unwrap_or(base.loss);
    apply_network(min, max, loss);
    let effect = fault_act::Effect::Global { lossy: loss > 0.0 };
    let strike = Step::Struck(Strike { effect, linger: latency_max.unwrap_or_default() });
    let details = vec![
        ("latency_min_us", min.as_micros().to_string()),
        ("latency_max_us", max.as_micros().to_string()),
        ("loss", loss.to_string()),
    ];
    act(i, "fault_network", "network", String::new(), strike, details);
    if let Some(after) = heal_after {
        madsim::time::sleep(after).await;
        apply_network(base.latency_min, base.latency_max, base.loss);
        act(i, "fault_network_healed", "network healed", String::new(), Step::Ended { zombie: None }, vec![]);
    }
}

/// Sets madsim's global latency range and loss rate.
pub fn apply_network(min: Duration, max: Duration, loss: f64) {
    NetSim::current().update_config(|c| {
        c.send_latency = min..max.max(min + Duration::from_nanos(1));
        c.packet_loss_rate = loss;
    });
}
