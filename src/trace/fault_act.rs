//! What a fault did, as one event shape for every fault kind: it struck
//! (with a typed `Effect` the oracles and the timeline read) or it stopped
//! acting (a restart, a resume, a heal). The kind of fault writes its own
//! trace kind (`fault_crash`) and fields; readers need only the typed parts.

use crate::scenario::ids::Attempt;
use serde::Serialize;
use std::fmt::Display;
use std::time::Duration;

/// One act of fault `fault`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultAct {
    /// The fault's index in the run's plan (the file's faults, then the drawn ones).
    pub fault: usize,
    /// The kind a trace line shows (`fault_crash`, `fault_heal`).
    pub name: &'static str,
    /// What it did, in a word or two for labels (`crash`, `disk healed`).
    pub what: &'static str,
    /// The node or link it acted on (`worker-2`, `a,b <-> c`; empty for the
    /// whole network).
    pub on: String,
    /// Struck, or stopped acting.
    pub step: Step,
    /// The fields after `fault`, rendered, in order.
    pub details: Vec<(&'static str, String)>,
}

impl FaultAct {
    /// `fault`, then the details.
    pub fn fields(&self, out: &mut dyn FnMut(&'static str, &dyn Display)) {
        out("fault", &self.fault);
        for (name, value) in &self.details {
            out(name, value);
        }
    }

    /// What it does, if this is the strike.
    pub fn strike(&self) -> Option<&Strike> {
        match &self.step {
            Step::Struck(strike) => Some(strike),
            Step::Ended { .. } => None,
        }
    }
}

/// Whether the fault struck or stopped acting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Step {
    /// It struck, with this effect.
    Struck(Strike),
    /// It stopped acting: a crashed node restarted, a paused one resumed, a
    /// cut or slowed link or disk healed. `zombie`: a resumed node still
    /// ran tasks of `(its attempt, the current attempt)`.
    Ended {
        /// `(its attempt, the current attempt)` when a resumed node still ran old tasks.
        zombie: Option<(Attempt, Attempt)>,
    },
}

/// What a fault does while it acts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Strike {
    /// What it does.
    pub effect: Effect,
    /// How long what it did can outlast its heal: an fsync or a message
    /// delay drawn while it acted still runs its course.
    pub linger: Duration,
}

/// The typed effect of a strike, in terms every fault kind maps onto.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Effect {
    /// A node stopped: crashed (memory and unsynced writes lost) or paused.
    Stopped {
        /// The node.
        node: String,
        /// Crashed (else paused).
        crash: bool,
    },
    /// Messages between two groups of nodes held (both ways unless `one_way`).
    Cut {
        /// The first group.
        from: Vec<String>,
        /// The second group.
        to: Vec<String>,
        /// Only messages from the first group to the second.
        one_way: bool,
    },
    /// Every message to and from a node held.
    Isolated {
        /// The node.
        node: String,
    },
    /// Messages from `from` to `to` delayed, or dropped (`lossy`).
    Degraded {
        /// The senders (`*`: any).
        from: Vec<String>,
        /// The receivers (`*`: any).
        to: Vec<String>,
        /// Messages dropped, not only delayed.
        lossy: bool,
    },
    /// Latency or loss on every link.
    Global {
        /// Messages dropped, not only delayed.
        lossy: bool,
    },
    /// A node's disk failed, slowed down or filled up.
    Disk {
        /// The node.
        node: String,
    },
    /// Stored copies of a checkpoint blob rotted.
    Rot {
        /// The blob's key in storage.
        key: String,
    },
    /// An operator's rescale was requested.
    Rescale,
    /// An operator subtask (`op[i]`) became slow: it takes longer per record.
    Slowed {
        /// The subtask.
        task: String,
    },
}

impl Effect {
    /// The nodes it touched (none for the whole network, a rot or a rescale).
    pub fn nodes(&self) -> Vec<&str> {
        match self {
            Effect::Stopped { node, .. } | Effect::Isolated { node } | Effect::Disk { node } => vec![node.as_str()],
            Effect::Cut { from, to, .. } | Effect::Degraded { from, to, .. } => {
                from.iter().chain(to).map(String::as_str).collect()
            }
            Effect::Global { .. } | Effect::Rot { .. } | Effect::Rescale | Effect::Slowed { .. } => vec![],
        }
    }
}
