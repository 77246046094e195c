//! The one signing format for our own documents: Ed25519 JWS (RFC 7515, `alg` = `EdDSA`) with a
//! detached payload, over the document's canonical JSON without its `signature` field.
//!
//! A signed document looks like `{"…": …, "signature": "<header>..<signature>"}`. The signing
//! input is `base64url(header) "." base64url(canonical_json(document − signature))`.
//! Canonical JSON: no whitespace, object keys sorted by byte order, strings escaped as
//! serde_json does; our documents carry integers only, never floats.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, FixedOffset, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// An Ed25519 public key as an OKP JWK (RFC 8037), with Betaalpod's validity fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jwk {
    /// Always `OKP`.
    pub kty: String,
    /// Always `Ed25519`.
    pub crv: String,
    /// The 32-byte public key, base64url without padding.
    pub x: String,
    /// Key id, unique within its owner's key set.
    pub kid: String,
    /// `EdDSA` when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// `sig` when present.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    /// After this moment the key no longer verifies anything.
    #[serde(
        default,
        with = "crate::fcid::wire::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub not_after: Option<DateTime<FixedOffset>>,
    /// A revoked key never verifies anything.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub revoked: bool,
}

impl Jwk {
    /// The public JWK of `key`, valid until `not_after` (or with no end).
    pub fn from_verifying_key(
        key: &VerifyingKey,
        kid: impl Into<String>,
        not_after: Option<DateTime<FixedOffset>>,
    ) -> Self {
        Self {
            kty: "OKP".to_owned(),
            crv: "Ed25519".to_owned(),
            x: B64.encode(key.as_bytes()),
            kid: kid.into(),
            alg: Some("EdDSA".to_owned()),
            key_use: Some("sig".to_owned()),
            not_after,
            revoked: false,
        }
    }

    /// Decodes the key, refusing anything that is not a valid Ed25519 OKP key.
    pub fn verifying_key(&self) -> Result<VerifyingKey, JwsError> {
        let bad = |why: &str| JwsError::BadKey {
            kid: self.kid.clone(),
            why: why.to_owned(),
        };
        if self.kty != "OKP" || self.crv != "Ed25519" {
            return Err(bad("only OKP keys on curve Ed25519 are accepted"));
        }
        if self.alg.as_deref().is_some_and(|alg| alg != "EdDSA") {
            return Err(bad("alg must be EdDSA"));
        }
        if self.key_use.as_deref().is_some_and(|u| u != "sig") {
            return Err(bad("use must be sig"));
        }
        let bytes: [u8; 32] = B64
            .decode(&self.x)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad("x is not 32 bytes of base64url"))?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| bad("x is not a valid Ed25519 point"))?;
        if key.is_weak() {
            return Err(bad("x is a weak (small-order) key"));
        }
        Ok(key)
    }

    /// Whether the key may verify signatures at `now`: not revoked and not expired.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        !self.revoked && self.not_after.is_none_or(|end| now < end)
    }

    /// The RFC 7638 thumbprint: SHA-256 over the key's required members, base64url. This is the
    /// fingerprint a citizen compares when pinning an organisation.
    pub fn fingerprint(&self) -> String {
        let members = serde_json::json!({"crv": self.crv, "kty": self.kty, "x": self.x});
        B64.encode(Sha256::digest(canonical_json(&members).as_bytes()))
    }
}

/// A private signing key with its key id.
pub struct Signer {
    kid: String,
    key: SigningKey,
}

impl Signer {
    /// Wraps an Ed25519 signing key under `kid`.
    pub fn new(kid: impl Into<String>, key: SigningKey) -> Self {
        Self { kid: kid.into(), key }
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK for this key.
    pub fn public_jwk(&self, not_after: Option<DateTime<FixedOffset>>) -> Jwk {
        Jwk::from_verifying_key(&self.key.verifying_key(), self.kid.clone(), not_after)
    }

    /// Signs `payload`, returning a compact JWS with a detached payload (`header..signature`).
    pub fn sign_detached(&self, payload: &[u8]) -> String {
        let header = serde_json::json!({"alg": "EdDSA", "kid": self.kid});
        let header_b64 = B64.encode(canonical_json(&header));
        let signing_input = format!("{header_b64}.{}", B64.encode(payload));
        let signature = self.key.sign(signing_input.as_bytes());
        format!("{header_b64}..{}", B64.encode(signature.to_bytes()))
    }

    /// Signs `payload` as a compact JWS (`header.payload.signature`) with header
    /// `{"alg":"EdDSA","kid":…,"typ":typ}`.
    pub fn sign_compact(&self, typ: &str, payload: &[u8]) -> String {
        let header = serde_json::json!({"alg": "EdDSA", "kid": self.kid, "typ": typ});
        let signing_input = format!("{}.{}", B64.encode(canonical_json(&header)), B64.encode(payload));
        let signature = self.key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", B64.encode(signature.to_bytes()))
    }

    /// Signs a document: the detached JWS over its canonical JSON without `signature`.
    pub fn sign_document<T: Serialize>(&self, document: &T) -> Result<String, JwsError> {
        Ok(self.sign_detached(&signing_payload(document)?))
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// Why a signature or key was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    /// The document has no signature.
    #[error("the document is not signed")]
    Missing,
    /// The JWS is not a detached compact JWS we accept.
    #[error("the signature is malformed: {0}")]
    Malformed(String),
    /// No trusted key has this kid.
    #[error("the document was signed with key {0:?}, which is not among the trusted keys")]
    UnknownKey(String),
    /// The key is revoked or past its `not_after`.
    #[error("the signing key {0:?} is revoked or expired")]
    InactiveKey(String),
    /// The key itself is unusable.
    #[error("key {kid:?} is unusable: {why}")]
    BadKey {
        /// The key's id.
        kid: String,
        /// What is wrong.
        why: String,
    },
    /// The signature does not match the document: it was changed, or signed by another key.
    #[error("the signature does not match: the document was changed or signed by another key")]
    BadSignature,
    /// The document could not be serialised.
    #[error("the document could not be serialised: {0}")]
    Serialize(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    alg: String,
    kid: String,
    #[serde(default)]
    typ: Option<String>,
}

/// Verifies a compact JWS whose header `typ` must equal `typ`, with one of `keys` chosen by
/// `kid`. Returns the verified payload bytes and the key that verified them.
pub fn verify_compact<'k>(
    jws: &str,
    typ: &str,
    keys: &'k [Jwk],
    now: DateTime<Utc>,
) -> Result<(Vec<u8>, &'k Jwk), JwsError> {
    const MAX_COMPACT_BYTES: usize = 8 * 1024 * 1024;
    if jws.len() > MAX_COMPACT_BYTES {
        return Err(JwsError::Malformed(format!("longer than {MAX_COMPACT_BYTES} bytes")));
    }
    let mut parts = jws.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed(
            "expected a compact JWS: header.payload.signature".to_owned(),
        ));
    };
    let header = read_header(header_b64)?;
    if header.typ.as_deref() != Some(typ) {
        return Err(JwsError::Malformed(format!("typ must be {typ:?}")));
    }
    let payload = B64
        .decode(payload_b64)
        .map_err(|_| JwsError::Malformed("the payload is not base64url".to_owned()))?;
    let jwk = check_signature(header_b64, payload_b64, &header, signature_b64, keys, now)?;
    Ok((payload, jwk))
}

fn read_header(header_b64: &str) -> Result<Header, JwsError> {
    let header_bytes = B64
        .decode(header_b64)
        .map_err(|_| JwsError::Malformed("the header is not base64url".to_owned()))?;
    let header: Header =
        serde_json::from_slice(&header_bytes).map_err(|e| JwsError::Malformed(format!("the header: {e}")))?;
    if header.alg != "EdDSA" {
        return Err(JwsError::Malformed(format!(
            "alg {:?} is not accepted; only EdDSA is",
            crate::ids::truncate(&header.alg)
        )));
    }
    Ok(header)
}

fn check_signature<'k>(
    header_b64: &str,
    payload_b64: &str,
    header: &Header,
    signature_b64: &str,
    keys: &'k [Jwk],
    now: DateTime<Utc>,
) -> Result<&'k Jwk, JwsError> {
    let signature: [u8; 64] = B64
        .decode(signature_b64)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| JwsError::Malformed("the signature is not 64 bytes of base64url".to_owned()))?;
    let jwk = keys
        .iter()
        .find(|k| k.kid == header.kid)
        .ok_or_else(|| JwsError::UnknownKey(crate::ids::truncate(&header.kid)))?;
    if !jwk.is_active(now) {
        return Err(JwsError::InactiveKey(jwk.kid.clone()));
    }
    let key = jwk.verifying_key()?;
    let signing_input = format!("{header_b64}.{payload_b64}");
    key.verify_strict(signing_input.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| JwsError::BadSignature)?;
    Ok(jwk)
}

/// Verifies a detached compact JWS over `payload` with one of `keys`, chosen by `kid`.
/// Returns the key that verified it.
pub fn verify_detached<'k>(
    jws: &str,
    payload: &[u8],
    keys: &'k [Jwk],
    now: DateTime<Utc>,
) -> Result<&'k Jwk, JwsError> {
    const MAX_JWS_BYTES: usize = 2048;
    if jws.len() > MAX_JWS_BYTES {
        return Err(JwsError::Malformed(format!("longer than {MAX_JWS_BYTES} bytes")));
    }
    let mut parts = jws.split('.');
    let (Some(header_b64), Some(""), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed(
            "expected a detached compact JWS: header..signature".to_owned(),
        ));
    };
    let header = read_header(header_b64)?;
    check_signature(header_b64, &B64.encode(payload), &header, signature_b64, keys, now)
}

/// Verifies a signed document: its `signature` field against its other fields.
pub fn verify_document<'k, T: Serialize>(
    document: &T,
    keys: &'k [Jwk],
    now: DateTime<Utc>,
) -> Result<&'k Jwk, JwsError> {
    let mut value = serde_json::to_value(document).map_err(|e| JwsError::Serialize(e.to_string()))?;
    let signature = match value.as_object_mut().and_then(|o| o.remove("signature")) {
        Some(Value::String(s)) => s,
        _ => return Err(JwsError::Missing),
    };
    verify_detached(&signature, canonical_json(&value).as_bytes(), keys, now)
}

/// The bytes a document's signature covers: its canonical JSON without `signature`.
pub fn signing_payload<T: Serialize>(document: &T) -> Result<Vec<u8>, JwsError> {
    let mut value = serde_json::to_value(document).map_err(|e| JwsError::Serialize(e.to_string()))?;
    if let Some(object) = value.as_object_mut() {
        object.remove("signature");
    }
    Ok(canonical_json(&value).into_bytes())
}

/// Canonical JSON: compact, object keys sorted by byte order at every level.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, inner)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(inner, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, inner) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(inner, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(seed: u8) -> Signer {
        Signer::new(format!("k{seed}"), SigningKey::from_bytes(&[seed; 32]))
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let value = serde_json::json!({"b": 1, "a": {"d": [true, null], "c": "é\n"}});
        assert_eq!(canonical_json(&value), r#"{"a":{"c":"é\n","d":[true,null]},"b":1}"#);
    }

    #[test]
    fn detached_signature_round_trip_and_tamper() {
        let s = signer(1);
        let keys = [s.public_jwk(None)];
        let jws = s.sign_detached(b"payload");
        let now = Utc::now();
        assert_eq!(verify_detached(&jws, b"payload", &keys, now).unwrap().kid, "k1");
        assert_eq!(
            verify_detached(&jws, b"payloaD", &keys, now),
            Err(JwsError::BadSignature)
        );
        let other = [signer(2).public_jwk(None)];
        assert!(matches!(
            verify_detached(&jws, b"payload", &other, now),
            Err(JwsError::UnknownKey(_))
        ));
        let mut revoked = keys.clone();
        revoked[0].revoked = true;
        assert_eq!(
            verify_detached(&jws, b"payload", &revoked, now),
            Err(JwsError::InactiveKey("k1".into()))
        );
        let expired = [s.public_jwk(Some((now - chrono::Duration::seconds(1)).fixed_offset()))];
        assert_eq!(
            verify_detached(&jws, b"payload", &expired, now),
            Err(JwsError::InactiveKey("k1".into()))
        );
    }

    #[test]
    fn refuses_other_algorithms_and_shapes() {
        let s = signer(1);
        let keys = [s.public_jwk(None)];
        let now = Utc::now();
        let jws = s.sign_detached(b"p");
        let sig = jws.split("..").nth(1).unwrap();
        let none_header = B64.encode(r#"{"alg":"none","kid":"k1"}"#);
        assert!(matches!(
            verify_detached(&format!("{none_header}..{sig}"), b"p", &keys, now),
            Err(JwsError::Malformed(_))
        ));
        let attached = jws.replacen("..", &format!(".{}.", B64.encode(b"p")), 1);
        assert!(matches!(
            verify_detached(&attached, b"p", &keys, now),
            Err(JwsError::Malformed(_))
        ));
        assert!(matches!(
            verify_detached("", b"p", &keys, now),
            Err(JwsError::Malformed(_))
        ));
    }

    #[test]
    fn compact_round_trip_checks_typ_and_signature() {
        let s = signer(4);
        let keys = [s.public_jwk(None)];
        let now = Utc::now();
        let jws = s.sign_compact("betaalpod-claims+jwt", b"{\"a\":1}");
        let (payload, key) = verify_compact(&jws, "betaalpod-claims+jwt", &keys, now).unwrap();
        assert_eq!((payload.as_slice(), key.kid.as_str()), (b"{\"a\":1}".as_slice(), "k4"));
        assert!(matches!(
            verify_compact(&jws, "at+jwt", &keys, now),
            Err(JwsError::Malformed(_))
        ));
        let mut parts: Vec<&str> = jws.split('.').collect();
        let forged = B64.encode(b"{\"a\":2}");
        parts[1] = &forged;
        assert_eq!(
            verify_compact(&parts.join("."), "betaalpod-claims+jwt", &keys, now),
            Err(JwsError::BadSignature)
        );
    }

    #[test]
    fn jwk_checks_curve_and_length() {
        let mut jwk = signer(3).public_jwk(None);
        assert!(jwk.verifying_key().is_ok());
        assert_eq!(jwk.fingerprint().len(), 43);
        jwk.crv = "X25519".into();
        assert!(jwk.verifying_key().is_err());
        jwk.crv = "Ed25519".into();
        jwk.x = B64.encode([1u8; 31]);
        assert!(jwk.verifying_key().is_err());
    }
}
