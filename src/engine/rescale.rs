//! Restoring a checkpoint under a new parallelism (docs/rules.md L21): each new
//! subtask rebuilds its state from every old subtask's snapshot of its
//! operator, sans-IO. Keyed state moves by key group (key → group by hash,
//! group → subtask by contiguous range); source partitions go to their new
//! readers; in-flight channel state goes to the subtask that now owns each
//! record's key, in input and output channels alike (for non-keyed
//! operators, round-robin by old subtask);
//! the sink state of subtasks that no longer exist is handed to subtask 0,
//! which recovers (commits or aborts) their transactions.

use super::graph::{key_group, subtask_for_key, ExecutionGraph};
use super::state::{ChannelState, Snapshot, TaskState};
use crate::scenario::ids::TaskId;
use std::collections::BTreeMap;

/// What a task restores.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    pub snapshot: Option<Snapshot>,
    /// Old subtasks (index ≥ the new parallelism) whose state subtask 0
    /// must recover: their sink transactions, their fences.
    pub removed: Vec<(u16, TaskState)>,
}

/// The subtask that owns `key` among `p` (the planted bug
/// `rescale_key_group_off_by_one` shifts every key group by one).
fn owner(key: u64, p: usize, max_parallelism: usize, off_by_one: bool) -> u16 {
    if off_by_one {
        let g = (key_group(key, max_parallelism) + 1) % max_parallelism;
        return (g * p / max_parallelism) as u16;
    }
    subtask_for_key(key, p, max_parallelism) as u16
}

/// The state of new subtask `id` from the old subtasks' snapshots.
/// Planted bugs that act here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RescaleBugs {
    /// `rescale_key_group_off_by_one`.
    pub off_by_one: bool,
    /// `rescale_drops_inflight`: a new subtask takes in-flight records only
    /// from the old subtask with its own index.
    pub drops_inflight: bool,
    /// `removed_pending_aborted`: the sink subtask that recovers a removed
    /// one aborts its pending transactions instead of committing them.
    pub aborts_removed_pending: bool,
}

pub fn redistribute(graph: &ExecutionGraph, id: TaskId, old: Vec<(TaskId, Snapshot)>, bugs: RescaleBugs) -> Restored {
    let off_by_one = bugs.off_by_one;
    let op = graph.op(id);
    let p = op.parallelism;
    let s = id.subtask;
    let keyed = op.kind.is_keyed();
    let mine = |key: u64| owner(key, p, graph.max_parallelism, off_by_one) == s;
    let mut channels = ChannelState::default();
    let mut offsets = BTreeMap::new();
    let mut values = BTreeMap::new();
    let mut own = None;
    let mut removed = vec![];
    for (task, snapshot) in old {
        let round_robin = task.subtask as usize % p == s as usize;
        let inputs =
            if bugs.drops_inflight && task.subtask != s { Default::default() } else { snapshot.channels.inputs };
        for (port, records) in inputs {
            let kept: Vec<_> = records.into_iter().filter(|r| if keyed { mine(r.key) } else { round_robin }).collect();
            if !kept.is_empty() {
                channels.inputs.entry(port).or_insert_with(Vec::new).extend(kept);
            }
        }
        // Overtaken output records are sent again by whoever takes them: for
        // a keyed operator, the new owner of each record's key, so that a
        // key's old updates leave on the same channel as its new ones, and
        // before them (sent again by another subtask, an old value could
        // reach a keyed sink after a newer one).
        for (edge, records) in snapshot.channels.outputs {
            let kept: Vec<_> = records.into_iter().filter(|r| if keyed { mine(r.key) } else { round_robin }).collect();
            if !kept.is_empty() {
                channels.outputs.entry(edge).or_insert_with(Vec::new).extend(kept);
            }
        }
        match snapshot.state {
            TaskState::Source { offsets: o } => offsets.extend(o),
            TaskState::Keyed { values: v } => values.extend(v.into_iter().filter(|(k, _)| mine(*k))),
            state if task.subtask == s => own = Some(state),
            state if task.subtask as usize >= p && s == 0 => removed.push((task.subtask, state)),
            _ => {}
        }
    }
    let state = if !offsets.is_empty() || op.kind == crate::scenario::OperatorKind::Source {
        let partitions = graph.partitions_of(op, s);
        TaskState::Source { offsets: offsets.into_iter().filter(|(part, _)| partitions.contains(part)).collect() }
    } else if keyed {
        TaskState::Keyed { values }
    } else {
        match own {
            Some(state) => state,
            None => return Restored { snapshot: None, removed },
        }
    };
    Restored { snapshot: Some(Snapshot { state, channels }), removed }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::msg::{Origin, Record};
    use crate::scenario;
    use std::collections::BTreeSet;

    fn graph(count_parallelism: usize) -> ExecutionGraph {
        let text = format!(
            "name = \"t\"\n[job]\nparallelism = 2\noperators = [\n\
             {{ id = \"src\", kind = \"source\", partitions = 4 }},\n\
             {{ id = \"count\", kind = \"keyed_count\", input = [\"src\"], parallelism = {count_parallelism} }},\n\
             {{ id = \"out\", kind = \"sink\", input = [\"count\"] }},\n]\n"
        );
        let s = scenario::parse(&text, "t.toml", &scenario::catalogue::JobOnly).expect("valid");
        crate::engine::job::graph(&s, &crate::engine::registry::Registry::builtin())
    }

    fn keyed(values: &[(u64, i64)]) -> Snapshot {
        Snapshot::of(TaskState::Keyed { values: values.iter().copied().collect() })
    }

    /// A record of key `key` (its offset too).
    fn rec(key: u64) -> Record {
        Record { key, value: 1, origin: Origin { source: 0, partition: 0, offset: key }, attempt: 1 }
    }

    /// Old subtask `t` of operator `op`: `state`, with `keys` in flight on input 0.
    fn in_flight(op: u16, t: u16, state: Snapshot, keys: impl Iterator<Item = u64>) -> (TaskId, Snapshot) {
        let mut snapshot = state;
        snapshot.channels.inputs.insert(0, keys.map(rec).collect());
        (TaskId { op, subtask: t }, snapshot)
    }

    #[test]
    fn keyed_state_moves_by_key_group_and_nothing_is_lost_or_doubled() {
        let g3 = graph(3);
        let old: Vec<(TaskId, Snapshot)> = vec![
            (
                TaskId { op: 1, subtask: 0 },
                keyed(&(0..50).filter(|k| k % 2 == 0).map(|k| (k, k as i64)).collect::<Vec<_>>()),
            ),
            (
                TaskId { op: 1, subtask: 1 },
                keyed(&(0..50).filter(|k| k % 2 == 1).map(|k| (k, k as i64)).collect::<Vec<_>>()),
            ),
        ];
        let mut all = BTreeMap::new();
        for s in 0..3 {
            let r = redistribute(&g3, TaskId { op: 1, subtask: s }, old.clone(), RescaleBugs::default());
            let Some(Snapshot { state: TaskState::Keyed { values }, .. }) = r.snapshot else { panic!("keyed") };
            for (k, v) in values {
                assert_eq!(subtask_for_key(k, 3, 128), s as usize, "key {k} lands with its key group's owner");
                assert!(all.insert(k, v).is_none(), "key {k} twice");
            }
        }
        assert_eq!(all.len(), 50);
    }

    #[test]
    fn the_off_by_one_bug_misplaces_keys() {
        let g3 = graph(3);
        let old = vec![(TaskId { op: 1, subtask: 0 }, keyed(&(0..50).map(|k| (k, 1)).collect::<Vec<_>>()))];
        let r = redistribute(
            &g3,
            TaskId { op: 1, subtask: 0 },
            old,
            RescaleBugs { off_by_one: true, ..Default::default() },
        );
        let Some(Snapshot { state: TaskState::Keyed { values }, .. }) = r.snapshot else { panic!("keyed") };
        assert!(values.keys().any(|k| subtask_for_key(*k, 3, 128) != 0));
        // Exactly one group off: a key goes where the keys of the next group
        // (wrapping around) belong.
        let next_group_owner = |k: u64| {
            let next = (key_group(k, 128) + 1) % 128;
            let other = (0..).find(|o| key_group(*o, 128) == next).expect("every group has keys");
            subtask_for_key(other, 3, 128) as u16
        };
        for key in 0..500 {
            assert_eq!(owner(key, 3, 128, true), next_group_owner(key), "key {key}");
            assert_eq!(owner(key, 3, 128, false), subtask_for_key(key, 3, 128) as u16);
        }
    }

    #[test]
    fn source_partitions_and_removed_sink_subtasks_are_reassigned() {
        let g = graph(2);
        let src = |s: u16, o: &[(u32, u64)]| {
            (TaskId { op: 0, subtask: s }, Snapshot::of(TaskState::Source { offsets: o.iter().copied().collect() }))
        };
        let old = vec![src(0, &[(0, 10), (2, 30)]), src(1, &[(1, 20), (3, 40)])];
        // The source keeps parallelism 2 here, so subtask 1 reads partitions 1 and 3.
        let r = redistribute(&g, TaskId { op: 0, subtask: 1 }, old, RescaleBugs::default());
        assert_eq!(r.snapshot.map(|s| s.state), Some(TaskState::Source { offsets: [(1, 20), (3, 40)].into() }));
        let sink = |s: u16| (TaskId { op: 2, subtask: s }, Snapshot::of(TaskState::Stateless));
        let r = redistribute(&g, TaskId { op: 2, subtask: 0 }, vec![sink(0), sink(1), sink(2)], RescaleBugs::default());
        assert_eq!(r.removed, vec![(2, TaskState::Stateless)], "subtask 2 is gone: subtask 0 recovers it");
    }

    #[test]
    fn in_flight_records_follow_their_keys() {
        let g3 = graph(3);
        let mut snapshot = keyed(&[]);
        snapshot.channels.inputs.insert(0, (0..30).map(rec).collect());
        // Overtaken output records too: the key's new owner sends them again,
        // ahead of the key's new updates on the same channel.
        snapshot.channels.outputs.insert(2, (30..60).map(rec).collect());
        let old = vec![(TaskId { op: 1, subtask: 0 }, snapshot)];
        let total: usize = (0..3)
            .map(|s| {
                let r = redistribute(&g3, TaskId { op: 1, subtask: s }, old.clone(), RescaleBugs::default());
                let channels = r.snapshot.expect("state").channels;
                assert!(channels.inputs.values().flatten().all(|r| subtask_for_key(r.key, 3, 128) == s as usize));
                assert!(channels.outputs.values().flatten().all(|r| subtask_for_key(r.key, 3, 128) == s as usize));
                channels.records()
            })
            .sum();
        assert_eq!(total, 60);
    }

    /// A non-keyed operator (here the sink, from 3 subtasks down to 2)
    /// takes old subtask t's in-flight records at new subtask t mod p: each
    /// record once, in one place.
    #[test]
    fn non_keyed_in_flight_records_go_round_robin_by_old_subtask() {
        let g = graph(2);
        let old: Vec<_> = (0..3u16)
            .map(|t| in_flight(2, t, Snapshot::of(TaskState::Stateless), (0..10).map(|k| t as u64 * 100 + k)))
            .collect();
        for s in 0..2u16 {
            let r = redistribute(&g, TaskId { op: 2, subtask: s }, old.clone(), RescaleBugs::default());
            let keys: Vec<u64> = r.snapshot.expect("state").channels.inputs[&0].iter().map(|r| r.key).collect();
            let from: BTreeSet<u64> = keys.iter().map(|k| k / 100).collect();
            let want: BTreeSet<u64> = (0..3).filter(|t| t % 2 == s as u64).collect();
            assert_eq!(from, want, "new subtask {s}");
            assert_eq!(keys.len(), 10 * want.len());
        }
    }

    /// Planted bug `rescale_drops_inflight`: a new subtask takes in-flight
    /// records only from the old subtask with its own index.
    #[test]
    fn the_drops_inflight_bug_keeps_only_the_same_index() {
        let g3 = graph(3);
        let old: Vec<_> = (0..2u16).map(|t| in_flight(1, t, keyed(&[]), 0..60)).collect();
        let bug = RescaleBugs { drops_inflight: true, ..Default::default() };
        let total = |bugs| {
            (0..3u16)
                .map(|s| {
                    let r = redistribute(&g3, TaskId { op: 1, subtask: s }, old.clone(), bugs);
                    r.snapshot.expect("state").channels.records()
                })
                .sum::<usize>()
        };
        assert_eq!(total(RescaleBugs::default()), 120);
        let kept = total(bug);
        assert!(kept < 120 && kept > 0, "{kept}: only subtasks 0 and 1 keep their own old subtask's records");
        // New subtask 2 had no old subtask of its index: it gets nothing.
        let r = redistribute(&g3, TaskId { op: 1, subtask: 2 }, old.clone(), bug);
        assert_eq!(r.snapshot.expect("state").channels.records(), 0);
    }

    /// A source subtask restores its partitions' offsets even when no old
    /// subtask recorded any (it starts them at 0), never "no state".
    #[test]
    fn a_source_without_recorded_offsets_still_restores_as_a_source() {
        let g = graph(2);
        let empty = (TaskId { op: 0, subtask: 0 }, Snapshot::of(TaskState::Source { offsets: BTreeMap::new() }));
        for old in [vec![], vec![empty]] {
            let r = redistribute(&g, TaskId { op: 0, subtask: 1 }, old, RescaleBugs::default());
            assert_eq!(r.snapshot.map(|s| s.state), Some(TaskState::Source { offsets: BTreeMap::new() }));
        }
    }
}
