//! Checks every request passes before a handler sees it, and headers every answer carries.

use subtle::ConstantTimeEq as _;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use super::App;
use super::error::ApiError;

/// The CSRF token of a browser that has not unlocked: a random value in a `SameSite=Strict`
/// cookie, which a form must send back (double submit). It keeps no state on the server, so an
/// anonymous request creates no session.
#[derive(Clone, Debug)]
pub struct AnonymousCsrf(pub String);

/// The anonymous CSRF cookie's value, when it is one we could have made.
fn anonymous_cookie(request: &Request) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix(super::ANONYMOUS_CSRF_COOKIE)?.strip_prefix('='))
        .find(|token| token.len() == 48 && token.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned)
}

/// Host check (only the bound address: DNS rebinding), Origin check on state-changing
/// requests, CSRF token on state-changing requests, and the response headers.
pub async fn checks(State(app): State<Arc<App>>, session: Session, mut request: Request, next: Next) -> Response {
    let from_cookie = anonymous_cookie(&request);
    let anonymous = from_cookie.clone().unwrap_or_else(super::state::random_token);
    let set_cookie = from_cookie.is_none().then(|| {
        let secure = if app.config.public_origin.as_deref().is_some_and(|o| o.starts_with("https://")) {
            "; Secure"
        } else {
            ""
        };
        format!(
            "{}={anonymous}; Path={}; HttpOnly; SameSite=Strict{secure}",
            super::ANONYMOUS_CSRF_COOKIE,
            app.config.cookie_path
        )
    });
    request.extensions_mut().insert(AnonymousCsrf(anonymous));
    let response = checked(&app, session, from_cookie, request, next).await;
    with_cookie(response, set_cookie)
}

fn with_cookie(mut response: Response, cookie: Option<String>) -> Response {
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

async fn checked(app: &App, session: Session, anonymous: Option<String>, request: Request, next: Next) -> Response {
    let listen = app.config.listen;
    let allowed_hosts = match &app.config.public_origin {
        Some(origin) => vec![origin.split("://").nth(1).unwrap_or_default().to_owned()],
        None => vec![listen.to_string(), format!("localhost:{}", listen.port())],
    };
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if !allowed_hosts.contains(&host) {
        return ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            "wrong_host",
            "this server only answers to its own address",
        )
        .into_response();
    }
    let changes_state = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if changes_state {
        if let Some(origin) = request.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok())
            && origin != app.config.public_origin.clone().unwrap_or_else(|| format!("http://{host}"))
        {
            return ApiError::new(StatusCode::FORBIDDEN, "csrf", "a request from another site was refused")
                .into_response();
        }
        let from_session: Option<String> = session.get(super::CSRF_KEY).await.ok().flatten();
        let expected = from_session.or(anonymous);
        let (request, sent) = csrf_from(request).await;
        match (expected, sent) {
            (Some(expected), Some(sent)) if bool::from(expected.as_bytes().ct_eq(sent.as_bytes())) => {
                return with_headers(next.run(request).await);
            }
            _ => {
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "the form has expired or did not come from this page; reload and try again",
                )
                .into_response();
            }
        }
    }
    with_headers(next.run(request).await)
}

/// The CSRF token from the `X-CSRF-Token` header, or the `csrf` field of a form body (the body is
/// put back for the handler).
async fn csrf_from(request: Request) -> (Request, Option<String>) {
    if let Some(token) = request.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        let token = token.to_owned();
        return (request, Some(token));
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return (request, None);
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (Request::from_parts(parts, axum::body::Body::empty()), None);
    };
    let token = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned());
    (Request::from_parts(parts, axum::body::Body::from(bytes)), token)
}

fn with_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on our own
    // form posts, which the Origin check must refuse.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
