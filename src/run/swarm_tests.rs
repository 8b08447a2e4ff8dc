//! Tests of `swarm`.
use super::*;
use crate::engine::registry::Registry;

fn scenario(kinds: &str) -> Scenario {
    let text = format!(
        "name = \"s\"\n[job]\noperators = [{{ id = \"e\", kind = \"source\" }}, \
         {{ id = \"c\", kind = \"keyed_count\", input = [\"e\"] }}, {{ id = \"o\", kind = \"sink\", input = [\"c\"] }}]\n\
         [swarm]\nfaults = [{kinds}]\nwindow = \"2s\"\nmax_faults = 5\n"
    );
    crate::run::testbed::parse(&text, "s.toml").expect("valid")
}

fn all_kinds() -> Scenario {
    let kinds: Vec<String> = crate::run::testbed::swarm_kinds().iter().map(|k| format!("\"{k}\"")).collect();
    scenario(&kinds.join(", "))
}

#[test]
fn the_same_seed_draws_the_same_plan() {
    let s = all_kinds();
    let swarm = s.swarm.clone().unwrap();
    assert_eq!(draw(&s, &Registry::builtin(), &swarm, 42), draw(&s, &Registry::builtin(), &swarm, 42));
    let plans: std::collections::BTreeSet<String> =
        (0..20).map(|seed| format!("{:?}", draw(&s, &Registry::builtin(), &swarm, seed).faults)).collect();
    assert!(plans.len() > 15, "seeds draw different plans");
}

#[test]
fn every_drawn_plan_is_valid_and_heals_inside_the_window() {
    let mut s = all_kinds();
    let swarm = s.swarm.take().unwrap();
    for seed in 0..300 {
        let plan = draw(&s, &Registry::builtin(), &swarm, seed);
        assert!(plan.faults.len() <= swarm.max_faults.max(2));
        for f in &plan.faults {
            let label = crate::run::faults::label(f);
            if let Some(at) = f.at {
                assert!(at + f.aftermath() <= swarm.window, "seed {seed}: {label} outlasts the window");
            }
            let lasts = f.delays().next().is_some();
            assert!(lasts || f.action == "bit_rot" || f.action == "rescale", "seed {seed}: {label} never heals");
        }
        s.faults = plan.faults;
        crate::scenario::validate::validate(&s, &crate::run::testbed::Testbed::new())
            .unwrap_or_else(|e| panic!("seed {seed}: {e:?}"));
    }
}

#[test]
fn some_seeds_are_quiet_and_some_are_storms() {
    let s = all_kinds();
    let swarm = s.swarm.clone().unwrap();
    let sizes: Vec<usize> = (0..200).map(|seed| draw(&s, &Registry::builtin(), &swarm, seed).faults.len()).collect();
    assert!(sizes.contains(&0), "a quiet seed");
    assert!(sizes.contains(&swarm.max_faults), "a storm");
}

#[test]
fn a_fatal_plan_rots_every_copy_and_expects_the_job_to_fail() {
    let s = scenario("\"bit_rot\"");
    let swarm = s.swarm.clone().unwrap();
    let fatal = (0..2000)
        .map(|seed| draw(&s, &Registry::builtin(), &swarm, seed))
        .find(|p| p.expect_failure)
        .expect("a fatal plan");
    let copies = |f: &Fault| f.params.get("copies").and_then(|c| c.as_integer()).unwrap_or(1) as usize;
    assert_eq!(copies(&fatal.faults[0]), s.storage.replicas);
    assert_eq!(fatal.faults[1].action, "crash");
    let survivable = (0..200).map(|seed| draw(&s, &Registry::builtin(), &swarm, seed)).filter(|p| !p.expect_failure);
    for plan in survivable {
        let rots: Vec<_> = plan.faults.iter().filter(|f| f.action == "bit_rot").collect();
        assert!(rots.len() <= 1 && rots.iter().all(|f| copies(f) < s.storage.replicas));
    }
}
