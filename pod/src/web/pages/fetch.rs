//! Fetching: choosing organisations, the progress page with each organisation's login, the
//! login's way back (`/oauth/callback`), and the transparency log of every fetch.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use pod_ui::pages::{Next, Progress, Stage};

use super::{Citizen, local_offset, page};
use crate::web::App;
use crate::web::api;
use crate::web::error::ApiError;
use crate::web::state::FetchJob;

/// `GET /fetch`: choose organisations.
pub async fn fetch_form(citizen: Citizen) -> Response {
    match crate::scheme::load(&citizen.pod) {
        Ok(scheme) => page(pod_ui::pages::fetch(&citizen.chrome, &scheme.organisations)),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /fetch`: starts the fetch as one chain of logins in this tab, and sends the browser on
/// to its first login (by way of the progress page).
pub async fn fetch_start(State(app): State<Arc<App>>, citizen: Citizen, body: axum::body::Bytes) -> Response {
    let sources: Vec<String> = url::form_urlencoded::parse(&body)
        .filter(|(k, _)| k == "source")
        .map(|(_, v)| v.into_owned())
        .collect();
    match api::start_fetch(&app, citizen.pod, Some(sources), true, citizen.chrome.lang).await {
        Ok(job) => Redirect::to(&format!("/fetch/{}", job.id)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /fetch/{id}`: per-organisation progress, with each login link while it waits. A chain
/// goes on by itself to its next login, and ends on the overview when every organisation is
/// stored; a failure stays on this page, so the citizen sees it.
pub async fn fetch_progress(
    State(app): State<Arc<App>>,
    citizen: Citizen,
    Path(id): Path<String>,
) -> Response {
    let Some(job) = app.fetch(&id) else {
        return (StatusCode::NOT_FOUND, "no such fetch").into_response();
    };
    // While the pod itself works, the answer waits for it: the page then shows the outcome
    // without reloading itself on a timer, which would take the reader's place and focus away.
    let browser = app.browser.clone();
    job.wait_until(WORK_WAIT, |job| {
        job.finished() || job.waits_for_citizen(&browser) || (job.in_turn && job.next_login(&browser).is_some())
    })
    .await;
    let organisations = progress_of(&app, &job);
    let next = if job.finished() {
        if job.in_turn && organisations.iter().all(|o| o.stage == Stage::Done) {
            return Redirect::to(&job.ends_at).into_response();
        }
        Next::Stay
    } else {
        next_login(&app, &job).unwrap_or(Next::Reload)
    };
    page(pod_ui::pages::progress(&citizen.chrome, &organisations, next))
}

/// Where a chain goes now, if it waits for a login.
fn next_login(app: &App, job: &FetchJob) -> Option<Next> {
    let (organisation, url) = job.in_turn.then(|| job.next_login(&app.browser)).flatten()?;
    Some(Next::Login {
        organisation,
        url: url.to_string(),
    })
}

/// Each organisation's line on the progress page.
fn progress_of(app: &App, job: &FetchJob) -> Vec<Progress> {
    let json = api::job_json(job);
    json["organisations"]
        .as_array()
        .map(|orgs| {
            orgs.iter()
                .map(|o| {
                    // A login whose answer already arrived is no longer offered: between the
                    // callback and the fetch moving on, its link would lead to a used login.
                    let login_url = o["login_url"]
                        .as_str()
                        .filter(|url| url::Url::parse(url).is_ok_and(|url| app.browser.is_waiting_at(&url)))
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
        .unwrap_or_default()
}

/// How long a page waits for the pod's own work (a fetch, a check, storing) before it shows the
/// progress as it stands, with a link to look again.
const WORK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// `GET /oauth/callback`: hands an organisation's login answer to the waiting job, and shows its
/// progress. In a chain it waits until what arrived is stored and the next login is ready, and
/// sends the browser straight on to it.
///
/// This page is reached by a redirect from another site, so it carries no `SameSite=Strict`
/// cookie: it needs none (the answer's state is what binds it to the job), and it goes on to the
/// job's own page with a navigation that starts here, which does carry them.
pub async fn oauth_callback(State(app): State<Arc<App>>, uri: axum::http::Uri) -> Response {
    let callback = url::Url::parse(&format!("http://{}{uri}", app.config.listen))
        .ok()
        .map(|url| fetcher::login::Callback::from_url(&url));
    let job = callback
        .as_ref()
        .and_then(|c| c.state.as_deref())
        .and_then(|state| app.fetch_waiting_for(state));
    let delivered = callback.is_some_and(|callback| app.browser.deliver(callback));
    let job = match (delivered, job) {
        (true, Some(job)) => job,
        (true, None) => return Redirect::to("/").into_response(),
        (false, _) => {
            return (
                StatusCode::BAD_REQUEST,
                Html(format!(
                    "<!doctype html><meta charset=utf-8><p>{}</p>",
                    pod_ui::i18n::both(pod_ui::i18n::Text::LoginUnknown)
                )),
            )
                .into_response();
        }
    };
    if job.in_turn {
        let browser = app.browser.clone();
        job.wait_until(WORK_WAIT, |job| job.finished() || job.next_login(&browser).is_some())
            .await;
    }
    let next = next_login(&app, &job).unwrap_or_else(|| Next::Page(format!("/fetch/{}", job.id)));
    let chrome = pod_ui::Chrome {
        lang: job.lang,
        unlocked: false,
        csrf: String::new(),
        place: pod_ui::Place::Local,
    };
    page(pod_ui::pages::progress(&chrome, &progress_of(&app, &job), next))
}

/// `GET /audit`: the transparency log, newest first.
pub async fn audit(citizen: Citizen) -> Response {
    match crate::fetching::log(&citizen.pod) {
        Ok(log) => page(pod_ui::pages::audit(&citizen.chrome, &log, local_offset())),
        Err(e) => ApiError::from(e).into_response(),
    }
}
