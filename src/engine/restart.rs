//! Restart strategies, sans-IO (docs/rules.md, "Recovery"): told of each job
//! failure and when it happened, they answer restart-after-delay or give up.
//!
//! - `fixed_delay`: restart while failures ≤ `attempts`, after `delay`.
//! - `failure_rate`: give up when more than `max_failures` failures fall
//!   within `failure_interval`; else restart after `delay`.
//! - `exponential_delay`: never give up; the backoff starts at
//!   `initial_backoff`, grows by `multiplier` per failure up to
//!   `max_backoff`, and resets when a failure comes at least
//!   `reset_backoff_threshold` (plus the current backoff) after the last one;
//!   each delay is spread by ±`jitter`.
//! - `none`: give up on the first failure.

use crate::scenario::{Restart, RestartKind};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestartDecision {
    /// Redeploy after this delay.
    RestartAfter(Duration),
    /// The job fails for good.
    Fail(String),
}

/// The configured strategy and the failures it has seen.
#[derive(Debug, Clone)]
pub struct RestartStrategy {
    config: Restart,
    failures: u32,
    /// failure_rate: the times of recent failures.
    recent: VecDeque<Duration>,
    /// exponential_delay: the current backoff and the last failure's time.
    backoff: Option<Duration>,
    last_failure: Option<Duration>,
    rng: ChaCha8Rng,
    /// Planted bugs `restart_gives_up_early` / `_late`: one failure fewer
    /// (or more) is allowed.
    early: bool,
    late: bool,
}

impl RestartStrategy {
    /// `rng` spreads exponential backoffs (jitter).
    pub fn new(config: Restart, rng: ChaCha8Rng) -> Self {
        RestartStrategy {
            config,
            failures: 0,
            recent: VecDeque::new(),
            backoff: None,
            last_failure: None,
            rng,
            early: false,
            late: false,
        }
    }

    /// Planted bugs `restart_gives_up_early` (`early`) and
    /// `restart_gives_up_late` (`late`): `fixed_delay` and `failure_rate`
    /// allow one failure fewer, or one more, than configured.
    pub fn off_by_one(self, early: bool, late: bool) -> Self {
        RestartStrategy { early, late, ..self }
    }

    /// The failures allowed: `limit`, off by one under a planted bug.
    fn allowed(&self, limit: u32) -> u32 {
        (limit + u32::from(self.late)).saturating_sub(u32::from(self.early))
    }

    /// Failures seen so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// A job failure happened at `now`.
    pub fn on_failure(&mut self, now: Duration) -> RestartDecision {
        self.failures += 1;
        match self.config.strategy {
            RestartKind::None => RestartDecision::Fail("restart strategy `none`".into()),
            RestartKind::FixedDelay => self.fixed_delay(),
            RestartKind::FailureRate => self.failure_rate(now),
            RestartKind::ExponentialDelay => RestartDecision::RestartAfter(self.exponential_delay(now)),
        }
    }

    fn fixed_delay(&self) -> RestartDecision {
        let attempts = self.config.attempts();
        if self.failures <= self.allowed(attempts) {
            RestartDecision::RestartAfter(self.config.delay())
        } else {
            RestartDecision::Fail(format!("fixed_delay exhausted: {} failures > {attempts} attempts", self.failures))
        }
    }

    fn failure_rate(&mut self, now: Duration) -> RestartDecision {
        let interval = self.config.failure_interval();
        self.recent.push_back(now);
        while self.recent.front().is_some_and(|t| now.saturating_sub(*t) > interval) {
            self.recent.pop_front();
        }
        let max = self.config.max_failures();
        if self.recent.len() as u32 > self.allowed(max) {
            RestartDecision::Fail(format!(
                "failure_rate exceeded: {} failures within {:?} > max_failures {max}",
                self.recent.len(),
                interval
            ))
        } else {
            RestartDecision::RestartAfter(self.config.delay())
        }
    }

    fn exponential_delay(&mut self, now: Duration) -> Duration {
        let c = &self.config;
        let (initial, max) = (c.initial_backoff(), c.max_backoff());
        let current = match (self.backoff, self.last_failure) {
            (Some(current), Some(last)) if now.saturating_sub(last) < c.reset_backoff_threshold() + current => {
                current.mul_f64(c.multiplier()).min(max)
            }
            _ => initial,
        };
        self.backoff = Some(current);
        self.last_failure = Some(now);
        let jitter = current.mul_f64(c.jitter());
        let delay = if jitter.is_zero() {
            current
        } else {
            let low = current.saturating_sub(jitter);
            self.rng.gen_range(low..=current + jitter)
        };
        delay.min(max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    const MS: Duration = Duration::from_millis(1);
    const S: Duration = Duration::from_secs(1);

    fn strategy(config: Restart) -> RestartStrategy {
        RestartStrategy::new(config, ChaCha8Rng::seed_from_u64(1))
    }

    #[test]
    fn fixed_delay_restarts_while_failures_are_at_most_attempts() {
        let mut s = strategy(Restart { attempts: Some(2), delay: Some(50 * MS), ..Restart::default() });
        assert_eq!(s.on_failure(S), RestartDecision::RestartAfter(50 * MS));
        assert_eq!(s.on_failure(2 * S), RestartDecision::RestartAfter(50 * MS));
        assert!(matches!(s.on_failure(3 * S), RestartDecision::Fail(_)));
    }

    /// The planted off-by-one (`restart_gives_up_early` / `_late`) moves the
    /// limit by exactly one failure, each way.
    #[test]
    fn the_planted_off_by_one_moves_the_limit_one_failure_each_way() {
        let config = Restart { attempts: Some(2), delay: Some(50 * MS), ..Restart::default() };
        let mut early = strategy(config.clone()).off_by_one(true, false);
        assert_eq!(early.on_failure(S), RestartDecision::RestartAfter(50 * MS));
        assert!(matches!(early.on_failure(2 * S), RestartDecision::Fail(_)), "gives up at the second");
        let mut late = strategy(config).off_by_one(false, true);
        for k in 1..=3 {
            assert_eq!(late.on_failure(k * S), RestartDecision::RestartAfter(50 * MS), "failure {k}");
        }
        assert!(matches!(late.on_failure(4 * S), RestartDecision::Fail(_)), "gives up at the fourth");
    }

    /// A failure exactly one interval before another is still inside its
    /// window (Flink compares with ≤).
    #[test]
    fn a_failure_exactly_one_interval_ago_is_still_in_the_window() {
        let config = Restart {
            strategy: RestartKind::FailureRate,
            max_failures: Some(1),
            failure_interval: Some(10 * S),
            delay: Some(100 * MS),
            ..Restart::default()
        };
        let mut s = strategy(config);
        assert_eq!(s.on_failure(S), RestartDecision::RestartAfter(100 * MS));
        assert!(matches!(s.on_failure(11 * S), RestartDecision::Fail(_)), "1s and 11s are both within 10s");
    }

    #[test]
    fn none_fails_on_the_first_failure() {
        let config = Restart { strategy: RestartKind::None, ..Restart::default() };
        assert!(matches!(strategy(config).on_failure(S), RestartDecision::Fail(_)));
    }

    #[test]
    fn failure_rate_gives_up_when_max_plus_one_failures_fall_in_the_interval() {
        // Flink: max-failures-per-interval 2 within 10s; the third inside the window fails the job.
        let config = Restart {
            strategy: RestartKind::FailureRate,
            max_failures: Some(2),
            failure_interval: Some(10 * S),
            delay: Some(100 * MS),
            ..Restart::default()
        };
        let mut s = strategy(config);
        assert_eq!(s.on_failure(S), RestartDecision::RestartAfter(100 * MS));
        assert_eq!(s.on_failure(5 * S), RestartDecision::RestartAfter(100 * MS));
        assert_eq!(s.on_failure(12 * S), RestartDecision::RestartAfter(100 * MS), "the failure at 1s left the window");
        assert!(matches!(s.on_failure(14 * S), RestartDecision::Fail(_)), "5s, 12s and 14s are within 10s");
    }

    #[test]
    fn failure_rate_defaults_are_flinks() {
        let config = Restart { strategy: RestartKind::FailureRate, ..Restart::default() };
        assert_eq!((config.max_failures(), config.failure_interval(), config.delay()), (1, 60 * S, S));
        let mut s = strategy(config);
        assert_eq!(s.on_failure(S), RestartDecision::RestartAfter(S));
        assert!(matches!(s.on_failure(30 * S), RestartDecision::Fail(_)));
    }

    fn exponential(jitter: f64) -> Restart {
        Restart {
            strategy: RestartKind::ExponentialDelay,
            initial_backoff: Some(100 * MS),
            max_backoff: Some(S),
            multiplier: Some(2.0),
            reset_backoff_threshold: Some(10 * S),
            jitter: Some(jitter),
            ..Restart::default()
        }
    }

    fn delay(d: RestartDecision) -> Duration {
        match d {
            RestartDecision::RestartAfter(d) => d,
            RestartDecision::Fail(why) => panic!("gave up: {why}"),
        }
    }

    #[test]
    fn exponential_delay_doubles_up_to_the_max_and_never_gives_up() {
        let mut s = strategy(exponential(0.0));
        let delays: Vec<Duration> = (1..=6).map(|k| delay(s.on_failure(k * S))).collect();
        assert_eq!(delays, vec![100 * MS, 200 * MS, 400 * MS, 800 * MS, S, S]);
    }

    #[test]
    fn exponential_delay_resets_after_a_quiet_threshold() {
        let mut s = strategy(exponential(0.0));
        delay(s.on_failure(S));
        assert_eq!(delay(s.on_failure(2 * S)), 200 * MS);
        // now − last ≥ reset threshold + current backoff: back to the initial backoff.
        assert_eq!(delay(s.on_failure(2 * S + 10 * S + 200 * MS)), 100 * MS);
    }

    /// Jitter spreads the delay to both sides of the backoff.
    #[test]
    fn exponential_jitter_reaches_both_sides_of_the_backoff() {
        let mut s = strategy(exponential(0.5));
        let (mut above, mut below) = (false, false);
        for k in 0..40 {
            // 20s apart: past the reset threshold, so each backoff is the initial 100ms.
            let d = delay(s.on_failure(k * 20 * S));
            assert!((50 * MS..=150 * MS).contains(&d), "{d:?}");
            above |= d > 100 * MS;
            below |= d < 100 * MS;
        }
        assert!(above && below, "above {above}, below {below}");
    }

    #[test]
    fn exponential_jitter_stays_within_its_fraction() {
        let mut s = strategy(exponential(0.1));
        let d = delay(s.on_failure(S));
        assert!((90 * MS..=110 * MS).contains(&d), "{d:?}");
        let config = Restart { strategy: RestartKind::ExponentialDelay, ..Restart::default() };
        assert_eq!(
            (config.initial_backoff(), config.max_backoff(), config.multiplier(), config.jitter()),
            (S, 300 * S, 2.0, 0.1),
            "Flink's defaults"
        );
        assert_eq!(config.reset_backoff_threshold(), 3600 * S);
    }
}
