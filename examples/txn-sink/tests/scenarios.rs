//! Every scenario under `scenarios/` against this crate's testbed: the
//! correct sink passes the stock crash, pause, partition and swarm
//! scenarios on every seed; the flawed one (`[expect] violated`) is caught.

use ckptsim::harness::Harness;

fn main() {
    Harness::new(txn_sink::testbed()).dir("scenarios").replay_with("cargo run --release --bin sink-sim --").run()
}
