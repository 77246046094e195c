//! The arrangement engine's input, as the pod's API, CLI and browser app read it: any bytes are
//! an input or an error, never a panic. For every input the engine accepts, the plan keeps its
//! promises: only a plan is an offer, shares add up to the total and never exceed what is owed,
//! the schedule pays everything a plan promises, and the parts an organisation would receive
//! carry only its own claims.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pod_core::arrangement::{SavedArrangement, plan, prepare_parts};
use schemas::arrangement::{ArrangementInput, Outcome};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = schemas::document::from_json::<ArrangementInput>(data, 64 * 1024) else { return };
    let Ok(planned) = plan(&input) else { return };
    let owed: i64 = input.claims.iter().map(|c| c.outstanding_cents).sum();
    assert!(planned.capacity_cents >= 0);
    match planned.outcome {
        Outcome::Plan => {
            assert!(planned.monthly_total_cents > 0, "a €0 plan");
            assert_eq!(planned.shares.iter().map(|s| s.monthly_cents).sum::<i64>(), planned.monthly_total_cents);
            assert!(planned.monthly_total_cents <= planned.capacity_cents.max(owed));
            assert_eq!(planned.term_months as usize, planned.schedule.len());
            assert!(planned.not_an_offer.is_none());
            let paid: i64 = planned.schedule.iter().flat_map(|m| &m.payments).map(|p| p.cents).sum();
            assert_eq!(paid, owed, "a plan pays everything owed");
        }
        Outcome::OverTermCap | Outcome::MinShareNotMet | Outcome::PauseAndReferral => {
            assert_eq!(planned.monthly_total_cents, 0, "no plan, no instalment");
            assert!(planned.shares.is_empty() && planned.schedule.is_empty() && planned.term_months == 0);
        }
    }
    for (share, claim) in planned.shares.iter().zip(&input.claims) {
        assert!(share.monthly_cents >= 0 && share.monthly_cents <= claim.outstanding_cents);
    }
    let saved = SavedArrangement {
        saved_at: betaalpod_fuzz::now(),
        input: input.clone(),
        plan: planned.clone(),
    };
    for part in prepare_parts(&saved, "fuzz", false) {
        assert!(part.part.full_disclosure.is_none());
        // References are unique per organisation, not across them.
        let own = input.claims.iter().filter(|c| c.org.as_str() == part.org).count();
        assert_eq!(part.part.claims.len(), own, "a part carries exactly its own organisation's claims");
        for claim in &part.part.claims {
            assert!(
                input.claims.iter().any(|c| c.org.as_str() == part.org && c.reference == claim.reference),
                "a part carries only its own organisation's claims"
            );
        }
    }
    let json = serde_json::to_vec(&planned).expect("a plan serialises");
    let back: schemas::arrangement::ArrangementPlan = serde_json::from_slice(&json).expect("and reads back");
    assert_eq!(back, planned);
});
