//! This crate's own command line: every ckptsim subcommand over ckptsim's
//! components plus this crate's Kafka-style sinks.

fn main() {
    std::process::exit(ckptsim::cli::main(txn_sink::testbed()));
}
