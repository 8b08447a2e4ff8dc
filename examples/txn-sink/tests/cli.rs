//! This crate's `sink-sim` binary is ckptsim's command line over its sinks:
//! a caught flaw prints a replay line that works here, and `shrink` writes a
//! scenario that names this crate's sink.

use std::process::Command;

fn sim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sink-sim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("sink-sim")
}

#[test]
fn a_caught_flaw_prints_a_replay_line_for_this_crate() {
    let o = sim(&["run", "scenarios/flawed-shared-id.toml", "--seed", "0"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("✗ explained_failovers"), "{out}");
    assert!(
        out.contains("replay: cargo run --release --bin sink-sim -- run scenarios/flawed-shared-id.toml --seed 0"),
        "{out}"
    );
}

#[test]
fn shrink_writes_a_scenario_that_names_this_crates_sink() {
    let out = std::env::temp_dir().join(format!("txn-sink-shrunk-{}.toml", std::process::id()));
    let o = sim(&[
        "shrink",
        "scenarios/flawed-shared-id.toml",
        "--seed",
        "0",
        "--budget",
        "10s",
        "-o",
        out.to_str().expect("utf-8 path"),
        "--force",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let written = std::fs::read_to_string(&out).expect("the shrunk scenario");
    assert!(written.contains("sink = \"kafka_txn_shared_id\""), "{written}");
    let _ = std::fs::remove_file(out);
}
