//! `action = "rescale"`: the job's client asks the coordinator to rescale an
//! operator — every task stops and the job is restored from the latest
//! completed checkpoint with the new parallelism (L21), as `flink run -s …
//! -p …` does. Not a failure: the restart strategy is not asked.

use super::context::{act, FaultCtx};
use super::draw::Drawer;
use super::kind::{CheckCx, Kind, PlaceCx};
use crate::engine::registry::Registry;
use crate::run::client::RescaleRequest;
use crate::scenario::validate::validate_job::known_ids;
use crate::scenario::validate::{require, Check};
use crate::scenario::{Fault, OperatorKind, Partitioning, Scenario};
use crate::trace::fault_act::{Effect, Step, Strike};
use futures::future::LocalBoxFuture;
use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The rescale kind.
pub struct Rescale;

/// A rescale's fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RescaleParams {
    /// The operator whose parallelism changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// Its new parallelism.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<usize>,
}

/// Whether operator `op` of `s` may be rescaled at all: not one a broadcast
/// edge feeds, nor an upsert sink (its table is keyed by what it reads).
fn rescalable(op: &crate::scenario::Operator, registry: &Registry) -> bool {
    op.partition != Some(Partitioning::Broadcast) && sink_refusal(op, registry).is_none()
}

/// Why a sink operator's kind cannot be rescaled, if it cannot.
fn sink_refusal(op: &crate::scenario::Operator, registry: &Registry) -> Option<&'static str> {
    let sink = (op.kind == OperatorKind::Sink).then(|| registry.sink(op.sink_name())).flatten();
    sink.and_then(|k| k.kind.not_rescalable())
}

/// The most subtasks `op` can have: the cluster's slots, the key groups, and
/// for a source its partitions.
fn most(s: &Scenario, op: &crate::scenario::Operator) -> usize {
    let slots = s.cluster.workers * s.cluster.slots_per_worker;
    let mut most = slots.min(s.job.max_parallelism);
    if op.kind == OperatorKind::Source {
        most = most.min(op.partitions());
    }
    most
}

impl Kind for Rescale {
    type Params = RescaleParams;

    fn action(&self) -> &'static str {
        "rescale"
    }

    /// An operator of the job and a parallelism the cluster's slots, its key
    /// groups and (for a source) its partitions allow; not an operator a
    /// broadcast edge feeds, nor an upsert sink.
    fn check(&self, p: &RescaleParams, cx: &CheckCx) -> Check {
        let s = cx.s;
        let Some(id) = &p.operator else {
            let example = s.job.operators.get(1).map_or("count", |o| o.id.as_str());
            let message =
                format!("is missing; a rescale fault names the operator to rescale, e.g. operator = \"{example}\"");
            return Err((cx.field("operator"), message));
        };
        let Some(op) = s.job.operators.iter().find(|o| &o.id == id) else {
            let message =
                format!("is `{id}`, which is not an operator id; known ids: {}", known_ids(&s.job.operators, id));
            return Err((cx.field("operator"), message));
        };
        let Some(p) = p.parallelism else {
            let message = format!(
                "is missing; a rescale fault gives the new parallelism, e.g. parallelism = {}",
                s.parallelism_of(op) + 1
            );
            return Err((cx.field("parallelism"), message));
        };
        let field = cx.field("parallelism");
        require(p >= 1, &field, "is 0; an operator needs at least 1 subtask")?;
        let max = s.job.max_parallelism;
        require(p <= max, &field, format!("is {p}, above max_parallelism {max} (the number of key groups)"))?;
        let slots = s.cluster.workers * s.cluster.slots_per_worker;
        let (workers, per) = (s.cluster.workers, s.cluster.slots_per_worker);
        require(p <= slots, &field, format!("is {p}, but the cluster has {slots} slots ({workers} workers × {per})"))?;
        if op.kind == OperatorKind::Source {
            let n = op.partitions();
            let message = format!("is {p}, but source `{id}` has {n} partitions, so some subtasks would read nothing");
            require(p <= n, &field, message)?;
        }
        require(
            op.partition != Some(Partitioning::Broadcast),
            cx.field("operator"),
            format!(
                "is `{id}`, which a broadcast edge feeds: rescaling it would change how many copies of each record it gets"
            ),
        )?;
        match sink_refusal(op, cx.registry) {
            Some(why) => Err((cx.field("operator"), format!("is `{id}`, {why}"))),
            None => Ok(()),
        }
    }

    fn label(&self, p: &RescaleParams) -> String {
        format!("rescale {} to parallelism {}", p.operator.as_deref().unwrap_or("?"), p.parallelism.unwrap_or(0))
    }

    fn strike<'a>(&'a self, p: RescaleParams, i: usize, ctx: &'a FaultCtx) -> LocalBoxFuture<'a, ()> {
        Box::pin(async move {
            let (operator, parallelism) = (p.operator.unwrap_or_default(), p.parallelism.unwrap_or(1));
            let strike = Step::Struck(Strike { effect: Effect::Rescale, linger: Duration::ZERO });
            let details = vec![("operator", operator.clone()), ("parallelism", parallelism.to_string())];
            act(i, "fault_rescale", "rescale", format!("{operator}→{parallelism}"), strike, details);
            ctx.client.request(RescaleRequest { fault: i, operator, parallelism });
        })
    }

    /// `rescale`: any operator that may be rescaled; `sink_scale_down`: a
    /// sink operator to fewer subtasks while the notifications of completed
    /// checkpoints are being lost (so the subtasks it removes hold
    /// pre-committed transactions a survivor must commit).
    fn swarm_kinds(&self) -> &'static [&'static str] {
        &["rescale", "sink_scale_down"]
    }

    fn check_swarm(&self, name: &str, s: &Scenario, field: &str) -> Check {
        if name != "sink_scale_down" {
            return Ok(());
        }
        let sinks = s.job.operators.iter().filter(|o| o.kind == OperatorKind::Sink);
        let can = sinks.clone().any(|o| s.parallelism_of(o) >= 2);
        let ids: Vec<&str> = sinks.map(|o| o.id.as_str()).collect();
        require(
            can,
            field,
            format!(
                "draws sink_scale_down, but no sink operator ({}) has 2 or more subtasks to scale down from; \
                 give one parallelism = 2",
                ids.join(", ")
            ),
        )
    }

    /// An operator that may be rescaled, to a parallelism the cluster
    /// allows; for `sink_scale_down` a sink with 2 or more subtasks, to fewer.
    fn draw(&self, name: &str, d: &mut Drawer) -> Option<RescaleParams> {
        let sinks = name == "sink_scale_down";
        let ops: Vec<&crate::scenario::Operator> = d
            .scenario
            .job
            .operators
            .iter()
            .filter(|o| rescalable(o, d.registry))
            .filter(|o| !sinks || (o.kind == OperatorKind::Sink && d.scenario.parallelism_of(o) >= 2))
            .collect();
        let op = *ops.choose(&mut d.rng)?;
        let parallelism = match sinks {
            true => d.rng.gen_range(1..d.scenario.parallelism_of(op)),
            false => d.rng.gen_range(1..=most(d.scenario, op).max(1)),
        };
        Some(RescaleParams { operator: Some(op.id.clone()), parallelism: Some(parallelism) })
    }

    /// A sink scale-down strikes at a time, so its lost notifications can surround it.
    fn draws_phases(&self, name: &str) -> bool {
        name != "sink_scale_down"
    }

    fn draw_delay(&self, _name: &str, _d: &mut Drawer, _latest: Duration) -> Option<(&'static str, Duration)> {
        None
    }

    /// A sink scale-down comes with every completion notification lost from
    /// a little before it to a little after (healed inside the window).
    fn companions(&self, name: &str, fault: &Fault, d: &mut Drawer) -> Vec<Fault> {
        let Some(at) = fault.at.filter(|_| name == "sink_scale_down") else { return vec![] };
        let before = d.between(Duration::from_millis(50), Duration::from_millis(300)).min(at);
        let heal = before + d.between(Duration::from_millis(50), Duration::from_millis(300));
        let starts = at - before;
        let heal = heal.min(d.window.saturating_sub(starts)).max(before + Duration::from_millis(1));
        let workers = (1..=d.scenario.cluster.workers).map(crate::engine::cluster::worker_name).collect();
        let lost = super::link::LinkParams {
            from: Some(vec!["coordinator".into()]),
            to: Some(workers),
            messages: Some(vec![crate::scenario::MessageClass::NotifyComplete]),
            loss: Some(1.0),
            heal_after: Some(heal),
            ..Default::default()
        };
        vec![Fault { at: Some(starts), ..Fault::of("link", lost) }]
    }

    fn explore_kinds(&self) -> &'static [(&'static str, &'static str)] {
        &[("rescale", "Rescale each operator one up and one down.")]
    }

    /// Each declared operator one up, and one down where it can go down.
    fn placements(&self, _name: &str, cx: &PlaceCx) -> Vec<(String, RescaleParams)> {
        if cx.task.is_some() {
            return vec![];
        }
        let mut out = vec![];
        for op in &cx.s.job.operators {
            let p = cx.s.parallelism_of(op);
            for to in [p + 1, p - 1].into_iter().filter(|to| *to >= 1 && *to != p) {
                let params = RescaleParams { operator: Some(op.id.clone()), parallelism: Some(to) };
                out.push((format!("{} to {to}", op.id), params));
            }
        }
        out
    }
}
