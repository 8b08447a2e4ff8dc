//! Where things sit on the chart: the simulated-time scale, the tops and
//! heights of the lanes, and the sizes everything is drawn at.

use crate::trace::spans::Timeline;
use std::time::Duration;

/// Width of the whole chart, pixels.
pub const WIDTH: f64 = 1560.0;
/// Width of the lane names on the left, pixels.
const LABELS: f64 = 112.0;
pub(super) const RIGHT_MARGIN: f64 = 16.0;
/// Height of one row of spans, pixels.
pub const ROW: f64 = 18.0;
const LANE_PADDING: f64 = 4.0;
/// Space between the node lanes, the faults lane and the task lanes.
const GROUP_GAP: f64 = 10.0;
pub(super) const AXIS: f64 = 20.0;

/// Maps simulated time to x.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub(super) end: Duration,
}

impl Scale {
    pub fn x(&self, t: Duration) -> f64 {
        let plot = WIDTH - LABELS - RIGHT_MARGIN;
        LABELS + plot * (t.as_secs_f64() / self.end.as_secs_f64().max(1e-9))
    }

    pub fn right_edge(&self) -> f64 {
        WIDTH - RIGHT_MARGIN
    }
}

/// Where each lane sits.
pub struct Layout {
    pub scale: Scale,
    /// Top of the lanes (below the violation strip and the axis).
    pub top: f64,
    pub lane_top: Vec<f64>,
    pub lane_height: Vec<f64>,
    pub height: f64,
}

impl Layout {
    pub(super) fn of(t: &Timeline, scale: Scale, strip: f64) -> Layout {
        let top = strip + AXIS;
        let (mut y, mut lane_top, mut lane_height) = (top, vec![], vec![]);
        for (i, lane) in t.lanes.iter().enumerate() {
            if i > 0 && t.lanes[i - 1].kind != lane.kind {
                y += GROUP_GAP;
            }
            let h = lane.rows as f64 * ROW + 2.0 * LANE_PADDING;
            lane_top.push(y);
            lane_height.push(h);
            y += h;
        }
        Layout { scale, top, lane_top, lane_height, height: y + AXIS }
    }

    /// Top of row `row` of lane `lane`.
    pub fn row_top(&self, lane: usize, row: usize) -> f64 {
        self.lane_top[lane] + LANE_PADDING + row as f64 * ROW
    }

    pub fn lane_bottom(&self, lane: usize) -> f64 {
        self.lane_top[lane] + self.lane_height[lane]
    }
}
