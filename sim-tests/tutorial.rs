//! `docs/first-scenario.md`, run: every `$ ckptsim …` line of its console
//! blocks, in order, in a scratch copy of `scenarios/`, each expected to
//! exit 0 unless the line says `# exit N`. A tutorial whose commands stop
//! working fails the build.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The commands of the tutorial, each with the exit code it must give.
fn commands(markdown: &str) -> Vec<(String, i32)> {
    let mut out = vec![];
    let mut in_console = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_console = line.trim() == "```console" && !in_console;
            continue;
        }
        let Some(command) = line.strip_prefix("$ ").filter(|_| in_console) else { continue };
        let (command, exit) = match command.split_once("# exit ") {
            Some((c, n)) => (c.trim(), n.trim().parse().expect("a number after `# exit`")),
            None => (command.trim(), 0),
        };
        out.push((command.to_string(), exit));
    }
    out
}

/// A scratch directory with the stock scenarios (no regressions: the
/// tutorial writes its own) and `ckptsim` on the PATH.
fn scratch() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("ckptsim-tutorial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("scenarios/regressions")).expect("scratch dir");
    std::fs::create_dir_all(dir.join("bin")).expect("bin dir");
    for entry in std::fs::read_dir(root.join("scenarios")).expect("scenarios/").flatten() {
        if entry.path().extension().is_some_and(|x| x == "toml") {
            std::fs::copy(entry.path(), dir.join("scenarios").join(entry.file_name())).expect("copy");
        }
    }
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ckptsim"), dir.join("bin/ckptsim")).expect("symlink");
    dir
}

#[test]
fn every_command_of_the_tutorial_runs_as_written() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/first-scenario.md"))
        .expect("docs/first-scenario.md");
    let commands = commands(&text);
    assert!(commands.len() >= 8, "the tutorial lost its commands: {commands:?}");
    let dir = scratch();
    let path = format!("{}:{}", dir.join("bin").display(), std::env::var("PATH").unwrap_or_default());
    for (command, exit) in &commands {
        let o =
            Command::new("bash").arg("-c").arg(command).current_dir(&dir).env("PATH", &path).output().expect("bash");
        assert_eq!(
            o.status.code(),
            Some(*exit),
            "`{command}` exited {:?}, the tutorial says {exit}\n{}{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    for file in
        ["scenarios/crash-during-alignment.toml", "scenarios/regressions/crash-during-alignment-no-offset-restore.toml"]
    {
        assert!(dir.join(file).exists(), "the tutorial should have written {file}");
    }
}
