//! `commit_only_completed`: the sink committed only transactions of
//! completed checkpoints, after their completion, each once (I3).

use super::{Case, Judgement, Property};
use crate::oracle::evidence::Evidence;
use crate::oracle::violation::Violation;
use std::collections::BTreeSet;

/// The `commit_only_completed` property.
pub struct CommitOnlyCompleted;

impl Property for CommitOnlyCompleted {
    fn names(&self) -> &'static [&'static str] {
        &["commit_only_completed"]
    }

    fn check(&self, j: &Case, out: &mut Judgement) {
        out.violations.extend(commit_only_completed(j.ev));
    }
}

/// `commit_only_completed`: the sink committed only transactions of completed
/// checkpoints, after their completion, each once (I3).
fn commit_only_completed(ev: &Evidence) -> Vec<Violation> {
    let mut out = vec![];
    let mut once = BTreeSet::new();
    for t in ev.committed.iter().filter(|t| t.transactional) {
        if !once.insert(t.txn) {
            out.push(
                Violation::new("commit_only_completed", format!("{} committed twice", t.txn)).at(t.at).node("sink"),
            );
        }
        let Some(n) = t.checkpoint else {
            let v = Violation::new("commit_only_completed", format!("{} committed without a pre-commit", t.txn));
            out.push(v.at(t.at).node("sink"));
            continue;
        };
        // Covered when checkpoint n, or a later one that subsumes it (its
        // state lists the transaction as pending), completed before the commit.
        if !ev.completed.range(n..).any(|(_, done)| *done <= t.at) {
            let when = match ev.completed.get(&n) {
                Some(done) => format!("checkpoint {n} completed only at {:.3}s", done.as_secs_f64()),
                None => format!("checkpoint {n} never completed"),
            };
            out.push(
                Violation::new(
                    "commit_only_completed",
                    format!(
                        "{} committed at {:.3}s before any checkpoint ≥ {n} completed ({when})",
                        t.txn,
                        t.at.as_secs_f64()
                    ),
                )
                .at(t.at)
                .node("sink")
                .checkpoint(n),
            );
        }
    }
    out
}
