//! The two budgets that bound a run, and how a run is stopped from outside.
//!
//! - **Wall-clock time** (`--wall-cap`): the simulation stops at the cap,
//!   judging `JUDGING_GRACE` later.
//! - **Memory** (`--max-memory`, by default half of the machine's memory):
//!   the most resident memory the process may hold. A scenario whose
//!   estimated footprint does not fit is refused before it runs (`admit`);
//!   a run that passes it anyway is stopped like a capped one.
//!
//! Either way the run ends with a verdict that names the budget (`Halt`
//! carries which one stopped it; `liveness` says so).

use crate::oracle::record::RunEnd;
use crate::scenario::{OperatorKind, Scenario};
use bytesize::ByteSize;
use std::sync::atomic::{AtomicU8, Ordering};

/// What the simulation costs regardless of records: the engine, its nodes,
/// the trace of a short run.
const BASE_BYTES: u64 = 24 << 20;

/// What one source record costs at the peak, per sink it reaches: its
/// packed copy in the sink store's log (6–10 bytes), one byte of the
/// reference's copies and one of the tally, and its share of the trace,
/// checkpoints and in-flight buffers. Measured: 22 bytes a record over a
/// 10M-record run with one sink (`docs/testing.md`); rounded up.
const BYTES_PER_RECORD: u64 = 32;

/// What one key costs per keyed operator: its value in the engine's
/// state, the reference model's and a consistent cut's, and a decoded
/// snapshot while judging. (Checkpoints kept for judging add more; the
/// watch during the run catches what this misses.)
const BYTES_PER_KEY: u64 = 160;

/// Why a run was stopped from outside, set by the thread watching it.
#[derive(Debug, Default)]
pub struct Halt(AtomicU8);

impl Halt {
    /// Stops the run for `why` (`WallClockCap` or `MemoryBudget`); the first reason stays.
    pub fn stop(&self, why: RunEnd) {
        let code = match why {
            RunEnd::WallClockCap => 1,
            RunEnd::MemoryBudget => 2,
            _ => return,
        };
        let _ = self.0.compare_exchange(0, code, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Why the run was stopped, if it was.
    pub fn stopped(&self) -> Option<RunEnd> {
        match self.0.load(Ordering::Relaxed) {
            1 => Some(RunEnd::WallClockCap),
            2 => Some(RunEnd::MemoryBudget),
            _ => None,
        }
    }
}

/// The default memory budget: half of the machine's memory (4 GiB where
/// the machine does not say).
pub fn default_memory() -> u64 {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok()
    });
    total.map_or(4 << 30, |kib| kib * 1024 / 2)
}

/// The process's resident memory now, where the system says.
pub fn resident() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).unwrap_or(4096))
}

/// A scenario's estimated peak memory for one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// Peak resident bytes.
    pub bytes: u64,
    /// Source records (all sources).
    pub records: u64,
    /// Sinks each record can reach.
    pub sinks: u64,
    /// Keyed state: keys (of the largest source) × keyed operators × `BYTES_PER_KEY`.
    pub state: u64,
}

/// `BASE_BYTES`, `BYTES_PER_RECORD` per source record and sink, and the keyed state.
pub fn estimate(s: &Scenario) -> Estimate {
    let sources = || s.job.operators.iter().filter(|o| o.kind == OperatorKind::Source);
    let records: u64 = sources().map(|o| o.records()).sum();
    let keys = sources().map(|o| o.keys()).max().unwrap_or(0);
    let keyed = s.job.operators.iter().filter(|o| o.kind.is_keyed()).count() as u64;
    let sinks = s.job.operators.iter().filter(|o| o.kind == OperatorKind::Sink).count().max(1) as u64;
    let state = keys.saturating_mul(keyed).saturating_mul(BYTES_PER_KEY);
    let bytes =
        BASE_BYTES.saturating_add(records.saturating_mul(sinks).saturating_mul(BYTES_PER_RECORD)).saturating_add(state);
    Estimate { bytes, records, sinks, state }
}

/// Whether `runs` runs of `s` at once fit in `budget`: `Err` names the
/// field to change (the largest source's `records`) and says by how much.
pub fn admit(s: &Scenario, budget: u64, runs: u64) -> Result<(), (String, String)> {
    let e = estimate(s);
    let need = e.bytes.saturating_mul(runs.max(1));
    if need <= budget {
        return Ok(());
    }
    let largest = |key: fn(&crate::scenario::Operator) -> u64| {
        let sources = s.job.operators.iter().enumerate().filter(|(_, o)| o.kind == OperatorKind::Source);
        sources.max_by_key(|(_, o)| key(o)).map_or(0, |(i, _)| i)
    };
    let per_run = budget / runs.max(1);
    if BASE_BYTES + e.state > per_run {
        let message = format!(
            "the keyed state would need about {} ({} bytes per key and keyed operator), which with the engine's {} \
             is more than the memory budget {} (--max-memory){}: lower `keys`, or raise --max-memory",
            show(e.state),
            BYTES_PER_KEY,
            show(BASE_BYTES),
            show(per_run),
            if runs > 1 { format!(" shared by {runs} runs at once") } else { String::new() },
        );
        return Err((format!("job.operators[{}].keys", largest(|o| o.keys())), message));
    }
    let index = largest(|o| o.records());
    let fits = per_run.saturating_sub(BASE_BYTES + e.state) / (BYTES_PER_RECORD * e.sinks);
    let at_once = if runs > 1 { format!(" × {runs} runs at once") } else { String::new() };
    let message = format!(
        "the run would need about {}{at_once} ({} records × {} sink{} × {BYTES_PER_RECORD} bytes, plus {}{}), more than \
         the memory budget {} (--max-memory); about {fits} records fit{}: lower `records`, raise --max-memory{}",
        show(e.bytes),
        e.records,
        e.sinks,
        if e.sinks == 1 { "" } else { "s" },
        if e.state > 0 { format!("{} of keyed state and ", show(e.state)) } else { String::new() },
        show(BASE_BYTES),
        show(budget),
        if runs > 1 { " in all" } else { "" },
        if runs > 1 { ", or run fewer at once (--jobs)" } else { "" },
    );
    Err((format!("job.operators[{index}].records"), message))
}

/// Parses a size: `512MiB`, `2GiB`, `2G`, `1500000000`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let size: ByteSize = s.trim().parse().map_err(|_| format!("`{s}` is not a size (e.g. 512MiB, 2GiB)"))?;
    if size.as_u64() == 0 {
        return Err("the memory budget must be more than 0".into());
    }
    Ok(size.as_u64())
}

pub use crate::scenario::words::size as show;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{self, catalogue::JobOnly};

    fn scenario(records: u64) -> Scenario {
        let text = format!(
            "name = \"t\"\n[job]\noperators = [\n{{ id = \"src\", kind = \"source\", records = {records} }},\n\
             {{ id = \"out\", kind = \"sink\", input = [\"src\"] }},\n]\n"
        );
        scenario::parse(&text, "t.toml", &JobOnly).expect("valid")
    }

    #[test]
    fn a_run_that_fits_is_admitted_and_one_that_does_not_is_refused_with_what_fits() {
        assert_eq!(admit(&scenario(1_000_000), 1 << 30, 1), Ok(()));
        let (field, message) = admit(&scenario(100_000_000), 1 << 30, 1).unwrap_err();
        assert_eq!(field, "job.operators[0].records");
        assert!(message.contains("plus 24.0 MiB), more than the memory budget 1.0 GiB (--max-memory)"), "{message}");
        assert!(message.contains("about 32768000 records fit"), "{message}");
        let (_, message) = admit(&scenario(10_000_000), 1 << 30, 4).unwrap_err();
        assert!(message.contains("× 4 runs at once") && message.contains("--jobs"), "{message}");
    }

    #[test]
    fn sizes_parse_in_the_units_people_write() {
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("512 MiB"), Ok(512 << 20));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn the_first_reason_to_stop_stays() {
        let halt = Halt::default();
        assert_eq!(halt.stopped(), None);
        halt.stop(RunEnd::MemoryBudget);
        halt.stop(RunEnd::WallClockCap);
        assert_eq!(halt.stopped(), Some(RunEnd::MemoryBudget));
    }
}
