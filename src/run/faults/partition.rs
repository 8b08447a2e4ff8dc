//! `action = "partition"`: cut every link between two groups of nodes — or
//! only the messages from the first group to the second (`one_way`) — until
//! `heal_after`. A cut holds messages (TCP keeps the data); they leave when
//! it heals.

use super::context::FaultCtx;
use super::draw::Drawer;
use super::kind::{CheckCx, Kind};
use super::links::{self, LinkFault};
use super::targets::check_node;
use crate::scenario::duration::dur_opt;
use crate::scenario::validate::{require, Check};
use crate::scenario::MessageClass;
use crate::sim::link_rules::{Effect as Rule, NodeSet};
use crate::trace::fault_act::Effect;
use futures::future::LocalBoxFuture;
use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How `between` is written, for messages.
const EXAMPLE_GROUPS: &str = "e.g. between = [[\"coordinator\"], [\"worker-2\"]]";

/// The partition kind.
pub struct Partition;

/// A partition's fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionParams {
    /// Two groups of node names cut from each other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub between: Option<[Vec<String>; 2]>,
    /// Cut only messages from the first group to the second. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_way: Option<bool>,
    /// Only these kinds of message. Default: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<MessageClass>>,
    /// Heal this long after. Default: never.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub heal_after: Option<Duration>,
}

impl Kind for Partition {
    type Params = PartitionParams;

    fn action(&self) -> &'static str {
        "partition"
    }

    /// Two non-empty, disjoint groups of nodes of the cluster.
    fn check(&self, p: &PartitionParams, cx: &CheckCx) -> Check {
        let field = cx.field("between");
        let Some([a, b]) = &p.between else {
            let message = format!("is missing; a partition fault names the two groups it cuts apart, {EXAMPLE_GROUPS}");
            return Err((field, message));
        };
        for (g, group) in [a, b].into_iter().enumerate() {
            let message = format!("has an empty group {}; both groups need at least one node, {EXAMPLE_GROUPS}", g + 1);
            require(!group.is_empty(), &field, message)?;
            for name in group {
                check_node(cx.s, &cx.hidden, name, false).map_err(|message| (field.clone(), message))?;
            }
        }
        match a.iter().find(|name| b.contains(name)) {
            Some(both) => Err((field, format!("has `{both}` in both groups; the groups must be disjoint"))),
            None => Ok(()),
        }
    }

    fn label(&self, p: &PartitionParams) -> String {
        let [a, b] = p.between.clone().unwrap_or_default();
        let arrow = if p.one_way == Some(true) { "->" } else { "<->" };
        format!("partition {} {arrow} {}", a.join(","), b.join(","))
    }

    fn strike<'a>(&'a self, p: PartitionParams, i: usize, _ctx: &'a FaultCtx) -> LocalBoxFuture<'a, ()> {
        let [a, b] = p.between.unwrap_or_default();
        let one_way = p.one_way.unwrap_or(false);
        let mut rules = vec![links::rule(NodeSet::only(&a), NodeSet::only(&b), &p.messages, Rule::Cut)];
        if !one_way {
            rules.push(links::rule(NodeSet::only(&b), NodeSet::only(&a), &p.messages, Rule::Cut));
        }
        let link = format!("{} {} {}", a.join(","), if one_way { "->" } else { "<->" }, b.join(","));
        let details = vec![("action", "fault_partition".to_string()), ("link", link.clone())];
        let effect = Effect::Cut { from: a, to: b, one_way };
        let f =
            LinkFault { rules, name: "fault_cut", what: "partition", link, effect, linger: Duration::ZERO, details };
        Box::pin(links::hold(i, f, p.heal_after))
    }

    fn swarm_kinds(&self) -> &'static [&'static str] {
        &["partition", "one_way"]
    }

    /// Two disjoint groups of one or two nodes.
    fn draw(&self, name: &str, d: &mut Drawer) -> Option<PartitionParams> {
        let mut nodes = d.nodes();
        nodes.shuffle(&mut d.rng);
        let (na, nb) = (d.rng.gen_range(1..=2), d.rng.gen_range(1..=2));
        let (a, b) = (nodes[..na].to_vec(), nodes[na..na + nb].to_vec());
        Some(PartitionParams {
            between: Some([a, b]),
            one_way: (name == "one_way").then_some(true),
            ..Default::default()
        })
    }
}
