//! This crate's `operator-sim` binary is ckptsim's command line over its
//! components: validation knows the operator's name, a failing run prints
//! a replay line that works here, and `shrink` writes a scenario that names
//! this crate's operator.

use std::process::Command;

fn sim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_operator-sim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("sim")
}

#[test]
fn a_caught_flaw_prints_a_replay_line_for_this_crate() {
    let o = sim(&["run", "scenarios/flawed-unflushed-bundle.toml", "--seed", "0"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(
            "replay: cargo run --release --bin operator-sim -- run scenarios/flawed-unflushed-bundle.toml --seed 0"
        ),
        "{out}"
    );
}

#[test]
fn a_misspelt_operator_is_refused_with_the_registered_names() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/worker-crash.toml"))
        .expect("scenario")
        .replace("kind = \"keyed_max\"", "kind = \"keyed_mx\"");
    let path = std::env::temp_dir().join(format!("own-operator-typo-{}.toml", std::process::id()));
    std::fs::write(&path, text).expect("write");
    let o = sim(&["check", path.to_str().expect("utf-8 path")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("job.operators[1].kind: unknown variant `keyed_mx` — did you mean `keyed_max`?"), "{err}");
    let _ = std::fs::remove_file(path);
}

#[test]
fn shrink_writes_a_scenario_that_names_this_crates_operator() {
    let out = std::env::temp_dir().join(format!("own-operator-shrunk-{}.toml", std::process::id()));
    let o = sim(&[
        "shrink",
        "scenarios/flawed-unflushed-bundle.toml",
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
    assert!(written.contains("kind = \"keyed_max_unflushed_bundle\""), "{written}");
    assert!(written.starts_with("# Written by: cargo run --release --bin operator-sim -- shrink"), "{written}");
    let _ = std::fs::remove_file(out);
}
