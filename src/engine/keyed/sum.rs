//! `kind = "keyed_sum"`: per key, the sum of the values it saw.

use super::{KeyedKind, KeyedOperator, KeyedValues};

/// The keyed sum.
pub struct KeyedSum;

impl KeyedKind for KeyedSum {
    fn fold(&self, _port: usize, acc: i64, value: i64) -> i64 {
        acc + value
    }

    fn open(&self, restored: KeyedValues) -> Box<dyn KeyedOperator> {
        Box::new(Sum { sums: restored })
    }
}

struct Sum {
    sums: KeyedValues,
}

impl KeyedOperator for Sum {
    fn process(&mut self, _port: usize, key: u64, value: i64) -> i64 {
        let sum = self.sums.entry(key).or_insert(0);
        *sum += value;
        *sum
    }

    fn snapshot(&mut self) -> KeyedValues {
        self.sums.clone()
    }
}
