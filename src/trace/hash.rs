//! The trace hash: XXH64 over a canonical encoding of every event — time,
//! node, kind, and each field's name and rendering — so two runs that differ
//! in anything observable (a time, a field, an output digest) differ in hash.

use super::TraceEvent;
use std::fmt::Write;
use std::hash::Hasher;
use twox_hash::XxHash64;

/// The stable 64-bit fingerprint of a trace.
pub fn trace_hash(events: &[TraceEvent]) -> u64 {
    let mut h = XxHash64::with_seed(0);
    let mut value = String::new();
    for e in events {
        h.write(&(e.time.as_nanos() as u64).to_le_bytes());
        write_str(&mut h, &e.node);
        write_str(&mut h, e.kind());
        let mut count = 0u64;
        e.fields(&mut |_, _| count += 1);
        h.write(&count.to_le_bytes());
        e.fields(&mut |name, v| {
            write_str(&mut h, name);
            value.clear();
            let _ = write!(value, "{v}");
            write_str(&mut h, &value);
        });
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
    use crate::trace::Event;
    use std::time::Duration;

    fn ev(ms: u64, event: Event) -> TraceEvent {
        TraceEvent { time: Duration::from_millis(ms), node: "n".into(), event }
    }

    fn discard(n: u64) -> Event {
        Event::CheckpointDiscard { checkpoint: n }
    }

    #[test]
    fn any_difference_changes_the_hash() {
        let base = vec![ev(1, discard(1)), ev(2, Event::WorkerStarted { boot: 1 })];
        let h = trace_hash(&base);
        assert_eq!(h, trace_hash(&base.clone()));
        assert_ne!(h, trace_hash(&[ev(1, discard(2)), ev(2, Event::WorkerStarted { boot: 1 })]));
        assert_ne!(h, trace_hash(&[ev(1, discard(1)), ev(3, Event::WorkerStarted { boot: 1 })]));
        assert_ne!(h, trace_hash(&[ev(1, discard(1)), ev(2, Event::WorkerStarted { boot: 2 })]));
    }

    /// The encoding every recorded trace hash was made with, over plain
    /// strings: time, node, kind, field count, each field's name and value.
    fn reference_hash(ms: u64, node: &str, kind: &str, fields: &[(&str, &str)]) -> u64 {
        let mut h = XxHash64::with_seed(0);
        h.write(&(Duration::from_millis(ms).as_nanos() as u64).to_le_bytes());
        write_str(&mut h, node);
        write_str(&mut h, kind);
        h.write(&(fields.len() as u64).to_le_bytes());
        for (k, v) in fields {
            write_str(&mut h, k);
            write_str(&mut h, v);
        }
        h.finish()
    }

    #[test]
    fn the_hash_is_stable_across_versions() {
        // A change here means every recorded trace hash changes: say so in the changelog.
        assert_eq!(reference_hash(5, "n", "checkpoint_completed", &[("checkpoint", "3")]), 7_616_377_679_928_514_449);
        assert_eq!(
            trace_hash(&[ev(5, discard(3))]),
            reference_hash(5, "n", "checkpoint_discard", &[("checkpoint", "3")]),
            "typed events hash as their rendering"
        );
    }
}
