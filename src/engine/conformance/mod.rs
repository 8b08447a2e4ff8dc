//! Flink's own unit tests, mirrored: each module is one Flink test class
//! (its name in snake case), each test one of its cases that applies to
//! ckptsim's sans-IO cores, named after the Flink test method it mirrors
//! and written anew against ckptsim's cores. `docs/conformance.md` lists
//! every class with its cases mirrored, not applicable (and why) and
//! where ckptsim deliberately differs.

mod barriers;
/// Its helpers (a running coordinator, acks, completion) serve
/// `coordinator_tests` too.
pub(crate) mod coordinator;
mod restart;
mod sinks;
