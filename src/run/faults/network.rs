//! `action = "network"`: change madsim's own latency and loss for every
//! message, until `heal_after` restores the scenario's `[network]`.

use super::context::{act, ended, FaultCtx};
use super::kind::{CheckCx, Kind, PlaceCx};
use crate::scenario::duration::dur_opt;
use crate::scenario::validate::{at_most_max_latency, ordered, probability, require, Check};
use crate::trace::fault_act::{Effect, Step, Strike};
use futures::future::LocalBoxFuture;
use madsim::net::NetSim;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The network kind.
pub struct Network;

/// A network fault's fields; an unset one keeps the scenario's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkParams {
    /// The new lowest one-way latency.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub latency_min: Option<Duration>,
    /// The new highest one-way latency.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub latency_max: Option<Duration>,
    /// The new loss probability (below 1; connections retransmit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// Restore the scenario's settings this long after. Default: never.
    #[serde(default, with = "dur_opt", skip_serializing_if = "Option::is_none")]
    pub heal_after: Option<Duration>,
}

impl Kind for Network {
    type Params = NetworkParams;

    fn action(&self) -> &'static str {
        "network"
    }

    /// At least one setting; latencies ordered and bounded, loss below 1.
    fn check(&self, p: &NetworkParams, cx: &CheckCx) -> Check {
        require(
            p.latency_min.is_some() || p.latency_max.is_some() || p.loss.is_some(),
            cx.fault(),
            "is a network fault that changes nothing; set at least one of latency_min, latency_max or loss, \
             e.g. latency_max = \"50ms\"",
        )?;
        if let (Some(min), Some(max)) = (p.latency_min, p.latency_max) {
            ordered(min, max, &cx.fault(), "latency_min", "latency_max")?;
        }
        for (name, latency) in [("latency_min", p.latency_min), ("latency_max", p.latency_max)] {
            latency.map_or(Ok(()), |latency| at_most_max_latency(latency, &cx.field(name)))?;
        }
        p.loss.map_or(Ok(()), |loss| probability(loss, false, &cx.field("loss"), ""))
    }

    fn label(&self, _p: &NetworkParams) -> String {
        "network".to_string()
    }

    fn strike<'a>(&'a self, p: NetworkParams, i: usize, ctx: &'a FaultCtx) -> LocalBoxFuture<'a, ()> {
        Box::pin(async move {
            let base = &ctx.network;
            let (min, max) = (p.latency_min.unwrap_or(base.latency_min), p.latency_max.unwrap_or(base.latency_max));
            let loss = p.loss.unwrap_or(base.loss);
            apply(min, max, loss);
            let strike =
                Strike { effect: Effect::Global { lossy: loss > 0.0 }, linger: p.latency_max.unwrap_or_default() };
            let details = vec![
                ("latency_min_us", min.as_micros().to_string()),
                ("latency_max_us", max.as_micros().to_string()),
                ("loss", loss.to_string()),
            ];
            act(i, "fault_network", "network", String::new(), Step::Struck(strike), details);
            if let Some(after) = p.heal_after {
                madsim::time::sleep(after).await;
                apply(base.latency_min, base.latency_max, base.loss);
                ended(i, "fault_network_healed", "network healed", String::new(), vec![]);
            }
        })
    }

    fn explore_kinds(&self) -> &'static [(&'static str, &'static str)] {
        &[("network_loss", "60% of every message on the network is lost until `heal_after`.")]
    }

    fn placements(&self, _name: &str, cx: &PlaceCx) -> Vec<(String, NetworkParams)> {
        if cx.task.is_some() {
            return vec![];
        }
        let p = NetworkParams { loss: Some(0.6), heal_after: Some(cx.windows.heal_after), ..Default::default() };
        vec![("network".into(), p)]
    }
}

/// Sets madsim's global latency range and loss rate.
fn apply(min: Duration, max: Duration, loss: f64) {
    NetSim::current().update_config(|c| {
        c.send_latency = min..max.max(min + Duration::from_nanos(1));
        c.packet_loss_rate = loss;
    });
}
