//! Planted bugs that are wrong components: each file is a protocol, sink or
//! keyed operator written against the public API alone (what a user's
//! crate has), which `--bug` puts in the place of the registered component
//! it corrupts. The zoo's catches of these are the proof that a user's
//! wrong component is caught the same way.

pub(crate) mod commit_on_snapshot;
pub(crate) mod delta_snapshot_as_full;
pub(crate) mod skip_alignment;
