//! Argument parsing (clap) and the commands.
//!
//! - `run`   — one seed, verdict + evidence + stats (+ trace, + JSON, + Chrome
//!   trace, + HTML timeline)
//! - `sweep` — many seeds in parallel, failing seeds with replay commands
//! - `bugs`  — the planted bugs
//! - `bench` — runs per second and simulated seconds per wall second
//! - `zoo`   — the bug zoo as a scoreboard: seeds and time each bug takes to catch

mod bench;
mod report;
mod sweep;
mod zoo;

use ckptsim::bugs::Bug;
use ckptsim::run::{run_seed, RunSpec};
use ckptsim::scenario;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub const EXIT_PASS: i32 = 0;
pub const EXIT_VIOLATION: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;
pub const EXIT_INTERNAL: i32 = 3;

#[derive(Parser)]
#[command(name = "ckptsim", version, about = "Deterministic simulation testbed for checkpoint/recovery protocols")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one scenario under one seed and judge it.
    Run {
        scenario: PathBuf,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Switch on a planted bug (see `ckptsim bugs`).
        #[arg(long)]
        bug: Option<Bug>,
        /// Print the whole trace, one line per event.
        #[arg(long)]
        trace: bool,
        /// Write the trace as Chrome/Perfetto JSON to this file.
        #[arg(long)]
        chrome_trace: Option<PathBuf>,
        /// Write the run as one self-contained HTML timeline to this file.
        #[arg(long)]
        timeline: Option<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Stop the run after this much wall-clock time (e.g. `30s`).
        #[arg(long, value_parser = parse_wall_cap)]
        wall_cap: Option<Duration>,
    },
    /// Run a range of seeds in parallel.
    Sweep {
        scenario: PathBuf,
        /// Seeds as `A..B` (B excluded).
        #[arg(long, default_value = "0..100", value_parser = parse_range)]
        seeds: (u64, u64),
        #[arg(long)]
        bug: Option<Bug>,
        /// Parallel runs (default: every core).
        #[arg(long)]
        jobs: Option<usize>,
        /// This machine's share, `K/N`: seeds where seed % N == K-1.
        #[arg(long, value_parser = parse_shard)]
        shard: Option<(u64, u64)>,
        /// JSON Lines: one object per seed.
        #[arg(long)]
        json: bool,
        /// Print how many seeds took each catalogued protocol path.
        #[arg(long)]
        coverage: bool,
        /// Stop any one run after this much wall-clock time (e.g. `30s`).
        #[arg(long, value_parser = parse_wall_cap)]
        wall_cap: Option<Duration>,
    },
    /// List the planted bugs.
    Bugs,
    /// Run every planted bug against the stock scenario that catches it and
    /// print the scoreboard (use --release).
    Zoo {
        /// Seeds per window before a bug counts as escaped.
        #[arg(long, default_value_t = 64)]
        seeds: u64,
        /// Independent windows of seeds per bug.
        #[arg(long, default_value_t = 5)]
        windows: u64,
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Measure runs per second and simulated time per wall second (use --release).
    Bench {
        #[arg(default_value = "scenarios/worker-crash.toml")]
        scenario: PathBuf,
        /// Runs to time.
        #[arg(long, default_value_t = 200)]
        runs: u64,
        #[arg(long)]
        jobs: Option<usize>,
    },
}

fn parse_range(s: &str) -> Result<(u64, u64), String> {
    let (a, b) = s.split_once("..").ok_or_else(|| format!("`{s}` is not a range A..B"))?;
    let a: u64 = a.parse().map_err(|_| format!("`{a}` is not a seed"))?;
    let b: u64 = b.parse().map_err(|_| format!("`{b}` is not a seed"))?;
    if b <= a {
        return Err(format!("empty seed range `{s}`"));
    }
    Ok((a, b))
}

fn parse_wall_cap(s: &str) -> Result<Duration, String> {
    let d = ckptsim::scenario::duration::parse_duration(s)?;
    if d.is_zero() {
        return Err("the wall-clock cap must be longer than 0".into());
    }
    Ok(d)
}

fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let (k, n) = s.split_once('/').ok_or_else(|| format!("`{s}` is not K/N"))?;
    let (k, n): (u64, u64) = (k.parse().map_err(|_| "K is not a number")?, n.parse().map_err(|_| "N is not a number")?);
    if n == 0 || k == 0 || k > n {
        return Err(format!("shard `{s}` needs 1 ≤ K ≤ N"));
    }
    Ok((k, n))
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_BAD_INPUT } else { EXIT_PASS };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Bugs => {
            for bug in Bug::ALL {
                println!("{:<26}  {}", bug.name(), bug.description());
            }
            EXIT_PASS
        }
        Command::Run { scenario, seed, bug, trace, chrome_trace, timeline, json, wall_cap } => {
            let Some(mut spec) = load(&scenario, seed, bug) else { return EXIT_BAD_INPUT };
            spec.wall_cap = wall_cap.unwrap_or(spec.wall_cap);
            let report = run_seed(&spec);
            let files = report::Files { chrome: chrome_trace.as_deref(), timeline: timeline.as_deref() };
            report::print_run(&report, trace, json, &files)
        }
        Command::Sweep { scenario, seeds, bug, jobs, shard, json, coverage, wall_cap } => {
            let Some(mut spec) = load(&scenario, 0, bug) else { return EXIT_BAD_INPUT };
            spec.wall_cap = wall_cap.unwrap_or(spec.wall_cap);
            let options = sweep::SweepOptions { seeds, shard, jobs, json, coverage };
            sweep::sweep(&spec, &options)
        }
        Command::Zoo { seeds, windows, jobs } => {
            if seeds == 0 || windows == 0 {
                eprintln!("error: --seeds and --windows must be at least 1");
                return EXIT_BAD_INPUT;
            }
            zoo::zoo(&zoo::ZooOptions { seeds, windows, jobs })
        }
        Command::Bench { scenario, runs, jobs } => {
            let Some(spec) = load(&scenario, 0, None) else { return EXIT_BAD_INPUT };
            bench::bench(&spec, runs, jobs)
        }
    }
}

/// Loads the scenario; prints the error (file:line: field: message) if bad.
fn load(path: &std::path::Path, seed: u64, bug: Option<Bug>) -> Option<RunSpec> {
    match scenario::load(path) {
        Ok(s) => Some(RunSpec::new(Arc::new(s), path.to_path_buf(), seed, bug)),
        Err(e) => {
            eprintln!("error: {e}");
            None
        }
    }
}

/// Worker threads to use.
pub fn jobs(requested: Option<usize>) -> usize {
    requested.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())).max(1)
}
