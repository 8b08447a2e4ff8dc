//! What a run looks like to a person: its trace one line per event, as
//! Chrome/Perfetto trace JSON, and as a self-contained HTML timeline.
//!
//! - `lines`    — one line per event (`--trace`, the golden traces)
//! - `chrome`   — Chrome/Perfetto trace JSON: the spans as complete events,
//!   every event as an instant (`--chrome-trace`)
//! - `timeline` — the run as one self-contained HTML page (`--timeline`)

pub mod chrome;
pub mod lines;
pub mod timeline;
