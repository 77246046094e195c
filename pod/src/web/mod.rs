//! `pod serve`: the citizen's local web UI (askama pages) and JSON API on one axum server.
//!
//! - `state`: the one unlocked session, fetch jobs, auto-lock.
//! - `security`: Host check (DNS rebinding), Origin and CSRF checks, headers (CSP, no-store).
//! - `unlocked`: the `Unlocked` extractor, the one way a handler reaches the pod.
//! - `api`: the JSON API (docs/API.md). `pages`: thin handlers over the pages of `pod_ui`
//!   (which the browser app at a provider renders too), one module per feature.

mod api;
mod error;
mod lang;
pub use pod_ui::i18n;
mod pages;
mod security;
pub mod sessions;
pub mod state;
mod unlocked;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use state::{App, PodOpener, WebConfig};

/// The session key of the CSRF token.
const CSRF_KEY: &str = "csrf";
/// The session key of the unlock token.
const UNLOCK_KEY: &str = "unlock";
/// The cookie that holds a locked page's CSRF token (double-submit: the form sends it back).
const ANONYMOUS_CSRF_COOKIE: &str = "betaalpod_csrf";

/// All routes with their layers.
pub fn router(app: Arc<App>) -> Router {
    let sessions = SessionManagerLayer::new(app.sessions.clone())
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(12)))
        .with_name("betaalpod_session")
        .with_path(app.config.cookie_path.clone())
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(
            app.config
                .public_origin
                .as_deref()
                .is_some_and(|origin| origin.starts_with("https://")),
        );
    Router::new()
        .route("/", get(pages::overview::home))
        .route("/unlock", post(pages::unlock))
        .route("/lock", post(pages::lock))
        .route("/lang/{lang}", get(pages::set_language))
        .route("/matters/{id}", get(pages::matter::matter))
        .route("/fetch", get(pages::fetch::fetch_form).post(pages::fetch::fetch_start))
        .route("/fetch/{id}", get(pages::fetch::fetch_progress))
        .route(
            "/arrangement",
            get(pages::arrangement::form).post(pages::arrangement::compute),
        )
        .route("/arrangement/save", post(pages::arrangement::save))
        .route("/arrangements/{id}", get(pages::arrangement::saved))
        .route("/arrangements/{id}/submit", post(pages::arrangement::submit))
        .route("/arrangements/{id}/status", post(pages::arrangement::status))
        .route("/audit", get(pages::fetch::audit))
        .route("/settings", get(pages::settings::settings))
        .route("/settings/passphrase", post(pages::settings::change_passphrase))
        .route("/settings/scheme/check", post(pages::settings::scheme_check))
        .route("/settings/scheme/pin", post(pages::settings::scheme_pin))
        .route("/settings/scheme/remove", post(pages::settings::scheme_remove))
        .route("/export/print", get(pages::overview::print))
        .route("/export/share", post(pages::overview::share))
        .route("/oauth/callback", get(pages::fetch::oauth_callback))
        .route("/static/app.css", get(pages::stylesheet))
        .route("/api/csrf", get(api::csrf))
        .route("/api/unlock", post(api::unlock))
        .route("/api/lock", post(api::lock))
        .route("/api/overview", get(api::overview))
        .route("/api/matters/{id}", get(api::matter))
        .route("/api/fetch-log", get(api::fetch_log))
        .route("/api/fetch", post(api::fetch_start))
        .route("/api/fetch/{id}", get(api::fetch_progress))
        .route("/api/export", get(api::export))
        .route("/api/arrangements/plan", post(api::arrangement_plan))
        .route(
            "/api/arrangements",
            get(api::arrangement_list).post(api::arrangement_save),
        )
        .route("/api/arrangements/{id}", get(api::arrangement_get))
        .layer(axum::middleware::from_fn_with_state(app.clone(), security::checks))
        .layer(sessions)
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .with_state(app)
}

/// Serves until `shutdown` completes. Locks after the configured idle time even when no
/// request comes in.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = app.clone();
    let sweep = tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            sweeper.lock_if_idle();
        }
    });
    let result = axum::serve(listener, router(app.clone()))
        .with_graceful_shutdown(shutdown)
        .await;
    sweep.abort();
    app.lock();
    result
}
