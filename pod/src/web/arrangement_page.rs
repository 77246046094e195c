//! The arrangement page: the claims come from the overview (all open matters ticked), the
//! citizen adds household, income and an optional pause, and sees the plan, its schedule as a
//! table and an inline SVG chart, and how it was computed.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use schemas::arrangement::{
    ArrangementInput, ArrangementPlan, ClaimInput, Household, Outcome, PauseReason, PauseRequest,
};
use schemas::lang::{Lang, format_cents};

use super::i18n::t;
use super::pages::{Base, Citizen, page};

const HOUSEHOLDS: [&str; 4] = ["single", "single_parent", "couple", "couple_with_children"];
const REASONS: [&str; 9] = [
    "debt_help",
    "income_loss",
    "illness",
    "bereavement",
    "separation",
    "birth",
    "detention",
    "disaster",
    "other",
];

struct PlanView {
    outcome: String,
    monthly: String,
    shares: Vec<String>,
    chart: String,
    chart_label: String,
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

/// The form, as posted.
#[derive(Default)]
struct FormInput {
    claims: Vec<String>,
    household: String,
    aow: bool,
    income: String,
    deductions: String,
    pause: u32,
    reason: String,
    motivation: String,
}

fn read_form(body: &[u8]) -> FormInput {
    let mut form = FormInput::default();
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

async fn render(
    citizen: Citizen,
    form: FormInput,
    plan: Option<(ArrangementInput, ArrangementPlan)>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let Citizen { pod, lang, base } = citizen;
    let overview = match pod.overview(chrono::Local::now().date_naive(), chrono::Utc::now()) {
        Ok(overview) => overview,
        Err(e) => return super::api::ApiError::from(e).into_response(),
    };
    let money = |cents: i64| format_cents(cents, lang);
    let claims: Vec<(String, String)> = overview
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
    let plan_view = plan.map(|(input, plan)| plan_view(lang, &input, &plan));
    let template = ArrangementPage {
        base,
        heading: t(lang, "arrangement").to_owned(),
        help: t(lang, "arrangement_help").to_owned(),
        error,
        claims_label: t(lang, "claims_in_plan").to_owned(),
        claims,
        household_label: t(lang, "household").to_owned(),
        households: HOUSEHOLDS
            .iter()
            .map(|h| (*h, t(lang, &format!("h_{h}")).to_owned()))
            .collect(),
        household: if form.household.is_empty() {
            "single".to_owned()
        } else {
            form.household.clone()
        },
        aow_label: t(lang, "aow_age").to_owned(),
        aow: form.aow,
        income_label: t(lang, "income").to_owned(),
        income: form.income.clone(),
        deductions_label: t(lang, "deductions").to_owned(),
        deductions: form.deductions.clone(),
        pause_label: t(lang, "pause_months").to_owned(),
        pause_options: (0..=6).collect(),
        pause: form.pause,
        reason_label: t(lang, "pause_reason").to_owned(),
        reasons: REASONS
            .iter()
            .map(|r| (*r, t(lang, &format!("r_{r}")).to_owned()))
            .collect(),
        motivation_label: t(lang, "motivation").to_owned(),
        motivation: form.motivation.clone(),
        compute_label: t(lang, "compute").to_owned(),
        schedule_label: t(lang, "schedule").to_owned(),
        paid_label: t(lang, "paid").to_owned(),
        remaining_label: t(lang, "remaining").to_owned(),
        explanation_label: t(lang, "explanation").to_owned(),
        save_label: t(lang, "save").to_owned(),
        plan: plan_view,
    };
    (status, page(&template)).into_response()
}

fn plan_view(lang: Lang, input: &ArrangementInput, plan: &ArrangementPlan) -> PlanView {
    let money = |cents: i64| format_cents(cents, lang);
    let outcome_key = match plan.outcome {
        Outcome::Plan => "o_plan",
        Outcome::OverTermCap => "o_over_term_cap",
        Outcome::PauseAndReferral => "o_pause_and_referral",
        Outcome::MinShareNotMet => "o_min_share_not_met",
    };
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
    PlanView {
        outcome: t(lang, outcome_key).to_owned(),
        monthly: format!(
            "{} {} · {} {}",
            money(plan.monthly_total_cents),
            t(lang, "per_month"),
            plan.term_months,
            t(lang, "months")
        ),
        shares: plan
            .shares
            .iter()
            .map(|s| format!("{} · {} · {}", s.org, s.reference, money(s.monthly_cents)))
            .collect(),
        chart,
        chart_label: t(lang, "schedule").to_owned(),
        schedule: plan
            .schedule
            .iter()
            .map(|m| {
                (
                    m.month,
                    money(m.payments.iter().map(|p| p.cents).sum()),
                    money(m.remaining_cents),
                )
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

/// `GET /arrangement`.
pub async fn form(citizen: Citizen) -> Response {
    render(citizen, FormInput::default(), None, None, StatusCode::OK).await
}

/// Builds the engine's input from the form and the citizen's own overview (amounts are never
/// taken from the form).
fn to_input(pod: &crate::store::UnlockedPod, form: &FormInput, lang: Lang) -> Result<ArrangementInput, String> {
    let bad_amount = || t(lang, "bad_amount").to_owned();
    let income = parse_euros(&form.income).ok_or_else(bad_amount)?;
    let deductions = parse_euros(&form.deductions).ok_or_else(bad_amount)?;
    let today = chrono::Local::now().date_naive();
    let overview = pod.overview(today, chrono::Utc::now()).map_err(|e| e.to_string())?;
    let mut claims = Vec::new();
    for chosen in &form.claims {
        let Some((org, index)) = super::api::matter_id(chosen) else {
            continue;
        };
        let Some(matter) = overview
            .organisations
            .iter()
            .find(|o| o.id == org)
            .and_then(|o| o.matters.get(index))
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
    let household: Household = serde_json::from_value(serde_json::Value::String(form.household.clone()))
        .map_err(|_| "household".to_owned())?;
    let pause = if form.pause > 0 {
        let reason: PauseReason =
            serde_json::from_value(serde_json::Value::String(form.reason.clone())).unwrap_or(PauseReason::Other);
        Some(PauseRequest {
            months: form.pause,
            reason,
            motivation: form.motivation.clone(),
        })
    } else {
        None
    };
    Ok(ArrangementInput {
        date: today,
        household,
        aow: form.aow,
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

/// `POST /arrangement`: computes and shows the plan.
pub async fn compute(citizen: Citizen, body: axum::body::Bytes) -> Response {
    let form = read_form(&body);
    let lang = citizen.lang;
    let result = to_input(&citizen.pod, &form, lang).and_then(|input| {
        crate::arrangement::plan(&input)
            .map(|plan| (input, plan))
            .map_err(|e| e.to_string())
    });
    match result {
        Ok(planned) => render(citizen, form, Some(planned), None, StatusCode::OK).await,
        Err(message) => render(citizen, form, None, Some(message), StatusCode::UNPROCESSABLE_ENTITY).await,
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

/// `GET /arrangements/{id}`: a saved plan, its submissions and their latest status.
pub async fn saved(citizen: Citizen, axum::extract::Path(id): axum::extract::Path<String>) -> Response {
    let Citizen { pod, lang, base } = citizen;
    let Some(record) = crate::store::RecordId::parse(&id) else {
        return (StatusCode::NOT_FOUND, "no such arrangement").into_response();
    };
    let saved = match pod.arrangement(&record) {
        Ok(saved) => saved,
        Err(e) => return super::api::ApiError::from(e).into_response(),
    };
    let (submissions, statuses, scheme) = match (pod.submissions(), pod.statuses(), pod.scheme()) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return super::api::ApiError::from(e).into_response(),
    };
    let money = |cents: i64| format_cents(cents, lang);
    let parts = crate::arrangement::submission::prepare_parts(&saved, "-", false);
    let rows = parts
        .iter()
        .map(|part| {
            let name = scheme
                .organisations
                .iter()
                .find(|o| o.id.as_str() == part.org)
                .map_or_else(|| part.org.clone(), |o| o.name.clone());
            let submission = submissions
                .iter()
                .rev()
                .find(|s| s.plan_record == id && s.org == part.org);
            let (receipt, status) = match submission {
                None => (String::new(), t(lang, "not_submitted").to_owned()),
                Some(s) => {
                    let status = statuses.get(&s.receipt_id).map_or_else(
                        || t(lang, "st_received").to_owned(),
                        |st| {
                            let key = format!(
                                "st_{}",
                                serde_json::to_value(st.state)
                                    .ok()
                                    .and_then(|v| v.as_str().map(str::to_owned))
                                    .unwrap_or_default()
                            );
                            match &st.reason {
                                Some(reason) => format!("{}: {reason}", t(lang, &key)),
                                None => t(lang, &key).to_owned(),
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
    let template = SavedPage {
        base,
        id,
        heading: t(lang, "saved_plan").to_owned(),
        summary: format!(
            "{} {} · {} {}",
            money(saved.plan.monthly_total_cents),
            t(lang, "per_month"),
            saved.plan.term_months,
            t(lang, "months")
        ),
        organisation_label: t(lang, "organisation").to_owned(),
        monthly_label: t(lang, "monthly").to_owned(),
        receipt_label: t(lang, "receipt").to_owned(),
        status_label: t(lang, "status").to_owned(),
        rows,
        share_everything_label: t(lang, "share_everything").to_owned(),
        submit_label: t(lang, "submit_plan").to_owned(),
        check_status_label: t(lang, "check_status").to_owned(),
        back_label: t(lang, "back").to_owned(),
    };
    page(&template)
}

/// `POST /arrangements/{id}/submit`: submits the parts not yet received (so a retry only goes
/// to organisations that failed), with logins through the browser.
pub async fn submit(
    citizen: Citizen,
    axum::extract::State(app): axum::extract::State<std::sync::Arc<super::App>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let share_everything = url::form_urlencoded::parse(&body).any(|(k, _)| k == "share_everything");
    run_job(citizen, app, id, JobKind::Submit { share_everything }).await
}

/// `POST /arrangements/{id}/status`: asks every organisation for its signed status.
pub async fn status(
    citizen: Citizen,
    axum::extract::State(app): axum::extract::State<std::sync::Arc<super::App>>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    run_job(citizen, app, id, JobKind::Status).await
}

enum JobKind {
    Submit { share_everything: bool },
    Status,
}

async fn run_job(citizen: Citizen, app: std::sync::Arc<super::App>, id: String, kind: JobKind) -> Response {
    let pod = citizen.pod;
    let Some(record) = crate::store::RecordId::parse(&id) else {
        return (StatusCode::NOT_FOUND, "no such arrangement").into_response();
    };
    let (saved, submissions, scheme) = match (pod.arrangement(&record), pod.submissions(), pod.scheme()) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return super::api::ApiError::from(e).into_response(),
    };
    let done: Vec<String> = submissions
        .iter()
        .filter(|s| s.plan_record == id)
        .map(|s| s.org.clone())
        .collect();
    let wanted: Vec<String> = crate::arrangement::submission::prepare_parts(&saved, "-", false)
        .into_iter()
        .map(|p| p.org)
        .filter(|org| match kind {
            JobKind::Submit { .. } => !done.contains(org),
            JobKind::Status => done.contains(org),
        })
        .collect();
    let orgs: Vec<_> = scheme
        .organisations
        .into_iter()
        .filter(|o| wanted.iter().any(|w| w == o.id.as_str()))
        .collect();
    let names = orgs.iter().map(|o| (o.id.to_string(), o.name.clone())).collect();
    let options = match super::api::fetch_options(&app) {
        Ok(options) => options,
        Err(e) => return e.into_response(),
    };
    let browser = app.browser.clone();
    let job = super::api::start_job(&app, names, move |tx| async move {
        let result = match kind {
            JobKind::Submit { share_everything } => {
                crate::arrangement::submission::submit(
                    &pod,
                    &record,
                    &orgs,
                    crate::arrangement::submission::Selection {
                        only: Some(&wanted),
                        share_everything,
                    },
                    browser.as_ref(),
                    &options,
                    Some(tx),
                )
                .await
            }
            JobKind::Status => {
                crate::arrangement::submission::check_status(&pod, &record, &orgs, browser.as_ref(), &options, Some(tx))
                    .await
            }
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "an arrangement job failed");
        }
    })
    .await;
    axum::response::Redirect::to(&format!("/fetch/{}", job.id)).into_response()
}

/// `POST /arrangement/save`: recomputes from the posted input and saves it encrypted.
pub async fn save(citizen: Citizen, body: axum::body::Bytes) -> Response {
    let input_json = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "input")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let Ok(input) = serde_json::from_str::<ArrangementInput>(&input_json) else {
        return render(
            citizen,
            FormInput::default(),
            None,
            Some("invalid input".to_owned()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let plan = match crate::arrangement::plan(&input) {
        Ok(plan) => plan,
        Err(e) => {
            return render(
                citizen,
                FormInput::default(),
                None,
                Some(e.to_string()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match citizen.pod.save_arrangement(&input, &plan) {
        Ok(id) => axum::response::Redirect::to(&format!("/arrangements/{id}")).into_response(),
        Err(e) => super::api::ApiError::from(e).into_response(),
    }
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
