//! Running the `ckptsim` binary from a test, and scratch files for it.

use std::path::PathBuf;
use std::process::{Command, Output};

/// `ckptsim ARGS…` from the crate root.
pub fn ckptsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run ckptsim")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A path in this test process's scratch directory.
pub fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ckptsim-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// A scratch file holding `text`.
pub fn temp_file(name: &str, text: &str) -> PathBuf {
    let path = temp_path(name);
    std::fs::write(&path, text).expect("write scratch file");
    path
}
