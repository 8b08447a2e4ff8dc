//! `action = "crash"`: kill a node — its memory and its unsynced disk writes
//! are lost — and restart it `restart_after` later, or never.

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

/// The crash kind.
pub struct Crash;

/// A crash's fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrashParams {
    /// The node: a name (`worker-2`, `coordinator`, `log`, `storage`,
    /// `sink`) or `worker-of(op[i])`, the worker running that task then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Restart the node this long after the crash. Default: never.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub restart_after: Option<Duration>,
}

impl Kind for Crash {
    type Params = CrashParams;

    fn action(&self) -> &'static str {
        "crash"
    }

    fn check(&self, p: &CrashParams, cx: &CheckCx) -> Check {
        targets::node(cx.s, &cx.hidden, cx.field("node"), "crash", p.node.as_deref(), true)
    }

    fn label(&self, p: &CrashParams) -> String {
        format!("crash {}", p.node.as_deref().unwrap_or("?"))
    }

    fn strike<'a>(&'a self, p: CrashParams, i: usize, ctx: &'a FaultCtx) -> LocalBoxFuture<'a, ()> {
        Box::pin(async move {
            let Some(node) = ctx.resolve(i, p.node.as_deref().unwrap_or_default()) else { return };
            let handle = Handle::current();
            handle.kill(node.as_str());
            let damaged = ctx.disks.get(&node).map_or(0, |d| d.crash());
            let effect = Effect::Stopped { node: node.clone(), crash: true };
            let details = vec![("target", node.clone()), ("files_lost_writes", damaged.to_string())];
            act(
                i,
                "fault_crash",
                "crash",
                node.clone(),
                Step::Struck(Strike { effect, linger: Duration::ZERO }),
                details,
            );
            let Some(after) = p.restart_after else { return };
            madsim::time::sleep(after).await;
            // Another fault may have restarted the node meanwhile: a restart is
            // then a reboot, so kill first (madsim keeps a live node's sockets
            // bound across `restart`) and lose what it had not synced.
            handle.kill(node.as_str());
            ctx.disks.get(&node).map(|d| d.crash());
            handle.restart(node.as_str());
            act(i, "fault_restart", "restart", node.clone(), Step::Ended { zombie: None }, vec![("target", node)]);
        })
    }

    fn swarm_kinds(&self) -> &'static [&'static str] {
        &["crash"]
    }

    fn draw(&self, _name: &str, d: &mut Drawer) -> Option<CrashParams> {
        Some(CrashParams { node: Some(d.node(true)), restart_after: None })
    }

    fn draw_delay(&self, _name: &str, d: &mut Drawer, latest: Duration) -> Option<(&'static str, Duration)> {
        Some(("restart_after", d.between(Duration::from_millis(10), latest)))
    }

    fn explore_kinds(&self) -> &'static [(&'static str, &'static str)] {
        &[("crash", "Crash a node, restart it `restart_after` later.")]
    }

    fn placements(&self, _name: &str, cx: &PlaceCx) -> Vec<(String, CrashParams)> {
        let restart_after = Some(cx.windows.restart_after);
        cx.targets.iter().map(|n| (n.clone(), CrashParams { node: Some(n.clone()), restart_after })).collect()
    }
}
