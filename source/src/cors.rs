//! CORS for browser apps: a pod provider's app fetches straight from the organisation, so the
//! token, claims, arrangement, JWKS and descriptor endpoints answer the origins registered as a
//! client's `web_origins`, and no others. Bearer tokens only, never cookies, so no credentials
//! mode.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// The paths a browser app calls.
fn is_cors_path(path: &str) -> bool {
    matches!(
        path,
        "/token" | "/claims" | "/arrangements" | "/jwks.json" | "/.well-known/betaalpod-source"
            | "/.well-known/oauth-authorization-server"
    ) || path.starts_with("/arrangements/")
}

/// Answers preflights and marks answers for allowed origins.
pub async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_owned);
    let (Some(origin), true) = (origin, is_cors_path(&path)) else {
        return next.run(request).await;
    };
    let allowed = state.config.allows_origin(&origin);
    if request.method() == Method::OPTIONS {
        if !allowed {
            tracing::warn!(path, "CORS preflight from an origin no client runs at");
            return (StatusCode::FORBIDDEN, "this origin is not registered with any client").into_response();
        }
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type"),
        );
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        allow(&mut response, &origin);
        return response;
    }
    let mut response = next.run(request).await;
    if allowed {
        allow(&mut response, &origin);
    } else {
        response.headers_mut().append(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

fn allow(response: &mut Response, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}
