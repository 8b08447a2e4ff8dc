//! Tests of `swarm`.
use super::*;
use crate::engine::registry::Registry;

fn scenario(kinds: &str) -> Scenario {
    let text = format!(
        "name = \"s\"\n[job]\nparallelism = 2\noperators = [{{ id = \"e\", kind = \"source\" }}, \
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
        // A drawn fault may come with a companion (a sink scale-down's lost notifications).
        assert!(plan.faults.len() <= 2 * swarm.max_faults.max(2));
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

#[test]
fn a_swarm_with_a_max_concurrent_range_draws_it_per_seed_and_a_plain_one_runs_the_file() {
    let plain = scenario("\"crash\"");
    assert!(configure(&plain, 3).is_none(), "no range: the file as written");
    let mut ranged = plain.clone();
    ranged.swarm.as_mut().unwrap().max_concurrent = Some((1, 4));
    let drawn: Vec<usize> = (0..64).map(|seed| configure(&ranged, seed).unwrap().checkpoint.max_concurrent).collect();
    assert!(drawn.iter().all(|n| (1..=4).contains(n)));
    assert_eq!(drawn.iter().collect::<std::collections::BTreeSet<_>>().len(), 4, "every value in the range is drawn");
    assert_eq!(configure(&ranged, 9).unwrap().checkpoint.max_concurrent, drawn[9], "the same seed, the same draw");
    let swarm = plain.swarm.clone().unwrap();
    let with_range = ranged.swarm.clone().unwrap();
    for seed in 0..20 {
        let (a, b) =
            (draw(&plain, &Registry::builtin(), &swarm, seed), draw(&ranged, &Registry::builtin(), &with_range, seed));
        assert_eq!(a, b, "drawing max_concurrent leaves the faults as they were");
    }
}

#[test]
fn a_sink_scale_down_comes_with_lost_notifications_around_it() {
    let s = scenario("\"sink_scale_down\"");
    let swarm = s.swarm.clone().unwrap();
    let mut seen = 0;
    for seed in 0..100 {
        let plan = draw(&s, &Registry::builtin(), &swarm, seed);
        let downs: Vec<&Fault> = plan.faults.iter().filter(|f| f.action == "rescale").collect();
        let lost: Vec<&Fault> = plan.faults.iter().filter(|f| f.action == "link").collect();
        assert_eq!(downs.len(), lost.len(), "seed {seed}: one notification loss per scale-down");
        for (down, lost) in downs.iter().zip(&lost) {
            seen += 1;
            assert_eq!(down.params.get("operator").and_then(|o| o.as_str()), Some("o"), "the sink");
            assert_eq!(down.params.get("parallelism").and_then(|p| p.as_integer()), Some(1), "fewer subtasks");
            let (at, starts) = (down.at.expect("at a time"), lost.at.expect("at a time"));
            assert!(starts <= at && at < starts + lost.aftermath(), "seed {seed}: the loss spans the scale-down");
            assert!(starts + lost.aftermath() <= swarm.window, "seed {seed}: and heals inside the window");
            let messages = lost.params.get("messages").and_then(|m| m.as_array()).expect("messages");
            assert_eq!(messages.iter().filter_map(|m| m.as_str()).collect::<Vec<_>>(), ["notify_complete"]);
        }
    }
    assert!(seen > 50, "scale-downs drawn: {seen}");
}
