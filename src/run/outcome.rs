//! Which faults fired in a run, and why the others did not: a scenario whose
//! faults never happen would otherwise pass for nothing.

use crate::scenario::duration::format_duration;
use crate::scenario::Fault;
use crate::trace::{Event, TraceEvent};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One fault of the run's plan and whether it fired.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FaultOutcome {
    /// Its index in the plan: the scenario's `[[faults]]`, then drawn ones.
    pub fault: usize,
    /// Drawn by `[swarm]` for this seed.
    pub drawn: bool,
    /// What and when, in one line.
    pub label: String,
    /// Simulated time it struck, in ms.
    pub fired_at_ms: Option<f64>,
    /// Why it never struck.
    pub not_fired: Option<String>,
}

/// The outcome of every fault in `faults` (the first `explicit` are the scenario's own).
pub fn outcomes(faults: &[Fault], explicit: usize, events: &[TraceEvent], end: Duration) -> Vec<FaultOutcome> {
    faults
        .iter()
        .enumerate()
        .map(|(i, fault)| {
            let struck = events
                .iter()
                .find(|e| matches!(&e.event, Event::Fault(act) if act.fault == i && act.strike().is_some()));
            let not_fired = match struck {
                Some(_) => None,
                None => Some(why_not(fault, i, events, end)),
            };
            FaultOutcome {
                fault: i,
                drawn: i >= explicit,
                label: super::faults::label(fault),
                fired_at_ms: struck.map(|e| e.time.as_secs_f64() * 1e3),
                not_fired,
            }
        })
        .collect()
}

fn why_not(fault: &Fault, i: usize, events: &[TraceEvent], end: Duration) -> String {
    let skipped = events.iter().find_map(|e| match &e.event {
        Event::FaultSkipped { fault, reason, .. } if *fault == i => Some(reason.clone()),
        _ => None,
    });
    if let Some(reason) = skipped {
        return reason;
    }
    if events.iter().any(|e| matches!(e.event, Event::FaultPhaseReached { fault, .. } if fault == i)) {
        return "its phase came, but its target was gone".into();
    }
    let last_end = events.iter().rev().find(|e| matches!(e.event, Event::JobFinished { .. } | Event::JobFailed { .. }));
    let ended = match last_end {
        Some(e) if matches!(e.event, Event::JobFinished { .. }) => format!("the job finished at {}", secs(e.time)),
        Some(e) => format!("the job failed at {}", secs(e.time)),
        None => format!("the run ended at {}", secs(end)),
    };
    if let Some(at) = fault.at {
        return format!("{ended}, before its time ({})", format_duration(at));
    }
    let Some(when) = &fault.when else { return "it has no placement".into() };
    let highest = events
        .iter()
        .filter_map(|e| match e.event {
            Event::CheckpointTriggered { checkpoint, .. } => Some(checkpoint),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let mut moment = format!("phase `{}`", when.phase.name());
    if let Some(n) = when.checkpoint {
        moment += &format!(" of checkpoint {n}");
    }
    if let Some(t) = &when.task {
        moment += &format!(" at {t}");
    }
    format!("{moment} never happened ({ended}; the last checkpoint triggered was {highest})")
}

fn secs(t: Duration) -> String {
    format!("{:.3}s", t.as_secs_f64())
}
