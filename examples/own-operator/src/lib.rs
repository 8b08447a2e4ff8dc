//! A keyed operator ckptsim does not ship: the largest value seen per key,
//! computed the way stream engines that pre-aggregate do it — updates are
//! gathered in a small mini-batch buffer and merged into the keyed state
//! every `BUNDLE` records (Flink's Table runtime does this in its
//! `MapBundleOperator`, which merges its bundle before every checkpoint
//! barrier, in `prepareSnapshotPreBarrier`).
//!
//! - `keyed_max` — correct: the snapshot merges the buffer first.
//! - `keyed_max_unflushed_bundle` — flawed: the snapshot takes the keyed
//!   state as it is, so updates still in the buffer are in no checkpoint;
//!   a restore loses them while the sources' checkpointed offsets say they
//!   were processed. The oracles must catch it.
//!
//! The specification both are judged by is one line: `fold` is the maximum.

use ckptsim::engine::keyed::{KeyedKind, KeyedOperator, KeyedValues};
use ckptsim::run::testbed::Testbed;
use std::collections::BTreeMap;

/// Updates gathered before they are merged into the keyed state.
pub const BUNDLE: usize = 16;

/// ckptsim's components plus this crate's operators, by the names scenario
/// files give them (`kind = "keyed_max"`).
pub fn testbed() -> Testbed {
    Testbed::new()
        .operator("keyed_max", KeyedMax { flush_on_snapshot: true })
        .operator("keyed_max_unflushed_bundle", KeyedMax { flush_on_snapshot: false })
}

/// `kind = "keyed_max"` (or, with `flush_on_snapshot` off, the flawed
/// `"keyed_max_unflushed_bundle"`).
pub struct KeyedMax {
    /// Whether a snapshot merges the bundle into the state first.
    pub flush_on_snapshot: bool,
}

impl KeyedKind for KeyedMax {
    fn initial(&self) -> i64 {
        i64::MIN
    }

    fn fold(&self, _port: usize, acc: i64, value: i64) -> i64 {
        acc.max(value)
    }

    fn open(&self, restored: KeyedValues) -> Box<dyn KeyedOperator> {
        Box::new(MiniBatchMax { state: restored, bundle: BTreeMap::new(), buffered: 0, flush: self.flush_on_snapshot })
    }
}

/// One subtask: the keyed state, and the bundle of updates not merged yet.
pub struct MiniBatchMax {
    state: KeyedValues,
    bundle: BTreeMap<u64, i64>,
    buffered: usize,
    flush: bool,
}

impl MiniBatchMax {
    /// Merges the bundle into the keyed state.
    fn finish_bundle(&mut self) {
        for (key, max) in std::mem::take(&mut self.bundle) {
            let v = self.state.entry(key).or_insert(max);
            *v = (*v).max(max);
        }
        self.buffered = 0;
    }
}

impl KeyedOperator for MiniBatchMax {
    fn process(&mut self, _port: usize, key: u64, value: i64) -> i64 {
        let stored = self.state.get(&key).copied().unwrap_or(i64::MIN);
        let pending = self.bundle.entry(key).or_insert(i64::MIN);
        *pending = (*pending).max(value);
        let max = stored.max(*pending);
        self.buffered += 1;
        if self.buffered >= BUNDLE {
            self.finish_bundle();
        }
        max
    }

    fn snapshot(&mut self) -> KeyedValues {
        if self.flush {
            self.finish_bundle();
        }
        self.state.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_emits_the_running_maximum_and_its_snapshot_holds_every_update() {
        let mut op = KeyedMax { flush_on_snapshot: true }.open(KeyedValues::new());
        assert_eq!([3, 9, 4].map(|v| op.process(0, 7, v)), [3, 9, 9]);
        assert_eq!(op.snapshot(), KeyedValues::from([(7, 9)]));
    }

    #[test]
    fn the_flawed_variant_snapshots_without_the_bundle() {
        let mut op = KeyedMax { flush_on_snapshot: false }.open(KeyedValues::new());
        op.process(0, 7, 3);
        assert_eq!(op.snapshot(), KeyedValues::new(), "the update is still in the bundle");
    }
}
