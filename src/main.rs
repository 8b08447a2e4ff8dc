//! The `ckptsim` command line: `run`, `sweep`, `bugs`, `bench`, `zoo`, `check`, `new`.
//! Exit codes: 0 all pass, 1 a property violated, 2 bad input, 3 internal error.

/// mimalloc rather than the system allocator: a run allocates and frees a
/// message, a batch and a task wake-up at a time, and glibc's malloc took
/// a tenth of a run's instructions.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Die quietly when stdout closes early (`ckptsim run … | head`).
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(ckptsim::cli::main(ckptsim::run::testbed::Testbed::new()));
}
