//! Serving clients Betaalpod does not trust (`source` and `provider` face the internet): the same
//! idea the other way round. `axum::serve` sets no timer, so hyper's header timeout never fires
//! there: a client that sends its request headers one byte a minute (slowloris), or opens a
//! connection and says nothing, holds a connection and its task for ever. [`serve`] closes such
//! a connection after [`ServerLimits::header_read_timeout`], and accepts at most
//! [`ServerLimits::max_connections`] at once (new ones wait in the kernel's backlog).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tower::ServiceExt as _;

/// What one client may hold of the server.
#[derive(Clone, Copy, Debug)]
pub struct ServerLimits {
    /// How long a client has to send a request's headers, counted from when the server starts
    /// waiting for them (also on an idle kept-alive connection).
    pub header_read_timeout: Duration,
    /// How many connections are served at once.
    pub max_connections: usize,
    /// How long in-flight requests may take to finish after shutdown is asked for.
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 10_000,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Serves `router` on `listener` (HTTP/1.1, each request carrying the peer's address as
/// `ConnectInfo<SocketAddr>`) until `shutdown` completes, then lets requests under way finish
/// within [`ServerLimits::shutdown_grace`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait, rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request)
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still under way after the shutdown grace; stopping anyway");
    }
    Ok(())
}
