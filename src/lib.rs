//! # ckptsim — a deterministic simulation testbed for checkpoint/recovery
//!
//! A small but real Flink-style streaming engine runs on a simulated clock,
//! network and disk (madsim). One `u64` seed decides everything. Scenario
//! files inject crashes, pauses, partitions, slow and lossy links, disk
//! errors and bit rot — at a time, at a protocol phase, or drawn per seed
//! (swarm); oracles check that state and output after recovery are
//! exactly-once (or at-least-once, or an exact upsert table, as the protocol
//! and sink promise) against an independent reference model, and every run
//! reports which faults fired and which protocol paths it took.
//!
//! Read it bottom-up, the order the layers import in (each module imports
//! only from the ones before it; `docs/extending.md` says which files a new
//! protocol, sink, fault kind, property or planted bug touches):
//!
//! 1. [`scenario`] — what a `scenarios/*.toml` file says, and the ids the
//!    whole house shares; validated with file/line/column/field errors
//!    (carets, "did you mean"), asking a `Catalogue` for the names of the
//!    registered kinds; the starter `ckptsim new` writes.
//! 2. `sim` — the world's physics for one seed: rng streams, disks that lose
//!    unsynced writes (and fail, slow down, fill up, rot), FIFO node
//!    messaging judged by link rules. It knows no engine.
//! 3. [`trace`] — the typed events (`trace::Event`), the recorder (event log,
//!    live view, phase watches, fault clock), the trace hash, the run laid
//!    out as spans on lanes.
//! 4. [`engine`] — the job: sans-IO protocol cores (`CheckpointCoordinator`,
//!    the barrier protocols behind `BarrierProtocol`, the sinks behind
//!    `SinkKind`, `RestartStrategy`) and the node runtimes that drive them
//!    (coordinator, workers, log, storage, sink); messages by plane, typed
//!    errors.
//! 5. [`oracle`] — the reference model, the named properties (one file each,
//!    `PROPERTIES`), and the catalogue of protocol paths (coverage).
//! 6. [`bugs`] — the bug zoo: planted bugs that prove the oracles have teeth,
//!    one table, each a switch in the core it breaks.
//! 7. [`run`] — the harness: one seeded run end to end → `RunReport`
//!    (verdict, fault outcomes, coverage); the fault kinds (`run::faults`,
//!    one file each); the swarm; the registries (`run::testbed`); sweeps.
//! 8. `explore` — every single-fault placement of a small job, run once;
//!    `shrink` — from a failing seed to the smallest scenario that still
//!    fails the same property.
//! 9. [`cli`] — the `ckptsim` command line (`cli::main(testbed)` gives a
//!    crate's own binary every subcommand), and the renderings of a run
//!    (trace lines, Chrome trace, HTML timeline); [`harness`] — scenario
//!    files as tests of a crate's own components.

#![warn(missing_docs)]

#[cfg(not(madsim))]
compile_error!(
    "ckptsim must be built with `--cfg madsim` (set in .cargo/config.toml). \
     An exported RUSTFLAGS replaces that setting: unset RUSTFLAGS and rebuild."
);

pub mod bugs;
pub mod cli;
pub mod engine;
pub(crate) mod explore;
pub mod harness;
pub mod oracle;
pub mod run;
pub mod scenario;
pub(crate) mod shrink;
pub(crate) mod sim;
pub mod trace;

/// The library guide (`docs/library.md`): its Rust examples compile and run
/// as doc tests, so the guide cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../docs/library.md")]
pub struct LibraryGuide;
