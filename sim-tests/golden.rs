//! Golden traces: the one-line-per-event trace of one seed (the file's
//! `first_seed`) of every stock scenario, kept as an insta snapshot in
//! `sim-tests/snapshots/`. Any change in engine behaviour — a message more,
//! an event moved by a millisecond — shows up as a reviewable diff.
//!
//! To review a change: `cargo insta review` (with `cargo install
//! cargo-insta`), or read the `.snap.new` files next to the snapshots and
//! accept with `INSTA_UPDATE=always cargo test --test golden`.

mod common;

use ckptsim::cli::render::lines::render_lines;
use ckptsim::run::{run_seed, RunSpec};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::Path;

fn main() {
    let args = Arguments::from_args();
    let trials: Vec<Trial> = common::scenario_files()
        .into_iter()
        .filter(|path| !path.starts_with("scenarios/regressions"))
        .map(|path| {
            let name = path.file_stem().unwrap_or_default().to_string_lossy().to_string();
            Trial::test(format!("golden::{name}"), move || golden(&path, &name))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn golden(path: &Path, name: &str) -> Result<(), Failed> {
    let spec = common::spec(path);
    let seed = spec.scenario.first_seed;
    let report = run_seed(&RunSpec { seed, ..spec });
    let text = format!(
        "scenario {name} seed {seed}: {} · {} events · trace {}\n{}",
        report.verdict,
        report.events,
        report.trace_hash,
        render_lines(&report.trace)
    );
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("sim-tests/snapshots");
    std::panic::catch_unwind(|| {
        insta::with_settings!({ snapshot_path => snapshots, prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(name.to_string(), text);
        });
    })
    .map_err(|_| Failed::from(format!("the trace of {name} seed {seed} changed: review the diff above")))
}
