//! `action = "pause"`: stop every task of a node but keep its memory — a GC
//! stall — and resume it `resume_after` later, or never. A node that comes
//! back after the job moved on is a zombie of an attempt the job is past.

use super::context::{act, FaultCtx};
use super::draw::Drawer;
use super::kind::{CheckCx, Kind, PlaceCx};
use super::targets;
use crate::scenario::duration::dur_opt;
use crate::scenario::validate::Check;
use crate::trace::fault_act::{Effect, Step, Strike};
use futures::future::LocalBoxFuture;
use madsim::runtime::Handle;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The pause kind.
pub struct Pause;

/// A pause's fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseParams {
    /// The node, a name or `worker-of(op[i])`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Resume the node this long after. Default: never.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub resume_after: Option<Duration>,
}

impl Kind for Pause {
    type Params = PauseParams;

    fn action(&self) -> &'static str {
        "pause"
    }

    fn check(&self, p: &PauseParams, cx: &CheckCx) -> Check {
        targets::node(cx.s, &cx.hidden, cx.field("node"), "pause", p.node.as_deref(), true)
    }

    fn label(&self, p: &PauseParams) -> String {
        format!("pause {}", p.node.as_deref().unwrap_or("?"))
    }

    fn strike<'a>(&'a self, p: PauseParams, i: usize, ctx: &'a FaultCtx) -> LocalBoxFuture<'a, ()> {
        Box::pin(async move {
            let Some(node) = ctx.resolve(i, p.node.as_deref().unwrap_or_default()) else { return };
            let handle = Handle::current();
            handle.pause(node.as_str());
            // The attempt whose tasks the node runs now: if the job moves past it
            // while the node sleeps, it wakes up as a zombie.
            let running = ctx.recorder.attempt_on(&node);
            let effect = Effect::Stopped { node: node.clone(), crash: false };
            let details = vec![("target", node.clone()), ("attempt", running.unwrap_or(0).to_string())];
            act(
                i,
                "fault_pause",
                "pause",
                node.clone(),
                Step::Struck(Strike { effect, linger: Duration::ZERO }),
                details,
            );
            let Some(after) = p.resume_after else { return };
            madsim::time::sleep(after).await;
            handle.resume(node.as_str());
            let current = ctx.recorder.current_attempt();
            let zombie = running.filter(|a| *a < current);
            let mut details = vec![("target", node.clone())];
            if let Some(zombie) = zombie {
                details.extend([("zombie_attempt", zombie.to_string()), ("current_attempt", current.to_string())]);
            }
            act(i, "fault_resume", "resume", node, Step::Ended { zombie: zombie.map(|z| (z, current)) }, details);
        })
    }

    fn swarm_kinds(&self) -> &'static [&'static str] {
        &["pause"]
    }

    fn draw(&self, _name: &str, d: &mut Drawer) -> Option<PauseParams> {
        Some(PauseParams { node: Some(d.node(true)), resume_after: None })
    }

    fn draw_delay(&self, _name: &str, d: &mut Drawer, latest: Duration) -> Option<(&'static str, Duration)> {
        // Long enough, often, to miss heartbeats: the zombie path.
        let long = d.scenario.cluster.heartbeat_timeout * 5 / 2;
        Some(("resume_after", d.between(Duration::from_millis(10), long.min(latest))))
    }

    fn explore_kinds(&self) -> &'static [(&'static str, &'static str)] {
        &[("pause", "Pause a node, resume it `resume_after` later (zombies).")]
    }

    fn placements(&self, _name: &str, cx: &PlaceCx) -> Vec<(String, PauseParams)> {
        let resume_after = Some(cx.windows.resume_after);
        cx.targets.iter().map(|n| (n.clone(), PauseParams { node: Some(n.clone()), resume_after })).collect()
    }
}
