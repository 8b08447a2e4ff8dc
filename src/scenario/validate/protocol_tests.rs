//! Tests of the `protocol` rules (docs/rules.md L10, L11).

use super::tests::{assert_error, assert_valid, example_with};

const UNALIGNED_SINK: &str =
    r#"{ id = "out",    kind = "sink", input = ["count"], sink = "two_phase_commit", partition = "rebalance" },"#;
const SINK: &str = r#"{ id = "out",    kind = "sink", input = ["count"], sink = "two_phase_commit" },"#;

fn with_protocol(protocol: &str) -> String {
    example_with("protocol = \"aligned\"", protocol).replace(SINK, UNALIGNED_SINK)
}

#[test]
fn every_protocol_is_accepted_on_a_shuffled_job() {
    assert_valid(&with_protocol("protocol = \"at_least_once\""));
    assert_valid(&with_protocol("protocol = \"unaligned\""));
    assert_valid(&with_protocol("protocol = \"aligned_timeout\"\naligned_timeout = \"20ms\""));
}

#[test]
fn aligned_timeout_needs_its_timeout_and_only_it_takes_one() {
    let text = with_protocol("protocol = \"aligned_timeout\"");
    assert_error(&text, "checkpoint.aligned_timeout", "[checkpoint]", "is missing");
    let text = with_protocol("protocol = \"aligned_timeout\"\naligned_timeout = \"0ms\"");
    assert_error(&text, "checkpoint.aligned_timeout", "aligned_timeout =", "");
    let text = with_protocol("protocol = \"unaligned\"\naligned_timeout = \"20ms\"");
    assert_error(&text, "checkpoint.aligned_timeout", "aligned_timeout =", "only for protocol \"aligned_timeout\"");
}

#[test]
fn unaligned_checkpoints_go_one_at_a_time() {
    let text = with_protocol("protocol = \"unaligned\"").replace("max_concurrent = 1", "max_concurrent = 2");
    assert_error(&text, "checkpoint.max_concurrent", "max_concurrent", "only one at a time");
}

#[test]
fn unaligned_checkpoints_take_forward_and_broadcast_edges_as_flink_does() {
    // Forward into the sink: chained, or (unchained) a forced-aligned channel.
    let text = example_with("protocol = \"aligned\"", "protocol = \"unaligned\"");
    assert_valid(&text);
    assert_valid(&text.replace("sink = \"two_phase_commit\"", "sink = \"two_phase_commit\", chain = false"));
    assert_valid(
        &text.replace("sink = \"two_phase_commit\"", "sink = \"two_phase_commit\", partition = \"broadcast\""),
    );
    let timeout = example_with("protocol = \"aligned\"", "protocol = \"aligned_timeout\"\naligned_timeout = \"20ms\"");
    assert_valid(
        &timeout.replace("sink = \"two_phase_commit\"", "sink = \"two_phase_commit\", partition = \"broadcast\""),
    );
}
