//! Records as the sink store keeps them on its disk: packed. A record in
//! memory takes 40 bytes; packed it takes 6–10. Each field is a LEB128
//! varint, and the fields that move slowly are stored as differences: the
//! offset from the previous record of the same partition, the attempt from
//! the previous record's. The count leads, so a reader that only needs the
//! number of records (a pre-commit's completeness check) never unpacks.
//!
//! This is what keeps a long run's memory bounded by state rather than by
//! records: the store's log is the only place a committed record lives,
//! and readers unpack it one batch at a time. A batch read from the log
//! borrows its bytes there (no copy per entry).

use crate::engine::msg::{Origin, Record};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// A batch of records, packed: its own bytes, or a log's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packed<'a>(#[serde(borrow, with = "serde_bytes")] Cow<'a, [u8]>);

impl Packed<'_> {
    /// Packs `records`, in order.
    pub fn pack(records: &[Record]) -> Packed<'static> {
        let mut out = Vec::with_capacity(4 + records.len() * 8);
        put(&mut out, records.len() as u64);
        let mut prev = Prev::default();
        for r in records {
            put(&mut out, r.key);
            put(&mut out, zigzag(r.value));
            put(&mut out, u64::from(r.origin.source));
            put(&mut out, u64::from(r.origin.partition));
            let last = prev.offset(r.origin.source, r.origin.partition);
            put(&mut out, zigzag(r.origin.offset.wrapping_sub(*last) as i64));
            *last = r.origin.offset;
            put(&mut out, zigzag(r.attempt.wrapping_sub(prev.attempt) as i64));
            prev.attempt = r.attempt;
        }
        Packed(Cow::Owned(out))
    }

    /// How many records it holds.
    pub fn count(&self) -> usize {
        get(&self.0, &mut 0).unwrap_or(0) as usize
    }

    /// Its records, in order; a damaged batch ends early (the log's
    /// checksums keep damaged batches from ever being read).
    pub fn records(&self) -> impl Iterator<Item = Record> + '_ {
        let mut at = 0;
        let n = get(&self.0, &mut at).unwrap_or(0);
        let mut prev = Prev::default();
        (0..n).map_while(move |_| {
            let key = get(&self.0, &mut at)?;
            let value = unzigzag(get(&self.0, &mut at)?);
            let source = u16::try_from(get(&self.0, &mut at)?).ok()?;
            let partition = u32::try_from(get(&self.0, &mut at)?).ok()?;
            let last = prev.offset(source, partition);
            *last = last.wrapping_add(unzigzag(get(&self.0, &mut at)?) as u64);
            let origin = Origin { source, partition, offset: *last };
            prev.attempt = prev.attempt.wrapping_add(unzigzag(get(&self.0, &mut at)?) as u64);
            Some(Record { key, value, origin, attempt: prev.attempt })
        })
    }

    /// The attempt of each record, in order, skipping over the other fields
    /// without unpacking them (what fencing asks of every batch).
    pub fn attempts(&self) -> impl Iterator<Item = u64> + '_ {
        let mut at = 0;
        let n = get(&self.0, &mut at).unwrap_or(0);
        let mut attempt = 0u64;
        (0..n).map_while(move |_| {
            for _ in 0..FIELDS_BEFORE_ATTEMPT {
                skip(&self.0, &mut at)?;
            }
            attempt = attempt.wrapping_add(unzigzag(get(&self.0, &mut at)?) as u64);
            Some(attempt)
        })
    }

    /// Bytes it takes.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.0.len()
    }
}

/// What the differences are taken from: the previous record's attempt, and
/// the last offset of each partition seen (a batch interleaves a few).
#[derive(Default)]
struct Prev {
    attempt: u64,
    offsets: Vec<((u16, u32), u64)>,
    /// Where in `offsets` the last partition asked for is.
    last: usize,
}

impl Prev {
    /// The last offset seen of a partition (0 before its first record), to
    /// read and then move on.
    #[inline]
    fn offset(&mut self, source: u16, partition: u32) -> &mut u64 {
        let p = (source, partition);
        // Records of one partition mostly follow each other: try the last first.
        if self.offsets.get(self.last).is_none_or(|(q, _)| *q != p) {
            self.last = match self.offsets.iter().position(|(q, _)| *q == p) {
                Some(i) => i,
                None => {
                    self.offsets.push((p, 0));
                    self.offsets.len() - 1
                }
            };
        }
        &mut self.offsets[self.last].1
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

#[inline]
fn put(out: &mut Vec<u8>, mut v: u64) {
    if v < 0x80 {
        out.push(v as u8);
        return;
    }
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Key, value, source, partition and offset come before the attempt.
const FIELDS_BEFORE_ATTEMPT: usize = 5;

/// Steps over one varint.
#[inline]
fn skip(bytes: &[u8], at: &mut usize) -> Option<()> {
    if *bytes.get(*at)? < 0x80 {
        *at += 1;
        return Some(());
    }
    let len = bytes.get(*at..)?.iter().position(|b| *b < 0x80)?;
    *at += len + 1;
    Some(())
}

#[inline]
fn get(bytes: &[u8], at: &mut usize) -> Option<u64> {
    // Most fields fit one byte: read those without the loop.
    let b = *bytes.get(*at)?;
    if b < 0x80 {
        *at += 1;
        return Some(u64::from(b));
    }
    get_long(bytes, at)
}

fn get_long(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record(key: u64, value: i64, partition: u32, offset: u64, attempt: u64) -> Record {
        Record { key, value, origin: Origin { source: 1, partition, offset }, attempt }
    }

    #[test]
    fn a_typical_batch_packs_to_a_fifth_of_its_size() {
        let records: Vec<Record> =
            (0..64).map(|i| record(i % 50, i as i64 * 3 + 1, (i % 4) as u32, 10_000 + i / 4 * 2, 2)).collect();
        let packed = Packed::pack(&records);
        assert_eq!(packed.count(), 64);
        assert!(packed.bytes() <= 64 * 8, "{} bytes", packed.bytes());
        assert_eq!(packed.records().collect::<Vec<_>>(), records);
    }

    proptest! {
        #[test]
        fn unpacking_gives_back_what_was_packed(
            fields in proptest::collection::vec((any::<u64>(), any::<i64>(), 0u16..3, any::<u32>(), any::<u64>(), any::<u64>()), 0..40)
        ) {
            let records: Vec<Record> = fields
                .into_iter()
                .map(|(key, value, source, partition, offset, attempt)| Record {
                    key, value, origin: Origin { source, partition, offset }, attempt,
                })
                .collect();
            let packed = Packed::pack(&records);
            prop_assert_eq!(packed.count(), records.len());
            prop_assert_eq!(packed.records().collect::<Vec<_>>(), records.clone());
            prop_assert_eq!(packed.attempts().collect::<Vec<_>>(), records.iter().map(|r| r.attempt).collect::<Vec<_>>());
        }
    }
}
