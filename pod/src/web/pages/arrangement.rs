//! The arrangement pages of `pod serve`: thin handlers over `pod_ui::arrangement`, which
//! renders the same pages in the browser at a provider; submitting and checking status run as
//! jobs with the citizen's logins.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pod_ui::arrangement::ArrangementForm;
use schemas::arrangement::ArrangementInput;

use crate::arrangement::submission::Contact;
use crate::web::error::ApiError;
use super::{Citizen, page};

fn render(
    citizen: &Citizen,
    form: &ArrangementForm,
    planned: Option<&(ArrangementInput, schemas::arrangement::ArrangementPlan)>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    match crate::overview::of(&citizen.pod, chrono::Local::now().date_naive(), chrono::Utc::now()) {
        Ok(overview) => (
            status,
            page(pod_ui::arrangement::page(&citizen.chrome, &overview, form, planned, error)),
        )
            .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /arrangement`.
pub async fn form(citizen: Citizen) -> Response {
    render(&citizen, &ArrangementForm::default(), None, None, StatusCode::OK)
}

/// `POST /arrangement`: computes and shows the plan.
pub async fn compute(citizen: Citizen, body: axum::body::Bytes) -> Response {
    let form = ArrangementForm::from_urlencoded(&body);
    let planned = crate::overview::of(&citizen.pod, chrono::Local::now().date_naive(), chrono::Utc::now())
        .map_err(|e| e.to_string())
        .and_then(|overview| form.plan(&overview, chrono::Local::now().date_naive(), citizen.lang));
    match planned {
        Ok(planned) => render(&citizen, &form, Some(&planned), None, StatusCode::OK),
        Err(message) => render(&citizen, &form, None, Some(&message), StatusCode::UNPROCESSABLE_ENTITY),
    }
}

/// `GET /arrangements/{id}`: a saved plan, its submissions and their latest status.
pub async fn saved(citizen: Citizen, axum::extract::Path(id): axum::extract::Path<String>) -> Response {
    let pod = &citizen.pod;
    let Some(record) = crate::store::RecordId::parse(&id) else {
        return (StatusCode::NOT_FOUND, "no such arrangement").into_response();
    };
    let gathered = (|| {
        Ok::<_, crate::store::PodError>((
            crate::arrangement::stored::one(pod, &record)?,
            crate::arrangement::submission::all(pod)?,
            crate::arrangement::submission::statuses(pod)?,
            crate::scheme::load(pod)?,
        ))
    })();
    match gathered {
        Ok((saved, submissions, statuses, scheme)) => page(pod_ui::arrangement::saved(
            &citizen.chrome,
            &id,
            &saved,
            &submissions,
            &statuses,
            &scheme.organisations,
        )),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /arrangements/{id}/submit`: submits the parts not yet received (so a retry only goes
/// to organisations that failed), with logins through the browser.
pub async fn submit(
    citizen: Citizen,
    axum::extract::State(app): axum::extract::State<std::sync::Arc<crate::web::App>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let share_everything = url::form_urlencoded::parse(&body).any(|(k, _)| k == "share_everything");
    run_job(citizen, app, id, JobKind::Submit { share_everything }).await
}

/// `POST /arrangements/{id}/status`: asks every organisation for its signed status.
pub async fn status(
    citizen: Citizen,
    axum::extract::State(app): axum::extract::State<std::sync::Arc<crate::web::App>>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    run_job(citizen, app, id, JobKind::Status).await
}

enum JobKind {
    Submit { share_everything: bool },
    Status,
}

async fn run_job(citizen: Citizen, app: std::sync::Arc<crate::web::App>, id: String, kind: JobKind) -> Response {
    let pod = citizen.pod;
    let Some(record) = crate::store::RecordId::parse(&id) else {
        return (StatusCode::NOT_FOUND, "no such arrangement").into_response();
    };
    let gathered = (
        crate::arrangement::stored::one(&pod, &record),
        crate::arrangement::submission::all(&pod),
        crate::scheme::load(&pod),
    );
    let (saved, submissions, scheme) = match gathered {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return ApiError::from(e).into_response(),
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
    let options = match crate::web::api::fetch_options(&app) {
        Ok(options) => options,
        Err(e) => return e.into_response(),
    };
    let browser = app.browser.clone();
    let job = crate::web::api::start_job(&app, crate::web::state::FetchJob::new(names, true, citizen.chrome.lang, &format!("/arrangements/{id}")), move |tx| async move {
        // One chain of logins, as a fetch is: with the provider's session, nothing to type.
        let contact = Contact {
            driver: browser.as_ref(),
            options: &options,
            progress: Some(tx),
            in_turn: true,
        };
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
                    contact,
                )
                .await
            }
            JobKind::Status => {
                crate::arrangement::submission::check_status(&pod, &record, &orgs, contact)
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
    let refused = |message: &str| {
        render(
            &citizen,
            &ArrangementForm::default(),
            None,
            Some(message),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let Ok(input) = serde_json::from_str::<ArrangementInput>(&input_json) else {
        return refused("invalid input");
    };
    let plan = match crate::arrangement::plan(&input) {
        Ok(plan) => plan,
        Err(e) => return refused(&e.to_string()),
    };
    match crate::arrangement::stored::save(&citizen.pod, &input, &plan) {
        Ok(id) => axum::response::Redirect::to(&format!("/arrangements/{id}")).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
