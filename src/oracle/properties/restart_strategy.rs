//! `restart_strategy`: the job fails exactly when the configured restart
//! strategy is exhausted, not one failure early and not one late, and
//! no redeploy comes sooner than the strategy's delay (docs/rules.md,
//! "Recovery").
//!
//! It is judged from the trace alone. `Recount` is this oracle's own count
//! of the failures the strategy sees: every `job_failover` except a
//! rescale's, from the coordinator that started last. A restarted
//! coordinator (`coordinator_started`) starts a fresh count, as a new Flink
//! JobMaster does. For each failure the recount says what the strategy
//! must do:
//!
//! - `fixed_delay`: give up when failures > `attempts`; else redeploy no
//!   sooner than `delay`.
//! - `failure_rate`: give up when more than `max_failures` failures fall
//!   within `failure_interval` (this one included); else redeploy no sooner
//!   than `delay`.
//! - `exponential_delay`: never give up. The backoff starts at
//!   `initial_backoff`, grows by `multiplier` up to `max_backoff`, and
//!   resets when a failure comes `reset_backoff_threshold` plus the current
//!   backoff after the last one. A redeploy comes no sooner than the backoff
//!   less its `jitter`.
//! - `none`: give up on the first failure.
//!
//! The trace must agree. A `job_failed` must come at the instant of the
//! failure that exhausts the strategy, and at no other. The next
//! `job_deployed` must come no sooner than the delay, unless a coordinator
//! restart came first (a new coordinator deploys at once).

use super::{Case, Judgement, Property};
use crate::oracle::violation::Violation;
use crate::scenario::duration::format_duration;
use crate::scenario::{Restart, RestartKind};
use crate::trace::event::FailoverKind;
use crate::trace::{Event, TraceEvent};
use std::collections::VecDeque;
use std::time::Duration;

/// The `restart_strategy` property.
pub struct RestartStrategy;

impl Property for RestartStrategy {
    fn names(&self) -> &'static [&'static str] {
        &[PROPERTY]
    }

    fn check(&self, j: &Case, out: &mut Judgement) {
        out.violations.extend(restart_strategy(&j.scenario.restart, &j.ev.record.events));
    }
}

const PROPERTY: &str = "restart_strategy";

/// What the strategy must do about one failure.
#[derive(Debug, Clone, PartialEq)]
pub enum Due {
    /// Redeploy, no sooner than this after the failure.
    Restart(Duration),
    /// Give up: the job fails, for this reason.
    GiveUp(String),
}

/// The failures one coordinator's strategy has seen, recounted.
#[derive(Debug, Clone)]
pub struct Recount {
    config: Restart,
    failures: u32,
    /// failure_rate: the times of the failures still inside the interval.
    recent: VecDeque<Duration>,
    /// exponential_delay: the current backoff and the last failure's time.
    backoff: Option<(Duration, Duration)>,
}

impl Recount {
    pub fn new(config: &Restart) -> Recount {
        Recount { config: config.clone(), failures: 0, recent: VecDeque::new(), backoff: None }
    }

    /// Failures counted so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// A failure at `at`: what the strategy must do.
    pub fn failure(&mut self, at: Duration) -> Due {
        self.failures += 1;
        let c = &self.config;
        match c.strategy {
            RestartKind::None => Due::GiveUp("restart strategy `none` gives up on the first failure".into()),
            RestartKind::FixedDelay if self.failures > c.attempts() => {
                Due::GiveUp(format!("failure {} > attempts {}", self.failures, c.attempts()))
            }
            RestartKind::FixedDelay => Due::Restart(c.delay()),
            RestartKind::FailureRate => {
                self.recent.push_back(at);
                while self.recent.front().is_some_and(|t| at.saturating_sub(*t) > c.failure_interval()) {
                    self.recent.pop_front();
                }
                match self.recent.len() as u32 {
                    n if n > c.max_failures() => Due::GiveUp(format!(
                        "{n} failures within {} > max_failures {}",
                        format_duration(c.failure_interval()),
                        c.max_failures()
                    )),
                    _ => Due::Restart(c.delay()),
                }
            }
            RestartKind::ExponentialDelay => {
                let (initial, max) = (c.initial_backoff(), c.max_backoff());
                let current = match self.backoff {
                    Some((current, last)) if at.saturating_sub(last) < c.reset_backoff_threshold() + current => {
                        current.mul_f64(c.multiplier()).min(max)
                    }
                    _ => initial,
                };
                self.backoff = Some((current, at));
                let least = current.saturating_sub(current.mul_f64(c.jitter()));
                Due::Restart(least.min(max))
            }
        }
    }
}

/// Whether `e` is a failure the restart strategy is asked about.
fn is_failure(e: &TraceEvent) -> bool {
    matches!(&e.event, Event::JobFailover { cause, .. } if *cause != FailoverKind::Rescale)
}

/// The recount over the whole trace: the count as the run ended, and
/// whether the strategy was exhausted (the job had to fail).
pub fn recount(config: &Restart, events: &[TraceEvent]) -> (Recount, bool) {
    let mut count = Recount::new(config);
    let mut exhausted = false;
    for e in events {
        match &e.event {
            Event::CoordinatorStarted { attempt: 1.., .. } => count = Recount::new(config),
            _ if is_failure(e) => exhausted |= matches!(count.failure(e.time), Due::GiveUp(_)),
            _ => {}
        }
    }
    (count, exhausted)
}

/// Judges every failure in the trace against the recount.
pub fn restart_strategy(config: &Restart, events: &[TraceEvent]) -> Vec<Violation> {
    let mut out = vec![];
    let mut count = Recount::new(config);
    for (i, e) in events.iter().enumerate() {
        if let Event::CoordinatorStarted { attempt: 1.., .. } = e.event {
            count = Recount::new(config);
            continue;
        }
        let Event::JobFailover { attempt, reason, .. } = &e.event else { continue };
        if !is_failure(e) {
            continue;
        }
        let n = count.failure(e.time);
        let nth = count.failures();
        // The job fails at the instant of the failure that exhausts the strategy.
        let mut same_instant = events[i + 1..].iter().take_while(|x| x.time == e.time);
        let failed = same_instant.any(|x| matches!(x.event, Event::JobFailed { attempt: a, .. } if a == *attempt));
        let located = |detail: String| Violation::new(PROPERTY, detail).at(e.time).node("coordinator");
        match n {
            Due::GiveUp(why) if !failed => out.push(located(format!(
                "the job went on after failure {nth} ({reason}), which exhausts the restart strategy: {why}"
            ))),
            Due::GiveUp(_) => {}
            Due::Restart(_) if failed => out.push(located(format!(
                "the job failed at failure {nth} ({reason}), which the restart strategy still allows ({})",
                allows(config, nth)
            ))),
            Due::Restart(least) => {
                // The next deployment of the job, unless a coordinator restart came first.
                let next = events[i + 1..].iter().find(|x| {
                    matches!(x.event, Event::JobDeployed { .. } | Event::CoordinatorStarted { attempt: 1.., .. })
                });
                if let Some(x @ TraceEvent { event: Event::JobDeployed { attempt: a, .. }, .. }) = next {
                    let after = x.time.saturating_sub(e.time);
                    if after < least {
                        out.push(
                            Violation::new(
                                PROPERTY,
                                format!(
                                    "attempt {a} was deployed {} after failure {nth}, sooner than the {} the \
                                     restart strategy prescribes",
                                    format_duration(after),
                                    format_duration(least)
                                ),
                            )
                            .at(x.time)
                            .node("coordinator"),
                        );
                    }
                }
            }
        }
    }
    out
}

/// Why the strategy still allows failure `nth`, in words.
fn allows(c: &Restart, nth: u32) -> String {
    match c.strategy {
        RestartKind::FixedDelay => format!("failure {nth} ≤ attempts {}", c.attempts()),
        RestartKind::FailureRate => {
            format!("at most max_failures {} within {}", c.max_failures(), format_duration(c.failure_interval()))
        }
        RestartKind::ExponentialDelay => "exponential_delay never gives up".into(),
        RestartKind::None => "none".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::testing::{self, at};

    const MS: Duration = Duration::from_millis(1);

    fn failover(ms: u64, attempt: u64) -> TraceEvent {
        let mut event = testing::failover(FailoverKind::TaskFailed, vec![]);
        if let Event::JobFailover { attempt: a, .. } = &mut event {
            *a = attempt;
        }
        at(ms, "coordinator", event)
    }

    fn deployed(ms: u64, attempt: u64) -> TraceEvent {
        at(ms, "coordinator", Event::JobDeployed { attempt, restore: 0 })
    }

    fn failed(ms: u64, attempt: u64) -> TraceEvent {
        at(ms, "coordinator", Event::JobFailed { attempt, reason: "gave up".into() })
    }

    fn fixed(attempts: u32) -> Restart {
        Restart { attempts: Some(attempts), delay: Some(100 * MS), ..Restart::default() }
    }

    /// Two attempts: two failures are restarted, the third fails the job.
    #[test]
    fn fixed_delay_fails_the_job_exactly_at_attempts_plus_one() {
        let right = [
            deployed(0, 1),
            failover(1000, 1),
            deployed(1100, 2),
            failover(2000, 2),
            deployed(2100, 3),
            failover(3000, 3),
            failed(3000, 3),
        ];
        assert!(restart_strategy(&fixed(2), &right).is_empty());
        let early = [deployed(0, 1), failover(1000, 1), deployed(1100, 2), failover(2000, 2), failed(2000, 2)];
        let v = restart_strategy(&fixed(2), &early);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].detail.contains("the job failed at failure 2"), "{}", v[0].detail);
        let late = [&right[..6], &[deployed(3100, 4)]].concat();
        let v = restart_strategy(&fixed(2), &late);
        assert!(v[0].detail.contains("the job went on after failure 3"), "{}", v[0].detail);
    }

    #[test]
    fn a_redeploy_sooner_than_the_delay_is_caught() {
        let v = restart_strategy(&fixed(5), &[deployed(0, 1), failover(1000, 1), deployed(1050, 2)]);
        assert!(v[0].detail.contains("deployed 50ms after failure 1, sooner than the 100ms"), "{}", v[0].detail);
    }

    /// max_failures 2 within 10s: a third failure inside the window fails
    /// the job, one after it has moved on does not.
    #[test]
    fn failure_rate_counts_only_the_failures_inside_the_interval() {
        let rate = Restart {
            strategy: RestartKind::FailureRate,
            max_failures: Some(2),
            failure_interval: Some(Duration::from_secs(10)),
            delay: Some(100 * MS),
            ..Restart::default()
        };
        let mut r = Recount::new(&rate);
        assert_eq!(r.failure(Duration::from_secs(1)), Due::Restart(100 * MS));
        assert_eq!(r.failure(Duration::from_secs(5)), Due::Restart(100 * MS));
        assert_eq!(r.failure(Duration::from_secs(12)), Due::Restart(100 * MS), "the first has left the window");
        assert!(matches!(r.failure(Duration::from_secs(13)), Due::GiveUp(_)));
    }

    /// A restarted coordinator counts afresh.
    #[test]
    fn a_coordinator_restart_starts_a_fresh_count() {
        let started = at(1500, "coordinator", Event::CoordinatorStarted { attempt: 1, latest: 0 });
        let events =
            [deployed(0, 1), failover(1000, 1), started, deployed(1600, 2), failover(2000, 2), deployed(2100, 3)];
        assert!(restart_strategy(&fixed(1), &events).is_empty());
        assert!(!recount(&fixed(1), &events).1);
    }

    #[test]
    fn exponential_backoff_grows_resets_and_allows_its_jitter() {
        let exp = Restart {
            strategy: RestartKind::ExponentialDelay,
            initial_backoff: Some(100 * MS),
            max_backoff: Some(350 * MS),
            multiplier: Some(2.0),
            reset_backoff_threshold: Some(Duration::from_secs(10)),
            jitter: Some(0.1),
            ..Restart::default()
        };
        let mut r = Recount::new(&exp);
        assert_eq!(r.failure(Duration::from_secs(1)), Due::Restart(90 * MS));
        assert_eq!(r.failure(Duration::from_secs(2)), Due::Restart(180 * MS));
        assert_eq!(r.failure(Duration::from_secs(3)), Due::Restart(315 * MS), "capped at 350ms, less 10%");
        assert_eq!(r.failure(Duration::from_secs(30)), Due::Restart(90 * MS), "reset after the threshold");
    }
}
