//! Process faults: a crash loses the node's memory and unsynced writes (and
//! may restart it); a pause stops every task of the node but keeps its
//! memory, and a resume brings it back as it was — possibly as a zombie of
//! an attempt the job has moved past.

use super::{resolve, FaultCtx};
use crate::emit;
use madsim::runtime::Handle;
use std::time::Duration;

pub(super) async fn crash(i: usize, node: &str, restart_after: Option<Duration>, ctx: &FaultCtx) {
    let Some(node) = resolve(i, node, &ctx.recorder) else { return };
    let handle = Handle::current();
    handle.kill(node.as_str());
    let damaged = ctx.disks.get(&node).map_or(0, |d| d.crash());
    emit!("world", "fault_crash", fault = i, target = node, files_lost_writes = damaged);
    if let Some(after) = restart_after {
        madsim::time::sleep(after).await;
        // Another fault may have restarted the node meanwhile: a restart is
        // then a reboot, so kill first (madsim keeps a live node's sockets
        // bound across `restart`) and lose what it had not synced.
        handle.kill(node.as_str());
        ctx.disks.get(&node).map(|d| d.crash());
        handle.restart(node.as_str());
        emit!("world", "fault_restart", fault = i, target = node);
    }
}

pub(super) async fn pause(i: usize, node: &str, resume_after: Option<Duration>, ctx: &FaultCtx) {
    let Some(node) = resolve(i, node, &ctx.recorder) else { return };
    let handle = Handle::current();
    handle.pause(node.as_str());
    // The attempt whose tasks the node runs now: if the job moves past it
    // while the node sleeps, it wakes up as a zombie.
    let running = ctx.recorder.attempt_on(&node);
    emit!("world", "fault_pause", fault = i, target = node, attempt = running.unwrap_or(0));
    let Some(after) = resume_after else { return };
    madsim::time::sleep(after).await;
    handle.resume(node.as_str());
    let current = ctx.recorder.current_attempt();
    match running.filter(|a| *a < current) {
        Some(zombie) => {
            emit!("world", "fault_resume", fault = i, target = node, zombie_attempt = zombie, current_attempt = current)
        }
        None => emit!("world", "fault_resume", fault = i, target = node),
    }
}
