//! The trace hash: XXH64 over a canonical encoding of every event, so two runs
//! that differ in anything observable (a time, a field, an output digest)
//! differ in hash.

use super::TraceEvent;
use std::hash::Hasher;
use twox_hash::XxHash64;

/// The stable 64-bit fingerprint of a trace.
pub fn trace_hash(events: &[TraceEvent]) -> u64 {
    let mut h = XxHash64::with_seed(0);
    for e in events {
        h.write(&(e.time.as_nanos() as u64).to_le_bytes());
        write_str(&mut h, &e.node);
        write_str(&mut h, &e.kind);
        h.write(&(e.fields.len() as u64).to_le_bytes());
        for (k, v) in &e.fields {
            write_str(&mut h, k);
            write_str(&mut h, v);
        }
    }
    h.finish()
}

fn write_str(h: &mut XxHash64, s: &str) {
    // Explicit widths and byte order: the same hash on every platform.
    h.write(&(s.len() as u64).to_le_bytes());
    h.write(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(ms: u64, kind: &str, fields: &[(&str, &str)]) -> TraceEvent {
        TraceEvent::at_ms(ms, kind, fields)
    }

    #[test]
    fn any_difference_changes_the_hash() {
        let base = vec![ev(1, "a", &[("x", "1")]), ev(2, "b", &[])];
        let h = trace_hash(&base);
        assert_eq!(h, trace_hash(&base.clone()));
        assert_ne!(h, trace_hash(&[ev(1, "a", &[("x", "2")]), ev(2, "b", &[])]));
        assert_ne!(h, trace_hash(&[ev(1, "a", &[("x", "1")]), ev(3, "b", &[])]));
        assert_ne!(h, trace_hash(&[ev(1, "a", &[("x1", "")]), ev(2, "b", &[])]));
    }

    #[test]
    fn the_hash_is_stable_across_versions() {
        // A change here means every recorded trace hash changes: say so in the changelog.
        assert_eq!(trace_hash(&[ev(5, "checkpoint_completed", &[("checkpoint", "3")])]), 7_616_377_679_928_514_449);
    }
}
