//! The loop from a sweep to a minimal regression, through the CLI:
//! `sweep --until-failure`, `merge` of shards, `shrink`, `explore`.

mod common;

use common::binary::{ckptsim, stdout, temp_path as temp};
use std::path::Path;

/// A job small enough to explore in a debug build.
const SMALL: &str = r#"
name = "small"
[job]
parallelism = 1
operators = [
  { id = "events", kind = "source", partitions = 1, records = 600, keys = 4 },
  { id = "count",  kind = "keyed_count", input = ["events"] },
  { id = "out",    kind = "sink", input = ["count"] },
]
[checkpoint]
interval = "50ms"
"#;

#[test]
fn until_failure_stops_at_the_first_failing_seed_and_prints_its_replay() {
    let args = ["sweep", "scenarios/worker-crash.toml", "--seeds", "0..50", "--bug", "commit_on_snapshot"];
    let o = ckptsim(&[&args[..], &["--until-failure", "--jobs", "2"]].concat());
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("first failing seed: 0\n  replay: cargo run --release -- run"), "{out}");
    let ran: u64 = out.split("worker-crash: ").nth(1).and_then(|s| s.split(' ').next()?.parse().ok()).expect("count");
    assert!(ran < 50, "it went on after the failure: {out}");
    // The bug fails every seed: each seed that ran counts as failed, the
    // ones under way when seed 0 failed too, though only seed 0 is printed.
    assert!(out.contains(&format!("{ran} seeds, 0 passed, {ran} failed")), "{out}");
}

#[test]
fn merge_of_two_shards_equals_the_unsharded_sweep() {
    let sweep = |extra: &[&str], out: &Path| {
        let base = ["sweep", "scenarios/worker-crash.toml", "--seeds", "0..6", "--json"];
        let o = ckptsim(&[&base[..], extra].concat());
        std::fs::write(out, &o.stdout).expect("write shard");
    };
    let (a, b, all) = (temp("shard1.jsonl"), temp("shard2.jsonl"), temp("all.jsonl"));
    sweep(&["--shard", "1/2"], &a);
    sweep(&["--shard", "2/2"], &b);
    sweep(&[], &all);
    let merge = |files: &[&Path]| {
        let mut args = vec!["merge", "--coverage", "--scenario", "scenarios/worker-crash.toml"];
        args.extend(files.iter().map(|f| f.to_str().expect("utf-8 path")));
        stdout(&ckptsim(&args))
    };
    let (sharded, whole) = (merge(&[&a, &b]), merge(&[&all]));
    assert_eq!(sharded, whole);
    assert!(whole.contains("merged worker-crash: 6 seeds, 6 passed, 0 failed"), "{whole}");
    // The same table a sweep prints itself, but for its timing line.
    let direct = stdout(&ckptsim(&["sweep", "scenarios/worker-crash.toml", "--seeds", "0..6", "--coverage"]));
    let body = |s: &str| {
        s.lines().filter(|l| !l.starts_with("sweep ") && !l.starts_with("merged ")).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(body(&direct), body(&whole));
}

#[test]
fn merge_refuses_a_seed_whose_trace_differs() {
    let o = ckptsim(&["sweep", "scenarios/no-faults.toml", "--seeds", "0..1", "--json"]);
    let line = stdout(&o);
    let hash = serde_json::from_str::<serde_json::Value>(line.trim()).expect("json")["trace_hash"].clone();
    let forged = line.replace(hash.as_str().expect("hash"), "0000000000000000");
    let (a, b) = (temp("real.jsonl"), temp("forged.jsonl"));
    std::fs::write(&a, line).expect("write");
    std::fs::write(&b, forged).expect("write");
    let o = ckptsim(&["merge", a.to_str().expect("path"), b.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("the runs differ"));
}

#[test]
fn shrink_writes_a_smaller_scenario_that_still_fails_the_same_property() {
    let out = temp("shrunk.toml");
    let o = ckptsim(&[
        "shrink",
        "scenarios/worker-crash.toml",
        "--seed",
        "1",
        "--bug",
        "commit_on_snapshot",
        "--budget",
        "60s",
        "-o",
        out.to_str().expect("path"),
        "--force",
    ]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("property commit_only_completed still fails"), "{text}");
    let written = std::fs::read_to_string(&out).expect("written");
    assert!(
        written.starts_with("# Written by: cargo run --release -- shrink scenarios/worker-crash.toml --seed 1"),
        "{written}"
    );
    assert!(written.contains("violated = [\"commit_only_completed\"]"), "{written}");
    let scenario = ckptsim::run::testbed::parse(&written, "shrunk").expect("a valid scenario");
    let records: u64 = scenario.job.operators.iter().filter_map(|o| o.records).sum();
    assert!(records < 20_000, "records were not cut: {written}");
    let again = ckptsim(&["run", out.to_str().expect("path")]);
    assert_eq!(again.status.code(), Some(1), "{}", stdout(&again));
    assert!(stdout(&again).contains("commit_only_completed"));
}

#[test]
fn shrink_refuses_a_passing_seed() {
    let out = temp("nothing.toml");
    let o = ckptsim(&["shrink", "scenarios/no-faults.toml", "--seed", "0", "-o", out.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("there is no failure to shrink"));
}

#[test]
fn explore_finds_no_failing_placement_on_the_correct_engine_and_some_with_a_bug() {
    let file = temp("small.toml");
    std::fs::write(&file, SMALL).expect("write");
    let path = file.to_str().expect("path");
    let explore = |extra: &[&str]| {
        ckptsim(&[&["explore", path, "--kinds", "crash", "--checkpoints", "1", "--json"][..], extra].concat())
    };
    let clean = explore(&[]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    let v: serde_json::Value = serde_json::from_str(stdout(&clean).trim()).expect("json");
    assert!(v["tried"].as_u64().unwrap_or(0) > 20 && v["fired"].as_u64().unwrap_or(0) > 20, "{v}");
    assert_eq!(v["failed"], 0);
    let buggy = explore(&["--bug", "no_offset_restore"]);
    assert_eq!(buggy.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(stdout(&buggy).trim()).expect("json");
    let failing: Vec<&serde_json::Value> = v["placements"]
        .as_array()
        .expect("placements")
        .iter()
        .filter(|p| p["violated"] != serde_json::json!([]))
        .collect();
    assert!(!failing.is_empty(), "{v}");
    // The replay command reproduces the placement's failure.
    let replay = failing[0]["replay"].as_str().expect("replay");
    let fault = replay.split("--fault '").nth(1).and_then(|s| s.split('\'').next()).expect("--fault");
    let o = ckptsim(&["run", path, "--seed", "0", "--bug", "no_offset_restore", "--fault", fault]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}

/// The README's quickstart shows the verdict `run` prints: kept true by
/// this test, not by hand.
#[test]
fn the_readme_quickstart_shows_what_run_prints() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README");
    let o = ckptsim(&["run", "scenarios/worker-crash.toml", "--seed", "1"]);
    assert_eq!(o.status.code(), Some(0));
    for line in stdout(&o).lines() {
        assert!(readme.contains(line), "README's quickstart lacks `{line}`");
    }
}

/// Every rule code the code, the scenarios and the docs cite (L6, T3, I1…)
/// is defined in docs/rules.md, which a clone has.
#[test]
fn every_cited_rule_code_resolves_in_the_rules_page() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules = std::fs::read_to_string(root.join("docs/rules.md")).expect("docs/rules.md");
    let mut files = vec![root.join("README.md")];
    let mut dirs = vec![root.join("src"), root.join("scenarios"), root.join("docs"), root.join("examples")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
            let path = entry.path();
            if path.is_dir() && !path.ends_with("target") {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "rs" || x == "toml" || x == "md") {
                files.push(path);
            }
        }
    }
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let chars: Vec<char> = text.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            let starts_word = i == 0 || !chars[i - 1].is_alphanumeric();
            if !(matches!(c, 'L' | 'T' | 'I') && starts_word) {
                continue;
            }
            let digits: String = chars[i + 1..].iter().take_while(|d| d.is_ascii_digit()).collect();
            let ends_word = chars.get(i + 1 + digits.len()).is_none_or(|n| !n.is_alphanumeric() && *n != '_');
            if digits.is_empty() || digits.len() > 2 || !ends_word {
                continue;
            }
            let code = format!("{c}{digits}");
            assert!(
                rules.contains(&format!("**{code} ")),
                "{} cites {code}, which docs/rules.md does not define",
                file.display()
            );
        }
    }
}

/// explore places only faults the file's own checks accept: every replay it
/// prints runs. On a job with a broadcast edge, the operator the edge feeds
/// is never rescaled (a rescale would change how many copies it gets, and
/// `run` refuses it), while the others are.
#[test]
fn explore_places_no_fault_that_run_would_refuse() {
    let path = "scenarios/aligned-timeout-broadcast.toml";
    let o = ckptsim(&["explore", path, "--kinds", "rescale", "--checkpoints", "1", "--json"]);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    let placements = v["placements"].as_array().expect("placements");
    assert!(!placements.is_empty(), "{v}");
    for p in placements {
        let replay = p["replay"].as_str().expect("replay");
        assert!(!replay.contains("operator = \"fanout\""), "a broadcast-fed operator rescaled: {replay}");
    }
    let replay = placements[0]["replay"].as_str().expect("replay");
    let fault = replay.split("--fault '").nth(1).and_then(|s| s.split('\'').next()).expect("--fault");
    let run = ckptsim(&["run", path, "--seed", "0", "--fault", fault]);
    assert_ne!(run.status.code(), Some(2), "run refused explore's placement: {}", stdout(&run));
}

/// Shrinking keeps only candidates that violate nothing the original run
/// did not: cutting records until fewer than `min_completed_checkpoints`
/// complete would fail `liveness` for a reason shrinking made.
#[test]
fn shrink_never_writes_a_file_that_fails_a_property_of_its_own_making() {
    let text = std::fs::read_to_string("scenarios/worker-crash.toml")
        .expect("read")
        .replace("min_completed_checkpoints = 3", "min_completed_checkpoints = 10");
    let (file, out) = (temp("needs-ten.toml"), temp("needs-ten-shrunk.toml"));
    std::fs::write(&file, text).expect("write");
    let (file, out) = (file.to_str().expect("path"), out.to_str().expect("path"));
    let args = ["shrink", file, "--seed", "0", "--bug", "no_offset_restore", "--budget", "20s", "-o", out, "--force"];
    let o = ckptsim(&args);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
    let run = ckptsim(&["run", out, "--json"]);
    let v: serde_json::Value = serde_json::from_str(stdout(&run).trim()).expect("json");
    let violated: Vec<&str> =
        v["violations"].as_array().expect("violations").iter().filter_map(|x| x["property"].as_str()).collect();
    assert!(violated.contains(&"exactly_once_output"), "{violated:?}");
    assert!(!violated.contains(&"liveness"), "shrinking made the job too short: {violated:?}");
}
