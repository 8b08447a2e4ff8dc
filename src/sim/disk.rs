//! A node's simulated disk. Writes land in a volatile page cache; `fsync`
//! takes simulated time and then makes them durable; a crash throws away what
//! was not fsynced and may tear the first unsynced append (keep a prefix).
//! `madsim::fs` loses nothing on crash, which is why this exists.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Timing and failure knobs of a disk.
#[derive(Debug, Clone)]
pub struct DiskOptions {
    /// Shortest fsync.
    pub fsync_latency_min: Duration,
    /// Longest fsync.
    pub fsync_latency_max: Duration,
    /// Probability that a crash keeps a torn prefix of the first unsynced append.
    pub torn_write_probability: f64,
}

#[derive(Debug, Clone)]
enum PendingWrite {
    Replace(Vec<u8>),
    Append(Vec<u8>),
}

#[derive(Debug, Default, Clone)]
struct File {
    durable: Vec<u8>,
    pending: Vec<PendingWrite>,
}

impl File {
    fn apply(bytes: &mut Vec<u8>, write: &PendingWrite) {
        match write {
            PendingWrite::Replace(b) => *bytes = b.clone(),
            PendingWrite::Append(b) => bytes.extend_from_slice(b),
        }
    }

    fn current(&self) -> Vec<u8> {
        let mut bytes = self.durable.clone();
        self.pending.iter().for_each(|w| File::apply(&mut bytes, w));
        bytes
    }

    fn sync_first(&mut self, count: usize) {
        for write in self.pending.drain(..count.min(self.pending.len())) {
            File::apply(&mut self.durable, &write);
        }
    }
}

struct DiskState {
    files: BTreeMap<String, File>,
    rng: ChaCha8Rng,
    options: DiskOptions,
}

/// A handle to one node's disk; clones share it. The world keeps a handle
/// across the node's restarts, which is what makes it durable.
#[derive(Clone)]
pub struct SimDisk {
    state: Arc<Mutex<DiskState>>,
}

impl SimDisk {
    pub fn new(options: DiskOptions, rng: ChaCha8Rng) -> Self {
        let state = DiskState { files: BTreeMap::new(), rng, options };
        SimDisk { state: Arc::new(Mutex::new(state)) }
    }

    fn with<T>(&self, f: impl FnOnce(&mut DiskState) -> T) -> T {
        f(&mut self.state.lock().expect("disk lock poisoned"))
    }

    /// Replaces the file's content (atomic once fsynced, like write + rename).
    pub fn write(&self, path: &str, bytes: Vec<u8>) {
        self.with(|s| s.files.entry(path.into()).or_default().pending.push(PendingWrite::Replace(bytes)));
    }

    /// Appends to the file.
    pub fn append(&self, path: &str, bytes: Vec<u8>) {
        self.with(|s| s.files.entry(path.into()).or_default().pending.push(PendingWrite::Append(bytes)));
    }

    /// What a reader on this node sees now (synced or not).
    pub fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.with(|s| s.files.get(path).map(File::current))
    }

    /// Only what survived: the durable bytes (for oracles after the run).
    pub fn read_durable(&self, path: &str) -> Option<Vec<u8>> {
        self.with(|s| s.files.get(path).map(|f| f.durable.clone()))
    }

    /// Waits the fsync latency, then makes every write issued before the call
    /// durable. A crash during the wait makes nothing durable.
    pub async fn fsync(&self, path: &str) {
        let (latency, issued) = self.with(|s| {
            let o = &s.options;
            let latency = if o.fsync_latency_max > o.fsync_latency_min {
                s.rng.gen_range(o.fsync_latency_min..=o.fsync_latency_max)
            } else {
                o.fsync_latency_min
            };
            (latency, s.files.get(path).map_or(0, |f| f.pending.len()))
        });
        madsim::time::sleep(latency).await;
        self.with(|s| {
            if let Some(file) = s.files.get_mut(path) {
                file.sync_first(issued);
            }
        });
    }

    /// Power loss: unsynced writes vanish; the first unsynced append of a file
    /// may survive as a torn prefix. Returns how many files lost writes.
    pub fn crash(&self) -> usize {
        self.with(|s| {
            let mut damaged = 0;
            let torn_p = s.options.torn_write_probability;
            for file in s.files.values_mut() {
                if file.pending.is_empty() {
                    continue;
                }
                damaged += 1;
                if let Some(PendingWrite::Append(bytes)) = file.pending.first() {
                    if !bytes.is_empty() && s.rng.gen_bool(torn_p) {
                        let keep = s.rng.gen_range(0..bytes.len());
                        file.durable.extend_from_slice(&bytes[..keep]);
                    }
                }
                file.pending.clear();
            }
            s.files.retain(|_, f| !f.durable.is_empty() || !f.pending.is_empty());
            damaged
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::SeedTree;

    fn disk(torn: f64) -> SimDisk {
        let options = DiskOptions {
            fsync_latency_min: Duration::from_millis(1),
            fsync_latency_max: Duration::from_millis(2),
            torn_write_probability: torn,
        };
        SimDisk::new(options, SeedTree::new(1).stream("disk"))
    }

    #[test]
    fn unsynced_writes_are_visible_but_lost_on_crash() {
        let d = disk(0.0);
        d.write("a", b"hello".to_vec());
        assert_eq!(d.read("a").unwrap(), b"hello");
        assert_eq!(d.read_durable("a"), Some(vec![]));
        d.crash();
        assert_eq!(d.read("a"), None);
    }

    #[test]
    fn a_crash_may_tear_the_first_unsynced_append() {
        let d = disk(1.0);
        d.append("log", b"0123456789".to_vec());
        d.append("log", b"abcdef".to_vec());
        d.crash();
        let left = d.read("log").unwrap_or_default();
        assert!(left.len() < 10 && b"0123456789".starts_with(&left));
    }

    #[test]
    fn fsync_makes_writes_durable_after_its_latency() {
        let rt = madsim::runtime::Runtime::with_seed_and_config(1, Default::default());
        let d = disk(0.0);
        let d2 = d.clone();
        rt.block_on(async move {
            d2.append("log", b"abc".to_vec());
            let t0 = madsim::time::Instant::now();
            d2.fsync("log").await;
            assert!(t0.elapsed() >= Duration::from_millis(1));
        });
        d.append("log", b"zzz".to_vec());
        d.crash();
        assert_eq!(d.read("log").unwrap(), b"abc");
    }
}
