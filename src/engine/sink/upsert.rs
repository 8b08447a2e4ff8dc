//! `sink = "upsert"`: rows written into a table by key, idempotently, and
//! flushed at every snapshot: replayed rows overwrite themselves, so the
//! final table is exact without transactions. Its table is one keyed
//! operator's state, so it reads exactly one keyed operator, over an edge
//! that keeps each key's updates in order, and is never rescaled itself.

use super::plain::AppendWriter;
use super::{Output, SinkKind, SinkWriter};
use crate::engine::msg::TaskError;
use crate::engine::task::context::TaskCtx;
use crate::scenario::validate::validate_job::op_field;
use crate::scenario::validate::{require, Check};
use crate::scenario::{Operator, Partitioning, Scenario};
use futures::future::LocalBoxFuture;

/// The upsert kind.
pub struct Upsert;

impl SinkKind for Upsert {
    fn output(&self) -> Output {
        Output::Table
    }

    /// It reads exactly one keyed operator, over an edge that keeps each
    /// key's updates in order.
    fn check(&self, s: &Scenario, i: usize) -> Check {
        let op = &s.job.operators[i];
        let field = op_field(i, "input");
        let upstream: Vec<&Operator> = s.job.operators.iter().filter(|o| op.input.contains(&o.id)).collect();
        let [keyed] = upstream[..] else {
            let message = format!(
                "lists {} inputs, but `{}` is an upsert sink, whose table is one keyed operator's state; read \
                 exactly one keyed operator",
                op.input.len(),
                op.id
            );
            return Err((field, message));
        };
        if !keyed.is_keyed() {
            let message = format!(
                "reads `{}`, a {}, but `{}` is an upsert sink, whose table is a keyed operator's state; read a \
                 keyed_count, keyed_sum or keyed_co_sum",
                keyed.id,
                keyed.kind.name(),
                op.id
            );
            return Err((field, message));
        }
        let pointwise = s.parallelism_of(keyed) == s.parallelism_of(op);
        let keeps_order = match op.partition.unwrap_or(Partitioning::Forward) {
            Partitioning::Hash => true,
            Partitioning::Forward => pointwise,
            _ => false,
        };
        let message = format!(
            "`{}` is an upsert sink fed by `{}` over an edge that spreads a key's updates over several subtasks, \
             so their order, and the final row, is not defined; use partition = \"hash\"",
            op.id, keyed.id
        );
        require(keeps_order, op_field(i, "partition"), message)
    }

    fn not_rescalable(&self) -> Option<&'static str> {
        Some("an upsert sink; its table is keyed by the operator it reads, rescale that one")
    }

    fn open_writer<'a>(
        &'a self,
        ctx: &'a TaskCtx,
        _restored: Option<Vec<u8>>,
        removed: Vec<(u16, Vec<u8>)>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn SinkWriter>, TaskError>> {
        Box::pin(AppendWriter::open(ctx, removed, true))
    }
}
