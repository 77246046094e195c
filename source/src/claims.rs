//! The resource endpoints: claims (signed, then encrypted to the citizen) and arrangements.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::SecondsFormat;
use rand::RngCore;
use schemas::arrangement::{
    ArrangementPart, ArrangementReceipt, ArrangementState, ArrangementStatus, ReceiptFormat, ReceiptTerms, StatusFormat,
};
use schemas::fcid::wire::OwnedEnvelope;
use schemas::ids::{Bsn, OrganisationId};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::arrangements::{StoredArrangement, apply_accepted};
use crate::audit::AuditEvent;
use crate::error::ApiError;
use crate::oauth::token::authorize_bearer;
use crate::ratelimit::Limited;
use crate::response::no_store;
use crate::state::{AppState, MAX_BODY_BYTES};

pub use schemas::protocol::{CLAIMS_TYP, ClaimsPayload, ClaimsRequest, RECEIPT_TYP, STATUS_TYP};

/// How long a claims answer is valid.
const CLAIMS_LIFETIME_SECONDS: i64 = 300;

/// [`ClaimsPayload`] as it is signed: the same members in the same order, borrowing the
/// document instead of copying it.
#[derive(Serialize)]
struct SignedClaims<'a> {
    iss: &'a str,
    sub_hash: &'a str,
    iat: i64,
    exp: i64,
    nonce: &'a str,
    recipient: &'a str,
    document: &'a serde_json::Value,
}

/// `POST /claims`: the citizen's document, signed as a JWS and encrypted to their recipient.
pub async fn claims(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let (bsn, token) = authorize_bearer(&state, &headers, "claims:read")?;
    let subject = state.subject_hash(&bsn);
    let audit = |outcome: &str| {
        state.audit.record(&AuditEvent {
            time: state.now().to_rfc3339(),
            event: "claims",
            client_id: Some(&token.client_id),
            subject: Some(&subject),
            outcome,
        })
    };
    if let Err(wait) = state.limiter.check(
        Limited::Claims,
        &subject,
        state.config.rate_limits.claims_per_minute,
        Instant::now(),
    ) {
        audit("rate_limited").await;
        return Err(ApiError::slow_down("too many fetches; wait a minute", wait));
    }
    let request: ClaimsRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!("the body must be {{\"recipient\": \"age1…\", \"nonce\": \"…\"}}: {e}"))
    })?;
    let recipient = request
        .recipient
        .parse::<age::x25519::Recipient>()
        .map_err(|_| ApiError::bad_request("recipient is not an age X25519 recipient (age1…)"))?;
    if !B64.decode(&request.nonce).is_ok_and(|n| (16..=64).contains(&n.len())) {
        return Err(ApiError::bad_request("nonce must be 16 to 64 bytes of base64url without padding"));
    }
    let document = match citizen_document(&state, &bsn, &subject) {
        Ok(document) => document,
        Err(e) => {
            tracing::error!(error = %e, "could not build a claim document");
            audit("server_error").await;
            return Err(ApiError::server_error("the claim document could not be produced"));
        }
    };
    let now = state.now().timestamp();
    let payload = SignedClaims {
        iss: state.config.id.as_str(),
        sub_hash: &subject,
        iat: now,
        exp: now + CLAIMS_LIFETIME_SECONDS,
        nonce: &request.nonce,
        recipient: &recipient.to_string(),
        document: &document,
    };
    let payload_bytes = serde_json::to_vec(&payload).map_err(|_| ApiError::server_error("serialisation failed"))?;
    let jws = state.signer.sign_compact(CLAIMS_TYP, &payload_bytes);
    let encrypted = age::encrypt(&recipient, jws.as_bytes()).map_err(|_| ApiError::server_error("encryption failed"))?;
    audit("ok").await;
    let mut response = (StatusCode::OK, [(header::CONTENT_TYPE, "application/age")], encrypted).into_response();
    no_store(response.headers_mut());
    Ok(response)
}

/// The citizen's document: from the backend, or an empty one (never a 404), with accepted
/// arrangements applied. It is validated before it leaves, so we never send an invalid one;
/// a backend's document that it validated itself, unchanged here, is not validated twice.
fn citizen_document(state: &AppState, bsn: &Bsn, subject: &str) -> anyhow::Result<Arc<serde_json::Value>> {
    let (document, validated) = match state.backend.document(bsn)? {
        Some(document) => (document, state.backend.documents_are_validated()),
        None => (
            Arc::new(serde_json::to_value(OwnedEnvelope::empty(
                state.config.id.clone(),
                bsn.clone(),
                state.now().fixed_offset(),
            ))?),
            false,
        ),
    };
    let mine: Vec<StoredArrangement> = state.arrangements.list_for(subject)?;
    if validated && mine.is_empty() {
        return Ok(document);
    }
    let document = apply_accepted(Arc::unwrap_or_clone(document), &mine)?;
    let checked =
        schemas::fcid::parse(&serde_json::to_vec(&document)?).map_err(|e| anyhow::anyhow!("invalid at {e}"))?;
    anyhow::ensure!(&checked.bsn == bsn, "the backend returned another citizen's document");
    Ok(Arc::new(document))
}

/// `POST /arrangements`: stores this organisation's part and answers with a signed receipt.
pub async fn submit_arrangement(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (bsn, token) = authorize_bearer(&state, &headers, "arrangement:submit")?;
    let subject = state.subject_hash(&bsn);
    let invalid = |e: schemas::document::InvalidDocument| ApiError::bad_request(format!("invalid arrangement part at {e}"));
    let part: ArrangementPart = schemas::document::from_json(&body, MAX_BODY_BYTES).map_err(invalid)?;
    part.check().map_err(invalid)?;
    if part.organisation.as_str() != state.config.id.as_str() {
        return Err(ApiError::bad_request("this part is addressed to another organisation"));
    }
    let now = state.now().fixed_offset();
    let mut id = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let receipt_id: String = hex::encode(id);
    let part_sha256: String = hex::encode(Sha256::digest(&body));
    let stored = StoredArrangement {
        receipt_id: receipt_id.clone(),
        subject_hash: subject.clone(),
        client_id: token.client_id.clone(),
        received_at: now,
        part_sha256: part_sha256.clone(),
        part: part.clone(),
        state: ArrangementState::Received,
        reason: None,
        updated_at: now,
    };
    let per_day = state.config.rate_limits.arrangements_per_day;
    match state.arrangements.save_within_quota(&stored, per_day) {
        Ok(true) => {}
        Ok(false) => {
            state.audit.record(&AuditEvent {
                time: now.to_rfc3339_opts(SecondsFormat::Secs, true),
                event: "arrangement_submit",
                client_id: Some(&token.client_id),
                subject: Some(&subject),
                outcome: "quota",
            }).await;
            let tomorrow = (now.with_timezone(&chrono::Utc).date_naive() + chrono::Days::new(1))
                .and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc());
            let wait = tomorrow.map_or(3600, |t| (t - now.with_timezone(&chrono::Utc)).num_seconds().max(1));
            return Err(ApiError::slow_down(
                format!("at most {per_day} arrangement requests per day; try again tomorrow"),
                wait as u64,
            ));
        }
        Err(e) => {
            tracing::error!(error = %e, "could not store an arrangement");
            return Err(ApiError::server_error("the arrangement could not be stored; try again"));
        }
    }
    let organisation = OrganisationId::parse(state.config.id.as_str())
        .map_err(|_| ApiError::server_error("misconfigured organisation id"))?;
    let receipt = ArrangementReceipt {
        format: ReceiptFormat,
        receipt_id: receipt_id.clone(),
        arrangement_id: part.arrangement_id.clone(),
        organisation,
        received_at: now,
        part_sha256,
        terms: ReceiptTerms {
            start_month: part.start_month.clone(),
            term_months: part.term_months,
            monthly_cents: part.monthly_cents,
            pause: part.pause.clone(),
            claims: part.claims.clone(),
        },
        state: ArrangementState::Received,
    };
    state.audit.record(&AuditEvent {
        time: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        event: "arrangement_submit",
        client_id: Some(&token.client_id),
        subject: Some(&subject),
        outcome: "ok",
    }).await;
    signed_response(&state, StatusCode::CREATED, RECEIPT_TYP, &receipt, Some(&receipt_id))
}

/// `GET /arrangements/{id}`: the current signed status, for the same citizen only.
pub async fn arrangement_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (bsn, token) = authorize_bearer(&state, &headers, "arrangement:submit")?;
    let subject = state.subject_hash(&bsn);
    // Someone else's arrangement looks exactly like a missing one.
    let stored = match state.arrangements.load_for(&subject, &id) {
        Ok(Some(stored)) => stored,
        Ok(_) => return Err(ApiError::not_found("no such arrangement")),
        Err(e) => {
            tracing::error!(error = %e, "could not read an arrangement");
            return Err(ApiError::server_error("the arrangement could not be read"));
        }
    };
    let status = ArrangementStatus {
        format: StatusFormat,
        receipt_id: stored.receipt_id.clone(),
        arrangement_id: stored.part.arrangement_id.clone(),
        organisation: stored.part.organisation.clone(),
        state: stored.state,
        reason: stored.reason.clone(),
        updated_at: stored.updated_at,
    };
    state.audit.record(&AuditEvent {
        time: state.now().to_rfc3339(),
        event: "arrangement_status",
        client_id: Some(&token.client_id),
        subject: Some(&subject),
        outcome: "ok",
    }).await;
    signed_response(&state, StatusCode::OK, STATUS_TYP, &status, None)
}

fn signed_response<T: Serialize>(
    state: &AppState,
    status: StatusCode,
    typ: &str,
    value: &T,
    location_id: Option<&str>,
) -> Result<Response, ApiError> {
    let payload = serde_json::to_vec(value).map_err(|_| ApiError::server_error("serialisation failed"))?;
    let jws = state.signer.sign_compact(typ, &payload);
    let mut response = (status, [(header::CONTENT_TYPE, "application/jwt")], jws).into_response();
    if let Some(id) = location_id
        && let Ok(value) = HeaderValue::from_str(&state.config.endpoint(&format!("/arrangements/{id}")))
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    no_store(response.headers_mut());
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_form_is_exactly_the_claims_payload() {
        let document = serde_json::json!({"type": "FINANCIAL_CLAIMS_INFORMATION_DOCUMENT", "body": {"bsn": "999993653"}});
        let signed = serde_json::to_vec(&SignedClaims {
            iss: "00000001001234567000",
            sub_hash: "h",
            iat: 1,
            exp: 301,
            nonce: "n",
            recipient: "age1x",
            document: &document,
        })
        .unwrap();
        let payload: ClaimsPayload = serde_json::from_slice(&signed).unwrap();
        assert_eq!(payload.document, document);
        assert_eq!(serde_json::to_vec(&payload).unwrap(), signed, "same members, same order, same bytes");
    }
}
