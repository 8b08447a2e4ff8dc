//! What validation asks of the kinds registered above the file format: the
//! file names a fault's `action` (and a `[swarm]`'s kinds), and only the
//! registered kind knows which fields it takes and what they may be. The
//! harness hands its registry to `parse` as a `Catalogue`.

use super::validate::Check;
use super::Scenario;

/// The registered kinds, as validation sees them.
pub trait Catalogue {
    /// Every fault `action` there is, for errors and "did you mean".
    fn actions(&self) -> Vec<&'static str>;

    /// Checks the fields of fault `i` of `s` (its action is one of
    /// `actions`): which it takes, their values, the nodes and tasks they name.
    fn check_fault(&self, s: &Scenario, i: usize) -> Check;

    /// Every kind a `[swarm]` can draw.
    fn swarm_kinds(&self) -> Vec<&'static str>;

    /// Checks that `s` can draw swarm kind `name` (one of `swarm_kinds`),
    /// `field` naming where the file lists it.
    fn check_swarm_kind(&self, s: &Scenario, name: &str, field: &str) -> Check;
}

/// A catalogue with no kinds at all: enough for a scenario that is a job and
/// its settings alone (a fault or a swarm kind is then unknown).
#[derive(Debug, Clone, Copy, Default)]
pub struct JobOnly;

impl Catalogue for JobOnly {
    fn actions(&self) -> Vec<&'static str> {
        vec![]
    }

    fn check_fault(&self, _s: &Scenario, _i: usize) -> Check {
        Ok(())
    }

    fn swarm_kinds(&self) -> Vec<&'static str> {
        vec![]
    }

    fn check_swarm_kind(&self, _s: &Scenario, _name: &str, _field: &str) -> Check {
        Ok(())
    }
}
