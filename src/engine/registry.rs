//! The components a job names, by the names scenario files give them:
//! barrier protocols (`[checkpoint] protocol = "…"`), sinks
//! (`sink = "…"`) and keyed operators (`kind = "…"`). The built-in ones register through the same calls a
//! user's do (`Registry::builtin`); a job resolves its names here once, and
//! the engine and the oracles use what it resolved.

use super::keyed::KeyedKind;
pub use super::named::Named;
use super::protocol::ProtocolKind;
use super::sink::SinkKind;
use std::fmt;
use std::sync::Arc;

/// Why a component cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The name is taken by a component of the same kind.
    #[error("a {what} named `{name}` is registered already")]
    Duplicate {
        /// `protocol`, `sink` or `operator`.
        what: &'static str,
        /// The name asked for.
        name: String,
    },
    /// Files could not write the name.
    #[error("`{name}` is not a name a scenario file can write: use lowercase letters, digits and `_`")]
    BadName {
        /// The name asked for.
        name: String,
    },
    /// No component of the kind has the name (to replace it).
    #[error("no {what} named `{name}` is registered")]
    Unknown {
        /// `protocol`, `sink` or `operator`.
        what: &'static str,
        /// The name asked for.
        name: String,
    },
}

/// The registered protocols, sinks and keyed operators.
#[derive(Clone, Default)]
pub struct Registry {
    protocols: Vec<Named<dyn ProtocolKind>>,
    sinks: Vec<Named<dyn SinkKind>>,
    keyed: Vec<Named<dyn KeyedKind>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("protocols", &self.protocols)
            .field("sinks", &self.sinks)
            .field("keyed", &self.keyed)
            .finish()
    }
}

impl Registry {
    /// The built-in protocols, sinks and keyed operators.
    pub fn builtin() -> Registry {
        let mut r = Registry::default();
        for (name, kind) in super::protocol::builtins() {
            r.add_protocol(name, kind).expect("built-in protocols have distinct names");
        }
        for (name, kind) in super::sink::builtins() {
            r.add_sink(name, kind).expect("built-in sinks have distinct names");
        }
        for (name, kind) in super::keyed::builtins() {
            r.add_keyed(name, kind).expect("built-in keyed operators have distinct names");
        }
        r
    }

    /// Registers protocol `name`.
    pub fn add_protocol(&mut self, name: &str, kind: Arc<dyn ProtocolKind>) -> Result<(), RegistryError> {
        add(&mut self.protocols, "protocol", name, kind)
    }

    /// Registers sink `name`.
    pub fn add_sink(&mut self, name: &str, kind: Arc<dyn SinkKind>) -> Result<(), RegistryError> {
        add(&mut self.sinks, "sink", name, kind)
    }

    /// Registers keyed operator `name` (`kind = "name"` on an operator).
    pub fn add_keyed(&mut self, name: &str, kind: Arc<dyn KeyedKind>) -> Result<(), RegistryError> {
        if crate::scenario::OperatorKind::ENGINE_KINDS.contains(&name) {
            return Err(RegistryError::Duplicate { what: "operator", name: name.to_string() });
        }
        add(&mut self.keyed, "operator", name, kind)
    }

    /// Puts `kind` in the place of protocol `name` (a mutant, say): every
    /// file naming `name` runs it.
    pub fn replace_protocol(&mut self, name: &str, kind: Arc<dyn ProtocolKind>) -> Result<(), RegistryError> {
        replace(&mut self.protocols, "protocol", name, kind)
    }

    /// Puts `kind` in the place of sink kind `name`.
    pub fn replace_sink(&mut self, name: &str, kind: Arc<dyn SinkKind>) -> Result<(), RegistryError> {
        replace(&mut self.sinks, "sink", name, kind)
    }

    /// Puts `kind` in the place of keyed operator `name`.
    pub fn replace_keyed(&mut self, name: &str, kind: Arc<dyn KeyedKind>) -> Result<(), RegistryError> {
        replace(&mut self.keyed, "operator", name, kind)
    }

    /// The protocol named `name`.
    pub fn protocol(&self, name: &str) -> Option<&Named<dyn ProtocolKind>> {
        self.protocols.iter().find(|p| &*p.name == name)
    }

    /// The sink named `name`.
    pub fn sink(&self, name: &str) -> Option<&Named<dyn SinkKind>> {
        self.sinks.iter().find(|s| &*s.name == name)
    }

    /// The keyed operator named `name`.
    pub fn keyed(&self, name: &str) -> Option<&Named<dyn KeyedKind>> {
        self.keyed.iter().find(|k| &*k.name == name)
    }

    /// Every keyed operator's name, in registration order.
    pub fn keyed_names(&self) -> Vec<&str> {
        self.keyed.iter().map(|k| &*k.name).collect()
    }

    /// Every protocol's name, in registration order.
    pub fn protocol_names(&self) -> Vec<&str> {
        self.protocols.iter().map(|p| &*p.name).collect()
    }

    /// Every sink's name, in registration order.
    pub fn sink_names(&self) -> Vec<&str> {
        self.sinks.iter().map(|s| &*s.name).collect()
    }
}

fn add<K: ?Sized>(list: &mut Vec<Named<K>>, what: &'static str, name: &str, kind: Arc<K>) -> Result<(), RegistryError> {
    let writable = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.starts_with(|c: char| c.is_ascii_lowercase());
    if !writable {
        return Err(RegistryError::BadName { name: name.to_string() });
    }
    if list.iter().any(|n| &*n.name == name) {
        return Err(RegistryError::Duplicate { what, name: name.to_string() });
    }
    list.push(Named { name: name.into(), kind });
    Ok(())
}

fn replace<K: ?Sized>(
    list: &mut [Named<K>],
    what: &'static str,
    name: &str,
    kind: Arc<K>,
) -> Result<(), RegistryError> {
    let slot = list.iter_mut().find(|n| &*n.name == name);
    let slot = slot.ok_or_else(|| RegistryError::Unknown { what, name: name.to_string() })?;
    slot.kind = kind;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtins_are_registered_under_the_names_files_write() {
        let r = Registry::builtin();
        assert_eq!(r.protocol_names(), ["aligned", "at_least_once", "unaligned", "aligned_timeout"]);
        assert_eq!(r.sink_names(), ["two_phase_commit", "upsert", "plain", "committer"]);
        assert_eq!(r.keyed_names(), ["keyed_count", "keyed_sum", "keyed_co_sum"]);
    }

    #[test]
    fn a_name_is_registered_once_and_must_be_writable() {
        let mut r = Registry::builtin();
        let aligned = r.protocol("aligned").expect("built in").kind.clone();
        assert!(matches!(r.add_protocol("aligned", aligned.clone()), Err(RegistryError::Duplicate { .. })));
        assert!(matches!(r.add_protocol("Chandy-Lamport", aligned.clone()), Err(RegistryError::BadName { .. })));
        r.add_protocol("chandy_lamport", aligned).expect("a new name");
        assert!(r.protocol("chandy_lamport").is_some());
    }
}
