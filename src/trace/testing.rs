//! Hand-built trace events for the tests of trace readers (spans, coverage,
//! the renderers): the common events with plausible fields.

use super::event::{FailoverKind, IdList, OrDash};
use super::fault_act::{Effect, FaultAct, Step, Strike};
use super::{Event, TraceEvent};
use crate::scenario::ids::{Attempt, CheckpointId};
use std::time::Duration;

/// `event` at `ms` on `node`.
pub fn at(ms: u64, node: &str, event: Event) -> TraceEvent {
    TraceEvent { time: Duration::from_millis(ms), node: node.into(), event }
}

fn act(fault: usize, name: &'static str, what: &'static str, on: &str, step: Step) -> Event {
    let details = if on.is_empty() { vec![] } else { vec![("target", on.to_string())] };
    Event::Fault(FaultAct { fault, name, what, on: on.to_string(), step, details })
}

fn struck(effect: Effect) -> Step {
    Step::Struck(Strike { effect, linger: Duration::ZERO })
}

/// Fault `i` crashes `node`.
pub fn crash(i: usize, node: &str) -> Event {
    act(i, "fault_crash", "crash", node, struck(Effect::Stopped { node: node.into(), crash: true }))
}

/// Fault `i` restarts `node`.
pub fn restart(i: usize, node: &str) -> Event {
    act(i, "fault_restart", "restart", node, Step::Ended { zombie: None })
}

/// Fault `i` pauses `node`.
pub fn pause(i: usize, node: &str) -> Event {
    act(i, "fault_pause", "pause", node, struck(Effect::Stopped { node: node.into(), crash: false }))
}

/// Fault `i` resumes `node`, a zombie of `zombie` = (its attempt, the current one).
pub fn resume(i: usize, node: &str, zombie: Option<(Attempt, Attempt)>) -> Event {
    act(i, "fault_resume", "resume", node, Step::Ended { zombie })
}

/// Fault `i` isolates `node`.
pub fn isolate(i: usize, node: &str) -> Event {
    act(i, "fault_cut", "isolate", node, struck(Effect::Isolated { node: node.into() }))
}

/// Fault `i` heals the link it acted on (`on`).
pub fn heal(i: usize, on: &str) -> Event {
    act(i, "fault_heal", "heal", on, Step::Ended { zombie: None })
}

/// Fault `i` slows down every link.
pub fn network(i: usize) -> Event {
    act(i, "fault_network", "network", "", struck(Effect::Global { lossy: false }))
}

/// Fault `i` rescales `operator` to `parallelism`.
pub fn rescale(i: usize, operator: &str, parallelism: usize) -> Event {
    act(i, "fault_rescale", "rescale", &format!("{operator}→{parallelism}"), struck(Effect::Rescale))
}

/// A failover for `cause` that dropped checkpoints `dropped`.
pub fn failover(cause: FailoverKind, dropped: Vec<CheckpointId>) -> Event {
    Event::JobFailover {
        attempt: 1,
        cause,
        peer: OrDash(None),
        task: OrDash(None),
        error: OrDash(None),
        service: OrDash(None),
        upstream: OrDash(None),
        checkpoint: OrDash(None),
        reason: String::new(),
        failures: 1,
        dropped_checkpoints: IdList(dropped),
    }
}
