//! Tests of the `[[faults]]` rules: fields per action and node names.

use super::tests::{assert_error, assert_valid, error_of, example_plus, example_with, EXAMPLE};

/// `EXAMPLE` plus one more fault, `faults[2]`.
fn with_fault(body: &str) -> String {
    example_plus(&format!("[[faults]]\nat = \"4s\"\n{body}"))
}

#[test]
fn crash_without_node_blames_the_fault_header() {
    let text = with_fault("action = \"crash\"");
    let err = error_of(&text);
    assert_eq!((err.field.as_str(), err.line()), ("faults[2].node", Some(EXAMPLE.lines().count() + 1)));
    assert!(err.message.contains("a crash fault names its node"), "{err}");
}

#[test]
fn crash_with_between_is_refused() {
    let text = with_fault("action = \"crash\"\nnode = \"log\"\nbetween = [[\"log\"], [\"sink\"]]");
    assert_error(&text, "faults[2].between", "[[\"log\"], [\"sink\"]]", "not used by a crash fault");
}

#[test]
fn crash_with_latency_or_loss_is_refused() {
    let text = with_fault("action = \"crash\"\nnode = \"log\"\nloss = 0.5");
    assert_error(&text, "faults[2].loss", "loss", "not used by a crash fault");
    let text = with_fault("action = \"crash\"\nnode = \"log\"\nlatency_max = \"9ms\"");
    assert_error(&text, "faults[2].latency_max", "latency_max", "not used by a crash fault");
}

#[test]
fn heal_after_on_a_crash_is_refused() {
    let text = with_fault("action = \"crash\"\nnode = \"storage\"\nheal_after = \"1s\"");
    assert_error(
        &text,
        "faults[2].heal_after",
        "heal_after = \"1s\"",
        "not used by a crash fault (it takes `node`, `restart_after`)",
    );
}

#[test]
fn restart_after_on_a_partition_is_refused() {
    let text = with_fault("action = \"partition\"\nbetween = [[\"log\"], [\"sink\"]]\nrestart_after = \"1s\"");
    assert_error(&text, "faults[2].restart_after", "restart_after = \"1s\"", "not used by a partition fault");
}

#[test]
fn partition_with_node_is_refused() {
    let text = with_fault("action = \"partition\"\nnode = \"log\"\nbetween = [[\"log\"], [\"sink\"]]");
    assert_error(&text, "faults[2].node", "node = \"log\"", "not used by a partition fault");
}

#[test]
fn partition_without_between_is_refused() {
    let text = with_fault("action = \"partition\"");
    let err = error_of(&text);
    assert_eq!((err.field.as_str(), err.line()), ("faults[2].between", Some(EXAMPLE.lines().count() + 1)));
}

#[test]
fn partition_with_an_empty_group_is_refused() {
    let text = with_fault("action = \"partition\"\nbetween = [[\"log\"], []]");
    assert_error(&text, "faults[2].between", "[[\"log\"], []]", "empty group 2");
}

#[test]
fn partition_groups_must_be_disjoint() {
    let text = with_fault("action = \"partition\"\nbetween = [[\"log\", \"worker-1\"], [\"worker-1\"]]");
    assert_error(&text, "faults[2].between", "[\"worker-1\"]]", "`worker-1` in both groups");
}

#[test]
fn partition_names_must_be_nodes() {
    let text = example_with("[\"worker-2\"]]", "[\"worker-4\"]]");
    assert_error(&text, "faults[1].between", "worker-4", "the cluster has 3 workers: worker-1..worker-3");
}

#[test]
fn worker_of_in_a_partition_is_refused() {
    let text = example_with("[\"worker-2\"]]", "[\"worker-of(count[0])\"]]");
    assert_error(&text, "faults[1].between", "between", "only the node of a crash, pause, isolate or disk fault");
}

#[test]
fn network_without_settings_is_refused() {
    let text = with_fault("action = \"network\"");
    let err = error_of(&text);
    assert_eq!((err.field.as_str(), err.line()), ("faults[2]", Some(EXAMPLE.lines().count() + 1)));
    assert!(err.message.contains("changes nothing"), "{err}");
}

#[test]
fn network_with_node_or_between_is_refused() {
    let text = with_fault("action = \"network\"\nloss = 0.1\nnode = \"log\"");
    assert_error(&text, "faults[2].node", "node = \"log\"", "not used by a network fault");
    let text = with_fault("action = \"network\"\nloss = 0.1\nbetween = [[\"log\"], [\"sink\"]]");
    assert_error(&text, "faults[2].between", "[[\"log\"], [\"sink\"]]", "not used by a network fault");
}

#[test]
fn network_latency_min_above_max_is_refused() {
    let text = with_fault("action = \"network\"\nlatency_min = \"50ms\"\nlatency_max = \"20ms\"");
    assert_error(&text, "faults[2].latency_min", "latency_min", "above latency_max (20ms)");
}

#[test]
fn network_fault_loss_of_one_is_refused() {
    let text = with_fault("action = \"network\"\nloss = 1");
    assert_error(&text, "faults[2].loss", "loss", "in [0, 1)");
}

#[test]
fn network_fault_with_heal_after_is_accepted() {
    let text = with_fault("action = \"network\"\nlatency_max = \"50ms\"\nloss = 0.2\nheal_after = \"1s\"");
    assert_valid(&text);
}

#[test]
fn services_and_workers_are_nodes() {
    for node in ["coordinator", "log", "storage", "sink", "worker-1", "worker-3", "worker-of(events[1])"] {
        let text = with_fault(&format!("action = \"crash\"\nnode = \"{node}\""));
        assert_valid(&text);
    }
}

#[test]
fn worker_beyond_the_cluster_is_refused() {
    let text = example_with("worker-of(count[1])", "worker-4");
    assert_error(&text, "faults[0].node", "worker-4", "the cluster has 3 workers");
}

#[test]
fn worker_zero_and_padded_numbers_are_refused() {
    let text = example_with("worker-of(count[1])", "worker-0");
    assert_error(&text, "faults[0].node", "worker-0", "the cluster has 3 workers");
    let text = example_with("worker-of(count[1])", "worker-01");
    assert_error(&text, "faults[0].node", "worker-01", "is no node; nodes are coordinator, log, storage, sink");
}

#[test]
fn unknown_node_lists_the_nodes() {
    let text = example_with("worker-of(count[1])", "jobmanager");
    assert_error(&text, "faults[0].node", "jobmanager", "or worker-of(OP[I])");
}

#[test]
fn worker_of_an_unknown_operator_lists_the_ids() {
    let text = example_with("worker-of(count[1])", "worker-of(cnt[1])");
    assert_error(&text, "faults[0].node", "cnt[1]", "no operator `cnt`; known ids: `events`, `count`, `out`");
}

#[test]
fn worker_of_a_subtask_beyond_the_parallelism_is_refused() {
    let text = example_with("worker-of(count[1])", "worker-of(count[2])");
    assert_error(&text, "faults[0].node", "count[2]", "its tasks are count[0]..count[1]");
}

#[test]
fn malformed_worker_of_shows_the_form() {
    let text = example_with("worker-of(count[1])", "worker-of(count)");
    assert_error(&text, "faults[0].node", "worker-of(count)", "write worker-of(OP[I])");
}

#[test]
fn network_fault_latency_above_ten_seconds_is_refused() {
    let text = with_fault("action = \"network\"\nlatency_min = \"20s\"");
    assert_error(&text, "faults[2].latency_min", "latency_min", "at most 10s");
}

#[test]
fn restart_after_on_a_network_fault_is_refused() {
    let text = with_fault("action = \"network\"\nloss = 0.1\nrestart_after = \"1s\"");
    assert_error(&text, "faults[2].restart_after", "restart_after = \"1s\"", "not used by a network fault");
}

/// `EXAMPLE` plus one fault placed by the given lines alone (no `at`).
fn with_placed_fault(body: &str) -> String {
    example_plus(&format!("[[faults]]\n{body}"))
}

#[test]
fn a_phase_placed_crash_is_valid() {
    let text = with_placed_fault(
        "when = { checkpoint = 3, phase = \"aligning\", task = \"count[1]\" }\naction = \"crash\"\nnode = \"worker-of(count[1])\"",
    );
    assert_valid(&text);
}

#[test]
fn a_fault_with_neither_at_nor_when_is_refused() {
    let text = with_placed_fault("action = \"crash\"\nnode = \"log\"");
    let err = error_of(&text);
    assert_eq!(err.field, "faults[2].at");
    assert!(err.message.contains("protocol phase"), "{err}");
}

#[test]
fn a_fault_with_both_at_and_when_is_refused() {
    let text = with_fault("when = { phase = \"triggered\" }\naction = \"crash\"\nnode = \"log\"");
    assert_error(&text, "faults[2].at", "at = \"4s\"", "both set");
}

#[test]
fn an_unknown_phase_names_the_phases() {
    let text = with_placed_fault("when = { phase = \"exploding\" }\naction = \"crash\"\nnode = \"log\"");
    let err = error_of(&text);
    assert!(err.field.starts_with("faults[2].when"), "{err}");
    assert!(err.message.contains("aligning") && err.message.contains("pre-committed"), "{err}");
}

#[test]
fn a_misspelt_phase_suggests_the_phase_meant() {
    let text = with_placed_fault("when = { phase = \"aligned\" }\naction = \"crash\"\nnode = \"log\"");
    let err = error_of(&text);
    assert_eq!(err.field, "faults[2].when.phase", "{err}");
    assert_eq!(err.message, "unknown variant `aligned` — did you mean `aligning`?");
}

#[test]
fn a_when_task_must_be_a_task_of_the_job() {
    let text =
        with_placed_fault("when = { phase = \"acked\", task = \"count[7]\" }\naction = \"crash\"\nnode = \"log\"");
    assert_error(&text, "faults[2].when.task", "task = \"count[7]\"", "parallelism");
    let text =
        with_placed_fault("when = { phase = \"acked\", task = \"nope[0]\" }\naction = \"crash\"\nnode = \"log\"");
    assert_error(&text, "faults[2].when.task", "task = \"nope[0]\"", "no operator `nope`");
}

#[test]
fn a_coordinator_phase_takes_no_task() {
    let text =
        with_placed_fault("when = { phase = \"completed\", task = \"count[0]\" }\naction = \"crash\"\nnode = \"log\"");
    assert_error(&text, "faults[2].when.task", "task = \"count[0]\"", "does not happen at a task");
}

#[test]
fn checkpoint_zero_is_refused() {
    let text =
        with_placed_fault("when = { checkpoint = 0, phase = \"triggered\" }\naction = \"crash\"\nnode = \"log\"");
    assert_error(&text, "faults[2].when.checkpoint", "checkpoint = 0", "start at 1");
}

#[test]
fn a_pause_takes_a_node_and_resume_after() {
    assert_valid(&with_fault("action = \"pause\"\nnode = \"worker-of(count[0])\"\nresume_after = \"2s\""));
    assert_valid(&with_fault("action = \"pause\"\nnode = \"coordinator\""));
    let text = with_fault("action = \"pause\"\nnode = \"sink\"\nrestart_after = \"1s\"");
    assert_error(
        &text,
        "faults[2].restart_after",
        "restart_after = \"1s\"",
        "not used by a pause fault (it takes `node`, `resume_after`)",
    );
}

#[test]
fn a_one_way_partition_is_valid() {
    assert_valid(&with_fault("action = \"partition\"\nbetween = [[\"coordinator\"], [\"storage\"]]\none_way = true"));
}

#[test]
fn isolate_takes_a_node_and_may_narrow_the_messages() {
    assert_valid(&with_fault(
        "action = \"isolate\"\nnode = \"worker-2\"\nmessages = [\"heartbeat\", \"ack\"]\nheal_after = \"1s\"",
    ));
    let text = with_fault("action = \"isolate\"\nnode = \"worker-2\"\nmessages = [\"hartbeat\"]");
    assert_error(&text, "faults[2].messages[0]", "hartbeat", "unknown variant `hartbeat`");
    let text = with_fault("action = \"isolate\"\nheal_after = \"1s\"");
    let err = error_of(&text);
    assert_eq!(err.field, "faults[2].node", "{err}");
}

#[test]
fn a_link_needs_both_ends_and_something_to_change() {
    assert_valid(&with_fault(
        "action = \"link\"\nfrom = [\"coordinator\"]\nto = [\"worker-1\"]\nloss = 1.0\nmessages = [\"notify_complete\"]",
    ));
    let text = with_fault("action = \"link\"\nto = [\"worker-1\"]\nloss = 0.5");
    assert_eq!(error_of(&text).field, "faults[2].from");
    let text = with_fault("action = \"link\"\nfrom = [\"log\"]\nto = [\"worker-1\"]");
    assert!(error_of(&text).message.contains("changes nothing"));
    let text = with_fault("action = \"link\"\nfrom = [\"log\"]\nto = [\"log\"]\nloss = 0.1");
    assert_error(&text, "faults[2].to", "to =", "also in `from`");
    let text = with_fault("action = \"link\"\nfrom = [\"log\"]\nto = [\"sink\"]\nloss = 1.5");
    assert_error(&text, "faults[2].loss", "loss", "in [0, 1]");
}

#[test]
fn a_disk_fault_takes_probabilities_and_fsync_latencies() {
    assert_valid(&with_fault(
        "action = \"disk\"\nnode = \"storage\"\nwrite_error = 0.2\nfsync_error = 1.0\nread_error = 0.1\n\
         fsync_latency_min = \"100ms\"\nfsync_latency_max = \"2s\"\nheal_after = \"1s\"",
    ));
    let text = with_fault("action = \"disk\"\nnode = \"storage\"");
    assert!(error_of(&text).message.contains("disk fault that changes nothing"));
    let text = with_fault("action = \"disk\"\nnode = \"storage\"\nread_error = 2");
    assert_error(&text, "faults[2].read_error", "read_error", "probability in [0, 1]");
    let text = with_fault("action = \"disk\"\nnode = \"sink\"\nfsync_latency_min = \"2s\"\nfsync_latency_max = \"1s\"");
    assert_error(&text, "faults[2].fsync_latency_min", "fsync_latency_min", "above fsync_latency_max (1s)");
}

#[test]
fn bit_rot_is_on_storage_and_at_most_every_copy() {
    assert_valid(&with_fault("action = \"bit_rot\"\nnode = \"storage\"\ncopies = 2\nblob = \"metadata\""));
    let text = with_fault("action = \"bit_rot\"\nnode = \"sink\"");
    assert_error(&text, "faults[2].node", "node = \"sink\"", "must be \"storage\"");
    let text = with_fault("action = \"bit_rot\"\nnode = \"storage\"\ncopies = 3");
    assert_error(&text, "faults[2].copies", "copies", "storage keeps 2 copies");
    let text = with_fault("action = \"bit_rot\"\nnode = \"storage\"\nheal_after = \"1s\"");
    assert_error(&text, "faults[2].heal_after", "heal_after = \"1s\"", "not used by a bit_rot fault");
}

#[test]
fn the_metadata_writing_phase_happens_at_the_coordinator() {
    assert_valid(&with_placed_fault(
        "when = { checkpoint = 3, phase = \"metadata-writing\" }\naction = \"crash\"\nnode = \"coordinator\"",
    ));
    let text = with_placed_fault(
        "when = { phase = \"metadata-writing\", task = \"out[0]\" }\naction = \"crash\"\nnode = \"coordinator\"",
    );
    assert_error(&text, "faults[2].when.task", "task = \"out[0]\"", "does not happen at a task");
}

#[test]
fn a_phase_placed_at_a_task_where_it_never_happens_is_refused() {
    let text = with_placed_fault(
        "when = { phase = \"pre-committed\", task = \"events[0]\" }\naction = \"crash\"\nnode = \"log\"",
    );
    assert_error(&text, "faults[2].when.task", "task = \"events[0]\"", "only sinks pre-commit");
    let text =
        with_placed_fault("when = { phase = \"aligning\", task = \"events[1]\" }\naction = \"crash\"\nnode = \"log\"");
    assert_error(&text, "faults[2].when.task", "task = \"events[1]\"", "a source has no input to align");
}

#[test]
fn a_rescale_names_an_operator_and_a_parallelism_the_cluster_allows() {
    let rescale = |body: &str| example_plus(&format!("[[faults]]\nat = \"2s\"\naction = \"rescale\"\n{body}"));
    assert_valid(&rescale("operator = \"count\"\nparallelism = 3"));
    let err = error_of(&rescale("parallelism = 3"));
    assert_eq!(err.field, "faults[2].operator", "{err}");
    assert!(err.message.contains("is missing"), "{err}");
    let text = rescale("operator = \"cnt\"\nparallelism = 3");
    assert_error(&text, "faults[2].operator", "operator = \"cnt\"", "not an operator id");
    let text = rescale("operator = \"count\"\nparallelism = 7");
    assert_error(&text, "faults[2].parallelism", "parallelism = 7", "6 slots");
    let text = rescale("operator = \"events\"\nparallelism = 5");
    assert_error(&text, "faults[2].parallelism", "parallelism = 5", "4 partitions");
    let text = rescale("operator = \"count\"\nparallelism = 3\nnode = \"worker-1\"");
    assert_error(&text, "faults[2].node", "node = \"worker-1\"", "not used by a rescale fault");
}
