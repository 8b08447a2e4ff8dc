//! Rules of `[restart]` (the fields each strategy takes, in range) and of
//! `[swarm]`.

use super::super::{Catalogue, Restart, RestartKind, Scenario};
use super::{positive, require, Check, MAX_RESTART_DELAY};
use crate::scenario::duration::format_duration;
use std::time::Duration;

/// The fields each strategy takes.
fn takes(kind: RestartKind) -> &'static [&'static str] {
    match kind {
        RestartKind::FixedDelay => &["attempts", "delay"],
        RestartKind::FailureRate => &["max_failures", "failure_interval", "delay"],
        RestartKind::ExponentialDelay => {
            &["initial_backoff", "max_backoff", "multiplier", "reset_backoff_threshold", "jitter"]
        }
        RestartKind::None => &[],
    }
}

/// The `[restart]` table.
pub(super) fn restart(r: &Restart) -> Check {
    let set = [
        ("attempts", r.attempts.is_some()),
        ("delay", r.delay.is_some()),
        ("max_failures", r.max_failures.is_some()),
        ("failure_interval", r.failure_interval.is_some()),
        ("initial_backoff", r.initial_backoff.is_some()),
        ("max_backoff", r.max_backoff.is_some()),
        ("multiplier", r.multiplier.is_some()),
        ("reset_backoff_threshold", r.reset_backoff_threshold.is_some()),
        ("jitter", r.jitter.is_some()),
    ];
    let takes = takes(r.strategy);
    if let Some((name, _)) = set.iter().find(|(name, on)| *on && !takes.contains(name)) {
        let list: Vec<String> = takes.iter().map(|t| format!("`{t}`")).collect();
        let what = if list.is_empty() { "no fields".to_string() } else { list.join(", ") };
        return Err((
            format!("restart.{name}"),
            format!("is not used by strategy `{}` (it takes {what}); remove it", r.strategy.name()),
        ));
    }
    for (name, d) in [("delay", r.delay()), ("initial_backoff", r.initial_backoff()), ("max_backoff", r.max_backoff())]
    {
        at_most_an_hour(d, name)?;
    }
    match r.strategy {
        RestartKind::FailureRate => {
            require(r.max_failures() >= 1, "restart.max_failures", "is 0; allow at least 1 failure, e.g. 3")?;
            positive(r.failure_interval(), "restart.failure_interval", "1m")
        }
        RestartKind::ExponentialDelay => exponential(r),
        _ => Ok(()),
    }
}

fn at_most_an_hour(d: Duration, name: &str) -> Check {
    require(
        d <= MAX_RESTART_DELAY,
        format!("restart.{name}"),
        format!("is {}; at most {} is allowed", format_duration(d), format_duration(MAX_RESTART_DELAY)),
    )
}

fn exponential(r: &Restart) -> Check {
    positive(r.initial_backoff(), "restart.initial_backoff", "1s")?;
    require(
        r.max_backoff() >= r.initial_backoff(),
        "restart.max_backoff",
        format!(
            "is {}, below initial_backoff ({}); the backoff grows from initial to max",
            format_duration(r.max_backoff()),
            format_duration(r.initial_backoff())
        ),
    )?;
    let m = r.multiplier();
    require(m.is_finite() && m >= 1.0, "restart.multiplier", format!("is {m}; it must be at least 1, e.g. 2.0"))?;
    let j = r.jitter();
    require((0.0..=1.0).contains(&j), "restart.jitter", format!("is {j}; it must be a fraction in [0, 1], e.g. 0.1"))
}

/// Most faults one swarm seed may draw.
const MAX_SWARM_FAULTS: usize = 64;

/// The `[swarm]` section.
pub(super) fn swarm(s: &Scenario, catalogue: &dyn Catalogue) -> Check {
    let Some(swarm) = &s.swarm else { return Ok(()) };
    require(
        !swarm.faults.is_empty(),
        "swarm.faults",
        "is empty; name the kinds to draw from, e.g. faults = [\"crash\", \"pause\", \"link\"]",
    )?;
    positive(swarm.window, "swarm.window", "2s")?;
    require(
        (1..=MAX_SWARM_FAULTS).contains(&swarm.max_faults),
        "swarm.max_faults",
        format!("is {}; a seed draws 0 to max_faults faults, 1..={MAX_SWARM_FAULTS}, e.g. 4", swarm.max_faults),
    )?;
    (0..swarm.faults.len()).try_for_each(|j| catalogue.check_swarm_kind(s, j))?;
    swarm_max_concurrent(s, catalogue)
}

/// `[swarm] max_concurrent = [low, high]`: a range of what `[checkpoint]
/// max_concurrent` accepts, each end of which the protocol allows.
fn swarm_max_concurrent(s: &Scenario, catalogue: &dyn Catalogue) -> Check {
    let Some((low, high)) = s.swarm.as_ref().and_then(|w| w.max_concurrent) else { return Ok(()) };
    let field = "swarm.max_concurrent";
    require(
        (1..=super::MAX_CONCURRENT).contains(&low) && (low..=super::MAX_CONCURRENT).contains(&high),
        field,
        format!(
            "is [{low}, {high}]; each seed draws max_concurrent from [low, high] with 1 <= low <= high <= {}, e.g. [1, 4]",
            super::MAX_CONCURRENT
        ),
    )?;
    for n in [low, high] {
        let mut drawn = s.clone();
        drawn.checkpoint.max_concurrent = n;
        catalogue.check_protocol(&drawn).map_err(|(f, message)| match f.as_str() {
            "checkpoint.max_concurrent" => (
                field.to_string(),
                format!("is [{low}, {high}]; a seed may draw max_concurrent = {n}, which is refused: it {message}"),
            ),
            _ => (f, message),
        })?;
    }
    Ok(())
}
