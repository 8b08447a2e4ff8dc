//! Keyed operators: a value per key, folded over the key's records, every
//! kind behind one trait (`KeyedKind`), one file per kind, listed under the
//! names files give them (`kind = "keyed_count"`) in `builtins`:
//!
//! - `keyed_count`  — per key, how many records it saw
//! - `keyed_sum`    — per key, the sum of their values
//! - `keyed_co_sum` — two inputs: per key, the first input's values minus
//!   the second's (a balance, like a `CoProcessFunction`)
//!
//! A kind is two things, kept apart on purpose. `open` gives the
//! implementation the engine runs in every subtask: it processes records,
//! is snapshotted at each checkpoint and restored from its snapshot after
//! a failure or a rescale. `fold` is its specification: the reference
//! model folds the log with it, in log order, record by record, and the
//! oracles hold every run to the result — the state checkpoints must
//! contain (`exactly_once_state`, `consistent_cut`) and the last value per
//! key a sink fed by the operator must end with. A user's operator is
//! judged exactly like the built-in ones.
//!
//! Every operator emits, for each record, the key's new value. Since the
//! engine folds in arrival order and the reference in log order, the fold
//! must not depend on the order of a key's records (commutative and
//! associative, as a count, a sum, a minimum or a maximum is).
//!
//! ```
//! use ckptsim::engine::keyed::{KeyedKind, KeyedOperator, KeyedValues};
//!
//! /// `kind = "keyed_max"`: the largest value seen per key.
//! struct KeyedMax;
//!
//! impl KeyedKind for KeyedMax {
//!     fn initial(&self) -> i64 {
//!         i64::MIN
//!     }
//!     fn fold(&self, _port: usize, acc: i64, value: i64) -> i64 {
//!         acc.max(value)
//!     }
//!     fn open(&self, restored: KeyedValues) -> Box<dyn KeyedOperator> {
//!         Box::new(Max(restored))
//!     }
//! }
//!
//! struct Max(KeyedValues);
//!
//! impl KeyedOperator for Max {
//!     fn process(&mut self, _port: usize, key: u64, value: i64) -> i64 {
//!         let max = self.0.entry(key).or_insert(value);
//!         *max = (*max).max(value);
//!         *max
//!     }
//!     fn snapshot(&mut self) -> KeyedValues {
//!         self.0.clone()
//!     }
//! }
//!
//! let mut op = KeyedMax.open(KeyedValues::new());
//! assert_eq!([3, 9, 4].map(|v| op.process(0, 7, v)), [3, 9, 9]);
//! assert_eq!(KeyedMax.fold(0, KeyedMax.fold(0, KeyedMax.initial(), 4), 9), 9);
//! ```

pub(crate) mod co_sum;
pub(crate) mod count;
pub(crate) mod sum;

use crate::scenario::validate::validate_job::op_field;
use crate::scenario::validate::Check;
use crate::scenario::Scenario;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A keyed operator's state: the value per key (what its snapshots hold).
pub type KeyedValues = BTreeMap<u64, i64>;

/// A kind of keyed operator, by the name a file gives as `kind = "…"`.
pub trait KeyedKind: Send + Sync {
    /// How many distinct inputs it reads. 1 (the default): any number of
    /// inputs, all one stream, every record on port 0. More: exactly that
    /// many inputs, the `i`-th the file lists arriving on port `i`.
    fn ports(&self) -> usize {
        1
    }

    /// A key's value before its first record.
    fn initial(&self) -> i64 {
        0
    }

    /// The specification: a key's value after one more record `value` on
    /// `port`, from `acc`. The oracles fold the log with it; it must not
    /// depend on the order of a key's records.
    fn fold(&self, port: usize, acc: i64, value: i64) -> i64;

    /// The implementation: a subtask of the operator, opened from its
    /// restored values per key (empty on a fresh start; after a rescale,
    /// the keys of the subtask's key groups).
    fn open(&self, restored: KeyedValues) -> Box<dyn KeyedOperator>;

    /// Checks operator `i` of `s` against what this kind needs, beyond the
    /// number of inputs (checked from `ports`).
    fn check(&self, _s: &Scenario, _i: usize) -> Check {
        Ok(())
    }
}

/// One subtask of a keyed operator.
pub trait KeyedOperator {
    /// One record for `key` on `port`: the key's new value, which the
    /// operator emits as the record's value.
    fn process(&mut self, port: usize, key: u64, value: i64) -> i64;

    /// The values per key to checkpoint; `KeyedKind::open` gets them back
    /// on restore.
    fn snapshot(&mut self) -> KeyedValues;
}

/// The inputs operator `i` lists against the ports `kind` reads.
pub(crate) fn check_ports(kind: &dyn KeyedKind, s: &Scenario, i: usize) -> Check {
    let op = &s.job.operators[i];
    let ports = kind.ports();
    if ports > 1 && op.input.len() != ports {
        let message = format!(
            "lists {} inputs, but `{}` is a {}, which reads exactly {ports}, one per port in the order listed",
            op.input.len(),
            op.id,
            op.kind.name()
        );
        return Err((op_field(i, "input"), message));
    }
    kind.check(s, i)
}

/// The built-in keyed operators, under the names files give them (what
/// `Registry::builtin` registers).
pub(crate) fn builtins() -> Vec<(&'static str, Arc<dyn KeyedKind>)> {
    vec![
        ("keyed_count", Arc::new(count::KeyedCount)),
        ("keyed_sum", Arc::new(sum::KeyedSum)),
        ("keyed_co_sum", Arc::new(co_sum::KeyedCoSum)),
    ]
}
