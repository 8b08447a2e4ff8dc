//! The protocol is judged by ckptsim's coverage catalogue too: its sweeps
//! must take the channel-state paths (a snapshot that kept in-flight
//! records, a restore that replayed them), or its channel state was never
//! exercised and the scenarios prove nothing about it.

use ckptsim::harness::run_seeds;
use ckptsim::run::coverage::applicable;
use ckptsim::run::RunSpec;
use std::path::Path;
use std::sync::Arc;

#[test]
fn the_worker_crash_sweep_persists_and_restores_channel_state() {
    let testbed = own_protocol::testbed();
    let path = Path::new("scenarios/worker-crash.toml");
    let scenario = testbed.load(path).unwrap_or_else(|e| panic!("{}", e.render()));
    let applies: Vec<&str> = applicable(&scenario, &testbed).iter().map(|p| p.name).collect();
    let spec = RunSpec { testbed, ..RunSpec::new(Arc::new(scenario), path.into(), 0, None) };
    let reports = run_seeds(&spec, (0..8).collect());
    for path in ["channel_state_persisted", "channel_state_restored"] {
        assert!(applies.contains(&path), "{path} applies to a protocol that keeps channel state");
        let seeds = reports.iter().filter(|r| r.coverage.iter().any(|c| c == path)).count();
        assert!(seeds > 0, "no seed took {path}");
    }
}
