//! `action = "isolate"`: cut one node from every other, both ways, until
//! `heal_after` — a partition of one node, with `worker-of(op[i])` allowed.

use super::context::FaultCtx;
use super::draw::Drawer;
use super::kind::{CheckCx, Kind, PlaceCx};
use super::links::{self, LinkFault};
use super::targets;
use crate::scenario::duration::dur_opt;
use crate::scenario::validate::Check;
use crate::scenario::MessageClass;
use crate::sim::link_rules::{Effect as Rule, NodeSet};
use crate::trace::fault_act::Effect;
use futures::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The isolate kind.
pub struct Isolate;

/// An isolation's fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IsolateParams {
    /// The node, a name or `worker-of(op[i])`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Only these kinds of message. Default: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<MessageClass>>,
    /// Heal this long after. Default: never.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub heal_after: Option<Duration>,
}

impl Kind for Isolate {
    type Params = IsolateParams;

    fn action(&self) -> &'static str {
        "isolate"
    }

    fn check(&self, p: &IsolateParams, cx: &CheckCx) -> Check {
        targets::node(cx.s, &cx.hidden, cx.field("node"), "isolate", p.node.as_deref(), true)
    }

    fn label(&self, p: &IsolateParams) -> String {
        format!("isolate {}", p.node.as_deref().unwrap_or("?"))
    }

    fn strike<'a>(&'a self, p: IsolateParams, i: usize, ctx: &'a FaultCtx) -> LocalBoxFuture<'a, ()> {
        Box::pin(async move {
            let Some(node) = ctx.resolve(i, p.node.as_deref().unwrap_or_default()) else { return };
            let rules = vec![
                links::rule(NodeSet::only(&[&node]), NodeSet::AllBut(node.clone()), &p.messages, Rule::Cut),
                links::rule(NodeSet::AllBut(node.clone()), NodeSet::only(&[&node]), &p.messages, Rule::Cut),
            ];
            let details = vec![("action", "fault_isolate".to_string()), ("link", node.clone())];
            let effect = Effect::Isolated { node: node.clone() };
            let f = LinkFault {
                rules,
                name: "fault_cut",
                what: "isolate",
                link: node,
                effect,
                linger: Duration::ZERO,
                details,
            };
            links::hold(i, f, p.heal_after).await
        })
    }

    fn swarm_kinds(&self) -> &'static [&'static str] {
        &["isolate"]
    }

    fn draw(&self, _name: &str, d: &mut Drawer) -> Option<IsolateParams> {
        Some(IsolateParams { node: Some(d.node(false)), ..Default::default() })
    }

    fn explore_kinds(&self) -> &'static [(&'static str, &'static str)] {
        &[("isolate", "Cut a node from every other until `heal_after`.")]
    }

    fn placements(&self, _name: &str, cx: &PlaceCx) -> Vec<(String, IsolateParams)> {
        let params = |n: &String| IsolateParams {
            node: Some(n.clone()),
            messages: cx.messages.map(<[_]>::to_vec),
            heal_after: Some(cx.windows.heal_after),
        };
        cx.targets.iter().map(|n| (n.clone(), params(n))).collect()
    }
}
