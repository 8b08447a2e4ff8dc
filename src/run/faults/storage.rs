//! Storage faults: a node's disk fails or slows down for a window, and bit
//! rot flips a bit in stored copies of one blob of the latest completed
//! checkpoint (a snapshot, or the checkpoint's metadata).

use super::{resolve, FaultCtx};
use crate::emit;
use crate::engine::services::blobs;
use crate::scenario::{BlobKind, DiskFaults};
use rand::seq::SliceRandom;
use std::collections::BTreeMap;
use std::time::Duration;

pub(super) async fn disk(i: usize, node: &str, faults: DiskFaults, heal_after: Option<Duration>, ctx: &FaultCtx) {
    let Some(node) = resolve(i, node, &ctx.recorder) else { return };
    let Some(disk) = ctx.disks.get(&node) else { return };
    disk.add_faults(i, faults);
    let (min, max) = faults.fsync_latency.unwrap_or_default();
    emit!(
        "world",
        "fault_disk",
        fault = i,
        target = node,
        write_error = faults.write_error,
        fsync_error = faults.fsync_error,
        read_error = faults.read_error,
        fsync_min_us = min.as_micros(),
        fsync_max_us = max.as_micros()
    );
    if let Some(after) = heal_after {
        madsim::time::sleep(after).await;
        disk.remove_faults(i);
        emit!("world", "fault_disk_healed", fault = i, target = node);
    }
}

pub(super) fn bit_rot(i: usize, node: &str, copies: usize, blob: BlobKind, ctx: &FaultCtx) {
    let Some(disk) = ctx.disks.get(node) else { return };
    let Some(checkpoint) = ctx.recorder.latest_completed() else {
        emit!("world", "fault_skipped", fault = i, target = node, reason = "no completed checkpoint yet");
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
        emit!("world", "fault_skipped", fault = i, target = node, reason = "no such blob in the latest checkpoint");
        return;
    };
    let mut paths = keys[&key].clone();
    paths.shuffle(&mut rng);
    let rotted: Vec<String> = paths.into_iter().take(copies).filter(|p| disk.flip_bit(p)).collect();
    emit!(
        "world",
        "fault_bit_rot",
        fault = i,
        target = node,
        key = key,
        checkpoint = checkpoint,
        copies = rotted.len()
    );
}
