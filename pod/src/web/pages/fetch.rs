//! Fetching: choosing organisations, the progress page with each organisation's login, the
//! login's way back (`/oauth/callback`), and the transparency log of every fetch.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use pod_ui::pages::{Progress, Stage};

use super::{Citizen, local_offset, page};
use crate::web::App;
use crate::web::api;
use crate::web::error::ApiError;

/// `GET /fetch`: choose organisations.
pub async fn fetch_form(citizen: Citizen) -> Response {
    match crate::scheme::load(&citizen.pod) {
        Ok(scheme) => page(pod_ui::pages::fetch(&citizen.chrome, &scheme.organisations)),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /fetch`: starts the fetch and shows its progress page.
pub async fn fetch_start(State(app): State<Arc<App>>, citizen: Citizen, body: axum::body::Bytes) -> Response {
    let sources: Vec<String> = url::form_urlencoded::parse(&body)
        .filter(|(k, _)| k == "source")
        .map(|(_, v)| v.into_owned())
        .collect();
    match api::start_fetch(&app, citizen.pod, Some(sources)).await {
        Ok(job) => Redirect::to(&format!("/fetch/{}", job.id)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Whether the login at `url` still waits for its answer here.
fn login_still_open(app: &App, url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()))
        .is_some_and(|state| app.browser.is_waiting_for(&state))
}

/// `GET /fetch/{id}`: per-organisation progress, with each login link while it waits.
pub async fn fetch_progress(
    State(app): State<Arc<App>>,
    citizen: Citizen,
    Path(id): Path<String>,
) -> Response {
    let Some(job) = app.fetch(&id) else {
        return (StatusCode::NOT_FOUND, "no such fetch").into_response();
    };
    let json = api::job_json(&job);
    let organisations: Vec<Progress> = json["organisations"]
        .as_array()
        .map(|orgs| {
            orgs.iter()
                .map(|o| {
                    // A login whose answer already arrived is no longer offered: between the
                    // callback and the fetch moving on, its link would lead to a used login.
                    let login_url = o["login_url"]
                        .as_str()
                        .filter(|url| login_still_open(&app, url))
                        .map(str::to_owned);
                    let stage = match o["stage"].as_str().unwrap_or_default() {
                        "waiting_for_login" => Stage::Login,
                        "fetching" | "starting" => Stage::Fetching,
                        "verifying" => Stage::Verifying,
                        "done" => Stage::Done,
                        _ => Stage::Failed,
                    };
                    Progress {
                        id: o["id"].as_str().unwrap_or_default().to_owned(),
                        name: o["name"].as_str().unwrap_or_default().to_owned(),
                        stage,
                        login_url,
                        message: o["message"].as_str().map(str::to_owned),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    page(pod_ui::pages::progress(&citizen.chrome, &organisations, !job.finished()))
}

/// `GET /oauth/callback`: hands an organisation's login answer to the waiting fetch.
pub async fn oauth_callback(State(app): State<Arc<App>>, uri: axum::http::Uri) -> Response {
    let url = url::Url::parse(&format!("http://{}{uri}", app.config.listen)).ok();
    let job = app.latest_fetch();
    let delivered = url.is_some_and(|u| app.browser.deliver(fetcher::login::Callback::from_url(&u)));
    match (delivered, job) {
        (true, Some(job)) => Redirect::to(&format!("/fetch/{}", job.id)).into_response(),
        _ => (
            StatusCode::BAD_REQUEST,
            Html(format!(
                "<!doctype html><meta charset=utf-8><p>{}</p>",
                pod_ui::i18n::both(pod_ui::i18n::Text::LoginUnknown)
            )),
        )
            .into_response(),
    }
}

/// `GET /audit`: the transparency log, newest first.
pub async fn audit(citizen: Citizen) -> Response {
    match crate::fetching::log(&citizen.pod) {
        Ok(log) => page(pod_ui::pages::audit(&citizen.chrome, &log, local_offset())),
        Err(e) => ApiError::from(e).into_response(),
    }
}
