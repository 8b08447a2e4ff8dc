//! Whether the protocol phase a fault is placed at can happen under the
//! file's own configuration: a fault that could never fire is an error,
//! not a pass. `aligning` needs a task that blocks an input to align: none
//! does under a protocol that never aligns (`at_least_once`, `unaligned`),
//! except, under a protocol that keeps channel state, an operator reading a
//! pointwise or broadcast channel (it aligns, forced). And a checkpoint
//! number beyond what the run's time budget can reach is refused.

use crate::engine::graph::forced_aligned;
use crate::engine::registry::Registry;
use crate::scenario::duration::format_duration;
use crate::scenario::validate::{validate_faults::field, Check};
use crate::scenario::{Phase, Scenario};
use std::time::Duration;

/// Fault `i`'s phase can happen in `s`'s job.
pub fn check_phase(s: &Scenario, registry: &Registry, i: usize) -> Check {
    let Some(when) = &s.faults[i].when else { return Ok(()) };
    if when.phase != Phase::Aligning {
        return Ok(());
    }
    let Some(protocol) = registry.protocol(&s.checkpoint.protocol) else { return Ok(()) };
    if protocol.kind.aligns() {
        return Ok(());
    }
    let graph = crate::engine::job::graph(s, registry);
    let aligning: Vec<&str> =
        graph.ops.iter().filter(|o| forced_aligned(o, &*protocol.kind)).map(|o| o.id.as_str()).collect();
    let name = &s.checkpoint.protocol;
    match &when.task {
        None if !aligning.is_empty() => Ok(()),
        Some(task) if aligning.iter().any(|op| task.split_once('[').is_some_and(|(id, _)| id == *op)) => Ok(()),
        Some(task) if !aligning.is_empty() => Err((
            field(i, "when.task"),
            format!(
                "is `{task}`, which never aligns under protocol `{name}`; only operators reading a pointwise or \
                 broadcast channel do here: {}; or place the fault at `barrier-received` or `snapshot-taken`",
                aligning.join(", ")
            ),
        )),
        _ => Err((
            field(i, "when.phase"),
            format!(
                "is `aligning`, which never happens under protocol `{name}`: no task of this job blocks an input to \
                 align; place the fault at `barrier-received` or `snapshot-taken` instead"
            ),
        )),
    }
}

/// Fault `i`'s checkpoint can be reached within the run's time budget.
/// The coordinator triggers at most one checkpoint per `interval` (the
/// first one interval after a deployment; a failed trigger gives its id
/// back), so checkpoint n starts no earlier than n × interval. The run ends
/// by its deadline: `finish_within` after the last fault; a fault placed at
/// a phase can push it back by its own aftermath and another
/// `finish_within` once it fires. A swarm's draws move the deadline too:
/// with one, nothing is refused here.
pub fn check_checkpoint(s: &Scenario, i: usize) -> Check {
    let Some(n) = s.faults[i].when.as_ref().and_then(|w| w.checkpoint) else { return Ok(()) };
    if s.swarm.is_some() || s.checkpoint.interval.is_zero() {
        return Ok(());
    }
    let finish = s.expect.finish_within;
    let timed_end = s.faults.iter().filter_map(|f| f.at.map(|at| at + f.aftermath())).max().unwrap_or_default();
    let others: Duration = s
        .faults
        .iter()
        .enumerate()
        .filter(|(j, f)| *j != i && f.when.is_some())
        .map(|(_, f)| f.aftermath() + finish)
        .sum();
    let latest = timed_end + finish + others;
    let reachable = (latest.as_nanos() / s.checkpoint.interval.as_nanos()) as u64;
    if n <= reachable {
        return Ok(());
    }
    Err((
        field(i, "when.checkpoint"),
        format!(
            "is {n}, which the run can never reach: checkpoints start at most one per interval ({}) and the run \
             ends by {} at the latest (finish_within {} after the last fault), so the last checkpoint it can reach \
             is {reachable}; place the fault at a checkpoint up to {reachable}, or raise [expect] finish_within",
            format_duration(s.checkpoint.interval),
            format_duration(latest),
            format_duration(finish),
        ),
    ))
}
