//! Argument parsing (clap) and the commands.
//!
//! - `run`   — one seed, verdict + evidence + stats (+ trace, + JSON, + Chrome
//!   trace, + HTML timeline)
//! - `sweep` — many seeds in parallel, failing seeds with replay commands
//! - `bugs`  — the planted bugs
//! - `bench` — runs per second and simulated seconds per wall second
//! - `explore` — every single-fault placement of a small job, run once each
//! - `shrink` — a failing seed shrunk to a minimal regression scenario
//! - `merge` — the JSON Lines of many sweep shards as one summary
//! - `zoo`   — the bug zoo as a scoreboard: seeds and time each bug takes to catch
//! - `check` — validates scenario files without running them
//! - `new`   — writes a commented starter scenario
//!
//! `summary` is what `sweep` and `merge` both print; `render` draws a run
//! (trace lines, Chrome trace, timeline).

mod bench;
mod check;
mod explore;
mod merge;
mod new;
pub mod render;
mod report;
mod shrink;
mod summary;
mod sweep;
mod zoo;

use crate::bugs::Bug;
use crate::run::testbed::Testbed;
use crate::run::{run_seed, RunSpec};
use crate::scenario;
use crate::shrink::ShrinkOptions;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Exit code: every run passed.
pub const EXIT_PASS: i32 = 0;
/// Exit code: a property was violated.
pub const EXIT_VIOLATION: i32 = 1;
/// Exit code: bad input (a scenario file, a flag, an impossible config).
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code: the simulation itself panicked.
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
        /// Default: the file's `first_seed` (0 unless set).
        #[arg(long)]
        seed: Option<u64>,
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
        /// Stop the run after this much wall-clock time (e.g. `30s`): the
        /// simulation at the cap, judging a second later.
        #[arg(long, value_parser = parse_wall_cap)]
        wall_cap: Option<Duration>,
        /// The most resident memory the process may hold (e.g. `2GiB`;
        /// default: half of the machine's). A file estimated not to fit is
        /// refused; a run that passes it is stopped, and its verdict says so.
        #[arg(long, value_parser = crate::run::budget::parse_size)]
        max_memory: Option<u64>,
        /// A fault as one inline TOML table, e.g. `{ at = "700ms", action =
        /// "crash", node = "worker-2" }`; repeatable. Given, these replace
        /// the file's [[faults]] and [swarm].
        #[arg(long = "fault")]
        faults: Vec<String>,
    },
    /// Run every single-fault placement of the job once and report which
    /// placements violate which property.
    Explore {
        scenario: PathBuf,
        /// Fault kinds to place: crash, pause, isolate, disk, disk_full,
        /// bit_rot, rescale, slow, lossy, drop, network_loss, slow_task.
        #[arg(long, value_delimiter = ',', default_value = "crash,pause", value_parser = crate::explore::parse_kind)]
        kinds: Vec<String>,
        /// Checkpoints 1..=N to place faults in.
        #[arg(long, default_value_t = 3)]
        checkpoints: u64,
        /// Default: the file's `first_seed`.
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long)]
        bug: Option<Bug>,
        /// crash: restart the node this long after.
        #[arg(long, default_value = "300ms", value_parser = parse_wall_cap)]
        restart_after: Duration,
        /// pause: resume the node this long after.
        #[arg(long, default_value = "1500ms", value_parser = parse_wall_cap)]
        resume_after: Duration,
        /// Narrow isolate, slow, lossy and drop faults to these message
        /// classes (e.g. `notify_complete`; see the format reference).
        #[arg(long, value_delimiter = ',', value_parser = parse_message_class)]
        messages: Option<Vec<scenario::MessageClass>>,
        /// isolate, disk, slow, lossy, drop, network_loss: heal this long after.
        #[arg(long, default_value = "1500ms", value_parser = parse_wall_cap)]
        heal_after: Duration,
        #[arg(long, value_parser = parse_jobs)]
        jobs: Option<usize>,
        /// One JSON object: counts and every placement's outcome.
        #[arg(long)]
        json: bool,
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
        #[arg(long, value_parser = parse_jobs)]
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
        /// Stop at the first failing seed and print its replay command.
        #[arg(long)]
        until_failure: bool,
        /// Fail (exit code 1) when a fault of the file fired in no seed, as
        /// `cargo test` does; without it, a warning.
        #[arg(long)]
        strict: bool,
        /// Stop any one run after this much wall-clock time (e.g. `30s`):
        /// the simulation at the cap, judging a second later.
        #[arg(long, value_parser = parse_wall_cap)]
        wall_cap: Option<Duration>,
        /// The most resident memory the process may hold (e.g. `2GiB`;
        /// default: half of the machine's). A file estimated not to fit is
        /// refused; a run that passes it is stopped, and its verdict says so.
        #[arg(long, value_parser = crate::run::budget::parse_size)]
        max_memory: Option<u64>,
    },
    /// Shrink a failing seed to the smallest scenario that still fails the
    /// same property, and write it as a regression scenario.
    Shrink {
        scenario: PathBuf,
        #[arg(long)]
        seed: u64,
        #[arg(long)]
        bug: Option<Bug>,
        /// The property that must keep failing (default: the first violated).
        #[arg(long)]
        property: Option<String>,
        /// Where to write it (default `scenarios/regressions/NAME-BUG.toml`).
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Replace the output file if it exists.
        #[arg(long)]
        force: bool,
        /// Wall-clock time the shrink may take (e.g. `60s`).
        #[arg(long, default_value = "60s", value_parser = parse_wall_cap)]
        budget: Duration,
        /// Seeds 0..N tried when a step shifts the random draws.
        #[arg(long, default_value_t = 8)]
        seed_search: u64,
        #[arg(long, value_parser = parse_jobs)]
        jobs: Option<usize>,
    },
    /// Combine the JSON Lines of `sweep --json` shards into one summary.
    Merge {
        /// JSON Lines files, one per shard.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print how many seeds took each catalogued protocol path.
        #[arg(long)]
        coverage: bool,
        /// The swept scenario: the coverage table then lists only its paths.
        #[arg(long)]
        scenario: Option<PathBuf>,
    },
    /// List the planted bugs.
    Bugs {
        /// One line per catch instead: `BUG SCENARIO PROPERTY` (for scripts).
        #[arg(long)]
        catches: bool,
    },
    /// Run every planted bug against the stock scenario that catches it and
    /// print the scoreboard (use --release).
    Zoo {
        /// Seeds per window before a bug counts as escaped.
        #[arg(long, default_value_t = 64)]
        seeds: u64,
        /// Independent windows of seeds per bug.
        #[arg(long, default_value_t = 5)]
        windows: u64,
        #[arg(long, value_parser = parse_jobs)]
        jobs: Option<usize>,
    },
    /// Validate scenario files without running them (a directory: its *.toml files).
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write a commented starter scenario (source → keyed_count → sink, one crash).
    New {
        /// The scenario's name (letters, digits, `-`, `_`).
        name: String,
        /// Where to write it; `-` for stdout. Default: scenarios/NAME.toml.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Measure runs per second and simulated time per wall second (use --release).
    Bench {
        #[arg(default_value = "scenarios/worker-crash.toml")]
        scenario: PathBuf,
        /// Runs to time.
        #[arg(long, default_value_t = 200)]
        runs: u64,
        #[arg(long, value_parser = parse_jobs)]
        jobs: Option<usize>,
        /// Also time a plain keyed fold over the same records and print
        /// how many times slower a seeded run is per record.
        #[arg(long)]
        baseline: bool,
    },
}

/// `--jobs N`: at least one parallel run.
fn parse_jobs(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("0 runs nothing; give 1 or more, or leave --jobs out to use every core".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a whole number of parallel runs, e.g. --jobs 2")),
    }
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
    let d = crate::scenario::duration::parse_duration(s)?;
    if d.is_zero() {
        return Err("the wall-clock cap must be longer than 0".into());
    }
    Ok(d)
}

fn parse_message_class(s: &str) -> Result<scenario::MessageClass, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|e| format!("`{s}`: {e}"))
}

fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let (k, n) = s.split_once('/').ok_or_else(|| format!("`{s}` is not K/N"))?;
    let (k, n): (u64, u64) = (k.parse().map_err(|_| "K is not a number")?, n.parse().map_err(|_| "N is not a number")?);
    if n == 0 || k == 0 || k > n {
        return Err(format!("shard `{s}` needs 1 ≤ K ≤ N"));
    }
    Ok((k, n))
}

/// The `ckptsim` command line over `testbed`'s components: every
/// subcommand, for a user's own protocols and sinks. A user's
/// `src/bin/sim.rs` is `std::process::exit(ckptsim::cli::main(my_testbed()))`;
/// replay commands start the way this binary was invoked (`invoked_as`).
pub fn main(testbed: Testbed) -> i32 {
    let testbed = testbed.command(&invoked_as());
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_BAD_INPUT } else { EXIT_PASS };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Bugs { catches: false } => {
            for bug in Bug::all() {
                println!("{:<26}  {}", bug.name(), bug.description());
            }
            EXIT_PASS
        }
        Command::Bugs { catches: true } => {
            for bug in Bug::all() {
                for c in bug.catches() {
                    println!("{bug} {} {}", c.scenario, c.property);
                }
            }
            EXIT_PASS
        }
        Command::Run { scenario, seed, bug, trace, chrome_trace, timeline, json, wall_cap, max_memory, faults } => {
            let Some(mut spec) = load(&testbed, &scenario, 0, bug) else { return EXIT_BAD_INPUT };
            if !faults.is_empty() {
                match with_faults(&testbed, &spec.scenario, &faults) {
                    Ok(s) => spec.scenario = Arc::new(s),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return EXIT_BAD_INPUT;
                    }
                }
            }
            spec.seed = seed.unwrap_or(spec.scenario.first_seed);
            spec.wall_cap = wall_cap.unwrap_or(spec.wall_cap);
            spec.max_memory = max_memory.unwrap_or(spec.max_memory);
            if !admit(&spec, 1) {
                return EXIT_BAD_INPUT;
            }
            let report = run_seed(&spec);
            let files = report::Files { chrome: chrome_trace.as_deref(), timeline: timeline.as_deref() };
            report::print_run(&report, trace, json, &files)
        }
        Command::Sweep {
            scenario,
            seeds,
            bug,
            jobs: j,
            shard,
            json,
            coverage,
            until_failure,
            strict,
            wall_cap,
            max_memory,
        } => {
            let Some(mut spec) = load(&testbed, &scenario, 0, bug) else { return EXIT_BAD_INPUT };
            spec.wall_cap = wall_cap.unwrap_or(spec.wall_cap);
            spec.max_memory = max_memory.unwrap_or(spec.max_memory);
            let at_once = jobs(j).min((seeds.1 - seeds.0) as usize);
            if !admit(&spec, at_once as u64) {
                return EXIT_BAD_INPUT;
            }
            let jobs = j;
            let options = sweep::SweepOptions { seeds, shard, jobs, json, coverage, until_failure, strict };
            sweep::sweep(&spec, &options)
        }
        Command::Explore {
            scenario,
            kinds,
            checkpoints,
            seed,
            bug,
            restart_after,
            resume_after,
            heal_after,
            messages,
            jobs: j,
            json,
        } => {
            let Some(spec) = load(&testbed, &scenario, 0, bug) else { return EXIT_BAD_INPUT };
            let windows = crate::explore::Windows { restart_after, resume_after, heal_after };
            let seed = seed.unwrap_or(spec.scenario.first_seed);
            let options = crate::explore::ExploreOptions {
                kinds,
                checkpoints,
                seed,
                bug,
                windows,
                messages,
                jobs: jobs(j),
                testbed: spec.testbed.clone(),
            };
            explore::run(&spec.scenario, &scenario, &options, json)
        }
        Command::Shrink { scenario, seed, bug, property, out, force, budget, seed_search, jobs: j } => {
            let Some(spec) = load(&testbed, &scenario, seed, bug) else { return EXIT_BAD_INPUT };
            let options = ShrinkOptions {
                seed,
                bug,
                property,
                budget,
                seed_search,
                jobs: jobs(j),
                testbed: spec.testbed.clone(),
            };
            shrink::run(&spec.scenario, &shrink::ShrinkArgs { file: scenario, out, force, options })
        }
        Command::Merge { files, coverage, scenario } => {
            merge::merge(&testbed, &merge::MergeOptions { files, coverage, scenario })
        }
        Command::Zoo { seeds, windows, jobs } => {
            if seeds == 0 || windows == 0 {
                eprintln!("error: --seeds and --windows must be at least 1");
                return EXIT_BAD_INPUT;
            }
            zoo::zoo(&zoo::ZooOptions { seeds, windows, jobs })
        }
        Command::Check { files } => check::check(&testbed, &files),
        Command::New { name, output } => new::new(&name, output.as_deref()),
        Command::Bench { scenario, runs, jobs, baseline } => {
            let Some(spec) = load(&testbed, &scenario, 0, None) else { return EXIT_BAD_INPUT };
            bench::bench(&spec, runs, jobs, baseline)
        }
    }
}

/// How a person types this binary again: `cargo run --release --` from a
/// build directory (`--bin NAME` for a binary other than ckptsim's own),
/// else the name (or the path) it was started by.
pub fn invoked_as() -> String {
    let argv0 = std::env::args().next().unwrap_or_else(|| "ckptsim".into());
    let path = std::path::Path::new(&argv0);
    let name = path.file_name().map_or("ckptsim".into(), |n| n.to_string_lossy().to_string());
    let built = path.parent().is_some_and(|dir| dir.ends_with("target/release") || dir.ends_with("target/debug"));
    match (built, name.as_str()) {
        (true, "ckptsim") => crate::run::testbed::CARGO_RUN.to_string(),
        (true, _) => format!("cargo run --release --bin {name} --"),
        (false, _) if argv0.contains('/') && path.parent().is_some_and(|p| p.as_os_str() == ".") => argv0,
        (false, _) => name,
    }
}

/// Loads the scenario; prints the error (`file:line:col: field: message`,
/// then the line with carets) if bad.
/// Whether `runs` runs of the spec at once fit its memory budget; if not,
/// says so, naming the file, line and field (exit code 2 follows).
fn admit(spec: &RunSpec, runs: u64) -> bool {
    let Err((field, message)) = crate::run::budget::admit(&spec.scenario, spec.max_memory, runs) else { return true };
    let text = std::fs::read_to_string(&spec.path).unwrap_or_default();
    let location = scenario::locate::span_of(&text, &field, &message)
        .map(|span| scenario::location::Location::of_span(&text, span));
    let file = spec.path.display().to_string();
    eprintln!("error: {}", scenario::ScenarioError { file, location, field, message }.render());
    false
}

fn load(testbed: &Testbed, path: &std::path::Path, seed: u64, bug: Option<Bug>) -> Option<RunSpec> {
    match testbed.load(path) {
        Ok(s) => Some(RunSpec { testbed: testbed.clone(), ..RunSpec::new(Arc::new(s), path.to_path_buf(), seed, bug) }),
        Err(e) => {
            eprintln!("error: {}", e.render());
            None
        }
    }
}

/// The scenario with `--fault` tables in place of its faults and swarm.
fn with_faults(testbed: &Testbed, s: &scenario::Scenario, faults: &[String]) -> Result<scenario::Scenario, String> {
    #[derive(serde::Deserialize)]
    struct One {
        fault: scenario::Fault,
    }
    let mut s = s.clone();
    s.swarm = None;
    s.faults.clear();
    for text in faults {
        let one: One =
            toml::from_str(&format!("fault = {text}")).map_err(|e| format!("--fault '{text}': {}", e.message()))?;
        s.faults.push(one.fault);
    }
    // faults[i] is the i-th --fault, counting from 0.
    scenario::validate::validate(&s, testbed).map_err(|(field, message)| format!("--fault: {field}: {message}"))?;
    Ok(s)
}

/// Worker threads to use.
pub fn jobs(requested: Option<usize>) -> usize {
    requested.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())).max(1)
}
