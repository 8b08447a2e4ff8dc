//! How `storage` lays a blob out on its disk: `replicas` copies, each file
//! `KEY#r` holding `[crc32 u32][len u64][bytes]`. A read verifies each copy
//! in turn and uses the first healthy one. The storage node and the oracles
//! both read through here, so they agree on what "readable" means.

use crate::sim::disk::{DiskError, SimDisk};

/// The file holding copy `r` of `key`.
pub fn copy_path(key: &str, r: usize) -> String {
    format!("{key}#{r}")
}

/// The key of a copy's file, and the copy number.
pub fn key_of(path: &str) -> Option<(&str, usize)> {
    let (key, r) = path.rsplit_once('#')?;
    Some((key, r.parse().ok()?))
}

/// One copy's bytes as stored: checksum, length, content.
pub fn encode_copy(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 12);
    out.extend_from_slice(&crc32fast::hash(bytes).to_le_bytes());
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
    out
}

/// Why a stored copy cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadCopy {
    /// Absent (never written, or lost).
    Missing,
    /// The disk failed to read it.
    Unreadable(DiskError),
    /// Its checksum or length does not match: bit rot or a torn write.
    Corrupt,
}

/// The content of a stored copy, if its checksum and length hold.
pub fn decode_copy(stored: &[u8]) -> Result<&[u8], BadCopy> {
    let header = stored.get(..12).ok_or(BadCopy::Corrupt)?;
    let crc = u32::from_le_bytes(header[..4].try_into().expect("4 bytes"));
    let len = u64::from_le_bytes(header[4..12].try_into().expect("8 bytes"));
    let body = &stored[12..];
    if body.len() as u64 != len || crc32fast::hash(body) != crc {
        return Err(BadCopy::Corrupt);
    }
    Ok(body)
}

/// A copy's content, without checking it (planted bug `ignore_checksum`).
pub fn content_unchecked(stored: &[u8]) -> &[u8] {
    stored.get(12..).unwrap_or_default()
}

/// What reading a blob found: its content (from the first healthy copy) and
/// what was wrong with the copies tried before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRead {
    pub content: Option<Vec<u8>>,
    pub bad: Vec<(usize, BadCopy)>,
}

impl BlobRead {
    /// No copy exists at all.
    pub fn missing(&self) -> bool {
        self.content.is_none() && self.bad.iter().all(|(_, b)| *b == BadCopy::Missing)
    }

    /// `r0 corrupt, r1 unreadable`.
    pub fn describe_bad(&self) -> String {
        let parts: Vec<String> = self
            .bad
            .iter()
            .map(|(r, b)| match b {
                BadCopy::Missing => format!("r{r} missing"),
                BadCopy::Unreadable(_) => format!("r{r} unreadable"),
                BadCopy::Corrupt => format!("r{r} corrupt"),
            })
            .collect();
        parts.join(", ")
    }
}

/// Reads `key` as the oracles see it after the run: durable bytes only,
/// deleted blobs included.
pub fn read_durable(disk: &SimDisk, key: &str, replicas: usize) -> BlobRead {
    read_with(key, replicas, |path| Ok(disk.read_durable_ever(path)))
}

/// Reads `key` through `read_copy`, copy by copy, until one is healthy.
pub fn read_with(
    key: &str,
    replicas: usize,
    mut read_copy: impl FnMut(&str) -> Result<Option<Vec<u8>>, DiskError>,
) -> BlobRead {
    let mut bad = vec![];
    for r in 0..replicas {
        match read_copy(&copy_path(key, r)) {
            Err(e) => bad.push((r, BadCopy::Unreadable(e))),
            Ok(None) => bad.push((r, BadCopy::Missing)),
            Ok(Some(stored)) => match decode_copy(&stored) {
                Ok(body) => return BlobRead { content: Some(body.to_vec()), bad },
                Err(why) => bad.push((r, why)),
            },
        }
    }
    BlobRead { content: None, bad }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_round_trips_and_a_flipped_bit_is_caught() {
        let mut stored = encode_copy(b"snapshot");
        assert_eq!(decode_copy(&stored), Ok(&b"snapshot"[..]));
        stored[14] ^= 4;
        assert_eq!(decode_copy(&stored), Err(BadCopy::Corrupt));
        assert_eq!(decode_copy(&stored[..5]), Err(BadCopy::Corrupt));
    }

    #[test]
    fn a_read_falls_back_to_the_next_healthy_copy() {
        let mut rotted = encode_copy(b"state");
        rotted[13] ^= 1;
        let copies = [Some(rotted), Some(encode_copy(b"state"))];
        let read = read_with("k", 2, |path| Ok(copies[key_of(path).unwrap().1].clone()));
        assert_eq!(read.content.as_deref(), Some(&b"state"[..]));
        assert_eq!(read.describe_bad(), "r0 corrupt");
    }

    #[test]
    fn no_healthy_copy_is_no_content() {
        let read =
            read_with("k", 2, |path| if path.ends_with("#0") { Err(DiskError::Read(path.into())) } else { Ok(None) });
        assert_eq!(read.content, None);
        assert!(!read.missing());
        assert_eq!(read.describe_bad(), "r0 unreadable, r1 missing");
    }
}
