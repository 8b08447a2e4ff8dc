//! Shared helpers, and tests of the top-level, cluster, network, disk,
//! checkpoint, restart and expect rules.

use super::super::ScenarioError;

/// A valid scenario using most of the format; tests break one thing in it.
pub(super) const EXAMPLE: &str = r#"name = "crash-during-alignment"
description = "A worker dies while a hash-shuffled count aligns barriers."
seeds = 32
[cluster]
workers = 3
slots_per_worker = 2
[job]
parallelism = 2
operators = [
  { id = "events", kind = "source", partitions = 4, records = 20000, keys = 50 },
  { id = "count",  kind = "keyed_count", input = ["events"], partition = "hash" },
  { id = "out",    kind = "sink", input = ["count"], sink = "two_phase_commit" },
]
[checkpoint]
protocol = "aligned"
interval = "100ms"
timeout = "2s"
max_concurrent = 1
[restart]
strategy = "fixed_delay"
attempts = 10
delay = "200ms"
[[faults]]
at = "1.5s"
action = "crash"
node = "worker-of(count[1])"
restart_after = "500ms"
[[faults]]
at = "3s"
action = "partition"
between = [["coordinator"], ["worker-2"]]
heal_after = "2s"
[expect]
guarantee = "exactly_once"
min_completed_checkpoints = 3
finish_within = "60s"
"#;

/// `EXAMPLE` with the (single) occurrence of `from` replaced by `to`.
pub(super) fn example_with(from: &str, to: &str) -> String {
    assert_eq!(EXAMPLE.matches(from).count(), 1, "`{from}` must occur once in EXAMPLE");
    EXAMPLE.replacen(from, to, 1)
}

/// `EXAMPLE` followed by more TOML (new tables or `[[faults]]`).
pub(super) fn example_plus(more: &str) -> String {
    format!("{EXAMPLE}{more}\n")
}

/// The error `parse` reports for `text`; fails the test if there is none.
pub(super) fn error_of(text: &str) -> ScenarioError {
    match crate::run::testbed::parse(text, "x.toml") {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(err) => err,
    }
}

/// Fails the test, showing the error, unless `text` is a valid scenario.
pub(super) fn assert_valid(text: &str) {
    if let Err(err) = crate::run::testbed::parse(text, "x.toml") {
        panic!("expected a valid scenario, got {err}\n{text}");
    }
}

/// The 1-based line of the only line of `text` that contains `needle`.
pub(super) fn line_with(text: &str, needle: &str) -> usize {
    let lines: Vec<usize> = text.lines().enumerate().filter(|(_, l)| l.contains(needle)).map(|(i, _)| i + 1).collect();
    assert_eq!(lines.len(), 1, "`{needle}` must be on exactly one line");
    lines[0]
}

/// `text` fails on `field`, at the line holding `at`, with `says` in the message.
pub(super) fn assert_error(text: &str, field: &str, at: &str, says: &str) {
    let err = error_of(text);
    assert_eq!(err.field, field, "{err}");
    assert_eq!(err.line(), Some(line_with(text, at)), "{err}");
    assert!(err.message.contains(says), "message lacks `{says}`: {err}");
    assert!(!err.message.contains('\n'), "message is not one line: {err}");
}

#[test]
fn the_example_is_valid() {
    let scenario = crate::run::testbed::parse(EXAMPLE, "x.toml").map_err(|e| e.to_string());
    assert_eq!(scenario.map(|s| s.faults.len()), Ok(2));
}

#[test]
fn a_minimal_scenario_with_defaults_is_valid() {
    let text = r#"name = "tiny"
[job]
operators = [{ id = "a", kind = "source" }, { id = "b", kind = "sink", input = ["a"] }]
"#;
    assert_valid(text);
}

#[test]
fn typo_in_a_key_names_the_line_and_the_dotted_key() {
    let text = example_with("interval = \"100ms\"", "intervl = \"100ms\"");
    assert_error(&text, "checkpoint.intervl", "intervl", "unknown field `intervl` — did you mean `interval`?");
}

#[test]
fn a_key_like_no_other_lists_the_keys_there_are() {
    let text = example_with("interval = \"100ms\"", "cadence = \"100ms\"");
    assert_error(&text, "checkpoint.cadence", "cadence", "unknown field `cadence`, expected one of `protocol`");
}

#[test]
fn duration_without_unit_names_the_field_and_the_missing_unit() {
    let text = example_with("interval = \"100ms\"", "interval = \"100\"");
    assert_error(&text, "checkpoint.interval", "interval = \"100\"", "has no unit");
}

#[test]
fn wrong_value_type_names_its_key() {
    let text = example_with("max_concurrent = 1", "max_concurrent = \"1\"");
    assert_error(
        &text,
        "checkpoint.max_concurrent",
        "max_concurrent",
        "is the text \"1\", but it takes a whole number: write 1 without quotes",
    );
}

#[test]
fn unknown_operator_kind_names_the_element_key() {
    let text = example_with("kind = \"keyed_count\"", "kind = \"keyed_cnt\"");
    assert_error(&text, "job.operators[1].kind", "keyed_cnt", "unknown variant `keyed_cnt`");
}

#[test]
fn missing_operator_field_names_it_at_the_element() {
    let text = example_with("kind = \"keyed_count\", ", "");
    assert_error(&text, "job.operators[1].kind", "id = \"count\"", "missing field `kind`");
}

#[test]
fn missing_job_has_no_line() {
    let err = error_of("name = \"x\"\n");
    assert_eq!((err.field.as_str(), err.line()), ("job", None));
    assert_eq!(err.to_string(), "x.toml: job: missing field `job`");
}

#[test]
fn empty_name_is_refused() {
    let text = example_with("name = \"crash-during-alignment\"", "name = \" \"");
    assert_error(&text, "name", "name = ", "is empty");
}

#[test]
fn zero_seeds_are_refused() {
    assert_error(&example_with("seeds = 32", "seeds = 0"), "seeds", "seeds", "at least 1 seed");
}

#[test]
fn unknown_bug_lists_the_known_ones() {
    let text = example_with("seeds = 32", "seeds = 32\nbug = \"skip_alignmnt\"");
    assert_error(&text, "bug", "bug =", "unknown bug `skip_alignmnt` (known: skip_alignment,");
}

#[test]
fn an_expected_violation_must_be_a_property() {
    let expect = "guarantee = \"exactly_once\"";
    let text = example_with(expect, &format!("{expect}\nviolated = [\"exactly_once_outptu\"]"));
    assert_error(&text, "expect.violated[0]", "violated =", "did you mean `exactly_once_output`?");
    assert_valid(&example_with(expect, &format!("{expect}\nviolated = [\"consistent_cut\"]")));
}

#[test]
fn known_bug_is_accepted() {
    let text = example_with("seeds = 32", "seeds = 32\nbug = \"commit_on_snapshot\"");
    assert_valid(&text);
}

#[test]
fn zero_workers_are_refused() {
    let text = example_with("workers = 3", "workers = 0");
    assert_error(&text, "cluster.workers", "workers = 0", "at least 1 worker");
}

#[test]
fn zero_slots_are_refused() {
    let text = example_with("slots_per_worker = 2", "slots_per_worker = 0");
    assert_error(&text, "cluster.slots_per_worker", "slots_per_worker", "at least 1 slot");
}

#[test]
fn zero_heartbeat_interval_is_refused() {
    let text = example_with("workers = 3", "workers = 3\nheartbeat_interval = \"0ms\"");
    assert_error(&text, "cluster.heartbeat_interval", "heartbeat_interval", "longer than 0");
}

#[test]
fn heartbeat_timeout_must_exceed_the_interval() {
    let text = example_with("workers = 3", "workers = 3\nheartbeat_interval = \"1s\"\nheartbeat_timeout = \"1s\"");
    assert_error(&text, "cluster.heartbeat_timeout", "heartbeat_timeout", "not longer than heartbeat_interval (1s)");
}

#[test]
fn default_heartbeat_timeout_blames_the_table_when_unwritten() {
    let text = example_with("workers = 3", "workers = 3\nheartbeat_interval = \"2s\"");
    assert_error(&text, "cluster.heartbeat_timeout", "[cluster]", "e.g. \"20s\"");
}

#[test]
fn zero_rpc_timeout_is_refused() {
    let text = example_with("workers = 3", "workers = 3\nrpc_timeout = \"0s\"");
    assert_error(&text, "cluster.rpc_timeout", "rpc_timeout", "longer than 0");
}

#[test]
fn network_latency_min_above_max_is_refused() {
    let text = example_plus("[network]\nlatency_min = \"10ms\"\nlatency_max = \"5ms\"");
    assert_error(&text, "network.latency_min", "latency_min", "above latency_max (5ms)");
}

#[test]
fn network_latency_above_ten_seconds_is_refused() {
    let text = example_plus("[network]\nlatency_max = \"11s\"");
    assert_error(&text, "network.latency_max", "latency_max", "at most 10s");
}

#[test]
fn network_loss_of_one_is_refused() {
    let text = example_plus("[network]\nloss = 1.0");
    assert_error(&text, "network.loss", "loss", "in [0, 1)");
}

#[test]
fn negative_network_loss_is_refused() {
    let text = example_plus("[network]\nloss = -0.1");
    assert_error(&text, "network.loss", "loss", "is -0.1");
}

#[test]
fn fsync_min_above_max_is_refused() {
    let text = example_plus("[disk]\nfsync_latency_min = \"9ms\"");
    assert_error(&text, "disk.fsync_latency_min", "fsync_latency_min", "above fsync_latency_max (5ms)");
}

#[test]
fn torn_write_probability_above_one_is_refused() {
    let text = example_plus("[disk]\ntorn_write_probability = 1.5");
    assert_error(&text, "disk.torn_write_probability", "torn_write", "in [0, 1]");
}

#[test]
fn torn_write_probability_of_one_is_accepted() {
    assert!(crate::run::testbed::parse(&example_plus("[disk]\ntorn_write_probability = 1.0"), "x.toml").is_ok());
}

#[test]
fn zero_checkpoint_interval_is_refused() {
    let text = example_with("interval = \"100ms\"", "interval = \"0ms\"");
    assert_error(&text, "checkpoint.interval", "interval", "longer than 0");
}

#[test]
fn zero_checkpoint_timeout_is_refused() {
    let text = example_with("timeout = \"2s\"", "timeout = \"0s\"");
    assert_error(&text, "checkpoint.timeout", "timeout = ", "longer than 0");
}

#[test]
fn concurrent_checkpoints_are_accepted_within_bounds() {
    assert_valid(&example_with("max_concurrent = 1", "max_concurrent = 3"));
    let text = example_with("max_concurrent = 1", "max_concurrent = 0");
    assert_error(&text, "checkpoint.max_concurrent", "max_concurrent", "1 to 16 checkpoints");
}

#[test]
fn retained_must_keep_at_least_one_checkpoint() {
    let text = example_with("max_concurrent = 1", "max_concurrent = 1\nretained = 0");
    assert_error(&text, "checkpoint.retained", "retained", "keep 1 to 100");
}

#[test]
fn storage_replicas_are_bounded() {
    assert_valid(&example_plus("[storage]\nreplicas = 3"));
    let text = example_plus("[storage]\nreplicas = 0");
    assert_error(&text, "storage.replicas", "replicas", "1 to 8 copies");
}

#[test]
fn a_restart_field_of_another_strategy_is_refused() {
    let text = example_with("attempts = 10", "attempts = 10\nmax_failures = 3");
    assert_error(&text, "restart.max_failures", "max_failures", "not used by strategy `fixed_delay`");
}

#[test]
fn failure_rate_and_exponential_delay_take_their_own_fields() {
    let text = example_with(
        "strategy = \"fixed_delay\"\nattempts = 10\ndelay = \"200ms\"",
        "strategy = \"failure_rate\"\nmax_failures = 3\nfailure_interval = \"10s\"\ndelay = \"100ms\"",
    );
    assert_valid(&text);
    let text = example_with(
        "strategy = \"fixed_delay\"\nattempts = 10\ndelay = \"200ms\"",
        "strategy = \"exponential_delay\"\ninitial_backoff = \"100ms\"\nmax_backoff = \"2s\"\nmultiplier = 1.5\n\
         reset_backoff_threshold = \"1m\"\njitter = 0.2",
    );
    assert_valid(&text);
}

#[test]
fn exponential_delay_ranges_are_checked() {
    let base = "strategy = \"fixed_delay\"\nattempts = 10\ndelay = \"200ms\"";
    let text = example_with(base, "strategy = \"exponential_delay\"\nmultiplier = 0.5");
    assert_error(&text, "restart.multiplier", "multiplier", "at least 1");
    let text = example_with(base, "strategy = \"exponential_delay\"\njitter = 1.5");
    assert_error(&text, "restart.jitter", "jitter", "[0, 1]");
    let text = example_with(base, "strategy = \"exponential_delay\"\ninitial_backoff = \"5s\"\nmax_backoff = \"1s\"");
    assert_error(&text, "restart.max_backoff", "max_backoff", "below initial_backoff (5s)");
}

#[test]
fn strategy_none_takes_no_fields() {
    let text = example_with("strategy = \"fixed_delay\"", "strategy = \"none\"");
    assert_error(&text, "restart.attempts", "attempts", "strategy `none` (it takes no fields)");
}

#[test]
fn expect_end_failed_is_accepted() {
    assert_valid(&example_with("finish_within = \"60s\"", "finish_within = \"60s\"\nend = \"failed\""));
    let text = example_with("finish_within = \"60s\"", "finish_within = \"60s\"\nend = \"crashed\"");
    assert_error(&text, "expect.end", "crashed", "unknown variant `crashed`");
}

#[test]
fn a_swarm_section_is_validated() {
    assert_valid(&example_plus(
        "[swarm]\nfaults = [\"crash\", \"one_way\", \"bit_rot\"]\nwindow = \"3s\"\nmax_faults = 5",
    ));
    let text = example_plus("[swarm]\nfaults = []");
    assert_error(&text, "swarm.faults", "faults = []", "is empty");
    let text = example_plus("[swarm]\nfaults = [\"crash\"]\nmax_faults = 0");
    assert_error(&text, "swarm.max_faults", "max_faults", "0 to max_faults");
    let text = example_plus("[swarm]\nfaults = [\"meteor\"]");
    assert_error(&text, "swarm.faults[0]", "meteor", "unknown variant `meteor`");
    let text = example_plus("[storage]\nreplicas = 1\n[swarm]\nfaults = [\"bit_rot\"]");
    assert_error(&text, "swarm.faults", "bit_rot", "destroys the only copy");
}

#[test]
fn a_swarm_draws_max_concurrent_only_from_a_range_the_protocol_allows() {
    assert_valid(&example_plus("[swarm]\nfaults = [\"crash\"]\nmax_concurrent = [1, 4]"));
    let text = example_plus("[swarm]\nfaults = [\"crash\"]\nmax_concurrent = [3, 2]");
    assert_error(&text, "swarm.max_concurrent", "max_concurrent = [3, 2]", "1 <= low <= high <= 16");
    let text = example_plus("[swarm]\nfaults = [\"crash\"]\nmax_concurrent = [0, 2]");
    assert_error(&text, "swarm.max_concurrent", "max_concurrent = [0, 2]", "1 <= low <= high <= 16");
    let text = example_plus("[swarm]\nfaults = [\"crash\"]\nmax_concurrent = [1, 2]")
        .replace("protocol = \"aligned\"", "protocol = \"unaligned\"");
    assert_error(&text, "swarm.max_concurrent", "max_concurrent = [1, 2]", "only one at a time");
}

#[test]
fn a_swarm_scales_sinks_down_only_where_a_sink_has_subtasks_to_lose() {
    let one = example_plus("[swarm]\nfaults = [\"sink_scale_down\"]")
        .replace("parallelism = 2", "parallelism = 1")
        .replace("count[1]", "count[0]");
    assert_error(&one, "swarm.faults", "sink_scale_down", "2 or more subtasks");
}

#[test]
fn restart_delay_above_an_hour_is_refused() {
    let text = example_with("delay = \"200ms\"", "delay = \"2h\"");
    assert_error(&text, "restart.delay", "delay = \"2h\"", "at most 1h");
}

#[test]
fn zero_finish_within_is_refused() {
    let text = example_with("finish_within = \"60s\"", "finish_within = \"0s\"");
    assert_error(&text, "expect.finish_within", "finish_within", "longer than 0");
}
