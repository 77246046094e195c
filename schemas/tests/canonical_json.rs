//! Canonical JSON (RFC 8785, JCS) as `schemas::jws` writes it, checked three ways:
//!
//! - against the language-neutral vectors in `tests/vectors/canonical-json.json`, which another
//!   implementation of the protocol can check itself against (docs/PROTOCOL.md, "Canonical JSON
//!   (RFC 8785)");
//! - against `serde_jcs`, an independent RFC 8785 implementation, on those vectors and on
//!   generated values from the domain our documents use;
//! - the signed vector end to end: canonical signing input, Ed25519 detached JWS, verification.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use proptest::prelude::*;
use schemas::jws::{self, JwsError, MAX_SAFE_INTEGER, Signer, canonical_json};
use schemas::scheme::Scheme;
use serde::Deserialize;
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/canonical-json.json");

/// One vector: `input` is JSON text; it canonicalises to `canonical`, or is refused (`error`
/// says why, `path` names the number).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    name: String,
    input: String,
    #[serde(default)]
    canonical: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    signature: Option<SignatureVector>,
}

/// The whole signing path for one document: its `canonical` form signed by a fixed key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureVector {
    seed_hex: String,
    public_key_x: String,
    kid: String,
    protected_header: String,
    signing_input: String,
    jws: String,
    signed_document: String,
    verify_at: String,
}

fn vectors() -> Vec<Vector> {
    serde_json::from_str(VECTORS).expect("the vectors file is valid")
}

fn parse(vector: &Vector) -> Value {
    serde_json::from_str(&vector.input).unwrap_or_else(|e| panic!("{}: input is not JSON: {e}", vector.name))
}

fn seed(hex: &str) -> [u8; 32] {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex seed"))
        .collect();
    bytes.try_into().expect("a 32-byte seed")
}

#[test]
fn every_vector_canonicalises_as_written() {
    let vectors = vectors();
    let mut checked = 0;
    for vector in vectors.iter().filter(|v| v.error.is_none()) {
        let expected = vector.canonical.as_deref().expect("a vector has canonical or error");
        let value = parse(vector);
        assert_eq!(canonical_json(&value).as_deref(), Ok(expected), "{}", vector.name);
        // Canonical JSON is a fixed point.
        let again: Value = serde_json::from_str(expected).expect("canonical output is JSON");
        assert_eq!(again, value, "{}", vector.name);
        assert_eq!(canonical_json(&again).as_deref(), Ok(expected), "{}", vector.name);
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} vectors");
}

#[test]
fn serde_jcs_agrees_with_every_vector() {
    for vector in vectors().iter().filter(|v| v.error.is_none()) {
        let jcs = serde_jcs::to_string(&parse(vector)).expect("serde_jcs writes it");
        assert_eq!(Some(jcs.as_str()), vector.canonical.as_deref(), "{}", vector.name);
    }
}

#[test]
fn every_refusal_vector_is_refused_naming_its_path() {
    let refusals: Vec<Vector> = vectors().into_iter().filter(|v| v.error.is_some()).collect();
    assert!(refusals.len() >= 6, "only {} refusals", refusals.len());
    for vector in &refusals {
        assert!(vector.canonical.is_none(), "{}", vector.name);
        match canonical_json(&parse(vector)) {
            Err(JwsError::UnsupportedNumber { path, .. }) => {
                assert_eq!(Some(path.as_str()), vector.path.as_deref(), "{}", vector.name)
            }
            other => panic!("{}: expected a refused number, got {other:?}", vector.name),
        }
    }
}

#[test]
fn signed_vector_reproduces_and_verifies() {
    let vectors = vectors();
    let signed: Vec<&Vector> = vectors.iter().filter(|v| v.signature.is_some()).collect();
    assert!(!signed.is_empty(), "no signed vector");
    for vector in signed {
        let name = &vector.name;
        let sig = vector.signature.as_ref().expect("filtered");
        let canonical = vector.canonical.as_deref().expect("a signed vector has canonical");
        let signer = Signer::new(sig.kid.clone(), SigningKey::from_bytes(&seed(&sig.seed_hex)));
        let jwk = signer.public_jwk(None);
        assert_eq!(jwk.x, sig.public_key_x, "{name}");

        // The signing input, spelled out, and the raw Ed25519 signature over it.
        let header_b64 = B64.encode(&sig.protected_header);
        assert_eq!(
            canonical_json(&serde_json::from_str(&sig.protected_header).expect("header JSON")).as_deref(),
            Ok(sig.protected_header.as_str()),
            "{name}: the header is canonical"
        );
        assert_eq!(
            sig.signing_input,
            format!("{header_b64}.{}", B64.encode(canonical)),
            "{name}"
        );
        let (jws_header, jws_signature) = sig.jws.split_once("..").expect("a detached JWS");
        assert_eq!(jws_header, header_b64, "{name}");
        let raw: [u8; 64] = B64
            .decode(jws_signature)
            .expect("base64url")
            .try_into()
            .expect("64 bytes");
        let public: [u8; 32] = B64
            .decode(&sig.public_key_x)
            .expect("base64url")
            .try_into()
            .expect("32 bytes");
        VerifyingKey::from_bytes(&public)
            .expect("a valid key")
            .verify_strict(sig.signing_input.as_bytes(), &Signature::from_bytes(&raw))
            .expect("the signature verifies over the spelled-out signing input");

        // Our own signing path gives the same bytes (Ed25519 is deterministic).
        assert_eq!(signer.sign_detached(canonical.as_bytes()), sig.jws, "{name}");
        let at: DateTime<Utc> = DateTime::parse_from_rfc3339(&sig.verify_at)
            .expect("verify_at")
            .to_utc();
        let keys = [jwk];
        assert!(jws::verify_detached(&sig.jws, canonical.as_bytes(), &keys, at).is_ok());
        let mut tampered = canonical.as_bytes().to_vec();
        tampered[1] ^= 1;
        assert_eq!(
            jws::verify_detached(&sig.jws, &tampered, &keys, at),
            Err(JwsError::BadSignature)
        );

        // The document as published: read as a scheme, its signing payload is `canonical`.
        let scheme = Scheme::from_json(sig.signed_document.as_bytes()).expect("the signed document reads");
        assert_eq!(
            jws::signing_payload(&scheme).expect("payload"),
            canonical.as_bytes(),
            "{name}"
        );
        assert_eq!(scheme.signature.as_deref(), Some(sig.jws.as_str()), "{name}");
        scheme.verify(&keys, at).expect("the signed document verifies");
        let unsigned: Value = serde_json::from_str(&vector.input).expect("input JSON");
        let mut published: Value = serde_json::from_str(&sig.signed_document).expect("document JSON");
        published.as_object_mut().expect("an object").remove("signature");
        assert_eq!(
            published, unsigned,
            "{name}: input is the document without its signature"
        );
    }
}

/// Object keys that hit the difference between UTF-16 and UTF-8 order, besides arbitrary ones.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        r"[a-c\x{7f}-\x{81}\x{d7ff}\x{e000}\x{fb33}\x{fffd}\x{ffff}\x{10000}\x{1f600}\x{10ffff}]{0,3}",
    ]
}

/// Strings heavy in what canonical JSON escapes, besides arbitrary ones.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), r#"[\x00-\x1f"\\/\x{7f}\x{2028}é😀]{0,6}"#]
}

/// The values our signed documents can hold.
fn domain_value() -> impl Strategy<Value = Value> {
    let max = MAX_SAFE_INTEGER as i64;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-max..=max).prop_map(Value::from),
        prop_oneof![Just(max), Just(-max), Just(0)].prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// A number outside the domain: an integer beyond ±(2^53−1), or any finite double.
fn outside_number() -> impl Strategy<Value = Value> {
    let max = MAX_SAFE_INTEGER as i64;
    prop_oneof![
        (max + 1..=i64::MAX).prop_map(Value::from),
        (i64::MIN..=-max - 1).prop_map(Value::from),
        (MAX_SAFE_INTEGER + 1..=u64::MAX).prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
    ]
}

proptest! {
    #[test]
    fn serde_jcs_agrees_on_our_domain(value in domain_value()) {
        let ours = canonical_json(&value).expect("every domain value is canonical");
        prop_assert_eq!(&ours, &serde_jcs::to_string(&value).expect("serde_jcs writes it"));
        let again: Value = serde_json::from_str(&ours).expect("canonical output is JSON");
        prop_assert_eq!(again, value);
    }

    #[test]
    fn numbers_outside_the_domain_are_refused(number in outside_number(), key in key()) {
        let value = serde_json::json!({"a": [{ key.as_str(): number }], "b": [1, "x"]});
        let refused = canonical_json(&value);
        prop_assert!(
            matches!(refused, Err(JwsError::UnsupportedNumber { ref path, .. }) if path.starts_with("$.a[0]")),
            "{:?}",
            refused
        );
        prop_assert_eq!(jws::signing_payload(&value), Err(refused.unwrap_err()));
    }
}
