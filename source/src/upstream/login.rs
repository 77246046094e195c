//! The login flow through the upstream provider: the hand-off from `/authorize`, and the
//! provider's answer at `/upstream/callback`, which ends in a code for the pod.

use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use oauth2::basic::BasicClient;
use oauth2::{ClientId, CsrfToken, PkceCodeChallenge, Scope};
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

use crate::oauth::request::{AuthorizeError, ErrorPage, issue_code, refusal};
use crate::oauth::ValidRequest;
use crate::response::html_page;
use crate::state::AppState;

use super::{BROWSER_COOKIE, MAX_PENDING, PENDING_LIFETIME, Pending, Upstream, browser_cookie, digest};

/// Sends the citizen to the provider, remembering the pod's request and, in a cookie, the
/// browser it came from: the provider's answer counts only in that browser.
pub async fn start(state: &AppState, upstream: &Upstream, request: ValidRequest) -> Response {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let client = BasicClient::new(ClientId::new(upstream.settings.client_id.clone()))
        .set_auth_uri(upstream.authorization_endpoint.clone())
        .set_redirect_uri(upstream.redirect_uri.clone());
    let mut authorization = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("openid".to_owned()))
        .set_pkce_challenge(challenge);
    // The pod's wishes about the login session go to the provider that keeps it.
    if let Some(prompt) = request.prompt {
        authorization = authorization.add_extra_param("prompt", prompt.as_str());
    }
    if let Some(max_age) = request.max_age {
        authorization = authorization.add_extra_param("max_age", max_age.to_string());
    }
    let (url, csrf) = authorization.url();
    let mut browser = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut browser);
    let browser: String = hex::encode(browser);
    {
        let mut pending = upstream.pending.lock();
        pending.retain(|_, p| p.started.elapsed() < PENDING_LIFETIME);
        if pending.len() >= MAX_PENDING {
            tracing::warn!(pending = pending.len(), "too many upstream logins in progress; refusing a new one");
            return html_page(
                StatusCode::SERVICE_UNAVAILABLE,
                &ErrorPage {
                    message: "Het is nu te druk om in te loggen; probeer het over een paar minuten opnieuw. / Too many logins at once; try again in a few minutes.".to_owned(),
                },
            );
        }
        pending.insert(
            csrf.secret().clone(),
            Pending {
                request,
                verifier,
                started: Instant::now(),
                browser: digest(&browser),
            },
        );
    }
    // SameSite=Lax: the provider sends the browser back with a top-level GET, which carries it.
    let secure = if state.config.public_url.scheme() == "https" { "; Secure" } else { "" };
    let cookie = format!(
        "{BROWSER_COOKIE}={browser}; Path=/upstream/callback; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        PENDING_LIFETIME.as_secs()
    );
    let mut response = Redirect::to(url.as_str()).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// What the provider sends back.
#[derive(Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

/// `GET /upstream/callback`: the provider's answer; on success, a code for the pod.
pub async fn callback(State(state): State<AppState>, headers: HeaderMap, Query(params): Query<CallbackParams>) -> Response {
    let Some(upstream) = &state.upstream else {
        return html_page(
            StatusCode::NOT_FOUND,
            &ErrorPage {
                message: "No upstream login is configured.".to_owned(),
            },
        );
    };
    // The state alone is not enough: an answer in another browser than the one that started the
    // login (login CSRF, or a stolen link) gives nothing, and leaves the login to its browser.
    let browser = browser_cookie(&headers).map(|value| digest(&value));
    let mut other_browser = false;
    let pending = params.state.as_deref().and_then(|s| {
        let mut pending = upstream.pending.lock();
        let ours = pending.get(s)?;
        if browser.is_none_or(|b| !bool::from(b.as_slice().ct_eq(ours.browser.as_slice()))) {
            other_browser = true;
            return None;
        }
        pending.remove(s)
    });
    if other_browser {
        tracing::warn!("an upstream login answer arrived in another browser than the one that started it");
        return html_page(
            StatusCode::BAD_REQUEST,
            &ErrorPage {
                message: "Deze inlogpoging is in een andere browser begonnen; begin opnieuw. / This login was started in another browser; start again.".to_owned(),
            },
        );
    }
    let Some(pending) = pending.filter(|p| p.started.elapsed() < PENDING_LIFETIME) else {
        return html_page(
            StatusCode::BAD_REQUEST,
            &ErrorPage {
                message:
                    "Deze inlogpoging is onbekend of verlopen; begin opnieuw. / Unknown or expired login; start again."
                        .to_owned(),
            },
        );
    };
    let deny = |description: String| {
        refusal(
            &state,
            AuthorizeError::Redirect {
                redirect_uri: pending.request.redirect_uri.clone(),
                response_mode: pending.request.response_mode,
                state: Some(pending.request.state.clone()),
                error: "access_denied",
                description,
            },
        )
    };
    if params
        .iss
        .as_deref()
        .is_some_and(|iss| iss.trim_end_matches('/') != upstream.issuer)
    {
        return deny("the login answer came from another provider (iss mismatch)".to_owned());
    }
    if let Some(error) = params.error {
        // The two answers to `prompt=none` that mean "show the login" go back as themselves, so
        // the pod can show this organisation's login and go on (OIDC Core §3.1.2.6).
        let passed_on = match error.as_str() {
            "login_required" => Some("login_required"),
            "interaction_required" => Some("interaction_required"),
            _ => None,
        };
        return match passed_on {
            Some(code) => refusal(
                &state,
                AuthorizeError::Redirect {
                    redirect_uri: pending.request.redirect_uri.clone(),
                    response_mode: pending.request.response_mode,
                    state: Some(pending.request.state.clone()),
                    error: code,
                    description: "the login provider has no session for you; log in".to_owned(),
                },
            ),
            None => deny(format!("the login provider answered {error}")),
        };
    }
    let Some(code) = params.code else {
        return deny("the login provider sent no code".to_owned());
    };
    match upstream.citizen(code, pending.verifier).await {
        Ok(bsn) => {
            let subject = state.subject_hash(&bsn);
            if let Some(wait) = state.lockout.wait(&subject, Instant::now()) {
                return deny(format!(
                    "too many wrong logins for this citizen; try again in {} minutes",
                    wait.as_secs().div_ceil(60)
                ));
            }
            state.lockout.succeeded(&subject);
            issue_code(&state, pending.request, bsn).await
        }
        Err(e) => {
            tracing::warn!(error = %e, "upstream login failed");
            deny(e.to_string())
        }
    }
}
