//! Every check on what an organisation answers: decrypt a claims answer with the citizen's key,
//! verify its JWS against the pinned keys, bind it to this organisation, recipient, nonce and
//! time, and validate the FCID document; verify signed receipts and statuses. The native
//! fetcher and the browser run this same code.

use std::time::Duration;

use age::x25519;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use schemas::descriptor::OrganisationDescriptor;
use schemas::fcid;

use crate::problem::Problem;

pub use schemas::protocol::{CLAIMS_TYP, RECEIPT_TYP, STATUS_TYP};
use schemas::protocol::ClaimsPayload;

/// Larger answers are refused before they are decrypted.
pub const MAX_RESPONSE_BYTES: usize = fcid::MAX_DOCUMENT_BYTES;

/// What a claims answer must be bound to.
pub struct Expected<'a> {
    /// The pinned organisation it must come from.
    pub org: &'a OrganisationDescriptor,
    /// The nonce the pod sent with the claims request.
    pub nonce: &'a str,
    /// The time to judge `iat` and `exp` at.
    pub now: DateTime<Utc>,
    /// The allowed clock difference.
    pub skew: Duration,
}

/// Decrypts a claims answer with `identity` and checks it against `expected`.
pub fn verify_claims(
    identity: &x25519::Identity,
    expected: &Expected<'_>,
    raw: &[u8],
) -> Result<fcid::Document, Problem> {
    if raw.len() > MAX_RESPONSE_BYTES {
        return Err(Problem::TooLarge);
    }
    let jws = age::decrypt(identity, raw).map_err(|_| Problem::NotForThisPod)?;
    let jws = std::str::from_utf8(&jws).map_err(|_| Problem::BadSignature)?;
    let org = expected.org;
    let now = expected.now;
    let (payload, _) = schemas::jws::verify_compact(jws, CLAIMS_TYP, &org.keys, now).map_err(signature_problem)?;
    let payload: ClaimsPayload = serde_json::from_slice(&payload).map_err(|e| Problem::InvalidDocument {
        path: "$".to_owned(),
        problem: format!("the signed answer is malformed: {e}"),
    })?;
    if payload.iss != org.id.as_str() {
        return Err(Problem::WrongIssuer(payload.iss));
    }
    if payload.recipient != identity.to_public().to_string() {
        return Err(Problem::Replayed("it was made for another recipient".to_owned()));
    }
    if payload.nonce != expected.nonce {
        return Err(Problem::Replayed("the nonce is not the one we sent".to_owned()));
    }
    let skew = expected.skew.as_secs() as i64;
    if payload.exp < now.timestamp() - skew {
        return Err(Problem::Replayed("it has expired".to_owned()));
    }
    if payload.iat > now.timestamp() + skew {
        return Err(Problem::Replayed("it claims to be made in the future".to_owned()));
    }
    let document = parse_document(&payload.document)?;
    if document.supplied_by.as_str() != org.id.as_str() {
        return Err(Problem::WrongIssuer(document.supplied_by.to_string()));
    }
    Ok(document)
}

/// Reads the FCID document back out of a stored answer: the JWS the pod decrypted from the
/// organisation's age file. The signature was checked when it was fetched.
pub fn stored_document(jws: &[u8]) -> Result<fcid::Document, Problem> {
    let malformed = |why: &str| Problem::InvalidDocument {
        path: "$".to_owned(),
        problem: why.to_owned(),
    };
    let text = std::str::from_utf8(jws).map_err(|_| malformed("the stored answer is not text"))?;
    let payload_b64 = text
        .split('.')
        .nth(1)
        .ok_or_else(|| malformed("the stored answer is not a JWS"))?;
    let payload = B64
        .decode(payload_b64)
        .map_err(|_| malformed("the stored answer's payload is not base64url"))?;
    let payload: ClaimsPayload = serde_json::from_slice(&payload).map_err(|e| malformed(&e.to_string()))?;
    parse_document(&payload.document)
}

/// Reads a stored answer again as [`verify_claims`] did when it arrived, without the checks that
/// belong to the moment of fetching (the nonce, and the time window): the signature against the
/// organisation's pinned keys as they were when it was signed, the issuer, the recipient (one
/// this pod has had, so a document from before a key rotation stays genuine) and the FCID
/// document. A record that fails this was not fetched from `org` by this pod.
pub fn verify_stored(
    org: &OrganisationDescriptor,
    recipients: &crate::recipients::Recipients,
    jws: &[u8],
) -> Result<fcid::Document, Problem> {
    let malformed = |why: String| Problem::InvalidDocument {
        path: "$".to_owned(),
        problem: why,
    };
    let text = std::str::from_utf8(jws).map_err(|_| malformed("the stored answer is not text".to_owned()))?;
    // The time to judge the key at is the time the organisation signed; the signature covers it.
    let payload_b64 = text.split('.').nth(1).ok_or_else(|| malformed("the stored answer is not a JWS".to_owned()))?;
    let unverified: ClaimsPayload = B64
        .decode(payload_b64)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| malformed("the stored answer's payload is malformed".to_owned()))?;
    let signed_at = DateTime::from_timestamp(unverified.iat, 0).ok_or_else(|| malformed("iat is out of range".to_owned()))?;
    let (payload, _) = schemas::jws::verify_compact(text, CLAIMS_TYP, &org.keys, signed_at).map_err(signature_problem)?;
    let payload: ClaimsPayload =
        serde_json::from_slice(&payload).map_err(|e| malformed(format!("the signed answer is malformed: {e}")))?;
    if payload.iss != org.id.as_str() {
        return Err(Problem::WrongIssuer(payload.iss));
    }
    if !recipients.contains(&payload.recipient) {
        return Err(Problem::Replayed("it was made for another recipient".to_owned()));
    }
    let document = parse_document(&payload.document)?;
    if document.supplied_by.as_str() != org.id.as_str() {
        return Err(Problem::WrongIssuer(document.supplied_by.to_string()));
    }
    Ok(document)
}

/// A stored document as the overview and the matter page read it: checked again with
/// [`verify_stored`] when its organisation is pinned in `scheme` (an organisation that is no
/// longer pinned is not shown, and its documents are only read back).
pub fn document_at_rest(
    scheme: &crate::scheme::LocalScheme,
    source: &str,
    recipients: &crate::recipients::Recipients,
    jws: &[u8],
) -> Result<fcid::Document, Problem> {
    match scheme.organisations.iter().find(|org| org.id.as_str() == source) {
        Some(org) => verify_stored(org, recipients, jws),
        None => stored_document(jws),
    }
}

/// Verifies a signed receipt or status (`typ` [`RECEIPT_TYP`] or [`STATUS_TYP`]) against the
/// organisation's pinned keys at `now`, and reads its payload.
pub fn verify_signed<T: serde::de::DeserializeOwned>(
    org: &OrganisationDescriptor,
    jws: &str,
    typ: &str,
    now: DateTime<Utc>,
) -> Result<T, Problem> {
    let (payload, _) = schemas::jws::verify_compact(jws, typ, &org.keys, now).map_err(signature_problem)?;
    serde_json::from_slice(&payload).map_err(|e| Problem::InvalidDocument {
        path: "$".to_owned(),
        problem: e.to_string(),
    })
}

/// SHA-256 of `bytes` in lower-case hex, as the transparency log records it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn parse_document(document: &serde_json::Value) -> Result<fcid::Document, Problem> {
    let bytes = serde_json::to_vec(document).map_err(|e| Problem::InvalidDocument {
        path: "$".to_owned(),
        problem: e.to_string(),
    })?;
    fcid::parse(&bytes).map_err(|e| Problem::InvalidDocument {
        path: e.path,
        problem: e.problem,
    })
}

fn signature_problem(error: schemas::jws::JwsError) -> Problem {
    match error {
        schemas::jws::JwsError::UnknownKey(kid) | schemas::jws::JwsError::InactiveKey(kid) => {
            Problem::UntrustedKey(kid)
        }
        _ => Problem::BadSignature,
    }
}

/// Verifies an organisation's signed receipt for a part: signed with its pinned keys, naming
/// this organisation, in state `received`, and for exactly the bytes that were sent.
pub fn verify_receipt(
    org: &OrganisationDescriptor,
    jws: &str,
    sent: &[u8],
    now: DateTime<Utc>,
) -> Result<schemas::arrangement::ArrangementReceipt, Problem> {
    let receipt: schemas::arrangement::ArrangementReceipt = verify_signed(org, jws, RECEIPT_TYP, now)?;
    if receipt.part_sha256 != sha256_hex(sent) {
        return Err(Problem::Replayed("the receipt is for other bytes than the part we sent".to_owned()));
    }
    if receipt.organisation.as_str() != org.id.as_str()
        || receipt.state != schemas::arrangement::ArrangementState::Received
    {
        return Err(Problem::WrongIssuer(receipt.organisation.to_string()));
    }
    Ok(receipt)
}

/// Verifies an organisation's signed status of the submission `receipt_id`.
pub fn verify_status(
    org: &OrganisationDescriptor,
    jws: &str,
    receipt_id: &str,
    now: DateTime<Utc>,
) -> Result<schemas::arrangement::ArrangementStatus, Problem> {
    let status: schemas::arrangement::ArrangementStatus = verify_signed(org, jws, STATUS_TYP, now)?;
    if status.receipt_id != receipt_id {
        return Err(Problem::Replayed("the status is for another submission".to_owned()));
    }
    Ok(status)
}
