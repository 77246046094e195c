//! `POST /token` (code for access token) and the bearer check of the resource endpoints.
use subtle::ConstantTimeEq as _;
use std::net::SocketAddr;
use std::time::Instant;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::RngCore;
use schemas::ids::Bsn;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::AuditEvent;
use crate::ratelimit::Limited;
use crate::error::ApiError;
use crate::response::no_store;
use crate::state::AppState;

use super::request::is_pkce_value;
use super::grants::{ACCESS_TOKEN_TYP, TOKEN_LIFETIME_SECONDS};

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
) -> Result<Response, ApiError> {
    if let Err(wait) = state.limiter.check(
        Limited::Token,
        &state.client_key(peer, &headers),
        state.config.rate_limits.token_per_minute,
        Instant::now(),
    ) {
        return Err(ApiError::slow_down("too many token requests; wait a minute", wait));
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
            Ok(response)
        }
        Err((error, description)) => {
            state.audit.record(&AuditEvent {
                time: state.now().to_rfc3339(),
                event: "token",
                client_id,
                subject: None,
                outcome: error,
            }).await;
            Err(ApiError::new(StatusCode::BAD_REQUEST, error, description).no_store())
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

/// Checks the `Authorization: Bearer` token: our signature, our audience, not expired, and the
/// required scope. Returns the citizen.
pub fn authorize_bearer(
    state: &AppState,
    headers: &HeaderMap,
    scope: &str,
) -> Result<(Bsn, AccessClaims), ApiError> {
    let invalid = |description: &str| ApiError::bearer(StatusCode::UNAUTHORIZED, "invalid_token", description);
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
        return Err(ApiError::bearer(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("this needs scope {scope}"),
        ));
    }
    let bsn = Bsn::parse(&claims.sub).map_err(|_| invalid("the token is malformed"))?;
    Ok((bsn, claims))
}
