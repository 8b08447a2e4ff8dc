//! Span extraction on hand-built traces.

use super::*;
use crate::scenario::ids::{Attempt, CheckpointId, TxnId};
use crate::trace::event::{AbortReason, Digest, ErrorKind, FailoverKind};
use crate::trace::fault_act::{Effect, FaultAct, Step, Strike};
use crate::trace::testing::{at, crash, failover, network, rescale, restart};
use crate::trace::Event;

fn deploy(ms: u64, attempt: Attempt, restore: CheckpointId) -> Vec<TraceEvent> {
    let mut out = vec![at(ms, "coordinator", Event::JobDeployed { attempt, restore })];
    for (task, worker) in [("count[0]", "worker-1"), ("count[1]", "worker-2")] {
        out.push(at(
            ms,
            "coordinator",
            Event::TaskDeployed { task: task.into(), worker: worker.into(), attempt, chain: task.into() },
        ));
    }
    out
}

fn triggered(n: CheckpointId) -> Event {
    Event::CheckpointTriggered { checkpoint: n, attempt: 1, pending: 1 }
}

fn completed(n: CheckpointId) -> Event {
    Event::CheckpointCompleted { checkpoint: n, attempt: 1, acks: 2, end_of_data: false }
}

fn aligning(task: &str, n: CheckpointId) -> Event {
    Event::BarrierAligning { task: task.into(), checkpoint: n, input: 0, forced: false }
}

fn snapshot(task: &str, n: CheckpointId) -> Event {
    Event::SnapshotTaken { task: task.into(), checkpoint: n, attempt: 1 }
}

fn finished() -> Event {
    Event::JobFinished { checkpoint: 1, attempt: 1 }
}

/// Checkpoint 1 completes; worker-2 crashes during checkpoint 2, comes back,
/// and the job fails over and restores checkpoint 1.
fn worker_crash() -> Vec<TraceEvent> {
    let mut t = deploy(10, 1, 0);
    t.extend([
        at(100, "coordinator", triggered(1)),
        at(105, "worker-2", aligning("count[1]", 1)),
        at(108, "worker-2", snapshot("count[1]", 1)),
        at(150, "coordinator", completed(1)),
        at(200, "coordinator", triggered(2)),
        at(205, "worker-2", aligning("count[1]", 2)),
        at(210, "world", crash(0, "worker-2")),
        at(500, "world", restart(0, "worker-2")),
        at(510, "coordinator", failover(FailoverKind::WorkerRestarted, vec![2])),
    ]);
    t.extend(deploy(700, 2, 1));
    let txn = TxnId { sink: 2, subtask: 1, attempt: 2, seq: 0 };
    let via = crate::trace::event::CommitVia::Notified(1);
    t.extend([
        at(
            710,
            "worker-2",
            Event::TaskRestored { task: "count[1]".into(), attempt: 2, checkpoint: 1, state: Default::default() },
        ),
        at(720, "sink", Event::TxnCommitted { txn, checkpoint: 1, via, by: 2, records: 3, digest: Digest(0) }),
        at(800, "coordinator", finished()),
    ]);
    t
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn lane_names(t: &Timeline) -> Vec<&str> {
    t.lanes.iter().map(|l| l.name.as_str()).collect()
}

/// (lane name, start, end) of the spans of `kind`.
fn spans_of(t: &Timeline, kind: SpanKind) -> Vec<(&str, Duration, Duration)> {
    t.spans.iter().filter(|s| s.kind == kind).map(|s| (t.lanes[s.lane].name.as_str(), s.start, s.end)).collect()
}

#[test]
fn a_worker_crash_yields_its_checkpoints_alignments_outage_and_recovery() {
    let t = Timeline::of(&worker_crash());
    assert_eq!(lane_names(&t), ["job", "coordinator", "worker-2", "sink", "faults", "count[0]", "count[1]"]);
    assert_eq!(spans_of(&t, SpanKind::Checkpoint(Ending::Completed)), [("coordinator", ms(100), ms(150))]);
    assert_eq!(spans_of(&t, SpanKind::Checkpoint(Ending::Dropped)), [("coordinator", ms(200), ms(510))]);
    assert_eq!(spans_of(&t, SpanKind::Alignment(Ending::Completed)), [("count[1]", ms(105), ms(108))]);
    assert_eq!(spans_of(&t, SpanKind::Alignment(Ending::Dropped)), [("count[1]", ms(205), ms(510))]);
    assert_eq!(spans_of(&t, SpanKind::Outage(Outage::Crash)), [("worker-2", ms(210), ms(500))]);
    assert_eq!(spans_of(&t, SpanKind::Recovery), [("job", ms(510), ms(700))]);
    let recovery = t.spans.iter().find(|s| s.kind == SpanKind::Recovery).unwrap();
    assert_eq!(recovery.label, "failover: worker_restarted");
    // Each task ran twice: attempt 1 until the failover, attempt 2 until the end.
    let attempts = spans_of(&t, SpanKind::Attempt);
    assert!(attempts.contains(&("count[1]", ms(10), ms(510))), "{attempts:?}");
    assert!(attempts.contains(&("count[1]", ms(700), ms(800))), "{attempts:?}");
    assert_eq!(t.end, ms(800));
}

#[test]
fn restores_failovers_commits_and_faults_are_marks_in_their_lanes() {
    let t = Timeline::of(&worker_crash());
    let marks: Vec<(&str, MarkKind, &str)> =
        t.marks.iter().map(|m| (t.lanes[m.lane].name.as_str(), m.kind, m.label.as_str())).collect();
    assert!(marks.contains(&("count[1]", MarkKind::Restored, "↺1")), "{marks:?}");
    assert!(marks.contains(&("job", MarkKind::Failover, "")));
    assert!(marks.contains(&("job", MarkKind::Deployed, "attempt 2 ← chk 1")));
    assert!(marks.contains(&("sink", MarkKind::Commit, "")));
    assert!(marks.contains(&("faults", MarkKind::Fault, "crash worker-2")));
    assert!(marks.contains(&("count[1]", MarkKind::Snapshot, "")));
}

#[test]
fn an_aborted_checkpoint_is_told_apart_by_its_reason() {
    let mut t = vec![];
    let reasons = [AbortReason::Expired, AbortReason::Declined("storage failed".into()), AbortReason::Subsumed];
    for (n, reason) in (1..).zip(reasons) {
        t.push(at(n * 100, "coordinator", triggered(n)));
        t.push(at(n * 100 + 50, "coordinator", Event::CheckpointAborted { checkpoint: n, reason }));
    }
    t.push(at(400, "coordinator", triggered(4)));
    t.push(at(420, "coordinator", finished()));
    let endings: Vec<SpanKind> = Timeline::of(&t).spans.iter().map(|s| s.kind).collect();
    use Ending::*;
    let want = [Expired, Declined, Aborted, Open].map(SpanKind::Checkpoint);
    assert_eq!(endings, want);
}

#[test]
fn overlapping_checkpoints_stack_in_rows() {
    let mut t = vec![];
    for (n, from, to) in [(1, 100, 300), (2, 200, 400), (3, 350, 500)] {
        t.push(at(from, "coordinator", triggered(n)));
        t.push(at(to, "coordinator", completed(n)));
    }
    t.sort_by_key(|e| e.time);
    let timeline = Timeline::of(&t);
    let rows: Vec<usize> = timeline.spans.iter().map(|s| s.row).collect();
    assert_eq!(rows, [0, 1, 0]);
    assert_eq!(timeline.lanes[0].rows, 2);
}

#[test]
fn a_partition_shades_both_sides_until_the_end_if_it_never_heals() {
    let effect = Effect::Cut { from: vec!["coordinator".into()], to: vec!["worker-2".into()], one_way: false };
    let cut = FaultAct {
        fault: 0,
        name: "fault_cut",
        what: "partition",
        on: "coordinator <-> worker-2".into(),
        step: Step::Struck(Strike { effect, linger: Duration::ZERO }),
        details: vec![],
    };
    let network_healed = FaultAct {
        fault: 1,
        name: "fault_network_healed",
        what: "network healed",
        on: String::new(),
        step: Step::Ended { zombie: None },
        details: vec![],
    };
    let t = vec![
        at(100, "world", Event::Fault(cut)),
        at(150, "world", network(1)),
        at(300, "world", Event::Fault(network_healed)),
        at(900, "coordinator", finished()),
    ];
    let t = Timeline::of(&t);
    let cut = spans_of(&t, SpanKind::Outage(Outage::Partition));
    assert_eq!(cut, [("coordinator", ms(100), ms(900)), ("worker-2", ms(100), ms(900))]);
    assert_eq!(t.spans.iter().find(|s| s.kind == SpanKind::Outage(Outage::Partition)).unwrap().label, "partition");
    assert_eq!(spans_of(&t, SpanKind::Outage(Outage::Network)), [("faults", ms(150), ms(300))]);
}

#[test]
fn an_alignment_that_times_out_went_unaligned() {
    let t = vec![
        at(100, "worker-1", aligning("out[0]", 1)),
        at(130, "worker-1", Event::AlignmentTimedOut { task: "out[0]".into(), checkpoint: 1 }),
        at(131, "worker-1", snapshot("out[0]", 1)),
    ];
    let t = Timeline::of(&t);
    assert_eq!(spans_of(&t, SpanKind::Alignment(Ending::Unaligned)), [("out[0]", ms(100), ms(130))]);
}

#[test]
fn lanes_come_coordinator_workers_services_faults_then_tasks_in_graph_order() {
    let deployed = |task: &str, worker: &str| Event::TaskDeployed {
        task: task.into(),
        worker: worker.into(),
        attempt: 1,
        chain: task.into(),
    };
    let t = vec![
        at(1, "worker-10", Event::WorkerStarted { boot: 1 }),
        at(1, "storage", Event::CheckpointDiscarded { prefix: "chk-1/".into() }),
        at(1, "worker-2", Event::WorkerStarted { boot: 1 }),
        at(2, "coordinator", deployed("src[0]", "worker-2")),
        at(2, "coordinator", deployed("count[1]", "worker-2")),
        at(3, "world", rescale(0, "count", 3)),
        at(4, "coordinator", deployed("count[2]", "worker-10")),
        at(4, "coordinator", deployed("src[0]", "worker-2")),
    ];
    let t = Timeline::of(&t);
    let want = ["coordinator", "worker-2", "worker-10", "storage", "faults", "src[0]", "count[1]", "count[2]"];
    assert_eq!(lane_names(&t), want);
    let rescale = t.marks.iter().find(|m| m.kind == MarkKind::Fault).unwrap();
    assert_eq!((t.lanes[rescale.lane].name.as_str(), rescale.label.as_str()), ("faults", "rescale count→3"));
}

#[test]
fn a_zombie_task_failing_does_not_end_the_current_attempt() {
    let mut t = deploy(10, 1, 0);
    t.push(at(500, "coordinator", failover(FailoverKind::WorkerLost, vec![])));
    t.extend(deploy(700, 2, 0));
    let failed =
        Event::TaskFailed { task: "count[1]".into(), attempt: 1, error: ErrorKind::Other, reason: String::new() };
    t.push(at(900, "worker-2", failed));
    t.push(at(1000, "coordinator", finished()));
    let t = Timeline::of(&t);
    let attempts = spans_of(&t, SpanKind::Attempt);
    assert!(attempts.contains(&("count[1]", ms(700), ms(1000))), "{attempts:?}");
}

#[test]
fn a_chain_s_lanes_sit_together_under_its_head() {
    let deployed = |task: &str, chain: &str| Event::TaskDeployed {
        task: task.into(),
        worker: "worker-1".into(),
        attempt: 1,
        chain: chain.into(),
    };
    let t = vec![
        at(2, "coordinator", deployed("src[0]", "src[0]")),
        at(2, "coordinator", deployed("src[1]", "src[1]")),
        at(2, "coordinator", deployed("map[0]", "src[0]")),
        at(2, "coordinator", deployed("map[1]", "src[1]")),
        at(2, "coordinator", deployed("count[0]", "count[0]")),
    ];
    let t = Timeline::of(&t);
    let tasks: Vec<(&str, Option<&str>)> =
        t.lanes.iter().filter(|l| l.kind == LaneKind::Task).map(|l| (l.name.as_str(), l.chain.as_deref())).collect();
    let want = [
        ("src[0]", Some("src[0]")),
        ("map[0]", Some("src[0]")),
        ("src[1]", Some("src[1]")),
        ("map[1]", Some("src[1]")),
        ("count[0]", None),
    ];
    assert_eq!(tasks, want);
}

#[test]
fn backpressure_lasts_what_its_relief_says_and_a_slow_task_shades_its_lane() {
    let blocked = |ms: u64| at(ms, "worker-1", Event::Backpressured { task: "src[0]".into(), on: "count[1]".into() });
    let relieved = |ms: u64, lasted: u64| {
        let (task, lasted_us) = ("src[0]".into(), lasted * 1000);
        at(ms, "worker-1", Event::BackpressureRelieved { task, lasted_us, blocked_us: lasted_us })
    };
    let slowed = FaultAct {
        fault: 0,
        name: "fault_slow_task",
        what: "slow",
        on: "count[1]".into(),
        step: Step::Struck(Strike { effect: Effect::Slowed { task: "count[1]".into() }, linger: Duration::ZERO }),
        details: vec![],
    };
    let healed = FaultAct {
        fault: 0,
        name: "fault_heal",
        what: "heal",
        on: "count[1]".into(),
        step: Step::Ended { zombie: None },
        details: vec![],
    };
    let t = vec![
        at(90, "world", Event::Fault(slowed)),
        blocked(100),
        // Traced when the task next looked, 50ms or more after the relief.
        relieved(450, 320),
        blocked(800),
        // A period the failover ends.
        at(950, "coordinator", failover(FailoverKind::WorkerLost, vec![])),
        blocked(1000),
        at(1200, "world", Event::Fault(healed)),
    ];
    let t = Timeline::of(&t);
    let periods = spans_of(&t, SpanKind::Backpressure);
    assert_eq!(periods, [("src[0]", ms(100), ms(420)), ("src[0]", ms(800), ms(950)), ("src[0]", ms(1000), ms(1200))]);
    let span = t.spans.iter().find(|s| s.kind == SpanKind::Backpressure).unwrap();
    assert_eq!(span.label, "backpressured by count[1]");
    assert_eq!(spans_of(&t, SpanKind::Outage(Outage::Slow)), [("count[1]", ms(90), ms(1200))]);
}
