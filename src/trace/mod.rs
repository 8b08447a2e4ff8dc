//! The run's trace: every meaningful event, stamped with simulated time.
//!
//! - `event`     — `Event`, one typed variant per kind, and `TraceEvent`
//! - `fault_act` — what a fault did, one shape for every fault kind
//! - `recorder`  — the `Recorder` (event log, live view, phase watches,
//!   fault clock) and `emit`, which the engine and the harness record through
//! - `live`      — the live view folded from events (placement, attempt, end)
//! - `watch`     — phase watches, and which event marks which phase
//! - `hash`      — the stable 64-bit trace hash (the determinism fingerprint)
//! - `spans`     — the trace laid out on lanes: checkpoints, alignments,
//!   outages, recoveries and attempts as spans, single events as marks;
//!   what the timeline and the Chrome trace draw (`cli::render`)
//!
//! It knows no engine internals: events carry ids, names and causes as
//! plain data. Nothing reads the trace while the run goes on except the
//! harness (to place faults and to see the job end).

pub mod event;
pub mod fault_act;
pub mod hash;
pub(crate) mod live;
pub(crate) mod recorder;
pub(crate) mod spans;
#[cfg(test)]
pub mod testing;
pub mod timings;
pub(crate) mod watch;

pub use event::{Event, TraceEvent};
pub(crate) use recorder::{emit, Recorder};
