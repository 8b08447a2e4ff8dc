//! What validation asks of the kinds registered above the file format: the
//! file names a protocol, its sinks' kinds, its faults' `action`s, its
//! `[swarm]`'s kinds and the properties it expects violated, and only the registry knows which names there are,
//! what each kind needs of the rest of the scenario and which fields it
//! takes. The harness hands its registry to `parse` as a `Catalogue`.

use super::validate::Check;
use super::Scenario;

/// The registered kinds, as validation sees them. Each check names the
/// field it blames; a name the registry does not know is refused with the
/// names there are ("did you mean").
pub trait Catalogue {
    /// `[checkpoint] protocol`: a known protocol, and what it needs of the
    /// rest of the scenario (its knobs, the job's edges).
    fn check_protocol(&self, s: &Scenario) -> Check;

    /// The `sink` of sink operator `i`: a known kind, and what it needs.
    fn check_sink(&self, s: &Scenario, i: usize) -> Check;

    /// The `kind` of keyed operator `i`: a registered keyed operator, and
    /// the inputs it takes.
    fn check_operator(&self, s: &Scenario, i: usize) -> Check;

    /// Fault `i`: a known `action`, then its fields — which it takes, their
    /// values, the nodes and tasks they name.
    fn check_fault(&self, s: &Scenario, i: usize) -> Check;

    /// Kind `j` of `[swarm] faults`: one the registry can draw, for `s`.
    fn check_swarm_kind(&self, s: &Scenario, j: usize) -> Check;

    /// `bug = "…"`: a planted bug there is, else what is wrong.
    fn check_bug(&self, name: &str) -> Result<(), String>;

    /// A property named in `[expect] violated`: one the oracles check.
    fn check_property(&self, name: &str) -> Result<(), String>;

    /// Tasks the job runs that the file declares no operator for, by name:
    /// a committer sink's `ID-committer[0]`. They show in the trace, the
    /// timeline and `explore`, so faults may name them too.
    fn hidden_tasks(&self, _s: &Scenario) -> Vec<String> {
        vec![]
    }
}

/// A catalogue that checks nothing: enough for a scenario that is a job and
/// its settings alone, in tests of the layers below the registries.
#[derive(Debug, Clone, Copy, Default)]
pub struct JobOnly;

impl Catalogue for JobOnly {
    fn check_protocol(&self, _s: &Scenario) -> Check {
        Ok(())
    }

    fn check_sink(&self, _s: &Scenario, _i: usize) -> Check {
        Ok(())
    }

    fn check_operator(&self, _s: &Scenario, _i: usize) -> Check {
        Ok(())
    }

    fn check_fault(&self, _s: &Scenario, _i: usize) -> Check {
        Ok(())
    }

    fn check_swarm_kind(&self, _s: &Scenario, _j: usize) -> Check {
        Ok(())
    }

    fn check_bug(&self, _name: &str) -> Result<(), String> {
        Ok(())
    }

    fn check_property(&self, _name: &str) -> Result<(), String> {
        Ok(())
    }
}
