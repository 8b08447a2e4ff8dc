//! `action = "disk"`: a node's disk fails writes, fsyncs or reads with some
//! probability, or fsyncs slowly, until `heal_after`.

use super::context::{act, ended, FaultCtx};
use super::draw::Drawer;
use super::kind::{CheckCx, Kind, PlaceCx};
use super::targets;
use crate::scenario::duration::dur_opt;
use crate::scenario::validate::{at_most_max_latency, ordered, probability, require, Check};
use crate::sim::disk::DiskFaults;
use crate::trace::fault_act::{Effect, Step, Strike};
use futures::future::LocalBoxFuture;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The disk kind.
pub struct Disk;

/// A disk fault's fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskParams {
    /// The node, a name or `worker-of(op[i])`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Probability (0–1) that a write or append fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_error: Option<f64>,
    /// Probability (0–1) that an fsync fails (the writes stay unsynced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fsync_error: Option<f64>,
    /// Probability (0–1) that a read fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_error: Option<f64>,
    /// The shortest fsync while the fault acts.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub fsync_latency_min: Option<Duration>,
    /// The longest fsync while the fault acts.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub fsync_latency_max: Option<Duration>,
    /// Heal this long after. Default: never.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub heal_after: Option<Duration>,
}

impl DiskParams {
    /// What the disk does while the fault acts.
    fn faults(&self) -> DiskFaults {
        let fsync_latency = match (self.fsync_latency_min, self.fsync_latency_max) {
            (None, None) => None,
            (min, max) => {
                let min = min.unwrap_or_default();
                Some((min, max.unwrap_or(min)))
            }
        };
        DiskFaults {
            write_error: self.write_error.unwrap_or(0.0),
            fsync_error: self.fsync_error.unwrap_or(0.0),
            read_error: self.read_error.unwrap_or(0.0),
            fsync_latency,
            ..DiskFaults::default()
        }
    }
}

impl Kind for Disk {
    type Params = DiskParams;

    fn action(&self) -> &'static str {
        "disk"
    }

    /// A node, at least one setting, probabilities in [0, 1], latencies ordered and bounded.
    fn check(&self, p: &DiskParams, cx: &CheckCx) -> Check {
        targets::node(cx.s, &cx.hidden, cx.field("node"), "disk", p.node.as_deref(), true)?;
        let errors = [("write_error", p.write_error), ("fsync_error", p.fsync_error), ("read_error", p.read_error)];
        let slow = p.fsync_latency_min.is_some() || p.fsync_latency_max.is_some();
        require(
            slow || errors.iter().any(|(_, p)| p.is_some()),
            cx.fault(),
            "is a disk fault that changes nothing; set at least one of write_error, fsync_error, read_error, \
             fsync_latency_min or fsync_latency_max, e.g. fsync_error = 0.5",
        )?;
        for (name, p) in errors {
            p.map_or(Ok(()), |p| probability(p, true, &cx.field(name), ""))?;
        }
        if let (Some(min), Some(max)) = (p.fsync_latency_min, p.fsync_latency_max) {
            ordered(min, max, &cx.fault(), "fsync_latency_min", "fsync_latency_max")?;
        }
        for (name, latency) in [("fsync_latency_min", p.fsync_latency_min), ("fsync_latency_max", p.fsync_latency_max)]
        {
            latency.map_or(Ok(()), |latency| at_most_max_latency(latency, &cx.field(name)))?;
        }
        Ok(())
    }

    fn label(&self, p: &DiskParams) -> String {
        format!("disk {}", p.node.as_deref().unwrap_or("?"))
    }

    fn strike<'a>(&'a self, p: DiskParams, i: usize, ctx: &'a FaultCtx) -> LocalBoxFuture<'a, ()> {
        Box::pin(async move {
            let Some(node) = ctx.resolve(i, p.node.as_deref().unwrap_or_default()) else { return };
            let Some(disk) = ctx.disks.get(&node) else { return };
            let faults = p.faults();
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
            if let Some(after) = p.heal_after {
                madsim::time::sleep(after).await;
                disk.remove_faults(i);
                ended(i, "fault_disk_healed", "disk healed", node.clone(), vec![("target", node)]);
            }
        })
    }

    fn swarm_kinds(&self) -> &'static [&'static str] {
        &["disk_error", "slow_fsync"]
    }

    fn draws_phases(&self, _name: &str) -> bool {
        false
    }

    /// Errors on some of writes, fsyncs and reads (`disk_error`), or slow
    /// fsyncs (`slow_fsync`), on a disk the job uses.
    fn draw(&self, name: &str, d: &mut Drawer) -> Option<DiskParams> {
        if name == "slow_fsync" {
            let min = d.between(Duration::from_millis(10), Duration::from_millis(500));
            let max = d.between(min, Duration::from_millis(3000));
            let node = Some(d.disk_node());
            return Some(DiskParams {
                node,
                fsync_latency_min: Some(min),
                fsync_latency_max: Some(max),
                ..Default::default()
            });
        }
        let p = |rng: &mut ChaCha8Rng| rng.gen_bool(0.5).then(|| f64::from(rng.gen_range(5..=60u32)) / 100.0);
        let (write_error, fsync_error, mut read_error) = (p(&mut d.rng), p(&mut d.rng), p(&mut d.rng));
        if write_error.is_none() && fsync_error.is_none() && read_error.is_none() {
            read_error = Some(0.5);
        }
        let node = Some(d.disk_node());
        Some(DiskParams { node, write_error, fsync_error, read_error, ..Default::default() })
    }

    fn explore_kinds(&self) -> &'static [(&'static str, &'static str)] {
        &[("disk", "Every write and fsync of a node's disk fails until `heal_after`.")]
    }

    fn placements(&self, _name: &str, cx: &PlaceCx) -> Vec<(String, DiskParams)> {
        let params = |n: &String| DiskParams {
            node: Some(n.clone()),
            write_error: Some(1.0),
            fsync_error: Some(1.0),
            heal_after: Some(cx.windows.heal_after),
            ..Default::default()
        };
        cx.targets.iter().map(|n| (n.clone(), params(n))).collect()
    }
}
