//! Slow tasks as data: the per-record processing time a fault gives one
//! operator subtask (by its `op[i]` name) for a window. Like the link
//! rules, they live in a madsim simulator plugin, one set per run: the
//! fault injector sets and clears them, and a running task asks for its own
//! before it charges the time a batch of records costs.

use madsim::plugin::Simulator;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The run's slow tasks.
pub struct SlowTasks {
    /// Whether any task is slow now (the common answer, without a lock).
    any: AtomicBool,
    costs: Mutex<BTreeMap<String, Duration>>,
}

impl Simulator for SlowTasks {
    fn new(_rand: &madsim::rand::GlobalRng, _time: &madsim::time::TimeHandle, _config: &madsim::Config) -> Self {
        SlowTasks { any: AtomicBool::new(false), costs: Mutex::new(BTreeMap::new()) }
    }
}

impl SlowTasks {
    /// The current run's slow tasks.
    pub fn current() -> std::sync::Arc<SlowTasks> {
        madsim::plugin::simulator::<SlowTasks>()
    }

    /// Task `task` now takes `cost` per record.
    pub fn slow(&self, task: &str, cost: Duration) {
        let mut costs = self.costs.lock().expect("slow tasks poisoned");
        costs.insert(task.to_string(), cost);
        self.any.store(true, Ordering::Relaxed);
    }

    /// Task `task` runs at its own pace again.
    pub fn heal(&self, task: &str) {
        let mut costs = self.costs.lock().expect("slow tasks poisoned");
        costs.remove(task);
        self.any.store(!costs.is_empty(), Ordering::Relaxed);
    }

    /// The per-record cost a fault gives `task` now, if it is slow.
    pub fn cost(&self, task: &str) -> Option<Duration> {
        if !self.any.load(Ordering::Relaxed) {
            return None;
        }
        self.costs.lock().expect("slow tasks poisoned").get(task).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_task_has_its_cost_until_healed() {
        let slow = SlowTasks { any: AtomicBool::new(false), costs: Mutex::new(BTreeMap::new()) };
        assert_eq!(slow.cost("count[1]"), None);
        slow.slow("count[1]", Duration::from_millis(20));
        slow.slow("out[0]", Duration::from_millis(5));
        assert_eq!(slow.cost("count[1]"), Some(Duration::from_millis(20)));
        assert_eq!(slow.cost("count[0]"), None);
        slow.heal("count[1]");
        assert_eq!(slow.cost("count[1]"), None);
        assert_eq!(slow.cost("out[0]"), Some(Duration::from_millis(5)));
        slow.heal("out[0]");
        assert!(!slow.any.load(Ordering::Relaxed));
    }
}
