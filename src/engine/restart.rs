//! Restart strategies, sans-IO (FLINK-SPEC "Recovery"): told of each job
//! failure, they answer restart-after-delay or give up.

use crate::scenario::{Restart, RestartKind};
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
}

impl RestartStrategy {
    pub fn new(config: Restart) -> Self {
        RestartStrategy { config, failures: 0 }
    }

    /// Failures seen so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// A job failure happened.
    pub fn on_failure(&mut self) -> RestartDecision {
        self.failures += 1;
        match self.config.strategy {
            RestartKind::None => RestartDecision::Fail("restart strategy `none`".into()),
            // fixed_delay: restart while failures ≤ attempts.
            RestartKind::FixedDelay if self.failures <= self.config.attempts => {
                RestartDecision::RestartAfter(self.config.delay)
            }
            RestartKind::FixedDelay => RestartDecision::Fail(format!(
                "fixed_delay exhausted: {} failures > {} attempts",
                self.failures, self.config.attempts
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_delay_restarts_while_failures_are_at_most_attempts() {
        let config = Restart { strategy: RestartKind::FixedDelay, attempts: 2, delay: Duration::from_millis(50) };
        let mut s = RestartStrategy::new(config);
        assert_eq!(s.on_failure(), RestartDecision::RestartAfter(Duration::from_millis(50)));
        assert_eq!(s.on_failure(), RestartDecision::RestartAfter(Duration::from_millis(50)));
        assert!(matches!(s.on_failure(), RestartDecision::Fail(_)));
    }

    #[test]
    fn none_fails_on_the_first_failure() {
        let config = Restart { strategy: RestartKind::None, ..Restart::default() };
        assert!(matches!(RestartStrategy::new(config).on_failure(), RestartDecision::Fail(_)));
    }
}
