//! The simulated cluster's nodes: their names, their addresses, and how each
//! boots. The harness builds a run's cluster from here, the swarm draws its
//! targets from here, and validation checks node names against it.

use super::graph::ExecutionGraph;
use super::jobmaster::{self, CoordinatorEnv};
use super::registry::Registry;
use super::services;
use super::services::log::LogData;
use super::services::storage::StorageOptions;
pub(crate) use super::task::context::Bugs;
use super::worker::{self, WorkerConfig};
use crate::scenario::Scenario;
use crate::sim::disk::SimDisk;
use crate::sim::net::Addresses;
use crate::sim::rng::SeedTree;
use madsim::runtime::Handle;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The nodes every cluster has, besides its workers.
pub const SERVICES: [&str; 4] = ["coordinator", "log", "storage", "sink"];

/// The node the job's client (rescale requests) runs on; no fault targets it.
pub const CLIENT: &str = "client";

/// `worker-K`, for K from 1.
pub fn worker_name(k: usize) -> String {
    format!("worker-{k}")
}

/// Every node of a cluster of `workers` workers: the services, then the workers.
pub fn node_names(workers: usize) -> Vec<String> {
    let mut names: Vec<String> = SERVICES.map(String::from).into();
    names.extend((1..=workers).map(worker_name));
    names
}

/// A node's simulated IP: fixed by its name.
pub fn ip_of(node: &str) -> IpAddr {
    let [a, b] = match node {
        "coordinator" => [0, 1],
        "log" => [0, 2],
        "storage" => [0, 3],
        "sink" => [0, 4],
        CLIENT => [0, 5],
        other => {
            let k: u8 = other
                .strip_prefix("worker-")
                .and_then(|k| k.parse().ok())
                .unwrap_or_else(|| panic!("no address for node `{other}`"));
            [1, k]
        }
    };
    IpAddr::V4(Ipv4Addr::new(10, 0, a, b))
}

/// Creates node `name` at its address in the run's address book.
pub fn node<'h>(handle: &'h Handle, name: &str) -> madsim::runtime::NodeBuilder<'h> {
    Addresses::current().register(name, ip_of(name));
    handle.create_node().name(name).ip(ip_of(name))
}

/// Everything a cluster boots with.
pub struct Boot<'a> {
    pub scenario: &'a Arc<Scenario>,
    pub graph: &'a Arc<ExecutionGraph>,
    /// Where the job's components resolve.
    pub registry: &'a Arc<Registry>,
    pub seeds: SeedTree,
    pub bugs: Bugs,
    /// Every node's disk, by name.
    pub disks: &'a BTreeMap<String, SimDisk>,
}

/// Creates and starts every node of the cluster; a restarted node runs its
/// start-up again, counting its boots.
pub fn boot(b: Boot) {
    let Boot { scenario, graph, registry, seeds, bugs, disks } = b;
    let handle = Handle::current();
    let env = Arc::new(CoordinatorEnv {
        scenario: scenario.clone(),
        graph: graph.clone(),
        registry: registry.clone(),
        disk: disks["coordinator"].clone(),
        seeds,
        bugs: bugs.coordinator,
    });
    let boots = Arc::new(AtomicU64::new(0));
    node(&handle, "coordinator")
        .init(move || jobmaster::run(env.clone(), boots.fetch_add(1, Ordering::Relaxed) + 1))
        .build();
    let (g, data) = (graph.clone(), LogData::new(seeds.seed()));
    node(&handle, "log").init(move || services::log::run(g.clone(), data)).build();
    let d = disks["storage"].clone();
    let options = StorageOptions { replicas: scenario.storage.replicas, bugs: bugs.storage };
    node(&handle, "storage").init(move || services::storage::run(d.clone(), options)).build();
    let d = disks["sink"].clone();
    let options = bugs.sink_store;
    node(&handle, "sink").init(move || services::sink::run(d.clone(), options)).build();
    for k in 1..=scenario.cluster.workers {
        let name = worker_name(k);
        let config = Arc::new(WorkerConfig {
            name: name.clone(),
            cluster: scenario.cluster.clone(),
            registry: registry.clone(),
            bugs,
        });
        let boots = Arc::new(AtomicU64::new(0));
        node(&handle, &name)
            .init(move || worker::run(config.clone(), boots.fetch_add(1, Ordering::Relaxed) + 1))
            .build();
    }
}
