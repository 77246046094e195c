//! The arrangement pages: the claims come from the overview (all open matters ticked), the
//! citizen adds household, income and an optional pause, and sees the plan, its schedule as a
//! table and an inline SVG chart, and how it was computed; a saved plan shows each
//! organisation's part, its receipt and its latest status.

use std::collections::BTreeMap;

use askama::Template;
use chrono::NaiveDate;
use pod_core::arrangement::{SavedArrangement, StoredStatus, StoredSubmission, prepare_parts};
use pod_core::overview::Overview;
use schemas::arrangement::{
    ArrangementInput, ArrangementPlan, ClaimInput, Household, Outcome, PauseReason, PauseRequest,
};
use schemas::descriptor::OrganisationDescriptor;
use schemas::lang::{Lang, format_cents};

use crate::Rendered;
use crate::chrome::{Base, Chrome};
use crate::i18n::{Text, t};


/// Reads "1.401,50", "1401,50", "1401.50" or "1401" as cents.
pub fn parse_euros(text: &str) -> Option<i64> {
    let cleaned: String = text
        .trim()
        .trim_start_matches('€')
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if cleaned.is_empty() {
        return Some(0);
    }
    // The last separator followed by one or two digits is the decimal separator.
    let (whole, fraction) = match cleaned.rfind([',', '.']) {
        Some(at) if cleaned.len() - at - 1 <= 2 => (&cleaned[..at], &cleaned[at + 1..]),
        _ => (cleaned.as_str(), ""),
    };
    let whole: String = whole.chars().filter(|c| *c != '.' && *c != ',').collect();
    if !whole.chars().all(|c| c.is_ascii_digit()) || !fraction.chars().all(|c| c.is_ascii_digit()) || whole.len() > 12 {
        return None;
    }
    let euros: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let cents: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    Some(euros * 100 + cents)
}

/// The arrangement form, as posted.
#[derive(Clone, Debug, Default)]
pub struct ArrangementForm {
    /// The chosen matters, as `<organisation>:<index>`.
    pub claims: Vec<String>,
    /// One of the household kinds.
    pub household: String,
    /// The citizen has reached AOW age.
    pub aow: bool,
    /// Net monthly income, as typed.
    pub income: String,
    /// Existing deductions, as typed.
    pub deductions: String,
    /// Months of pause (0 for none).
    pub pause: u32,
    /// Why the pause.
    pub reason: String,
    /// The citizen's own words about the pause.
    pub motivation: String,
}

impl ArrangementForm {
    /// The form from its posted fields (`application/x-www-form-urlencoded`).
    pub fn from_urlencoded(body: &[u8]) -> Self {
        let mut form = Self::default();
        for (key, value) in url::form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "claim" => form.claims.push(value),
                "household" => form.household = value,
                "aow" => form.aow = true,
                "income" => form.income = value,
                "deductions" => form.deductions = value,
                "pause" => form.pause = value.parse().unwrap_or(0),
                "reason" => form.reason = value,
                "motivation" => form.motivation = value,
                _ => {}
            }
        }
        form
    }

    /// The engine's input from the form and the citizen's own overview: amounts are never
    /// taken from the form. The error is in the citizen's language.
    pub fn to_input(&self, overview: &Overview, today: NaiveDate, lang: Lang) -> Result<ArrangementInput, String> {
        let bad_amount = || t(lang, Text::BadAmount).to_owned();
        let income = parse_euros(&self.income).ok_or_else(bad_amount)?;
        let deductions = parse_euros(&self.deductions).ok_or_else(bad_amount)?;
        let mut claims = Vec::new();
        for chosen in &self.claims {
            let Some((org, index)) = pod_core::matter::parse_id(chosen) else {
                continue;
            };
            let Some(matter) = overview.organisation(org).and_then(|o| o.matters.get(index))
            else {
                continue;
            };
            claims.push(ClaimInput {
                org: schemas::ids::OrganisationId::parse(org).map_err(|e| e.to_string())?,
                reference: matter.case_ref.clone(),
                outstanding_cents: matter.outstanding_cents,
                preferent: false,
            });
        }
        let household: Household = self.household.parse().map_err(|_| "household".to_owned())?;
        let pause = (self.pause > 0).then(|| PauseRequest {
            months: self.pause,
            reason: self.reason.parse().unwrap_or(PauseReason::Other),
            motivation: self.motivation.clone(),
        });
        Ok(ArrangementInput {
            date: today,
            household,
            aow: self.aow,
            net_income_cents: income,
            existing_deductions_cents: deductions,
            floor_override_cents: None,
            preference_weighting: false,
            min_share_cents: 500,
            term_cap_months: 36,
            claims,
            pause,
        })
    }

    /// Computes the plan for this form: the input and plan, or a message for the citizen.
    pub fn plan(&self, overview: &Overview, today: NaiveDate, lang: Lang) -> Result<(ArrangementInput, ArrangementPlan), String> {
        let input = self.to_input(overview, today, lang)?;
        let plan = pod_core::arrangement::plan(&input).map_err(|e| e.to_string())?;
        Ok((input, plan))
    }
}

struct PlanView {
    outcome: String,
    /// The offer's monthly total and term; empty when the outcome is no plan.
    monthly: String,
    /// What a case with no plan would take, said to be no offer.
    not_an_offer: String,
    shares: Vec<String>,
    chart: String,
    /// The width of the pause at the chart's start, in SVG user units (0 without a pause).
    pause_width: u32,
    pause_label: String,
    /// The plan over time in one or two sentences: the chart's figures as text.
    over_time: String,
    schedule: Vec<(u32, String, String)>,
    explanation: Vec<String>,
    input_json: String,
}

#[derive(Template)]
#[template(path = "arrangement.html")]
struct ArrangementPage {
    base: Base,
    heading: String,
    help: String,
    error: Option<String>,
    claims_label: String,
    claims: Vec<(String, String)>,
    household_label: String,
    households: Vec<(&'static str, String)>,
    household: String,
    aow_label: String,
    aow: bool,
    income_label: String,
    income: String,
    deductions_label: String,
    deductions: String,
    pause_label: String,
    pause_question: String,
    pause_answer: String,
    floor_question: String,
    floor_answer: String,
    pause_options: Vec<u32>,
    pause: u32,
    reason_label: String,
    reasons: Vec<(&'static str, String)>,
    motivation_label: String,
    motivation: String,
    compute_label: String,
    schedule_label: String,
    paid_label: String,
    remaining_label: String,
    explanation_label: String,
    save_label: String,
    plan: Option<PlanView>,
}

/// The arrangement form over `overview`'s open matters, with the computed plan or an error.
pub fn page(
    chrome: &Chrome,
    overview: &Overview,
    form: &ArrangementForm,
    plan: Option<&(ArrangementInput, ArrangementPlan)>,
    error: Option<&str>,
) -> Rendered {
    let lang = chrome.lang;
    let money = |cents: i64| format_cents(cents, lang);
    let claims = overview
        .organisations
        .iter()
        .flat_map(|o| {
            o.matters
                .iter()
                .enumerate()
                .filter(|(_, m)| m.outstanding_cents > 0)
                .map(move |(i, m)| {
                    (
                        format!("{}:{i}", o.id),
                        format!("{}: {} ({})", o.name, m.description, money(m.outstanding_cents)),
                    )
                })
        })
        .collect();
    ArrangementPage {
        base: chrome.base(),
        heading: t(lang, Text::Arrangement).to_owned(),
        help: t(lang, Text::ArrangementHelp).to_owned(),
        error: error.map(str::to_owned),
        claims_label: t(lang, Text::ClaimsInPlan).to_owned(),
        claims,
        household_label: t(lang, Text::Household).to_owned(),
        households: Household::ALL
            .iter()
            .map(|h| (h.as_str(), t(lang, Text::household(*h)).to_owned()))
            .collect(),
        household: if form.household.is_empty() {
            "single".to_owned()
        } else {
            form.household.clone()
        },
        aow_label: t(lang, Text::AowAge).to_owned(),
        aow: form.aow,
        income_label: t(lang, Text::Income).to_owned(),
        income: form.income.clone(),
        deductions_label: t(lang, Text::Deductions).to_owned(),
        deductions: form.deductions.clone(),
        pause_label: t(lang, Text::PauseMonths).to_owned(),
        pause_question: t(lang, Text::ExplainPauseQ).to_owned(),
        pause_answer: t(lang, Text::ExplainPauseA).to_owned(),
        floor_question: t(lang, Text::ExplainFloorQ).to_owned(),
        floor_answer: t(lang, Text::ExplainFloorA).to_owned(),
        pause_options: (0..=6).collect(),
        pause: form.pause,
        reason_label: t(lang, Text::PauseReason).to_owned(),
        reasons: PauseReason::ALL
            .iter()
            .map(|r| (r.as_str(), t(lang, Text::pause_reason(*r)).to_owned()))
            .collect(),
        motivation_label: t(lang, Text::Motivation).to_owned(),
        motivation: form.motivation.clone(),
        compute_label: t(lang, Text::Compute).to_owned(),
        schedule_label: t(lang, Text::Schedule).to_owned(),
        paid_label: t(lang, Text::Paid).to_owned(),
        remaining_label: t(lang, Text::Remaining).to_owned(),
        explanation_label: t(lang, Text::Explanation).to_owned(),
        save_label: t(lang, Text::Save).to_owned(),
        plan: plan.map(|(input, plan)| plan_view(lang, input, plan, overview)),
    }
    .render()
}

/// A share as the citizen knows it: the organisation's name and the matter's description, from
/// the overview the plan was made from (its id and reference when the overview lacks them).
fn share_line(overview: &Overview, share: &schemas::arrangement::Share, money: impl Fn(i64) -> String) -> String {
    let organisation = overview.organisation(share.org.as_str());
    let name = overview.name_of(share.org.as_str());
    let matter = organisation
        .and_then(|o| o.matters.iter().find(|m| m.case_ref == share.reference))
        .map_or_else(|| share.reference.clone(), |m| m.description.clone());
    format!("{name}: {matter} · {}", money(share.monthly_cents))
}

fn plan_view(lang: Lang, input: &ArrangementInput, plan: &ArrangementPlan, overview: &Overview) -> PlanView {
    let money = |cents: i64| format_cents(cents, lang);
    let total: i64 = input.claims.iter().map(|c| c.outstanding_cents).sum();
    let months = plan.schedule.len().max(1) as i64;
    let chart = if plan.schedule.is_empty() || total == 0 {
        String::new()
    } else {
        std::iter::once((0i64, total))
            .chain(plan.schedule.iter().map(|m| (i64::from(m.month), m.remaining_cents)))
            .map(|(x, remaining)| format!("{},{}", x * 600 / months, 200 - remaining * 190 / total))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let pause = plan.pause_months;
    let pause_width = u32::try_from(i64::from(pause) * 600 / months).unwrap_or(0);
    let last = plan.schedule.last().map_or(0, |m| m.month);
    let monthly = money(plan.monthly_total_cents);
    let over_time = match (plan.outcome, pause) {
        (Outcome::Plan, 0) => schemas::say!(lang,
            nl: "Je betaalt {monthly} per maand, van maand 1 tot en met maand {last}. Daarna is alles betaald.";
            en: "You pay {monthly} a month, from month 1 to month {last}. Then everything is paid."),
        (Outcome::Plan, _) => schemas::say!(lang,
            nl: "Maand 1 tot en met {pause}: pauze, je betaalt niets. Daarna betaal je {monthly} per maand, tot en met maand {last}. Dan is alles betaald.";
            en: "Months 1 to {pause}: a pause, you pay nothing. After that you pay {monthly} a month, up to month {last}. Then everything is paid."),
        _ => String::new(),
    };
    PlanView {
        outcome: t(lang, Text::outcome(plan.outcome)).to_owned(),
        monthly: if plan.outcome == Outcome::Plan {
            format!(
                "{} {} · {} {}",
                money(plan.monthly_total_cents),
                t(lang, Text::PerMonth),
                plan.term_months,
                t(lang, Text::Months)
            )
        } else {
            String::new()
        },
        not_an_offer: plan.not_an_offer.as_ref().map_or_else(String::new, |would_be| {
            format!(
                "{}: {} {} · {} {}.",
                t(lang, Text::NotAnOffer),
                money(would_be.monthly_total_cents),
                t(lang, Text::PerMonth),
                would_be.term_months,
                t(lang, Text::Months)
            )
        }),
        shares: plan
            .shares
            .iter()
            .map(|s| share_line(overview, s, money))
            .collect(),
        chart,
        pause_width,
        pause_label: t(lang, Text::PauseBand).to_owned(),
        over_time,
        schedule: plan
            .schedule
            .iter()
            .map(|m| {
                let paid = if m.month <= pause {
                    t(lang, Text::PausedMonth).to_owned()
                } else {
                    money(m.payments.iter().map(|p| p.cents).sum())
                };
                (m.month, paid, money(m.remaining_cents))
            })
            .collect(),
        explanation: (if lang == Lang::Nl {
            &plan.explanation.nl
        } else {
            &plan.explanation.en
        })
        .lines()
        .map(str::to_owned)
        .collect(),
        input_json: serde_json::to_string(input).unwrap_or_default(),
    }
}

struct SubmissionRow {
    name: String,
    monthly: String,
    receipt: String,
    status: String,
}

#[derive(Template)]
#[template(path = "arrangement_saved.html")]
struct SavedPage {
    base: Base,
    id: String,
    heading: String,
    summary: String,
    organisation_label: String,
    monthly_label: String,
    receipt_label: String,
    status_label: String,
    rows: Vec<SubmissionRow>,
    share_everything_label: String,
    submit_label: String,
    check_status_label: String,
    back_label: String,
}

/// A saved plan (record `id`): each organisation's part, its receipt and its latest status.
pub fn saved(
    chrome: &Chrome,
    id: &str,
    saved: &SavedArrangement,
    submissions: &[StoredSubmission],
    statuses: &BTreeMap<String, StoredStatus>,
    organisations: &[OrganisationDescriptor],
) -> Rendered {
    let lang = chrome.lang;
    let money = |cents: i64| format_cents(cents, lang);
    let rows = prepare_parts(saved, "-", false)
        .iter()
        .map(|part| {
            let name = organisations
                .iter()
                .find(|o| o.id.as_str() == part.org)
                .map_or_else(|| part.org.clone(), |o| o.name.clone());
            let submission = submissions
                .iter()
                .rev()
                .find(|s| s.plan_record == id && s.org == part.org);
            let (receipt, status) = match submission {
                None => (String::new(), t(lang, Text::NotSubmitted).to_owned()),
                Some(s) => {
                    let status = statuses.get(&s.receipt_id).map_or_else(
                        || t(lang, Text::StReceived).to_owned(),
                        |st| {
                            let state = t(lang, Text::arrangement_state(st.state));
                            match &st.reason {
                                Some(reason) => format!("{state}: {reason}"),
                                None => state.to_owned(),
                            }
                        },
                    );
                    (s.receipt_id.clone(), status)
                }
            };
            SubmissionRow {
                name,
                monthly: money(part.part.monthly_cents),
                receipt,
                status,
            }
        })
        .collect();
    SavedPage {
        base: chrome.base(),
        id: id.to_owned(),
        heading: t(lang, Text::SavedPlan).to_owned(),
        summary: if saved.plan.outcome == Outcome::Plan {
            format!(
                "{} {} · {} {}",
                money(saved.plan.monthly_total_cents),
                t(lang, Text::PerMonth),
                saved.plan.term_months,
                t(lang, Text::Months)
            )
        } else {
            t(lang, Text::outcome(saved.plan.outcome)).to_owned()
        },
        organisation_label: t(lang, Text::Organisation).to_owned(),
        monthly_label: t(lang, Text::Monthly).to_owned(),
        receipt_label: t(lang, Text::Receipt).to_owned(),
        status_label: t(lang, Text::Status).to_owned(),
        rows,
        share_everything_label: t(lang, Text::ShareEverything).to_owned(),
        submit_label: t(lang, Text::SubmitPlan).to_owned(),
        check_status_label: t(lang, Text::CheckStatus).to_owned(),
        back_label: t(lang, Text::Back).to_owned(),
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::parse_euros;

    #[test]
    fn euros_in_dutch_and_english_notation() {
        assert_eq!(parse_euros("1.401,50"), Some(140150));
        assert_eq!(parse_euros("1401,50"), Some(140150));
        assert_eq!(parse_euros("1401.50"), Some(140150));
        assert_eq!(parse_euros("1,401.50"), Some(140150));
        assert_eq!(parse_euros("€ 1401"), Some(140100));
        assert_eq!(parse_euros("12,5"), Some(1250));
        assert_eq!(parse_euros(""), Some(0));
        assert_eq!(parse_euros("-5"), None);
        assert_eq!(parse_euros("abc"), None);
    }
}
