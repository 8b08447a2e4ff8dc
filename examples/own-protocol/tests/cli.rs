//! This crate's `protocol-sim` binary is ckptsim's command line over its components:
//! a failing run prints a replay line that works here, and `shrink` writes
//! a scenario that names this crate's protocol.

use std::process::Command;

fn sim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_protocol-sim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("sim")
}

#[test]
fn a_caught_flaw_prints_a_replay_line_for_this_crate() {
    let o = sim(&["run", "scenarios/flawed-forgets-channels.toml", "--seed", "0"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(
            "replay: cargo run --release --bin protocol-sim -- run scenarios/flawed-forgets-channels.toml --seed 0"
        ),
        "{out}"
    );
}

#[test]
fn shrink_writes_a_scenario_that_names_this_crates_protocol() {
    let out = std::env::temp_dir().join(format!("own-protocol-shrunk-{}.toml", std::process::id()));
    let o = sim(&[
        "shrink",
        "scenarios/flawed-forgets-channels.toml",
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
    assert!(written.contains("protocol = \"chandy_lamport_forgets_channels\""), "{written}");
    assert!(written.starts_with("# Written by: cargo run --release --bin protocol-sim -- shrink"), "{written}");
    let _ = std::fs::remove_file(out);
}
