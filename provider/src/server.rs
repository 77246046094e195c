//! The provider's routes and middleware, and how it runs ([`crate::state`] is what they share).

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::api::{account, records};
use crate::app::{self, AppFiles};
use crate::config::ProviderConfig;
pub use crate::state::AppState;

/// The Content-Security-Policy of every answer: scripts and wasm from the provider only (wasm
/// needs `wasm-unsafe-eval`, never `unsafe-eval`), connections to the provider and the
/// organisations, no framing, no inline script or style.
fn content_security_policy(config: &ProviderConfig, app: &AppFiles) -> HeaderValue {
    let connect = config.app_connect_src.join(" ");
    let import_maps = app.inline_script_hashes().join(" ");
    let policy = format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' {import_maps}; style-src 'self'; img-src 'self'; \
         connect-src 'self' {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'none'"))
}

/// Every route.
pub fn router(state: AppState) -> Router {
    let csp = content_security_policy(&state.config, &state.app);
    let api = Router::new()
        .route("/signup/start", post(account::signup_start))
        .route("/signup/finish", post(account::signup_finish))
        .route("/login/start", post(account::login_start))
        .route("/login/finish", post(account::login_finish))
        .route("/logout", post(account::logout))
        .route("/pod", get(account::pod_info).delete(account::delete_pod))
        .route("/pod/recovery-file", get(account::recovery_file))
        .route("/pod/credentials/start", post(account::credential_start))
        .route("/pod/credentials", axum::routing::put(account::credentials_replace))
        .route("/pod/export", get(account::export))
        .route("/records", get(records::list))
        .route(
            "/records/{name}",
            get(records::get).put(records::put).delete(records::delete),
        )
        .route("/batch", post(records::batch));
    Router::new()
        .nest("/api/v1", api)
        .route("/", get(app::home))
        .route("/app/{name}", get(app::file))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .layer(DefaultBodyLimit::max(records::MAX_BATCH_BYTES * 4 / 3 + 64 * 1024))
        .layer(axum::middleware::from_fn(log_request))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, csp))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .with_state(state)
}

async fn ready(State(state): State<AppState>) -> Response {
    if state.vault.ready().await {
        "ready".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "storage unavailable").into_response()
    }
}

/// One log line per request: the route's pattern, never its values (record names, ids), and no
/// body. A provider's logs say how busy it is, not who did what.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        route,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// Serves until Ctrl-C or SIGTERM, finishing requests under way. A client gets 10 s to send a
/// request's headers (`bounded_http::server`), so slow clients cannot hold connections.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let limits = bounded_http::server::ServerLimits::default();
    bounded_http::server::serve(listener, router(state), limits, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
