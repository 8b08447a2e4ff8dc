//! The CLI contract scripts rely on: JSON fields, exit codes (0 pass,
//! 1 violation, 2 bad input, 3 internal error), errors that name the file,
//! line, column and field (with carets and "did you mean"), a replay command
//! that reproduces the run, and the `check` and `new` commands.

mod common;

use common::binary::{ckptsim, stderr, stdout, temp_file as temp_scenario};
use std::path::Path;
use std::process::Output;

#[test]
fn run_json_has_the_documented_fields_and_exit_0() {
    let o = ckptsim(&["run", "scenarios/no-faults.toml", "--seed", "3", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("one JSON object");
    for key in [
        "scenario",
        "seed",
        "verdict",
        "violations",
        "trace_hash",
        "sim_time_ms",
        "events",
        "checkpoints_completed",
        "recoveries",
    ] {
        assert!(v.get(key).is_some(), "missing `{key}` in {v}");
    }
    assert_eq!(v["verdict"], "pass");
    assert_eq!(v["seed"], 3);
}

#[test]
fn a_planted_bug_exits_1_and_prints_evidence_and_the_replay_command() {
    let o = ckptsim(&["run", "scenarios/worker-crash.toml", "--seed", "1", "--bug", "commit_on_snapshot"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("commit_only_completed"), "{out}");
    assert!(
        out.contains(
            "replay: cargo run --release -- run scenarios/worker-crash.toml --seed 1 --bug commit_on_snapshot"
        ),
        "{out}"
    );
}

#[test]
fn the_replay_command_reproduces_the_trace_hash() {
    let json = |o: &Output| -> serde_json::Value { serde_json::from_str(stdout(o).trim()).expect("JSON") };
    let a = json(&ckptsim(&["run", "scenarios/worker-crash.toml", "--seed", "5", "--bug", "skip_alignment", "--json"]));
    let b = json(&ckptsim(&["run", "scenarios/worker-crash.toml", "--seed", "5", "--bug", "skip_alignment", "--json"]));
    assert_eq!(a["trace_hash"], b["trace_hash"]);
    assert_eq!(a["violations"], b["violations"]);
}

#[test]
fn a_typo_in_a_scenario_exits_2_naming_file_line_and_field() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/no-faults.toml")).unwrap();
    let text = text.replace("interval = \"100ms\"", "intervl = \"100ms\"");
    let line = text.lines().position(|l| l.starts_with("intervl")).unwrap() + 1;
    let path = temp_scenario("typo.toml", &text);
    let o = ckptsim(&["run", path.to_str().unwrap(), "--seed", "1"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains(&format!("typo.toml:{line}:")), "{err}");
    assert!(err.contains("checkpoint.intervl"), "{err}");
}

#[test]
fn a_misspelt_field_shows_line_column_the_line_with_carets_and_a_suggestion() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/no-faults.toml")).unwrap();
    let text = text.replace("interval = \"100ms\"", "intervl = \"100ms\"");
    let line = text.lines().position(|l| l.starts_with("intervl")).unwrap() + 1;
    let path = temp_scenario("misspelt.toml", &text);
    let o = ckptsim(&["run", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let first = format!(
        "error: {}:{line}:1: checkpoint.intervl: unknown field `intervl` — did you mean `interval`?",
        path.display()
    );
    assert!(err.lines().any(|l| l == first), "{err}");
    assert!(err.lines().any(|l| l == format!("{line} | intervl = \"100ms\"")), "{err}");
    assert!(err.lines().any(|l| l.ends_with(" | ^^^^^^^")), "{err}");
}

#[test]
fn a_misspelt_value_gets_a_suggestion_and_carets_under_it() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/worker-crash.toml")).unwrap();
    let path = temp_scenario("crsh.toml", &text.replace("action = \"crash\"", "action = \"crsh\""));
    let o = ckptsim(&["check", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains(":10: faults[0].action: unknown variant `crsh` — did you mean `crash`?"), "{err}");
    assert!(err.lines().any(|l| l.ends_with("| action = \"crsh\"")), "{err}");
    assert!(err.lines().any(|l| l.ends_with("|          ^^^^^^")), "{err}");
    let path = temp_scenario("evnts.toml", &text.replace("input = [\"events\"]", "input = [\"evnts\"]"));
    let err = stderr(&ckptsim(&["check", path.to_str().unwrap()]));
    assert!(err.contains("`evnts` is not an operator id") && err.contains("did you mean `events`?"), "{err}");
}

#[test]
fn check_accepts_every_stock_scenario() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = ["scenarios", "scenarios/regressions"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(root.join(dir)).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .map(|path| path.strip_prefix(root).unwrap().display().to_string())
        .collect();
    files.sort();
    let mut args = vec!["check"];
    args.extend(files.iter().map(String::as_str));
    let o = ckptsim(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for file in &files {
        assert!(out.lines().any(|l| l.starts_with(&format!("ok {file} ("))), "{file} in:\n{out}");
    }
    assert!(
        out.contains("ok scenarios/worker-crash.toml (worker-crash: 3 operators, 1 fault, protocol aligned)"),
        "{out}"
    );
    assert!(out.contains(&format!("{n} files checked: {n} ok, 0 bad", n = files.len())), "{out}");
}

#[test]
fn check_of_a_bad_file_exits_2_and_still_checks_the_others() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/no-faults.toml")).unwrap();
    let bad = temp_scenario("bad-workers.toml", &text.replace("workers = 3", "workers = 0"));
    let o = ckptsim(&["check", bad.to_str().unwrap(), "scenarios/no-faults.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad-workers.toml:") && stderr(&o).contains("cluster.workers: is 0"), "{}", stderr(&o));
    assert!(stdout(&o).contains("ok scenarios/no-faults.toml"), "{}", stdout(&o));
    assert!(stdout(&o).contains("2 files checked: 1 ok, 1 bad"), "{}", stdout(&o));
    assert_eq!(ckptsim(&["check", "scenarios/does-not-exist.toml"]).status.code(), Some(2));
}

#[test]
fn new_writes_a_starter_that_checks_runs_passes_and_fires_its_fault() {
    let path = temp_scenario("starter.toml", "");
    std::fs::remove_file(&path).unwrap();
    let file = path.to_str().unwrap();
    let o = ckptsim(&["new", "my-first", "-o", file]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("name = \"my-first\"") && text.contains("phase = \"aligning\""), "{text}");
    let o = ckptsim(&["check", file]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("(my-first: 3 operators, 1 fault, protocol aligned)"), "{}", stdout(&o));
    let o = ckptsim(&["run", file, "--seed", "0"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("faults: 1 of 1 fired"), "{}", stdout(&o));
    let o = ckptsim(&["new", "other", "-o", file]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "an existing file is never overwritten");
}

#[test]
fn new_writes_to_stdout_with_a_dash_and_refuses_odd_names() {
    let o = ckptsim(&["new", "piped", "-o", "-"]);
    assert_eq!(o.status.code(), Some(0));
    ckptsim::run::testbed::parse(&stdout(&o), "piped.toml").unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(ckptsim(&["new", "../escape"]).status.code(), Some(2));
}

#[test]
fn an_impossible_config_exits_2_naming_the_field() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/no-faults.toml")).unwrap();
    let path = temp_scenario(
        "slots.toml",
        &text.replace("workers = 3", "workers = 1").replace("slots_per_worker = 2", "slots_per_worker = 1"),
    );
    let o = ckptsim(&["run", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("slots.toml:"), "{}", stderr(&o));
}

#[test]
fn bad_flags_and_unknown_bugs_exit_2() {
    assert_eq!(ckptsim(&["run", "scenarios/no-faults.toml", "--sed", "1"]).status.code(), Some(2));
    let o = ckptsim(&["run", "scenarios/no-faults.toml", "--bug", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("skip_alignment"), "the error lists the known bugs: {}", stderr(&o));
    assert_eq!(ckptsim(&["sweep", "scenarios/no-faults.toml", "--seeds", "5..2"]).status.code(), Some(2));
    assert_eq!(ckptsim(&["run", "scenarios/does-not-exist.toml"]).status.code(), Some(2));
}

#[test]
fn bugs_lists_every_planted_bug_one_per_line() {
    let o = ckptsim(&["bugs"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for bug in ckptsim::bugs::Bug::all() {
        assert!(out.lines().any(|l| l.starts_with(bug.name()) && l.len() > bug.name().len() + 4), "{out}");
    }
}

#[test]
fn bugs_catches_lists_every_catch_for_scripts() {
    let o = ckptsim(&["bugs", "--catches"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for bug in ckptsim::bugs::Bug::all() {
        for c in bug.catches() {
            assert!(out.lines().any(|l| l == format!("{bug} {} {}", c.scenario, c.property)), "{out}");
        }
    }
}

#[test]
fn sweep_json_gives_one_object_per_seed_and_exit_1_on_a_violation() {
    let o = ckptsim(&[
        "sweep",
        "scenarios/worker-crash.toml",
        "--seeds",
        "0..4",
        "--bug",
        "no_offset_restore",
        "--json",
        "--jobs",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let seeds: std::collections::BTreeSet<u64> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON line")["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(seeds, (0..4).collect());
}

#[test]
fn sweep_shards_split_the_seeds() {
    let seeds_of = |shard: &str| -> Vec<u64> {
        let o = ckptsim(&["sweep", "scenarios/no-faults.toml", "--seeds", "0..6", "--shard", shard, "--json"]);
        assert_eq!(o.status.code(), Some(0));
        let mut s: Vec<u64> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seed"].as_u64().unwrap())
            .collect();
        s.sort();
        s
    };
    assert_eq!(seeds_of("1/2"), vec![0, 2, 4]);
    assert_eq!(seeds_of("2/2"), vec![1, 3, 5]);
}

#[test]
fn a_verdict_names_the_faults_that_never_fired_and_why() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/no-faults.toml")).unwrap();
    let text = format!(
        "{text}\n[[faults]]\nwhen = {{ checkpoint = 999, phase = \"aligning\" }}\naction = \"crash\"\nnode = \"worker-1\"\n\
         \n[[faults]]\nat = \"100s\"\naction = \"crash\"\nnode = \"worker-2\"\n"
    );
    let path = temp_scenario("vacuous.toml", &text);
    let o = ckptsim(&["run", path.to_str().unwrap(), "--seed", "1"]);
    let out = stdout(&o);
    assert!(out.contains("faults: 0 of 2 fired"), "{out}");
    assert!(out.contains("phase `aligning` of checkpoint 999 never happened"), "{out}");
    assert!(out.contains("the job finished at") && out.contains("before its time (100s)"), "{out}");
    let o = ckptsim(&["sweep", path.to_str().unwrap(), "--seeds", "0..2"]);
    let out = stdout(&o);
    assert!(out.contains("warning: faults[0]") && out.contains("fired in none of the 2 seeds"), "{out}");
}

#[test]
fn sweep_coverage_prints_the_paths_of_the_scenarios_protocol() {
    let o = ckptsim(&["sweep", "scenarios/worker-crash.toml", "--seeds", "0..2", "--coverage"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let scenario =
        ckptsim::run::testbed::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/worker-crash.toml"))
            .expect("stock scenario");
    let applicable: Vec<&str> = ckptsim::run::coverage::applicable(&scenario, &ckptsim::run::testbed::Testbed::new())
        .iter()
        .map(|p| p.name)
        .collect();
    let catalogue = ckptsim::run::coverage::catalogue();
    assert!(applicable.len() < catalogue.len(), "some paths are other protocols'");
    for path in catalogue {
        let applies = applicable.contains(&path.name);
        assert_eq!(out.contains(path.name), applies, "{} (applies: {applies}) in:\n{out}", path.name);
    }
    assert!(out.contains("never taken:") && out.contains("paths of protocol aligned"), "{out}");
    let o = ckptsim(&["sweep", "scenarios/unaligned-worker-crash.toml", "--seeds", "0..2", "--coverage"]);
    let out = stdout(&o);
    assert!(out.contains("channel_state_persisted") && !out.contains("alignment_timed_out"), "{out}");
}

#[test]
fn zoo_rejects_empty_windows() {
    let o = ckptsim(&["zoo", "--seeds", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn a_swarm_run_prints_its_drawn_plan_as_pasteable_toml() {
    let o = ckptsim(&["run", "scenarios/swarm-all.toml", "--seed", "7", "--trace"]);
    let out = stdout(&o);
    let plan: String = out.lines().take_while(|l| !l.starts_with(' ')).collect::<Vec<_>>().join("\n");
    assert!(plan.contains("[[faults]]"), "{out}");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/no-faults.toml")).unwrap();
    let pasted = format!("{text}\n{}", plan.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n"));
    ckptsim::run::testbed::parse(&pasted, "pasted.toml").unwrap_or_else(|e| panic!("{e}\n{pasted}"));
}

#[test]
fn an_expected_failure_passes_and_a_wall_clock_cap_ends_the_run_with_a_verdict() {
    let o = ckptsim(&["run", "scenarios/restart-gives-up.toml", "--seed", "0", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["end"], "failed");
    let o = ckptsim(&["run", "scenarios/worker-crash.toml", "--seed", "0", "--wall-cap", "1ns", "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["end"], "wall_clock_cap");
    assert!(v["violations"][0]["detail"].as_str().unwrap().contains("wall-clock cap"), "{v}");
}

#[test]
fn a_node_paused_forever_and_a_partition_never_healed_still_end_with_a_verdict() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/no-faults.toml")).unwrap();
    let text = text.replace("finish_within = \"30s\"", "finish_within = \"5s\"");
    let text = format!(
        "{text}\n[[faults]]\nat = \"300ms\"\naction = \"pause\"\nnode = \"log\"\n\
         \n[[faults]]\nat = \"300ms\"\naction = \"partition\"\nbetween = [[\"coordinator\"], [\"worker-1\"]]\n"
    );
    let path = temp_scenario("forever.toml", &text);
    let o = ckptsim(&["run", path.to_str().unwrap(), "--seed", "1", "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["end"], "timed_out");
    assert!(v["sim_time_ms"].as_u64().unwrap() < 10_000, "{v}");
}

#[test]
fn a_failing_run_writes_a_self_contained_timeline_that_marks_the_violation() {
    let dir = std::env::temp_dir().join(format!("ckptsim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let write = |name: &str| {
        let path = dir.join(name);
        let args = ["run", "scenarios/worker-crash.toml", "--seed", "1", "--bug", "no_offset_restore", "--timeline"];
        let o = ckptsim(&[&args[..], &[path.to_str().unwrap()]].concat());
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        std::fs::read_to_string(path).expect("the timeline was written")
    };
    let html = write("timeline.html");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg"), "not an HTML page with an SVG");
    // Nothing fetched: the only URL is the SVG namespace, which names, not loads.
    let namespace = r#"xmlns="http://www.w3.org/2000/svg""#;
    assert_eq!(html.matches("http://").count(), html.matches(namespace).count(), "an http:// reference");
    assert!(!html.contains("https://") && !html.contains("@import"), "a remote reference");
    for task in ["events[0]", "events[1]", "count[0]", "count[1]"] {
        assert!(html.contains(&format!(">{task}</text>")), "no lane for {task}");
    }
    // The sinks run chained to the counts: their lanes sit under them.
    for task in ["out[0]", "out[1]"] {
        assert!(html.contains(&format!(">↳ {task}</text>")), "no chained lane for {task}");
    }
    assert!(html.contains("one task: count[0] → out[0] (chained operators)"), "no chain bracket");
    assert!(html.contains("consistent_cut") && html.contains(r#"id="violation-"#), "no violation marker");
    assert_eq!(html, write("again.html"), "the same run gives the same bytes");
}

#[test]
fn shrink_refuses_a_property_the_oracles_do_not_check() {
    let o = ckptsim(&["shrink", "scenarios/worker-crash.toml", "--seed", "0", "--property", "exactly_once_outptu"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("did you mean `exactly_once_output`?"), "{}", stderr(&o));
}

/// `explore --help` names every kind explore can place (the list is the
/// registered fault kinds', so a new kind must reach the help too).
#[test]
fn explore_help_names_every_kind_it_places() {
    let o = ckptsim(&["explore", "--help"]);
    let help = stdout(&o);
    let words: Vec<&str> = help.split(|c: char| !(c.is_alphanumeric() || c == '_')).collect();
    let kinds = ckptsim::run::faults::KINDS.iter().flat_map(|k| k.explore_kinds().iter().map(|(name, _)| *name));
    for kind in kinds {
        assert!(words.contains(&kind), "--help lacks {kind}");
    }
}

/// `--jobs 0` would run nothing: refused with exit code 2, saying why.
#[test]
fn jobs_zero_is_refused() {
    for command in ["sweep", "explore", "shrink", "bench"] {
        let o = ckptsim(&[command, "scenarios/worker-crash.toml", "--jobs", "0"]);
        assert_eq!(o.status.code(), Some(2), "{command}: {}", stderr(&o));
        assert!(stderr(&o).contains("0 runs nothing"), "{command}: {}", stderr(&o));
    }
}

/// A file that cannot be read is named with the reason, exit code 2, and no
/// made-up position (`:?:`).
#[test]
fn a_missing_file_is_named_without_a_position() {
    let o = ckptsim(&["run", "scenarios/no-such-file.toml", "--seed", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("scenarios/no-such-file.toml: cannot read it: "), "{err}");
    assert!(!err.contains(":?:"), "{err}");
}

/// A restarted coordinator that redeploys the job is a recovery: counted,
/// and a checkpoint completed after it takes `completed_after_recovery`.
#[test]
fn a_coordinator_restart_counts_as_a_recovery() {
    let o = ckptsim(&["run", "scenarios/coordinator-crash.toml", "--seed", "0", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert!(v["recoveries"].as_u64().unwrap_or(0) >= 1, "{}", v["recoveries"]);
    let coverage = v["coverage"].as_array().expect("coverage");
    assert!(coverage.iter().any(|p| p == "completed_after_recovery"), "{coverage:?}");
}

/// `sweep --strict` fails a sweep in which a fault of the file fired in no
/// seed (here one placed past the end of the job); without it, a warning.
#[test]
fn sweep_strict_fails_on_a_fault_that_never_fired() {
    let text = std::fs::read_to_string("scenarios/worker-crash.toml").expect("read")
        + "\n[[faults]]\nat = \"10m\"\naction = \"crash\"\nnode = \"worker-3\"\n";
    let file = temp_scenario("late-fault.toml", &text);
    let path = file.to_str().expect("path");
    let lenient = ckptsim(&["sweep", path, "--seeds", "0..2"]);
    assert_eq!(lenient.status.code(), Some(0), "{}", stdout(&lenient));
    assert!(stdout(&lenient).contains("warning: faults[1]"), "{}", stdout(&lenient));
    let strict = ckptsim(&["sweep", path, "--seeds", "0..2", "--strict"]);
    assert_eq!(strict.status.code(), Some(1), "{}", stdout(&strict));
    assert!(stderr(&strict).contains("--strict: 1 fault fired in no seed: faults[1]"), "{}", stderr(&strict));
}

/// `check DIR` checks the files in its subfolders too, as `cargo test` runs
/// them: `check scenarios/` covers `scenarios/regressions/`.
#[test]
fn check_of_a_directory_takes_its_subfolders() {
    let o = ckptsim(&["check", "scenarios"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("ok scenarios/regressions/"), "{out}");
    let all = ckptsim::harness::scenario_files(Path::new("scenarios")).len();
    assert!(out.contains(&format!("{all} files checked: {all} ok, 0 bad")), "{out}");
}

/// The committer task a committer sink adds (`ID-committer[0]`) shows in the
/// trace, the timeline and explore; a scenario may name it, and a misspelt
/// one gets it as the suggestion.
#[test]
fn a_hidden_committer_task_can_be_named() {
    let fault = r#"{ when = { checkpoint = 1, phase = "barrier-received", task = "lake-committer[0]" }, action = "crash", node = "worker-of(lake-committer[0])", restart_after = "300ms" }"#;
    let o = ckptsim(&["run", "scenarios/committer-crash.toml", "--seed", "0", "--fault", fault]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("faults: 1 of 1 fired"), "{}", stdout(&o));
    let typo = r#"{ when = { checkpoint = 1, phase = "aligning", task = "lakes-committer[0]" }, action = "crash", node = "worker-1" }"#;
    let o = ckptsim(&["run", "scenarios/committer-crash.toml", "--seed", "0", "--fault", typo]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `lake-committer`?"), "{}", stderr(&o));
}

/// A fault placed at a phase the file's own protocol never reaches could
/// never fire: refused with exit code 2 and the placements that can. Under
/// `unaligned`, only an operator reading a pointwise or broadcast channel
/// aligns.
#[test]
fn a_phase_the_protocol_never_reaches_is_refused() {
    let aligning = |file: &str, task: &str| {
        let task = if task.is_empty() { String::new() } else { format!(", task = \"{task}\"") };
        let fault = format!(
            "{{ when = {{ checkpoint = 2, phase = \"aligning\"{task} }}, action = \"crash\", node = \"worker-1\", restart_after = \"300ms\" }}"
        );
        ckptsim(&["run", file, "--seed", "0", "--fault", &fault])
    };
    let o = aligning("scenarios/unaligned-worker-crash.toml", "");
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("never happens under protocol `unaligned`"), "{}", stderr(&o));
    let o = aligning("scenarios/at-least-once-crash.toml", "");
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let o = aligning("scenarios/unaligned-chained-job.toml", "count[0]");
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("only operators reading a pointwise or broadcast channel do here: audit"),
        "{}",
        stderr(&o)
    );
    let o = aligning("scenarios/unaligned-chained-job.toml", "audit[0]");
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

/// `--wall-cap` bounds the whole run, judging included: on a 20M-record job
/// with an hour of simulated time to finish in, the simulation stops at the cap and the oracles a second later (they
/// used to run on, uncapped, for about 10 s), and the verdict names the cap.
#[test]
fn the_wall_cap_bounds_judging_too() {
    let text = std::fs::read_to_string("scenarios/no-faults.toml")
        .expect("read")
        .replace("records = 20000", "records = 20000000")
        .replace("finish_within = \"30s\"", "finish_within = \"1h\"");
    let file = temp_scenario("twenty-million.toml", &text);
    let started = std::time::Instant::now();
    let o = ckptsim(&["run", file.to_str().expect("path"), "--seed", "0", "--wall-cap", "500ms"]);
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("wall-clock cap"), "{}", stdout(&o));
    assert!(took < std::time::Duration::from_secs(8), "took {took:?}");
}

/// A checkpoint the run's time budget can never reach is refused: in
/// no-faults (one checkpoint per 100ms at most, done by 30s) a fault at
/// checkpoint 301 could never fire; 300 is the last it can reach.
#[test]
fn a_checkpoint_beyond_the_time_budget_is_refused() {
    let at = |n: u64| {
        format!(
            "{{ when = {{ checkpoint = {n}, phase = \"snapshot-taken\" }}, action = \"crash\", node = \"worker-1\", restart_after = \"300ms\" }}"
        )
    };
    let o = ckptsim(&["run", "scenarios/no-faults.toml", "--seed", "0", "--fault", &at(301)]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("is 301, which the run can never reach"), "{}", stderr(&o));
    assert!(stderr(&o).contains("the last checkpoint it can reach is 300"), "{}", stderr(&o));
    let text = std::fs::read_to_string("scenarios/no-faults.toml").expect("read")
        + "\n[[faults]]\nwhen = { checkpoint = 300, phase = \"snapshot-taken\" }\naction = \"crash\"\nnode = \"worker-1\"\nrestart_after = \"300ms\"\n";
    let file = temp_scenario("checkpoint-300.toml", &text);
    let o = ckptsim(&["check", file.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

/// A file estimated not to fit the memory budget is refused before it
/// runs, naming the field, with what would fit; a run that passes the
/// budget anyway (here: 200,000 keys of state the estimate allows for, on
/// a budget below what the engine needs) is stopped with a verdict that
/// names it.
#[test]
fn the_memory_budget_refuses_files_that_do_not_fit_and_stops_runs_that_pass_it() {
    let text = std::fs::read_to_string("scenarios/no-faults.toml").expect("read");
    let big = temp_scenario("ten-million.toml", &text.replace("records = 20000", "records = 10000000"));
    let o = ckptsim(&["run", big.to_str().expect("path"), "--max-memory", "100MiB"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains(":12:63: job.operators[0].records: the run would need about"), "{err}");
    assert!(err.contains("more than the memory budget 100.0 MiB (--max-memory)"), "{err}");
    let o =
        ckptsim(&["sweep", big.to_str().expect("path"), "--seeds", "0..4", "--jobs", "2", "--max-memory", "400MiB"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("× 2 runs at once"), "{}", stderr(&o));
    let keys =
        text.replace("records = 20000, keys = 50", "records = 400000, keys = 200000").replace("\"30s\"", "\"3000s\"");
    let keys = temp_scenario("many-keys.toml", &keys);
    let o = ckptsim(&["run", keys.to_str().expect("path"), "--max-memory", "40MiB"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("job.operators[0].keys: the keyed state would need about 30.5 MiB"), "{}", stderr(&o));
    // Admitted (about 67 MiB estimated), but every checkpoint's state is
    // kept for the oracles: the run needs far more, and is stopped.
    let o = ckptsim(&["run", keys.to_str().expect("path"), "--max-memory", "200MiB"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("memory budget (200.0 MiB resident, --max-memory)"), "{}", stdout(&o));
    assert!(stdout(&o).contains("memory_budget"), "{}", stdout(&o));
}
