//! When a task was backpressured, as periods for the trace, sans-IO. A
//! period opens when the task finds an output channel full (it reads no
//! input until credit comes) and closes once the task has been free to work
//! for `GAP`: under steady backpressure a credit frees a buffer, the task
//! fills it and is blocked again within moments, and those moments stay
//! inside one period, as Flink reports a task backpressured over a window,
//! not per buffer. A period also says how much of it the task was blocked.

use std::time::Duration;

/// How long a task must have been free to work for its period to close.
pub const GAP: Duration = Duration::from_millis(50);

/// One task's backpressure.
#[derive(Debug, Default)]
pub struct Pressure {
    open: Option<Period>,
}

#[derive(Debug)]
struct Period {
    start: Duration,
    /// Which of the chain's members was blocked when it opened.
    member: usize,
    /// Since when the task is free to work, if it is.
    relieved: Option<Duration>,
    /// Since when it is blocked, if it is.
    since: Duration,
    /// Time blocked in the blocked stretches that ended.
    blocked: Duration,
}

/// A period that ended.
#[derive(Debug, PartialEq, Eq)]
pub struct Ended {
    /// The member it was traced for.
    pub member: usize,
    /// From its start to the last relief.
    pub lasted: Duration,
    /// How much of that the task was blocked.
    pub blocked: Duration,
}

/// What a look at the task changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// A period ended.
    pub ended: Option<Ended>,
    /// A period started, for this member.
    pub started: Option<usize>,
}

impl Pressure {
    /// At `now` the task is blocked on member `blocked`'s outputs, or free
    /// (`None`).
    pub fn observe(&mut self, now: Duration, blocked: Option<usize>) -> Change {
        let mut change = Change::default();
        if let Some(p) = &self.open {
            if let Some(at) = p.relieved.filter(|at| now >= *at + GAP) {
                change.ended = Some(Ended { member: p.member, lasted: at - p.start, blocked: p.blocked });
                self.open = None;
            }
        }
        match (&mut self.open, blocked) {
            (None, Some(member)) => {
                self.open = Some(Period { start: now, member, relieved: None, since: now, blocked: Duration::ZERO });
                change.started = Some(member);
            }
            // Blocked again within the period.
            (Some(p), Some(_)) => {
                if p.relieved.take().is_some() {
                    p.since = now;
                }
            }
            (Some(p), None) => {
                if p.relieved.is_none() {
                    p.relieved = Some(now);
                    p.blocked += now - p.since;
                }
            }
            (None, None) => {}
        }
        change
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn short_reliefs_stay_inside_one_period_and_a_long_one_ends_it() {
        let mut p = Pressure::default();
        assert_eq!(p.observe(ms(10), Some(0)).started, Some(0));
        assert_eq!(p.observe(ms(12), None), Change::default(), "relieved, not yet for GAP");
        assert_eq!(p.observe(ms(15), Some(0)), Change::default(), "blocked again: the same period");
        assert_eq!(p.observe(ms(40), None), Change::default());
        assert_eq!(p.observe(ms(80), None), Change::default(), "free since 40ms, under GAP");
        let ended = p.observe(ms(90), None).ended;
        let want = Ended { member: 0, lasted: ms(30), blocked: ms(27) };
        assert_eq!(ended, Some(want), "10ms → 40ms, free from 12ms to 15ms");
        assert_eq!(p.observe(ms(200), None), Change::default());
    }

    #[test]
    fn a_block_after_a_long_relief_ends_the_old_period_and_starts_a_new_one() {
        let mut p = Pressure::default();
        p.observe(ms(0), Some(1));
        p.observe(ms(5), None);
        let change = p.observe(ms(100), Some(0));
        let ended = Ended { member: 1, lasted: ms(5), blocked: ms(5) };
        assert_eq!(change, Change { ended: Some(ended), started: Some(0) });
    }
}
