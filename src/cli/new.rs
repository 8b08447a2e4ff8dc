//! `ckptsim new NAME [-o PATH]`: writes the commented starter scenario.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::scenario::starter::starter;

use super::{EXIT_BAD_INPUT, EXIT_PASS};

/// Writes the starter scenario named `name` to `output` (default
/// `scenarios/NAME.toml`; `-` is stdout), never over an existing file.
pub fn new(name: &str, output: Option<&Path>) -> i32 {
    let text = match starter(name) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let path = output.map_or_else(|| Path::new("scenarios").join(format!("{name}.toml")), PathBuf::from);
    if path == Path::new("-") {
        print!("{text}");
        return EXIT_PASS;
    }
    match write_new(&path, &text) {
        Ok(()) => {
            let file = path.display();
            println!("wrote {file}\n  check it: ckptsim check {file}\n  run it:   ckptsim run {file} --seed 0");
            EXIT_PASS
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!(
                "error: {} already exists; nothing was written (choose another NAME, or -o PATH)",
                path.display()
            );
            EXIT_BAD_INPUT
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            EXIT_BAD_INPUT
        }
    }
}

/// Creates `path` (and its directory) with `text`; fails if it exists.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(text.as_bytes())
}
