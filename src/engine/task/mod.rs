//! A running subtask.
//!
//! - `context`       — `TaskCtx`: identity, restore, snapshot upload and ack, failure reports
//! - `chain`         — the operators a task runs: its head and those chained to it
//! - `credit`        — the receiving side of flow control: credit per input channel
//! - `pressure`      — when the task was backpressured, as periods for the trace
//! - `source`        — a task headed by a source: reads the log, emits barriers on triggers
//! - `operator_task` — every other task: input channels through the
//!   checkpoint protocol into the chain, out through `Outputs`

mod chain;
pub mod context;
pub mod credit;
mod operator_task;
pub mod pressure;
mod source;

use super::msg::TaskInput;
use super::sink::SinkKind;
use crate::scenario::OperatorKind;
use context::TaskCtx;
use futures::channel::mpsc::UnboundedReceiver;
use std::rc::Rc;
use std::sync::Arc;

/// Runs a task — the operator subtasks of one chain, head first — until
/// it fails or is cancelled (dropped). `priority` carries the barriers that
/// overtake the inbox (unaligned). `sinks`: by member, the kind of sink a
/// sink (or committer) runs.
pub(crate) async fn run(
    ctxs: Vec<TaskCtx>,
    sinks: Vec<Option<Arc<dyn SinkKind>>>,
    inbox: UnboundedReceiver<TaskInput>,
    priority: UnboundedReceiver<TaskInput>,
) {
    let ctxs: Vec<Rc<TaskCtx>> = ctxs.into_iter().map(Rc::new).collect();
    let ctx = ctxs[0].clone();
    let result = match ctx.graph.op(ctx.id).kind {
        OperatorKind::Source => source::run(ctxs, sinks, inbox).await,
        _ => operator_task::run(ctxs, sinks, inbox, priority).await,
    };
    if let Err(error) = result {
        ctx.fail(error);
    }
}
