//! `pod provider serve`: many citizens' pods on one service, for a pod provider.
//!
//! - `config`: `provider.toml`.
//! - `tenants`: the pods in PostgreSQL: sign-up, unlock, export, import, quotas, deletion.
//! - `metrics`: Prometheus counters without tenant data.
//!
//! Each pod is served at `/p/{pod-id}/` by the same web UI and API as a self-hosted pod (one
//! [`App`] per pod, made on first use on each server). Paths, not subdomains: organisations
//! register one callback address for the whole provider (`/oauth/callback`), which the browser
//! reaches with the load balancer's stickiness cookie, so the server holding the login gets it.
//! The pod's pages link from `/`, so their links and redirects are given the `/p/{pod-id}`
//! prefix on the way out. Unlocked keys live only in this server's memory.

pub mod config;
mod metrics;
mod registry;
pub mod tenants;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use age::secrecy::SecretString;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get, post};
use tower::ServiceExt;

use crate::web::{App, WebConfig};
pub use config::ProviderConfig;
pub use metrics::Metrics;
use tenants::{HostedOpener, PodId, Signup, TenantError, Tenants};

/// The largest request the provider accepts (an imported backup).
const MAX_BODY: usize = 64 * 1024 * 1024;
/// The largest page of a pod that gets its links rewritten.
const MAX_PAGE: usize = 8 * 1024 * 1024;

/// One provider server's state.
pub struct Provider {
    /// The settings.
    pub config: ProviderConfig,
    /// The pods.
    pub tenants: Arc<Tenants>,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    pods: Mutex<HashMap<PodId, (Arc<App>, Router)>>,
}

fn hex(pod_id: &PodId) -> String {
    pod_id.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_pod_id(text: &str) -> Option<PodId> {
    crate::store::RecordId::parse(text).map(|id| *id.as_bytes())
}

impl Provider {
    /// A provider server over `tenants`.
    pub fn new(config: ProviderConfig, tenants: Arc<Tenants>) -> Self {
        Self {
            config,
            tenants,
            metrics: Metrics::default(),
            pods: Mutex::new(HashMap::new()),
        }
    }

    /// The web app of one pod on this server, made on first use; `None` if there is no such pod.
    async fn pod(self: &Arc<Self>, pod_id: PodId) -> Result<Option<(Arc<App>, Router)>, TenantError> {
        if let Some(found) = self.pods.lock().unwrap_or_else(|p| p.into_inner()).get(&pod_id) {
            return Ok(Some(found.clone()));
        }
        let tenants = self.tenants.clone();
        let exists = tokio::task::spawn_blocking(move || tenants.exists(pod_id))
            .await
            .map_err(|_| TenantError::Invalid("internal error".to_owned()))??;
        if !exists {
            return Ok(None);
        }
        let config = WebConfig {
            listen: self.config.listen,
            auto_lock: Duration::from_secs(self.config.auto_lock_minutes * 60),
            public_origin: Some(self.config.origin()),
            cookie_path: format!("/p/{}", hex(&pod_id)),
        };
        let opener = Arc::new(HostedOpener {
            tenants: self.tenants.clone(),
            pod_id,
        });
        let app = Arc::new(App::with_opener(opener, config, Default::default()));
        let router = crate::web::router(app.clone());
        let mut pods = self.pods.lock().unwrap_or_else(|p| p.into_inner());
        Ok(Some(pods.entry(pod_id).or_insert((app, router)).clone()))
    }

    /// Locks and forgets one pod's app on this server (after deletion).
    fn evict(&self, pod_id: &PodId) {
        if let Some((app, _)) = self.pods.lock().unwrap_or_else(|p| p.into_inner()).remove(pod_id) {
            app.lock();
        }
    }

    /// Locks every pod that was idle too long; run periodically.
    pub fn lock_idle(&self) {
        for (app, _) in self.pods.lock().unwrap_or_else(|p| p.into_inner()).values() {
            app.lock_if_idle();
        }
    }

    /// Locks every pod on this server (shutdown).
    pub fn lock_all(&self) {
        for (app, _) in self.pods.lock().unwrap_or_else(|p| p.into_inner()).values() {
            app.lock();
        }
    }

    fn unlocked_count(&self) -> usize {
        self.pods
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .filter(|(app, _)| app.is_unlocked())
            .count()
    }

    fn host_ok(&self, request: &Request) -> bool {
        let origin = self.config.origin();
        let expected = origin.split("://").nth(1).unwrap_or_default();
        request.headers().get(header::HOST).and_then(|h| h.to_str().ok()) == Some(expected)
    }

    fn origin_ok(&self, request: &Request) -> bool {
        request
            .headers()
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .is_none_or(|o| o == self.config.origin())
    }
}

/// Every route of a provider server.
pub fn router(provider: Arc<Provider>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/signup", get(signup_page).post(signup))
        .route("/static/signup.js", get(signup_script))
        .route("/import", post(import))
        .route("/oauth/callback", get(callback))
        .route("/p/{id}/account/delete", post(delete))
        .route("/p/{id}/account/export", post(export))
        .route("/p/{id}/account/recover", post(recover))
        .route("/p/{id}", any(pod))
        .route("/p/{id}/", any(pod))
        .route("/p/{id}/{*rest}", any(pod))
        .layer(axum::middleware::from_fn_with_state(provider.clone(), checks))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(provider)
}

/// Host check (the public host only, except for the load balancer's probes), Origin check on
/// the provider's own state-changing routes, timing for the metrics, and headers.
async fn checks(State(provider): State<Arc<Provider>>, request: Request, next: axum::middleware::Next) -> Response {
    let started = Instant::now();
    let path = request.uri().path().to_owned();
    let kind = match path.as_str() {
        "/healthz" | "/readyz" | "/metrics" => "ops",
        "/signup" | "/import" | "/" | "/static/signup.js" => "signup",
        "/oauth/callback" => "callback",
        _ => "pod",
    };
    if kind != "ops" && !provider.host_ok(&request) {
        return (StatusCode::MISDIRECTED_REQUEST, "this server only answers to its public address").into_response();
    }
    if kind != "pod" && request.method() != Method::GET && !provider.origin_ok(&request) {
        return (StatusCode::FORBIDDEN, "a request from another site was refused").into_response();
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ));
    headers.entry(header::X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    provider.metrics.request(kind, response.status().as_u16(), started.elapsed());
    response
}

async fn home() -> Html<&'static str> {
    Html(include_str!("../../templates/provider_home.html"))
}

async fn readyz(State(provider): State<Arc<Provider>>) -> Response {
    let tenants = provider.tenants.clone();
    match tokio::task::spawn_blocking(move || tenants.ready()).await {
        Ok(true) => "ready".into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "the database does not answer").into_response(),
    }
}

async fn metrics(State(provider): State<Arc<Provider>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        provider.metrics.render(provider.unlocked_count()),
    )
        .into_response()
}

async fn signup_page() -> Html<&'static str> {
    Html(include_str!("../../templates/provider_signup.html"))
}

/// The sign-up page's script: makes the key in the browser (built from `pod/web-signup/`).
async fn signup_script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../static/signup.js"),
    )
        .into_response()
}

fn error_json(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

fn tenant_error(e: TenantError) -> Response {
    match e {
        TenantError::Invalid(message) => error_json(StatusCode::UNPROCESSABLE_ENTITY, "invalid", &message),
        TenantError::NotFound => error_json(StatusCode::NOT_FOUND, "not_found", "there is no pod with this id"),
        TenantError::Pod(crate::store::PodError::WrongPassphrase) => {
            error_json(StatusCode::UNAUTHORIZED, "wrong_passphrase", "wrong passphrase")
        }
        TenantError::Pod(e @ crate::store::PodError::InvalidBackup(_)) => {
            error_json(StatusCode::UNPROCESSABLE_ENTITY, "invalid", &e.to_string())
        }
        TenantError::Pod(e) => {
            tracing::error!(error = %e, "provider error");
            error_json(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong; try again")
        }
    }
}

/// `POST /signup {recipient, identity, recovery}`: creates a pod from what the citizen's
/// browser made; answers `201 {"pod_id", "url"}`.
async fn signup(State(provider): State<Arc<Provider>>, body: axum::body::Bytes) -> Response {
    let signup: Signup = match serde_json::from_slice(&body) {
        Ok(signup) => signup,
        Err(e) => return error_json(StatusCode::UNPROCESSABLE_ENTITY, "invalid", &format!("send {{recipient, identity, recovery}}: {e}")),
    };
    let tenants = provider.tenants.clone();
    match tokio::task::spawn_blocking(move || tenants.create(&signup)).await {
        Ok(Ok(pod_id)) => {
            provider.metrics.event("signup");
            let url = format!("{}/p/{}/", provider.config.origin(), hex(&pod_id));
            (StatusCode::CREATED, axum::Json(serde_json::json!({"pod_id": hex(&pod_id), "url": url}))).into_response()
        }
        Ok(Err(e)) => tenant_error(e),
        Err(_) => error_json(StatusCode::INTERNAL_SERVER_ERROR, "internal", "sign-up failed"),
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PassphraseBody {
    passphrase: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportBody {
    passphrase: String,
    /// A `pod backup` file, base64.
    backup: String,
}

/// `POST /import {passphrase, backup}`: a new pod from a backup or another provider's export.
async fn import(State(provider): State<Arc<Provider>>, body: axum::body::Bytes) -> Response {
    use base64::Engine as _;
    let Ok(request) = serde_json::from_slice::<ImportBody>(&body) else {
        return error_json(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "send {passphrase, backup (base64)}");
    };
    let Ok(backup) = base64::engine::general_purpose::STANDARD.decode(request.backup.trim()) else {
        return error_json(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "backup is not base64");
    };
    let tenants = provider.tenants.clone();
    let passphrase = SecretString::from(request.passphrase);
    match tokio::task::spawn_blocking(move || tenants.import(&backup, &passphrase)).await {
        Ok(Ok((pod_id, records))) => {
            provider.metrics.event("import");
            let url = format!("{}/p/{}/", provider.config.origin(), hex(&pod_id));
            (
                StatusCode::CREATED,
                axum::Json(serde_json::json!({"pod_id": hex(&pod_id), "url": url, "records": records})),
            )
                .into_response()
        }
        Ok(Err(e)) => tenant_error(e),
        Err(_) => error_json(StatusCode::INTERNAL_SERVER_ERROR, "internal", "import failed"),
    }
}

/// Checks the passphrase of `pod_id` (scrypt, off the async threads).
async fn check_passphrase(provider: &Arc<Provider>, pod_id: PodId, body: &[u8]) -> Result<(), Response> {
    let Ok(request) = serde_json::from_slice::<PassphraseBody>(body) else {
        return Err(error_json(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "send {\"passphrase\": \"…\"}"));
    };
    let tenants = provider.tenants.clone();
    let passphrase = SecretString::from(request.passphrase);
    match tokio::task::spawn_blocking(move || tenants.unlock(pod_id, &passphrase).map(|_| ())).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            provider.metrics.event("passphrase_refused");
            Err(tenant_error(e))
        }
        Err(_) => Err(error_json(StatusCode::INTERNAL_SERVER_ERROR, "internal", "check failed")),
    }
}

fn pod_id_of(request: &Request) -> Option<PodId> {
    request.uri().path().split('/').nth(2).and_then(parse_pod_id)
}

/// The pod of an account request, after the Origin check and the passphrase (both before
/// anything is done, since the answer may delete the pod or hand out its wrapped identity).
async fn authorised(provider: &Arc<Provider>, request: Request) -> Result<PodId, Response> {
    let Some(pod_id) = pod_id_of(&request) else {
        return Err(error_json(StatusCode::NOT_FOUND, "not_found", "there is no pod with this id"));
    };
    if !provider.origin_ok(&request) {
        return Err(error_json(StatusCode::FORBIDDEN, "csrf", "a request from another site was refused"));
    }
    let Ok(body) = axum::body::to_bytes(request.into_body(), 64 * 1024).await else {
        return Err(error_json(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the request is too large"));
    };
    check_passphrase(provider, pod_id, &body).await?;
    Ok(pod_id)
}

/// `POST /p/{id}/account/delete {passphrase}`: destroys the keys, then the data.
async fn delete(State(provider): State<Arc<Provider>>, request: Request) -> Response {
    let pod_id = match authorised(&provider, request).await {
        Ok(pod_id) => pod_id,
        Err(refused) => return refused,
    };
    provider.evict(&pod_id);
    let tenants = provider.tenants.clone();
    match tokio::task::spawn_blocking(move || tenants.delete(pod_id)).await {
        Ok(Ok(())) => {
            provider.metrics.event("deletion");
            axum::Json(serde_json::json!({"deleted": true})).into_response()
        }
        Ok(Err(e)) => tenant_error(e),
        Err(_) => error_json(StatusCode::INTERNAL_SERVER_ERROR, "internal", "deletion failed"),
    }
}

/// `POST /p/{id}/account/export {passphrase}`: the pod as a `pod backup` file.
async fn export(State(provider): State<Arc<Provider>>, request: Request) -> Response {
    let pod_id = match authorised(&provider, request).await {
        Ok(pod_id) => pod_id,
        Err(refused) => return refused,
    };
    let tenants = provider.tenants.clone();
    match tokio::task::spawn_blocking(move || tenants.export(pod_id)).await {
        Ok(Ok(bytes)) => {
            provider.metrics.event("export");
            (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CONTENT_DISPOSITION, "attachment; filename=\"betaalpod-backup.json\""),
                ],
                bytes,
            )
                .into_response()
        }
        Ok(Err(e)) => tenant_error(e),
        Err(_) => error_json(StatusCode::INTERNAL_SERVER_ERROR, "internal", "export failed"),
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RecoverBody {
    recovery_code: String,
    new_passphrase: String,
}

/// `POST /p/{id}/account/recover {recovery_code, new_passphrase}`: sets a new passphrase with
/// the recovery code; answers the next recovery code, to show once.
async fn recover(State(provider): State<Arc<Provider>>, request: Request) -> Response {
    let Some(pod_id) = pod_id_of(&request) else {
        return error_json(StatusCode::NOT_FOUND, "not_found", "there is no pod with this id");
    };
    if !provider.origin_ok(&request) {
        return error_json(StatusCode::FORBIDDEN, "csrf", "a request from another site was refused");
    }
    let Ok(body) = axum::body::to_bytes(request.into_body(), 64 * 1024).await else {
        return error_json(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the request is too large");
    };
    let Ok(body) = serde_json::from_slice::<RecoverBody>(&body) else {
        return error_json(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "send {recovery_code, new_passphrase}");
    };
    let tenants = provider.tenants.clone();
    let (code, new) = (SecretString::from(body.recovery_code), SecretString::from(body.new_passphrase));
    let recovered = tokio::task::spawn_blocking(move || {
        tenants.recover(pod_id, &code, &new, crate::store::KdfCost::Standard)
    })
    .await;
    match recovered {
        Ok(Ok(next_code)) => {
            provider.metrics.event("recovery");
            // A lost passphrase may have been typed on another server; lock the pod here too.
            provider.evict(&pod_id);
            use age::secrecy::ExposeSecret;
            axum::Json(serde_json::json!({"recovery_code": next_code.expose_secret()})).into_response()
        }
        Ok(Err(TenantError::Pod(crate::store::PodError::WrongRecoveryCode))) => {
            provider.metrics.event("recovery_refused");
            error_json(StatusCode::UNAUTHORIZED, "wrong_recovery_code", "wrong recovery code")
        }
        Ok(Err(TenantError::Pod(crate::store::PodError::WeakPassphrase(message)))) => {
            error_json(StatusCode::UNPROCESSABLE_ENTITY, "weak_passphrase", &message)
        }
        Ok(Err(e)) => tenant_error(e),
        Err(_) => error_json(StatusCode::INTERNAL_SERVER_ERROR, "internal", "recovery failed"),
    }
}

/// `GET /oauth/callback`: an organisation sends the browser back; the pod on this server whose
/// login waits for that `state` takes it.
async fn callback(State(provider): State<Arc<Provider>>, request: Request) -> Response {
    let state = request
        .uri()
        .query()
        .and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "state"))
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let waiting = provider
        .pods
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .find(|(_, (app, _))| app.browser.is_waiting_for(&state))
        .map(|(pod_id, (_, router))| (*pod_id, router.clone()));
    match waiting {
        Some((pod_id, router)) => forward(router, request, &format!("/p/{}", hex(&pod_id))).await,
        None => (
            StatusCode::BAD_REQUEST,
            Html("<!doctype html><meta charset=utf-8><p>Onbekende of verlopen login. / Unknown or expired login.</p>"),
        )
            .into_response(),
    }
}

/// `/p/{id}/…`: the pod's own web UI and API.
async fn pod(State(provider): State<Arc<Provider>>, mut request: Request) -> Response {
    let Some(pod_id) = pod_id_of(&request) else {
        return error_json(StatusCode::NOT_FOUND, "not_found", "there is no pod with this id");
    };
    let prefix = format!("/p/{}", hex(&pod_id));
    let (_, router) = match provider.pod(pod_id).await {
        Ok(Some(found)) => found,
        Ok(None) => return error_json(StatusCode::NOT_FOUND, "not_found", "there is no pod with this id"),
        Err(e) => return tenant_error(e),
    };
    let rest = request.uri().path().strip_prefix(&prefix).unwrap_or_default().to_owned();
    if rest.is_empty() {
        return axum::response::Redirect::permanent(&format!("{prefix}/")).into_response();
    }
    if request.method() == Method::POST && (rest == "/fetch" || rest == "/api/fetch") {
        let tenants = provider.tenants.clone();
        match tokio::task::spawn_blocking(move || tenants.allow_fetch(pod_id)).await {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => {
                provider.metrics.event("fetch_quota_refused");
                return error_json(
                    StatusCode::TOO_MANY_REQUESTS,
                    "quota",
                    &format!(
                        "you have fetched {} times in the last hour, the most this provider allows; try again later",
                        provider.config.quotas.fetches_per_hour
                    ),
                );
            }
            Ok(Err(e)) => return tenant_error(e),
            Err(_) => return error_json(StatusCode::INTERNAL_SERVER_ERROR, "internal", "quota check failed"),
        }
    }
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest,
    };
    match path_and_query.parse() {
        Ok(uri) => *request.uri_mut() = uri,
        Err(_) => return error_json(StatusCode::BAD_REQUEST, "invalid", "bad path"),
    }
    forward(router, request, &prefix).await
}

/// Runs `request` through a pod's router and puts `prefix` before the links and redirects in
/// its answer. Our templates escape every quote in text they did not write, so organisation
/// text can never produce a `href="/` of its own.
async fn forward(router: Router, request: Request, prefix: &str) -> Response {
    // A fresh request: the provider's own route parameters must not reach the pod's router.
    let (parts, body) = request.into_parts();
    let mut fresh = Request::new(body);
    *fresh.method_mut() = parts.method;
    *fresh.uri_mut() = parts.uri;
    *fresh.version_mut() = parts.version;
    *fresh.headers_mut() = parts.headers;
    let response = match router.oneshot(fresh).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (mut parts, body) = response.into_parts();
    if let Some(location) = parts.headers.get(header::LOCATION).and_then(|l| l.to_str().ok())
        && location.starts_with('/')
        && let Ok(value) = HeaderValue::from_str(&format!("{prefix}{location}"))
    {
        parts.headers.insert(header::LOCATION, value);
    }
    let is_html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("text/html"));
    if !is_html {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "page too large").into_response();
    };
    let html = String::from_utf8_lossy(&bytes)
        .replace("href=\"/", &format!("href=\"{prefix}/"))
        .replace("action=\"/", &format!("action=\"{prefix}/"))
        .replace("src=\"/", &format!("src=\"{prefix}/"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(html))
}

/// Connects to the database, then serves until Ctrl-C or SIGTERM; every pod is locked on the
/// way out.
pub async fn serve(
    provider: Arc<Provider>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = provider.clone();
    let sweep = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            sweeper.lock_idle();
        }
    });
    let result = axum::serve(listener, router(provider.clone()))
        .with_graceful_shutdown(shutdown)
        .await;
    sweep.abort();
    provider.lock_all();
    result
}
