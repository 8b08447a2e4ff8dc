//! A node's simulated disk. Writes land in a volatile page cache; `fsync`
//! takes simulated time and then makes them durable; a crash throws away what
//! was not fsynced and may tear the first unsynced append (keep a prefix).
//! `madsim::fs` loses nothing on crash, which is why this exists.
//!
//! Disk faults act for a window: writes, fsyncs and reads fail with given
//! probabilities, fsyncs take longer, the disk fills up (a write that would
//! grow its live files past a capacity fails with ENOSPC), and bit rot flips
//! a bit in a file's durable bytes. Deleted files leave their last durable bytes behind for the
//! oracles (like a versioned bucket), never for the engine.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What an injected disk fault changes while it acts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DiskFaults {
    /// Probability that a write or append fails.
    pub write_error: f64,
    /// Probability that an fsync fails.
    pub fsync_error: f64,
    /// Probability that a read fails.
    pub read_error: f64,
    /// Fsync duration range while the fault acts, replacing the disk's own.
    pub fsync_latency: Option<(Duration, Duration)>,
    /// Bytes the disk holds at most: a write or append that would grow its
    /// live files (as the node sees them, synced or not) past this fails
    /// with ENOSPC, and writes nothing. Writes that do not grow it pass.
    pub capacity: Option<u64>,
}

/// An injected I/O error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
pub enum DiskError {
    /// A write or append failed; nothing of it was written.
    #[error("write to {0} failed (I/O error)")]
    Write(String),
    /// An fsync failed; the writes it covered are still not durable.
    #[error("fsync of {0} failed (I/O error)")]
    Fsync(String),
    /// A read failed.
    #[error("read of {0} failed (I/O error)")]
    Read(String),
    /// A write or append found the disk full (ENOSPC); nothing of it was written.
    #[error("write to {0} failed (no space left on device)")]
    NoSpace(String),
}

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
    /// When the durable bytes last changed (the fsync that synced them).
    synced_at: Option<Duration>,
}

impl File {
    fn apply(bytes: &mut Vec<u8>, write: &PendingWrite) {
        match write {
            PendingWrite::Replace(b) => *bytes = b.clone(),
            PendingWrite::Append(b) => bytes.extend_from_slice(b),
        }
    }

    /// The length of `current()`, without building it.
    fn len(&self) -> u64 {
        self.pending.iter().fold(self.durable.len() as u64, |n, w| match w {
            PendingWrite::Replace(b) => b.len() as u64,
            PendingWrite::Append(b) => n + b.len() as u64,
        })
    }

    fn current(&self) -> Vec<u8> {
        let mut bytes = self.durable.clone();
        self.pending.iter().for_each(|w| File::apply(&mut bytes, w));
        bytes
    }

    fn sync_first(&mut self, count: usize, now: Duration) {
        if count > 0 {
            self.synced_at = Some(now);
        }
        for write in self.pending.drain(..count.min(self.pending.len())) {
            File::apply(&mut self.durable, &write);
        }
    }
}

struct DiskState {
    files: BTreeMap<String, File>,
    /// Deleted files' last durable bytes (oracles only).
    deleted: BTreeMap<String, File>,
    rng: ChaCha8Rng,
    options: DiskOptions,
    /// The faults acting now, by the id of the fault that set them.
    active: Vec<(usize, DiskFaults)>,
    /// Their combination: the highest error rates, the slowest fsync range,
    /// the smallest capacity.
    faults: DiskFaults,
    /// Writes refused for lack of space, by the fault whose capacity refused them.
    refused: BTreeMap<usize, u64>,
}

impl DiskState {
    /// Whether an operation fails, with probability `p` (no draw when 0).
    fn fails(&mut self, p: f64) -> bool {
        p > 0.0 && self.rng.gen_bool(p.min(1.0))
    }

    /// Bytes of every live file, as the node sees them.
    fn used(&self) -> u64 {
        self.files.values().map(File::len).sum()
    }

    /// Whether `write` to `path` would grow the disk past a capacity;
    /// counts the refusal against each fault whose capacity it exceeds.
    fn no_space(&mut self, path: &str, write: &PendingWrite) -> bool {
        let Some(capacity) = self.faults.capacity else { return false };
        let old = self.files.get(path).map_or(0, File::len);
        let new = match write {
            PendingWrite::Replace(b) => b.len() as u64,
            PendingWrite::Append(b) => old + b.len() as u64,
        };
        let after = self.used() - old + new;
        if new <= old || after <= capacity {
            return false;
        }
        for (id, f) in &self.active {
            if f.capacity.is_some_and(|c| after > c) {
                *self.refused.entry(*id).or_default() += 1;
            }
        }
        true
    }

    fn fsync_latency(&mut self) -> Duration {
        let (min, max) =
            self.faults.fsync_latency.unwrap_or((self.options.fsync_latency_min, self.options.fsync_latency_max));
        if max > min {
            self.rng.gen_range(min..=max)
        } else {
            min
        }
    }
}

/// A handle to one node's disk; clones share it. The world keeps a handle
/// across the node's restarts, which is what makes it durable.
#[derive(Clone)]
pub struct SimDisk {
    state: Arc<Mutex<DiskState>>,
}

impl SimDisk {
    pub fn new(options: DiskOptions, rng: ChaCha8Rng) -> Self {
        let state = DiskState {
            files: BTreeMap::new(),
            deleted: BTreeMap::new(),
            rng,
            options,
            active: vec![],
            faults: DiskFaults::default(),
            refused: BTreeMap::new(),
        };
        SimDisk { state: Arc::new(Mutex::new(state)) }
    }

    fn with<T>(&self, f: impl FnOnce(&mut DiskState) -> T) -> T {
        f(&mut self.state.lock().expect("disk lock poisoned"))
    }

    /// Replaces the file's content (atomic once fsynced, like write + rename).
    pub fn write(&self, path: &str, bytes: Vec<u8>) -> Result<(), DiskError> {
        self.push(path, PendingWrite::Replace(bytes))
    }

    /// Appends to the file.
    pub fn append(&self, path: &str, bytes: Vec<u8>) -> Result<(), DiskError> {
        self.push(path, PendingWrite::Append(bytes))
    }

    fn push(&self, path: &str, write: PendingWrite) -> Result<(), DiskError> {
        self.with(|s| {
            if s.fails(s.faults.write_error) {
                return Err(DiskError::Write(path.into()));
            }
            if s.no_space(path, &write) {
                return Err(DiskError::NoSpace(path.into()));
            }
            s.deleted.remove(path);
            s.files.entry(path.into()).or_default().pending.push(write);
            Ok(())
        })
    }

    /// What a reader on this node sees now (synced or not).
    pub fn read(&self, path: &str) -> Result<Option<Vec<u8>>, DiskError> {
        self.with(|s| {
            if s.fails(s.faults.read_error) {
                return Err(DiskError::Read(path.into()));
            }
            Ok(s.files.get(path).map(File::current))
        })
    }

    /// `read`, handing the bytes to `f` instead of copying them out (a long
    /// log is read without a second copy). `f` runs with the disk locked:
    /// it must not use this disk.
    pub fn read_with<T>(&self, path: &str, f: impl FnOnce(&[u8]) -> T) -> Result<Option<T>, DiskError> {
        self.with(|s| {
            if s.fails(s.faults.read_error) {
                return Err(DiskError::Read(path.into()));
            }
            Ok(s.files.get(path).map(|file| match file.pending.is_empty() {
                true => f(&file.durable),
                false => f(&file.current()),
            }))
        })
    }

    /// Cuts the file to its first `len` bytes, as the node sees them (a
    /// torn tail cut off); durable once fsynced, like `write`.
    pub fn truncate(&self, path: &str, len: usize) -> Result<(), DiskError> {
        let kept = self.with(|s| s.files.get(path).map(|f| f.current()[..len].to_vec()));
        self.write(path, kept.unwrap_or_default())
    }

    /// The live files whose path starts with `prefix`, in order.
    pub fn list(&self, prefix: &str) -> Vec<String> {
        self.with(|s| s.files.keys().filter(|p| p.starts_with(prefix)).cloned().collect())
    }

    /// Removes the file at once and for good (its durable bytes stay visible
    /// to `read_durable_ever` only).
    pub fn delete(&self, path: &str) {
        self.with(|s| {
            if let Some(file) = s.files.remove(path) {
                s.deleted.insert(path.into(), File { pending: vec![], ..file });
            }
        });
    }

    /// Only what survived: the durable bytes (for oracles after the run).
    pub fn read_durable(&self, path: &str) -> Option<Vec<u8>> {
        self.with(|s| s.files.get(path).map(|f| f.durable.clone()))
    }

    /// `read_durable`, handing the bytes to `f` instead of copying them out.
    pub fn read_durable_with<T>(&self, path: &str, f: impl FnOnce(&[u8]) -> T) -> Option<T> {
        self.with(|s| s.files.get(path).map(|file| f(&file.durable)))
    }

    /// The durable bytes, even of a file deleted since (for oracles: a
    /// checkpoint the job has discarded can still be judged).
    pub fn read_durable_ever(&self, path: &str) -> Option<Vec<u8>> {
        self.with(|s| s.files.get(path).or_else(|| s.deleted.get(path)).map(|f| f.durable.clone()))
    }

    /// When the file's durable bytes were last synced, deleted files
    /// included (for oracles: was a blob durable before it was relied on?).
    pub fn synced_at(&self, path: &str) -> Option<Duration> {
        self.with(|s| s.files.get(path).or_else(|| s.deleted.get(path)).and_then(|f| f.synced_at))
    }

    /// Waits the fsync latency, then makes every write issued before the call
    /// durable. A crash during the wait makes nothing durable; an injected
    /// error leaves the writes pending.
    pub async fn fsync(&self, path: &str) -> Result<(), DiskError> {
        let (latency, issued) = self.with(|s| (s.fsync_latency(), s.files.get(path).map_or(0, |f| f.pending.len())));
        madsim::time::sleep(latency).await;
        self.with(|s| {
            if s.fails(s.faults.fsync_error) {
                return Err(DiskError::Fsync(path.into()));
            }
            if let Some(file) = s.files.get_mut(path) {
                file.sync_first(issued, crate::sim::now());
            }
            Ok(())
        })
    }

    /// Bytes of every live file, as the node sees them (synced or not).
    pub fn used(&self) -> u64 {
        self.with(|s| s.used())
    }

    /// How many writes fault `id`'s capacity refused.
    pub fn refused(&self, id: usize) -> u64 {
        self.with(|s| s.refused.get(&id).copied().unwrap_or(0))
    }

    /// Fault `id` acts on this disk from now on, on top of any others.
    pub fn add_faults(&self, id: usize, faults: DiskFaults) {
        self.with(|s| {
            s.active.push((id, faults));
            s.faults = combine(&s.active);
        });
    }

    /// Fault `id` heals; the others go on acting.
    pub fn remove_faults(&self, id: usize) {
        self.with(|s| {
            s.active.retain(|(i, _)| *i != id);
            s.faults = combine(&s.active);
        });
    }

    /// Bit rot: flips one random bit of the file's durable bytes. False if
    /// there is nothing durable to damage.
    pub fn flip_bit(&self, path: &str) -> bool {
        self.with(|s| {
            let DiskState { files, rng, .. } = s;
            let Some(file) = files.get_mut(path).filter(|f| !f.durable.is_empty()) else { return false };
            let byte = rng.gen_range(0..file.durable.len());
            file.durable[byte] ^= 1 << rng.gen_range(0..8);
            true
        })
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

/// Several disk faults at once: the worst of each setting.
fn combine(active: &[(usize, DiskFaults)]) -> DiskFaults {
    active.iter().fold(DiskFaults::default(), |acc, (_, f)| DiskFaults {
        write_error: acc.write_error.max(f.write_error),
        fsync_error: acc.fsync_error.max(f.fsync_error),
        read_error: acc.read_error.max(f.read_error),
        fsync_latency: match (acc.fsync_latency, f.fsync_latency) {
            (Some((a0, a1)), Some((b0, b1))) => Some((a0.max(b0), a1.max(b1))),
            (a, b) => a.or(b),
        },
        capacity: match (acc.capacity, f.capacity) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        },
    })
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
        d.write("a", b"hello".to_vec()).unwrap();
        assert_eq!(d.read("a").unwrap().unwrap(), b"hello");
        assert_eq!(d.read_durable("a"), Some(vec![]));
        d.crash();
        assert_eq!(d.read("a"), Ok(None));
    }

    #[test]
    fn a_crash_may_tear_the_first_unsynced_append() {
        let d = disk(1.0);
        d.append("log", b"0123456789".to_vec()).unwrap();
        d.append("log", b"abcdef".to_vec()).unwrap();
        d.crash();
        let left = d.read("log").unwrap().unwrap_or_default();
        assert!(left.len() < 10 && b"0123456789".starts_with(&left));
    }

    #[test]
    fn fsync_makes_writes_durable_after_its_latency() {
        let rt = madsim::runtime::Runtime::with_seed_and_config(1, Default::default());
        let d = disk(0.0);
        let d2 = d.clone();
        rt.block_on(async move {
            d2.append("log", b"abc".to_vec()).unwrap();
            let t0 = madsim::time::Instant::now();
            d2.fsync("log").await.unwrap();
            assert!(t0.elapsed() >= Duration::from_millis(1));
        });
        d.append("log", b"zzz".to_vec()).unwrap();
        d.crash();
        assert_eq!(d.read("log").unwrap().unwrap(), b"abc");
    }

    #[test]
    fn injected_errors_fail_operations_until_healed() {
        let d = disk(0.0);
        d.add_faults(0, DiskFaults { write_error: 1.0, ..DiskFaults::default() });
        d.add_faults(1, DiskFaults { read_error: 1.0, ..DiskFaults::default() });
        assert_eq!(d.write("a", b"x".to_vec()), Err(DiskError::Write("a".into())));
        assert_eq!(d.read("a"), Err(DiskError::Read("a".into())));
        d.remove_faults(0);
        d.write("a", b"x".to_vec()).unwrap();
        assert_eq!(d.read("a"), Err(DiskError::Read("a".into())), "fault 1 still acts");
        d.remove_faults(1);
        assert_eq!(d.read("a").unwrap().unwrap(), b"x");
    }

    #[test]
    fn a_full_disk_refuses_growth_until_space_is_freed_or_it_heals() {
        let d = disk(0.0);
        d.write("a", vec![0; 60]).unwrap();
        d.add_faults(7, DiskFaults { capacity: Some(100), ..DiskFaults::default() });
        d.append("log", vec![1; 30]).unwrap();
        assert_eq!(d.used(), 90);
        assert_eq!(d.append("log", vec![2; 20]), Err(DiskError::NoSpace("log".into())));
        assert_eq!(d.read("log").unwrap().unwrap(), vec![1; 30], "a refused write writes nothing");
        d.append("log", vec![3; 10]).unwrap();
        d.write("a", vec![0; 5]).unwrap();
        assert_eq!(d.used(), 45, "a replace that shrinks passes, and frees its space");
        d.delete("a");
        d.write("b", vec![4; 60]).unwrap();
        assert_eq!(d.write("b", vec![4; 61]), Err(DiskError::NoSpace("b".into())));
        assert_eq!(d.refused(7), 2);
        d.remove_faults(7);
        d.write("b", vec![4; 500]).unwrap();
    }

    #[test]
    fn a_failed_fsync_leaves_the_writes_unsynced() {
        let rt = madsim::runtime::Runtime::with_seed_and_config(1, Default::default());
        let d = disk(0.0);
        let d2 = d.clone();
        rt.block_on(async move {
            d2.append("log", b"abc".to_vec()).unwrap();
            d2.add_faults(0, DiskFaults { fsync_error: 1.0, ..DiskFaults::default() });
            assert_eq!(d2.fsync("log").await, Err(DiskError::Fsync("log".into())));
        });
        d.crash();
        assert_eq!(d.read("log"), Ok(None));
    }

    #[test]
    fn bit_rot_changes_one_bit_of_the_durable_bytes() {
        let rt = madsim::runtime::Runtime::with_seed_and_config(1, Default::default());
        let d = disk(0.0);
        let d2 = d.clone();
        rt.block_on(async move {
            d2.write("blob", vec![0u8; 16]).unwrap();
            d2.fsync("blob").await.unwrap();
        });
        assert!(d.flip_bit("blob"));
        let bytes = d.read_durable("blob").unwrap();
        assert_eq!(bytes.iter().map(|b| b.count_ones()).sum::<u32>(), 1);
        assert!(!d.flip_bit("missing"));
    }

    #[test]
    fn a_deleted_file_is_gone_for_readers_but_not_for_oracles() {
        let rt = madsim::runtime::Runtime::with_seed_and_config(1, Default::default());
        let d = disk(0.0);
        let d2 = d.clone();
        rt.block_on(async move {
            d2.write("chk-1/x", b"state".to_vec()).unwrap();
            d2.fsync("chk-1/x").await.unwrap();
        });
        assert_eq!(d.list("chk-1/"), vec!["chk-1/x".to_string()]);
        d.delete("chk-1/x");
        assert_eq!(d.read("chk-1/x"), Ok(None));
        assert!(d.list("chk-1/").is_empty());
        assert_eq!(d.read_durable_ever("chk-1/x").unwrap(), b"state");
    }
}
