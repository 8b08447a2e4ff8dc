//! This crate's own command line: every ckptsim subcommand (run, sweep,
//! shrink, explore, check, --timeline, --coverage, …) over ckptsim's
//! components plus this crate's keyed operators. Its replay lines read
//! `cargo run --release --bin operator-sim -- run …`.

fn main() {
    std::process::exit(ckptsim::cli::main(own_operator::testbed()));
}
