//! A kind of fault behind one trait. `Kind` is what a kind's file writes,
//! with its fields typed (`Params`); `FaultKind` is the same behind a
//! pointer, over a fault as the file wrote it, which is what the registry
//! holds and everything else calls. A kind:
//!
//! - checks its fields (`check`: which it takes, their values, the nodes and
//!   tasks they name) and labels a fault for verdicts (`label`);
//! - carries a fault out through its heal, tracing what it did (`strike`),
//!   and says why it could not (a `fault_skipped` event);
//! - draws faults for a `[swarm]` under its swarm kinds (`draw`,
//!   `draw_delay`), and places them for `explore` (`placements`);
//! - names the coverage paths its faults open (`paths`).

use super::context::FaultCtx;
use super::draw::Drawer;
use crate::engine::registry::Registry;
use crate::oracle::coverage::Path;
use crate::scenario::validate::Check;
use crate::scenario::{Fault, MessageClass, Scenario};
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

/// Where a kind's check stands: the scenario and the fault's index.
pub struct CheckCx<'s> {
    pub s: &'s Scenario,
    /// The components the scenario's names resolve to.
    pub registry: &'s Registry,
    pub i: usize,
    /// Tasks the job runs that the file declares no operator for
    /// (`targets::hidden_tasks`).
    pub hidden: Vec<String>,
}

impl CheckCx<'_> {
    /// The path of field `name` of this fault: `faults[2].node`.
    pub fn field(&self, name: &str) -> String {
        crate::scenario::validate::validate_faults::field(self.i, name)
    }

    /// The path of the fault itself: `faults[2]`.
    pub fn fault(&self) -> String {
        format!("faults[{}]", self.i)
    }
}

/// What `explore` places a fault with: where the moment is, and how long
/// windowed faults last.
pub struct PlaceCx<'s> {
    pub s: &'s Scenario,
    /// The task the phase happens at, if it happens at one.
    pub task: Option<&'s str>,
    /// The nodes to aim at: at a task, its worker and the services; else every node.
    pub targets: &'s [String],
    /// Every node of the cluster, in the order explore goes through them.
    pub nodes: &'s [String],
    pub windows: Windows,
    /// Narrow message-filtering faults to these classes (`--messages`).
    pub messages: Option<&'s [MessageClass]>,
}

/// How long the windowed kinds last in `explore`.
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    pub restart_after: Duration,
    pub resume_after: Duration,
    pub heal_after: Duration,
}

/// A kind of fault, its fields typed.
pub trait Kind: Sync + 'static {
    /// The fields after `action`, in the order a file (and a trace) writes
    /// them; `#[serde(deny_unknown_fields)]`, so a field the kind does not
    /// take is refused.
    type Params: Serialize + DeserializeOwned;

    /// `action = "crash"`.
    fn action(&self) -> &'static str;

    /// Checks the fields: the required ones there, values in range, nodes
    /// and tasks that exist in the scenario.
    fn check(&self, p: &Self::Params, cx: &CheckCx) -> Check;

    /// What it does and to what, for verdicts: `crash worker-of(count[1])`.
    fn label(&self, p: &Self::Params) -> String;

    /// Carries fault `i` out, from its strike through its heal, tracing
    /// each act (`super::act`); a fault that cannot strike says why
    /// (`super::skipped`).
    fn strike<'a>(&'a self, p: Self::Params, i: usize, ctx: &'a FaultCtx) -> LocalBoxFuture<'a, ()>;

    /// The names a `[swarm]` lists to draw this kind (`partition`, `one_way`).
    fn swarm_kinds(&self) -> &'static [&'static str] {
        &[]
    }

    /// Checks that `s` can draw swarm kind `name`.
    fn check_swarm(&self, _name: &str, _s: &Scenario, _field: &str) -> Check {
        Ok(())
    }

    /// Draws one fault of swarm kind `name` (`None`: not in this plan).
    fn draw(&self, _name: &str, _d: &mut Drawer) -> Option<Self::Params> {
        None
    }

    /// Whether a drawn fault of swarm kind `name` may strike at a protocol phase.
    fn draws_phases(&self, _name: &str) -> bool {
        true
    }

    /// The delay field a drawn fault gets and its value, ending by `latest`
    /// after it strikes (`None`: it does not last).
    fn draw_delay(&self, _name: &str, d: &mut Drawer, latest: Duration) -> Option<(&'static str, Duration)> {
        Some(("heal_after", d.between(Duration::from_millis(10), latest)))
    }

    /// Faults of other kinds a drawn fault of swarm kind `name` comes with,
    /// once placed (`fault`, with its time): what makes the situation it
    /// draws (a sink scaled down while notifications are lost). Each must
    /// heal inside the window.
    fn companions(&self, _name: &str, _fault: &Fault, _d: &mut Drawer) -> Vec<Fault> {
        vec![]
    }

    /// The `explore --kinds` names it places, each with what it does.
    fn explore_kinds(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// The faults of explore kind `name` for one moment, each with its target.
    fn placements(&self, _name: &str, _cx: &PlaceCx) -> Vec<(String, Self::Params)> {
        vec![]
    }

    /// The coverage paths its faults open (`run::coverage`): what a run
    /// must show for a fault of this kind to have bitten, not merely struck.
    fn paths(&self) -> &'static [Path] {
        &[]
    }
}

/// A kind of fault over faults as the file wrote them: what the registry
/// holds. Every `Kind` is one.
pub trait FaultKind: Sync {
    fn action(&self) -> &'static str;
    /// Checks fault `i` of `s`: unknown fields, field types, then the kind's rules.
    fn check(&self, s: &Scenario, registry: &Registry, i: usize) -> Check;
    /// `crash worker-2`; `fault` must have passed `check`.
    fn label(&self, fault: &Fault) -> String;
    fn strike<'a>(&'a self, fault: &Fault, i: usize, ctx: &'a FaultCtx) -> LocalBoxFuture<'a, ()>;
    fn swarm_kinds(&self) -> &'static [&'static str];
    fn check_swarm(&self, name: &str, s: &Scenario, field: &str) -> Check;
    fn draw(&self, name: &str, d: &mut Drawer) -> Option<Fault>;
    fn draws_phases(&self, name: &str) -> bool;
    fn draw_delay(&self, name: &str, d: &mut Drawer, latest: Duration) -> Option<(&'static str, Duration)>;
    fn companions(&self, name: &str, fault: &Fault, d: &mut Drawer) -> Vec<Fault>;
    fn explore_kinds(&self) -> &'static [(&'static str, &'static str)];
    fn placements(&self, name: &str, cx: &PlaceCx) -> Vec<(String, Fault)>;
    fn paths(&self) -> &'static [Path];
}

impl<K: Kind> FaultKind for K {
    fn action(&self) -> &'static str {
        Kind::action(self)
    }

    fn check(&self, s: &Scenario, registry: &Registry, i: usize) -> Check {
        let cx = CheckCx { s, registry, i, hidden: super::targets::hidden_tasks(s, registry) };
        let fault = &s.faults[i];
        let p = params::<K>(fault).map_err(|(key, message)| (cx.field(&key), message))?;
        Kind::check(self, &p, &cx)
    }

    fn label(&self, fault: &Fault) -> String {
        Kind::label(self, &validated::<K>(fault))
    }

    fn strike<'a>(&'a self, fault: &Fault, i: usize, ctx: &'a FaultCtx) -> LocalBoxFuture<'a, ()> {
        Kind::strike(self, validated::<K>(fault), i, ctx)
    }

    fn swarm_kinds(&self) -> &'static [&'static str] {
        Kind::swarm_kinds(self)
    }

    fn check_swarm(&self, name: &str, s: &Scenario, field: &str) -> Check {
        Kind::check_swarm(self, name, s, field)
    }

    fn draw(&self, name: &str, d: &mut Drawer) -> Option<Fault> {
        Kind::draw(self, name, d).map(|p| Fault::of(Kind::action(self), p))
    }

    fn draws_phases(&self, name: &str) -> bool {
        Kind::draws_phases(self, name)
    }

    fn draw_delay(&self, name: &str, d: &mut Drawer, latest: Duration) -> Option<(&'static str, Duration)> {
        Kind::draw_delay(self, name, d, latest)
    }

    fn companions(&self, name: &str, fault: &Fault, d: &mut Drawer) -> Vec<Fault> {
        Kind::companions(self, name, fault, d)
    }

    fn explore_kinds(&self) -> &'static [(&'static str, &'static str)] {
        Kind::explore_kinds(self)
    }

    fn placements(&self, name: &str, cx: &PlaceCx) -> Vec<(String, Fault)> {
        let action = Kind::action(self);
        Kind::placements(self, name, cx).into_iter().map(|(target, p)| (target, Fault::of(action, p))).collect()
    }

    fn paths(&self) -> &'static [Path] {
        Kind::paths(self)
    }
}

/// The fault's fields, typed; on a mistake, the key to blame and what is wrong.
fn params<K: Kind>(fault: &Fault) -> Result<K::Params, (String, String)> {
    let table = toml::Value::Table(fault.params.clone());
    serde_path_to_error::deserialize(table).map_err(|e| {
        // The value deserializer adds "in `key`" lines: the path says it already.
        let inner = e.inner().to_string();
        let message = inner.lines().next().unwrap_or_default().trim().to_string();
        match unknown_field(&message) {
            Some((name, takes)) => {
                let list: Vec<String> = takes.iter().map(|t| format!("`{t}`")).collect();
                let takes_list = if list.is_empty() { "no other fields".to_string() } else { list.join(", ") };
                let advice = match crate::scenario::suggest::closest(&name, takes.iter().copied()) {
                    Some(meant) => format!("did you mean `{meant}`?"),
                    None => "remove it".to_string(),
                };
                (name, format!("is not used by a {} fault (it takes {takes_list}); {advice}", fault.action))
            }
            None => (e.path().to_string(), crate::scenario::suggest::improve_serde(&message)),
        }
    })
}

/// The fields of a fault that passed validation.
fn validated<K: Kind>(fault: &Fault) -> K::Params {
    params::<K>(fault).unwrap_or_else(|(key, message)| panic!("unvalidated {} fault: {key}: {message}", fault.action))
}

/// serde's "unknown field `x`, expected `a` or `b`": the field, and the ones there are.
fn unknown_field(message: &str) -> Option<(String, Vec<&str>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (name, expected) = rest.split_once('`')?;
    Some((name.to_string(), crate::scenario::suggest::backticked(expected).collect()))
}
