//! The one signing format for our own documents: Ed25519 JWS (RFC 7515, `alg` = `EdDSA`) with a
//! detached payload, over the document's canonical JSON without its `signature` field.
//!
//! A signed document looks like `{"…": …, "signature": "<header>..<signature>"}`. The signing
//! input is `base64url(header) "." base64url(canonical_json(document − signature))`.
//!
//! Canonical JSON is RFC 8785 (JCS) restricted to what our documents hold: strings, booleans,
//! null, arrays, objects and integers from −(2^53−1) to 2^53−1. Any other number is refused
//! ([`JwsError::UnsupportedNumber`]) rather than written, so every JCS library gives the same
//! bytes. docs/PROTOCOL.md ("Canonical JSON (RFC 8785)") states the rules;
//! `schemas/tests/vectors/canonical-json.json` holds test vectors for other implementations.

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
        let members = canonical_strings(&[("crv", &self.crv), ("kty", &self.kty), ("x", &self.x)]);
        B64.encode(Sha256::digest(members.as_bytes()))
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
        let header_b64 = B64.encode(canonical_strings(&[("alg", "EdDSA"), ("kid", &self.kid)]));
        let signing_input = format!("{header_b64}.{}", B64.encode(payload));
        let signature = self.key.sign(signing_input.as_bytes());
        format!("{header_b64}..{}", B64.encode(signature.to_bytes()))
    }

    /// Signs `payload` as a compact JWS (`header.payload.signature`) with header
    /// `{"alg":"EdDSA","kid":…,"typ":typ}`.
    pub fn sign_compact(&self, typ: &str, payload: &[u8]) -> String {
        let header = canonical_strings(&[("alg", "EdDSA"), ("kid", &self.kid), ("typ", typ)]);
        let signing_input = format!("{}.{}", B64.encode(header), B64.encode(payload));
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
    /// The document holds a number that canonical JSON does not carry: a fraction, an exponent,
    /// `-0`, or an integer beyond ±(2^53−1). Such a document can be neither signed nor verified.
    #[error(
        "the number {number} at {path} cannot be signed or verified: signed documents may hold only \
         integers from -9007199254740991 to 9007199254740991 (±(2^53-1)), without fraction or \
         exponent (canonical JSON, RFC 8785)"
    )]
    UnsupportedNumber {
        /// Where the number is, such as `$.version`.
        path: String,
        /// The number as serde_json writes it.
        number: String,
    },
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
    verify_detached(&signature, canonical_json(&value)?.as_bytes(), keys, now)
}

/// The bytes a document's signature covers: its canonical JSON without `signature`.
pub fn signing_payload<T: Serialize>(document: &T) -> Result<Vec<u8>, JwsError> {
    let mut value = serde_json::to_value(document).map_err(|e| JwsError::Serialize(e.to_string()))?;
    if let Some(object) = value.as_object_mut() {
        object.remove("signature");
    }
    Ok(canonical_json(&value)?.into_bytes())
}

/// The largest integer canonical JSON carries, 2^53−1: beyond it an IEEE 754 double, and so
/// RFC 8785's ECMAScript number form, no longer holds every integer exactly.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Canonical JSON per RFC 8785 (JCS): no whitespace; object keys sorted by their UTF-16 code
/// units at every level; strings escaped only where RFC 8785 requires it; integers as plain
/// decimals. Refuses any number other than an integer within ±[`MAX_SAFE_INTEGER`]
/// ([`JwsError::UnsupportedNumber`], naming its JSON path).
pub fn canonical_json(value: &Value) -> Result<String, JwsError> {
    let mut out = String::new();
    write_canonical(value, &mut Vec::new(), &mut out)?;
    Ok(out)
}

/// One step of a JSON path, kept only to name a refused number.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn write_canonical<'a>(value: &'a Value, path: &mut Vec<Step<'a>>, out: &mut String) -> Result<(), JwsError> {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // RFC 8785 §3.2.3: UTF-16 code units, which differ from UTF-8 byte order when keys
            // mix characters above U+FFFF with U+E000..U+FFFF.
            entries.sort_unstable_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (key, inner)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                path.push(Step::Key(key));
                write_canonical(inner, path, out)?;
                path.pop();
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, inner) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                path.push(Step::Index(i));
                write_canonical(inner, path, out)?;
                path.pop();
            }
            out.push(']');
        }
        Value::Number(number) => match safe_integer(number) {
            Some(digits) => out.push_str(&digits),
            None => {
                return Err(JwsError::UnsupportedNumber {
                    path: path_text(path),
                    number: number.to_string(),
                });
            }
        },
        Value::String(text) => write_string(text, out),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Null => out.push_str("null"),
    }
    Ok(())
}

/// The decimal digits of an integer within ±2^53−1, which is what ECMAScript's number
/// serialisation (RFC 8785 §3.2.2.3) gives for it; `None` for any other number.
fn safe_integer(number: &serde_json::Number) -> Option<String> {
    let digits = if let Some(i) = number.as_i64() {
        (i.unsigned_abs() <= MAX_SAFE_INTEGER).then(|| i.to_string())
    } else {
        number
            .as_u64()
            .filter(|&u| u <= MAX_SAFE_INTEGER)
            .map(|u| u.to_string())
    }?;
    // With serde_json's `arbitrary_precision` (a feature another crate may switch on) a number
    // keeps its spelling, and `-0` would read as the integer 0: refuse such spellings alike.
    (number.to_string() == digits).then_some(digits)
}

/// RFC 8785 §3.2.2.2: escape `"`, `\` and U+0000..U+001F only, with the short forms
/// `\b \t \n \f \r` and lowercase `\u00xx` otherwise; everything else (`/`, DEL, non-ASCII)
/// is written as is.
fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\0'..='\u{1f}' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let byte = c as u8;
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0xf)]));
            }
            _ => out.push(c),
        }
    }
    out.push('"');
}

/// Canonical JSON of an object whose members are all strings (JWS headers, RFC 7638 members).
/// It holds no number, so unlike [`canonical_json`] it cannot fail.
fn canonical_strings(members: &[(&str, &str)]) -> String {
    let mut sorted = members.to_vec();
    sorted.sort_unstable_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    let mut out = String::from("{");
    for (i, (key, text)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(key, &mut out);
        out.push(':');
        write_string(text, &mut out);
    }
    out.push('}');
    out
}

fn path_text(path: &[Step<'_>]) -> String {
    let mut text = String::from("$");
    for step in path {
        match step {
            Step::Index(i) => text.push_str(&format!("[{i}]")),
            Step::Key(key) if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                text.push('.');
                text.push_str(key);
            }
            Step::Key(key) => {
                text.push('[');
                write_string(key, &mut text);
                text.push(']');
            }
        }
    }
    text
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
        assert_eq!(
            canonical_json(&value).as_deref(),
            Ok(r#"{"a":{"c":"é\n","d":[true,null]},"b":1}"#)
        );
    }

    #[test]
    fn keys_sort_by_utf16_not_utf8() {
        // U+E000 is EE 80 80 in UTF-8 and E000 in UTF-16; U+1F600 is F0 9F 98 80 and D83D DE00.
        let value = serde_json::json!({"\u{e000}": 1, "\u{1f600}": 2, "a": 3});
        assert_eq!(
            canonical_json(&value).as_deref(),
            Ok("{\"a\":3,\"\u{1f600}\":2,\"\u{e000}\":1}")
        );
        let mut by_bytes = vec!["\u{1f600}", "\u{e000}", "a"];
        by_bytes.sort_unstable();
        assert_eq!(by_bytes, ["a", "\u{e000}", "\u{1f600}"], "the byte order this replaced");
    }

    #[test]
    fn strings_escape_only_what_rfc_8785_requires() {
        let mut text: String = ('\0'..='\u{1f}').collect();
        text.push_str("\"\\/\u{7f}é😀");
        let expected = concat!(
            r#""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#,
            r#"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"#,
            "\\\"\\\\/\u{7f}é😀\"",
        );
        assert_eq!(canonical_json(&Value::String(text.clone())).as_deref(), Ok(expected));
        // serde_json escapes the same way; the signatures made before RFC 8785 still verify.
        assert_eq!(Value::String(text).to_string(), expected);
    }

    #[test]
    fn numbers_beyond_safe_integers_are_refused_with_their_path() {
        let max = MAX_SAFE_INTEGER as i64;
        assert_eq!(
            canonical_json(&serde_json::json!([max, -max, 0])).as_deref(),
            Ok("[9007199254740991,-9007199254740991,0]")
        );
        for (value, number) in [
            (serde_json::json!({"a": [{"b c": max + 1}]}), "9007199254740992"),
            (serde_json::json!({"a": [{"b c": -max - 1}]}), "-9007199254740992"),
            (serde_json::json!({"a": [{"b c": u64::MAX}]}), "18446744073709551615"),
            (serde_json::json!({"a": [{"b c": 1.5}]}), "1.5"),
            (serde_json::json!({"a": [{"b c": 1000.0}]}), "1000.0"),
        ] {
            let error = canonical_json(&value).unwrap_err();
            assert_eq!(
                error,
                JwsError::UnsupportedNumber {
                    path: r#"$.a[0]["b c"]"#.to_owned(),
                    number: number.to_owned()
                }
            );
            assert!(error.to_string().contains("9007199254740991"), "{error}");
            assert_eq!(signing_payload(&value), Err(error.clone()));
            let mut signed = value.clone();
            signed["signature"] = Value::String(signer(1).sign_detached(b"x"));
            assert_eq!(
                verify_document(&signed, &[signer(1).public_jwk(None)], Utc::now()),
                Err(error)
            );
        }
        let minus_zero: Value = serde_json::from_str("-0").unwrap();
        assert!(matches!(
            canonical_json(&minus_zero),
            Err(JwsError::UnsupportedNumber { .. })
        ));
    }

    #[test]
    fn headers_and_thumbprints_are_unchanged() {
        // Written by hand before RFC 8785: the same bytes must come out.
        let s = signer(1);
        let header = s.sign_detached(b"p");
        let header = header.split('.').next().unwrap();
        assert_eq!(B64.decode(header).unwrap(), br#"{"alg":"EdDSA","kid":"k1"}"#);
        let jwk = s.public_jwk(None);
        let members = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, jwk.x);
        assert_eq!(jwk.fingerprint(), B64.encode(Sha256::digest(members.as_bytes())));
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
