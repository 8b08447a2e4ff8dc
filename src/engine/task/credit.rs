//! The receiving side of credit-based flow control (Flink's
//! `RemoteInputChannel` credit and the input gate's floating buffers),
//! sans-IO: how many buffers each input channel may be sent, and when to
//! tell its sender.
//!
//! Each channel owns `exclusive` buffers, announced to its sender when the
//! task starts. A buffer the task has processed is free again, and its
//! credit is announced at once, as Flink's `RemoteInputChannel` does when a
//! buffer is recycled (the network coalesces announcements that leave
//! together). Never holding credit back also means a buffer lost unnoticed
//! costs its channel one credit, not the whole channel: the receiver never
//! assumes the sender still holds credit it lost. A sender with a backlog
//! is lent buffers from the gate's shared `floating` pool; a lent buffer
//! goes back to the pool once processed.

/// One input channel's credit.
#[derive(Debug, Clone, Default)]
struct Channel {
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
        Some(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_freed_buffer_is_announced_at_once() {
        let mut c = Credits::new(2, 2, 8);
        assert_eq!(c.initial(), 2);
        assert_eq!(c.arrived(0, 0), None);
        assert_eq!(c.consumed(0), Some(1), "its own buffer, free again");
        assert_eq!(c.arrived(1, 0), None);
        assert_eq!(c.consumed(1), Some(1));
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
        assert_eq!(c.consumed(0), Some(1), "its own buffer: announced");
    }
}
