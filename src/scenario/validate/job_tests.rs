//! Tests of the `[job]` rules: settings, operators and the graph.

use super::tests::{assert_error, assert_valid, example_with};

/// `EXAMPLE` with its operator list replaced by `operators` (one per line).
fn with_operators(operators: &[&str]) -> String {
    let start = "operators = [\n";
    let old = super::tests::EXAMPLE.split(start).nth(1).and_then(|rest| rest.split("]\n[").next());
    let old = old.map(|o| format!("{start}{o}]\n"));
    let new = format!("{start}{}\n]\n", operators.join(",\n"));
    example_with(old.as_deref().unwrap_or("?"), &new)
}

const EVENTS: &str = r#"  { id = "events", kind = "source" }"#;
const COUNT: &str = r#"  { id = "count", kind = "keyed_count", input = ["events"] }"#;
const OUT: &str = r#"  { id = "out", kind = "sink", input = ["count"] }"#;

#[test]
fn the_operator_helper_keeps_the_example_valid() {
    let text = with_operators(&[EVENTS, COUNT, OUT]);
    assert_valid(&text);
}

#[test]
fn zero_job_parallelism_is_refused() {
    let text = example_with("parallelism = 2", "parallelism = 0");
    assert_error(&text, "job.parallelism", "parallelism = 0", "at least 1 subtask");
}

#[test]
fn too_many_key_groups_are_refused() {
    let text = example_with("parallelism = 2", "parallelism = 2\nmax_parallelism = 40000");
    assert_error(&text, "job.max_parallelism", "max_parallelism", "at most 32768 key groups");
}

#[test]
fn max_parallelism_below_an_operators_parallelism_is_refused() {
    let text = example_with("parallelism = 2", "parallelism = 2\nmax_parallelism = 1");
    assert_error(&text, "job.max_parallelism", "max_parallelism", "below the parallelism 2 of `events`");
}

#[test]
fn batch_size_has_moved_to_the_network_section() {
    let text = example_with("parallelism = 2", "parallelism = 2\nbatch_size = 16");
    assert_error(&text, "job.batch_size", "batch_size", "[network] buffer_records");
}

#[test]
fn an_empty_operator_list_is_refused() {
    let text = with_operators(&[]);
    assert_error(&text.replace("[\n\n]", "[]"), "job.operators", "operators = []", "needs at least a source");
}

#[test]
fn empty_operator_id_is_refused() {
    let text = with_operators(&[EVENTS, &COUNT.replace("\"count\"", "\"\""), OUT]);
    assert_error(&text, "job.operators[1].id", "keyed_count", "is empty");
}

#[test]
fn operator_id_with_brackets_is_refused() {
    let text = with_operators(&[EVENTS, &COUNT.replace("\"count\"", "\"count[1]\""), OUT]);
    assert_error(&text, "job.operators[1].id", "keyed_count", "contains `[`");
}

#[test]
fn duplicate_operator_id_names_the_first_one() {
    let text = with_operators(&[EVENTS, COUNT, r#"  { id = "events", kind = "sink", input = ["count"] }"#]);
    assert_error(&text, "job.operators[2].id", "kind = \"sink\"", "already the id of job.operators[0]");
}

#[test]
fn zero_operator_parallelism_is_refused() {
    let text = with_operators(&[EVENTS, &COUNT.replace(" }", ", parallelism = 0 }"), OUT]);
    assert_error(&text, "job.operators[1].parallelism", "keyed_count", "at least 1");
}

#[test]
fn unknown_input_names_the_line_and_known_ids() {
    let text = example_with("input = [\"count\"]", "input = [\"cuont\"]");
    assert_error(&text, "job.operators[2].input", "cuont", "known ids: `events`, `count`, `out`");
}

#[test]
fn an_input_listed_twice_is_refused() {
    let text = example_with("input = [\"count\"]", "input = [\"count\", \"count\"]");
    assert_error(&text, "job.operators[2].input", "id = \"out\"", "lists `count` twice");
}

#[test]
fn a_source_with_input_is_refused() {
    let text = with_operators(&[&EVENTS.replace(" }", ", input = [\"out\"] }"), COUNT, OUT]);
    assert_error(&text, "job.operators[0].input", "kind = \"source\"", "takes no input");
}

#[test]
fn a_non_source_without_input_is_refused() {
    let text = with_operators(&[EVENTS, r#"  { id = "count", kind = "keyed_count" }"#, OUT]);
    assert_error(&text, "job.operators[1].input", "keyed_count", "needs at least one upstream");
}

#[test]
fn a_job_without_source_is_refused() {
    let text = with_operators(&[
        r#"  { id = "a", kind = "keyed_count", input = ["b"] }"#,
        r#"  { id = "b", kind = "keyed_sum", input = ["a"] }"#,
        r#"  { id = "out", kind = "sink", input = ["b"] }"#,
    ]);
    assert_error(&text, "job.operators", "operators = [", "has no source");
}

#[test]
fn a_job_without_sink_is_refused() {
    let text = with_operators(&[EVENTS, COUNT]);
    assert_error(&text, "job.operators", "operators = [", "has no sink");
}

#[test]
fn reading_from_a_sink_is_refused() {
    let text = with_operators(&[EVENTS, COUNT, OUT, r#"  { id = "more", kind = "sink", input = ["out"] }"#]);
    assert_error(&text, "job.operators[3].input", "\"more\"", "lists `out`, a sink");
}

#[test]
fn a_cycle_names_an_operator_on_it() {
    let text = with_operators(&[
        EVENTS,
        r#"  { id = "a", kind = "keyed_count", input = ["events", "b"] }"#,
        r#"  { id = "b", kind = "keyed_sum", input = ["a"] }"#,
        r#"  { id = "out", kind = "sink", input = ["b"] }"#,
    ]);
    assert_error(&text, "job.operators[1].input", "id = \"a\"", "part of a cycle through `a`, `b`");
}

#[test]
fn reading_its_own_output_is_refused() {
    let text = with_operators(&[EVENTS, &COUNT.replace("[\"events\"]", "[\"events\", \"count\"]"), OUT]);
    assert_error(&text, "job.operators[1].input", "keyed_count", "cannot read its own output");
}

#[test]
fn partitions_on_a_non_source_are_refused() {
    let text = with_operators(&[EVENTS, &COUNT.replace(" }", ", partitions = 4 }"), OUT]);
    assert_error(&text, "job.operators[1].partitions", "keyed_count", "only for sources");
}

#[test]
fn records_on_a_sink_are_refused() {
    let text = with_operators(&[EVENTS, COUNT, &OUT.replace(" }", ", records = 5 }")]);
    assert_error(&text, "job.operators[2].records", "\"out\"", "only for sources, but `out` is a sink");
}

#[test]
fn keys_and_fetch_size_on_a_non_source_are_refused() {
    let text = with_operators(&[EVENTS, &COUNT.replace(" }", ", keys = 5 }"), OUT]);
    assert_error(&text, "job.operators[1].keys", "keyed_count", "only for sources");
    let text = with_operators(&[EVENTS, &COUNT.replace(" }", ", fetch_size = 5 }"), OUT]);
    assert_error(&text, "job.operators[1].fetch_size", "keyed_count", "only for sources");
}

#[test]
fn sink_delivery_on_a_non_sink_is_refused() {
    let text = with_operators(&[EVENTS, &COUNT.replace(" }", ", sink = \"two_phase_commit\" }"), OUT]);
    assert_error(&text, "job.operators[1].sink", "keyed_count", "only for sinks");
}

#[test]
fn partitioning_a_source_is_refused() {
    let text = with_operators(&[&EVENTS.replace(" }", ", partition = \"hash\" }"), COUNT, OUT]);
    assert_error(&text, "job.operators[0].partition", "id = \"events\"", "no input to partition");
}

#[test]
fn zero_source_counts_are_refused() {
    for name in ["partitions", "records", "keys", "fetch_size"] {
        let text = with_operators(&[&EVENTS.replace(" }", &format!(", {name} = 0 }}")), COUNT, OUT]);
        assert_error(&text, &format!("job.operators[0].{name}"), "id = \"events\"", "at least 1");
    }
}

#[test]
fn fewer_partitions_than_source_subtasks_says_some_idle() {
    let text = example_with("partitions = 4,", "partitions = 4, parallelism = 5,");
    assert_error(&text, "job.operators[0].partitions", "id = \"events\"", "1 of its subtasks would idle");
}

#[test]
fn default_partitions_too_few_blames_the_source() {
    let text = with_operators(&[&EVENTS.replace(" }", ", parallelism = 6 }"), COUNT, OUT]);
    assert_error(&text, "job.operators[0].partitions", "id = \"events\"", "is 4 (the default)");
}

#[test]
fn forward_needs_equal_parallelism() {
    let count =
        r#"  { id = "count", kind = "keyed_count", input = ["events"], partition = "forward", parallelism = 3 }"#;
    let text = with_operators(&[EVENTS, count, OUT]);
    assert_error(&text, "job.operators[1].partition", "forward", "parallelism 3 and its input `events` has 2");
}

#[test]
fn forward_with_equal_parallelism_is_accepted() {
    let count = r#"  { id = "count", kind = "keyed_count", input = ["events"], partition = "forward" }"#;
    let text = with_operators(&[EVENTS, count, OUT]);
    assert_valid(&text);
}

#[test]
fn too_few_slots_blame_the_job_parallelism() {
    let text = example_with("slots_per_worker = 2", "slots_per_worker = 1")
        .replace("partitions = 4", "partitions = 8")
        .replace("parallelism = 2", "parallelism = 4");
    assert_error(&text, "job.parallelism", "parallelism = 4", "needs 4 slots");
}

#[test]
fn too_few_slots_blame_the_widest_operator() {
    let text = with_operators(&[EVENTS, &COUNT.replace(" }", ", parallelism = 7 }"), OUT]);
    assert_error(&text, "job.operators[1].parallelism", "keyed_count", "3 workers x 2 slots = 6");
}

const WIDE: &str = r#"name = "wide"
[job]
operators = [
  { id = "a", kind = "source" },
  { id = "b", kind = "source", parallelism = 1 },
  { id = "m", kind = "map", fn = "double", input = ["a", "b"], partition = "rebalance" },
  { id = "f", kind = "filter", input = ["m"] },
  { id = "c", kind = "keyed_co_sum", input = ["a", "b"] },
  { id = "s1", kind = "sink", input = ["f"], partition = "broadcast" },
  { id = "s2", kind = "sink", input = ["c"] },
]
"#;

#[test]
fn sources_unions_fan_out_maps_filters_broadcast_and_a_co_sum_are_valid() {
    assert_valid(WIDE);
}

#[test]
fn a_function_must_fit_its_operator() {
    let text = WIDE.replace(r#"fn = "double""#, r#"fn = "odd_keys""#);
    assert_error(&text, "job.operators[2].fn", "id = \"m\"", "is a filter predicate");
    let text = WIDE.replace(r#"{ id = "f", kind = "filter","#, r#"{ id = "f", kind = "filter", fn = "negate","#);
    assert_error(&text, "job.operators[3].fn", "id = \"f\"", "is a map function");
    let text = WIDE.replace(r#"kind = "keyed_co_sum","#, r#"kind = "keyed_co_sum", fn = "double","#);
    assert_error(&text, "job.operators[4].fn", "id = \"c\"", "only for maps and filters");
    let text = WIDE.replace(r#"fn = "double""#, r#"fn = "tripple""#);
    assert_error(&text, "job.operators[2].fn", "id = \"m\"", "unknown variant `tripple`");
}

#[test]
fn a_co_sum_has_exactly_two_inputs() {
    let text = WIDE.replace(r#"kind = "keyed_co_sum", input = ["a", "b"]"#, r#"kind = "keyed_co_sum", input = ["a"]"#);
    assert_error(&text, "job.operators[4].input", "id = \"c\"", "reads exactly 2");
}

#[test]
fn keyed_operators_are_not_broadcast_into() {
    let text = WIDE.replace(r#"input = ["a", "b"] },"#, r#"input = ["a", "b"], partition = "broadcast" },"#);
    assert_error(&text, "job.operators[4].partition", "id = \"c\"", "broadcasting into keyed state");
}

const UPSERT: &str = r#"name = "upsert"
[job]
operators = [
  { id = "a", kind = "source" },
  { id = "c", kind = "keyed_count", input = ["a"] },
  { id = "t", kind = "sink", sink = "upsert", input = ["c"] },
]
"#;

#[test]
fn an_upsert_sink_reads_one_keyed_operator_in_key_order() {
    assert_valid(UPSERT);
    assert_valid(&UPSERT.replace(r#"input = ["c"] }"#, r#"input = ["c"], partition = "hash" }"#));
    let text = UPSERT.replace(r#"input = ["c"] }"#, r#"input = ["c"], partition = "rebalance" }"#);
    assert_error(&text, "job.operators[2].partition", "id = \"t\"", "use partition = \"hash\"");
    let text = UPSERT.replace(r#"input = ["c"] }"#, r#"input = ["a"] }"#);
    assert_error(&text, "job.operators[2].input", "id = \"t\"", "a source");
    let text = UPSERT.replace(r#"input = ["c"] }"#, r#"input = ["a", "c"] }"#);
    assert_error(&text, "job.operators[2].input", "id = \"t\"", "exactly one keyed operator");
}

#[test]
fn every_sink_kind_is_accepted_and_the_committer_kind_is_not_written_by_hand() {
    for sink in ["two_phase_commit", "plain", "committer"] {
        assert_valid(&UPSERT.replace("upsert", sink));
    }
    let text = UPSERT.replace(r#"kind = "keyed_count""#, r#"kind = "committer""#);
    assert!(crate::run::testbed::parse(&text, "x.toml").is_err());
}
