//! The receiving side of credit-based flow control (Flink's
//! `RemoteInputChannel` credit and the input gate's floating buffers),
//! sans-IO: how many buffers each input channel may be sent, and when to
//! tell its sender.
//!
//! Each channel owns `exclusive` buffers, announced to its sender when the
//! task starts. A buffer the task has processed is free again; the freed
//! credit is announced once the sender may be waiting for it — it said it
//! has a backlog, or every buffer of the channel is free. A sender with a
//! backlog is lent buffers from the gate's shared `floating` pool; a lent
//! buffer goes back to the pool once processed.

/// One input channel's credit.
#[derive(Debug, Clone, Default)]
struct Channel {
    /// Buffers freed since the last announcement.
    unannounced: u32,
    /// Buffers lent from the pool, not yet processed.
    lent: u32,
    /// The backlog the sender reported with its last buffer.
    backlog: u32,
}

/// The credit of one task's input channels.
#[derive(Debug, Clone)]
pub struct Credits {
    exclusive: u32,
    pool: u32,
    channels: Vec<Channel>,
}

impl Credits {
    /// `inputs` channels, each with `exclusive` buffers, sharing `floating`.
    pub fn new(inputs: usize, exclusive: u32, floating: u32) -> Self {
        Credits { exclusive, pool: floating, channels: vec![Channel::default(); inputs] }
    }

    /// The credit each channel announces when the task starts.
    pub fn initial(&self) -> u32 {
        self.exclusive
    }

    /// A buffer arrived on `input`, its sender reporting `backlog` more
    /// queued: the buffers lent to that channel now, if any.
    pub fn arrived(&mut self, input: u16, backlog: u32) -> Option<u32> {
        let c = &mut self.channels[input as usize];
        c.backlog = backlog;
        let lend = backlog.saturating_sub(c.lent).min(self.pool);
        if lend == 0 {
            return None;
        }
        self.pool -= lend;
        c.lent += lend;
        Some(lend)
    }

    /// The task processed a buffer of `input`: the credit to announce to
    /// its sender now, if any.
    pub fn consumed(&mut self, input: u16) -> Option<u32> {
        let c = &mut self.channels[input as usize];
        if c.lent > 0 {
            c.lent -= 1;
            self.pool += 1;
            return None;
        }
        c.unannounced += 1;
        if c.backlog == 0 && c.unannounced < self.exclusive {
            return None; // the sender has credit left, and nothing waiting
        }
        Some(std::mem::take(&mut c.unannounced))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_buffers_are_announced_once_the_sender_may_be_waiting() {
        let mut c = Credits::new(2, 2, 8);
        assert_eq!(c.initial(), 2);
        assert_eq!(c.arrived(0, 0), None);
        assert_eq!(c.consumed(0), None, "the sender still has one credit and no backlog");
        assert_eq!(c.arrived(0, 0), None);
        assert_eq!(c.consumed(0), Some(2), "every buffer of the channel is free: the sender has none");
        assert_eq!(c.consumed(1), None);
    }

    #[test]
    fn a_backlogged_sender_is_lent_floating_buffers_and_gets_credit_at_once() {
        let mut c = Credits::new(2, 2, 3);
        assert_eq!(c.arrived(0, 5), Some(3), "lent all the pool has");
        assert_eq!(c.arrived(1, 4), None, "the pool is empty");
        assert_eq!(c.consumed(0), None, "a lent buffer goes back to the pool");
        assert_eq!(c.arrived(1, 4), Some(1));
        assert_eq!(c.consumed(1), None);
        assert_eq!(c.arrived(0, 2), None, "the channel has two lent already");
        assert_eq!(c.arrived(0, 3), Some(1), "one more than it has");
        for _ in 0..3 {
            assert_eq!(c.consumed(0), None);
        }
        assert_eq!(c.consumed(0), Some(1), "its own buffer, with a backlog reported: announced now");
    }
}
