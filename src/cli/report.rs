//! Printing one run's verdict, and writing its Chrome trace and timeline.

use super::render::{chrome, lines, timeline};
use super::{EXIT_INTERNAL, EXIT_PASS, EXIT_VIOLATION};
use crate::run::RunReport;
use crate::scenario::words::count;
use std::path::Path;

/// How many trace events a failing run shows without `--trace`.
const TAIL: usize = 12;

pub fn exit_code(report: &RunReport) -> i32 {
    match report.verdict.as_str() {
        "pass" => EXIT_PASS,
        "fail" => EXIT_VIOLATION,
        _ => EXIT_INTERNAL,
    }
}

/// Renders a run into a file's text.
type Render = fn(&RunReport) -> String;

/// Files to write the run to, besides printing it.
pub struct Files<'a> {
    /// `--chrome-trace`: Chrome/Perfetto JSON.
    pub chrome: Option<&'a Path>,
    /// `--timeline`: the HTML timeline.
    pub timeline: Option<&'a Path>,
}

pub fn print_run(report: &RunReport, trace: bool, json: bool, files: &Files) -> i32 {
    let writes: [(Option<&Path>, Render); 2] =
        [(files.chrome, |r| chrome::render_chrome(&r.trace)), (files.timeline, timeline::render_html)];
    for (path, render) in writes {
        let Some(path) = path else { continue };
        if let Err(e) = std::fs::write(path, render(report)) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return super::EXIT_BAD_INPUT;
        }
    }
    if json {
        println!("{}", serde_json::to_string(report).expect("report JSON"));
        return exit_code(report);
    }
    if trace {
        print_plan(report);
        print!("{}", lines::render_lines(&report.trace));
        println!();
    }
    print_verdict(report);
    if !report.passed() && !trace {
        println!("\nlast {TAIL} trace events:");
        let from = report.trace.len().saturating_sub(TAIL);
        print!("{}", lines::render_lines(&report.trace[from..]));
    }
    exit_code(report)
}

/// The faults a swarm drew for this seed, as TOML to paste into a scenario.
fn print_plan(r: &RunReport) {
    if let Some(n) = r.drawn_max_concurrent {
        println!("# the max_concurrent [swarm] drew for seed {}: set it in [checkpoint] to replay", r.seed);
        println!("[checkpoint]\nmax_concurrent = {n}\n");
    }
    if r.drawn.is_empty() {
        return;
    }
    #[derive(serde::Serialize)]
    struct Plan<'a> {
        faults: &'a [crate::scenario::Fault],
    }
    println!("# the faults [swarm] drew for seed {}: paste them into a scenario (without [swarm]) to replay", r.seed);
    println!("{}", toml::to_string(&Plan { faults: &r.drawn }).unwrap_or_default());
}

pub fn print_verdict(r: &RunReport) {
    let bug = r.bug.as_deref().map(|b| format!(" [bug: {b}]")).unwrap_or_default();
    println!("scenario {} seed {}{bug}: {}", r.scenario, r.seed, r.verdict.to_uppercase());
    for v in &r.violations {
        println!("  ✗ {}: {}", v.property, v.detail);
    }
    print_faults(r);
    println!(
        "  job {} at {:.3}s sim · {} · {} · {} events · trace {}",
        r.end,
        r.sim_time_ms as f64 / 1e3,
        count(r.checkpoints_completed as u64, "checkpoint completed", "checkpoints completed"),
        count(r.recoveries as u64, "recovery", "recoveries"),
        r.events,
        r.trace_hash
    );
    if let Some(why) = &r.failure {
        println!("  job failed: {why}");
    }
    if !r.passed() {
        println!("  replay: {}", r.replay);
    }
}

/// How many faults fired, and why each of the others did not.
fn print_faults(r: &RunReport) {
    if r.faults.is_empty() {
        return;
    }
    let fired = r.faults.iter().filter(|f| f.not_fired.is_none()).count();
    let drawn = r.faults.iter().filter(|f| f.drawn).count();
    let drawn = if drawn > 0 { format!(" ({drawn} drawn by [swarm])") } else { String::new() };
    println!("  faults: {fired} of {} fired{drawn}", r.faults.len());
    for f in r.faults.iter().filter(|f| f.not_fired.is_some()) {
        let why = f.not_fired.as_deref().unwrap_or_default();
        println!("    - faults[{}] {} did not fire: {why}", f.fault, f.label);
    }
}
