//! `ckptsim explore FILE`: every single-fault placement of the job, run once
//! each on every core, and which placements violate which property — each
//! with its replay command — plus how many were tried and how many fired.

use super::{EXIT_PASS, EXIT_VIOLATION};
use crate::explore::{explore, ExploreOptions, Outcome};
use crate::scenario::Scenario;
use std::collections::BTreeMap;
use std::path::Path;

pub fn run(scenario: &Scenario, path: &Path, options: &ExploreOptions, json: bool) -> i32 {
    let started = std::time::Instant::now();
    let outcomes = explore(scenario, path.to_path_buf(), options);
    let secs = started.elapsed().as_secs_f64();
    if json {
        print_json(scenario, options, &outcomes, secs);
    } else {
        print_text(scenario, options, &outcomes, secs);
    }
    if outcomes.iter().any(|o| !o.violated.is_empty()) {
        EXIT_VIOLATION
    } else {
        EXIT_PASS
    }
}

fn print_text(scenario: &Scenario, options: &ExploreOptions, outcomes: &[Outcome], secs: f64) {
    let failing: Vec<&Outcome> = outcomes.iter().filter(|o| !o.violated.is_empty()).collect();
    for o in &failing {
        println!("✗ {} → {}", o.placement.label(), o.violated.join(", "));
        if let Some(e) = &o.evidence {
            println!("    {}", shorten(e, 160));
        }
        println!("    replay: {}", o.replay);
    }
    let mut by_property: BTreeMap<&str, usize> = BTreeMap::new();
    for p in failing.iter().flat_map(|o| &o.violated) {
        *by_property.entry(p).or_default() += 1;
    }
    for (p, n) in &by_property {
        println!("  {n:>5} placements violate {p}");
    }
    let fired = outcomes.iter().filter(|o| o.fired).count();
    let kinds: Vec<&str> = options.kinds.iter().map(String::as_str).collect();
    let bug = options.bug.map(|b| format!(" [bug: {b}]")).unwrap_or_default();
    println!(
        "explore {}{bug}: {} placements tried (checkpoints 1..={} × phases × tasks/nodes × {}), {fired} fired, {} failed, seed {} in {secs:.1}s",
        scenario.name,
        outcomes.len(),
        options.checkpoints,
        kinds.join("/"),
        failing.len(),
        options.seed
    );
}

fn print_json(scenario: &Scenario, options: &ExploreOptions, outcomes: &[Outcome], secs: f64) {
    let doc = serde_json::json!({
        "scenario": scenario.name,
        "seed": options.seed,
        "bug": options.bug.map(|b| b.to_string()),
        "tried": outcomes.len(),
        "fired": outcomes.iter().filter(|o| o.fired).count(),
        "failed": outcomes.iter().filter(|o| !o.violated.is_empty()).count(),
        "seconds": secs,
        "placements": outcomes,
    });
    println!("{doc}");
}

fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
