//! `GET` and `POST /authorize`: the dev-login form, or the hand-off to the upstream provider.
use std::net::SocketAddr;
use std::time::Instant;
use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use schemas::ids::Bsn;
use serde::Deserialize;

use crate::audit::AuditEvent;
use crate::ratelimit::Limited;
use crate::response::html_page;
use crate::state::AppState;

use super::grants::{Prompt, ValidRequest};
use super::request::{AuthorizeError, AuthorizeParams, ErrorPage, issue_code, refusal, validate};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    org_name: &'a str,
    action: String,
    request: &'a ValidRequest,
    bsn: &'a str,
    error: Option<&'a str>,
}

/// `GET /authorize`: the dev-login form, or a redirect to the upstream provider.
pub async fn authorize_get(State(state): State<AppState>, Query(params): Query<AuthorizeParams>) -> Response {
    let request = match validate(&state, &params) {
        Ok(request) => request,
        Err(e) => return refusal(&state, e),
    };
    if let Some(upstream) = &state.upstream {
        return crate::upstream::login::start(&state, upstream, request).await;
    }
    // The dev login keeps no session, so it can never log a citizen in without its form.
    if request.prompt == Some(Prompt::None) {
        return refusal(
            &state,
            AuthorizeError::Redirect {
                redirect_uri: request.redirect_uri,
                response_mode: request.response_mode,
                state: Some(request.state),
                error: "login_required",
                description: "this organisation's test login keeps no session; log in with its form".to_owned(),
            },
        );
    }
    login_page(&state, &request, "", None, StatusCode::OK)
}

fn login_page(
    state: &AppState,
    request: &ValidRequest,
    bsn: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let page = LoginPage {
        org_name: &state.config.name,
        action: state.config.endpoint("/authorize"),
        request,
        bsn,
        error,
    };
    html_page(status, &page)
}

/// The dev-login form as posted.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    bsn: String,
    #[serde(default)]
    pin: String,
    #[serde(flatten)]
    params: AuthorizeParams,
}

/// `POST /authorize`: checks BSN and PIN, then redirects with a code.
pub async fn authorize_post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !state.config.dev_login {
        return html_page(
            StatusCode::FORBIDDEN,
            &ErrorPage {
                message: "Inloggen met BSN en pincode staat uit. / dev-login is disabled.".to_owned(),
            },
        );
    }
    let request = match validate(&state, &form.params) {
        Ok(request) => request,
        Err(e) => return refusal(&state, e),
    };
    if let Err(wait) = state.limiter.check(
        Limited::Login,
        &state.client_key(peer, &headers),
        state.config.rate_limits.login_per_minute,
        Instant::now(),
    ) {
        let mut response = login_page(
            &state,
            &request,
            "",
            Some("Te veel pogingen. Probeer het over een minuut opnieuw. / Too many attempts; try again in a minute."),
            StatusCode::TOO_MANY_REQUESTS,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return response;
    }
    let bsn = match Bsn::parse(form.bsn.trim()) {
        Ok(bsn) => bsn,
        Err(_) => {
            return login_page(
                &state,
                &request,
                &form.bsn,
                Some("Dit is geen geldig BSN (de elfproef klopt niet). / This is not a valid BSN."),
                StatusCode::BAD_REQUEST,
            );
        }
    };
    let subject = state.subject_hash(&bsn);
    if let Some(wait) = state.lockout.wait(&subject, Instant::now()) {
        state.audit.record(&AuditEvent {
            time: state.now().to_rfc3339(),
            event: "login",
            client_id: Some(&request.client_id),
            subject: Some(&subject),
            outcome: "locked_out",
        }).await;
        return locked_out(&state, &request, &form.bsn, wait);
    }
    if !state.backend.check_pin(&bsn, &form.pin) {
        state.lockout.failed(&subject, Instant::now());
        state.audit.record(&AuditEvent {
            time: state.now().to_rfc3339(),
            event: "login",
            client_id: Some(&request.client_id),
            subject: Some(&subject),
            outcome: "wrong_pin",
        }).await;
        return login_page(
            &state,
            &request,
            &form.bsn,
            Some("BSN of pincode klopt niet. / BSN or PIN is wrong."),
            StatusCode::UNAUTHORIZED,
        );
    }
    state.lockout.succeeded(&subject);
    issue_code(&state, request, bsn).await
}

/// The login page for a citizen whose login is locked for `wait` after too many wrong PINs.
fn locked_out(state: &AppState, request: &ValidRequest, bsn: &str, wait: std::time::Duration) -> Response {
    let minutes = wait.as_secs().div_ceil(60);
    let message = format!(
        "Te vaak een verkeerde pincode voor dit BSN. Probeer het over {minutes} minuten opnieuw. / Too many wrong PINs for this BSN; try again in {minutes} minutes."
    );
    let mut response = login_page(state, request, bsn, Some(&message), StatusCode::TOO_MANY_REQUESTS);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
    response
}
