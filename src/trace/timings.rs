//! How long checkpoints took, read off a trace: each completed checkpoint's
//! duration (trigger to completion, as Flink's checkpoint statistics give
//! it) and each task's alignment time (its first barrier of a checkpoint to
//! its snapshot: what Flink reports as alignment duration). `sweep` prints
//! their median and 99th percentile over every seed.

use super::{Event, TraceEvent};
use crate::scenario::ids::CheckpointId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// One run's checkpoint timings, in milliseconds of simulated time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Per completed checkpoint: trigger to completion.
    pub checkpoint_ms: Vec<f64>,
    /// Per task and checkpoint it snapshotted (sources excluded: they
    /// have nothing to align): its first barrier to its snapshot.
    pub alignment_ms: Vec<f64>,
}

impl Timings {
    /// The timings of `events`; `source` says which operators (by id) are
    /// sources.
    pub fn of(events: &[TraceEvent], source: impl Fn(&str) -> bool) -> Timings {
        let mut triggered: BTreeMap<CheckpointId, Duration> = BTreeMap::new();
        let mut first_barrier: BTreeMap<(&str, CheckpointId), Duration> = BTreeMap::new();
        let is_source = |task: &str| task.split_once('[').is_some_and(|(op, _)| source(op));
        let mut out = Timings::default();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        for e in events {
            match &e.event {
                Event::CheckpointTriggered { checkpoint, .. } => drop(triggered.insert(*checkpoint, e.time)),
                Event::CheckpointCompleted { checkpoint, .. } => {
                    if let Some(at) = triggered.get(checkpoint) {
                        out.checkpoint_ms.push(ms(e.time - *at));
                    }
                }
                Event::BarrierReceived { task, checkpoint } if !is_source(task) => {
                    first_barrier.entry((task.as_str(), *checkpoint)).or_insert(e.time);
                }
                Event::SnapshotTaken { task, checkpoint, .. } => {
                    if let Some(at) = first_barrier.remove(&(task.as_str(), *checkpoint)) {
                        out.alignment_ms.push(ms(e.time - at));
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// The median and the 99th percentile of `samples` (nearest rank), if any.
pub fn median_p99(samples: &mut [f64]) -> Option<(f64, f64)> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_by(f64::total_cmp);
    let rank = |q: f64| samples[((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1];
    Some((rank(0.5), rank(0.99)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::testing::at;

    #[test]
    fn durations_run_from_trigger_to_completion_and_first_barrier_to_snapshot() {
        let events = [
            at(100, "coordinator", Event::CheckpointTriggered { checkpoint: 1, attempt: 1, pending: 1 }),
            at(110, "worker-1", Event::BarrierReceived { task: "count[0]".into(), checkpoint: 1 }),
            at(125, "worker-1", Event::SnapshotTaken { task: "count[0]".into(), checkpoint: 1, attempt: 1 }),
            at(
                140,
                "coordinator",
                Event::CheckpointCompleted { checkpoint: 1, attempt: 1, acks: 2, end_of_data: false },
            ),
            at(200, "coordinator", Event::CheckpointTriggered { checkpoint: 2, attempt: 1, pending: 1 }),
            at(210, "worker-1", Event::BarrierReceived { task: "events[0]".into(), checkpoint: 2 }),
            at(210, "worker-1", Event::SnapshotTaken { task: "events[0]".into(), checkpoint: 2, attempt: 1 }),
        ];
        let t = Timings::of(&events, |op| op == "events");
        assert_eq!(t.checkpoint_ms, vec![40.0], "checkpoint 2 never completed");
        assert_eq!(t.alignment_ms, vec![15.0], "a source has nothing to align");
    }

    #[test]
    fn the_median_and_p99_are_nearest_ranks() {
        let mut samples: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(median_p99(&mut samples), Some((50.0, 99.0)));
        assert_eq!(median_p99(&mut [7.0]), Some((7.0, 7.0)));
        assert_eq!(median_p99(&mut []), None);
    }
}
