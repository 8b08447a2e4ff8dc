//! The simplifications `shrink` tries, in order: faults first (fewer, then
//! earlier, then shorter), then the data (records, keys, partitions), then
//! the shape of the job (parallelism, workers, operators), then knobs back
//! to their defaults. Each is a whole candidate scenario; `shrink` keeps the
//! first that still fails.

use crate::run::RunReport;
use crate::scenario::{Cluster, Disk, Fault, Network, Restart, Scenario, Storage, When};
use crate::trace::Event;
use std::time::Duration;

/// One simpler scenario, and what was simplified.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub what: String,
    pub scenario: Scenario,
    /// It changes the data or the job's shape, so the seed's random draws
    /// shift: worth a seed search when the seed itself no longer fails.
    pub reseeds: bool,
}

impl Candidate {
    fn new(what: impl Into<String>, scenario: Scenario) -> Candidate {
        Candidate { what: what.into(), scenario, reseeds: false }
    }
    fn reseeding(what: impl Into<String>, scenario: Scenario) -> Candidate {
        Candidate { what: what.into(), scenario, reseeds: true }
    }
}

/// The run made concrete: drawn faults (and a drawn max_concurrent) written out, phase placements pinned
/// to the checkpoint and task they struck at, faults that never fired gone.
/// `None` when it is already concrete.
pub fn concrete(scenario: &Scenario, run: &RunReport) -> Option<Candidate> {
    let mut s = scenario.clone();
    s.faults = scenario.faults.iter().chain(&run.drawn).cloned().collect();
    if let Some(n) = run.drawn_max_concurrent {
        s.checkpoint.max_concurrent = n;
    }
    s.swarm = None;
    let mut kept = vec![];
    for (i, fault) in s.faults.iter().enumerate() {
        if run.faults.get(i).is_some_and(|f| f.not_fired.is_none()) {
            kept.push(pin(fault, i, run));
        }
    }
    s.faults = kept;
    // Writing the swarm's faults out changes what the world draws from the seed.
    (s != *scenario).then(|| Candidate::reseeding("faults made concrete (drawn ones written out, phases pinned)", s))
}

/// A phase-placed fault with its checkpoint and task pinned to where it struck.
fn pin(fault: &Fault, i: usize, run: &RunReport) -> Fault {
    let Some(when) = &fault.when else { return fault.clone() };
    let reached = run.trace.iter().find_map(|e| match &e.event {
        Event::FaultPhaseReached { fault, checkpoint, task, .. } if *fault == i => Some((checkpoint, task)),
        _ => None,
    });
    let Some((checkpoint, task)) = reached else { return fault.clone() };
    let task = task.0.clone();
    let checkpoint = checkpoint.0.or(when.checkpoint);
    Fault { when: Some(When { checkpoint, phase: when.phase, task: task.or(when.task.clone()) }), ..fault.clone() }
}

/// Every candidate for `s`, in the order they are tried.
pub fn all(s: &Scenario) -> Vec<Candidate> {
    let mut out = vec![];
    drop_faults(s, &mut out);
    earlier_faults(s, &mut out);
    shorter_windows(s, &mut out);
    less_data(s, &mut out);
    smaller_job(s, &mut out);
    default_knobs(s, &mut out);
    out
}

fn with(s: &Scenario, change: impl FnOnce(&mut Scenario)) -> Scenario {
    let mut s = s.clone();
    change(&mut s);
    s
}

fn drop_faults(s: &Scenario, out: &mut Vec<Candidate>) {
    for i in 0..s.faults.len() {
        let label = crate::run::faults::label(&s.faults[i]);
        out.push(Candidate::new(format!("dropped faults[{i}] ({label})"), with(s, |s| drop(s.faults.remove(i)))));
    }
}

/// Earlier time placements, earlier checkpoints: the failure comes sooner.
fn earlier_faults(s: &Scenario, out: &mut Vec<Candidate>) {
    for (i, f) in s.faults.iter().enumerate() {
        if let Some(at) = f.at.filter(|at| *at >= Duration::from_millis(20)) {
            for (num, den) in [(1, 2), (3, 4)] {
                let t = round_ms(at * num / den);
                out.push(Candidate::new(format!("faults[{i}].at = {}", ms(t)), with(s, |s| s.faults[i].at = Some(t))));
            }
        }
        if let Some(when) = f.when.as_ref().filter(|w| w.checkpoint.is_some_and(|c| c > 1)) {
            let c = when.checkpoint.unwrap_or(1) - 1;
            out.push(Candidate::new(
                format!("faults[{i}].when.checkpoint = {c}"),
                with(s, |s| s.faults[i].when.as_mut().expect("when").checkpoint = Some(c)),
            ));
        }
    }
}

/// Halved restart, resume and heal delays; message filters dropped.
fn shorter_windows(s: &Scenario, out: &mut Vec<Candidate>) {
    for (i, f) in s.faults.iter().enumerate() {
        for (name, d) in f.delays().filter(|(_, d)| *d >= Duration::from_millis(20)) {
            let d = round_ms(d / 2);
            out.push(Candidate::new(
                format!("faults[{i}].{name} = {}", ms(d)),
                with(s, |s| s.faults[i].set_delay(name, d)),
            ));
        }
        if f.params.contains_key("messages") {
            let c = with(s, |s| drop(s.faults[i].params.remove("messages")));
            out.push(Candidate::new(format!("faults[{i}] on every message"), c));
        }
    }
}

/// Fewer records, keys and partitions at each source.
fn less_data(s: &Scenario, out: &mut Vec<Candidate>) {
    for (i, op) in s.job.operators.iter().enumerate() {
        let id = &op.id;
        if op.records() > 16 {
            for r in [op.records() / 2, op.records() * 3 / 4] {
                let c = with(s, |s| s.job.operators[i].records = Some(r));
                out.push(Candidate::reseeding(format!("{id}.records = {r}"), c));
            }
        }
        if op.keys() > 1 {
            let k = op.keys() / 2;
            out.push(Candidate::reseeding(format!("{id}.keys = {k}"), with(s, |s| s.job.operators[i].keys = Some(k))));
        }
        if op.partitions() > 1 {
            let p = op.partitions() / 2;
            let c = with(s, |s| s.job.operators[i].partitions = Some(p));
            out.push(Candidate::reseeding(format!("{id}.partitions = {p}"), c));
        }
    }
}

/// Lower parallelism, fewer workers, operators bypassed.
fn smaller_job(s: &Scenario, out: &mut Vec<Candidate>) {
    if s.job.parallelism > 1 {
        let p = s.job.parallelism - 1;
        let c = with(s, |s| {
            s.job.parallelism = p;
            retarget(s);
        });
        out.push(Candidate::reseeding(format!("job.parallelism = {p}"), c));
    }
    for (i, op) in s.job.operators.iter().enumerate() {
        if let Some(p) = op.parallelism.filter(|p| *p > 1) {
            let c = with(s, |s| {
                s.job.operators[i].parallelism = Some(p - 1);
                retarget(s);
            });
            out.push(Candidate::reseeding(format!("{}.parallelism = {}", op.id, p - 1), c));
        }
    }
    if s.cluster.workers > 1 {
        let w = s.cluster.workers - 1;
        out.push(Candidate::reseeding(format!("cluster.workers = {w}"), with(s, |s| s.cluster.workers = w)));
    }
    for (i, op) in s.job.operators.iter().enumerate() {
        if let [input] = op.input.as_slice() {
            let (id, input) = (op.id.clone(), input.clone());
            let c = with(s, |s| bypass(s, i, &id, &input));
            out.push(Candidate::reseeding(format!("operator {id} removed ({input} feeds its readers)"), c));
        }
    }
}

/// Faults aimed at a subtask that a lower parallelism removed (`count[1]`
/// at parallelism 1) aim at the last remaining one (`count[0]`) instead.
fn retarget(s: &mut Scenario) {
    let parallelism: Vec<(String, usize)> =
        s.job.operators.iter().map(|o| (o.id.clone(), s.parallelism_of(o))).collect();
    let clamp = |task: &str| -> String {
        let Some((op, rest)) = task.split_once('[') else { return task.to_string() };
        let index: Option<usize> = rest.strip_suffix(']').and_then(|i| i.parse().ok());
        match (index, parallelism.iter().find(|(id, _)| id == op)) {
            (Some(i), Some((_, p))) if i >= *p => format!("{op}[{}]", p - 1),
            _ => task.to_string(),
        }
    };
    for f in &mut s.faults {
        // Any field naming `worker-of(OP[I])`, whatever its kind calls it.
        for (_, value) in f.params.iter_mut() {
            let toml::Value::String(text) = value else { continue };
            if let Some(task) = text.strip_prefix("worker-of(").and_then(|t| t.strip_suffix(')')) {
                *text = format!("worker-of({})", clamp(task));
            }
        }
        if let Some(task) = f.when.as_mut().and_then(|w| w.task.as_mut()) {
            *task = clamp(task);
        }
    }
}

/// Removes operator `i` (`id`, reading only `input`): its readers read `input`.
fn bypass(s: &mut Scenario, i: usize, id: &str, input: &str) {
    s.job.operators.remove(i);
    for op in &mut s.job.operators {
        for name in op.input.iter_mut().filter(|n| *n == id) {
            *name = input.to_string();
        }
    }
}

/// Knob sections back to their defaults, one at a time (the checkpoint's
/// protocol and interval stay: they are what the scenario is about).
fn default_knobs(s: &Scenario, out: &mut Vec<Candidate>) {
    let mut knob = |what: &str, c: Scenario| {
        if c != *s {
            out.push(Candidate::new(format!("{what} at defaults"), c));
        }
    };
    knob("[network]", with(s, |s| s.network = Network::default()));
    knob("[disk]", with(s, |s| s.disk = Disk::default()));
    knob("[storage]", with(s, |s| s.storage = Storage::default()));
    knob("[restart]", with(s, |s| s.restart = Restart::default()));
    let workers = s.cluster.workers;
    knob("[cluster] timings", with(s, |s| s.cluster = Cluster { workers, ..Cluster::default() }));
    knob("network.buffer_records", with(s, |s| s.network.buffer_records = crate::scenario::default_buffer_records()));
    let c = &s.checkpoint;
    let default = crate::scenario::Checkpoint {
        protocol: c.protocol.clone(),
        aligned_timeout: c.aligned_timeout,
        interval: c.interval,
        ..Default::default()
    };
    knob("[checkpoint] knobs other than protocol and interval", with(s, |s| s.checkpoint = default));
}

fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis() as u64)
}

fn ms(d: Duration) -> String {
    crate::scenario::duration::format_duration(d)
}
