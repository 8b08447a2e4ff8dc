//! Rules of `[[faults]]` that hold for every kind: where a fault is placed
//! (a time or a protocol phase, at a task of the job) and that its action
//! is a registered kind, which then checks its own fields (`Catalogue`).

use super::super::{Catalogue, Fault, Scenario};
use super::validate_job::known_ids;
use super::{require, Check};

/// Every fault, in file order.
pub(super) fn faults(s: &Scenario, catalogue: &dyn Catalogue) -> Check {
    let hidden = catalogue.hidden_tasks(s);
    for (i, fault) in s.faults.iter().enumerate() {
        placement(s, &hidden, i, fault)?;
        catalogue.check_fault(s, i)?;
    }
    Ok(())
}

/// Exactly one of `at` and `when`; a `when` names a phase, and a task only
/// for phases that happen at a task.
fn placement(s: &Scenario, hidden: &[String], i: usize, f: &Fault) -> Check {
    let Some(when) = &f.when else {
        let message = "is missing; place the fault at a time (at = \"1.5s\") or at a protocol phase \
                       (when = { checkpoint = 3, phase = \"aligning\", task = \"count[1]\" })";
        return require(f.at.is_some(), field(i, "at"), message);
    };
    require(f.at.is_none(), field(i, "at"), "and `when` are both set; a fault is placed by one of them")?;
    require(when.checkpoint != Some(0), field(i, "when.checkpoint"), "is 0; checkpoint ids start at 1")?;
    let Some(task) = &when.task else { return Ok(()) };
    if !when.phase.at_a_task() {
        let message = format!("is set, but phase `{}` does not happen at a task; remove it", when.phase.name());
        return Err((field(i, "when.task"), message));
    }
    check_task(s, hidden, task).map_err(|m| (field(i, "when.task"), m))?;
    let op = task.split_once('[').and_then(|(id, _)| s.job.operators.iter().find(|o| o.id == id));
    match op {
        Some(op) if !when.phase.happens_at(&op.kind) => Err((
            field(i, "when.task"),
            format!(
                "is `{task}`, but phase `{}` never happens at a {} task; {}",
                when.phase.name(),
                op.kind.name(),
                if when.phase == crate::scenario::Phase::PreCommitted {
                    "only sinks pre-commit"
                } else {
                    "a source has no input to align"
                }
            ),
        )),
        _ => Ok(()),
    }
}

/// `task` is `OP[I]`: OP an operator id, I one of its subtasks; or one of
/// the job's `hidden` tasks (`Catalogue::hidden_tasks`).
pub fn check_task(s: &Scenario, hidden: &[String], task: &str) -> Result<(), String> {
    let example = s.job.operators.last().map_or("count", |op| op.id.as_str());
    find_task(s, hidden, task).map_err(|problem| match problem {
        TaskProblem::Malformed => format!("is `{task}`; write OP[I], e.g. task = \"{example}[0]\""),
        TaskProblem::NoOperator(id, known) => {
            format!("is `{task}`, but there is no operator `{id}`; known ids: {known}")
        }
        TaskProblem::OutOfRange(id, p) => {
            format!("is `{task}`, but `{id}` has parallelism {p}: its tasks are {id}[0]..{id}[{}]", p - 1)
        }
    })
}

/// Why `OP[I]` names no task of the job.
pub enum TaskProblem {
    /// Not of the form `OP[I]`.
    Malformed,
    /// The id, and the ids there are.
    NoOperator(String, String),
    /// The id and its parallelism.
    OutOfRange(String, usize),
}

/// Checks that `task` (`OP[I]`) is a task of the job, declared or `hidden`.
pub fn find_task(s: &Scenario, hidden: &[String], task: &str) -> Result<(), TaskProblem> {
    if hidden.iter().any(|h| h == task) {
        return Ok(());
    }
    let ops = &s.job.operators;
    let (id, index) = task.strip_suffix(']').and_then(|t| t.split_once('[')).ok_or(TaskProblem::Malformed)?;
    let index: usize = index.parse().map_err(|_| TaskProblem::Malformed)?;
    let Some(op) = ops.iter().find(|op| op.id == id) else {
        let hidden_ops: Vec<&str> = hidden.iter().filter_map(|t| t.split_once('[').map(|(op, _)| op)).collect();
        let known = if hidden_ops.is_empty() {
            known_ids(ops, id)
        } else {
            let ids: Vec<String> =
                ops.iter().map(|op| format!("`{}`", op.id)).chain(hidden.iter().map(|t| format!("`{t}`"))).collect();
            let candidates = ops.iter().map(|op| op.id.as_str()).chain(hidden_ops.iter().copied());
            format!("{}{}", ids.join(", "), crate::scenario::suggest::hint(id, candidates))
        };
        return Err(TaskProblem::NoOperator(id.to_string(), known));
    };
    let p = s.parallelism_of(op);
    if index >= p {
        return Err(TaskProblem::OutOfRange(id.to_string(), p));
    }
    Ok(())
}

/// `faults[i].name`.
pub fn field(i: usize, name: &str) -> String {
    format!("faults[{i}].{name}")
}
