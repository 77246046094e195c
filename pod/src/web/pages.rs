//! The HTML pages. Handlers are thin: they gather what a template shows, in the citizen's
//! language, and askama escapes every string (organisation text included).

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use schemas::lang::{Lang, format_cents};
use serde::Deserialize;
use tower_sessions::Session;

use super::api::{self, ApiError, csrf_token, unlocked};
use super::i18n::{code, t};
use super::{App, UNLOCK_KEY};

/// What every page shows in its header.
pub struct Base {
    pub(super) lang_code: &'static str,
    pub(super) title: String,
    pub(super) other_lang: &'static str,
    pub(super) language_link: String,
    pub(super) unlocked: bool,
    pub(super) settings_link: String,
    pub(super) lock_label: String,
    pub(super) csrf: String,
}

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

async fn base(lang: Lang, session: &Session, unlocked: bool) -> Base {
    Base {
        lang_code: code(lang),
        title: t(lang, "title").to_owned(),
        other_lang: if lang == Lang::Nl { "en" } else { "nl" },
        language_link: t(lang, "language").to_owned(),
        unlocked,
        settings_link: t(lang, "settings").to_owned(),
        lock_label: t(lang, "lock").to_owned(),
        csrf: csrf_token(session).await,
    }
}

/// An unlocked citizen's request to a page: the pod, the language and the page header. A locked
/// (or other) session is sent to the unlock page instead.
pub struct Citizen {
    /// The unlocked pod.
    pub pod: Arc<crate::store::UnlockedPod>,
    /// The citizen's language.
    pub lang: Lang,
    /// The page header.
    pub base: Base,
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
            base: base(lang, &session, true).await,
        })
    }
}

pub fn page(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "unlock.html")]
struct UnlockPage {
    base: Base,
    heading: String,
    help: String,
    passphrase_label: String,
    unlock_label: String,
    error: Option<String>,
}

async fn unlock_page(lang: Lang, session: &Session, error: Option<String>, status: StatusCode) -> Response {
    let template = UnlockPage {
        base: base(lang, session, false).await,
        heading: t(lang, "unlock_heading").to_owned(),
        help: t(lang, "unlock_help").to_owned(),
        passphrase_label: t(lang, "passphrase").to_owned(),
        unlock_label: t(lang, "unlock").to_owned(),
        error,
    };
    (status, page(&template)).into_response()
}

struct MatterLine {
    id: String,
    description: String,
    next_due: String,
    outstanding: String,
    overdue: String,
    overdue_cents: i64,
}

struct OrgBlock {
    name: String,
    outstanding: String,
    overdue: String,
    fetched: String,
    status: String,
    status_class: String,
    matters: Vec<MatterLine>,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    base: Base,
    summary_label: String,
    total_label: String,
    overdue_label: String,
    next_label: String,
    total_outstanding: String,
    total_overdue: String,
    next_due: String,
    fetch_label: String,
    warnings_label: String,
    warnings: Vec<String>,
    nothing_yet: String,
    organisations: Vec<OrgBlock>,
    print_label: String,
    arrangement_label: String,
    share_label: String,
    share_help: String,
    recipient_label: String,
}

/// `GET /`: the overview when unlocked, else the unlock page.
pub async fn home(State(app): State<Arc<App>>, session: Session, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    let Ok(pod) = unlocked(&app, &session).await else {
        return unlock_page(lang, &session, None, StatusCode::OK).await;
    };
    let overview = match pod.overview(chrono::Local::now().date_naive(), chrono::Utc::now()) {
        Ok(overview) => overview,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let money = |cents: i64| format_cents(cents, lang);
    let organisations = overview
        .organisations
        .iter()
        .map(|org| {
            let status_key = format!(
                "status_{}",
                serde_json::to_value(org.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            );
            OrgBlock {
                name: org.name.clone(),
                outstanding: money(org.totals.outstanding_cents),
                overdue: money(org.totals.overdue_cents),
                fetched: org.fetched_at.map_or_else(
                    || t(lang, "never").to_owned(),
                    |at| {
                        format!(
                            "{} {}",
                            t(lang, "fetched"),
                            at.with_timezone(&chrono::Local).format("%d-%m-%Y %H:%M")
                        )
                    },
                ),
                status: t(lang, &status_key).to_owned(),
                status_class: status_key.trim_start_matches("status_").to_owned(),
                matters: org
                    .matters
                    .iter()
                    .enumerate()
                    .map(|(i, m)| MatterLine {
                        id: format!("{}:{i}", org.id),
                        description: m.description.clone(),
                        next_due: m.next_due.map_or_else(String::new, |n| {
                            format!(
                                "{} {} · {}",
                                t(lang, "next_due"),
                                money(n.cents),
                                n.date.format("%d-%m-%Y")
                            )
                        }),
                        outstanding: money(m.outstanding_cents),
                        overdue: money(m.overdue_cents),
                        overdue_cents: m.overdue_cents,
                    })
                    .collect(),
            }
        })
        .collect();
    let next_due = overview.next_due.as_ref().map_or_else(
        || t(lang, "none_due").to_owned(),
        |n| {
            let name = overview
                .organisations
                .iter()
                .find(|o| o.id == n.organisation)
                .map_or(n.organisation.as_str(), |o| o.name.as_str());
            format!("{} · {} · {name}", money(n.cents), n.date.format("%d-%m-%Y"))
        },
    );
    let template = OverviewPage {
        base: base(lang, &session, true).await,
        summary_label: t(lang, "title").to_owned(),
        total_label: t(lang, "total_outstanding").to_owned(),
        overdue_label: t(lang, "overdue").to_owned(),
        next_label: t(lang, "next_due").to_owned(),
        total_outstanding: money(overview.totals.outstanding_cents),
        total_overdue: money(overview.totals.overdue_cents),
        next_due,
        fetch_label: t(lang, "fetch").to_owned(),
        warnings_label: t(lang, "warnings").to_owned(),
        warnings: overview.warnings.iter().map(|w| w.text(lang)).collect(),
        nothing_yet: t(lang, "nothing_yet").to_owned(),
        organisations,
        print_label: t(lang, "print").to_owned(),
        arrangement_label: t(lang, "arrangement").to_owned(),
        share_label: t(lang, "share").to_owned(),
        share_help: t(lang, "share_help").to_owned(),
        recipient_label: t(lang, "recipient").to_owned(),
    };
    page(&template)
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
            unlock_page(lang, &session, Some(t(lang, key).to_owned()), status).await
        }
    }
}

/// `POST /lock`.
pub async fn lock(State(app): State<Arc<App>>, session: Session) -> Response {
    app.lock();
    let _ = session.remove::<String>(UNLOCK_KEY).await;
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

#[derive(Template)]
#[template(path = "matter.html")]
struct MatterPage {
    base: Base,
    back_label: String,
    description: String,
    organisation: String,
    case_ref: String,
    outstanding_label: String,
    overdue_label: String,
    next_label: String,
    outstanding: String,
    overdue: String,
    next_due: String,
    warnings: Vec<String>,
    timeline_label: String,
    timeline: Vec<(String, String)>,
    contact_label: String,
    contacts: Vec<String>,
    pay_label: String,
    payments: Vec<String>,
    claim_types: String,
}

/// `GET /matters/{org:index}`.
pub async fn matter(citizen: Citizen, Path(id): Path<String>) -> Response {
    let Citizen { pod, lang, base } = citizen;
    let detail = match api::matter_detail(&pod, &id) {
        Ok(detail) => detail,
        Err(e) => return e.into_response(),
    };
    let money = |cents: i64| format_cents(cents, lang);
    let view = &detail.matter;
    let template = MatterPage {
        base,
        back_label: t(lang, "back").to_owned(),
        description: view.description.clone(),
        organisation: detail.organisation.clone(),
        case_ref: view.case_ref.clone(),
        outstanding_label: t(lang, "outstanding").to_owned(),
        overdue_label: t(lang, "overdue").to_owned(),
        next_label: t(lang, "next_due").to_owned(),
        outstanding: money(view.outstanding_cents),
        overdue: money(view.overdue_cents),
        next_due: view.next_due.map_or_else(
            || t(lang, "none_due").to_owned(),
            |n| format!("{} · {}", money(n.cents), n.date.format("%d-%m-%Y")),
        ),
        warnings: view.warnings.iter().map(|w| w.text(lang)).collect(),
        timeline_label: t(lang, "timeline").to_owned(),
        timeline: detail
            .timeline
            .iter()
            .map(|l| {
                (
                    l.at.chars().take(10).collect(),
                    if lang == Lang::Nl {
                        l.label_nl.clone()
                    } else {
                        l.label_en.clone()
                    },
                )
            })
            .collect(),
        contact_label: t(lang, "contact").to_owned(),
        contacts: detail
            .contact_options
            .iter()
            .map(|c| format!("{}: {}", c.channel, c.url))
            .collect(),
        pay_label: t(lang, "how_to_pay").to_owned(),
        payments: detail
            .payment_demands
            .iter()
            .map(|d| {
                let mut line = format!("{} · {}", d.due_date.format("%d-%m-%Y"), money(d.cents));
                if let Some(iban) = &d.iban {
                    line += &format!(" · IBAN {iban}");
                }
                if let Some(reference) = &d.payment_reference {
                    line += &format!(" · {} {reference}", t(lang, "reference"));
                }
                line
            })
            .collect(),
        claim_types: detail.claim_types.join(", "),
    };
    page(&template)
}

#[derive(Template)]
#[template(path = "fetch.html")]
struct FetchPage {
    base: Base,
    heading: String,
    help: String,
    start_label: String,
    organisations: Vec<(String, String)>,
}

/// `GET /fetch`: choose organisations.
pub async fn fetch_form(citizen: Citizen) -> Response {
    let Citizen { pod, lang, base } = citizen;
    let organisations = match pod.scheme() {
        Ok(scheme) => scheme
            .organisations
            .iter()
            .map(|o| (o.id.to_string(), o.name.clone()))
            .collect(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let template = FetchPage {
        base,
        heading: t(lang, "fetch").to_owned(),
        help: t(lang, "fetch_help").to_owned(),
        start_label: t(lang, "start_fetch").to_owned(),
        organisations,
    };
    page(&template)
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

struct OrgProgress {
    name: String,
    stage: String,
    login_url: Option<String>,
    message: Option<String>,
}

#[derive(Template)]
#[template(path = "fetch_job.html")]
struct FetchJobPage {
    base: Base,
    heading: String,
    done: bool,
    login_label: String,
    back_label: String,
    organisations: Vec<OrgProgress>,
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
    let organisations = json["organisations"]
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
                        "waiting_for_login" if login_url.is_some() => "stage_login",
                        "waiting_for_login" | "fetching" | "starting" => "stage_fetching",
                        "verifying" => "stage_verifying",
                        "done" => "stage_done",
                        _ => "stage_failed",
                    };
                    OrgProgress {
                        name: o["name"].as_str().unwrap_or_default().to_owned(),
                        stage: t(lang, stage).to_owned(),
                        login_url,
                        message: o["message"].as_str().map(str::to_owned),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let template = FetchJobPage {
        base: base(lang, &session, true).await,
        heading: t(lang, "progress").to_owned(),
        done: job.finished(),
        login_label: t(lang, "login_at").to_owned(),
        back_label: t(lang, "back").to_owned(),
        organisations,
    };
    page(&template)
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

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    base: Base,
    heading: String,
    back_label: String,
    organisations: Vec<(String, String, String)>,
    message: Option<String>,
    passphrase_heading: String,
    current_label: String,
    new_label: String,
    backup_help: String,
    remove_label: String,
    add_label: String,
    url_label: String,
    check_label: String,
    confirm_help: String,
    pin_label: String,
    pending: Option<PendingOrganisation>,
}

/// An organisation checked but not yet trusted.
struct PendingOrganisation {
    url: String,
    name: String,
    id: String,
    fingerprints: String,
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
    let organisations = match pod.scheme() {
        Ok(scheme) => scheme
            .organisations
            .iter()
            .map(|o| {
                (
                    o.name.clone(),
                    o.id.to_string(),
                    o.keys
                        .iter()
                        .map(|k| format!("{} {}", k.kid, k.fingerprint()))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })
            .collect(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let template = SettingsPage {
        base: base(lang, session, true).await,
        heading: t(lang, "scheme").to_owned(),
        back_label: t(lang, "back").to_owned(),
        organisations,
        message,
        passphrase_heading: t(lang, "change_passphrase").to_owned(),
        current_label: t(lang, "current_passphrase").to_owned(),
        new_label: t(lang, "new_passphrase").to_owned(),
        backup_help: t(lang, "backup_help").to_owned(),
        remove_label: t(lang, "remove").to_owned(),
        add_label: t(lang, "add_organisation").to_owned(),
        url_label: t(lang, "organisation_url").to_owned(),
        check_label: t(lang, "check").to_owned(),
        confirm_help: t(lang, "confirm_key").to_owned(),
        pin_label: t(lang, "pin").to_owned(),
        pending,
    };
    (status, page(&template)).into_response()
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
        Ok(Err(crate::store::PodError::WeakPassphrase(message))) => {
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

fn fingerprints(descriptor: &schemas::descriptor::OrganisationDescriptor) -> String {
    descriptor
        .keys
        .iter()
        .map(|k| format!("{} {}", k.kid, k.fingerprint()))
        .collect::<Vec<_>>()
        .join(", ")
}

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

#[derive(Template)]
#[template(path = "print.html")]
struct PrintPage {
    lang_code: &'static str,
    title: String,
    date_label: String,
    as_of: String,
    total_label: String,
    total: String,
    overdue_label: String,
    overdue: String,
    organisation_label: String,
    description_label: String,
    outstanding_label: String,
    rows: Vec<(String, String, String, String)>,
}

/// `GET /export/print`: a plain, printable overview for a debt counsellor.
pub async fn print(citizen: Citizen) -> Response {
    let Citizen { pod, lang, .. } = citizen;
    let today = chrono::Local::now().date_naive();
    let overview = match pod.overview(today, chrono::Utc::now()) {
        Ok(overview) => overview,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let money = |cents: i64| format_cents(cents, lang);
    let rows = overview
        .organisations
        .iter()
        .flat_map(|o| {
            o.matters.iter().map(move |m| {
                (
                    o.name.clone(),
                    m.description.clone(),
                    m.outstanding_cents,
                    m.overdue_cents,
                )
            })
        })
        .map(|(org, description, outstanding, overdue)| (org, description, money(outstanding), money(overdue)))
        .collect();
    let template = PrintPage {
        lang_code: code(lang),
        title: t(lang, "print").to_owned(),
        date_label: t(lang, "date").to_owned(),
        as_of: today.format("%d-%m-%Y").to_string(),
        total_label: t(lang, "total_outstanding").to_owned(),
        total: money(overview.totals.outstanding_cents),
        overdue_label: t(lang, "overdue").to_owned(),
        overdue: money(overview.totals.overdue_cents),
        organisation_label: t(lang, "organisation").to_owned(),
        description_label: t(lang, "description").to_owned(),
        outstanding_label: t(lang, "outstanding").to_owned(),
        rows,
    };
    page(&template)
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
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../templates/app.css"),
    )
        .into_response()
}
