//! Sessions: an OPAQUE login ends in a session key both sides hold; its base64url form is the
//! bearer token, and the vault keeps only the token's SHA-256.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use provider_api::wire::Credential;
use sha2::{Digest, Sha256};

use crate::failure::Failure;
use crate::state::AppState;
use crate::vault::PodId;

/// The SHA-256 of a bearer token, the only form of it the vault keeps.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The hash of a request's bearer token, if it has one.
pub fn bearer_hash(headers: &axum::http::HeaderMap) -> Option<[u8; 32]> {
    let token = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    Some(token_hash(token.trim()))
}

/// A request with a valid session.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    /// The session's pod.
    pub pod_id: PodId,
    /// What it may do.
    pub scope: Credential,
    /// Its token's hash.
    pub token_hash: [u8; 32],
}

impl Session {
    /// Refuses a recovery session where a full one is needed.
    pub fn full(&self) -> Result<PodId, Failure> {
        match self.scope {
            Credential::Passphrase => Ok(self.pod_id),
            Credential::Recovery => Err(Failure::forbidden(
                "a recovery login may only set a new passphrase; do that first, then log in with it",
            )),
        }
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let token_hash = bearer_hash(&parts.headers).ok_or_else(Failure::unauthenticated)?;
        let now = state.now();
        let row = state
            .vault
            .session(token_hash, now, state.session_idle())
            .await?
            .ok_or_else(Failure::unauthenticated)?;
        Ok(Session {
            pod_id: row.pod_id,
            scope: row.scope,
            token_hash,
        })
    }
}
