//! `kind = "keyed_co_sum"`: two inputs; per key, the values of the first
//! minus those of the second (a balance of credits and debits, like a
//! `CoProcessFunction` over two connected streams).

use super::{KeyedKind, KeyedOperator, KeyedValues};

/// The keyed co-sum.
pub struct KeyedCoSum;

impl KeyedKind for KeyedCoSum {
    fn ports(&self) -> usize {
        2
    }

    fn fold(&self, port: usize, acc: i64, value: i64) -> i64 {
        if port == 0 {
            acc + value
        } else {
            acc - value
        }
    }

    fn open(&self, restored: KeyedValues) -> Box<dyn KeyedOperator> {
        Box::new(CoSum { balances: restored })
    }
}

struct CoSum {
    balances: KeyedValues,
}

impl KeyedOperator for CoSum {
    fn process(&mut self, port: usize, key: u64, value: i64) -> i64 {
        let balance = self.balances.entry(key).or_insert(0);
        *balance += if port == 1 { -value } else { value };
        *balance
    }

    fn snapshot(&mut self) -> KeyedValues {
        self.balances.clone()
    }
}
