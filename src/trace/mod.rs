//! The run's trace: every meaningful event, stamped with simulated time.
//!
//! - `event`  — `TraceEvent` and the `emit!` macro the engine uses
//! - `layer`  — the `tracing` layer that records events into a `Recorder`
//! - `hash`   — the stable 64-bit trace hash (the determinism fingerprint)
//! - `render` — one line per event
//! - `chrome` — Chrome/Perfetto trace JSON: the spans as complete events,
//!   every event as an instant
//! - `spans`  — the trace laid out on lanes: checkpoints, alignments,
//!   outages, recoveries and attempts as spans, single events as marks;
//!   what the timeline and the Chrome trace draw
//! - `timeline` — the run as one self-contained HTML page (inline SVG)
//!
//! The engine emits through `tracing`; nothing reads the trace while the run
//! goes on except the world (to place faults and to see the job finish).

pub mod chrome;
pub mod event;
pub mod hash;
pub mod layer;
pub mod render;
pub mod spans;
pub mod timeline;

pub use event::{Recorder, TraceEvent};
