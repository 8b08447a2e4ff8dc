//! The `ckptsim` command line: `run`, `sweep`, `bugs`, `bench`, `zoo`, `check`, `new`.
//! Exit codes: 0 all pass, 1 a property violated, 2 bad input, 3 internal error.

fn main() {
    // Die quietly when stdout closes early (`ckptsim run … | head`).
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(ckptsim::cli::main(ckptsim::run::testbed::Testbed::new()));
}
