//! Checkpoint storage's key layout, the one place that spells it: every
//! blob of checkpoint `n` lives under `chk-{n}/` (so discarding a checkpoint
//! is one prefix delete), its metadata at `chk-{n}/_metadata`, and each
//! task's snapshot at `chk-{n}/{task}-a{attempt}`, named for the attempt
//! that took it, so the oracles can tell when a checkpoint counts a
//! snapshot of another attempt. The engine writes these keys; the oracles
//! and the bit-rot fault read them back.

use crate::scenario::ids::{Attempt, CheckpointId};

/// Everything of checkpoint `n` starts with this.
pub fn prefix(n: CheckpointId) -> String {
    format!("chk-{n}/")
}

/// Checkpoint `n`'s metadata.
pub fn metadata(n: CheckpointId) -> String {
    format!("chk-{n}/_metadata")
}

/// The snapshot of `task` (its display name) taken in checkpoint `n` by `attempt`.
pub fn snapshot(n: CheckpointId, task: &str, attempt: Attempt) -> String {
    format!("chk-{n}/{task}-a{attempt}")
}

/// Whether `key` is a checkpoint's metadata (not a snapshot).
pub fn is_metadata(key: &str) -> bool {
    key.ends_with("/_metadata")
}

/// The checkpoint a key belongs to: `chk-3/count[1]-a2` → 3.
pub fn checkpoint_of(key: &str) -> Option<CheckpointId> {
    key.strip_prefix("chk-")?.split_once('/')?.0.parse().ok()
}

/// The attempt that took a snapshot: `chk-3/count[1]-a2` → 2 (`None` for metadata).
pub fn attempt_of(key: &str) -> Option<Attempt> {
    if is_metadata(key) {
        return None;
    }
    key.rsplit_once("-a")?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_their_checkpoint_and_attempt() {
        let key = snapshot(3, "count[1]", 12);
        assert_eq!(key, "chk-3/count[1]-a12");
        assert!(key.starts_with(&prefix(3)));
        assert_eq!((checkpoint_of(&key), attempt_of(&key)), (Some(3), Some(12)));
        assert!(is_metadata(&metadata(3)));
        assert_eq!((checkpoint_of(&metadata(3)), attempt_of(&metadata(3))), (Some(3), None));
        assert_eq!(checkpoint_of("sink.wal"), None);
    }
}
