//! A running subtask.
//!
//! - `context`       — `TaskCtx`: identity, restore, snapshot upload and ack, failure reports
//! - `source`        — a source subtask: reads the log, emits barriers on triggers
//! - `operator_task` — every other subtask: input channels through the
//!   checkpoint protocol into the operator, out through `Outputs`

pub mod context;
mod operator_task;
mod source;

use super::msg::TaskInput;
use super::sink::SinkKind;
use crate::scenario::OperatorKind;
use context::TaskCtx;
use futures::channel::mpsc::UnboundedReceiver;
use std::rc::Rc;
use std::sync::Arc;

/// Runs a subtask until it fails or is cancelled (dropped).
/// `priority` carries the barriers that overtake the inbox (unaligned).
/// `sink`: the kind of sink a sink (or committer) task runs.
pub(crate) async fn run(
    ctx: TaskCtx,
    sink: Option<Arc<dyn SinkKind>>,
    inbox: UnboundedReceiver<TaskInput>,
    priority: UnboundedReceiver<TaskInput>,
) {
    let ctx = Rc::new(ctx);
    let result = match ctx.graph.op(ctx.id).kind {
        OperatorKind::Source => source::run(ctx.clone(), inbox).await,
        _ => operator_task::run(ctx.clone(), sink, inbox, priority).await,
    };
    if let Err(error) = result {
        ctx.fail(error);
    }
}
