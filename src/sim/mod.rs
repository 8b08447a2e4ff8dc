//! The simulated world the engine runs in, on madsim.
//!
//! - `alarm`  — timers that ask madsim once per deadline, not once per poll
//! - `rng`    — one seed, an independent ChaCha stream per component
//! - `disk`   — per-node disk: page cache vs durable bytes, fsync latency, crash loss
//! - `net`    — reliable FIFO node-to-node messaging over madsim's network, and
//!   the run's address book
//! - `link_rules` — network faults as rules: pass, delay, drop or hold a message
//! - `slow_tasks` — the per-record processing time a fault gives a task

pub mod alarm;
pub mod disk;
pub mod link_rules;
pub mod net;
pub mod rng;
pub mod slow_tasks;

use madsim::time::TimeHandle;
use std::cell::RefCell;
use std::time::Duration;

thread_local! {
    /// The running simulation's clock, while a run holds it (`hold_clock`):
    /// `now` is asked for on every record, and finding the runtime's clock
    /// anew each time took a tenth of a run with record costs.
    static CLOCK: RefCell<Option<TimeHandle>> = const { RefCell::new(None) };
}

/// Simulated time since the run started.
pub fn now() -> Duration {
    CLOCK.with(|clock| match &*clock.borrow() {
        Some(handle) => handle.elapsed(),
        None => TimeHandle::current().elapsed(),
    })
}

/// Keeps the current runtime's clock at hand for `now` on this thread
/// until the guard drops. Call it inside the runtime.
pub fn hold_clock() -> ClockHeld {
    CLOCK.with(|clock| *clock.borrow_mut() = Some(TimeHandle::current()));
    ClockHeld(())
}

/// While it lives, `now` reads the clock `hold_clock` found.
pub struct ClockHeld(());

impl Drop for ClockHeld {
    fn drop(&mut self) {
        CLOCK.with(|clock| *clock.borrow_mut() = None);
    }
}
