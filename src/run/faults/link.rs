//! `action = "link"`: delay (in order) or drop the messages from some nodes
//! to others, one direction, until `heal_after`.

use super::context::FaultCtx;
use super::draw::Drawer;
use super::kind::{CheckCx, Kind, PlaceCx};
use super::links::{self, LinkFault};
use super::targets::check_node;
use crate::scenario::duration::dur_opt;
use crate::scenario::validate::{at_most_max_latency, ordered, probability, require, Check};
use crate::scenario::MessageClass;
use crate::sim::link_rules::{Effect as Rule, NodeSet};
use crate::trace::fault_act::Effect;
use futures::future::LocalBoxFuture;
use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The link kind.
pub struct Link;

/// A link fault's fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkParams {
    /// The sending nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Vec<String>>,
    /// The receiving nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
    /// Only these kinds of message. Default: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<MessageClass>>,
    /// The least delay added to each message. Default 0 (or `latency_max`).
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub latency_min: Option<Duration>,
    /// The most delay added to each message. Default `latency_min`.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub latency_max: Option<Duration>,
    /// Probability (0–1) that a message is dropped. Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// Heal this long after. Default: never.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub heal_after: Option<Duration>,
}

impl LinkParams {
    /// The added delay: `[latency_min, latency_max]`, either end defaulting to the other (min to 0).
    pub fn latency(&self) -> Option<(Duration, Duration)> {
        match (self.latency_min, self.latency_max) {
            (None, None) => None,
            (min, max) => {
                let min = min.unwrap_or_default();
                Some((min, max.unwrap_or(min)))
            }
        }
    }
}

impl Kind for Link {
    type Params = LinkParams;

    fn action(&self) -> &'static str {
        "link"
    }

    /// `from` and `to` name disjoint nodes; something changes, in range.
    fn check(&self, p: &LinkParams, cx: &CheckCx) -> Check {
        for (name, group) in [("from", &p.from), ("to", &p.to)] {
            let Some(group) = group.as_ref().filter(|g| !g.is_empty()) else {
                let message = "is missing or empty; a link fault names the senders and receivers, \
                               e.g. from = [\"coordinator\"], to = [\"worker-1\"]";
                return Err((cx.field(name), message.into()));
            };
            for node in group {
                check_node(cx.s, &cx.hidden, node, false).map_err(|message| (cx.field(name), message))?;
            }
        }
        let (from, to) = (p.from.as_deref().unwrap_or_default(), p.to.as_deref().unwrap_or_default());
        if let Some(both) = from.iter().find(|n| to.contains(n)) {
            let message = format!("has `{both}`, which is also in `from`; a link runs between distinct nodes");
            return Err((cx.field("to"), message));
        }
        require(
            p.latency_min.is_some() || p.latency_max.is_some() || p.loss.is_some(),
            cx.fault(),
            "is a link fault that changes nothing; set at least one of latency_min, latency_max or loss, \
             e.g. loss = 0.3",
        )?;
        if let (Some(min), Some(max)) = (p.latency_min, p.latency_max) {
            ordered(min, max, &cx.fault(), "latency_min", "latency_max")?;
        }
        for (name, latency) in [("latency_min", p.latency_min), ("latency_max", p.latency_max)] {
            latency.map_or(Ok(()), |latency| at_most_max_latency(latency, &cx.field(name)))?;
        }
        p.loss.map_or(Ok(()), |loss| probability(loss, true, &cx.field("loss"), ""))
    }

    fn label(&self, p: &LinkParams) -> String {
        let join = |g: &Option<Vec<String>>| g.as_deref().unwrap_or_default().join(",");
        format!("link {} -> {}", join(&p.from), join(&p.to))
    }

    fn strike<'a>(&'a self, p: LinkParams, i: usize, _ctx: &'a FaultCtx) -> LocalBoxFuture<'a, ()> {
        let (from, to) = (p.from.clone().unwrap_or_default(), p.to.clone().unwrap_or_default());
        let (latency, loss) = (p.latency(), p.loss.unwrap_or(0.0));
        let rule = Rule::Degrade { latency, loss };
        let rules = vec![links::rule(NodeSet::only(&from), NodeSet::only(&to), &p.messages, rule)];
        let link = format!("{} -> {}", from.join(","), to.join(","));
        let (min, max) = latency.unwrap_or_default();
        let details = vec![
            ("link", link.clone()),
            ("delay_min_us", min.as_micros().to_string()),
            ("delay_max_us", max.as_micros().to_string()),
            ("loss", loss.to_string()),
        ];
        let effect = Effect::Degraded { from, to, lossy: loss > 0.0 };
        let f = LinkFault { rules, name: "fault_link", what: "link", link, effect, linger: max, details };
        Box::pin(links::hold(i, f, p.heal_after))
    }

    fn swarm_kinds(&self) -> &'static [&'static str] {
        &["link"]
    }

    fn draws_phases(&self, _name: &str) -> bool {
        false
    }

    /// A slow or lossy link: between any two nodes, on the storage plane, on
    /// the control plane (coordinator ↔ a worker, one kind of message), or
    /// between workers (the data plane).
    fn draw(&self, _name: &str, d: &mut Drawer) -> Option<LinkParams> {
        let mut nodes = d.nodes();
        nodes.shuffle(&mut d.rng);
        let workers: Vec<String> = nodes.iter().filter(|n| n.starts_with("worker-")).cloned().collect();
        let (from, to, messages) = match d.rng.gen_range(0..10) {
            0..=2 => (nodes[0].clone(), nodes[1].clone(), None),
            // The storage plane: uploads and metadata writes, slow like a
            // congested object store (past the checkpoint timeout, often).
            3..=4 => {
                let worker = crate::engine::cluster::worker_name(d.rng.gen_range(1..=workers.len()));
                let writer = ["coordinator".to_string(), worker].choose(&mut d.rng).expect("writers").clone();
                let latency = d.between(Duration::from_millis(100), Duration::from_millis(2500));
                return Some(LinkParams {
                    from: Some(vec![writer]),
                    to: Some(vec!["storage".into()]),
                    messages: Some(vec![MessageClass::Storage]),
                    latency_min: Some(latency / 2),
                    latency_max: Some(latency),
                    ..Default::default()
                });
            }
            5..=7 => {
                // Lost notifications and triggers reach the rarest paths
                // (T3's later commit, L6's newer barrier): weighted up.
                let control = [
                    MessageClass::NotifyComplete,
                    MessageClass::NotifyComplete,
                    MessageClass::NotifyComplete,
                    MessageClass::Trigger,
                    MessageClass::Trigger,
                    MessageClass::Trigger,
                    MessageClass::Ack,
                    MessageClass::NotifyAborted,
                    MessageClass::Heartbeat,
                    MessageClass::Deploy,
                ];
                let class = *control.choose(&mut d.rng).expect("classes");
                let (c, w) = ("coordinator".to_string(), workers[0].clone());
                let (from, to) = if class == MessageClass::Ack || d.rng.gen_bool(0.1) { (w, c) } else { (c, w) };
                (from, to, Some(vec![class]))
            }
            8..=9 if workers.len() >= 2 => {
                let data = [MessageClass::Data, MessageClass::Barrier];
                let messages = d.rng.gen_bool(0.5).then(|| vec![*data.choose(&mut d.rng).expect("classes")]);
                (workers[0].clone(), workers[1].clone(), messages)
            }
            _ => (nodes[0].clone(), nodes[1].clone(), None),
        };
        let slow = d.rng.gen_bool(0.5);
        let lossy = !slow || d.rng.gen_bool(0.4);
        let loss = if messages.is_some() { d.rng.gen_range(20..=100u32) } else { d.rng.gen_range(1..=40u32) };
        Some(LinkParams {
            from: Some(vec![from]),
            to: Some(vec![to]),
            messages,
            latency_max: slow.then(|| d.between(Duration::from_millis(5), Duration::from_millis(300))),
            loss: lossy.then(|| f64::from(loss) / 100.0),
            ..Default::default()
        })
    }

    fn explore_kinds(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("slow", "Everything a node sends is delayed 20–200 ms (in order) until `heal_after`."),
            ("lossy", "A third of what a node sends is lost until `heal_after`."),
            ("drop", "Everything a node sends is lost until `heal_after` (one way)."),
        ]
    }

    /// A link from each node to every other, shaped by the explore kind.
    fn placements(&self, name: &str, cx: &PlaceCx) -> Vec<(String, LinkParams)> {
        let shape = |p: LinkParams| match name {
            "slow" => LinkParams {
                latency_min: Some(Duration::from_millis(20)),
                latency_max: Some(Duration::from_millis(200)),
                ..p
            },
            "lossy" => LinkParams { loss: Some(0.3), ..p },
            _ => LinkParams { loss: Some(1.0), ..p },
        };
        cx.nodes
            .iter()
            .map(|n| {
                let to: Vec<String> = cx.nodes.iter().filter(|m| *m != n).cloned().collect();
                let p = LinkParams {
                    from: Some(vec![n.clone()]),
                    to: Some(to),
                    messages: cx.messages.map(<[_]>::to_vec),
                    heal_after: Some(cx.windows.heal_after),
                    ..Default::default()
                };
                (format!("{n} → every node"), shape(p))
            })
            .collect()
    }
}
