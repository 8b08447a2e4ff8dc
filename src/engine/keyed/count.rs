//! `kind = "keyed_count"`: per key, how many records it saw.

use super::{KeyedKind, KeyedOperator, KeyedValues};

/// The keyed count.
pub struct KeyedCount;

impl KeyedKind for KeyedCount {
    fn fold(&self, _port: usize, acc: i64, _value: i64) -> i64 {
        acc + 1
    }

    fn open(&self, restored: KeyedValues) -> Box<dyn KeyedOperator> {
        Box::new(Count { counts: restored })
    }
}

struct Count {
    counts: KeyedValues,
}

impl KeyedOperator for Count {
    fn process(&mut self, _port: usize, key: u64, _value: i64) -> i64 {
        let n = self.counts.entry(key).or_insert(0);
        *n += 1;
        *n
    }

    fn snapshot(&mut self) -> KeyedValues {
        self.counts.clone()
    }
}
