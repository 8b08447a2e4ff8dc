//! How big a failing scenario is, and the regression file `shrink` writes:
//! a plain scenario in the documented format, only the sections that differ
//! from their defaults, under a comment with the command that made it.

use super::Shrunk;
use crate::run::RunReport;
use crate::scenario::words::count;
use crate::scenario::Scenario;
use std::fmt;

/// The size of a failing run: what a person has to read to understand it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub faults: usize,
    pub operators: usize,
    /// Subtasks over all operators.
    pub tasks: usize,
    pub workers: usize,
    pub records: u64,
    pub keys: u64,
    pub partitions: usize,
    /// Trace events of the failing run.
    pub events: usize,
    pub sim_time_ms: u64,
}

impl Size {
    pub fn of(s: &Scenario, run: &RunReport) -> Size {
        let sources = || s.job.operators.iter().filter(|o| o.kind == crate::scenario::OperatorKind::Source);
        Size {
            faults: s.faults.len() + run.drawn.len(),
            operators: s.job.operators.len(),
            tasks: s.job.operators.iter().map(|o| s.parallelism_of(o)).sum(),
            workers: s.cluster.workers,
            records: sources().map(|o| o.records()).sum(),
            keys: sources().map(|o| o.keys()).sum(),
            partitions: sources().map(|o| o.partitions()).sum(),
            events: run.events,
            sim_time_ms: run.sim_time_ms,
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {} ({}) on {}, {}, {}, {}; failing run: {}, {:.3}s simulated",
            count(self.faults as u64, "fault", "faults"),
            count(self.operators as u64, "operator", "operators"),
            count(self.tasks as u64, "task", "tasks"),
            count(self.workers as u64, "worker", "workers"),
            count(self.records, "record", "records"),
            count(self.keys, "key", "keys"),
            count(self.partitions as u64, "partition", "partitions"),
            count(self.events as u64, "event", "events"),
            self.sim_time_ms as f64 / 1e3
        )
    }
}

/// The regression file for `shrunk`: `command` made it, `name` names it.
///
/// With a planted bug the file switches the bug on and expects the property
/// violated (it proves the bug stays caught); without one it expects every
/// property to hold, so it fails until the bug is fixed and guards the fix.
pub fn regression_file(shrunk: &Shrunk, name: &str, command: &str, bug: Option<&str>) -> String {
    let mut s = shrunk.scenario.clone();
    s.description = format!("Shrunk from {} (seed {}): {}", s.name, shrunk.seed, s.description);
    s.name = name.to_string();
    s.seeds = 1;
    s.first_seed = shrunk.seed;
    s.bug = bug.map(String::from);
    s.expect.violated = bug.map(|_| vec![shrunk.property.clone()]).unwrap_or_default();
    let mut out = header(shrunk, command, bug);
    out += &without_defaults(&s);
    out
}

fn header(shrunk: &Shrunk, command: &str, bug: Option<&str>) -> String {
    let mut h = format!("# Written by: {command}\n");
    h += &format!("# It fails `{}` under seed {}", shrunk.property, shrunk.seed);
    h += &match bug {
        Some(b) => format!(" with the planted bug {b}; cargo test checks it stays caught.\n"),
        None => ": cargo test fails on it until the bug is fixed, then guards the fix.\n".into(),
    };
    h += &format!("# before: {}\n# after:  {}\n", shrunk.before, shrunk.after);
    for what in &shrunk.kept {
        h += &format!("#   - {what}\n");
    }
    h + "\n"
}

/// The scenario as TOML, leaving out every field equal to its default
/// (and a section left empty).
fn without_defaults(s: &Scenario) -> String {
    use crate::scenario as sc;
    let mut doc = toml::Table::try_from(s).expect("a scenario serializes");
    let job: Option<sc::Job> = toml::from_str("operators = []").ok();
    let defaults = [
        ("cluster", toml::Value::try_from(sc::Cluster::default())),
        ("network", toml::Value::try_from(sc::Network::default())),
        ("disk", toml::Value::try_from(sc::Disk::default())),
        ("storage", toml::Value::try_from(sc::Storage::default())),
        ("checkpoint", toml::Value::try_from(sc::Checkpoint::default())),
        ("restart", toml::Value::try_from(sc::Restart::default())),
        ("expect", toml::Value::try_from(sc::Expect::default())),
        ("job", toml::Value::try_from(job)),
    ];
    for (section, default) in defaults {
        let (Some(toml::Value::Table(table)), Ok(toml::Value::Table(default))) = (doc.get_mut(section), default) else {
            continue;
        };
        table.retain(|key, value| default.get(key) != Some(value) || key == "operators");
        if table.is_empty() {
            doc.remove(section);
        }
    }
    toml::to_string(&doc).expect("a scenario serializes")
}

#[cfg(test)]
mod tests {

    /// Every stock scenario, written without its default sections, reads
    /// back as the same scenario.
    #[test]
    fn written_scenarios_read_back_the_same() {
        for entry in std::fs::read_dir("scenarios").expect("scenarios/") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|x| x != "toml") {
                continue;
            }
            let s = crate::run::testbed::load(&path).expect("stock scenario");
            let text = super::without_defaults(&s);
            let back = crate::run::testbed::parse(&text, "written")
                .unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()));
            assert_eq!(back, s, "{}", path.display());
        }
    }
}

#[cfg(test)]
mod size_tests {
    use super::Size;

    #[test]
    fn a_size_of_one_reads_in_the_singular() {
        let one = Size {
            faults: 1,
            operators: 1,
            tasks: 1,
            workers: 1,
            records: 1,
            keys: 1,
            partitions: 1,
            events: 1,
            sim_time_ms: 250,
        };
        let want = "1 fault, 1 operator (1 task) on 1 worker, 1 record, 1 key, 1 partition; failing run: 1 event, 0.250s simulated";
        assert_eq!(one.to_string(), want);
        let two = Size {
            faults: 2,
            operators: 3,
            tasks: 6,
            workers: 3,
            records: 20,
            keys: 5,
            partitions: 4,
            events: 9,
            sim_time_ms: 1000,
        };
        assert!(two
            .to_string()
            .starts_with("2 faults, 3 operators (6 tasks) on 3 workers, 20 records, 5 keys, 4 partitions"));
    }
}
