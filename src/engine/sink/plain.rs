//! `sink = "plain"`: rows appended and visible at once, flushed at every
//! snapshot; after a failure the rows since the last checkpoint are written
//! again, so the output is at-least-once.

use super::{append, Output, SinkKind, SinkWriter};
use crate::engine::msg::TaskError;
use crate::engine::task::context::TaskCtx;
use futures::future::LocalBoxFuture;

/// The plain (append) kind.
pub struct Plain;

impl SinkKind for Plain {
    fn name(&self) -> &'static str {
        "plain"
    }

    fn output(&self) -> Output {
        Output::Appended
    }

    fn open_writer<'a>(
        &'a self,
        ctx: &'a TaskCtx,
        _restored: Option<Vec<u8>>,
        removed: Vec<(u16, Vec<u8>)>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn SinkWriter>, TaskError>> {
        Box::pin(append::open(ctx, removed, false))
    }
}
