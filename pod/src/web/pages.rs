//! The HTML pages of `pod serve`. Handlers are thin: they gather what a page shows from the
//! unlocked pod and hand it to `pod_ui`, which renders the same pages in the browser at a
//! provider. askama escapes every string (organisation text included).

use std::sync::Arc;

use axum::{Extension, Form};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use pod_ui::i18n::t;
use pod_ui::pages::{PendingOrganisation, Progress, Stage};
use pod_ui::{Chrome, Place};
use schemas::lang::Lang;
use serde::Deserialize;
use tower_sessions::Session;

use super::api::{self, unlocked};
use super::error::ApiError;
use super::security::AnonymousCsrf;
use super::App;

fn lang_of(headers: &HeaderMap) -> Lang {
    let cookies = headers
        .get(header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .unwrap_or_default();
    if cookies.split(';').any(|c| c.trim() == "lang=en") {
        Lang::En
    } else {
        Lang::Nl
    }
}

/// The chrome of an unlocked citizen's page (its forms carry the session's CSRF token).
async fn chrome(lang: Lang, session: &Session) -> Chrome {
    let csrf: Option<String> = session.get(super::CSRF_KEY).await.ok().flatten();
    Chrome {
        lang,
        unlocked: true,
        csrf: csrf.unwrap_or_default(),
        place: Place::Local,
    }
}

/// This machine's offset from UTC, for the times pages show.
fn local_offset() -> chrono::FixedOffset {
    *chrono::Local::now().offset()
}

/// An unlocked citizen's request to a page: the pod, the language and the page chrome. A locked
/// (or other) session is sent to the unlock page instead.
pub struct Citizen {
    /// The unlocked pod.
    pub pod: Arc<crate::store::UnlockedPod>,
    /// The citizen's language.
    pub lang: Lang,
    /// What every page shows around its content.
    pub chrome: Chrome,
}

impl axum::extract::FromRequestParts<Arc<App>> for Citizen {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, app: &Arc<App>) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let lang = lang_of(&parts.headers);
        let pod = unlocked(app, &session)
            .await
            .map_err(|_| Redirect::to("/").into_response())?;
        Ok(Citizen {
            pod,
            lang,
            chrome: chrome(lang, &session).await,
        })
    }
}

/// A rendered page as a response (a template error is logged and answered 500).
pub fn page(rendered: pod_ui::Rendered) -> Response {
    match rendered {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

async fn unlock_page(lang: Lang, anonymous: &AnonymousCsrf, error: Option<&str>, status: StatusCode) -> Response {
    let chrome = Chrome {
        lang,
        unlocked: false,
        csrf: anonymous.0.clone(),
        place: Place::Local,
    };
    (status, page(pod_ui::pages::unlock(&chrome, error))).into_response()
}

/// `GET /`: the overview when unlocked, else the unlock page.
pub async fn home(
    State(app): State<Arc<App>>,
    session: Session,
    Extension(anonymous): Extension<AnonymousCsrf>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    let Ok(pod) = unlocked(&app, &session).await else {
        return unlock_page(lang, &anonymous, None, StatusCode::OK).await;
    };
    match pod.overview(chrono::Local::now().date_naive(), chrono::Utc::now()) {
        Ok(overview) => page(pod_ui::pages::overview(
            &chrome(lang, &session).await,
            &overview,
            local_offset(),
        )),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct UnlockForm {
    #[serde(default)]
    passphrase: String,
}

/// `POST /unlock`.
pub async fn unlock(
    State(app): State<Arc<App>>,
    session: Session,
    Extension(anonymous): Extension<AnonymousCsrf>,
    headers: HeaderMap,
    Form(form): Form<UnlockForm>,
) -> Response {
    let lang = lang_of(&headers);
    match api::unlock_session(&app, &session, &form.passphrase).await {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => {
            let (status, key) = match e.into_response().status() {
                StatusCode::TOO_MANY_REQUESTS => (StatusCode::TOO_MANY_REQUESTS, "wait"),
                status => (status, "wrong_passphrase"),
            };
            unlock_page(lang, &anonymous, Some(t(lang, key)), status).await
        }
    }
}

/// `POST /lock`.
pub async fn lock(State(app): State<Arc<App>>, session: Session) -> Response {
    app.lock();
    let _ = session.flush().await;
    Redirect::to("/").into_response()
}

/// `GET /lang/{nl|en}`: remembers the language in a cookie and goes back to the overview.
pub async fn set_language(Path(lang): Path<String>) -> Response {
    let lang = if lang == "en" { "en" } else { "nl" };
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/".to_owned()),
            (
                header::SET_COOKIE,
                format!("lang={lang}; Path=/; SameSite=Strict; Max-Age=31536000"),
            ),
        ],
    )
        .into_response()
}

/// `GET /matters/{org:index}`.
pub async fn matter(citizen: Citizen, Path(id): Path<String>) -> Response {
    match api::matter_detail(&citizen.pod, &id) {
        Ok(detail) => page(pod_ui::pages::matter(&citizen.chrome, &detail)),
        Err(e) => e.into_response(),
    }
}

/// `GET /fetch`: choose organisations.
pub async fn fetch_form(citizen: Citizen) -> Response {
    match citizen.pod.scheme() {
        Ok(scheme) => page(pod_ui::pages::fetch(&citizen.chrome, &scheme.organisations)),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /fetch`: starts the fetch and shows its progress page.
pub async fn fetch_start(State(app): State<Arc<App>>, session: Session, body: axum::body::Bytes) -> Response {
    let Ok(pod) = unlocked(&app, &session).await else {
        return Redirect::to("/").into_response();
    };
    let sources: Vec<String> = url::form_urlencoded::parse(&body)
        .filter(|(k, _)| k == "source")
        .map(|(_, v)| v.into_owned())
        .collect();
    match api::start_fetch(&app, pod, Some(sources)).await {
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
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let lang = lang_of(&headers);
    if unlocked(&app, &session).await.is_err() {
        return Redirect::to("/").into_response();
    }
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
    let chrome = chrome(lang, &session).await;
    page(pod_ui::pages::progress(&chrome, &organisations, !job.finished()))
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
            Html("<!doctype html><meta charset=utf-8><p>Onbekende of verlopen login. / Unknown or expired login.</p>"),
        )
            .into_response(),
    }
}

/// `GET /settings`: the scheme with key fingerprints, the passphrase, backups.
pub async fn settings(State(app): State<Arc<App>>, session: Session, headers: HeaderMap) -> Response {
    settings_page(&app, &session, lang_of(&headers), None, StatusCode::OK).await
}

async fn settings_page(
    app: &App,
    session: &Session,
    lang: Lang,
    message: Option<String>,
    status: StatusCode,
) -> Response {
    settings_page_with(app, session, lang, message, None, status).await
}

async fn settings_page_with(
    app: &App,
    session: &Session,
    lang: Lang,
    message: Option<String>,
    pending: Option<PendingOrganisation>,
    status: StatusCode,
) -> Response {
    let Ok(pod) = unlocked(app, session).await else {
        return Redirect::to("/").into_response();
    };
    match pod.scheme() {
        Ok(scheme) => {
            let chrome = chrome(lang, session).await;
            let rendered = pod_ui::pages::settings(&chrome, &scheme.organisations, message.as_deref(), pending);
            (status, page(rendered)).into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct PassphraseForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
}

/// `POST /settings/passphrase`.
pub async fn change_passphrase(
    State(app): State<Arc<App>>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<PassphraseForm>,
) -> Response {
    let lang = lang_of(&headers);
    let Ok(pod) = unlocked(&app, &session).await else {
        return Redirect::to("/").into_response();
    };
    let (current, new) = (
        age::secrecy::SecretString::from(form.current),
        age::secrecy::SecretString::from(form.new),
    );
    let opener = app.opener.clone();
    let result = tokio::task::spawn_blocking(move || opener.change_passphrase(&pod, &current, &new)).await;
    match result {
        Ok(Ok(())) => {
            settings_page(
                &app,
                &session,
                lang,
                Some(t(lang, "passphrase_changed").to_owned()),
                StatusCode::OK,
            )
            .await
        }
        Ok(Err(crate::store::PodError::WeakPassphrase(message) | crate::store::PodError::Unsupported(message))) => {
            settings_page(&app, &session, lang, Some(message), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Ok(Err(crate::store::PodError::WrongPassphrase)) => {
            settings_page(
                &app,
                &session,
                lang,
                Some(t(lang, "wrong_passphrase").to_owned()),
                StatusCode::UNAUTHORIZED,
            )
            .await
        }
        Ok(Err(e)) => ApiError::from(e).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

use pod_core::scheme::fingerprints;

#[derive(Deserialize)]
pub struct SchemeForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    fingerprints: String,
    #[serde(default)]
    id: String,
}

/// `POST /settings/scheme/check`: reads an organisation's descriptor and keys and asks the
/// citizen to compare the fingerprint before anything is trusted.
pub async fn scheme_check(
    State(app): State<Arc<App>>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<SchemeForm>,
) -> Response {
    let lang = lang_of(&headers);
    if unlocked(&app, &session).await.is_err() {
        return Redirect::to("/").into_response();
    }
    let found = match url::Url::parse(form.url.trim()) {
        Ok(url) => crate::scheme::discover(&url).await.ok().map(|d| (url, d)),
        Err(_) => None,
    };
    let Some((url, descriptor)) = found else {
        return settings_page(
            &app,
            &session,
            lang,
            Some(t(lang, "unreachable").to_owned()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let pending = PendingOrganisation {
        url: url.to_string(),
        name: descriptor.name.clone(),
        id: descriptor.id.to_string(),
        fingerprints: fingerprints(&descriptor),
    };
    settings_page_with(&app, &session, lang, None, Some(pending), StatusCode::OK).await
}

/// `POST /settings/scheme/pin`: pins the organisation, if its keys are still the ones the
/// citizen compared.
pub async fn scheme_pin(
    State(app): State<Arc<App>>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<SchemeForm>,
) -> Response {
    let lang = lang_of(&headers);
    let Ok(pod) = unlocked(&app, &session).await else {
        return Redirect::to("/").into_response();
    };
    let Ok(url) = url::Url::parse(&form.url) else {
        return settings_page(
            &app,
            &session,
            lang,
            Some(t(lang, "unreachable").to_owned()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let Ok(descriptor) = crate::scheme::discover(&url).await else {
        return settings_page(
            &app,
            &session,
            lang,
            Some(t(lang, "unreachable").to_owned()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    if fingerprints(&descriptor) != form.fingerprints {
        return settings_page(
            &app,
            &session,
            lang,
            Some(t(lang, "key_changed").to_owned()),
            StatusCode::CONFLICT,
        )
        .await;
    }
    let result = pod.scheme().and_then(|mut scheme| {
        scheme.pin(descriptor);
        pod.save_scheme(&scheme)
    });
    match result {
        Ok(()) => settings_page(&app, &session, lang, Some(t(lang, "pinned").to_owned()), StatusCode::OK).await,
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /settings/scheme/remove`: stops trusting an organisation (its stored data stays).
pub async fn scheme_remove(
    State(app): State<Arc<App>>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<SchemeForm>,
) -> Response {
    let lang = lang_of(&headers);
    let Ok(pod) = unlocked(&app, &session).await else {
        return Redirect::to("/").into_response();
    };
    let result = pod.scheme().and_then(|mut scheme| {
        scheme.organisations.retain(|o| o.id.as_str() != form.id);
        pod.save_scheme(&scheme)
    });
    match result {
        Ok(()) => {
            settings_page(
                &app,
                &session,
                lang,
                Some(t(lang, "removed").to_owned()),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /export/print`: a plain, printable overview for a debt counsellor.
pub async fn print(citizen: Citizen) -> Response {
    match citizen.pod.overview(chrono::Local::now().date_naive(), chrono::Utc::now()) {
        Ok(overview) => page(pod_ui::pages::print(&citizen.chrome, &overview)),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /audit`: the transparency log, newest first.
pub async fn audit(citizen: Citizen) -> Response {
    match citizen.pod.fetch_log() {
        Ok(log) => page(pod_ui::pages::audit(&citizen.chrome, &log, local_offset())),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct ShareForm {
    #[serde(default)]
    recipient: String,
}

/// `POST /export/share`: the overview as JSON, encrypted to the counsellor's age key.
pub async fn share(citizen: Citizen, Form(form): Form<ShareForm>) -> Response {
    let Citizen { pod, lang, .. } = citizen;
    let Ok(recipient) = form.recipient.trim().parse::<age::x25519::Recipient>() else {
        return ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", t(lang, "bad_recipient")).into_response();
    };
    let overview = match pod.overview(chrono::Local::now().date_naive(), chrono::Utc::now()) {
        Ok(overview) => overview,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Ok(json) = serde_json::to_vec_pretty(&overview) else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    match age::encrypt(&recipient, &json) {
        Ok(encrypted) => (
            [
                (header::CONTENT_TYPE, "application/age"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"betaaloverzicht.json.age\"",
                ),
            ],
            encrypted,
        )
            .into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

/// `GET /static/app.css`: shipped inside the binary.
pub async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], pod_ui::STYLESHEET)
        .into_response()
}
