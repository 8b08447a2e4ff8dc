//! Cross-field rules a scenario must satisfy before it runs.
//!
//! Each rule names the dotted path of the field it blames (as `locate::line_of`
//! understands it) and says what is wrong and what would be right. The job
//! graph's rules live in `validate_job`, the faults' in `validate_faults`.

pub mod validate_faults;
pub mod validate_job;
mod validate_restart;

#[cfg(test)]
mod faults_tests;
#[cfg(test)]
mod job_tests;
#[cfg(test)]
mod protocol_tests;
#[cfg(test)]
mod tests;

use std::time::Duration;

use super::duration::format_duration;
use super::{Catalogue, Checkpoint, Cluster, Disk, Expect, Network, Scenario, Storage};
use validate_job::op_field;

/// `Err((field_path, message))` for a broken rule.
pub type Check = Result<(), (String, String)>;

/// Network latencies above this are partitions in disguise.
const MAX_LATENCY: Duration = Duration::from_secs(10);

/// Longer restart delays would leave a run idle for simulated hours.
const MAX_RESTART_DELAY: Duration = Duration::from_secs(3600);

/// `Err((field_path, message))` for the first rule broken; `catalogue`
/// checks what the registered kinds own (a fault's fields, swarm kinds).
pub fn validate(s: &Scenario, catalogue: &dyn Catalogue) -> Result<(), (String, String)> {
    top_level(s, catalogue)?;
    cluster(&s.cluster)?;
    network(&s.network)?;
    disk(&s.disk)?;
    validate_job::job(s, catalogue)?;
    slots(s)?;
    storage(&s.storage)?;
    checkpoint(&s.checkpoint)?;
    catalogue.check_protocol(s)?;
    validate_restart::restart(&s.restart)?;
    validate_faults::faults(s, catalogue)?;
    validate_restart::swarm(s, catalogue)?;
    expect(&s.expect)
}

/// serde's words for a name that is none of `known`, with "did you mean"
/// when one is close: `unknown variant `crsh` — did you mean `crash`?`.
pub fn unknown_variant(name: &str, known: &[&str]) -> String {
    let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    super::suggest::improve_serde(&format!("unknown variant `{name}`, expected one of {}", list.join(", ")))
}

/// `Ok` if `ok`, else the rule's field and message.
pub fn require(ok: bool, field: impl Into<String>, message: impl Into<String>) -> Check {
    if ok {
        Ok(())
    } else {
        Err((field.into(), message.into()))
    }
}

/// `name`, `seeds`, `bug` and the properties `[expect]` names.
fn top_level(s: &Scenario, catalogue: &dyn Catalogue) -> Check {
    require(
        !s.name.trim().is_empty(),
        "name",
        "is empty; give the scenario a short name, e.g. name = \"crash-during-alignment\"",
    )?;
    require(s.seeds >= 1, "seeds", "is 0; at least 1 seed is needed to run anything, e.g. seeds = 8")?;
    if let Some(bug) = &s.bug {
        catalogue.check_bug(bug).map_err(|e| ("bug".to_string(), e))?;
    }
    for (i, property) in s.expect.violated.iter().enumerate() {
        catalogue.check_property(property).map_err(|e| (format!("expect.violated[{i}]"), e))?;
    }
    Ok(())
}

/// A duration that must not be zero.
pub fn positive(d: Duration, field: &str, example: &str) -> Check {
    require(!d.is_zero(), field, format!("is 0s; it must be longer than 0, e.g. \"{example}\""))
}

/// A probability that must lie in `[0, 1)` (`closed`: `[0, 1]`).
pub fn probability(p: f64, closed: bool, field: &str, why: &str) -> Check {
    let ok = if closed { (0.0..=1.0).contains(&p) } else { (0.0..1.0).contains(&p) };
    let range = if closed { "[0, 1]" } else { "[0, 1)" };
    require(ok, field, format!("is {p}; it must be a probability in {range}{why}"))
}

/// `min` must not exceed `max` (`min_name`/`max_name` are the bare keys).
pub fn ordered(min: Duration, max: Duration, table: &str, min_name: &str, max_name: &str) -> Check {
    require(
        min <= max,
        format!("{table}.{min_name}"),
        format!(
            "is {}, above {max_name} ({}); {min_name} must be at most {max_name}",
            format_duration(min),
            format_duration(max)
        ),
    )
}

/// The `[cluster]` table.
fn cluster(c: &Cluster) -> Check {
    require(c.workers >= 1, "cluster.workers", "is 0; the cluster needs at least 1 worker, e.g. workers = 3")?;
    require(
        c.slots_per_worker >= 1,
        "cluster.slots_per_worker",
        "is 0; every worker needs at least 1 slot, e.g. slots_per_worker = 2",
    )?;
    positive(c.heartbeat_interval, "cluster.heartbeat_interval", "100ms")?;
    require(
        c.heartbeat_timeout > c.heartbeat_interval,
        "cluster.heartbeat_timeout",
        format!(
            "is {}, not longer than heartbeat_interval ({}), so healthy workers would be declared lost; \
             make it several intervals, e.g. \"{}\"",
            format_duration(c.heartbeat_timeout),
            format_duration(c.heartbeat_interval),
            format_duration(c.heartbeat_interval * 10)
        ),
    )?;
    positive(c.rpc_timeout, "cluster.rpc_timeout", "1s")
}

/// The `[network]` table.
fn network(n: &Network) -> Check {
    ordered(n.latency_min, n.latency_max, "network", "latency_min", "latency_max")?;
    at_most_max_latency(n.latency_max, "network.latency_max")?;
    probability(n.loss, false, "network.loss", " (1 would lose every message; cut links with a partition fault)")?;
    require(
        n.buffers_per_channel >= 1,
        "network.buffers_per_channel",
        "is 0, but a channel with no buffer of its own can stall for good when the shared ones are lent out; \
         set at least 1 (Flink's default is 2)",
    )?;
    require(n.buffer_records >= 1, "network.buffer_records", "is 0; a network buffer holds at least 1 record, e.g. 64")
}

/// A latency must stay at or below `MAX_LATENCY`.
pub fn at_most_max_latency(latency: Duration, field: &str) -> Check {
    require(
        latency <= MAX_LATENCY,
        field,
        format!(
            "is {}; at most {} is supported (to cut links, use a partition fault)",
            format_duration(latency),
            format_duration(MAX_LATENCY)
        ),
    )
}

/// The `[disk]` table.
fn disk(d: &Disk) -> Check {
    ordered(d.fsync_latency_min, d.fsync_latency_max, "disk", "fsync_latency_min", "fsync_latency_max")?;
    probability(d.torn_write_probability, true, "disk.torn_write_probability", "")
}

/// With slot sharing a slot holds one subtask of every operator, so the job
/// needs as many slots as its largest parallelism.
fn slots(s: &Scenario) -> Check {
    let widest = s.job.operators.iter().enumerate().max_by_key(|(i, op)| (s.parallelism_of(op), usize::MAX - i));
    let Some((i, op)) = widest else {
        return Ok(());
    };
    let (need, c) = (s.parallelism_of(op), &s.cluster);
    let have = c.workers.saturating_mul(c.slots_per_worker);
    let field = if op.parallelism.is_some() { op_field(i, "parallelism") } else { "job.parallelism".into() };
    require(
        need <= have,
        field,
        format!(
            "needs {need} slots (`{}` runs {need} subtasks and a slot holds one subtask of every operator), \
             but the cluster has {} workers x {} slots = {have}; raise cluster.workers or \
             cluster.slots_per_worker, or lower the parallelism",
            op.id, c.workers, c.slots_per_worker
        ),
    )
}

/// Most copies a blob store keeps.
const MAX_REPLICAS: usize = 8;

/// The `[storage]` table.
fn storage(st: &Storage) -> Check {
    require(
        (1..=MAX_REPLICAS).contains(&st.replicas),
        "storage.replicas",
        format!("is {}; storage keeps 1 to {MAX_REPLICAS} copies of every blob, e.g. replicas = 2", st.replicas),
    )
}

/// Most checkpoints in flight, and most kept.
const MAX_CONCURRENT: usize = 16;
const MAX_RETAINED: usize = 100;

/// The `[checkpoint]` table. `min_pause` needs no rule: a duration is never
/// negative.
fn checkpoint(c: &Checkpoint) -> Check {
    positive(c.interval, "checkpoint.interval", "100ms")?;
    positive(c.timeout, "checkpoint.timeout", "2s")?;
    require(
        (1..=MAX_CONCURRENT).contains(&c.max_concurrent),
        "checkpoint.max_concurrent",
        format!("is {}; 1 to {MAX_CONCURRENT} checkpoints can be in flight, e.g. max_concurrent = 1", c.max_concurrent),
    )?;
    require(
        (1..=MAX_RETAINED).contains(&c.retained),
        "checkpoint.retained",
        format!("is {}; keep 1 to {MAX_RETAINED} completed checkpoints, e.g. retained = 1", c.retained),
    )
}

/// The `[expect]` table.
fn expect(e: &Expect) -> Check {
    positive(e.finish_within, "expect.finish_within", "60s")
}

#[cfg(test)]
mod snapshot_tests {
    use super::tests::{error_of, example_with};

    /// Snapshots live in `src/scenario/snapshots/`, named without the module:
    /// the error as the CLI prints it, carets and all.
    fn snapshot(name: &str, text: &str) {
        insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(name, error_of(text).render());
        });
    }

    #[test]
    fn snapshot_of_a_typo_in_a_key() {
        snapshot("typo_in_checkpoint_key", &example_with("interval = \"100ms\"", "intervl = \"100ms\""));
    }

    #[test]
    fn snapshot_of_an_unknown_input() {
        snapshot("unknown_input", &example_with("input = [\"count\"]", "input = [\"cuont\"]"));
    }

    #[test]
    fn snapshot_of_a_misspelt_action() {
        snapshot("misspelt_action", &example_with("action = \"crash\"", "action = \"crsh\""));
    }

    #[test]
    fn snapshot_of_a_misspelt_node() {
        snapshot("misspelt_node", &example_with("[\"worker-2\"]", "[\"wroker-2\"]"));
    }

    #[test]
    fn snapshot_of_a_crash_on_a_missing_worker() {
        snapshot("crash_on_missing_worker", &example_with("worker-of(count[1])", "worker-7"));
    }
}
