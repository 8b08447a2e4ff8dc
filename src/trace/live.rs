//! What the harness watches while a run goes on, folded from the events as
//! they are recorded: where each task runs, the latest attempt and
//! completed checkpoint, and whether the job ended.

use super::event::Event;
use crate::scenario::ids::{Attempt, CheckpointId};
use std::collections::BTreeMap;

/// How the job ended, as the coordinator declared it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobEnd {
    Finished,
    Failed,
}

/// The live view of a run.
#[derive(Debug, Default)]
pub struct LiveView {
    /// task → worker, from the latest deployment.
    pub placement: BTreeMap<String, String>,
    /// The latest deployed attempt (0 before the first deployment).
    pub attempt: Attempt,
    /// The highest checkpoint completed so far.
    pub latest_completed: Option<CheckpointId>,
    /// Set when the coordinator declares the job finished or failed.
    pub job_ended: Option<JobEnd>,
}

impl LiveView {
    /// Takes one more event into the view.
    pub fn fold(&mut self, event: &Event) {
        match event {
            Event::JobDeployed { attempt, .. } => {
                self.attempt = *attempt;
                self.placement.clear();
            }
            Event::TaskDeployed { task, worker, .. } => {
                self.placement.insert(task.clone(), worker.clone());
            }
            Event::CheckpointCompleted { checkpoint, .. } => {
                self.latest_completed = self.latest_completed.max(Some(*checkpoint));
            }
            Event::JobFinished { .. } => self.job_ended = Some(JobEnd::Finished),
            Event::JobFailed { .. } => self.job_ended = Some(JobEnd::Failed),
            _ => {}
        }
    }

    /// The latest deployed attempt, if `node` runs tasks of it.
    pub fn attempt_on(&self, node: &str) -> Option<Attempt> {
        self.placement.values().any(|w| w == node).then_some(self.attempt)
    }
}
