//! The arrangement engine's invariants, each a proptest over random inputs.

use pod::arrangement::plan;
use proptest::prelude::*;
use schemas::arrangement::{ArrangementInput, ArrangementPlan, Outcome};

fn input_strategy() -> impl Strategy<Value = ArrangementInput> {
    let claims = prop::collection::vec((0usize..4, 1i64..10_000_000, any::<bool>()), 1..6);
    (
        (0i64..1095, prop::sample::select(vec!["single", "single_parent", "couple", "couple_with_children"]), any::<bool>()),
        (0i64..1_000_000, 0i64..50_000, prop::option::weighted(0.2, 0i64..200_000)),
        (any::<bool>(), 0i64..5000, 1u32..120),
        claims,
        prop::option::weighted(0.3, 1u32..=6),
    )
        .prop_map(|((day, household, aow), (income, deductions, floor), (weighting, min_share, cap), claims, pause)| {
            let date = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Duration::days(day);
            let orgs = ["cjib", "duo", "cak", "bd"];
            serde_json::from_value(serde_json::json!({
                "date": date.to_string(), "household": household, "aow": aow, "net_income_cents": income,
                "existing_deductions_cents": deductions, "floor_override_cents": floor, "preference_weighting": weighting,
                "min_share_cents": min_share, "term_cap_months": cap,
                "claims": claims.iter().enumerate().map(|(i, (org, owed, preferent))| serde_json::json!({
                    "org": orgs[*org], "ref": format!("Z-{i}"), "outstanding_cents": owed, "preferent": preferent})).collect::<Vec<_>>(),
                "pause": pause.map(|months| serde_json::json!({"months": months, "reason": "illness", "motivation": "test"})),
            }))
            .unwrap()
        })
}

fn weights(input: &ArrangementInput) -> Vec<i64> {
    input
        .claims
        .iter()
        .map(|c| {
            if input.preference_weighting && c.preferent {
                2
            } else {
                1
            }
        })
        .collect()
}

/// Replays the schedule and checks every month.
fn check_schedule(input: &ArrangementInput, plan: &ArrangementPlan) -> Result<(), TestCaseError> {
    let mut remaining: Vec<i64> = input.claims.iter().map(|c| c.outstanding_cents).collect();
    let w = weights(input);
    for month in &plan.schedule {
        let mut paid = vec![0i64; remaining.len()];
        for payment in &month.payments {
            let i = input
                .claims
                .iter()
                .position(|c| c.reference == payment.reference)
                .unwrap();
            prop_assert!(payment.cents >= 0, "negative instalment");
            paid[i] += payment.cents;
        }
        let total: i64 = paid.iter().sum();
        prop_assert!(
            total <= plan.capacity_cents,
            "month {}: {} paid over a capacity of {}",
            month.month,
            total,
            plan.capacity_cents
        );
        prop_assert!(
            input.net_income_cents - input.existing_deductions_cents - total
                >= plan
                    .floor_cents
                    .min(input.net_income_cents - input.existing_deductions_cents),
            "the floor is crossed"
        );
        // Pro rata within a cent among the claims that were not paid off this month; the
        // largest of them may take the few cents rounding left over.
        let open: Vec<usize> = (0..remaining.len())
            .filter(|&i| remaining[i] > 0 && paid[i] < remaining[i])
            .collect();
        if total > 0 && !open.is_empty() {
            let budget: i128 = open.iter().map(|&i| i128::from(paid[i])).sum();
            let weight_sum: i128 = open.iter().map(|&i| i128::from(w[i]) * i128::from(remaining[i])).sum();
            let largest = *open.iter().max_by_key(|&&i| remaining[i]).unwrap();
            for &i in &open {
                let ideal = budget * i128::from(w[i]) * i128::from(remaining[i]) / weight_sum;
                let deviation = (i128::from(paid[i]) - ideal).abs();
                let allowed = if i == largest { open.len() as i128 } else { 1 };
                prop_assert!(
                    deviation <= allowed,
                    "month {}: claim {} paid {} where pro rata gives {}",
                    month.month,
                    i,
                    paid[i],
                    ideal
                );
            }
        }
        for (r, p) in remaining.iter_mut().zip(&paid) {
            *r -= p;
            prop_assert!(*r >= 0, "a claim was overpaid");
        }
        prop_assert_eq!(month.remaining_cents, remaining.iter().sum::<i64>());
    }
    if plan.outcome == Outcome::Plan {
        prop_assert!(remaining.iter().all(|r| *r == 0), "a plan pays everything owed");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn every_plan_keeps_every_promise(input in input_strategy()) {
        let plan = plan(&input).unwrap();
        check_schedule(&input, &plan)?;
        if plan.outcome == Outcome::Plan {
            prop_assert!(plan.monthly_total_cents > 0, "a €0 plan");
            prop_assert!(plan.schedule.iter().skip(plan.pause_months as usize).all(|m| !m.payments.is_empty()), "a paying month with no payment");
            prop_assert_eq!(plan.term_months as usize, plan.schedule.len());
        }
        if plan.capacity_cents == 0 {
            prop_assert_eq!(plan.outcome, Outcome::PauseAndReferral);
        }
        prop_assert!(!plan.explanation.nl.is_empty() && !plan.explanation.en.is_empty());
    }

    #[test]
    fn a_pause_only_adds_empty_months(input in input_strategy(), months in 1u32..=6) {
        let mut without = input.clone();
        without.pause = None;
        let mut with = input;
        with.pause = Some(schemas::arrangement::PauseRequest { months, reason: schemas::arrangement::PauseReason::IncomeLoss, motivation: "x".to_owned() });
        let (a, b) = (plan(&without).unwrap(), plan(&with).unwrap());
        prop_assert_eq!(a.outcome, b.outcome, "a pause never changes the outcome");
        prop_assert_eq!(&a.shares, &b.shares, "a pause never raises an instalment");
        if a.outcome == Outcome::Plan {
            prop_assert_eq!(b.term_months, a.term_months + months);
            prop_assert!(b.schedule.iter().take(months as usize).all(|m| m.payments.is_empty()));
            prop_assert_eq!(&b.schedule[months as usize..].iter().map(|m| &m.payments).collect::<Vec<_>>(), &a.schedule.iter().map(|m| &m.payments).collect::<Vec<_>>());
        }
    }
}

/// The generator must reach every outcome often enough for the properties to mean something.
#[test]
fn the_generator_reaches_every_outcome() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut counts = std::collections::HashMap::new();
    for _ in 0..500 {
        let input = input_strategy().new_tree(&mut runner).unwrap().current();
        *counts
            .entry(format!("{:?}", plan(&input).unwrap().outcome))
            .or_insert(0) += 1;
    }
    for outcome in ["Plan", "OverTermCap", "PauseAndReferral", "MinShareNotMet"] {
        assert!(
            counts.get(outcome).copied().unwrap_or(0) >= 10,
            "{outcome} is rare: {counts:?}"
        );
    }
}
