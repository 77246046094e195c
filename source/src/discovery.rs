//! The documents that describe this organisation: OAuth metadata (RFC 8414), the Betaalpod
//! descriptor and the key list.

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// `GET /.well-known/oauth-authorization-server`: the authorization server's metadata (RFC 8414).
pub async fn metadata(State(state): State<AppState>) -> Response {
    let config = &state.config;
    axum::Json(serde_json::json!({
        "issuer": config.issuer(),
        "authorization_endpoint": config.endpoint("/authorize"),
        "token_endpoint": config.endpoint("/token"),
        "jwks_uri": config.endpoint("/jwks.json"),
        "scopes_supported": crate::oauth::grants::SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "authorization_response_iss_parameter_supported": true,
    }))
    .into_response()
}

/// `GET /.well-known/betaalpod-source`: this organisation's descriptor.
pub async fn descriptor(State(state): State<AppState>) -> Response {
    match state.descriptor() {
        Ok(descriptor) => axum::Json(descriptor).into_response(),
        Err(e) => ApiError::server_error(e.to_string()).into_response(),
    }
}

/// `GET /jwks.json`: the keys this organisation signs with.
pub async fn jwks(State(state): State<AppState>) -> Response {
    axum::Json(serde_json::json!({ "keys": [state.jwk] })).into_response()
}
