//! Swarm testing (FoundationDB, TigerBeetle): a `[swarm]` section names the
//! fault kinds to draw from, a window and a most; each seed then draws its own
//! subset of kinds, its own number of faults (zero included: quiet seeds) and
//! their times, targets, durations and, for some, protocol phases. Every
//! drawn fault heals inside the window, so the liveness phase follows.
//!
//! A drawn plan never makes correct recovery impossible, except for the rare
//! deliberate "fatal" plan (every copy of a snapshot rotted, then a crash
//! that forces a restore from it), for which the run is expected to fail
//! cleanly (`Plan::expect_failure`).

use super::faults::bit_rot::{BitRotParams, BlobKind};
use super::faults::crash::CrashParams;
use super::faults::draw::Drawer;
use super::faults::kind::FaultKind;
use super::faults::KINDS;
use crate::engine::registry::Registry;
use crate::scenario::{Fault, OperatorKind, Phase, Scenario, Swarm, When};
use crate::sim::rng::SeedTree;
use rand::seq::SliceRandom;
use rand::Rng;
use std::time::Duration;

/// One seed's drawn faults.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub faults: Vec<Fault>,
    /// The plan destroys a checkpoint for good: the job must fail cleanly.
    pub expect_failure: bool,
}

/// Chance that a seed drawing `bit_rot` draws the fatal plan instead.
const FATAL_CHANCE: f64 = 0.05;
/// Chance that a fault that can be is placed at a protocol phase.
const PHASE_CHANCE: f64 = 0.3;
/// Chance that a time-placed fault is tied to an earlier one: striking
/// while it acts, or right as it ends (a crash during a storage slowdown, or
/// just after a partition heals). Races that need two faults together live
/// here.
const CASCADE_CHANCE: f64 = 0.4;
/// How soon after the earlier fault ends a cascading one strikes, at most.
const CASCADE_GAP: Duration = Duration::from_millis(150);

/// The scenario as `seed` runs it: with the `[checkpoint] max_concurrent`
/// its swarm draws, where `[swarm] max_concurrent` gives a range (drawn
/// from a stream of its own, so a file without it draws the faults it
/// always drew). `None` when the seed runs the file as written.
pub fn configure(scenario: &Scenario, seed: u64) -> Option<Scenario> {
    let (low, high) = scenario.swarm.as_ref()?.max_concurrent?;
    let mut rng = SeedTree::new(seed).stream("swarm:max_concurrent");
    let mut drawn = scenario.clone();
    drawn.checkpoint.max_concurrent = rng.gen_range(low..=high.max(low));
    Some(drawn)
}

/// Draws the plan of `seed` (deterministic: the same seed, the same plan).
pub fn draw(scenario: &Scenario, registry: &Registry, swarm: &Swarm, seed: u64) -> Plan {
    let mut rng = SeedTree::new(seed).stream("swarm");
    let mut kinds: Vec<&str> = swarm.faults.iter().map(String::as_str).filter(|_| rng.gen_bool(0.5)).collect();
    if kinds.is_empty() {
        kinds.push(swarm.faults.choose(&mut rng).expect("validated: swarm.faults is not empty"));
    }
    if kinds.contains(&"bit_rot") && rng.gen_bool(FATAL_CHANCE) {
        return fatal_plan(scenario);
    }
    let count = rng.gen_range(0..=swarm.max_faults);
    let mut d = Drawer { scenario, registry, window: swarm.window, rng, rotted: false };
    let (names, mut faults): (Vec<&str>, Vec<Fault>) = (0..count).filter_map(|_| fault(&mut d, &kinds)).unzip();
    cascade(&mut d, &mut faults);
    // Placed for good: the faults each one comes with follow it.
    let companions: Vec<Fault> =
        names.iter().zip(&faults).flat_map(|(name, f)| drawer_of(name).companions(name, f, &mut d)).collect();
    faults.extend(companions);
    Plan { faults, expect_failure: false }
}

/// Every copy of one snapshot of checkpoint 2 rots the moment it completes,
/// and a worker running a sink dies then: the restore must fail, for good.
fn fatal_plan(scenario: &Scenario) -> Plan {
    let when = || Some(When { checkpoint: Some(2), phase: Phase::Completed, task: None });
    let sink = scenario.job.operators.iter().find(|o| o.kind == OperatorKind::Sink).expect("validated");
    let rot = BitRotParams {
        node: Some("storage".into()),
        copies: Some(scenario.storage.replicas),
        blob: Some(BlobKind::Snapshot),
    };
    let crash = CrashParams {
        node: Some(format!("worker-of({}[0])", sink.id)),
        restart_after: Some(Duration::from_millis(200)),
    };
    let rot = Fault { when: when(), ..Fault::of("bit_rot", rot) };
    let crash = Fault { when: when(), ..Fault::of("crash", crash) };
    Plan { faults: vec![rot, crash], expect_failure: true }
}

/// The registered kind that draws swarm kind `name`.
fn drawer_of(name: &str) -> &'static dyn FaultKind {
    KINDS.iter().copied().find(|k| k.swarm_kinds().contains(&name)).expect("validated swarm kind")
}

/// One fault of one of `kinds`, placed at a time or a phase, with its
/// delay, and the kind it was drawn as.
fn fault<'k>(d: &mut Drawer, kinds: &[&'k str]) -> Option<(&'k str, Fault)> {
    let name = *kinds.choose(&mut d.rng).expect("at least one kind");
    let kind = drawer_of(name);
    let mut fault = kind.draw(name, d)?;
    let by_phase = kind.draws_phases(name) && d.rng.gen_bool(PHASE_CHANCE);
    let latest = if by_phase {
        fault.when = Some(d.when());
        d.window / 2
    } else {
        let at = d.between(Duration::ZERO, d.window * 3 / 4);
        fault.at = Some(at);
        d.window - at
    };
    // How long the fault acts, ending by `latest` after it strikes.
    let latest = latest.max(Duration::from_millis(20));
    if let Some((delay, value)) = kind.draw_delay(name, d, latest) {
        fault.set_delay(delay, value);
    }
    Some((name, fault))
}

/// Moves some time-placed faults into, or to just after, another one.
fn cascade(d: &mut Drawer, faults: &mut [Fault]) {
    for i in 1..faults.len() {
        if faults[i].at.is_none() || !d.rng.gen_bool(CASCADE_CHANCE) {
            continue;
        }
        let Some(j) = (0..i).filter(|&j| faults[j].at.is_some()).collect::<Vec<_>>().choose(&mut d.rng).copied() else {
            continue;
        };
        let starts = faults[j].at.expect("time-placed");
        let ends = starts + faults[j].aftermath();
        let at =
            if d.rng.gen_bool(0.5) { d.between(starts, ends) } else { ends + d.between(Duration::ZERO, CASCADE_GAP) };
        if at + faults[i].aftermath() <= d.window {
            faults[i].at = Some(at);
        }
    }
}

#[cfg(test)]
#[path = "swarm_tests.rs"]
mod tests;
