//! The bug zoo: planted bugs that each model a real checkpointing mistake.
//! An oracle that no planted bug trips has no teeth; `sim-tests/bug_zoo.rs`
//! proves each one is caught within 64 seeds while the correct engine passes.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A deliberate defect, switched on by `--bug NAME` or `bug = "NAME"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bug {
    /// A task snapshots on the first barrier without blocking its other
    /// inputs, so records from a slower input that precede their barrier are
    /// covered by the source offsets but missing from the state: the
    /// inconsistent cut that alignment exists to prevent (ABS paper §3, L5).
    SkipAlignment,
    /// The 2PC sink commits its transaction at pre-commit instead of on
    /// notify-complete, so output of a checkpoint that later fails is already
    /// visible and is produced again after recovery (T2/T3; the classic
    /// "commit in snapshotState" mistake).
    CommitOnSnapshot,
    /// Sources do not seek to the checkpointed offsets on restore and start
    /// from the beginning of their partitions, replaying records the restored
    /// state already counted (L4, recovery; a lost or ignored offset store).
    NoOffsetRestore,
    /// The coordinator completes a checkpoint when all but one task acked,
    /// so a completed checkpoint can miss a task's state (L13; an off-by-one
    /// in ack counting).
    CompleteWithoutAllAcks,
    /// Input channels do not check buffer sequence numbers, so a buffer lost
    /// with a broken connection goes unnoticed and the task computes on
    /// partial input (Flink fails on a sequence mismatch; a TCP-is-reliable
    /// assumption forgets that connections break).
    IgnoreSequenceGaps,
}

impl Bug {
    /// Every planted bug, in the order `ckptsim bugs` lists them.
    pub const ALL: [Bug; 5] = [
        Bug::SkipAlignment,
        Bug::CommitOnSnapshot,
        Bug::NoOffsetRestore,
        Bug::CompleteWithoutAllAcks,
        Bug::IgnoreSequenceGaps,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Bug::SkipAlignment => "skip_alignment",
            Bug::CommitOnSnapshot => "commit_on_snapshot",
            Bug::NoOffsetRestore => "no_offset_restore",
            Bug::CompleteWithoutAllAcks => "complete_without_all_acks",
            Bug::IgnoreSequenceGaps => "ignore_sequence_gaps",
        }
    }

    /// One line for `ckptsim bugs`.
    pub fn description(self) -> &'static str {
        match self {
            Bug::SkipAlignment => "snapshot on the first barrier without blocking the other inputs (breaks L5)",
            Bug::CommitOnSnapshot => "the 2PC sink commits at pre-commit instead of on notify-complete (breaks T3)",
            Bug::NoOffsetRestore => "sources ignore the checkpointed offsets on restore and replay from 0 (breaks L4)",
            Bug::CompleteWithoutAllAcks => "a checkpoint completes when all but one task acked (breaks L13)",
            Bug::IgnoreSequenceGaps => "input channels ignore buffer sequence gaps after a broken connection (I1)",
        }
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Bug {
    type Err = String;
    fn from_str(s: &str) -> Result<Bug, String> {
        Bug::ALL.into_iter().find(|b| b.name() == s).ok_or_else(|| {
            let names: Vec<_> = Bug::ALL.iter().map(|b| b.name()).collect();
            format!("unknown bug `{s}` (known: {})", names.join(", "))
        })
    }
}
