//! A validated `[[faults]]` entry, typed by what it does: the one shape the
//! world's fault injector carries out, and the one-line label verdicts use.

use super::duration::format_duration;
use super::fault::{BlobKind, Fault, FaultAction, MessageClass};
use std::time::Duration;

/// What a disk fault changes while it acts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DiskFaults {
    /// Probability that a write or append fails.
    pub write_error: f64,
    /// Probability that an fsync fails.
    pub fsync_error: f64,
    /// Probability that a read fails.
    pub read_error: f64,
    /// Fsync duration range while the fault acts, replacing the disk's own.
    pub fsync_latency: Option<(Duration, Duration)>,
}

/// A fault by what it does.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    Crash {
        node: String,
        restart_after: Option<Duration>,
    },
    Pause {
        node: String,
        resume_after: Option<Duration>,
    },
    Partition {
        a: Vec<String>,
        b: Vec<String>,
        one_way: bool,
        classes: Option<Vec<MessageClass>>,
    },
    Isolate {
        node: String,
        classes: Option<Vec<MessageClass>>,
    },
    Link {
        from: Vec<String>,
        to: Vec<String>,
        latency: Option<(Duration, Duration)>,
        loss: f64,
        classes: Option<Vec<MessageClass>>,
    },
    Network {
        latency_min: Option<Duration>,
        latency_max: Option<Duration>,
        loss: Option<f64>,
    },
    Disk {
        node: String,
        faults: DiskFaults,
    },
    BitRot {
        node: String,
        copies: usize,
        blob: BlobKind,
    },
    Rescale {
        operator: String,
        parallelism: usize,
    },
}

impl Fault {
    /// The typed fault; `self` must have passed validation.
    pub fn kind(&self) -> FaultKind {
        let node = || self.node.clone().expect("validated: the action names a node");
        match self.action {
            FaultAction::Crash => FaultKind::Crash { node: node(), restart_after: self.restart_after },
            FaultAction::Pause => FaultKind::Pause { node: node(), resume_after: self.resume_after },
            FaultAction::Partition => {
                let [a, b] = self.between.clone().expect("validated: partition has groups");
                FaultKind::Partition { a, b, one_way: self.one_way.unwrap_or(false), classes: self.messages.clone() }
            }
            FaultAction::Isolate => FaultKind::Isolate { node: node(), classes: self.messages.clone() },
            FaultAction::Link => FaultKind::Link {
                from: self.from.clone().expect("validated: link has from"),
                to: self.to.clone().expect("validated: link has to"),
                latency: self.link_latency(),
                loss: self.loss.unwrap_or(0.0),
                classes: self.messages.clone(),
            },
            FaultAction::Network => {
                FaultKind::Network { latency_min: self.latency_min, latency_max: self.latency_max, loss: self.loss }
            }
            FaultAction::Disk => FaultKind::Disk { node: node(), faults: self.disk_faults() },
            FaultAction::Rescale => FaultKind::Rescale {
                operator: self.operator.clone().expect("validated: rescale names an operator"),
                parallelism: self.parallelism.expect("validated: rescale has a parallelism"),
            },
            FaultAction::BitRot => FaultKind::BitRot {
                node: node(),
                copies: self.copies.unwrap_or(1),
                blob: self.blob.unwrap_or_default(),
            },
        }
    }

    /// A link's added delay: `[latency_min, latency_max]`, either end defaulting to the other (min to 0).
    fn link_latency(&self) -> Option<(Duration, Duration)> {
        match (self.latency_min, self.latency_max) {
            (None, None) => None,
            (min, max) => {
                let min = min.unwrap_or_default();
                Some((min, max.unwrap_or(min)))
            }
        }
    }

    fn disk_faults(&self) -> DiskFaults {
        let fsync_latency = match (self.fsync_latency_min, self.fsync_latency_max) {
            (None, None) => None,
            (min, max) => {
                let min = min.unwrap_or_default();
                Some((min, max.unwrap_or(min)))
            }
        };
        DiskFaults {
            write_error: self.write_error.unwrap_or(0.0),
            fsync_error: self.fsync_error.unwrap_or(0.0),
            read_error: self.read_error.unwrap_or(0.0),
            fsync_latency,
        }
    }

    /// One line for verdicts: `crash worker-of(count[1]) at 700ms, restart after 500ms`.
    pub fn label(&self) -> String {
        let mut s = self.action.name().to_string();
        let what = match self.kind() {
            FaultKind::Crash { node, .. } | FaultKind::Pause { node, .. } | FaultKind::Isolate { node, .. } => node,
            FaultKind::Disk { node, .. } => node,
            FaultKind::Partition { a, b, one_way, .. } => {
                format!("{} {} {}", a.join(","), if one_way { "->" } else { "<->" }, b.join(","))
            }
            FaultKind::Link { from, to, .. } => format!("{} -> {}", from.join(","), to.join(",")),
            FaultKind::Network { .. } => String::new(),
            FaultKind::BitRot { copies, blob, .. } => format!("{copies} copies of a {blob:?} blob").to_lowercase(),
            FaultKind::Rescale { operator, parallelism } => format!("{operator} to parallelism {parallelism}"),
        };
        if !what.is_empty() {
            s += &format!(" {what}");
        }
        match (&self.at, &self.when) {
            (Some(at), _) => s += &format!(" at {}", format_duration(*at)),
            (None, Some(w)) => {
                s += &format!(" when {}", w.phase.name());
                if let Some(n) = w.checkpoint {
                    s += &format!(" of checkpoint {n}");
                }
                if let Some(t) = &w.task {
                    s += &format!(" at {t}");
                }
            }
            (None, None) => {}
        }
        let after = [("restart", self.restart_after), ("resume", self.resume_after), ("heal", self.heal_after)];
        for (what, d) in after {
            if let Some(d) = d {
                s += &format!(", {what} after {}", format_duration(d));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Phase, When};

    #[test]
    fn a_label_says_what_where_and_when() {
        let f = Fault {
            at: Some(Duration::from_millis(700)),
            node: Some("worker-of(count[1])".into()),
            restart_after: Some(Duration::from_millis(500)),
            ..Fault::new(FaultAction::Crash)
        };
        assert_eq!(f.label(), "crash worker-of(count[1]) at 700ms, restart after 500ms");
        let f = Fault {
            when: Some(When { checkpoint: Some(3), phase: Phase::Aligning, task: Some("count[0]".into()) }),
            between: Some([vec!["coordinator".into()], vec!["storage".into()]]),
            one_way: Some(true),
            ..Fault::new(FaultAction::Partition)
        };
        assert_eq!(f.label(), "partition coordinator -> storage when aligning of checkpoint 3 at count[0]");
    }

    #[test]
    fn a_link_latency_defaults_each_end_to_the_other() {
        let f = Fault { latency_max: Some(Duration::from_millis(9)), ..Fault::new(FaultAction::Link) };
        assert_eq!(f.link_latency(), Some((Duration::ZERO, Duration::from_millis(9))));
        let f = Fault { latency_min: Some(Duration::from_millis(4)), ..Fault::new(FaultAction::Link) };
        assert_eq!(f.link_latency(), Some((Duration::from_millis(4), Duration::from_millis(4))));
    }
}
