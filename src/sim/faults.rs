//! The fault injector: carries out each scenario fault at its time. Faults
//! are data (`scenario::Fault`); this is the one place that acts on them.

use super::disk::SimDisk;
use super::net::set_partition;
use crate::emit;
use crate::scenario::{Fault, FaultAction, Network};
use crate::trace::Recorder;
use madsim::net::NetSim;
use madsim::runtime::Handle;
use std::collections::BTreeMap;
use std::time::Duration;

/// Starts one background task per fault.
pub fn spawn_all(faults: &[Fault], network: &Network, disks: &BTreeMap<String, SimDisk>, recorder: &Recorder) {
    for fault in faults {
        let (fault, network, disks, recorder) = (fault.clone(), network.clone(), disks.clone(), recorder.clone());
        madsim::task::spawn(async move {
            if !strike_time(&fault, &recorder).await {
                return;
            }
            recorder.faults_act_until(super::now() + fault.aftermath());
            match fault.action {
                FaultAction::Crash => crash(&fault, &disks, &recorder).await,
                FaultAction::Partition => partition(&fault).await,
                FaultAction::Network => reconfigure(&fault, &network).await,
            }
        });
    }
}

/// Waits for the fault's time or phase; false if the phase never comes.
async fn strike_time(fault: &Fault, recorder: &Recorder) -> bool {
    if let Some(at) = fault.at {
        madsim::time::sleep(at).await;
        return true;
    }
    let Some(when) = &fault.when else { return false };
    let Ok(event) = recorder.watch(when.phase.event_kind(), when.checkpoint, when.task.clone()).await else {
        return false;
    };
    let (checkpoint, task) = (event.field("checkpoint").unwrap_or("-"), event.field("task").unwrap_or("-"));
    emit!("world", "fault_phase_reached", phase = event.kind, checkpoint = checkpoint, task = task, on = event.node);
    true
}

/// `worker-of(op[i])` → the worker running that task now.
fn resolve(node: &str, recorder: &Recorder) -> Option<String> {
    match node.strip_prefix("worker-of(").and_then(|s| s.strip_suffix(')')) {
        Some(task) => recorder.worker_of(task),
        None => Some(node.to_string()),
    }
}

async fn crash(fault: &Fault, disks: &BTreeMap<String, SimDisk>, recorder: &Recorder) {
    let spec = fault.node.as_deref().expect("validated: crash has a node");
    let Some(node) = resolve(spec, recorder) else {
        emit!("world", "fault_skipped", node = spec, reason = "task not deployed");
        return;
    };
    let handle = Handle::current();
    handle.kill(node.as_str());
    let damaged = disks.get(&node).map_or(0, |d| d.crash());
    emit!("world", "fault_crash", node = node, files_lost_writes = damaged);
    if let Some(after) = fault.restart_after {
        madsim::time::sleep(after).await;
        // Another fault may have restarted the node meanwhile: a restart is
        // then a reboot, so kill first (madsim keeps a live node's sockets
        // bound across `restart`) and lose what it had not synced.
        handle.kill(node.as_str());
        disks.get(&node).map(|d| d.crash());
        handle.restart(node.as_str());
        emit!("world", "fault_restart", node = node);
    }
}

async fn partition(fault: &Fault) {
    let [a, b] = fault.between.clone().expect("validated: partition has groups");
    set_partition(&a, &b, true);
    emit!("world", "fault_partition", a = a.join(","), b = b.join(","));
    if let Some(after) = fault.heal_after {
        madsim::time::sleep(after).await;
        set_partition(&a, &b, false);
        emit!("world", "fault_heal", a = a.join(","), b = b.join(","));
    }
}

async fn reconfigure(fault: &Fault, base: &Network) {
    let (min, max) = (fault.latency_min.unwrap_or(base.latency_min), fault.latency_max.unwrap_or(base.latency_max));
    let loss = fault.loss.unwrap_or(base.loss);
    apply_network(min, max, loss);
    emit!("world", "fault_network", latency_min_us = min.as_micros(), latency_max_us = max.as_micros(), loss = loss);
    if let Some(after) = fault.heal_after {
        madsim::time::sleep(after).await;
        apply_network(base.latency_min, base.latency_max, base.loss);
        emit!("world", "fault_network_healed");
    }
}

/// Sets madsim's global latency range and loss rate.
pub fn apply_network(min: Duration, max: Duration, loss: f64) {
    NetSim::current().update_config(|c| {
        c.send_latency = min..max.max(min + Duration::from_nanos(1));
        c.packet_loss_rate = loss;
    });
}
