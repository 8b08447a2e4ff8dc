//! The run's trace: every meaningful event, stamped with simulated time.
//!
//! - `event`  — `TraceEvent` and the `emit!` macro the engine uses
//! - `layer`  — the `tracing` layer that records events into a `Recorder`
//! - `hash`   — the stable 64-bit trace hash (the determinism fingerprint)
//! - `spans`  — the trace laid out on lanes: checkpoints, alignments,
//!   outages, recoveries and attempts as spans, single events as marks;
//!   what the timeline and the Chrome trace draw (`cli::render`)
//!
//! The engine emits through `tracing`; nothing reads the trace while the run
//! goes on except the world (to place faults and to see the job finish).

pub mod event;
pub mod hash;
pub mod layer;
pub mod spans;

pub use event::{Recorder, TraceEvent};
