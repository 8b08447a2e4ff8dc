//! `action = "disk_full"`: a node's disk holds at most `capacity` bytes
//! until `heal_after`. A write or append that would grow its live files past
//! that fails with ENOSPC and writes nothing, as a full file system does;
//! writes that do not grow it, and deletes, still pass. What the job makes of
//! it is Flink's: a snapshot upload that storage cannot write declines the
//! checkpoint (counted against `tolerable_failures`); a sink store that cannot
//! log a write loses it, and the writer's pre-commit or flush then fails the
//! task, which recovers from the last checkpoint; a coordinator that cannot
//! persist its record retries or fails the trigger.
//!
//! `capacity` counts every live file on the node, synced or not, so a disk
//! already holding more than `capacity` refuses every write that grows it.
//! The strike records how many bytes the node held (`used`); the heal how many
//! writes the capacity refused (`refused`), so a fault that bit nothing shows.

use super::context::{act, ended, FaultCtx};
use super::draw::Drawer;
use super::kind::{CheckCx, Kind, PlaceCx};
use super::targets;
use crate::engine::registry::Registry;
use crate::oracle::coverage::{any, Path};
use crate::scenario::duration::dur_opt;
use crate::scenario::validate::{require, Check};
use crate::scenario::Scenario;
use crate::sim::disk::{DiskError, DiskFaults};
use crate::trace::fault_act::{Effect, Step, Strike};
use futures::future::LocalBoxFuture;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The disk-full kind.
pub struct DiskFull;

/// A disk-full fault's fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskFullParams {
    /// The node, a name or `worker-of(op[i])`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The most bytes the disk holds while the fault acts (0: not one byte more).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u64>,
    /// Heal (the space comes back) this long after. Default: never.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub heal_after: Option<Duration>,
}

/// Capacities a swarm draws from: nothing more, a little, some, plenty.
const DRAWN_CAPACITIES: [u64; 4] = [0, 4 << 10, 64 << 10, 1 << 20];

impl Kind for DiskFull {
    type Params = DiskFullParams;

    fn action(&self) -> &'static str {
        "disk_full"
    }

    fn check(&self, p: &DiskFullParams, cx: &CheckCx) -> Check {
        targets::node(cx.s, &cx.hidden, cx.field("node"), "disk_full", p.node.as_deref(), true)?;
        require(
            p.capacity.is_some(),
            cx.field("capacity"),
            "is missing; a disk_full fault says how many bytes the disk holds, e.g. capacity = 65536 (0: not one \
             byte more than it holds now)",
        )
    }

    fn label(&self, p: &DiskFullParams) -> String {
        format!("disk_full {} capacity {} B", p.node.as_deref().unwrap_or("?"), p.capacity.unwrap_or(0))
    }

    fn strike<'a>(&'a self, p: DiskFullParams, i: usize, ctx: &'a FaultCtx) -> LocalBoxFuture<'a, ()> {
        Box::pin(async move {
            let Some(node) = ctx.resolve(i, p.node.as_deref().unwrap_or_default()) else { return };
            let Some(disk) = ctx.disks.get(&node) else { return };
            let capacity = p.capacity.unwrap_or(0);
            disk.add_faults(i, DiskFaults { capacity: Some(capacity), ..DiskFaults::default() });
            let details =
                vec![("target", node.clone()), ("capacity", capacity.to_string()), ("used", disk.used().to_string())];
            let strike = Strike { effect: Effect::Disk { node: node.clone() }, linger: Duration::ZERO };
            act(i, "fault_disk_full", "disk full", node.clone(), Step::Struck(strike), details);
            if let Some(after) = p.heal_after {
                madsim::time::sleep(after).await;
                disk.remove_faults(i);
                let details = vec![("target", node.clone()), ("refused", disk.refused(i).to_string())];
                ended(i, "fault_disk_full_healed", "disk space back", node, details);
            }
        })
    }

    fn swarm_kinds(&self) -> &'static [&'static str] {
        &["disk_full"]
    }

    /// A disk the job uses fills up, to one of a few capacities.
    fn draw(&self, _name: &str, d: &mut Drawer) -> Option<DiskFullParams> {
        let node = Some(d.disk_node());
        let capacity = DRAWN_CAPACITIES.choose(&mut d.rng).copied();
        Some(DiskFullParams { node, capacity, heal_after: None })
    }

    fn explore_kinds(&self) -> &'static [(&'static str, &'static str)] {
        &[("disk_full", "A node's disk takes not one byte more (capacity 0) until `heal_after`.")]
    }

    fn placements(&self, _name: &str, cx: &PlaceCx) -> Vec<(String, DiskFullParams)> {
        let params = |n: &String| DiskFullParams {
            node: Some(n.clone()),
            capacity: Some(0),
            heal_after: Some(cx.windows.heal_after),
        };
        cx.targets.iter().map(|n| (n.clone(), params(n))).collect()
    }

    fn paths(&self) -> &'static [Path] {
        &[Path {
            name: "disk_full_refused_write",
            description: "a full disk refused a write (ENOSPC): a checkpoint declined, a sink write lost, or a \
                          coordinator record not persisted",
            taken: |ev| any(ev, |e| matches!(e.disk_error(), Some(DiskError::NoSpace(_)))),
            applies: fills_a_disk,
        }]
    }
}

/// Whether a scenario fills a disk: a `disk_full` fault, or a swarm that draws one.
fn fills_a_disk(s: &Scenario, _: &Registry) -> bool {
    s.faults.iter().any(|f| f.action == "disk_full")
        || s.swarm.as_ref().is_some_and(|w| w.faults.iter().any(|k| k == "disk_full"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ids::TxnId;
    use crate::trace::testing::at;
    use crate::trace::Event;

    #[test]
    fn a_refused_write_anywhere_takes_the_path() {
        let taken = DiskFull.paths()[0].taken;
        let lost = |error| {
            at(5, "sink", Event::SinkWriteLost { txn: TxnId { sink: 2, subtask: 0, attempt: 1, seq: 1 }, error })
        };
        assert!(taken(&[lost(DiskError::NoSpace("sink.wal".into()))]));
        assert!(!taken(&[lost(DiskError::Write("sink.wal".into()))]), "an I/O error is not a full disk");
    }
}
