//! `ckptsim shrink FILE --seed N`: the failing run shrunk to the smallest
//! scenario that still fails the same property, written as a regression
//! (`scenarios/regressions/NAME.toml` by default) that `cargo test` runs.

use super::{EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_PASS};
use crate::bugs::Bug;
use crate::run::{replay_command, run_seed, RunSpec};
use crate::scenario::Scenario;
use crate::shrink::{output, shrink, ShrinkOptions, Shrunk};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What `shrink` was asked for.
pub struct ShrinkArgs {
    pub file: PathBuf,
    pub out: Option<PathBuf>,
    pub force: bool,
    pub options: ShrinkOptions,
}

pub fn run(scenario: &Scenario, args: &ShrinkArgs) -> i32 {
    let o = &args.options;
    if let Some(property) = &o.property {
        if let Err(e) = crate::run::testbed::check_property(property) {
            eprintln!("error: --property: {e}");
            return EXIT_BAD_INPUT;
        }
    }
    let out = args.out.clone().unwrap_or_else(|| default_out(scenario, o.seed, o.bug));
    if out.exists() && !args.force {
        eprintln!("error: {} exists; pass --force to replace it, or -o another file", out.display());
        return EXIT_BAD_INPUT;
    }
    println!("shrinking {} seed {} (budget {:.0}s)…", args.file.display(), o.seed, o.budget.as_secs_f64());
    let shrunk = match shrink(scenario, args.file.clone(), o.clone()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let name = out.file_stem().map_or("shrunk".into(), |s| s.to_string_lossy().to_string());
    let text = output::regression_file(&shrunk, &name, &command(args), o.bug.map(|b| b.name()));
    if let Err(e) = write(&out, &text) {
        eprintln!("error: cannot write {}: {e}", out.display());
        return EXIT_BAD_INPUT;
    }
    report(&shrunk, &out, &o.testbed)
}

/// `scenarios/regressions/<scenario>-<bug>.toml`, or `-seed<N>` without a bug.
fn default_out(scenario: &Scenario, seed: u64, bug: Option<Bug>) -> PathBuf {
    let what = bug.map_or(format!("seed{seed}"), |b| b.name().replace('_', "-"));
    PathBuf::from(format!("scenarios/regressions/{}-{what}.toml", scenario.name))
}

/// The command as a person would type it again.
fn command(args: &ShrinkArgs) -> String {
    let o = &args.options;
    let mut c = format!("{} shrink {} --seed {}", o.testbed.invoked_as(), args.file.display(), o.seed);
    if let Some(b) = o.bug {
        c += &format!(" --bug {b}");
    }
    if let Some(p) = &o.property {
        c += &format!(" --property {p}");
    }
    c
}

fn write(out: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(out, text)
}

/// Prints what the shrink did, after reading the written file back and
/// checking it still fails the property (the file is what people keep).
fn report(shrunk: &Shrunk, out: &Path, testbed: &crate::run::testbed::Testbed) -> i32 {
    println!("property {} still fails under seed {}", shrunk.property, shrunk.seed);
    println!("  before: {}", shrunk.before);
    println!("  after:  {}", shrunk.after);
    for what in &shrunk.kept {
        println!("  - {what}");
    }
    let budget = if shrunk.out_of_time { " (time budget spent; shrink again to go further)" } else { "" };
    println!("  {} runs{budget}", shrunk.runs);
    let Ok(written) = testbed.load(out) else {
        eprintln!("internal error: {} does not read back", out.display());
        return EXIT_INTERNAL;
    };
    let spec = RunSpec::new(Arc::new(written), out.to_path_buf(), shrunk.seed, None);
    let check = run_seed(&RunSpec { testbed: testbed.clone(), ..spec });
    if !check.violations.iter().any(|v| v.property == shrunk.property) {
        eprintln!("internal error: {} does not fail {} when run again", out.display(), shrunk.property);
        return EXIT_INTERNAL;
    }
    println!("wrote {}", out.display());
    println!("  replay: {}", replay_command(testbed, out, shrunk.seed, None));
    EXIT_PASS
}
