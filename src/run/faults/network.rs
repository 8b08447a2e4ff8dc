//! Network faults as rules (`LinkRules`): a partition holds messages between
//! two groups (one way or both), isolate holds every message to and from a
//! node, a link delays or drops one direction. The global `network` fault
//! changes madsim's own latency and loss for every message.

use super::{resolve, FaultCtx};
use crate::emit;
use crate::scenario::{FaultKind, MessageClass, Network};
use crate::sim::link_rules::{Effect, LinkRule, LinkRules, NodeSet};
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
    let what = match kind {
        FaultKind::Partition { .. } => "fault_partition",
        FaultKind::Isolate { .. } => "fault_isolate",
        _ => "fault_link",
    };
    match &kind {
        FaultKind::Link { latency, loss, .. } => {
            let (min, max) = latency.unwrap_or_default();
            emit!(
                "world",
                "fault_link",
                fault = i,
                link = link,
                delay_min_us = min.as_micros(),
                delay_max_us = max.as_micros(),
                loss = loss
            )
        }
        _ => emit!("world", "fault_cut", fault = i, action = what, link = link),
    }
    if let Some(after) = heal_after {
        madsim::time::sleep(after).await;
        ids.into_iter().for_each(|id| link_rules.remove(id));
        emit!("world", "fault_heal", fault = i, link = link);
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
    emit!(
        "world",
        "fault_network",
        fault = i,
        latency_min_us = min.as_micros(),
        latency_max_us = max.as_micros(),
        loss = loss
    );
    if let Some(after) = heal_after {
        madsim::time::sleep(after).await;
        apply_network(base.latency_min, base.latency_max, base.loss);
        emit!("world", "fault_network_healed", fault = i);
    }
}

/// Sets madsim's global latency range and loss rate.
pub fn apply_network(min: Duration, max: Duration, loss: f64) {
    NetSim::current().update_config(|c| {
        c.send_latency = min..max.max(min + Duration::from_nanos(1));
        c.packet_loss_rate = loss;
    });
}
