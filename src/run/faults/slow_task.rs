//! `action = "slow_task"`: one operator subtask becomes slow — each record
//! costs it `cost` of processing time — for `heal_after`, or for the rest of
//! the run; its node stays healthy. A slow subtask reads its input channels
//! slower than they fill, so with bounded buffers backpressure builds up
//! behind it to the sources (the condition unaligned checkpoints exist for).

use super::context::{act, ended, FaultCtx};
use super::draw::Drawer;
use super::kind::{CheckCx, Kind, PlaceCx};
use crate::scenario::duration::{dur_opt, format_duration};
use crate::scenario::validate::validate_faults::check_task;
use crate::scenario::validate::{require, Check};
use crate::sim::slow_tasks::SlowTasks;
use crate::trace::fault_act::{Effect, Step, Strike};
use futures::future::LocalBoxFuture;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The slow-task kind.
pub struct SlowTask;

/// A slow task's fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlowTaskParams {
    /// The operator subtask, `op[i]` (whichever task it is chained into).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// Its processing time per record while slow.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub cost: Option<Duration>,
    /// Back to its own pace this long after. Default: never.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub heal_after: Option<Duration>,
}

/// The slowest a drawn slow task gets per record.
const MOST_DRAWN_COST: Duration = Duration::from_millis(20);

impl Kind for SlowTask {
    type Params = SlowTaskParams;

    fn action(&self) -> &'static str {
        "slow_task"
    }

    /// A subtask of the job and a cost above zero.
    fn check(&self, p: &SlowTaskParams, cx: &CheckCx) -> Check {
        let example = cx.s.job.operators.get(1).map_or("count", |o| o.id.as_str());
        let Some(task) = &p.task else {
            let message = format!("is missing; a slow_task fault names the subtask, e.g. task = \"{example}[0]\"");
            return Err((cx.field("task"), message));
        };
        check_task(cx.s, &cx.hidden, task).map_err(|m| (cx.field("task"), m))?;
        let Some(cost) = p.cost else {
            let message = "is missing; a slow_task fault gives the time each record costs, e.g. cost = \"20ms\"";
            return Err((cx.field("cost"), message.to_string()));
        };
        require(!cost.is_zero(), cx.field("cost"), "is 0, which slows nothing; give a time such as \"20ms\"")
    }

    fn label(&self, p: &SlowTaskParams) -> String {
        let cost = p.cost.map(format_duration).unwrap_or_default();
        format!("slow_task {} to {cost} per record", p.task.as_deref().unwrap_or("?"))
    }

    fn strike<'a>(&'a self, p: SlowTaskParams, i: usize, _ctx: &'a FaultCtx) -> LocalBoxFuture<'a, ()> {
        Box::pin(async move {
            let (task, cost) = (p.task.unwrap_or_default(), p.cost.unwrap_or_default());
            let slow = SlowTasks::current();
            slow.slow(&task, cost);
            let effect = Effect::Slowed { task: task.clone() };
            let details = vec![("task", task.clone()), ("cost", format_duration(cost))];
            let strike = Step::Struck(Strike { effect, linger: Duration::ZERO });
            act(i, "fault_slow_task", "slow", task.clone(), strike, details);
            let Some(after) = p.heal_after else { return };
            madsim::time::sleep(after).await;
            slow.heal(&task);
            ended(i, "fault_heal", "heal", task.clone(), vec![("task", task)]);
        })
    }

    fn swarm_kinds(&self) -> &'static [&'static str] {
        &["slow_task"]
    }

    /// A subtask of a declared operator, 1–20ms per record.
    fn draw(&self, _name: &str, d: &mut Drawer) -> Option<SlowTaskParams> {
        let s = d.scenario;
        let tasks: Vec<String> =
            s.job.operators.iter().flat_map(|o| (0..s.parallelism_of(o)).map(|i| format!("{}[{i}]", o.id))).collect();
        let task = tasks.choose(&mut d.rng)?.clone();
        let cost = d.between(Duration::from_millis(1), MOST_DRAWN_COST);
        Some(SlowTaskParams { task: Some(task), cost: Some(cost), heal_after: None })
    }

    fn draws_phases(&self, _name: &str) -> bool {
        false
    }

    fn explore_kinds(&self) -> &'static [(&'static str, &'static str)] {
        &[("slow_task", "Slow one subtask to 20ms per record for `heal_after` (backpressure).")]
    }

    /// At a task's phase, that subtask; at a coordinator's, the first
    /// subtask of each declared operator.
    fn placements(&self, _name: &str, cx: &PlaceCx) -> Vec<(String, SlowTaskParams)> {
        let tasks: Vec<String> = match cx.task {
            Some(task) => vec![task.to_string()],
            None => cx.s.job.operators.iter().map(|o| format!("{}[0]", o.id)).collect(),
        };
        let (cost, heal_after) = (Some(MOST_DRAWN_COST), Some(cx.windows.heal_after));
        tasks.into_iter().map(|t| (t.clone(), SlowTaskParams { task: Some(t), cost, heal_after })).collect()
    }
}
