//! The external systems the job talks to, each its own node:
//!
//! - `log`     — the replayable source log (records generated from the seed)
//! - `storage` — checkpoint storage, a replicated blob store on a durable disk
//! - `blobs`   — how storage lays out checksummed copies (shared with the oracles)
//! - `sink`    — the transactional sink store (begin/pre-commit/commit/abort)
//! - `wal`     — the checksummed append-only log the sink and others persist with

pub(crate) mod blobs;
pub(crate) mod log;
pub(crate) mod packed;
pub(crate) mod sink;
pub(crate) mod storage;
pub(crate) mod wal;
