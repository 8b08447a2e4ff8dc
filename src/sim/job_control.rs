//! Requests from outside to the running job — today, rescaling an operator
//! (what `flink run -s … -p …` does) — as a madsim simulator plugin: the
//! fault injector files a request, and the coordinator takes it when it is
//! up (a request filed while it is down waits, as an operator's retrying
//! client would).

use madsim::plugin::Simulator;
use std::collections::VecDeque;
use std::sync::Mutex;

/// Rescale `operator` to `parallelism` (fault `fault` asked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RescaleRequest {
    pub fault: usize,
    pub operator: String,
    pub parallelism: usize,
}

#[derive(Default)]
pub struct JobControl {
    requests: Mutex<VecDeque<RescaleRequest>>,
}

impl Simulator for JobControl {
    fn new(_rand: &madsim::rand::GlobalRng, _time: &madsim::time::TimeHandle, _config: &madsim::Config) -> Self {
        JobControl::default()
    }
}

impl JobControl {
    /// The run's job control.
    pub fn current() -> std::sync::Arc<JobControl> {
        madsim::plugin::simulator::<JobControl>()
    }

    pub fn request(&self, r: RescaleRequest) {
        self.requests.lock().expect("job control").push_back(r);
    }

    /// The oldest request not yet taken.
    pub fn take(&self) -> Option<RescaleRequest> {
        self.requests.lock().expect("job control").pop_front()
    }
}
