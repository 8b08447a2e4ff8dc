//! Flink's restart backoff strategy tests, mirrored against ckptsim's sans-IO
//! `RestartStrategy` (`engine/restart.rs`): one module per Flink test class,
//! one test per Flink test method that applies.
//!
//! Flink asks its strategies three things: `notifyFailure` (told of a
//! failure), `canRestart` and `getBackoffTime`, with a manual clock. ckptsim
//! answers all three at once: `on_failure(now)` returns `RestartAfter(delay)`
//! or `Fail`, `now` standing for Flink's clock. Rules: docs/rules.md,
//! "Recovery". `docs/conformance.md` lists every Flink case.

use crate::engine::restart::{RestartDecision, RestartStrategy};
use crate::scenario::{Restart, RestartKind};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);
const S: Duration = Duration::from_secs(1);

fn strategy(config: Restart) -> RestartStrategy {
    seeded(config, 1)
}

/// The strategy with its jitter drawn from seed `seed`.
fn seeded(config: Restart, seed: u64) -> RestartStrategy {
    RestartStrategy::new(config, ChaCha8Rng::seed_from_u64(seed))
}

/// The delay of a restart decision; panics if the strategy gave up.
fn delay(decision: RestartDecision) -> Duration {
    match decision {
        RestartDecision::RestartAfter(d) => d,
        RestartDecision::Fail(why) => panic!("gave up: {why}"),
    }
}

/// Flink's `FixedDelayRestartBackoffTimeStrategyTest`.
mod fixed_delay_restart_backoff_time_strategy_test {
    use super::*;

    /// Flink: with three restarts allowed, the first three failures may
    /// restart (asking twice does not use up a restart), the fourth may not.
    /// Mirror (`fixed_delay`: restart while failures ≤ `attempts`): three
    /// failures restart; reading `failures()` twice changes nothing; the
    /// fourth fails the job.
    #[test]
    fn test_number_of_restarts() {
        let mut s = strategy(Restart { attempts: Some(3), delay: Some(Duration::ZERO), ..Restart::default() });
        for k in 1..=3u32 {
            assert_eq!(s.on_failure(k * S), RestartDecision::RestartAfter(Duration::ZERO));
            assert_eq!(s.failures(), k);
            assert_eq!(s.failures(), k, "reading the count does not change it");
        }
        assert!(matches!(s.on_failure(4 * S), RestartDecision::Fail(_)));
    }

    /// Flink: the backoff is the configured delay (10 s). Mirror: the
    /// restart comes after `delay`.
    #[test]
    fn test_backoff_time() {
        let mut s = strategy(Restart { attempts: Some(1), delay: Some(10 * S), ..Restart::default() });
        assert_eq!(s.on_failure(S), RestartDecision::RestartAfter(10 * S));
    }
}

/// Flink's `FailureRateRestartBackoffTimeStrategyTest`.
mod failure_rate_restart_backoff_time_strategy_test {
    use super::*;

    fn failure_rate(max_failures: u32, interval: Duration, delay: Duration) -> Restart {
        Restart {
            strategy: RestartKind::FailureRate,
            max_failures: Some(max_failures),
            failure_interval: Some(interval),
            delay: Some(delay),
            ..Restart::default()
        }
    }

    /// Flink: one failure allowed per 1 ms; failures 2 ms apart never
    /// exceed the rate, so every one may restart. Mirror (`failure_rate`:
    /// give up past `max_failures` within `failure_interval`): three failures
    /// 2 ms apart all restart.
    #[test]
    fn test_many_failures_within_rate() {
        let mut s = strategy(failure_rate(1, MS, Duration::ZERO));
        for k in 0..3u32 {
            assert_eq!(s.on_failure(S + k * 2 * MS), RestartDecision::RestartAfter(Duration::ZERO));
        }
        assert_eq!(s.failures(), 3);
    }

    /// Flink: three failures allowed per 10 s; three at once may restart, a
    /// fourth at the same time may not. Mirror: the same four failures, the
    /// fourth fails the job.
    #[test]
    fn test_failures_exceeding_rate() {
        let mut s = strategy(failure_rate(3, 10 * S, Duration::ZERO));
        for _ in 0..3 {
            assert_eq!(s.on_failure(S), RestartDecision::RestartAfter(Duration::ZERO));
        }
        assert!(matches!(s.on_failure(S), RestartDecision::Fail(_)));
    }

    /// Flink: the backoff is the configured delay (10 s). Mirror: the
    /// restart comes after `delay`.
    #[test]
    fn test_backoff_time() {
        let mut s = strategy(failure_rate(1, MS, 10 * S));
        assert_eq!(s.on_failure(S), RestartDecision::RestartAfter(10 * S));
    }
}

/// Flink's `ExponentialDelayRestartBackoffTimeStrategyTest`. Flink keeps its
/// backoff in whole milliseconds and folds the jitter into the next backoff;
/// ckptsim keeps nanoseconds and spreads each delay around the unjittered
/// backoff. The mirrors of exact-value cases therefore set the jitter to 0.
mod exponential_delay_restart_backoff_time_strategy_test {
    use super::*;

    fn exponential(initial: Duration, max: Duration, multiplier: f64, threshold: Duration, jitter: f64) -> Restart {
        Restart {
            strategy: RestartKind::ExponentialDelay,
            initial_backoff: Some(initial),
            max_backoff: Some(max),
            multiplier: Some(multiplier),
            reset_backoff_threshold: Some(threshold),
            jitter: Some(jitter),
            ..Restart::default()
        }
    }

    /// `got` is `want` to within a microsecond (float multiplication).
    fn assert_close(got: Duration, want: Duration) {
        let diff = got.abs_diff(want);
        assert!(diff <= Duration::from_micros(1), "{got:?} is not {want:?}");
    }

    /// Flink: the first backoff is the initial one (42 ms). Mirror: the first
    /// failure restarts after `initial_backoff`.
    #[test]
    fn test_initial_backoff() {
        let mut s = strategy(exponential(42 * MS, 45 * MS, 2.0, 8 * MS, 0.0));
        assert_eq!(delay(s.on_failure(S)), 42 * MS);
    }

    /// Flink: however many failures come in a row, the backoff never exceeds
    /// the maximum (6 ms), jitter included. Mirror: ten failures at the same
    /// moment, jitter 0.25, for many seeds: no delay above `max_backoff`.
    #[test]
    fn test_max_backoff() {
        for seed in 0..50 {
            let mut s = seeded(exponential(MS, 6 * MS, 2.0, 8 * MS, 0.25), seed);
            for _ in 0..10 {
                let d = delay(s.on_failure(S));
                assert!(d <= 6 * MS, "seed {seed}: {d:?}");
            }
        }
    }

    /// Flink: a failure less than threshold + backoff after the last one
    /// doubles the backoff (1 → 2 ms); one that comes exactly threshold +
    /// backoff after it resets it to the initial 1 ms. Mirror (jitter 0): the
    /// same times, threshold 8 ms.
    #[test]
    fn test_reset_backoff() {
        let mut s = strategy(exponential(MS, 5 * MS, 2.0, 8 * MS, 0.0));
        let first = S;
        assert_eq!(delay(s.on_failure(first)), MS);
        let second = first + 8 * MS; // threshold + backoff (1 ms) − 1 ms
        assert_eq!(delay(s.on_failure(second)), 2 * MS, "backoff should be increased");
        let third = second + 8 * MS + 2 * MS;
        assert_eq!(delay(s.on_failure(third)), MS, "backoff should be reset");
    }

    /// Flink: with multiplier 2.3 and no jitter the backoffs are 4, 9 and 21
    /// ms (whole milliseconds). Mirror: 4 ms, then 4 × 2.3 and 4 × 2.3 × 2.3
    /// ms (ckptsim does not round to whole milliseconds), failures 301 ms
    /// apart with a threshold that never resets.
    #[test]
    fn test_backoff_multiplier() {
        let threshold = Duration::from_millis(i32::MAX as u64);
        let mut s = strategy(exponential(4 * MS, 300 * MS, 2.3, threshold, 0.0));
        assert_eq!(delay(s.on_failure(S)), 4 * MS);
        assert_close(delay(s.on_failure(S + 301 * MS)), Duration::from_micros(9_200));
        assert_close(delay(s.on_failure(S + 602 * MS)), Duration::from_micros(21_160));
    }

    /// Flink: initial 1 ms, max 9 ms, multiplier 2, threshold 80 ms: the
    /// backoff starts at 1, stays 1 after a quiet 81 ms, grows to 2 after 4
    /// ms, resets to 1 after 90 ms, grows to 2 again after 10 ms. Mirror:
    /// the same sequence with jitter 0 (Flink's 0.25 jitter rounds away at
    /// these whole-millisecond values; ckptsim's would not).
    #[test]
    fn test_multiple_settings() {
        let mut s = strategy(exponential(MS, 9 * MS, 2.0, 80 * MS, 0.0));
        let mut now = S;
        assert_eq!(delay(s.on_failure(now)), MS, "initial");
        now += 81 * MS;
        assert_eq!(delay(s.on_failure(now)), MS, "still initial after a quiet threshold");
        now += 4 * MS;
        assert_eq!(delay(s.on_failure(now)), 2 * MS, "increases");
        now += 90 * MS;
        assert_eq!(delay(s.on_failure(now)), MS, "reset after threshold + backoff");
        now += 10 * MS;
        assert_eq!(delay(s.on_failure(now)), 2 * MS, "increases again");
        assert_eq!(s.failures(), 5);
    }
}
