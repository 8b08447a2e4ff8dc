//! Storage faults: a node's disk fails or slows down for a window, and bit
//! rot flips a bit in stored copies of one blob of the latest completed
//! checkpoint (a snapshot, or the checkpoint's metadata).

use super::{act, resolve, skipped, FaultCtx};
use crate::engine::services::blobs;
use crate::scenario::{BlobKind, DiskFaults};
use crate::trace::fault_act::{Effect, Step, Strike};
use rand::seq::SliceRandom;
use std::collections::BTreeMap;
use std::time::Duration;

pub(super) async fn disk(i: usize, node: &str, faults: DiskFaults, heal_after: Option<Duration>, ctx: &FaultCtx) {
    let Some(node) = resolve(i, node, &ctx.recorder) else { return };
    let Some(disk) = ctx.disks.get(&node) else { return };
    disk.add_faults(i, faults);
    let (min, max) = faults.fsync_latency.unwrap_or_default();
    let details = vec![
        ("target", node.clone()),
        ("write_error", faults.write_error.to_string()),
        ("fsync_error", faults.fsync_error.to_string()),
        ("read_error", faults.read_error.to_string()),
        ("fsync_min_us", min.as_micros().to_string()),
        ("fsync_max_us", max.as_micros().to_string()),
    ];
    let strike = Strike { effect: Effect::Disk { node: node.clone() }, linger: max };
    act(i, "fault_disk", "disk", node.clone(), Step::Struck(strike), details);
    if let Some(after) = heal_after {
        madsim::time::sleep(after).await;
        disk.remove_faults(i);
        act(i, "fault_disk_healed", "disk healed", node.clone(), Step::Ended { zombie: None }, vec![("target", node)]);
    }
}

pub(super) fn bit_rot(i: usize, node: &str, copies: usize, blob: BlobKind, ctx: &FaultCtx) {
    let Some(disk) = ctx.disks.get(node) else { return };
    let Some(checkpoint) = ctx.recorder.latest_completed() else {
        skipped(i, node, "no completed checkpoint yet");
        return;
    };
    // Every blob of the checkpoint, with its stored copies.
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in disk.list(&format!("chk-{checkpoint}/")) {
        if let Some((key, _)) = blobs::key_of(&path) {
            keys.entry(key.to_string()).or_default().push(path.clone());
        }
    }
    keys.retain(|key, _| match blob {
        BlobKind::Metadata => key.ends_with("/_metadata"),
        BlobKind::Snapshot => !key.ends_with("/_metadata"),
        BlobKind::Any => true,
    });
    let mut rng = ctx.seeds.stream(&format!("fault:{i}"));
    let candidates: Vec<&String> = keys.keys().collect();
    let Some(key) = candidates.choose(&mut rng).map(|k| k.to_string()) else {
        skipped(i, node, "no such blob in the latest checkpoint");
        return;
    };
    let mut paths = keys[&key].clone();
    paths.shuffle(&mut rng);
    let rotted: Vec<String> = paths.into_iter().take(copies).filter(|p| disk.flip_bit(p)).collect();
    let details = vec![
        ("target", node.to_string()),
        ("key", key.clone()),
        ("checkpoint", checkpoint.to_string()),
        ("copies", rotted.len().to_string()),
    ];
    let strike = Strike { effect: Effect::Rot { key }, linger: Duration::ZERO };
    act(i, "fault_bit_rot", "bit rot", node.to_string(), Step::Struck(strike), details);
}
