//! The JSON API. Errors are `{"error": {"code", "message"}}` with 401 locked, 403 CSRF, 404,
//! 409, 422 and 429.

use std::sync::Arc;


use axum::{Extension, Json};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use fetcher::{FetchOptions, Stage};
use pod_core::matter::MatterDetail;
use serde::Deserialize;
use tower_sessions::Session;

use super::error::ApiError;
use super::security::AnonymousCsrf;
use super::state::{FetchJob, random_token};
use super::unlocked::Unlocked;
use super::{App, CSRF_KEY, UNLOCK_KEY};
use crate::store::UnlockedPod;

/// The CSRF token forms must send: the session's once the citizen unlocked, before that the
/// browser's anonymous cookie (which creates no session).
pub async fn csrf_token(session: &Session, anonymous: &AnonymousCsrf) -> String {
    match session.get::<String>(CSRF_KEY).await {
        Ok(Some(token)) => token,
        _ => anonymous.0.clone(),
    }
}

/// Unlocks the pod for this session: a new session id (against fixation) and a new CSRF token.
pub async fn unlock_session(app: &App, session: &Session, passphrase: &str) -> Result<(), ApiError> {
    if !app.allow_unlock_attempt() {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "too many unlock attempts; wait a minute",
        ));
    }
    if app.is_unlocked() {
        // One citizen, one session: unlocking again replaces the old session.
        app.lock();
    }
    let opener = app.opener.clone();
    let secret = age::secrecy::SecretString::from(passphrase.to_owned());
    let pod = tokio::task::spawn_blocking(move || opener.unlock(&secret))
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "unlock failed"))??;
    let _ = session.cycle_id().await;
    let token = random_token();
    let _ = session.insert(UNLOCK_KEY, &token).await;
    let _ = session.insert(CSRF_KEY, random_token()).await;
    app.set_unlocked(pod, token);
    Ok(())
}

/// `GET /api/csrf`: this session's CSRF token, to send as `X-CSRF-Token`.
pub async fn csrf(
    pod: Option<Unlocked>,
    session: Session,
    Extension(anonymous): Extension<AnonymousCsrf>,
) -> Response {
    let token = csrf_token(&session, &anonymous).await;
    let unlocked = pod.is_some();
    Json(serde_json::json!({"csrf": token, "unlocked": unlocked})).into_response()
}

#[derive(Deserialize)]
pub struct UnlockBody {
    passphrase: String,
}

/// `POST /api/unlock {passphrase}`.
pub async fn unlock(
    State(app): State<Arc<App>>,
    session: Session,
    body: Option<Json<UnlockBody>>,
) -> Result<Response, ApiError> {
    let Some(Json(body)) = body else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "send {\"passphrase\": \"…\"}",
        ));
    };
    unlock_session(&app, &session, &body.passphrase).await?;
    let csrf: String = session.get(CSRF_KEY).await.ok().flatten().unwrap_or_default();
    Ok(Json(serde_json::json!({"unlocked": true, "csrf": csrf})).into_response())
}

/// `POST /api/lock`.
pub async fn lock(State(app): State<Arc<App>>, session: Session) -> StatusCode {
    app.lock();
    // A locked browser keeps no session: it is deleted from the store, and the cookie expires.
    let _ = session.flush().await;
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub struct AsOf {
    as_of: Option<NaiveDate>,
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// `GET /api/overview[?as_of=YYYY-MM-DD]`.
pub async fn overview(
    Unlocked(pod): Unlocked,
    Query(query): Query<AsOf>,
) -> Result<Response, ApiError> {
    let overview = crate::overview::of(&pod, query.as_of.unwrap_or_else(today), chrono::Utc::now())?;
    Ok(Json(overview).into_response())
}

/// `GET /api/matters/{org:index}`: the matter with its timeline and contact options.
pub async fn matter(
    Unlocked(pod): Unlocked,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let detail = matter_detail(&pod, &id)?;
    Ok(Json(detail).into_response())
}

/// Reads one matter from the latest document of its organisation.
pub fn matter_detail(pod: &UnlockedPod, id: &str) -> Result<MatterDetail, ApiError> {
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such matter");
    let (org, index) = pod_core::matter::parse_id(id).ok_or_else(not_found)?;
    let latest = pod.latest_documents()?;
    let (record, _) = latest.get(org).ok_or_else(not_found)?;
    let document = crate::overview::document_at_rest(pod, &crate::scheme::load(pod)?, org, record)?.ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "unreadable",
            "the stored document cannot be read or does not carry its organisation's signature; fetch it again",
        )
    })?;
    pod_core::matter::detail(&document, org, index, today()).ok_or_else(not_found)
}

/// `GET /api/fetch-log`.
pub async fn fetch_log(Unlocked(pod): Unlocked) -> Result<Response, ApiError> {
    Ok(Json(crate::fetching::log(&pod)?).into_response())
}

#[derive(Deserialize, Default)]
pub struct FetchBody {
    sources: Option<Vec<String>>,
}

/// Where organisations send the citizen's browser back: the pod's loopback callback, or the
/// provider's one callback address.
pub fn fetch_options(app: &App) -> Result<FetchOptions, ApiError> {
    let origin = app
        .config
        .public_origin
        .clone()
        .unwrap_or_else(|| format!("http://{}", app.config.listen));
    let redirect = format!("{origin}/oauth/callback")
        .parse()
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "bad listen address"))?;
    Ok(FetchOptions::new(redirect))
}

/// Runs `work` as a job the citizen can follow (login links and progress per organisation), and
/// waits a moment until the citizen has somewhere to go: every organisation at its login step,
/// or, for a job in turn, the first login.
pub async fn start_job<F>(
    app: &Arc<App>,
    job: FetchJob,
    work: impl FnOnce(tokio::sync::mpsc::UnboundedSender<fetcher::Progress>) -> F,
) -> Arc<FetchJob>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let job = Arc::new(job);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let progress_job = job.clone();
    tokio::spawn(async move {
        while let Some(progress) = rx.recv().await {
            progress_job.update(progress);
        }
    });
    let work = work(tx);
    let task_job = job.clone();
    let task = tokio::spawn(async move {
        work.await;
        task_job.finish();
    });
    *job.task.lock() = Some(task.abort_handle());
    app.add_fetch(job.clone());
    // Every organisation's keys are checked before its login link exists.
    let browser = app.browser.clone();
    job.wait_until(std::time::Duration::from_secs(5), |job| {
        if job.finished() {
            return true;
        }
        if job.in_turn {
            return job.next_login(&browser).is_some();
        }
        let stages = job.stages.lock();
        job.orgs.iter().all(|(id, _)| {
            stages
                .get(id)
                .is_some_and(|s| !matches!(s, Stage::Fetching | Stage::Verifying))
        })
    })
    .await;
    job
}

/// Starts a fetch job: logins through the browser, progress kept in the job. `in_turn` runs the
/// logins as one chain in the citizen's browser tab, logging in once at their login provider
/// (the pages); otherwise every login is offered at once (the API, for clients that open them
/// themselves).
pub async fn start_fetch(
    app: &Arc<App>,
    pod: Arc<UnlockedPod>,
    sources: Option<Vec<String>>,
    in_turn: bool,
    lang: schemas::lang::Lang,
) -> Result<Arc<FetchJob>, ApiError> {
    let scheme = crate::scheme::load(&pod)?;
    let orgs: Vec<_> = scheme
        .organisations
        .into_iter()
        .filter(|o| sources.as_ref().is_none_or(|s| s.iter().any(|id| id == o.id.as_str())))
        .collect();
    if orgs.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_organisations",
            "no organisations to fetch from; add them in the settings",
        ));
    }
    let options = fetch_options(app)?;
    let browser = app.browser.clone();
    let names = orgs.iter().map(|o| (o.id.to_string(), o.name.clone())).collect();
    Ok(start_job(app, FetchJob::new(names, in_turn, lang, "/"), move |tx| async move {
        let stored = if in_turn {
            crate::fetching::fetch_and_store_in_turn(&pod, &orgs, browser.as_ref(), &options, Some(tx)).await
        } else {
            crate::fetching::fetch_and_store(&pod, &orgs, browser.as_ref(), &options, Some(tx)).await
        };
        if let Err(e) = stored {
            tracing::error!(error = %e, "storing a fetch failed");
        }
    })
    .await)
}

/// The job as JSON: per organisation its stage, login URL while waiting, and message.
pub fn job_json(job: &FetchJob) -> serde_json::Value {
    let stages = job.stages.lock();
    let organisations: Vec<serde_json::Value> = job
        .orgs
        .iter()
        .map(|(id, name)| {
            let (stage, login_url, message) = match stages.get(id) {
                None => ("starting", None, None),
                Some(Stage::WaitingForLogin(url)) => ("waiting_for_login", Some(url.to_string()), None),
                Some(Stage::Fetching) => ("fetching", None, None),
                Some(Stage::Verifying) => ("verifying", None, None),
                Some(Stage::Done) => ("done", None, None),
                Some(Stage::Failed(message)) => ("failed", None, Some(message.clone())),
            };
            serde_json::json!({"id": id, "name": name, "stage": stage, "login_url": login_url, "message": message})
        })
        .collect();
    serde_json::json!({"id": job.id, "done": job.finished(), "organisations": organisations})
}

/// `POST /api/fetch {sources: [ids] | null}`: the login URLs and the fetch id.
pub async fn fetch_start(
    State(app): State<Arc<App>>,
    Unlocked(pod): Unlocked,
    headers: axum::http::HeaderMap,
    body: Option<Json<FetchBody>>,
) -> Result<Response, ApiError> {
    let sources = body.map(|Json(b)| b).unwrap_or_default().sources;
    let job = start_fetch(&app, pod, sources, false, crate::web::lang::lang_of(&headers)).await?;
    Ok((StatusCode::ACCEPTED, Json(job_json(&job))).into_response())
}

/// `GET /api/fetch/{id}`.
pub async fn fetch_progress(
    State(app): State<Arc<App>>,
    _unlocked: Unlocked,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let job = app
        .fetch(&id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such fetch"))?;
    Ok(Json(job_json(&job)).into_response())
}

#[derive(Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
}

/// `GET /api/export?format=json|csv`: the overview for a debt counsellor.
pub async fn export(
    Unlocked(pod): Unlocked,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let overview = crate::overview::of(&pod, today(), chrono::Utc::now())?;
    match query.format.as_deref().unwrap_or("json") {
        "json" => Ok((
            [(
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"betaaloverzicht.json\"",
            )],
            Json(overview),
        )
            .into_response()),
        "csv" => {
            let csv = overview.to_csv();
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"betaaloverzicht.csv\"",
                    ),
                ],
                csv,
            )
                .into_response())
        }
        _ => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "format must be json or csv",
        )),
    }
}

fn plan_error(e: crate::arrangement::PlanError) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.to_string())
}

fn read_input(body: &[u8]) -> Result<schemas::arrangement::ArrangementInput, ApiError> {
    schemas::document::from_json(body, 256 * 1024)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("{e}")))
}

/// `POST /api/arrangements/plan`: computes a plan (nothing is stored).
pub async fn arrangement_plan(
    _unlocked: Unlocked,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let input = read_input(&body)?;
    let plan = crate::arrangement::plan(&input).map_err(plan_error)?;
    Ok(Json(plan).into_response())
}

/// `POST /api/arrangements`: computes and saves a plan; answers its id.
pub async fn arrangement_save(
    Unlocked(pod): Unlocked,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let input = read_input(&body)?;
    let plan = crate::arrangement::plan(&input).map_err(plan_error)?;
    let id = crate::arrangement::stored::save(&pod, &input, &plan)?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"id": id.to_string(), "plan": plan})),
    )
        .into_response())
}

/// `GET /api/arrangements`: saved plans, oldest first.
pub async fn arrangement_list(Unlocked(pod): Unlocked) -> Result<Response, ApiError> {
    let list: Vec<serde_json::Value> = crate::arrangement::stored::all(&pod)?
        .into_iter()
        .map(|(id, saved)| {
            serde_json::json!({"id": id.to_string(), "saved_at": saved.saved_at, "outcome": saved.plan.outcome,
            "monthly_total_cents": saved.plan.monthly_total_cents, "term_months": saved.plan.term_months})
        })
        .collect();
    Ok(Json(list).into_response())
}

/// `GET /api/arrangements/{id}`.
pub async fn arrangement_get(
    Unlocked(pod): Unlocked,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let record = crate::store::RecordId::parse(&id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such arrangement"))?;
    Ok(Json(crate::arrangement::stored::one(&pod, &record)?).into_response())
}
