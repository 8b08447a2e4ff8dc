//! A component as a job resolved it: the name files give it, and the kind.

use std::fmt;
use std::sync::Arc;

/// A registered component and the name files give it.
pub struct Named<K: ?Sized> {
    /// `aligned`, `two_phase_commit`, `kafka_txn`.
    pub name: Arc<str>,
    /// The component.
    pub kind: Arc<K>,
}

impl<K: ?Sized> Clone for Named<K> {
    fn clone(&self) -> Self {
        Named { name: self.name.clone(), kind: self.kind.clone() }
    }
}

impl<K: ?Sized> fmt::Debug for Named<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}
