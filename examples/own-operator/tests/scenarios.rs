//! Every scenario under `scenarios/` against this crate's testbed: the
//! correct operator passes each one on all its seeds, deterministically, with
//! every fault firing; the flawed one (`[expect] violated`) stays caught.

use ckptsim::harness::Harness;

fn main() {
    Harness::new(own_operator::testbed())
        .dir("scenarios")
        .replay_with("cargo run --release --bin operator-sim --")
        .run()
}
