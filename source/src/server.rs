//! Serving: the routes ([`crate::routes`]) on a listener, with limits for slow clients.
//! The names tests and binaries know are re-exported here.

use std::future::Future;

use axum::Router;

pub use crate::routes::router;
pub use crate::state::{AppState, Clock, MAX_BODY_BYTES, Source};

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
