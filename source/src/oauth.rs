//! The OAuth 2.0 authorization server: authorization code + PKCE S256 for public clients,
//! loopback redirects on any port (RFC 8252), `iss` in the response (RFC 9207), single-use codes
//! that live 60 s, and 5-minute access tokens bound to this organisation (aud) and the citizen
//! (sub). No refresh tokens: every fetch is a new login the citizen starts.

use subtle::ConstantTimeEq as _;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use schemas::ids::Bsn;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use crate::audit::AuditEvent;
use crate::ratelimit::Limited;
use crate::server::{AppState, html_page, json_error};

/// Scopes this server grants.
pub const SCOPES: &[&str] = &["claims:read", "arrangement:submit"];
/// How long an authorization code lives.
pub const CODE_LIFETIME_SECONDS: i64 = 60;
/// How long an access token lives.
pub const TOKEN_LIFETIME_SECONDS: i64 = 300;
/// The `typ` of our access tokens (RFC 9068).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// An issued, not yet redeemed authorization code.
pub struct IssuedCode {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    scope: String,
    bsn: Bsn,
    expires_at: DateTime<Utc>,
}

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
}

/// Where the authorization response's parameters go: the query (the default), or the fragment
/// (OAuth 2.0 Multiple Response Type Encoding Practices), which the browser never sends to a
/// server, so a browser app's host never sees the code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResponseMode {
    /// `?code=…&state=…&iss=…`
    #[default]
    Query,
    /// `#code=…&state=…&iss=…`
    Fragment,
}

impl ResponseMode {
    /// The value of the login form's hidden field.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseMode::Query => "query",
            ResponseMode::Fragment => "fragment",
        }
    }
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

/// A request that passed every check.
#[derive(Clone, Debug)]
pub struct ValidRequest {
    /// The client.
    pub client_id: String,
    /// The redirect URI, as the client sent it.
    pub redirect_uri: String,
    /// The client's state, returned unchanged.
    pub state: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// Where the answer's parameters go.
    pub response_mode: ResponseMode,
}

/// Why an authorization request was refused.
pub enum AuthorizeError {
    /// The client or redirect URI is unknown: never redirect, show a page (RFC 6749 §4.1.2.1).
    NoRedirect(String),
    /// Everything else goes back to the client.
    Redirect {
        redirect_uri: String,
        response_mode: ResponseMode,
        state: Option<String>,
        error: &'static str,
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

fn is_pkce_value(value: &str) -> bool {
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
    Ok(ValidRequest {
        client_id,
        redirect_uri,
        state: state_value,
        scope: scopes.join(" "),
        code_challenge,
        response_mode,
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

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    org_name: &'a str,
    action: String,
    request: &'a ValidRequest,
    bsn: &'a str,
    error: Option<&'a str>,
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// What went wrong, for the citizen.
    pub message: String,
}

/// `GET /authorize`: the dev-login form, or a redirect to the upstream provider.
pub async fn authorize_get(State(state): State<AppState>, Query(params): Query<AuthorizeParams>) -> Response {
    let request = match validate(&state, &params) {
        Ok(request) => request,
        Err(e) => return refusal(&state, e),
    };
    if let Some(upstream) = &state.upstream {
        return upstream.start(&state, request).await;
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
    issue_code(&state, request, bsn)
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

/// Issues a code for an authenticated citizen and sends the browser back to the client.
pub fn issue_code(state: &AppState, request: ValidRequest, bsn: Bsn) -> Response {
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

/// A token request with an `Origin` must come from one of the client's `web_origins`.
fn check_origin(
    state: &AppState,
    form: &TokenForm,
    headers: &axum::http::HeaderMap,
) -> Result<(), (&'static str, String)> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or_default();
    let registered = state
        .config
        .clients
        .iter()
        .find(|c| Some(c.client_id.as_str()) == form.client_id.as_deref())
        .is_some_and(|c| c.web_origins.iter().any(|o| o == origin));
    if registered {
        Ok(())
    } else {
        Err((
            "invalid_client",
            format!("this client does not run at origin {origin:?}"),
        ))
    }
}

/// The token request (RFC 6749 §4.1.3 with PKCE).
#[derive(Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    code_verifier: Option<String>,
}

/// The token response.
#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    scope: String,
}

/// What an access token says.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    /// This server.
    pub iss: String,
    /// This organisation's id: a token is only valid here.
    pub aud: String,
    /// The citizen's BSN.
    pub sub: String,
    /// The client it was issued to.
    pub client_id: String,
    /// Granted scopes.
    pub scope: String,
    /// Issued at (seconds).
    pub iat: i64,
    /// Expires at (seconds).
    pub exp: i64,
    /// Unique id.
    pub jti: String,
}

/// `POST /token`.
pub async fn token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Err(wait) = state.limiter.check(
        Limited::Token,
        &state.client_key(peer, &headers),
        state.config.rate_limits.token_per_minute,
        Instant::now(),
    ) {
        let mut response = json_error(
            StatusCode::TOO_MANY_REQUESTS,
            "slow_down",
            "too many token requests; wait a minute",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return response;
    }
    // A form post is a "simple" request a browser sends without a preflight: refuse one from an
    // origin the client does not run at before the code is looked at, so no page elsewhere can
    // redeem (or burn) a code it intercepted.
    let outcome = check_origin(&state, &form, &headers).and_then(|()| redeem(&state, &form));
    let client_id = form.client_id.as_deref();
    match outcome {
        Ok((response, subject)) => {
            state.audit.record(&AuditEvent {
                time: state.now().to_rfc3339(),
                event: "token",
                client_id,
                subject: Some(&subject),
                outcome: "ok",
            }).await;
            let mut response = axum::Json(response).into_response();
            no_store(response.headers_mut());
            response
        }
        Err((error, description)) => {
            state.audit.record(&AuditEvent {
                time: state.now().to_rfc3339(),
                event: "token",
                client_id,
                subject: None,
                outcome: error,
            }).await;
            let mut response = json_error(StatusCode::BAD_REQUEST, error, &description);
            no_store(response.headers_mut());
            response
        }
    }
}

fn redeem(state: &AppState, form: &TokenForm) -> Result<(TokenResponse, String), (&'static str, String)> {
    if form.grant_type.as_deref() != Some("authorization_code") {
        return Err((
            "unsupported_grant_type",
            "only grant_type=authorization_code is supported".to_owned(),
        ));
    }
    let (Some(code), Some(redirect_uri), Some(client_id)) = (&form.code, &form.redirect_uri, &form.client_id) else {
        return Err((
            "invalid_request",
            "code, redirect_uri and client_id are required".to_owned(),
        ));
    };
    let Some(verifier) = form.code_verifier.as_deref() else {
        return Err(("invalid_request", "code_verifier is required (PKCE)".to_owned()));
    };
    // Removed on first use, whatever happens next: a code is never good twice.
    let issued = state.codes.lock().remove(code);
    let issued = issued.ok_or_else(|| {
        (
            "invalid_grant",
            "the code is unknown, was already used, or has expired".to_owned(),
        )
    })?;
    if issued.expires_at <= state.now() {
        return Err(("invalid_grant", "the code has expired".to_owned()));
    }
    if &issued.client_id != client_id || &issued.redirect_uri != redirect_uri {
        return Err((
            "invalid_grant",
            "the code was issued to another client or redirect_uri".to_owned(),
        ));
    }
    let computed = B64.encode(Sha256::digest(verifier.as_bytes()));
    if !is_pkce_value(verifier)
        || !bool::from(computed.as_bytes().ct_eq(issued.code_challenge.as_bytes()))
    {
        return Err((
            "invalid_grant",
            "the PKCE code_verifier does not match the code_challenge".to_owned(),
        ));
    }
    let now = state.now();
    let mut jti = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut jti);
    let claims = AccessClaims {
        iss: state.config.issuer(),
        aud: state.config.id.to_string(),
        sub: issued.bsn.to_string(),
        client_id: issued.client_id.clone(),
        scope: issued.scope.clone(),
        iat: now.timestamp(),
        exp: now.timestamp() + TOKEN_LIFETIME_SECONDS,
        jti: B64.encode(jti),
    };
    let payload = serde_json::to_vec(&claims).map_err(|e| ("server_error", e.to_string()))?;
    let access_token = state.signer.sign_compact(ACCESS_TOKEN_TYP, &payload);
    Ok((
        TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: TOKEN_LIFETIME_SECONDS,
            scope: issued.scope,
        },
        state.subject_hash(&issued.bsn),
    ))
}

/// `Cache-Control: no-store` for anything carrying a token or personal data.
pub fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// Why a bearer token was refused.
pub struct TokenRefused {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl IntoResponse for TokenRefused {
    fn into_response(self) -> Response {
        let mut response = json_error(self.status, self.error, &self.description);
        let challenge = format!(
            "Bearer error=\"{}\", error_description=\"{}\"",
            self.error,
            self.description.replace('"', "'")
        );
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// Checks the `Authorization: Bearer` token: our signature, our audience, not expired, and the
/// required scope. Returns the citizen.
pub fn authorize_bearer(
    state: &AppState,
    headers: &HeaderMap,
    scope: &str,
) -> Result<(Bsn, AccessClaims), TokenRefused> {
    let invalid = |description: &str| TokenRefused {
        status: StatusCode::UNAUTHORIZED,
        error: "invalid_token",
        description: description.to_owned(),
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| invalid("an Authorization: Bearer token is required"))?;
    let keys = [state.jwk.clone()];
    let (payload, _) = schemas::jws::verify_compact(token, ACCESS_TOKEN_TYP, &keys, state.now())
        .map_err(|_| invalid("the token was not issued by this server"))?;
    let claims: AccessClaims = serde_json::from_slice(&payload).map_err(|_| invalid("the token is malformed"))?;
    if claims.aud != state.config.id.as_str() || claims.iss != state.config.issuer() {
        return Err(invalid("the token is meant for another organisation"));
    }
    if claims.exp <= state.now().timestamp() {
        return Err(invalid("the token has expired; log in again"));
    }
    if !claims.scope.split(' ').any(|s| s == scope) {
        return Err(TokenRefused {
            status: StatusCode::FORBIDDEN,
            error: "insufficient_scope",
            description: format!("this needs scope {scope}"),
        });
    }
    let bsn = Bsn::parse(&claims.sub).map_err(|_| invalid("the token is malformed"))?;
    Ok((bsn, claims))
}

/// Pending codes, by code value.
pub type CodeStore = parking_lot::Mutex<HashMap<String, IssuedCode>>;
