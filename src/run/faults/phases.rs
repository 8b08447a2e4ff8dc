//! Whether the protocol phase a fault is placed at can happen under the
//! file's own configuration: a fault that could never fire is an error,
//! not a pass. `aligning` needs a task that blocks an input to align: none
//! does under a protocol that never aligns (`at_least_once`, `unaligned`),
//! except, under a protocol that keeps channel state, an operator reading a
//! pointwise or broadcast channel (it aligns, forced).

use crate::engine::graph::forced_aligned;
use crate::engine::registry::Registry;
use crate::scenario::validate::{validate_faults::field, Check};
use crate::scenario::{Phase, Scenario};

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
