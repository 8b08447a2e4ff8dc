//! The `ckptsim` command line: `run`, `sweep`, `bugs`, `bench`.
//! Exit codes: 0 all pass, 1 a property violated, 2 bad input, 3 internal error.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
