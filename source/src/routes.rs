//! The one place that knows every handler: the routes, and the layers around them.

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::state::{AppState, MAX_BODY_BYTES};

/// All routes, with the body limit, a request timeout and request tracing.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/.well-known/oauth-authorization-server", get(crate::discovery::metadata))
        .route("/.well-known/betaalpod-source", get(crate::discovery::descriptor))
        .route("/jwks.json", get(crate::discovery::jwks))
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/authorize",
            get(crate::oauth::authorize_get).post(crate::oauth::authorize_post),
        )
        .route("/token", post(crate::oauth::token))
        .route("/upstream/callback", get(crate::upstream::login::callback))
        .route("/claims", post(crate::claims::claims))
        .route("/arrangements", post(crate::claims::submit_arrangement))
        .route("/arrangements/{id}", get(crate::claims::arrangement_status))
        .layer(axum::middleware::from_fn_with_state(state.clone(), count_request))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::cors::cors))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            std::time::Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn count_request(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    state.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    next.run(request).await
}
