//! Timers that ask madsim once per deadline.
//!
//! madsim's `Sleep` (and so its `Interval`) adds a new timer to the runtime
//! each time it is polled while pending, and a timer that fires wakes its
//! task whether or not anyone still waits on it. A loop that selects between
//! its inbox and a fresh sleep on every turn thus registers a timer per
//! message, and each of them later wakes the task for nothing: in a run of
//! `no-faults`, two in three timers were such leftovers. An `Alarm` remembers
//! the deadline it registered and for which task, and registers again only
//! when one of them changes; a `Ticker` is an `Interval` built on one.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Wakes its task once simulated time reaches a deadline.
#[derive(Default)]
pub struct Alarm {
    /// The deadline a madsim timer is set for, and the task it wakes.
    set: Option<(Duration, Waker)>,
}

impl Alarm {
    /// Ready once simulated time reaches `at` (at once, if it has).
    pub fn until(&mut self, at: Duration) -> Until<'_> {
        Until { alarm: self, at }
    }

    /// Ready once simulated time reaches `at`; `None` never is.
    pub async fn until_maybe(&mut self, at: Option<Duration>) {
        match at {
            Some(at) => self.until(at).await,
            None => std::future::pending().await,
        }
    }

    fn poll_at(&mut self, at: Duration, cx: &mut Context<'_>) -> Poll<()> {
        let now = super::now();
        if now >= at {
            return Poll::Ready(());
        }
        if self.set.as_ref().is_some_and(|(set, waker)| *set == at && waker.will_wake(cx.waker())) {
            return Poll::Pending;
        }
        // A sleep polled once sets madsim's timer for this task.
        let mut sleep = std::pin::pin!(madsim::time::sleep(at - now));
        let _ = sleep.as_mut().poll(cx);
        self.set = Some((at, cx.waker().clone()));
        Poll::Pending
    }
}

/// `Alarm::until`'s future.
pub struct Until<'a> {
    alarm: &'a mut Alarm,
    at: Duration,
}

impl Future for Until<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.alarm.poll_at(this.at, cx)
    }
}

/// Ticks every `period`, the first time at once: madsim's `Interval`
/// (missed ticks burst) without a timer per poll.
pub struct Ticker {
    period: Duration,
    next: Duration,
    alarm: Alarm,
}

impl Ticker {
    pub fn new(period: Duration) -> Self {
        Ticker { period, next: super::now(), alarm: Alarm::default() }
    }

    /// Resolves at the next tick.
    pub async fn tick(&mut self) {
        self.alarm.until(self.next).await;
        self.next += self.period;
    }
}
