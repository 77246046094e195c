//! Betalingsregeling Rijk: one joint, affordable arrangement for all government claims, with a
//! pause. Pure functions, no I/O; the rules R1–R7, the figures and benchmarks behind them, their
//! public sources and the worked cases are in docs/ARRANGEMENT.md.

pub mod norms;
pub mod parts;
pub mod records;

use std::collections::{BTreeMap, HashSet};

use schemas::arrangement::{
    ArrangementInput, ArrangementPlan, Explanation, Household, NotAnOffer, Outcome, Payment, ScheduleMonth, Share,
};
use schemas::lang::{Lang, format_cents};
use schemas::say;

pub use norms::Norms;
pub use parts::{PreparedPart, SavedArrangement, prepare_parts};
pub use records::{StoredStatus, StoredSubmission};

/// Settings of the engine that are not part of one citizen's input.
#[derive(Clone, Copy, Debug)]
pub struct EngineConfig {
    /// The longest pause one request may ask for (R6: 6 months by default).
    pub max_pause_months: u32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self { max_pause_months: 6 }
    }
}

/// Schedules longer than this are not written out month by month (100 years).
const MAX_SCHEDULE_MONTHS: i64 = 1200;

/// Bad input, with the field it concerns.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct PlanError {
    /// The input field, such as `claims[1].outstanding_cents`.
    pub field: String,
    /// What is wrong.
    pub problem: String,
}

fn error(field: impl Into<String>, problem: impl Into<String>) -> PlanError {
    PlanError {
        field: field.into(),
        problem: problem.into(),
    }
}

/// The protected floor F: `min(0.95 × I, BVV_max)` rounded up to the cent, or the official
/// figure when one is given (R2).
pub fn protected_floor(income_cents: i64, bvv_max_cents: i64, floor_override_cents: Option<i64>) -> i64 {
    floor_override_cents.unwrap_or_else(|| {
        let ninety_five = (i128::from(income_cents) * 95 + 99) / 100;
        (ninety_five as i64).min(bvv_max_cents)
    })
}

/// Splits `available` over claims with `remaining` balances and `weights`, pro rata to
/// weight × remaining (R4). No claim gets more than it still owes; what a paid-off claim cannot
/// take goes to the others; the cents lost to rounding go to the largest claim.
pub fn split(available: i64, remaining: &[i64], weights: &[i64]) -> Vec<i64> {
    let mut pay = vec![0i64; remaining.len()];
    let mut left = available.min(remaining.iter().sum());
    let mut fixed = vec![false; remaining.len()];
    loop {
        let open: Vec<usize> = (0..remaining.len())
            .filter(|&i| !fixed[i] && remaining[i] > 0)
            .collect();
        if open.is_empty() || left <= 0 {
            return pay;
        }
        let total: i128 = open
            .iter()
            .map(|&i| i128::from(weights[i]) * i128::from(remaining[i]))
            .sum();
        let shares: Vec<i64> = open
            .iter()
            .map(|&i| (i128::from(left) * i128::from(weights[i]) * i128::from(remaining[i]) / total) as i64)
            .collect();
        let mut capped = false;
        for (k, &i) in open.iter().enumerate() {
            if shares[k] >= remaining[i] {
                pay[i] = remaining[i];
                fixed[i] = true;
                left -= remaining[i];
                capped = true;
            }
        }
        if capped {
            continue;
        }
        for (k, &i) in open.iter().enumerate() {
            pay[i] = shares[k];
        }
        let mut leftover = left - shares.iter().sum::<i64>();
        let mut by_size = open.clone();
        by_size.sort_by_key(|&i| std::cmp::Reverse(remaining[i]));
        for i in by_size {
            let room = remaining[i] - pay[i];
            let extra = leftover.min(room);
            pay[i] += extra;
            leftover -= extra;
        }
        return pay;
    }
}

fn check(input: &ArrangementInput, config: &EngineConfig, norms: &Norms) -> Result<(), PlanError> {
    if input.claims.is_empty() {
        return Err(error("claims", "at least one claim is needed"));
    }
    for (field, value) in [
        ("net_income_cents", Some(input.net_income_cents)),
        ("existing_deductions_cents", Some(input.existing_deductions_cents)),
        ("floor_override_cents", input.floor_override_cents),
        ("min_share_cents", Some(input.min_share_cents)),
    ] {
        if value.is_some_and(|v| v < 0) {
            return Err(error(field, "amounts cannot be negative"));
        }
    }
    let mut seen = HashSet::new();
    for (i, claim) in input.claims.iter().enumerate() {
        if claim.outstanding_cents < 0 {
            return Err(error(
                format!("claims[{i}].outstanding_cents"),
                "amounts cannot be negative",
            ));
        }
        if claim.outstanding_cents > 100_000_000_000_000 {
            return Err(error(
                format!("claims[{i}].outstanding_cents"),
                "the amount is implausibly large",
            ));
        }
        if !seen.insert((claim.org.as_str(), claim.reference.as_str())) {
            return Err(error(
                format!("claims[{i}].ref"),
                format!("claim {} of {} is listed twice", claim.reference, claim.org),
            ));
        }
    }
    if input.claims.iter().all(|c| c.outstanding_cents == 0) {
        return Err(error("claims", "nothing is owed on these claims"));
    }
    if input.term_cap_months == 0 {
        return Err(error("term_cap_months", "the term cap must be at least 1 month"));
    }
    if let Some(pause) = &input.pause
        && !(1..=config.max_pause_months).contains(&pause.months)
    {
        return Err(error(
            "pause.months",
            format!("a pause is 1 to {} months", config.max_pause_months),
        ));
    }
    if norms.on(input.date, input.household, input.aow).is_none() {
        let first = norms.first_date().map(|d| d.to_string()).unwrap_or_default();
        return Err(error("date", format!("there are no norm figures before {first}")));
    }
    Ok(())
}

/// Computes the plan for `input` with the built-in norm tables.
pub fn plan(input: &ArrangementInput) -> Result<ArrangementPlan, PlanError> {
    plan_with(input, &Norms::builtin(), &EngineConfig::default())
}

/// Computes the plan for `input`.
pub fn plan_with(input: &ArrangementInput, norms: &Norms, config: &EngineConfig) -> Result<ArrangementPlan, PlanError> {
    check(input, config, norms)?;
    let applied = norms
        .on(input.date, input.household, input.aow)
        .ok_or_else(|| error("date", "no norm figures"))?;
    let floor = protected_floor(
        input.net_income_cents,
        applied.bvv_max_cents,
        input.floor_override_cents,
    );
    let capacity = (input.net_income_cents - floor - input.existing_deductions_cents).max(0);
    let weights: Vec<i64> = input
        .claims
        .iter()
        .map(|c| {
            if input.preference_weighting && c.preferent {
                2
            } else {
                1
            }
        })
        .collect();
    let owed: Vec<i64> = input.claims.iter().map(|c| c.outstanding_cents).collect();
    let total_owed: i64 = owed.iter().sum();
    let pause_months = input.pause.as_ref().map_or(0, |p| p.months);

    let first_shares = split(capacity, &owed, &weights);
    let shares: Vec<Share> = input
        .claims
        .iter()
        .zip(&first_shares)
        .map(|(c, &cents)| Share {
            org: c.org.clone(),
            reference: c.reference.clone(),
            monthly_cents: cents,
        })
        .collect();
    let monthly_total: i64 = first_shares.iter().sum();

    let mut per_org: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for (claim, share) in input.claims.iter().zip(&first_shares) {
        let entry = per_org.entry(claim.org.as_str()).or_default();
        entry.0 += share;
        entry.1 += claim.outstanding_cents;
    }
    let short_orgs: Vec<&str> = per_org
        .iter()
        .filter(|(_, (share, owed))| *share < input.min_share_cents && share < owed)
        .map(|(org, _)| *org)
        .collect();
    let paying_months = if capacity > 0 {
        (total_owed + capacity - 1) / capacity
    } else {
        0
    };

    let outcome = if capacity == 0 {
        Outcome::PauseAndReferral
    } else if !short_orgs.is_empty() {
        Outcome::MinShareNotMet
    } else if paying_months > i64::from(input.term_cap_months) {
        Outcome::OverTermCap
    } else {
        Outcome::Plan
    };
    let schedule = if matches!(outcome, Outcome::Plan | Outcome::OverTermCap) && paying_months <= MAX_SCHEDULE_MONTHS {
        schedule(input, &weights, capacity, pause_months)
    } else {
        Vec::new()
    };
    let term_months = if schedule.is_empty() { 0 } else { schedule.len() as u32 };
    let explanation = Explanation {
        nl: explain(
            Lang::Nl,
            input,
            &applied,
            floor,
            capacity,
            &outcome,
            monthly_total,
            paying_months,
            pause_months,
            &short_orgs,
        ),
        en: explain(
            Lang::En,
            input,
            &applied,
            floor,
            capacity,
            &outcome,
            monthly_total,
            paying_months,
            pause_months,
            &short_orgs,
        ),
    };
    // Only a plan is an offer. The figures of a case that is too long or too small are kept
    // apart, under a name that says so; with no capacity at all there are none.
    let mut plan = ArrangementPlan {
        norm_cents: applied.norm_cents,
        norm_valid_from: applied.norm_valid_from,
        bvv_max_cents: applied.bvv_max_cents,
        floor_cents: floor,
        capacity_cents: capacity,
        outcome,
        monthly_total_cents: 0,
        pause_months: 0,
        term_months: 0,
        shares: Vec::new(),
        schedule: Vec::new(),
        not_an_offer: None,
        explanation,
    };
    match plan.outcome {
        Outcome::Plan => {
            plan.monthly_total_cents = monthly_total;
            plan.pause_months = pause_months;
            plan.term_months = term_months;
            plan.shares = shares;
            plan.schedule = schedule;
        }
        Outcome::OverTermCap | Outcome::MinShareNotMet => {
            plan.not_an_offer = Some(NotAnOffer {
                monthly_total_cents: monthly_total,
                term_months,
                shares,
                schedule,
            });
        }
        Outcome::PauseAndReferral => {}
    }
    Ok(plan)
}

fn schedule(input: &ArrangementInput, weights: &[i64], capacity: i64, pause_months: u32) -> Vec<ScheduleMonth> {
    let mut remaining: Vec<i64> = input.claims.iter().map(|c| c.outstanding_cents).collect();
    let mut months = Vec::new();
    for month in 1..=pause_months {
        months.push(ScheduleMonth {
            month,
            payments: Vec::new(),
            remaining_cents: remaining.iter().sum(),
        });
    }
    let mut month = pause_months;
    while remaining.iter().any(|r| *r > 0) {
        month += 1;
        let pay = split(capacity, &remaining, weights);
        let payments = input
            .claims
            .iter()
            .zip(&pay)
            .filter(|(_, cents)| **cents > 0)
            .map(|(c, &cents)| Payment {
                org: c.org.clone(),
                reference: c.reference.clone(),
                cents,
            })
            .collect();
        for (r, p) in remaining.iter_mut().zip(&pay) {
            *r -= p;
        }
        months.push(ScheduleMonth {
            month,
            payments,
            remaining_cents: remaining.iter().sum(),
        });
    }
    months
}

fn household_name(household: Household, lang: Lang) -> String {
    match household {
        Household::Single => say!(lang, nl: "alleenstaande"; en: "single person"),
        Household::SingleParent => say!(lang, nl: "alleenstaande ouder"; en: "single parent"),
        Household::Couple => say!(lang, nl: "stel"; en: "couple"),
        Household::CoupleWithChildren => say!(lang, nl: "stel met kinderen"; en: "couple with children"),
    }
}

#[allow(clippy::too_many_arguments)] // One call site; a struct would only rename the arguments.
fn explain(
    lang: Lang,
    input: &ArrangementInput,
    applied: &norms::AppliedNorms,
    floor: i64,
    capacity: i64,
    outcome: &Outcome,
    monthly_total: i64,
    paying_months: i64,
    pause_months: u32,
    short_orgs: &[&str],
) -> String {
    let m = |cents: i64| format_cents(cents, lang);
    let mut lines = Vec::new();
    let aow = if input.aow { say!(lang, nl: " met AOW-leeftijd"; en: " at AOW age") } else { String::new() };
    let household = household_name(input.household, lang);
    lines.push(say!(lang,
        nl: "De bijstandsnorm is het bedrag dat je minimaal nodig hebt om van te leven. Voor een {household}{aow} is dat {} per maand (tabel geldig vanaf {}).", m(applied.norm_cents), applied.norm_valid_from;
        en: "The welfare norm is what you need at least to live on. For a {household}{aow} it is {} a month (table valid from {}).", m(applied.norm_cents), applied.norm_valid_from));
    match input.floor_override_cents {
        Some(official) => lines.push(say!(lang,
            nl: "Je beslagvrije voet is {}: het officiële bedrag dat je opgaf.", m(official);
            en: "Your protected floor is {}: the official figure you gave.", m(official))),
        None => {
            lines.push(say!(lang,
                nl: "Je beslagvrije voet is {}. Dat is 95% van je inkomen van {}, maar nooit meer dan het maximum van {}. Dit is een schatting in jouw voordeel. Staat er een officieel bedrag in een brief over beslag? Dan geldt dat bedrag.",
                    m(floor), m(input.net_income_cents), m(applied.bvv_max_cents);
                en: "Your protected floor is {}. That is 95% of your income of {}, but never more than the maximum of {}. This is an estimate in your favour. Does a letter about a seizure give an official figure? Then that figure counts.",
                    m(floor), m(input.net_income_cents), m(applied.bvv_max_cents)));
            if applied.bvv_is_fallback {
                let year = input.date.format("%Y");
                lines.push(say!(lang,
                    nl: "Het maximum voor {year} is nog niet bekend. We gebruiken de nieuwste tabel (vanaf {}).", applied.bvv_valid_from;
                    en: "The maximum for {year} is not published yet. We use the newest table (from {}).", applied.bvv_valid_from));
            }
        }
    }
    lines.push(say!(lang,
        nl: "Wat je per maand kunt missen: {} inkomen − {} beslagvrije voet − {} wat er al af gaat = {}. Dit bedrag is voor alle organisaties samen.",
            m(input.net_income_cents), m(floor), m(input.existing_deductions_cents), m(capacity);
        en: "What you can spare each month: {} income − {} protected floor − {} what already comes off = {}. This amount is for all organisations together.",
            m(input.net_income_cents), m(floor), m(input.existing_deductions_cents), m(capacity)));
    if input.preference_weighting {
        lines.push(say!(lang,
            nl: "Sommige schulden gaan volgens de wet voor. Die tellen dubbel mee bij de verdeling.";
            en: "Some debts come first by law. They count double in the split."));
    }
    lines.push(say!(lang,
        nl: "Elke organisatie krijgt een deel. Hoe meer je haar nog moet betalen, hoe groter haar deel. We ronden de bedragen per maand naar beneden af, en de beslagvrije voet naar boven. Zo kom je door afronden nooit onder de beslagvrije voet. De centen die overblijven gaan naar de grootste schuld.";
        en: "Each organisation gets a share. The more you still owe it, the larger its share. We round the monthly amounts down, and the protected floor up. So rounding never takes you below the floor. Cents left over go to the largest debt."));
    if pause_months > 0 {
        lines.push(say!(lang,
            nl: "Je vraagt {pause_months} maanden pauze. Dan betaal je niets, en er komen geen kosten of rente bij. De regeling duurt daarna zoveel maanden langer. Je betaalt per maand niet meer. De pauze telt niet mee voor de langste duur van een regeling. Een pauze kost je de regeling dus nooit. Na de pauze rekenen we opnieuw.";
            en: "You ask for a pause of {pause_months} months. Then you pay nothing, and no costs or interest are added. The arrangement then lasts that many months longer. You do not pay more per month. The pause does not count towards the longest an arrangement may last. So a pause never costs you the arrangement. After the pause we calculate again."));
    }
    let (monthly, cap, min_share, short) = (m(monthly_total), input.term_cap_months, m(input.min_share_cents), short_orgs.join(", "));
    lines.push(match outcome {
        Outcome::Plan => say!(lang,
            nl: "Je betaalt {monthly} per maand, {paying_months} maanden lang. Dat is binnen de grens van {cap} maanden.";
            en: "You pay {monthly} a month for {paying_months} months. That is within the limit of {cap} months."),
        Outcome::OverTermCap => say!(lang,
            nl: "Met {monthly} per maand duurt het {paying_months} maanden. Dat is langer dan de grens van {cap} maanden. We vragen je niet om meer per maand. Vraag om een oplossing op maat, of om schuldhulp bij je gemeente. De cijfers staan hieronder.";
            en: "At {monthly} a month it takes {paying_months} months. That is longer than the limit of {cap} months. We do not ask you for more per month. Ask for a solution made for you, or for debt help from your municipality. The figures are below."),
        Outcome::PauseAndReferral => say!(lang,
            nl: "Je houdt niets over om af te lossen. Een regeling van € 0 bieden we niet aan. Vraag een pauze aan, en neem contact op met schuldhulp van je gemeente.";
            en: "Nothing is left to pay with. We do not offer a €0 arrangement. Ask for a pause, and contact your municipality's debt help."),
        Outcome::MinShareNotMet => say!(lang,
            nl: "Wat je kunt missen is te weinig om elke organisatie minstens {min_share} per maand te geven. Te weinig voor: {short}. Vraag een pauze aan, of hulp van schuldhulpverlening.";
            en: "What you can spare is too little to give each organisation at least {min_share} a month. Too little for: {short}. Ask for a pause, or for debt help."),
    });
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: serde_json::Value) -> ArrangementInput {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn worked_case_1_single_on_welfare() {
        let plan = plan(&input(serde_json::json!({
            "date": "2026-02-01", "household": "single", "aow": false, "net_income_cents": 140150,
            "claims": [{"org": "cjib", "ref": "A", "outstanding_cents": 60000}, {"org": "duo", "ref": "B", "outstanding_cents": 120000},
                       {"org": "cak", "ref": "C", "outstanding_cents": 40000}]
        })))
        .unwrap();
        assert_eq!(plan.floor_cents, 133143);
        assert_eq!(plan.capacity_cents, 7007);
        assert_eq!(
            plan.shares.iter().map(|s| s.monthly_cents).collect::<Vec<_>>(),
            [1911, 3822, 1274]
        );
        assert_eq!(plan.monthly_total_cents, 7007);
        assert_eq!(plan.term_months, 32);
        assert_eq!(plan.outcome, Outcome::Plan);
        assert_eq!(plan.norm_cents, 140150);
        assert_eq!(plan.norm_valid_from.to_string(), "2026-01-01");
        assert_eq!(plan.schedule.last().unwrap().remaining_cents, 0);
    }

    #[test]
    fn worked_case_2_high_income() {
        let plan = plan(&input(serde_json::json!({
            "date": "2025-09-01", "household": "single", "net_income_cents": 300000,
            "claims": [{"org": "cjib", "ref": "A", "outstanding_cents": 100000}]
        })))
        .unwrap();
        assert_eq!(plan.floor_cents, 209367);
        assert_eq!(plan.capacity_cents, 90633);
        assert_eq!(plan.bvv_max_cents, 209367);
    }

    #[test]
    fn worked_case_3_preference_weight() {
        assert_eq!(split(9000, &[100_000, 100_000], &[2, 1]), [6000, 3000]);
    }

    #[test]
    fn zero_capacity_is_a_pause_and_referral_never_a_zero_plan() {
        let plan = plan(&input(serde_json::json!({
            "date": "2026-02-01", "household": "single", "net_income_cents": 100000, "existing_deductions_cents": 10000,
            "claims": [{"org": "cjib", "ref": "A", "outstanding_cents": 60000}]
        })))
        .unwrap();
        assert_eq!(plan.outcome, Outcome::PauseAndReferral);
        assert!(plan.schedule.is_empty() && plan.shares.is_empty() && plan.monthly_total_cents == 0);
        assert!(plan.explanation.en.contains("We do not offer a €0 arrangement"));
        assert!(plan.explanation.nl.contains("Een regeling van € 0 bieden we niet aan"));
    }

    #[test]
    fn only_a_plan_is_an_offer() {
        // 70.07 a month against 2,000,000.00: affordable, far longer than the cap.
        let too_long = plan(&input(serde_json::json!({
            "date": "2026-02-01", "household": "single", "aow": false, "net_income_cents": 140150,
            "claims": [{"org": "cjib", "ref": "A", "outstanding_cents": 200_000_000}]
        })))
        .unwrap();
        assert_eq!(too_long.outcome, Outcome::OverTermCap);
        assert_eq!(too_long.monthly_total_cents, 0);
        assert!(too_long.shares.is_empty() && too_long.schedule.is_empty());
        assert_eq!((too_long.term_months, too_long.pause_months), (0, 0));
        let would_be = too_long.not_an_offer.as_ref().expect("the figures, under their own name");
        assert_eq!(would_be.monthly_total_cents, 7007);
        assert_eq!(would_be.shares.len(), 1);
        // Nothing of it becomes a part an organisation receives.
        let saved = parts::SavedArrangement {
            saved_at: "2026-02-01T10:00:00Z".parse().unwrap(),
            input: input(serde_json::json!({
                "date": "2026-02-01", "household": "single", "aow": false, "net_income_cents": 140150,
                "claims": [{"org": "cjib", "ref": "A", "outstanding_cents": 200_000_000}]
            })),
            plan: too_long.clone(),
        };
        assert!(prepare_parts(&saved, "arr", false).is_empty());
        let json = serde_json::to_value(&too_long).unwrap();
        assert_eq!(json["monthly_total_cents"], 0);
        assert_eq!(json["not_an_offer"]["monthly_total_cents"], 7007);

        // Too little for every organisation's minimum share.
        let too_small = plan(&input(serde_json::json!({
            "date": "2026-02-01", "household": "single", "aow": false, "net_income_cents": 140150, "min_share_cents": 5000,
            "claims": [{"org": "cjib", "ref": "A", "outstanding_cents": 60000}, {"org": "duo", "ref": "B", "outstanding_cents": 60000}]
        })))
        .unwrap();
        assert_eq!(too_small.outcome, Outcome::MinShareNotMet);
        assert!(too_small.shares.is_empty() && too_small.monthly_total_cents == 0);
        assert!(too_small.not_an_offer.is_some());

        // A plan has no such figures, and an older saved plan without the field still reads.
        let offer = plan(&input(serde_json::json!({
            "date": "2026-02-01", "household": "single", "aow": false, "net_income_cents": 140150,
            "claims": [{"org": "cjib", "ref": "A", "outstanding_cents": 60000}]
        })))
        .unwrap();
        assert_eq!(offer.outcome, Outcome::Plan);
        assert!(offer.not_an_offer.is_none());
        let json = serde_json::to_value(&offer).unwrap();
        assert!(json.get("not_an_offer").is_none());
        assert_eq!(serde_json::from_value::<ArrangementPlan>(json).unwrap(), offer);
    }

    #[test]
    fn bad_input_names_the_field() {
        let base = serde_json::json!({"date": "2026-02-01", "household": "single", "net_income_cents": 140150,
            "claims": [{"org": "cjib", "ref": "A", "outstanding_cents": 60000}]});
        let mut early = base.clone();
        early["date"] = "2024-12-31".into();
        assert_eq!(plan(&input(early)).unwrap_err().field, "date");
        let mut negative = base.clone();
        negative["claims"][0]["outstanding_cents"] = (-1).into();
        assert_eq!(plan(&input(negative)).unwrap_err().field, "claims[0].outstanding_cents");
        let mut none = base.clone();
        none["claims"] = serde_json::json!([]);
        assert_eq!(plan(&input(none)).unwrap_err().field, "claims");
        let mut twice = base.clone();
        twice["claims"] = serde_json::json!([{"org": "cjib", "ref": "A", "outstanding_cents": 1}, {"org": "cjib", "ref": "A", "outstanding_cents": 2}]);
        assert_eq!(plan(&input(twice)).unwrap_err().field, "claims[1].ref");
        for months in [0, 7] {
            let mut pause = base.clone();
            pause["pause"] = serde_json::json!({"months": months, "reason": "illness", "motivation": "x"});
            assert_eq!(plan(&input(pause)).unwrap_err().field, "pause.months");
        }
        let mut unknown = base.clone();
        unknown["household"] = "commune".into();
        assert!(
            serde_json::from_value::<ArrangementInput>(unknown)
                .unwrap_err()
                .to_string()
                .contains("unknown variant")
        );
    }

    #[test]
    fn the_norm_file_reads() {
        let norms = Norms::builtin();
        assert_eq!(norms.first_date().unwrap().to_string(), "2025-01-01");
        let applied = norms
            .on(
                chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                Household::Couple,
                true,
            )
            .unwrap();
        assert_eq!(applied.norm_cents, 214416);
        assert!(applied.bvv_is_fallback);
    }
}
