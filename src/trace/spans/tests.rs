//! Span extraction on hand-built traces.

use super::*;

/// An event at `ms` on `node`.
fn ev(ms: u64, node: &str, kind: &str, fields: &[(&str, &str)]) -> TraceEvent {
    TraceEvent { node: node.into(), ..TraceEvent::at_ms(ms, kind, fields) }
}

fn deploy(ms: u64, attempt: &str, restore: &str) -> Vec<TraceEvent> {
    let mut out = vec![ev(ms, "coordinator", "job_deployed", &[("attempt", attempt), ("restore", restore)])];
    for (task, worker) in [("count[0]", "worker-1"), ("count[1]", "worker-2")] {
        let fields = [("task", task), ("worker", worker), ("attempt", attempt)];
        out.push(ev(ms, "coordinator", "task_deployed", &fields));
    }
    out
}

/// Checkpoint 1 completes; worker-2 crashes during checkpoint 2, comes back,
/// and the job fails over and restores checkpoint 1.
fn worker_crash() -> Vec<TraceEvent> {
    let mut t = deploy(10, "1", "0");
    t.extend([
        ev(100, "coordinator", "checkpoint_triggered", &[("checkpoint", "1"), ("attempt", "1")]),
        ev(105, "worker-2", "barrier_aligning", &[("task", "count[1]"), ("checkpoint", "1")]),
        ev(108, "worker-2", "snapshot_taken", &[("task", "count[1]"), ("checkpoint", "1")]),
        ev(150, "coordinator", "checkpoint_completed", &[("checkpoint", "1")]),
        ev(200, "coordinator", "checkpoint_triggered", &[("checkpoint", "2"), ("attempt", "1")]),
        ev(205, "worker-2", "barrier_aligning", &[("task", "count[1]"), ("checkpoint", "2")]),
        ev(210, "world", "fault_crash", &[("fault", "0"), ("target", "worker-2")]),
        ev(500, "world", "fault_restart", &[("fault", "0"), ("target", "worker-2")]),
        ev(510, "coordinator", "job_failover", &[("cause", "worker_restarted"), ("dropped_checkpoints", "[2]")]),
    ]);
    t.extend(deploy(700, "2", "1"));
    t.extend([
        ev(710, "worker-2", "task_restored", &[("task", "count[1]"), ("attempt", "2"), ("checkpoint", "1")]),
        ev(720, "sink", "txn_committed", &[("txn", "txn-2.1-a2-0"), ("checkpoint", "1")]),
        ev(800, "coordinator", "job_finished", &[("checkpoint", "1")]),
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
    for (n, reason) in [(1, "expired"), (2, "declined: storage failed"), (3, "subsumed by 4")] {
        let id = n.to_string();
        t.push(ev(n * 100, "coordinator", "checkpoint_triggered", &[("checkpoint", &id)]));
        t.push(ev(n * 100 + 50, "coordinator", "checkpoint_aborted", &[("checkpoint", &id), ("reason", reason)]));
    }
    t.push(ev(400, "coordinator", "checkpoint_triggered", &[("checkpoint", "4")]));
    t.push(ev(420, "coordinator", "job_finished", &[]));
    let endings: Vec<SpanKind> = Timeline::of(&t).spans.iter().map(|s| s.kind).collect();
    use Ending::*;
    let want = [Expired, Declined, Aborted, Open].map(SpanKind::Checkpoint);
    assert_eq!(endings, want);
}

#[test]
fn overlapping_checkpoints_stack_in_rows() {
    let mut t = vec![];
    for (n, from, to) in [(1, 100, 300), (2, 200, 400), (3, 350, 500)] {
        let id = n.to_string();
        t.push(ev(from, "coordinator", "checkpoint_triggered", &[("checkpoint", &id)]));
        t.push(ev(to, "coordinator", "checkpoint_completed", &[("checkpoint", &id)]));
    }
    t.sort_by_key(|e| e.time);
    let timeline = Timeline::of(&t);
    let rows: Vec<usize> = timeline.spans.iter().map(|s| s.row).collect();
    assert_eq!(rows, [0, 1, 0]);
    assert_eq!(timeline.lanes[0].rows, 2);
}

#[test]
fn a_partition_shades_both_sides_until_the_end_if_it_never_heals() {
    let t = vec![
        ev(
            100,
            "world",
            "fault_cut",
            &[("fault", "0"), ("action", "fault_partition"), ("link", "coordinator <-> worker-2")],
        ),
        ev(150, "world", "fault_network", &[("fault", "1"), ("loss", "0.1")]),
        ev(300, "world", "fault_network_healed", &[("fault", "1")]),
        ev(900, "coordinator", "job_finished", &[]),
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
        ev(100, "worker-1", "barrier_aligning", &[("task", "out[0]"), ("checkpoint", "1")]),
        ev(130, "worker-1", "alignment_timed_out", &[("task", "out[0]"), ("checkpoint", "1")]),
        ev(131, "worker-1", "snapshot_taken", &[("task", "out[0]"), ("checkpoint", "1")]),
    ];
    let t = Timeline::of(&t);
    assert_eq!(spans_of(&t, SpanKind::Alignment(Ending::Unaligned)), [("out[0]", ms(100), ms(130))]);
}

#[test]
fn lanes_come_coordinator_workers_services_faults_then_tasks_in_graph_order() {
    let t = vec![
        ev(1, "worker-10", "worker_started", &[]),
        ev(1, "storage", "checkpoint_discarded", &[]),
        ev(1, "worker-2", "worker_started", &[]),
        ev(2, "coordinator", "task_deployed", &[("task", "src[0]"), ("worker", "worker-2")]),
        ev(2, "coordinator", "task_deployed", &[("task", "count[1]"), ("worker", "worker-2")]),
        ev(3, "world", "fault_rescale", &[("fault", "0"), ("operator", "count"), ("parallelism", "3")]),
        ev(4, "coordinator", "task_deployed", &[("task", "count[2]"), ("worker", "worker-10")]),
        ev(4, "coordinator", "task_deployed", &[("task", "src[0]"), ("worker", "worker-2")]),
    ];
    let t = Timeline::of(&t);
    let want = ["coordinator", "worker-2", "worker-10", "storage", "faults", "src[0]", "count[1]", "count[2]"];
    assert_eq!(lane_names(&t), want);
    let rescale = t.marks.iter().find(|m| m.kind == MarkKind::Fault).unwrap();
    assert_eq!((t.lanes[rescale.lane].name.as_str(), rescale.label.as_str()), ("faults", "rescale count→3"));
}

#[test]
fn a_zombie_task_failing_does_not_end_the_current_attempt() {
    let mut t = deploy(10, "1", "0");
    t.push(ev(500, "coordinator", "job_failover", &[("cause", "worker_lost"), ("dropped_checkpoints", "[]")]));
    t.extend(deploy(700, "2", "0"));
    t.push(ev(900, "worker-2", "task_failed", &[("task", "count[1]"), ("attempt", "1")]));
    t.push(ev(1000, "coordinator", "job_finished", &[]));
    let t = Timeline::of(&t);
    let attempts = spans_of(&t, SpanKind::Attempt);
    assert!(attempts.contains(&("count[1]", ms(700), ms(1000))), "{attempts:?}");
}
