//! The authorization request: its parameters, their checks, the answer for a refused one, and
//! the code issued for an accepted one (by the dev login or the upstream login).
use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::Duration;
use rand::RngCore;
use schemas::ids::Bsn;
use serde::Deserialize;
use url::Url;

use crate::response::html_page;
use crate::state::AppState;

use super::grants::{CODE_LIFETIME_SECONDS, IssuedCode, MAX_AGE_LIMIT_SECONDS, Prompt, ResponseMode, SCOPES, ValidRequest};

/// The authorization request, from the query (GET) or the login form's hidden fields (POST).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    scope: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    response_mode: Option<String>,
    prompt: Option<String>,
    max_age: Option<String>,
}


/// The client's redirect URI with `pairs` in its query or its fragment.
pub fn response_url(redirect_uri: &str, mode: ResponseMode, pairs: &[(&str, &str)]) -> Option<Url> {
    let mut url = Url::parse(redirect_uri).ok()?;
    match mode {
        ResponseMode::Query => {
            let mut query = url.query_pairs_mut();
            for (name, value) in pairs {
                query.append_pair(name, value);
            }
        }
        ResponseMode::Fragment => {
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            url.set_fragment(Some(&encoded));
        }
    }
    Some(url)
}


/// Why an authorization request was refused.
pub enum AuthorizeError {
    /// The client or redirect URI is unknown: never redirect, show a page (RFC 6749 §4.1.2.1).
    NoRedirect(String),
    /// Everything else goes back to the client.
    Redirect {
        /// Where the answer goes (a registered URI).
        redirect_uri: String,
        /// In the query or the fragment.
        response_mode: ResponseMode,
        /// The client's `state`, echoed.
        state: Option<String>,
        /// The OAuth error code.
        error: &'static str,
        /// What went wrong, for people.
        description: String,
    },
}

/// Whether `requested` matches a registered URI: exactly, or for a loopback IP literal over
/// http, with any port (RFC 8252 §7.3).
pub fn redirect_uri_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(registered), Ok(requested)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    let loopback = |u: &Url| {
        u.scheme() == "http"
            && matches!(u.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback() && ip.octets() == [127, 0, 0, 1])
            || u.scheme() == "http" && matches!(u.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
    };
    loopback(&registered)
        && registered.host() == requested.host()
        && requested.scheme() == "http"
        && registered.path() == requested.path()
        && registered.query() == requested.query()
        && requested.fragment().is_none()
        && requested.username().is_empty()
        && requested.password().is_none()
}

pub(crate) fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Validates an authorization request in the order RFC 6749 requires.
pub fn validate(state: &AppState, params: &AuthorizeParams) -> Result<ValidRequest, AuthorizeError> {
    let client_id = params.client_id.clone().unwrap_or_default();
    let client = state
        .config
        .clients
        .iter()
        .find(|c| c.client_id == client_id)
        .ok_or_else(|| AuthorizeError::NoRedirect("Onbekende client. / Unknown client_id.".to_owned()))?;
    let redirect_uri = params.redirect_uri.clone().unwrap_or_default();
    if !client
        .redirect_uris
        .iter()
        .any(|r| redirect_uri_matches(r, &redirect_uri))
    {
        return Err(AuthorizeError::NoRedirect(
            "Het terugkeeradres hoort niet bij deze client. / The redirect_uri is not registered for this client."
                .to_owned(),
        ));
    }
    let (response_mode, unknown_mode) = match params.response_mode.as_deref() {
        None | Some("query") => (ResponseMode::Query, false),
        Some("fragment") => (ResponseMode::Fragment, false),
        Some(_) => (ResponseMode::Query, true),
    };
    let refuse = |error: &'static str, description: &str| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.clone(),
        response_mode,
        state: params.state.clone(),
        error,
        description: description.to_owned(),
    };
    let state_value = params
        .state
        .clone()
        .filter(|s| !s.is_empty() && s.len() <= 512)
        .ok_or_else(|| refuse("invalid_request", "state is required"))?;
    if unknown_mode {
        return Err(refuse(
            "invalid_request",
            "response_mode must be query or fragment",
        ));
    }
    if params.response_type.as_deref() != Some("code") {
        return Err(refuse(
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    if params.code_challenge_method.as_deref() != Some("S256") {
        return Err(refuse(
            "invalid_request",
            "PKCE with code_challenge_method=S256 is required",
        ));
    }
    let code_challenge = params
        .code_challenge
        .clone()
        .filter(|c| c.len() == 43 && is_pkce_value(c))
        .ok_or_else(|| {
            refuse(
                "invalid_request",
                "code_challenge must be a base64url SHA-256 (43 characters)",
            )
        })?;
    let scope = params.scope.clone().unwrap_or_default();
    let scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    if scopes.is_empty() || scopes.iter().any(|s| !SCOPES.contains(s)) {
        return Err(refuse(
            "invalid_scope",
            "scope must be claims:read and/or arrangement:submit",
        ));
    }
    let prompt = match params.prompt.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("none") => Some(Prompt::None),
        Some("login") => Some(Prompt::Login),
        Some(_) => {
            return Err(refuse(
                "invalid_request",
                "prompt must be none or login, on its own",
            ));
        }
    };
    let max_age = match params.max_age.as_deref() {
        None => None,
        Some(value) => Some(
            value
                .parse::<u64>()
                .ok()
                .filter(|seconds| *seconds <= MAX_AGE_LIMIT_SECONDS)
                .ok_or_else(|| refuse("invalid_request", "max_age must be a whole number of seconds, at most a year"))?,
        ),
    };
    Ok(ValidRequest {
        client_id,
        redirect_uri,
        state: state_value,
        scope: scopes.join(" "),
        code_challenge,
        response_mode,
        prompt,
        max_age,
    })
}

/// Turns a refused request into the right response.
pub fn refusal(state: &AppState, error: AuthorizeError) -> Response {
    match error {
        AuthorizeError::NoRedirect(message) => html_page(StatusCode::BAD_REQUEST, &ErrorPage { message }),
        AuthorizeError::Redirect {
            redirect_uri,
            response_mode,
            state: client_state,
            error,
            description,
        } => {
            let issuer = state.config.issuer();
            let mut pairs = vec![("error", error), ("error_description", description.as_str())];
            if let Some(s) = &client_state {
                pairs.push(("state", s));
            }
            pairs.push(("iss", &issuer));
            match response_url(&redirect_uri, response_mode, &pairs) {
                Some(url) => Redirect::to(url.as_str()).into_response(),
                None => html_page(
                    StatusCode::BAD_REQUEST,
                    &ErrorPage {
                        message: "invalid redirect_uri".to_owned(),
                    },
                ),
            }
        }
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// What went wrong, for the citizen.
    pub message: String,
}

/// Issues a code for an authenticated citizen and sends the browser back to the client. The
/// audit log gets one `login` line per code, so an organisation can count the logins it saw.
pub async fn issue_code(state: &AppState, request: ValidRequest, bsn: Bsn) -> Response {
    let subject = state.subject_hash(&bsn);
    state
        .audit
        .record(&crate::audit::AuditEvent {
            time: state.now().to_rfc3339(),
            event: "login",
            client_id: Some(&request.client_id),
            subject: Some(&subject),
            outcome: "ok",
        })
        .await;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let code = B64.encode(bytes);
    let issued = IssuedCode {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge.clone(),
        scope: request.scope.clone(),
        bsn,
        expires_at: state.now() + Duration::seconds(CODE_LIFETIME_SECONDS),
    };
    {
        let mut codes = state.codes.lock();
        let now = state.now();
        codes.retain(|_, c| c.expires_at > now);
        codes.insert(code.clone(), issued);
    }
    let issuer = state.config.issuer();
    let pairs = [("code", code.as_str()), ("state", request.state.as_str()), ("iss", issuer.as_str())];
    let Some(url) = response_url(&request.redirect_uri, request.response_mode, &pairs) else {
        return html_page(
            StatusCode::BAD_REQUEST,
            &ErrorPage {
                message: "invalid redirect_uri".to_owned(),
            },
        );
    };
    (StatusCode::SEE_OTHER, [(header::LOCATION, url.as_str().to_owned())]).into_response()
}
