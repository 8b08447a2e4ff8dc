//! `delta_snapshot_as_full`, as a keyed operator: it wraps a correct one
//! and checkpoints only the keys it changed since its previous snapshot —
//! an incremental snapshot — while restore takes what it reads back as
//! the whole state, so every key left untouched in the last checkpoint
//! interval is lost. It takes the place of `keyed_count`.

use crate::engine::keyed::{KeyedKind, KeyedOperator, KeyedValues};
use std::collections::BTreeSet;
use std::sync::Arc;

/// A keyed operator whose snapshots are deltas, around the `inner` one.
pub(crate) struct DeltaSnapshot(pub Arc<dyn KeyedKind>);

impl KeyedKind for DeltaSnapshot {
    fn ports(&self) -> usize {
        self.0.ports()
    }

    fn initial(&self) -> i64 {
        self.0.initial()
    }

    fn fold(&self, port: usize, acc: i64, value: i64) -> i64 {
        self.0.fold(port, acc, value)
    }

    fn open(&self, restored: KeyedValues) -> Box<dyn KeyedOperator> {
        Box::new(Delta { inner: self.0.open(restored), changed: BTreeSet::new() })
    }
}

struct Delta {
    inner: Box<dyn KeyedOperator>,
    changed: BTreeSet<u64>,
}

impl KeyedOperator for Delta {
    fn process(&mut self, port: usize, key: u64, value: i64) -> i64 {
        self.changed.insert(key);
        self.inner.process(port, key, value)
    }

    fn snapshot(&mut self) -> KeyedValues {
        let mut values = self.inner.snapshot();
        values.retain(|key, _| self.changed.contains(key));
        self.changed.clear();
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::registry::Registry;

    #[test]
    fn a_snapshot_holds_only_the_keys_changed_since_the_last() {
        let count = Registry::builtin().keyed("keyed_count").expect("built in").kind.clone();
        let mut op = DeltaSnapshot(count).open(KeyedValues::new());
        op.process(0, 1, 5);
        op.process(0, 2, 5);
        assert_eq!(op.snapshot().len(), 2);
        op.process(0, 2, 5);
        assert_eq!(op.snapshot(), KeyedValues::from([(2, 2)]));
    }
}
