//! Process faults: a crash loses the node's memory and unsynced writes (and
//! may restart it); a pause stops every task of the node but keeps its
//! memory, and a resume brings it back as it was — possibly as a zombie of
//! an attempt the job has moved past.

use super::{act, resolve, FaultCtx};
use crate::trace::fault_act::{Effect, Step, Strike};
use madsim::runtime::Handle;
use std::time::Duration;

pub(super) async fn crash(i: usize, node: &str, restart_after: Option<Duration>, ctx: &FaultCtx) {
    let Some(node) = resolve(i, node, &ctx.recorder) else { return };
    let handle = Handle::current();
    handle.kill(node.as_str());
    let damaged = ctx.disks.get(&node).map_or(0, |d| d.crash());
    let strike =
        Step::Struck(Strike { effect: Effect::Stopped { node: node.clone(), crash: true }, linger: Duration::ZERO });
    let details = vec![("target", node.clone()), ("files_lost_writes", damaged.to_string())];
    act(i, "fault_crash", "crash", node.clone(), strike, details);
    if let Some(after) = restart_after {
        madsim::time::sleep(after).await;
        // Another fault may have restarted the node meanwhile: a restart is
        // then a reboot, so kill first (madsim keeps a live node's sockets
        // bound across `restart`) and lose what it had not synced.
        handle.kill(node.as_str());
        ctx.disks.get(&node).map(|d| d.crash());
        handle.restart(node.as_str());
        act(i, "fault_restart", "restart", node.clone(), Step::Ended { zombie: None }, vec![("target", node.clone())]);
    }
}

pub(super) async fn pause(i: usize, node: &str, resume_after: Option<Duration>, ctx: &FaultCtx) {
    let Some(node) = resolve(i, node, &ctx.recorder) else { return };
    let handle = Handle::current();
    handle.pause(node.as_str());
    // The attempt whose tasks the node runs now: if the job moves past it
    // while the node sleeps, it wakes up as a zombie.
    let running = ctx.recorder.attempt_on(&node);
    let strike =
        Step::Struck(Strike { effect: Effect::Stopped { node: node.clone(), crash: false }, linger: Duration::ZERO });
    let details = vec![("target", node.clone()), ("attempt", running.unwrap_or(0).to_string())];
    act(i, "fault_pause", "pause", node.clone(), strike, details);
    let Some(after) = resume_after else { return };
    madsim::time::sleep(after).await;
    handle.resume(node.as_str());
    let current = ctx.recorder.current_attempt();
    let zombie = running.filter(|a| *a < current);
    let mut details = vec![("target", node.clone())];
    if let Some(zombie) = zombie {
        details.extend([("zombie_attempt", zombie.to_string()), ("current_attempt", current.to_string())]);
    }
    let ended = Step::Ended { zombie: zombie.map(|z| (z, current)) };
    act(i, "fault_resume", "resume", node, ended, details);
}
