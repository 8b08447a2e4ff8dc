//! `action = "bit_rot"`: flip a bit in stored copies of one blob of the
//! latest completed checkpoint — a snapshot, or the checkpoint's metadata.
//! Storage verifies checksums and falls back to a healthy copy; when every
//! copy rots, the checkpoint is gone for good and recovery must fail.

use super::context::{act, skipped, FaultCtx};
use super::draw::Drawer;
use super::kind::{CheckCx, Kind, PlaceCx};
use crate::engine::keys;
use crate::engine::services::blobs;
use crate::scenario::validate::{require, Check};
use crate::scenario::Scenario;
use crate::trace::fault_act::{Effect, Step, Strike};
use futures::future::LocalBoxFuture;
use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// The bit rot kind.
pub struct BitRot;

/// Which blob of a checkpoint rots.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BlobKind {
    /// A task's snapshot.
    Snapshot,
    /// The checkpoint's metadata.
    Metadata,
    /// Either.
    #[default]
    Any,
}

/// A bit rot's fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BitRotParams {
    /// Must be `storage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// How many stored copies of the blob rot. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copies: Option<usize>,
    /// Which blob of the latest checkpoint. Default `any`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<BlobKind>,
}

impl Kind for BitRot {
    type Params = BitRotParams;

    fn action(&self) -> &'static str {
        "bit_rot"
    }

    /// On `storage`, 1 to `replicas` copies.
    fn check(&self, p: &BitRotParams, cx: &CheckCx) -> Check {
        require(
            p.node.as_deref() == Some("storage"),
            cx.field("node"),
            "must be \"storage\": bit rot damages stored copies of a checkpoint blob; write node = \"storage\"",
        )?;
        let replicas = cx.s.storage.replicas;
        let copies = p.copies.unwrap_or(1);
        require(
            (1..=replicas).contains(&copies),
            cx.field("copies"),
            format!("is {copies}; storage keeps {replicas} copies (storage.replicas), so 1..={replicas} can rot"),
        )
    }

    fn label(&self, p: &BitRotParams) -> String {
        let (copies, blob) = (p.copies.unwrap_or(1), p.blob.unwrap_or_default());
        format!("bit_rot {}", format!("{copies} copies of a {blob:?} blob").to_lowercase())
    }

    fn strike<'a>(&'a self, p: BitRotParams, i: usize, ctx: &'a FaultCtx) -> LocalBoxFuture<'a, ()> {
        Box::pin(async move { rot(p, i, ctx) })
    }

    fn swarm_kinds(&self) -> &'static [&'static str] {
        &["bit_rot"]
    }

    fn check_swarm(&self, _name: &str, s: &Scenario, field: &str) -> Check {
        require(
            s.storage.replicas >= 2,
            field,
            "draws bit_rot, but storage.replicas is 1, so any rot destroys the only copy; set storage.replicas = 2",
        )
    }

    /// Fewer copies than storage keeps (so the blob survives), at most one
    /// rot per plan.
    fn draw(&self, _name: &str, d: &mut Drawer) -> Option<BitRotParams> {
        if d.rotted || d.scenario.storage.replicas < 2 {
            return None;
        }
        d.rotted = true;
        let copies = d.rng.gen_range(1..d.scenario.storage.replicas);
        let blob = *[BlobKind::Snapshot, BlobKind::Metadata, BlobKind::Any].choose(&mut d.rng).expect("kinds");
        Some(BitRotParams { node: Some("storage".into()), copies: Some(copies), blob: Some(blob) })
    }

    fn draw_delay(&self, _name: &str, _d: &mut Drawer, _latest: Duration) -> Option<(&'static str, Duration)> {
        None
    }

    fn explore_kinds(&self) -> &'static [(&'static str, &'static str)] {
        &[("bit_rot", "Rot one copy, then every copy, of the latest checkpoint in storage.")]
    }

    /// One copy, then every copy, of the latest checkpoint.
    fn placements(&self, _name: &str, cx: &PlaceCx) -> Vec<(String, BitRotParams)> {
        if cx.task.is_some() {
            return vec![];
        }
        let replicas = cx.s.storage.replicas;
        let mut copies = vec![1];
        if replicas > 1 {
            copies.push(replicas);
        }
        let params = |n| BitRotParams { node: Some("storage".into()), copies: Some(n), blob: None };
        copies.into_iter().map(|n| (format!("storage ({n} of {replicas} copies)"), params(n))).collect()
    }
}

/// Rots `copies` stored copies of one blob of the latest completed checkpoint.
fn rot(p: BitRotParams, i: usize, ctx: &FaultCtx) {
    let node = p.node.as_deref().unwrap_or("storage");
    let (copies, blob) = (p.copies.unwrap_or(1), p.blob.unwrap_or_default());
    let Some(disk) = ctx.disks.get(node) else { return };
    let Some(checkpoint) = ctx.recorder.latest_completed() else {
        skipped(i, node, "no completed checkpoint yet");
        return;
    };
    // Every blob of the checkpoint, with its stored copies.
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in disk.list(&keys::prefix(checkpoint)) {
        if let Some((key, _)) = blobs::key_of(&path) {
            keys.entry(key.to_string()).or_default().push(path.clone());
        }
    }
    keys.retain(|key, _| match blob {
        BlobKind::Metadata => keys::is_metadata(key),
        BlobKind::Snapshot => !keys::is_metadata(key),
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
