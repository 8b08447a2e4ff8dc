//! The name a file (and a trace) writes for a value of one of the format's
//! enums, taken from the value's own serde rename, so no table repeats it.

use serde::Serialize;

/// `MessageClass::NotifyComplete` → `notify_complete`: the serde name of a
/// unit variant (empty for anything serde does not write as a string).
pub fn name_of<T: Serialize>(value: &T) -> String {
    match toml::Value::try_from(value) {
        Ok(toml::Value::String(name)) => name,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{MessageClass, Phase};

    #[test]
    fn a_variant_is_named_as_files_write_it() {
        assert_eq!(name_of(&MessageClass::NotifyComplete), "notify_complete");
        assert_eq!(name_of(&Phase::BarrierReceived), "barrier-received");
    }
}
