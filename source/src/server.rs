//! The HTTP server: state, routes, discovery documents and shared response helpers.
//! Handlers stay thin; the work is in `oauth`, `claims` and `arrangements`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use schemas::descriptor::{DescriptorFormat, OrganisationDescriptor};
use schemas::ids::{Bsn, OrganisationId};
use schemas::jws::{Jwk, Signer};
use sha2::{Digest, Sha256};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::arrangements::ArrangementStore;
use crate::audit::AuditLog;
use crate::backend::ClaimsBackend;
use crate::config::Config;
use crate::oauth::CodeStore;
use crate::ratelimit::RateLimiter;
use crate::upstream::Upstream;

/// Request bodies above this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The clock, replaceable in tests to expire codes and tokens without waiting.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Everything a request handler may use.
pub struct Source {
    /// The configuration.
    pub config: Config,
    /// The organisation's signing key.
    pub signer: Signer,
    /// Its public JWK.
    pub jwk: Jwk,
    /// Where claims come from.
    pub backend: Arc<dyn ClaimsBackend>,
    /// Submitted arrangements.
    pub arrangements: ArrangementStore,
    /// The audit log.
    pub audit: AuditLog,
    /// Rate limits.
    pub limiter: RateLimiter,
    /// Wrong logins per citizen, with back-off.
    pub lockout: crate::ratelimit::SubjectLockout,
    /// Authorization codes not yet redeemed.
    pub codes: CodeStore,
    /// The upstream OpenID provider, when login is delegated.
    pub upstream: Option<Upstream>,
    /// The clock.
    pub clock: Clock,
    /// Requests served since start, for operations and for the privacy tests.
    pub requests: std::sync::atomic::AtomicU64,
}

/// Shared state.
pub type AppState = Arc<Source>;

impl Source {
    /// Builds the server state from a loaded config and backend. Discovers the upstream
    /// provider, if one is configured.
    pub async fn new(config: Config, backend: Arc<dyn ClaimsBackend>, clock: Clock) -> anyhow::Result<Self> {
        let signer = crate::keys::load(&config.signing_key)?;
        let jwk = signer.public_jwk(None);
        let arrangements = ArrangementStore::open(&config.arrangements_dir())?;
        let audit = AuditLog::open(&config.audit_log)?;
        let upstream = match &config.upstream_oidc {
            Some(upstream) => Some(Upstream::discover(upstream, &config).await?),
            None => None,
        };
        Ok(Self {
            config,
            signer,
            jwk,
            backend,
            arrangements,
            audit,
            limiter: RateLimiter::default(),
            lockout: Default::default(),
            codes: parking_lot::Mutex::new(HashMap::new()),
            upstream,
            clock,
            requests: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Now, by this server's clock.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// The citizen as the audit log and the claims payload name them: base64url SHA-256 over
    /// `"<organisation id>:<bsn>"`, so hashes differ per organisation and can't be joined.
    pub fn subject_hash(&self, bsn: &Bsn) -> String {
        B64.encode(Sha256::digest(
            format!("{}:{}", self.config.id, bsn.as_str()).as_bytes(),
        ))
    }

    /// The key the rate limits count a request from `peer` under (see [`crate::client_addr`]).
    pub fn client_key(&self, peer: std::net::SocketAddr, headers: &axum::http::HeaderMap) -> String {
        let ip = crate::client_addr::client_ip(peer.ip(), headers, &self.config.trusted_proxies);
        crate::client_addr::limit_key(ip)
    }

    /// Our organisation descriptor (`/.well-known/betaalpod-source`).
    pub fn descriptor(&self) -> anyhow::Result<OrganisationDescriptor> {
        let url = |path: &str| url::Url::parse(&self.config.endpoint(path));
        Ok(OrganisationDescriptor {
            format: DescriptorFormat,
            id: OrganisationId::parse(self.config.id.as_str()).map_err(anyhow::Error::msg)?,
            name: self.config.name.clone(),
            base_url: self.config.public_url.clone(),
            authorization_endpoint: url("/authorize")?,
            token_endpoint: url("/token")?,
            claims_endpoint: url("/claims")?,
            arrangements_endpoint: url("/arrangements")?,
            jwks_uri: url("/jwks.json")?,
            keys: vec![self.jwk.clone()],
            scopes: crate::oauth::SCOPES.iter().map(|s| s.to_string()).collect(),
            document_versions: vec!["fcid/3.0.0".to_owned()],
        })
    }
}

/// All routes, with the body limit, a request timeout and request tracing.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route("/.well-known/betaalpod-source", get(descriptor))
        .route("/jwks.json", get(jwks))
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/authorize",
            get(crate::oauth::authorize_get).post(crate::oauth::authorize_post),
        )
        .route("/token", post(crate::oauth::token))
        .route("/upstream/callback", get(crate::upstream::callback))
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

/// Serves until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.config.connections.server_limits();
    serve_router(router(state), listener, limits, shutdown).await
}

/// Serves an already built (perhaps wrapped) [`router`] until `shutdown` completes, closing
/// connections whose request headers do not arrive within `limits`.
pub async fn serve_router(
    router: Router,
    listener: tokio::net::TcpListener,
    limits: bounded_http::server::ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    bounded_http::server::serve(listener, router, limits, shutdown).await
}

async fn count_request(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    state.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    next.run(request).await
}

async fn metadata(State(state): State<AppState>) -> Response {
    let config = &state.config;
    axum::Json(serde_json::json!({
        "issuer": config.issuer(),
        "authorization_endpoint": config.endpoint("/authorize"),
        "token_endpoint": config.endpoint("/token"),
        "jwks_uri": config.endpoint("/jwks.json"),
        "scopes_supported": crate::oauth::SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "authorization_response_iss_parameter_supported": true,
    }))
    .into_response()
}

async fn descriptor(State(state): State<AppState>) -> Response {
    match state.descriptor() {
        Ok(descriptor) => axum::Json(descriptor).into_response(),
        Err(e) => json_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e.to_string()),
    }
}

async fn jwks(State(state): State<AppState>) -> Response {
    axum::Json(serde_json::json!({ "keys": [state.jwk] })).into_response()
}

/// An OAuth-style JSON error: `{"error": …, "error_description": …}`.
pub fn json_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

/// Renders a page with headers that keep it from being framed or running foreign script.
pub fn html_page(status: StatusCode, page: &impl Template) -> Response {
    let body = match page.render() {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    let mut response = (status, Html(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        // No form-action: browsers apply it to the redirect back to the client after login.
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
